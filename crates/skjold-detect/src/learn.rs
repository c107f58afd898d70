//! Learning a baseline from observations: assets, client → server pairs, per pair and protocol
//! the functions, units, address sets, names and writers, the request rate and polling periods,
//! and the range of every process variable. Every table is capped; what does not fit is counted
//! (`detect.learn_*` in `summary.json`) and left out of the baseline (so it alerts later: the
//! safe side).

use crate::baseline::{Asset, Baseline, Learned, Pair, PairProto, Variable, VERSION};
use crate::obs::{Obs, What};
use crate::ranges::RangeSet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Caps of the learner.
const MAX_ASSETS: usize = 50_000;
const MAX_PAIRS: usize = 50_000;
const MAX_VARS: usize = 200_000;
const MAX_NAMES: usize = 100;
const MAX_INTERVALS: usize = 512;
const MAX_MACS: usize = 4;
/// Values a variable needs before its range goes into the baseline: a range learned from one
/// or two values is not a range (a setpoint written once would make any later change an
/// alert); such variables stay out, and writes to them are judged by the address sets.
pub(crate) const MIN_SAMPLES: u32 = 5;

/// Requests per minute, and the highest minute.
#[derive(Debug, Default, Clone)]
pub(crate) struct PerMinute {
    minute: u64,
    count: u64,
    /// Highest count of any complete or current minute.
    pub(crate) max: u64,
}

impl PerMinute {
    /// Count one event at `ts` (µs); returns the count of the current minute.
    pub(crate) fn hit(&mut self, ts: u64) -> u64 {
        let m = ts / 60_000_000;
        if m != self.minute {
            self.minute = m;
            self.count = 0;
        }
        self.count += 1;
        self.max = self.max.max(self.count);
        self.count
    }
}

#[derive(Debug, Default)]
struct ProtoAcc {
    functions: BTreeMap<u32, &'static str>,
    writes: bool,
    units: BTreeSet<u32>,
    read: BTreeMap<&'static str, RangeSet>,
    written: BTreeMap<&'static str, RangeSet>,
    names: BTreeSet<String>,
    last: BTreeMap<u32, u64>,
    intervals: BTreeMap<u32, Vec<u64>>,
    rate: PerMinute,
}

#[derive(Debug, Default)]
struct PairAcc {
    protos: BTreeMap<&'static str, ProtoAcc>,
    flows: PerMinute,
}

#[derive(Debug, Clone, Copy)]
struct VarAcc {
    min: f64,
    max: f64,
    written: bool,
    samples: u32,
}

type VarKey = (IpAddr, &'static str, Option<u32>, &'static str, u32);

/// Accumulates what normal traffic does.
#[derive(Debug, Default)]
pub(crate) struct Learner {
    first: Option<u64>,
    last: u64,
    observations: u64,
    assets: BTreeMap<IpAddr, BTreeSet<[u8; 6]>>,
    pairs: BTreeMap<(IpAddr, IpAddr), PairAcc>,
    vars: BTreeMap<VarKey, VarAcc>,
    /// Items left out because a table was full.
    pub(crate) dropped: u64,
}

/// Addresses that name no single device (broadcast, multicast, unspecified).
pub(crate) fn is_group(ip: &IpAddr) -> bool {
    match ip {
        // x.x.x.255 is taken as a subnet broadcast (NetBIOS, SSDP and BACnet broadcast to it on
        // /24 networks, by far the most common in plants).
        IpAddr::V4(v) => {
            v.is_broadcast() || v.is_multicast() || v.is_unspecified() || v.octets()[3] == 255
        }
        IpAddr::V6(v) => v.is_multicast() || v.is_unspecified(),
    }
}

impl Learner {
    fn asset(&mut self, ip: IpAddr, mac: Option<[u8; 6]>) {
        if is_group(&ip) {
            return;
        }
        if !self.assets.contains_key(&ip) && self.assets.len() >= MAX_ASSETS {
            self.dropped += 1;
            return;
        }
        let macs = self.assets.entry(ip).or_default();
        if let Some(m) = mac {
            if macs.len() < MAX_MACS {
                macs.insert(m);
            }
        }
    }

    fn pair(&mut self, c: IpAddr, s: IpAddr) -> Option<&mut PairAcc> {
        if !self.pairs.contains_key(&(c, s)) && self.pairs.len() >= MAX_PAIRS {
            self.dropped += 1;
            return None;
        }
        Some(self.pairs.entry((c, s)).or_default())
    }

    pub(crate) fn observe(&mut self, o: &Obs) {
        self.observations += 1;
        self.first.get_or_insert(o.ts);
        self.last = self.last.max(o.ts);
        if let What::Arp(a) = &o.what {
            if a.op == 2 || a.gratuitous {
                self.asset(a.sender_ip, Some(a.sender_mac));
            }
            return;
        }
        let Some(f) = o.flow else { return };
        let (c, s) = (f.client, f.server);
        match &o.what {
            What::FlowStart => {
                self.asset(c.ip, c.mac);
                self.asset(s.ip, s.mac);
                if let Some(p) = self.pair(c.ip, s.ip) {
                    p.flows.hit(o.ts);
                }
            }
            What::AppDetected => {
                if let Some(p) = self.pair(c.ip, s.ip) {
                    p.protos.entry(f.proto).or_default();
                }
            }
            What::Op(op) => {
                self.variables(o.ts, s.ip, f.proto, op);
                let Some(p) = self.pair(c.ip, s.ip) else {
                    return;
                };
                let acc = p.protos.entry(f.proto).or_default();
                if f.from_client {
                    acc.functions.entry(op.function).or_insert(op.function_name);
                    acc.rate.hit(o.ts);
                    if let Some(prev) = acc.last.insert(op.function, o.ts) {
                        let iv = acc.intervals.entry(op.function).or_default();
                        if iv.len() < MAX_INTERVALS {
                            iv.push(o.ts.saturating_sub(prev));
                        }
                    }
                    if op.class.modifies() {
                        acc.writes = true;
                    }
                    if let Some(u) = op.unit {
                        acc.units.insert(u);
                    }
                }
                if let Some(name) = &op.name {
                    if acc.names.len() < MAX_NAMES {
                        acc.names.insert(name.to_string());
                    }
                }
                if let (Some(a), false) = (op.address, op.space.is_empty()) {
                    let hi = a.saturating_add(op.count.max(1) - 1);
                    let sets = if op.class.modifies() {
                        &mut acc.written
                    } else {
                        &mut acc.read
                    };
                    sets.entry(op.space).or_default().insert(a, hi);
                }
            }
            _ => {}
        }
    }

    /// Widen the learned range of every process variable the operation carries a value of.
    fn variables(&mut self, _ts: u64, server: IpAddr, proto: &'static str, op: &crate::obs::Op) {
        let (Some(a), false) = (op.address, op.space.is_empty()) else {
            return;
        };
        let written = op.class.modifies();
        for (i, v) in op.values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let key = (server, proto, op.unit, op.space, a.saturating_add(i as u32));
            if let Some(acc) = self.vars.get_mut(&key) {
                acc.min = acc.min.min(*v);
                acc.max = acc.max.max(*v);
                acc.written |= written;
                acc.samples = acc.samples.saturating_add(1);
            } else if self.vars.len() < MAX_VARS {
                self.vars.insert(
                    key,
                    VarAcc {
                        min: *v,
                        max: *v,
                        written,
                        samples: 1,
                    },
                );
            } else {
                self.dropped += 1;
            }
        }
    }

    pub(crate) fn finish(&self, margin: f64) -> Baseline {
        let ts = |us: u64| {
            let s = (us / 1_000_000) as i64;
            fmt_rfc3339(s)
        };
        let assets = self
            .assets
            .iter()
            .map(|(ip, macs)| Asset {
                ip: *ip,
                macs: macs.iter().map(|m| fmt_mac(*m)).collect(),
            })
            .collect();
        let pairs = self
            .pairs
            .iter()
            .map(|((c, s), p)| Pair {
                client: *c,
                server: *s,
                protocols: p
                    .protos
                    .iter()
                    .map(|(name, a)| PairProto {
                        protocol: (*name).to_owned(),
                        functions: a
                            .functions
                            .iter()
                            .map(|(k, v)| (*k, (*v).to_owned()))
                            .collect(),
                        writes: a.writes,
                        units: a.units.iter().copied().collect(),
                        read: a
                            .read
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), v.to_string()))
                            .collect(),
                        written: a
                            .written
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), v.to_string()))
                            .collect(),
                        names: a.names.iter().cloned().collect(),
                        period_s: a
                            .intervals
                            .iter()
                            .filter(|(_, v)| v.len() >= 3)
                            .map(|(k, v)| (*k, median_s(v)))
                            .collect(),
                        max_ops_per_min: a.rate.max,
                    })
                    .collect(),
                max_flows_per_min: p.flows.max,
            })
            .collect();
        let variables = self
            .vars
            .iter()
            .filter(|(_, v)| v.samples >= MIN_SAMPLES)
            .map(|((server, proto, unit, space, address), v)| {
                // Widened by the margin times the larger of the range and the magnitude: a
                // reading that drifts around 21,450 is not out of range at 21,417.
                let span = (v.max - v.min).max(v.max.abs()).max(v.min.abs());
                let pad = if span > 0.0 { span * margin } else { 1.0 };
                Variable {
                    server: *server,
                    protocol: (*proto).to_owned(),
                    unit: *unit,
                    space: (*space).to_owned(),
                    address: *address,
                    min: round3(v.min - pad),
                    max: round3(v.max + pad),
                    seen: [v.min, v.max],
                    written: v.written,
                    samples: v.samples,
                }
            })
            .collect();
        Baseline {
            version: VERSION,
            learned: Learned {
                from: self.first.map(ts).unwrap_or_default(),
                to: if self.first.is_some() {
                    ts(self.last)
                } else {
                    String::new()
                },
                observations: self.observations,
            },
            margin,
            assets,
            pairs,
            variables,
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn median_s(v: &[u64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    round3(s[s.len() / 2] as f64 / 1e6)
}

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn fmt_mac(m: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// RFC 3339 UTC of Unix seconds (civil-from-days, proleptic Gregorian).
pub(crate) fn fmt_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::fmt_rfc3339;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(fmt_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_rfc3339(1_612_915_200), "2021-02-10T00:00:00Z");
        assert_eq!(fmt_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
