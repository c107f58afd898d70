//! Bounded IPv4/IPv6 fragment reassembly (RFC 791, RFC 8200 §4.5).
//!
//! Limits: at most [`Limits::max_datagrams`] datagrams in reassembly at once, at most
//! [`Limits::max_bytes`] buffered in total, 65,535 bytes per datagram, [`Limits::timeout_micros`]
//! to complete. Overlap policy: **first wins** — bytes already received for an offset are kept
//! and later overlapping bytes are ignored (Suricata's and BSD's default); the overlap is
//! reported so detection can flag evasion attempts.

use crate::decode::Fragment;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// Reassembly limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Datagrams in reassembly at once.
    pub max_datagrams: usize,
    /// Bytes buffered across all datagrams.
    pub max_bytes: usize,
    /// Time allowed to complete a datagram.
    pub timeout_micros: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_datagrams: 1024,
            max_bytes: 8 << 20,
            timeout_micros: 30_000_000,
        }
    }
}

const MAX_DATAGRAM: u32 = 65_535;
/// Fragments accepted per datagram (beyond that it is dropped: a fragment flood).
const MAX_FRAGMENTS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

#[derive(Debug)]
struct Datagram {
    first_ts: u64,
    data: Vec<u8>,
    /// Received ranges `[start, end)`, unsorted.
    have: Vec<(u32, u32)>,
    total: Option<u32>,
}

impl Datagram {
    fn complete(&self) -> bool {
        let Some(total) = self.total else {
            return false;
        };
        let mut r = self.have.clone();
        r.sort_unstable();
        let mut covered = 0u32;
        for (s, e) in r {
            if s > covered {
                return false;
            }
            covered = covered.max(e);
        }
        covered >= total
    }
}

/// What happened to a fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum DefragOutcome {
    /// Stored; the datagram is not complete yet.
    Pending,
    /// The datagram is complete: its payload (after the IP header).
    Complete(Vec<u8>),
    /// The fragment was dropped for the reason given (a limit or an inconsistency).
    Dropped(&'static str),
}

/// Reassembly state.
#[derive(Debug, Default)]
pub struct Defragmenter {
    limits: Limits,
    map: FxHashMap<Key, Datagram>,
    bytes: usize,
    /// Overlapping fragments seen (first-wins policy applied).
    pub overlaps: u64,
    /// Datagrams abandoned on timeout.
    pub timeouts: u64,
}

impl Defragmenter {
    /// A reassembler with the given limits.
    pub fn new(limits: Limits) -> Self {
        Defragmenter {
            limits,
            ..Default::default()
        }
    }

    /// Add a fragment received at `ts`.
    pub fn push(
        &mut self,
        ts: u64,
        src: IpAddr,
        dst: IpAddr,
        frag: Fragment,
        data: &[u8],
    ) -> DefragOutcome {
        let Ok(len) = u32::try_from(data.len()) else {
            return DefragOutcome::Dropped("fragment_too_large");
        };
        let end = frag.offset.saturating_add(len);
        if end > MAX_DATAGRAM {
            return DefragOutcome::Dropped("fragment_too_large");
        }
        let key = Key {
            src,
            dst,
            id: frag.id,
            proto: frag.proto,
        };
        if !self.map.contains_key(&key) {
            self.expire(ts);
            if self.map.len() >= self.limits.max_datagrams {
                return DefragOutcome::Dropped("defrag_table_full");
            }
        }
        if self.bytes + data.len() > self.limits.max_bytes {
            self.expire(ts);
            if self.bytes + data.len() > self.limits.max_bytes {
                return DefragOutcome::Dropped("defrag_memcap");
            }
        }
        let d = self.map.entry(key).or_insert_with(|| Datagram {
            first_ts: ts,
            data: Vec::new(),
            have: Vec::new(),
            total: None,
        });
        if d.have.len() >= MAX_FRAGMENTS {
            let old = self.map.remove(&key).map_or(0, |d| d.data.len());
            self.bytes -= old;
            return DefragOutcome::Dropped("too_many_fragments");
        }
        if !frag.more {
            if let Some(t) = d.total {
                if t != end {
                    let old = self.map.remove(&key).map_or(0, |d| d.data.len());
                    self.bytes -= old;
                    return DefragOutcome::Dropped("conflicting_end");
                }
            }
            d.total = Some(end);
        }
        let before = d.data.len();
        if d.data.len() < end as usize {
            d.data.resize(end as usize, 0);
        }
        // First wins: copy only the sub-ranges no earlier fragment covered.
        let mut pos = frag.offset;
        let mut sorted = d.have.clone();
        sorted.sort_unstable();
        let mut overlapped = false;
        for &(s, e) in &sorted {
            if e <= pos || s >= end {
                continue;
            }
            overlapped = true;
            if s > pos {
                let (a, b) = (pos as usize, s as usize);
                d.data[a..b]
                    .copy_from_slice(&data[a - frag.offset as usize..b - frag.offset as usize]);
            }
            pos = pos.max(e);
        }
        if pos < end {
            let (a, b) = (pos as usize, end as usize);
            d.data[a..b].copy_from_slice(&data[a - frag.offset as usize..b - frag.offset as usize]);
        }
        if overlapped {
            self.overlaps += 1;
        }
        d.have.push((frag.offset, end));
        self.bytes += d.data.len() - before;
        if d.complete() {
            let d = self.map.remove(&key).expect("present");
            self.bytes -= d.data.len();
            let mut data = d.data;
            data.truncate(d.total.unwrap_or(0) as usize);
            return DefragOutcome::Complete(data);
        }
        DefragOutcome::Pending
    }

    /// Drop datagrams older than the timeout.
    pub fn expire(&mut self, now: u64) {
        let timeout = self.limits.timeout_micros;
        let mut freed = 0;
        let mut n = 0;
        self.map.retain(|_, d| {
            let keep = now.saturating_sub(d.first_ts) <= timeout;
            if !keep {
                freed += d.data.len();
                n += 1;
            }
            keep
        });
        self.bytes -= freed;
        self.timeouts += n;
    }

    /// Datagrams currently in reassembly.
    pub fn pending(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(offset: u32, more: bool) -> Fragment {
        Fragment {
            id: 7,
            offset,
            more,
            proto: 6,
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn out_of_order_fragments_reassemble() {
        let mut d = Defragmenter::default();
        assert_eq!(
            d.push(0, A, B, f(16, false), b"CCCC"),
            DefragOutcome::Pending
        );
        assert_eq!(
            d.push(0, A, B, f(0, true), b"AAAAAAAA"),
            DefragOutcome::Pending
        );
        let out = d.push(0, A, B, f(8, true), b"BBBBBBBB");
        assert_eq!(
            out,
            DefragOutcome::Complete(b"AAAAAAAABBBBBBBBCCCC".to_vec())
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn overlap_keeps_first_bytes() {
        let mut d = Defragmenter::default();
        d.push(0, A, B, f(0, true), b"AAAAAAAA");
        d.push(0, A, B, f(8, true), b"BBBBBBBB");
        // Overlaps 8..16 with different bytes: ignored there, 16..20 new.
        let out = d.push(0, A, B, f(8, false), b"XXXXXXXXYYYY");
        assert_eq!(
            out,
            DefragOutcome::Complete(b"AAAAAAAABBBBBBBBYYYY".to_vec())
        );
        assert_eq!(d.overlaps, 1);
    }

    #[test]
    fn limits_hold_and_timeouts_free_memory() {
        let mut d = Defragmenter::new(Limits {
            max_datagrams: 1,
            max_bytes: 64,
            timeout_micros: 10,
        });
        assert_eq!(d.push(0, A, B, f(0, true), &[0; 8]), DefragOutcome::Pending);
        let other = Fragment {
            id: 8,
            ..f(0, true)
        };
        assert_eq!(
            d.push(5, A, B, other, &[0; 8]),
            DefragOutcome::Dropped("defrag_table_full")
        );
        // After the timeout the first datagram is gone and the second fits.
        assert_eq!(d.push(100, A, B, other, &[0; 8]), DefragOutcome::Pending);
        assert_eq!(d.timeouts, 1);
        assert_eq!(
            d.push(100, A, B, f(65_530, true), &[0; 16]),
            DefragOutcome::Dropped("fragment_too_large")
        );
    }
}
