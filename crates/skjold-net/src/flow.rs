//! The flow table: connections keyed by a direction-independent five-tuple (plus VLAN), with a
//! cap on the number of flows and idle timeouts.
//!
//! Memory cap policy: when the table is full, the **oldest-created** flow is evicted (FIFO, O(1)
//! amortised) and handed back to the caller, which closes it properly and counts the eviction.
//! Expiry: entries carry their own idle timeout (set by the engine per protocol and TCP state);
//! [`FlowTable::expire`] removes those idle for longer.

use rustc_hash::{FxHashMap, FxHasher};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Direction-independent flow key. The endpoint that sorts lower is `lo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    lo_ip: u128,
    hi_ip: u128,
    /// `lo_port << 32 | hi_port << 16 | proto << 8`, then VLAN in the top bits.
    rest: u64,
}

/// An address as a number (IPv4 as its IPv4-mapped IPv6 value).
fn ip128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => 0xffff_0000_0000 | u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl FlowKey {
    /// The key of a packet from `src:sport` to `dst:dport`, and whether `src` is the `lo` end.
    pub fn new(
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        proto: u8,
        vlan: u16,
    ) -> (FlowKey, bool) {
        let (s, d) = (ip128(src), ip128(dst));
        let src_lo = (s, sport) <= (d, dport);
        let (lo_ip, hi_ip, lo_port, hi_port) = if src_lo {
            (s, d, sport, dport)
        } else {
            (d, s, dport, sport)
        };
        let rest = (u64::from(vlan) << 48)
            | (u64::from(lo_port) << 32)
            | (u64::from(hi_port) << 16)
            | (u64::from(proto) << 8);
        (FlowKey { lo_ip, hi_ip, rest }, src_lo)
    }

    /// A 64-bit hash, the same for both directions (used for sharding and flow ids).
    pub fn hash64(&self) -> u64 {
        let mut h = FxHasher::default();
        self.hash(&mut h);
        h.finish()
    }
}

/// A flow table entry.
#[derive(Debug)]
pub struct Entry<T> {
    gen: u64,
    /// Time of the last packet (µs).
    pub last_seen: u64,
    /// Idle time after which the entry expires (µs).
    pub timeout: u64,
    /// The caller's per-flow state.
    pub val: T,
}

/// The table.
#[derive(Debug)]
pub struct FlowTable<T> {
    map: FxHashMap<FlowKey, Entry<T>>,
    fifo: VecDeque<(FlowKey, u64)>,
    next_gen: u64,
    max: usize,
}

impl<T> FlowTable<T> {
    /// A table holding at most `max` flows.
    pub fn new(max: usize) -> Self {
        FlowTable {
            map: FxHashMap::default(),
            fifo: VecDeque::new(),
            next_gen: 0,
            max: max.max(1),
        }
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry for `key`, inserting one made by `make` when absent; a flow evicted to make
    /// room is handed to `evict` first. Returns the entry and whether it was inserted.
    pub fn get_or_insert_with(
        &mut self,
        key: FlowKey,
        now: u64,
        timeout: u64,
        make: impl FnOnce() -> T,
        evict: impl FnOnce(FlowKey, T),
    ) -> (&mut Entry<T>, bool) {
        if self.map.len() >= self.max && !self.map.contains_key(&key) {
            while let Some((k, g)) = self.fifo.pop_front() {
                if self.map.get(&k).is_some_and(|e| e.gen == g) {
                    if let Some(e) = self.map.remove(&k) {
                        evict(k, e.val);
                    }
                    break;
                }
            }
        }
        if self.fifo.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.fifo
                .retain(|(k, g)| map.get(k).is_some_and(|e| e.gen == *g));
        }
        let gen = self.next_gen;
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => (o.into_mut(), false),
            std::collections::hash_map::Entry::Vacant(v) => {
                self.next_gen += 1;
                self.fifo.push_back((key, gen));
                let e = v.insert(Entry {
                    gen,
                    last_seen: now,
                    timeout,
                    val: make(),
                });
                (e, true)
            }
        }
    }

    /// The entry for `key`.
    pub fn get_mut(&mut self, key: &FlowKey) -> Option<&mut Entry<T>> {
        self.map.get_mut(key)
    }

    /// Remove `key` (a closed flow replaced by a new connection on the same ports).
    pub fn remove(&mut self, key: &FlowKey) -> Option<T> {
        self.map.remove(key).map(|e| e.val)
    }

    /// Insert a new flow; if the table is full the oldest flow is evicted and returned.
    pub fn insert(&mut self, key: FlowKey, now: u64, timeout: u64, val: T) -> Option<(FlowKey, T)> {
        let mut evicted = None;
        if self.map.len() >= self.max {
            while let Some((k, g)) = self.fifo.pop_front() {
                if self.map.get(&k).is_some_and(|e| e.gen == g) {
                    evicted = self.map.remove(&k).map(|e| (k, e.val));
                    break;
                }
            }
        }
        let gen = self.next_gen;
        self.next_gen += 1;
        self.map.insert(
            key,
            Entry {
                gen,
                last_seen: now,
                timeout,
                val,
            },
        );
        self.fifo.push_back((key, gen));
        if self.fifo.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.fifo
                .retain(|(k, g)| map.get(k).is_some_and(|e| e.gen == *g));
        }
        evicted
    }

    /// Remove every flow idle for longer than its timeout at `now`, handing each to `f`.
    pub fn expire(&mut self, now: u64, mut f: impl FnMut(FlowKey, T)) {
        let expired: Vec<FlowKey> = self
            .map
            .iter()
            .filter(|(_, e)| now.saturating_sub(e.last_seen) > e.timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(e) = self.map.remove(&k) {
                f(k, e.val);
            }
        }
    }

    /// Remove every flow (end of input), oldest first, handing each to `f`.
    pub fn drain(&mut self, mut f: impl FnMut(FlowKey, T)) {
        // Sort the keys only (not the entries) so that draining does not double the memory.
        let mut keys: Vec<(u64, FlowKey)> = self.map.iter().map(|(k, e)| (e.gen, *k)).collect();
        keys.sort_unstable_by_key(|(g, _)| *g);
        self.fifo.clear();
        for (_, k) in keys {
            if let Some(e) = self.map.remove(&k) {
                f(k, e.val);
            }
        }
        self.map.shrink_to_fit();
    }

    /// Visit every flow (for periodic snapshots in live mode).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&FlowKey, &mut Entry<T>)) {
        for (k, e) in &mut self.map {
            f(k, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn key_is_direction_independent() {
        let (a, a_lo) = FlowKey::new(ip(1), 40000, ip(2), 502, 6, 0);
        let (b, b_lo) = FlowKey::new(ip(2), 502, ip(1), 40000, 6, 0);
        assert_eq!(a, b);
        assert_ne!(a_lo, b_lo);
        assert_eq!(a.hash64(), b.hash64());
    }

    #[test]
    fn full_table_evicts_oldest() {
        let mut t = FlowTable::new(2);
        let k = |p| FlowKey::new(ip(1), p, ip(2), 502, 6, 0).0;
        assert!(t.insert(k(1), 0, 10, "a").is_none());
        assert!(t.insert(k(2), 0, 10, "b").is_none());
        let ev = t.insert(k(3), 0, 10, "c").unwrap();
        assert_eq!(ev, (k(1), "a"));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn idle_flows_expire() {
        let mut t = FlowTable::new(10);
        let k = |p| FlowKey::new(ip(1), p, ip(2), 502, 6, 0).0;
        t.insert(k(1), 0, 10, 1);
        t.insert(k(2), 0, 100, 2);
        let mut gone = vec![];
        t.expire(50, |_, v| gone.push(v));
        assert_eq!(gone, vec![1]);
        assert_eq!(t.len(), 1);
    }
}
