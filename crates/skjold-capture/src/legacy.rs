//! A streaming reader for the classic libpcap file format (tcpdump.org `pcap-savefile(5)`):
//! a 24-byte global header, then records of a 16-byte header (24 bytes in the "modified"
//! Kuznetzov variant) and the captured bytes. Both byte orders, micro- and nanosecond
//! timestamps.
//!
//! Why not `pcap-parser` here: its streaming iterator is the largest single cost of reading a
//! large capture (about a quarter of `skjold watch`'s single-thread time, and the bottleneck of
//! the reader thread with `--threads 2`); walking fixed-size record headers over our own bounded
//! buffer costs a fraction of it. pcapng, whose block structure is richer, still goes through
//! `pcap-parser`.

use std::io::Read;

/// Largest record accepted: above this the length field is taken as corruption.
pub(crate) const MAX_RECORD: usize = 16 << 20;

/// The global header's facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub(crate) little_endian: bool,
    pub(crate) nanos: bool,
    pub(crate) record_len: usize,
    pub(crate) linktype: u32,
}

/// Parse the 24-byte global header.
pub(crate) fn parse_header(b: &[u8]) -> Option<Header> {
    let magic: [u8; 4] = b.get(..4)?.try_into().ok()?;
    let (little_endian, nanos, modified) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true, false),
        [0x34, 0xcd, 0xb2, 0xa1] => (true, false, true),
        [0xa1, 0xb2, 0xcd, 0x34] => (false, false, true),
        _ => return None,
    };
    let lt: [u8; 4] = b.get(20..24)?.try_into().ok()?;
    let linktype = if little_endian {
        u32::from_le_bytes(lt)
    } else {
        u32::from_be_bytes(lt)
    } & 0x0fff_ffff; // the upper bits carry the FCS length
    Some(Header {
        little_endian,
        nanos,
        record_len: if modified { 24 } else { 16 },
        linktype,
    })
}

/// One record, borrowed from the buffer.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub(crate) ts_micros: u64,
    pub(crate) orig_len: u32,
    pub(crate) data: &'a [u8],
}

/// Why reading stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Clean end of file.
    End,
    /// The file ends inside a record.
    Truncated,
    /// A record header is impossible.
    Corrupt(String),
    /// The underlying read failed.
    Io(String),
}

/// The stream over records.
pub(crate) struct Records {
    r: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes of the file consumed before `buf[start]`.
    consumed: u64,
    /// Size of the whole file: a record claiming more than is left is truncation, found
    /// without growing the buffer to a length read from the file.
    size: u64,
    pub(crate) header: Header,
}

impl Records {
    /// Read the global header from `r`; `capacity` is the initial read buffer (it grows for a
    /// record larger than it).
    pub(crate) fn new(mut r: Box<dyn Read + Send>, capacity: usize, size: u64) -> Option<Records> {
        let mut h = [0u8; 24];
        let mut n = 0;
        while n < h.len() {
            match r.read(&mut h[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let header = parse_header(&h[..n])?;
        Some(Records {
            r,
            buf: vec![0; capacity.max(64)],
            start: 0,
            end: 0,
            eof: false,
            consumed: 24,
            size,
            header,
        })
    }

    /// Bytes of the file consumed so far.
    pub(crate) fn position(&self) -> u64 {
        self.consumed
    }

    /// Make at least `need` bytes available from `start`; false at end of file.
    fn fill(&mut self, need: usize) -> Result<bool, Stop> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if need > self.buf.len() {
                self.buf.resize(need.next_power_of_two(), 0);
            }
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Stop::Io(e.to_string())),
            }
        }
        Ok(true)
    }

    /// The next record, or why there is none.
    pub(crate) fn next(&mut self) -> Result<Record<'_>, Stop> {
        let hl = self.header.record_len;
        if !self.fill(hl)? {
            return Err(if self.end == self.start {
                Stop::End
            } else {
                Stop::Truncated
            });
        }
        let h = &self.buf[self.start..self.start + 16];
        let word = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if self.header.little_endian {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        };
        let (secs, frac, caplen, orig_len) = (word(0), word(4), word(8), word(12));
        let caplen = caplen as usize;
        if caplen > MAX_RECORD {
            return Err(Stop::Corrupt(format!(
                "record length {caplen} is impossible"
            )));
        }
        if self.consumed + (hl + caplen) as u64 > self.size {
            return Err(Stop::Truncated);
        }
        if !self.fill(hl + caplen)? {
            return Err(Stop::Truncated);
        }
        let micros = if self.header.nanos {
            u64::from(frac) / 1000
        } else {
            u64::from(frac)
        };
        let at = self.start + hl;
        self.start = at + caplen;
        self.consumed += (hl + caplen) as u64;
        Ok(Record {
            ts_micros: u64::from(secs) * 1_000_000 + micros,
            orig_len,
            data: &self.buf[at..at + caplen],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: usize = 1 << 20;

    fn file(records: &[&[u8]], cut: usize) -> Vec<u8> {
        let mut b = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for (i, r) in records.iter().enumerate() {
            b.extend_from_slice(&(i as u32).to_le_bytes()); // seconds
            b.extend_from_slice(&7u32.to_le_bytes()); // microseconds
            b.extend_from_slice(&(r.len() as u32).to_le_bytes()); // caplen
            b.extend_from_slice(&(r.len() as u32 + 1).to_le_bytes()); // orig_len
            b.extend_from_slice(r);
        }
        b.truncate(b.len() - cut);
        b
    }

    #[test]
    fn reads_records_then_reports_truncation() {
        let b = file(&[b"abc", b"defgh"], 2);
        let mut r = {
            let n = b.len() as u64;
            Records::new(Box::new(std::io::Cursor::new(b)), CHUNK, n).unwrap()
        };
        assert_eq!(r.header.linktype, 1);
        let a = r.next().unwrap();
        assert_eq!((a.ts_micros, a.orig_len, a.data), (7, 4, &b"abc"[..]));
        assert_eq!(r.next().unwrap_err(), Stop::Truncated);
    }

    #[test]
    fn clean_end_and_big_records_grow_the_buffer() {
        let big = vec![0x5a; CHUNK * 3];
        let b = file(&[&big, b"x"], 0);
        let mut r = {
            let n = b.len() as u64;
            Records::new(Box::new(std::io::Cursor::new(b)), CHUNK, n).unwrap()
        };
        assert_eq!(r.next().unwrap().data.len(), CHUNK * 3);
        assert_eq!(r.next().unwrap().data, b"x");
        assert_eq!(r.next().unwrap_err(), Stop::End);
    }

    #[test]
    fn a_length_beyond_the_end_of_file_is_truncation_without_allocating_it() {
        // Guards against growing the buffer to a record length read from the file.
        let mut b = file(&[b"abc"], 0);
        b[24 + 8..24 + 12].copy_from_slice(&(15u32 << 20).to_le_bytes());
        let n = b.len() as u64;
        let mut r = Records::new(Box::new(std::io::Cursor::new(b)), 4096, n).unwrap();
        assert_eq!(r.next().unwrap_err(), Stop::Truncated);
        assert_eq!(r.buf.len(), 4096);
    }

    #[test]
    fn impossible_length_is_corruption() {
        let mut b = file(&[b"abc"], 0);
        b[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut r = {
            let n = b.len() as u64;
            Records::new(Box::new(std::io::Cursor::new(b)), CHUNK, n).unwrap()
        };
        assert!(matches!(r.next().unwrap_err(), Stop::Corrupt(_)));
    }
}
