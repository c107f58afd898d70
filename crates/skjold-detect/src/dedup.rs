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
    /// Open alerts in opening order, with their keys; `None` once released.
    slots: VecDeque<Option<((u32, u64), Alert)>>,
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
        self.hit_meta(meta.clone(), key, obs, describe);
    }

    /// One occurrence of a detection whose description is not static (user rules).
    pub(crate) fn hit_meta(
        &mut self,
        meta: Meta,
        key: u64,
        obs: &Obs,
        describe: impl FnOnce() -> (String, Map<String, Value>),
    ) {
        let k = (meta.sid, key);
        if let Some(&i) = self.open.get(&k) {
            if let Some(Some((_, a))) = self.slots.get_mut(i - self.base) {
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
            meta,
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
        self.slots.push_back(Some((k, alert)));
    }

    fn release_oldest(&mut self) {
        while let Some(front) = self.slots.pop_front() {
            self.base += 1;
            if let Some((k, a)) = front {
                self.open.remove(&k);
                self.ready.push(a);
                return;
            }
        }
    }

    /// Release the alerts whose window ended before `now` (µs).
    pub(crate) fn advance(&mut self, now: u64) {
        while let Some(Some((_, a))) = self.slots.front() {
            if a.ts.saturating_add(self.window_us) > now {
                break;
            }
            self.release_oldest();
        }
        // Skip released holes at the front.
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
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
