//! **`discovery_sweep`** (8200114, severity 2). Detects one source probing many devices: a host
//! starting flows to at least 10 different destination addresses within 60 seconds, or a client
//! addressing at least 10 different unit ids (Modbus unit, DNP3 address, IEC-104 common address,
//! BACnet device) of one server within 60 seconds.
//!
//! OT networks are static: an HMI or a SCADA master talks to a fixed set of devices over
//! long-lived connections. A source that suddenly reaches out to many addresses, or walks through
//! the unit ids behind a gateway, is mapping the network (T0846 Remote System Discovery): the
//! first step of nearly every attack on a plant, by a scanner or by malware such as Industroyer's
//! and Havex's discovery modules. Multicast and limited-broadcast destinations are not counted.
//!
//! With a baseline, connections to pairs it knows and unit ids it saw a client address are not
//! counted: a master that polled forty slaves while learning is not sweeping.
//!
//! Expect this alert (without a baseline) when a capture starts while a master polls ten or more devices (every flow
//! starts at once in the capture) or when a master legitimately polls ten or more units behind
//! one gateway; learn which masters do so and tune with user rules. Repeats within the
//! deduplication window are counted into one alert per source (per source and server for unit
//! ids). At most 10,000 sources and 10,000 client/server pairs are tracked
//! (`detect.discovery_sweep` counts the ones not tracked).
//!
//! Example alert messages:
//!
//! ```text
//! 127.0.1.66 started connections to 10 different hosts within 60 s, the last 127.0.1.20 on tcp port 502
//! 127.0.1.66 addressed 10 different unit ids of the Modbus device 127.0.1.11 within 60 s (modbus units 1 to 10)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0846 Remote System Discovery: <https://attack.mitre.org/techniques/T0846/>
//! - IEC 62443-3-3 SR 5.1 (Network segmentation), SR 6.2 (Continuous monitoring).

use super::common::{device, flow_evidence, Distinct};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use serde_json::Value;
use std::net::IpAddr;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_114,
    name: "discovery_sweep",
    signature: "Discovery sweep: one source probing many devices or unit ids",
    category: "Discovery",
    severity: 2,
    mitre: &["T0846"],
    etsi: &[],
    iec: &["SR 5.1", "SR 6.2"],
};

/// Distinct destinations or unit ids that make a sweep.
pub(crate) const THRESHOLD: usize = 10;
/// Within this window (µs).
pub(crate) const WINDOW_US: u64 = 60_000_000;

/// Destinations per source, unit ids per client and server.
#[derive(Debug)]
pub(crate) struct DiscoverySweep {
    hosts: Distinct<IpAddr, IpAddr>,
    units: Distinct<(IpAddr, IpAddr), u32>,
}

impl Default for DiscoverySweep {
    fn default() -> DiscoverySweep {
        DiscoverySweep {
            hosts: Distinct::new(WINDOW_US, THRESHOLD, "discovery_sweep"),
            units: Distinct::new(WINDOW_US, THRESHOLD, "discovery_sweep"),
        }
    }
}

fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_multicast() || v.is_broadcast(),
        IpAddr::V6(v) => v.is_multicast(),
    }
}

/// "1 to 10" for consecutive ids, else "1, 5, 9".
fn ids(units: &[u32]) -> String {
    let mut sorted = units.to_vec();
    sorted.sort_unstable();
    let consecutive = sorted.windows(2).all(|w| w[1] == w[0] + 1);
    match (consecutive, sorted.first(), sorted.last()) {
        (true, Some(a), Some(b)) => format!("{a} to {b}"),
        _ => sorted
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl Detection for DiscoverySweep {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::FLOW_START | super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let Some(f) = &obs.flow else {
            return;
        };
        match &obs.what {
            // With a baseline, connections it knows are not discovery (a SCADA master polling
            // its forty slaves is learned, not a sweep).
            What::FlowStart
                if !is_group(f.server.ip)
                    && !cx
                        .baseline
                        .is_some_and(|b| b.knows_pair(f.client.ip, f.server.ip)) =>
            {
                let Some(targets) = self.hosts.hit(&f.client.ip, f.server.ip, obs.ts, cx) else {
                    return;
                };
                cx.alert(&META, key(&("hosts", f.client.ip)), obs, || {
                    let message = format!(
                        "{} started connections to {} different hosts within {} s, the last {} \
                         on {} port {}",
                        f.client.ip,
                        targets.len(),
                        WINDOW_US / 1_000_000,
                        f.server.ip,
                        if f.tcp { "tcp" } else { "udp" },
                        f.server.port
                    );
                    let mut e = flow_evidence(f);
                    e.insert("server_port".into(), f.server.port.into());
                    e.insert("distinct".into(), targets.len().into());
                    e.insert(
                        "targets".into(),
                        targets.iter().map(|t| Value::from(t.to_string())).collect(),
                    );
                    e.insert("window_s".into(), (WINDOW_US / 1_000_000).into());
                    (message, e)
                });
            }
            What::Op(op) => {
                let Some(unit) = op.unit else {
                    return;
                };
                let learned = cx.baseline.is_some_and(|b| {
                    b.proto(f.client.ip, f.server.ip, f.proto)
                        .is_some_and(|p| p.units.contains(&unit))
                });
                if learned {
                    return;
                }
                let pair = (f.client.ip, f.server.ip);
                let Some(units) = self.units.hit(&pair, unit, obs.ts, cx) else {
                    return;
                };
                cx.alert(&META, key(&("units", pair)), obs, || {
                    let message = format!(
                        "{} addressed {} different unit ids of the {} {} within {} s ({} units {})",
                        f.client.ip,
                        units.len(),
                        device(f.proto),
                        f.server.ip,
                        WINDOW_US / 1_000_000,
                        f.proto,
                        ids(&units)
                    );
                    let mut e = flow_evidence(f);
                    e.insert("function".into(), op.function_name.into());
                    e.insert("function_code".into(), op.function.into());
                    e.insert("unit".into(), unit.into());
                    e.insert("distinct".into(), units.len().into());
                    e.insert("units".into(), units.iter().copied().collect());
                    e.insert("window_s".into(), (WINDOW_US / 1_000_000).into());
                    (message, e)
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DiscoverySweep, THRESHOLD};
    use crate::builtin::common::testkit::{at, flow, op, req, run};
    use crate::obs::{Obs, Op, OpClass, What};

    /// Flow starts from 127.0.1.66 to 127.0.1.1, .2, ... one every `step_ms`.
    fn starts(n: usize, step_ms: u64) -> Vec<Obs> {
        (1..=n as u64)
            .map(|i| {
                let f = flow("127.0.1.66", &format!("127.0.1.{i}"), "tcp");
                at(i * step_ms, Some(f), What::FlowStart)
            })
            .collect()
    }

    #[test]
    fn ten_hosts_within_a_minute_fire_and_more_are_counted() {
        let alerts = run(&mut DiscoverySweep::default(), &starts(THRESHOLD + 2, 100));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_114);
        assert_eq!(a.count, 3);
        assert_eq!(
            a.message,
            "127.0.1.66 started connections to 10 different hosts within 60 s, the last \
             127.0.1.10 on tcp port 502"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["distinct"], 10);
        assert_eq!(a.evidence["targets"][0], "127.0.1.1");
        assert_eq!(a.evidence["targets"][9], "127.0.1.10");
    }

    #[test]
    fn nine_hosts_or_ten_over_more_than_a_minute_or_one_host_many_times_do_not_fire() {
        assert!(run(&mut DiscoverySweep::default(), &starts(THRESHOLD - 1, 100)).is_empty());
        assert!(run(&mut DiscoverySweep::default(), &starts(THRESHOLD, 7000)).is_empty());
        let f = flow("127.0.1.66", "127.0.1.11", "tcp");
        let same: Vec<Obs> = (0..30).map(|i| at(i, Some(f), What::FlowStart)).collect();
        assert!(run(&mut DiscoverySweep::default(), &same).is_empty());
    }

    #[test]
    fn multicast_destinations_are_not_counted() {
        let obs: Vec<Obs> = (1..=20)
            .map(|i| {
                let f = flow("127.0.1.66", &format!("239.0.0.{i}"), "udp");
                at(i, Some(f), What::FlowStart)
            })
            .collect();
        assert!(run(&mut DiscoverySweep::default(), &obs).is_empty());
    }

    fn unit_reads(units: std::ops::RangeInclusive<u32>) -> Vec<Obs> {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        units
            .map(|u| {
                let o = Op {
                    unit: Some(u),
                    ..req(OpClass::Identify, 43, "read_device_identification")
                };
                op(u64::from(u) * 10, f, o)
            })
            .collect()
    }

    #[test]
    fn ten_unit_ids_of_one_server_fire() {
        let alerts = run(&mut DiscoverySweep::default(), &unit_reads(1..=10));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(
            a.message,
            "127.0.1.66 addressed 10 different unit ids of the Modbus device 127.0.1.11 within \
             60 s (modbus units 1 to 10)"
        );
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["units"].as_array().unwrap().len(), 10);
        assert_eq!(a.evidence["function"], "read_device_identification");
    }

    #[test]
    fn nine_unit_ids_do_not_fire() {
        assert!(run(&mut DiscoverySweep::default(), &unit_reads(1..=9)).is_empty());
    }
}
