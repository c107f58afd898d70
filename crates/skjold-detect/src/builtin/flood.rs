//! `flood` (8200008, severity 2): a client sends requests to a server, or opens connections
//! to it, far faster than it ever did in the baseline: more than five times the highest rate
//! of any minute learned, and at least 100 requests (60 connections) per minute above it.
//! Pairs the baseline does not know alert above 1,000 requests or 600 connections a minute.
//!
//! Why: controllers have little CPU and small connection tables; a burst of requests or
//! connections stalls their scan cycle or their communication (ATT&CK for ICS T0814 Denial of
//! Service; IEC 62443-3-3 SR 7.1 denial-of-service protection).
//!
//! Example: "127.0.1.66 sent 4200 modbus requests to 127.0.1.10 in one minute (learned at most
//! 120 a minute)". Runs with `--baseline`; one alert per pair per window.

use super::learned::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::learn::PerMinute;
use crate::obs::{Obs, What};
use rustc_hash::FxHashMap;
use std::net::IpAddr;

pub(crate) static META: Meta = Meta {
    sid: 8_200_008,
    name: "flood",
    signature: "SKJOLD request or connection rate far above the learned rate",
    category: "Denial of service",
    severity: 2,
    mitre: &["T0814"],
    etsi: &[],
    iec: &["SR 7.1"],
};

/// Counters kept at most (pairs × protocols).
const MAX_COUNTERS: usize = 50_000;

#[derive(Default)]
pub(crate) struct Flood {
    /// Keyed by client, server and the address of the protocol's name (the observations'
    /// names are static: its address identifies it without hashing the text; 0 for connections).
    rates: FxHashMap<(IpAddr, IpAddr, usize), PerMinute>,
}

fn limit(learned: Option<u64>, floor_add: u64, unknown: u64) -> u64 {
    match learned {
        Some(m) => (m * 5).max(m + floor_add),
        None => unknown,
    }
}

impl Detection for Flood {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::FLOW_START | super::kind::OP
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (Some(ix), Some(f)) = (cx.baseline, &obs.flow) else {
            return;
        };
        let (c, s) = (f.client.ip, f.server.ip);
        let (what, max) = match &obs.what {
            What::FlowStart => (
                "connections",
                limit(ix.pairs.get(&(c, s)).map(|p| p.max_flows_per_min), 60, 600),
            ),
            What::Op(_) if f.from_client => (
                f.proto,
                limit(cx.pair_proto().map(|p| p.max_ops_per_min), 100, 1000),
            ),
            _ => return,
        };
        let id = if what == "connections" {
            0
        } else {
            what.as_ptr() as usize
        };
        let k = (c, s, id);
        let n = if let Some(r) = self.rates.get_mut(&k) {
            r.hit(obs.ts)
        } else if self.rates.len() < MAX_COUNTERS {
            self.rates.entry(k).or_default().hit(obs.ts)
        } else {
            cx.limit("flood_counters_full");
            return;
        };
        if n <= max {
            return;
        }
        cx.alert(&META, key(&(c, s, what)), obs, || {
            let mut ev = flow_evidence(f);
            ev.insert("per_minute".into(), n.into());
            ev.insert("allowed_per_minute".into(), max.into());
            let noun = if what == "connections" {
                "connections".to_owned()
            } else {
                format!("{what} requests")
            };
            (
                format!("{c} sent more than {max} {noun} to {s} in one minute (the baseline allows {max})"),
                ev,
            )
        });
    }
}
