//! TCP stream reassembly for one direction of a connection (RFC 9293 sequence space).
//!
//! Bytes are handed to a consumer in order, exactly once. The consumer returns how many it
//! consumed; the rest stays buffered (bounded by [`Limits::max_buffered`]) and is offered again
//! with the next bytes appended. In the common case (in-order segment, nothing buffered) the
//! segment's payload is offered straight from the packet, without a copy.
//!
//! - Mid-stream pick-up: a stream whose SYN was not seen starts at the first segment seen.
//! - Retransmissions and overlaps: **first wins** — bytes already delivered or queued are never
//!   replaced by a later copy (the policy Suricata calls "first" / BSD); overlaps are counted.
//! - Out of order: future segments wait in a bounded queue ([`Limits::max_queued_bytes`],
//!   [`Limits::max_queued_segments`]).
//! - Gaps: when the queue overflows, when the peer acknowledges bytes never seen, or when the
//!   stream ends with a hole, the consumer is told [`Chunk::Gap`] with the number of missing
//!   bytes, and delivery resumes after the hole so the parser can resynchronise.

/// Reassembly limits per direction.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Unconsumed in-order bytes kept for the parser.
    pub max_buffered: usize,
    /// Out-of-order bytes queued.
    pub max_queued_bytes: usize,
    /// Out-of-order segments queued.
    pub max_queued_segments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_buffered: 256 * 1024,
            max_queued_bytes: 256 * 1024,
            max_queued_segments: 128,
        }
    }
}

/// Segments further ahead than this are not queued: the stream resynchronises on them.
const MAX_WINDOW: u32 = 16 << 20;

/// What the consumer is offered.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// In-order bytes.
    Data(&'a [u8]),
    /// This many bytes are missing before the next data.
    Gap(u64),
}

/// What a segment did to the stream (for counters and anomaly events).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The whole segment had been seen already.
    pub retransmission: bool,
    /// Part of the segment overlapped bytes already seen.
    pub overlap: bool,
    /// The segment was queued out of order.
    pub out_of_order: bool,
    /// Bytes declared missing.
    pub gap_bytes: u64,
    /// The unconsumed buffer overflowed and was dropped (counted as a gap).
    pub buffer_overflow: bool,
    /// The out-of-order queue overflowed.
    pub queue_overflow: bool,
}

impl Report {
    fn merge(&mut self, o: Report) {
        self.retransmission |= o.retransmission;
        self.overlap |= o.overlap;
        self.out_of_order |= o.out_of_order;
        self.gap_bytes += o.gap_bytes;
        self.buffer_overflow |= o.buffer_overflow;
        self.queue_overflow |= o.queue_overflow;
    }
}

#[derive(Debug)]
struct Queued {
    seq: u32,
    data: Vec<u8>,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Stream {
    synced: bool,
    next_seq: u32,
    buf: Vec<u8>,
    queue: Vec<Queued>,
    queued_bytes: usize,
    /// A FIN was seen in this direction.
    pub fin: bool,
    /// Sequence number of the FIN (it occupies one sequence number but carries no data).
    fin_seq: Option<u32>,
}

/// `a - b` in sequence space, as a signed distance.
fn seq_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Stream {
    /// Whether the stream has a starting sequence number.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// Next expected sequence number.
    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }

    /// Bytes buffered (unconsumed plus queued), for memory accounting.
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.queued_bytes
    }

    /// A SYN with initial sequence number `isn` was seen: data starts at `isn + 1`.
    pub fn syn(&mut self, isn: u32) {
        if !self.synced || self.buf.is_empty() && self.queue.is_empty() {
            self.synced = true;
            self.next_seq = isn.wrapping_add(1);
        }
    }

    /// A segment with sequence number `seq` and `payload`.
    pub fn segment<F>(&mut self, seq: u32, payload: &[u8], lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let mut rep = Report::default();
        if payload.is_empty() {
            return rep;
        }
        if !self.synced {
            self.synced = true;
            self.next_seq = seq;
        }
        let d = seq_diff(seq, self.next_seq);
        if d <= 0 {
            let skip = d.unsigned_abs();
            if skip >= payload.len() as u64 {
                rep.retransmission = true;
                return rep;
            }
            if skip > 0 {
                rep.overlap = true;
            }
            let fresh = &payload[skip as usize..];
            self.next_seq = self.next_seq.wrapping_add(fresh.len() as u32);
            rep.merge(self.deliver(fresh, lim, sink));
            rep.merge(self.drain_queue(lim, sink));
        } else if d > i64::from(MAX_WINDOW) {
            // Far ahead: treat everything in between as lost and resynchronise here.
            rep.merge(self.jump_to(seq, sink));
            self.next_seq = seq.wrapping_add(payload.len() as u32);
            rep.merge(self.deliver(payload, lim, sink));
        } else {
            rep.out_of_order = true;
            rep.merge(self.enqueue(seq, payload, lim, sink));
        }
        rep
    }

    /// A FIN at sequence number `seq` (after the segment's payload).
    pub fn fin_at(&mut self, seq: u32) {
        self.fin = true;
        self.fin_seq = Some(seq);
    }

    /// The peer acknowledged up to `ack`: bytes below it that were never seen are a gap.
    pub fn acked<F>(&mut self, ack: u32, lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        // The FIN's sequence number is not data: an ACK of it is not a gap.
        let ack = match self.fin_seq {
            Some(f) if seq_diff(ack, f) > 0 => f,
            _ => ack,
        };
        if !self.synced || seq_diff(ack, self.next_seq) <= 0 {
            return Report::default();
        }
        if seq_diff(ack, self.next_seq) > i64::from(MAX_WINDOW) {
            return Report::default();
        }
        // Jump to the earliest of the ack and the first queued segment.
        let target = match self.queue.first() {
            Some(q) if seq_diff(q.seq, ack) < 0 => q.seq,
            _ => ack,
        };
        let mut rep = self.jump_to(target, sink);
        rep.merge(self.drain_queue(lim, sink));
        rep
    }

    /// The stream ends: any queued data after a hole is delivered after a gap.
    pub fn finish<F>(&mut self, lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let mut rep = Report::default();
        while let Some(first) = self.queue.first() {
            let s = first.seq;
            rep.merge(self.jump_to(s, sink));
            rep.merge(self.drain_queue(lim, sink));
        }
        rep
    }

    fn jump_to<F>(&mut self, seq: u32, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let missing = seq_diff(seq, self.next_seq);
        if missing <= 0 {
            return Report::default();
        }
        // Partial PDU bytes before a hole are useless to the parser.
        self.buf.clear();
        sink(Chunk::Gap(missing as u64));
        self.next_seq = seq;
        Report {
            gap_bytes: missing as u64,
            ..Report::default()
        }
    }

    fn enqueue<F>(&mut self, seq: u32, payload: &[u8], lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let mut rep = Report::default();
        // First wins: a segment starting where a queued one starts is a retransmission.
        let pos = self.queue.partition_point(|q| seq_diff(q.seq, seq) < 0);
        if self
            .queue
            .get(pos)
            .is_some_and(|q| q.seq == seq && q.data.len() >= payload.len())
        {
            rep.retransmission = true;
            return rep;
        }
        if self.queue.len() >= lim.max_queued_segments
            || self.queued_bytes + payload.len() > lim.max_queued_bytes
        {
            rep.queue_overflow = true;
            // Give up waiting for the hole: skip to the first queued segment and deliver.
            rep.merge(self.finish(lim, sink));
            let d = seq_diff(seq, self.next_seq);
            if d > 0 {
                rep.merge(self.jump_to(seq, sink));
            }
            rep.merge(self.segment(seq, payload, lim, sink));
            return rep;
        }
        self.queued_bytes += payload.len();
        self.queue.insert(
            pos,
            Queued {
                seq,
                data: payload.to_vec(),
            },
        );
        rep
    }

    fn drain_queue<F>(&mut self, lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let mut rep = Report::default();
        while let Some(first) = self.queue.first() {
            let d = seq_diff(first.seq, self.next_seq);
            if d > 0 {
                break;
            }
            let q = self.queue.remove(0);
            self.queued_bytes -= q.data.len();
            let skip = d.unsigned_abs();
            if skip >= q.data.len() as u64 {
                rep.retransmission = true;
                continue;
            }
            if skip > 0 {
                rep.overlap = true;
            }
            let fresh = &q.data[skip as usize..];
            self.next_seq = self.next_seq.wrapping_add(fresh.len() as u32);
            rep.merge(self.deliver(fresh, lim, sink));
        }
        rep
    }

    fn deliver<F>(&mut self, data: &[u8], lim: &Limits, sink: &mut F) -> Report
    where
        F: FnMut(Chunk<'_>) -> usize,
    {
        let mut rep = Report::default();
        if self.buf.is_empty() {
            let n = offer(data, sink);
            if n < data.len() {
                self.buf.extend_from_slice(&data[n..]);
            }
        } else {
            self.buf.extend_from_slice(data);
            let n = offer(&self.buf, sink);
            self.buf.drain(..n);
        }
        if self.buf.len() > lim.max_buffered {
            rep.buffer_overflow = true;
            rep.gap_bytes += self.buf.len() as u64;
            sink(Chunk::Gap(self.buf.len() as u64));
            self.buf.clear();
        }
        rep
    }
}

/// Offer `data` until the consumer stops making progress; return bytes consumed.
fn offer<F>(data: &[u8], sink: &mut F) -> usize
where
    F: FnMut(Chunk<'_>) -> usize,
{
    let mut done = 0;
    while done < data.len() {
        let n = sink(Chunk::Data(&data[done..])).min(data.len() - done);
        if n == 0 {
            break;
        }
        done += n;
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A consumer that takes whole 4-byte records and logs gaps.
    #[derive(Default)]
    struct Rec {
        got: Vec<u8>,
        gaps: Vec<u64>,
    }

    impl Rec {
        fn sink(&mut self) -> impl FnMut(Chunk<'_>) -> usize + '_ {
            move |c| match c {
                Chunk::Data(d) => {
                    let n = d.len() / 4 * 4;
                    self.got.extend_from_slice(&d[..n]);
                    n
                }
                Chunk::Gap(g) => {
                    self.gaps.push(g);
                    0
                }
            }
        }
    }

    #[test]
    fn in_order_partial_records_are_buffered_then_completed() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(99);
        s.segment(100, b"abcdef", &l, &mut r.sink());
        assert_eq!(r.got, b"abcd");
        s.segment(106, b"gh", &l, &mut r.sink());
        assert_eq!(r.got, b"abcdefgh");
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn out_of_order_and_retransmission() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(0);
        let rep = s.segment(5, b"5678", &l, &mut r.sink());
        assert!(rep.out_of_order);
        assert!(r.got.is_empty());
        s.segment(1, b"1234", &l, &mut r.sink());
        assert_eq!(r.got, b"12345678");
        let rep = s.segment(1, b"1234", &l, &mut r.sink());
        assert!(rep.retransmission);
        assert_eq!(r.got, b"12345678");
    }

    #[test]
    fn overlap_keeps_first_copy() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(0);
        s.segment(1, b"ab", &l, &mut r.sink());
        // Overlaps "ab" with "XY": only "cd" is new.
        let rep = s.segment(1, b"XYcd", &l, &mut r.sink());
        assert!(rep.overlap);
        assert_eq!(r.got, b"abcd");
    }

    #[test]
    fn ack_beyond_seen_bytes_declares_gap_and_resumes() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(0);
        s.segment(1, b"ab", &l, &mut r.sink()); // partial record buffered
        s.segment(7, b"wxyz", &l, &mut r.sink()); // bytes 3..7 lost
        let rep = s.acked(11, &l, &mut r.sink());
        assert_eq!(rep.gap_bytes, 4);
        assert_eq!(r.gaps, vec![4]);
        assert_eq!(r.got, b"wxyz");
    }

    #[test]
    fn ack_of_fin_is_not_a_gap() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(0);
        s.segment(1, b"abcd", &l, &mut r.sink());
        s.fin_at(5);
        let rep = s.acked(6, &l, &mut r.sink());
        assert_eq!(rep.gap_bytes, 0);
        assert!(r.gaps.is_empty());
    }

    #[test]
    fn midstream_pickup_starts_at_first_segment() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        s.segment(1_000_000, b"abcd", &Limits::default(), &mut r.sink());
        assert_eq!(r.got, b"abcd");
    }

    #[test]
    fn buffer_cap_turns_into_gap() {
        let mut s = Stream::default();
        let l = Limits {
            max_buffered: 8,
            ..Limits::default()
        };
        let mut gaps = 0;
        let mut sink = |c: Chunk<'_>| {
            if let Chunk::Gap(_) = c {
                gaps += 1;
            }
            0 // never consumes
        };
        s.syn(0);
        let rep = s.segment(1, &[0u8; 20], &l, &mut sink);
        assert!(rep.buffer_overflow);
        assert_eq!(gaps, 1);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn queue_overflow_skips_hole() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits {
            max_queued_segments: 2,
            ..Limits::default()
        };
        s.syn(0);
        s.segment(5, b"aaaa", &l, &mut r.sink());
        s.segment(9, b"bbbb", &l, &mut r.sink());
        let rep = s.segment(13, b"cccc", &l, &mut r.sink());
        assert!(rep.queue_overflow);
        assert_eq!(r.gaps, vec![4]);
        assert_eq!(r.got, b"aaaabbbbcccc");
    }

    #[test]
    fn sequence_wraparound() {
        let mut s = Stream::default();
        let mut r = Rec::default();
        let l = Limits::default();
        s.syn(u32::MAX - 2);
        s.segment(u32::MAX - 1, b"abcd", &l, &mut r.sink());
        s.segment(2, b"efgh", &l, &mut r.sink());
        assert_eq!(r.got, b"abcdefgh");
    }
}
