//! Deduplication: one alert per cause per window. The first occurrence of a cause opens an
//! alert; later occurrences in the window only count (and move `last_seen`); the alert is
//! released when the window closes on the capture clock, or at the end of input.

use crate::alert::{Alert, Meta};
use crate::obs::Obs;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Open alerts kept at most; beyond it the oldest is released early (counted as a limit hit).
pub(crate) const MAX_OPEN: usize = 10_000;

/// The deduplicating alert sink.
#[derive(Debug)]
pub(crate) struct Dedup {
    window_us: u64,
    open: FxHashMap<(u32, u64), usize>,
    /// Open alerts in opening order, with their keys.
    slots: VecDeque<((u32, u64), Alert)>,
    /// Index of `slots[0]` in the sequence of all slots ever opened.
    base: usize,
    ready: Vec<Alert>,
    /// Alerts released early because `MAX_OPEN` was reached.
    pub(crate) evicted: u64,
}

impl Dedup {
    /// A sink with a window of `window_us` microseconds of capture time.
    pub(crate) fn new(window_us: u64) -> Dedup {
        Dedup {
            window_us,
            open: FxHashMap::default(),
            slots: VecDeque::new(),
            base: 0,
            ready: Vec::new(),
            evicted: 0,
        }
    }

    /// One occurrence.
    pub(crate) fn hit(
        &mut self,
        meta: &'static Meta,
        key: u64,
        obs: &Obs,
        describe: impl FnOnce() -> (String, Map<String, Value>),
    ) {
        self.hit_with(meta.sid, key, obs, || meta.clone(), describe);
    }

    /// One occurrence of a detection whose description is not static (user rules).
    pub(crate) fn hit_meta(
        &mut self,
        meta: Meta,
        key: u64,
        obs: &Obs,
        describe: impl FnOnce() -> (String, Map<String, Value>),
    ) {
        self.hit_with(meta.sid, key, obs, || meta, describe);
    }

    /// One occurrence of `sid`'s cause `key`; `meta` and `describe` run only when it opens an
    /// alert (repeats just count).
    fn hit_with(
        &mut self,
        sid: u32,
        key: u64,
        obs: &Obs,
        meta: impl FnOnce() -> Meta,
        describe: impl FnOnce() -> (String, Map<String, Value>),
    ) {
        let k = (sid, key);
        if let Some(&i) = self.open.get(&k) {
            if let Some((_, a)) = self.slots.get_mut(i - self.base) {
                a.count += 1;
                a.last_ts = a.last_ts.max(obs.ts);
                return;
            }
        }
        if self.open.len() >= MAX_OPEN {
            self.evicted += 1;
            self.release_oldest();
        }
        let (message, evidence) = describe();
        let (src_ip, dest_ip) = match &obs.what {
            crate::obs::What::Arp(a) => (Some(a.sender_ip), Some(a.target_ip)),
            _ => (None, None),
        };
        let alert = Alert {
            meta: meta(),
            ts: obs.ts,
            last_ts: obs.ts,
            pcap_cnt: obs.pcap_cnt,
            count: 1,
            flow: obs.flow,
            src_ip,
            dest_ip,
            evidence,
            message,
        };
        self.open.insert(k, self.base + self.slots.len());
        self.slots.push_back((k, alert));
    }

    fn release_oldest(&mut self) {
        if let Some((k, a)) = self.slots.pop_front() {
            self.base += 1;
            self.open.remove(&k);
            self.ready.push(a);
        }
    }

    /// Release the alerts whose window ended before `now` (µs).
    pub(crate) fn advance(&mut self, now: u64) {
        while self
            .slots
            .front()
            .is_some_and(|(_, a)| a.ts.saturating_add(self.window_us) <= now)
        {
            self.release_oldest();
        }
    }

    /// Release everything (end of input).
    pub(crate) fn flush(&mut self) {
        while !self.slots.is_empty() {
            self.release_oldest();
        }
    }

    /// Alerts released so far, in release order.
    pub(crate) fn take(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.ready)
    }
}

#[cfg(test)]
mod tests {
    use super::{Dedup, MAX_OPEN};
    use crate::alert::Meta;
    use crate::obs::{Obs, What};
    use serde_json::Map;

    static META: Meta = Meta {
        sid: 1,
        name: "t",
        signature: "t",
        category: "t",
        severity: 3,
        mitre: &[],
        etsi: &[],
        iec: &[],
    };

    fn at(s: u64) -> Obs {
        Obs {
            ts: s * 1_000_000,
            pcap_cnt: s + 1,
            flow: None,
            what: What::FlowStart,
        }
    }

    #[test]
    fn repeats_in_a_window_count_into_one_alert_and_a_later_one_opens_another() {
        let mut d = Dedup::new(60_000_000);
        for s in [0, 10, 59] {
            d.advance(s * 1_000_000);
            d.hit(&META, 7, &at(s), || ("m".into(), Map::new()));
        }
        d.advance(60_000_000);
        let first = d.take();
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].count, first[0].last_ts), (3, 59_000_000));
        d.hit(&META, 7, &at(61), || ("m".into(), Map::new()));
        d.flush();
        assert_eq!(d.take()[0].count, 1);
    }

    #[test]
    fn open_alerts_are_capped_and_the_oldest_is_released_early() {
        let mut d = Dedup::new(u64::MAX);
        for k in 0..=MAX_OPEN as u64 {
            d.hit(&META, k, &at(0), || ("m".into(), Map::new()));
        }
        assert_eq!(d.evicted, 1);
        let early = d.take();
        assert_eq!(early.len(), 1);
        d.flush();
        assert_eq!(d.take().len(), MAX_OPEN);
    }
}
