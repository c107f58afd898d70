//! Helpers shared by the built-in detections that need no baseline: naming devices in
//! plain-language messages, the evidence every request alert carries, the check behind the
//! device-state-change detections, and bounded sliding-window counters.

use super::{key, Cx};
use crate::alert::Meta;
use crate::obs::{Control, FlowRef, Obs, Op, What};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::hash::Hash;

/// Keys a window table tracks at most; beyond it new keys are not tracked (a limit hit).
pub(crate) const MAX_KEYS: usize = 10_000;

/// What a device speaking `proto` is called in a message ("the S7 PLC 10.0.0.5").
pub(crate) fn device(proto: &str) -> &'static str {
    match proto {
        "modbus" => "Modbus device",
        "s7comm" | "s7comm_plus" => "S7 PLC",
        "enip" => "EtherNet/IP device",
        "dnp3" => "DNP3 outstation",
        "iec104" => "IEC-104 station",
        "bacnet" => "BACnet device",
        "opcua" => "OPC UA server",
        "mqtt" => "MQTT broker",
        "coap" => "CoAP device",
        "ftp" => "FTP server",
        "telnet" => "Telnet server",
        "http" => "HTTP server",
        "tls" => "TLS server",
        _ => "device",
    }
}

/// Evidence of a request: `client`, `server`, `protocol`, `function`, `function_code`, `unit`
/// (null when the protocol has none), `target` when the request addresses a name and
/// `exception` when the server refused.
pub(crate) fn op_evidence(f: &FlowRef, op: &Op) -> Map<String, Value> {
    let mut m = flow_evidence(f);
    m.insert("function".into(), op.function_name.into());
    m.insert("function_code".into(), op.function.into());
    m.insert("unit".into(), op.unit.map_or(Value::Null, Value::from));
    if let Some(n) = &op.name {
        m.insert("target".into(), n.as_ref().into());
    }
    if let Some(e) = op.exception {
        m.insert("exception".into(), e.into());
    }
    m
}

/// Evidence of a flow: `client`, `server`, `protocol`.
pub(crate) fn flow_evidence(f: &FlowRef) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("client".into(), f.client.ip.to_string().into());
    m.insert("server".into(), f.server.ip.to_string().into());
    m.insert("protocol".into(), f.proto.into());
    m
}

/// The parenthesised tail of a request message: `(s7comm function pi_service, target _DELE,
/// unit 1, refused with exception 5)`; the target is the name the request addresses (an S7 PI
/// service, an MQTT topic, an OPC UA node), when it has one.
pub(crate) fn op_tail(f: &FlowRef, op: &Op) -> String {
    let mut s = format!("({} function {}", f.proto, op.function_name);
    if let Some(n) = &op.name {
        let _ = write!(s, ", target {n}");
    }
    if let Some(u) = op.unit {
        let _ = write!(s, ", unit {u}");
    }
    if let Some(e) = op.exception {
        let _ = write!(s, ", refused with exception {e}");
    }
    s.push(')');
    s
}

/// The request and its flow when `obs` is an [`Op`] asking for the state change `want`.
pub(crate) fn control_op(obs: &Obs, want: Control) -> Option<(&FlowRef, &Op)> {
    match (&obs.what, &obs.flow) {
        (What::Op(op), Some(f)) if op.control == Some(want) => Some((f, op)),
        _ => None,
    }
}

/// The check behind the device-state-change detections: alert once per client, server,
/// function and unit when a request asks for `want`. `verb` completes "`<client>` ... the S7 PLC
/// `<server>`", e.g. "sent a STOP command to".
pub(crate) fn check_control(
    meta: &'static Meta,
    want: Control,
    verb: &str,
    obs: &Obs,
    cx: &mut Cx<'_>,
) {
    let Some((f, op)) = control_op(obs, want) else {
        return;
    };
    let cause = (f.client.ip, f.server.ip, op.function, op.unit);
    cx.alert(meta, key(&cause), obs, || {
        let message = format!(
            "{} {verb} the {} {} {}",
            f.client.ip,
            device(f.proto),
            f.server.ip,
            op_tail(f, op)
        );
        let mut e = op_evidence(f, op);
        e.insert("control".into(), want.name().into());
        (message, e)
    });
}

/// A UTC date `YYYY-MM-DD` from seconds since the Unix epoch (proleptic Gregorian calendar).
pub(crate) fn date(secs: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The TLS server a handshake evidences: `client`, `server`, `protocol`, `sni` when sent.
pub(crate) fn tls_evidence(f: &FlowRef, tls: &crate::obs::Tls) -> Map<String, Value> {
    let mut m = flow_evidence(f);
    m.insert("server_port".into(), f.server.port.into());
    if let Some(sni) = &tls.sni {
        m.insert("sni".into(), sni.as_ref().into());
    }
    m
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`.
pub(crate) fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Whether a full table may drop its stale keys now: at most once per period (a tenth of the
/// window, at least one second), so a flood of new keys costs one scan per period, not one per
/// key.
fn may_purge(last: &mut Option<u64>, ts: u64, window_us: u64) -> bool {
    let period = (window_us / 10).max(1_000_000);
    if last.is_some_and(|l| ts < l.saturating_add(period)) {
        return false;
    }
    *last = Some(ts);
    true
}

/// Sliding-window event counters per key: how many events a key had in the last `window_us`,
/// keeping at most `threshold` timestamps per key and [`MAX_KEYS`] keys.
#[derive(Debug)]
pub(crate) struct Rate<K> {
    window_us: u64,
    threshold: usize,
    limit: &'static str,
    keys: FxHashMap<K, VecDeque<u64>>,
    purged: Option<u64>,
}

impl<K: Hash + Eq + Clone> Rate<K> {
    /// Counters that report from `threshold` events within `window_us`; a full table counts as
    /// the limit `limit`.
    pub(crate) fn new(window_us: u64, threshold: usize, limit: &'static str) -> Rate<K> {
        Rate {
            window_us,
            threshold,
            limit,
            keys: FxHashMap::default(),
            purged: None,
        }
    }

    /// One event of `k` at `ts`: the number of events of `k` in the window ending at `ts` when
    /// it reaches the threshold, else `None`.
    pub(crate) fn hit(&mut self, k: &K, ts: u64, cx: &mut Cx<'_>) -> Option<usize> {
        if !self.keys.contains_key(k) && self.keys.len() >= MAX_KEYS {
            let w = self.window_us;
            if may_purge(&mut self.purged, ts, w) {
                self.keys
                    .retain(|_, q| q.back().is_some_and(|&t| t.saturating_add(w) > ts));
            }
            if self.keys.len() >= MAX_KEYS {
                cx.limit(self.limit);
                return None;
            }
        }
        let q = self.keys.entry(k.clone()).or_default();
        q.push_back(ts);
        while q
            .front()
            .is_some_and(|&t| t.saturating_add(self.window_us) <= ts)
        {
            q.pop_front();
        }
        while q.len() > self.threshold {
            q.pop_front();
        }
        (q.len() >= self.threshold).then_some(q.len())
    }
}

/// Distinct values per key within a sliding window: how many different `V` a key met in the
/// last `window_us`, keeping at most `threshold` values per key and [`MAX_KEYS`] keys.
#[derive(Debug)]
pub(crate) struct Distinct<K, V> {
    window_us: u64,
    threshold: usize,
    limit: &'static str,
    keys: FxHashMap<K, Vec<(V, u64)>>,
    purged: Option<u64>,
}

impl<K: Hash + Eq + Clone, V: Eq + Clone> Distinct<K, V> {
    /// Sets that report from `threshold` distinct values within `window_us`; a full table
    /// counts as the limit `limit`.
    pub(crate) fn new(window_us: u64, threshold: usize, limit: &'static str) -> Distinct<K, V> {
        Distinct {
            window_us,
            threshold,
            limit,
            keys: FxHashMap::default(),
            purged: None,
        }
    }

    /// `k` met `v` at `ts`: the distinct values of `k` in the window ending at `ts` (oldest
    /// first) when they reach the threshold, else `None`.
    pub(crate) fn hit(&mut self, k: &K, v: V, ts: u64, cx: &mut Cx<'_>) -> Option<Vec<V>> {
        let w = self.window_us;
        let fresh = |t: u64| t.saturating_add(w) > ts;
        if !self.keys.contains_key(k) && self.keys.len() >= MAX_KEYS {
            if may_purge(&mut self.purged, ts, w) {
                self.keys.retain(|_, vs| vs.iter().any(|&(_, t)| fresh(t)));
            }
            if self.keys.len() >= MAX_KEYS {
                cx.limit(self.limit);
                return None;
            }
        }
        let vs = self.keys.entry(k.clone()).or_default();
        vs.retain(|(x, t)| fresh(*t) && *x != v);
        vs.push((v, ts));
        if vs.len() > self.threshold {
            vs.remove(0);
        }
        (vs.len() >= self.threshold).then(|| vs.iter().map(|(x, _)| x.clone()).collect())
    }
}

/// Test helpers: observations and a detection run through a [`crate::dedup::Dedup`].
#[cfg(test)]
pub(crate) mod testkit {
    use crate::alert::Alert;
    use crate::builtin::{Cx, Detection};
    use crate::dedup::Dedup;
    use crate::obs::{FlowRef, Host, Obs, Op, OpClass, What};
    use rustc_hash::FxHashMap;

    /// A flow from `client` to `server` (IP strings) speaking `proto`, request direction.
    pub(crate) fn flow(client: &str, server: &str, proto: &'static str) -> FlowRef {
        FlowRef {
            flow_id: 7,
            client: Host {
                ip: client.parse().unwrap(),
                port: 49152,
                mac: None,
            },
            server: Host {
                ip: server.parse().unwrap(),
                port: 502,
                mac: None,
            },
            tcp: true,
            proto,
            from_client: true,
        }
    }

    /// An observation at `ms` milliseconds of capture time.
    pub(crate) fn at(ms: u64, flow: Option<FlowRef>, what: What) -> Obs {
        Obs {
            ts: 1_700_000_000_000_000 + ms * 1000,
            pcap_cnt: ms + 1,
            flow,
            what,
        }
    }

    /// An [`Op`] observation.
    pub(crate) fn op(ms: u64, flow: FlowRef, op: Op) -> Obs {
        at(ms, Some(flow), What::Op(op))
    }

    /// A request of `class` with a function code and name.
    pub(crate) fn req(class: OpClass, function: u32, name: &'static str) -> Op {
        Op::new(class, function, name)
    }

    /// Run `d` over `obs` with a one-hour dedup window; the alerts and the limits hit.
    pub(crate) fn run_limits(
        d: &mut dyn Detection,
        obs: &[Obs],
    ) -> (Vec<Alert>, FxHashMap<&'static str, u64>) {
        let mut dedup = Dedup::new(3_600_000_000);
        let mut limits = FxHashMap::default();
        for o in obs {
            let mut cx = Cx {
                baseline: None,
                dedup: &mut dedup,
                limits: &mut limits,
                pair: None,
            };
            d.check(o, &mut cx);
        }
        dedup.flush();
        (dedup.take(), limits)
    }

    /// Run `d` over `obs` with a one-hour dedup window; the alerts.
    pub(crate) fn run(d: &mut dyn Detection, obs: &[Obs]) -> Vec<Alert> {
        run_limits(d, obs).0
    }

    /// The one alert `d` raises for `o` sent twice on `f` within the window: it carries
    /// `meta` and counts both.
    pub(crate) fn once_counted(
        d: &mut dyn Detection,
        meta: &crate::alert::Meta,
        f: FlowRef,
        o: Op,
    ) -> Alert {
        let mut alerts = run(d, &[op(0, f, o.clone()), op(500, f, o)]);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = alerts.remove(0);
        assert_eq!(&a.meta, meta);
        assert_eq!(a.count, 2);
        a
    }

    /// `d` still alerts on `o` when the device refused it with exception 5, and says so.
    pub(crate) fn refused_says_so(d: &mut dyn Detection, f: FlowRef, o: Op) {
        let o = Op {
            exception: Some(5),
            ..o
        };
        let alerts = run(d, &[op(0, f, o)]);
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].message.ends_with(", refused with exception 5)"));
        assert_eq!(alerts[0].evidence["exception"], 5);
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::run_limits;
    use super::{Distinct, Rate, MAX_KEYS};
    use crate::alert::Meta;
    use crate::builtin::{Cx, Detection};
    use crate::obs::{Obs, What};

    static META: Meta = Meta {
        sid: 1,
        name: "probe",
        signature: "probe",
        category: "test",
        severity: 3,
        mitre: &[],
        etsi: &[],
        iec: &["SR 6.2"],
    };

    /// Counts one event per observation under the key `pcap_cnt % modulus`.
    struct Probe {
        rate: Rate<u64>,
        distinct: Distinct<u64, u64>,
        modulus: u64,
        fired: Vec<usize>,
    }

    impl Detection for Probe {
        fn meta(&self) -> &'static Meta {
            &META
        }
        fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
            let k = obs.pcap_cnt % self.modulus;
            if let Some(n) = self.rate.hit(&k, obs.ts, cx) {
                self.fired.push(n);
            }
            if let Some(vs) = self.distinct.hit(&0, obs.pcap_cnt, obs.ts, cx) {
                self.fired.push(vs.len() + 1000);
            }
        }
    }

    fn obs(n: u64, ts: u64) -> Obs {
        Obs {
            ts,
            pcap_cnt: n,
            flow: None,
            what: What::FlowStart,
        }
    }

    #[test]
    fn the_request_tail_names_target_unit_and_exception() {
        use crate::builtin::common::testkit::{flow, req};
        use crate::obs::{Op, OpClass};
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let op = Op {
            name: Some("_DELE".into()),
            unit: Some(2),
            exception: Some(5),
            ..req(OpClass::Control, 0x28, "pi_service")
        };
        assert_eq!(
            super::op_tail(&f, &op),
            "(s7comm function pi_service, target _DELE, unit 2, refused with exception 5)"
        );
        assert_eq!(super::op_evidence(&f, &op)["target"], "_DELE");
        let bare = req(OpClass::Control, 0x29, "plc_stop");
        assert_eq!(super::op_tail(&f, &bare), "(s7comm function plc_stop)");
        assert!(!super::op_evidence(&f, &bare).contains_key("target"));
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(951_782_400), "2000-02-29");
        assert_eq!(super::date(1_700_000_000), "2023-11-14");
        assert_eq!(super::date(-86_400), "1969-12-31");
    }

    #[test]
    fn rate_fires_at_the_threshold_within_the_window_only() {
        let mut p = Probe {
            rate: Rate::new(10, 3, "probe"),
            distinct: Distinct::new(10, 100, "probe"),
            modulus: 1,
            fired: Vec::new(),
        };
        // Events at 0, 5, 10 (0 has left the window at 10), 12: the third in-window event is 12.
        let evs: Vec<Obs> = [0, 5, 10, 12].iter().map(|&t| obs(1, t)).collect();
        run_limits(&mut p, &evs);
        assert_eq!(p.fired, vec![3]);
    }

    #[test]
    fn distinct_counts_each_value_once_and_forgets_old_ones() {
        let mut p = Probe {
            rate: Rate::new(10, 100, "probe"),
            distinct: Distinct::new(10, 3, "probe"),
            modulus: 1,
            fired: Vec::new(),
        };
        // Values 1, 1, 2 (one distinct pair), then 3 at t=20 when 1 and 2 have expired.
        let evs = [
            obs(1, 0),
            obs(1, 1),
            obs(2, 2),
            obs(3, 20),
            obs(4, 21),
            obs(5, 22),
        ];
        run_limits(&mut p, &evs);
        assert_eq!(p.fired, vec![1003]);
    }

    #[test]
    fn a_full_table_forgets_stale_keys_before_refusing_new_ones() {
        let mut p = Probe {
            rate: Rate::new(10, 2, "probe_keys"),
            distinct: Distinct::new(1, 100, "probe"),
            modulus: u64::MAX,
            fired: Vec::new(),
        };
        // MAX_KEYS keys at t=0, then two new keys after the window: the stale ones are dropped.
        let mut evs: Vec<Obs> = (0..MAX_KEYS as u64).map(|n| obs(n, 0)).collect();
        evs.push(obs(u64::MAX - 1, 2_000_000));
        evs.push(obs(u64::MAX - 2, 2_000_001));
        let (_, limits) = run_limits(&mut p, &evs);
        assert!(limits.is_empty());
        assert_eq!(p.rate.keys.len(), 2);
    }

    #[test]
    fn a_full_rate_table_counts_a_limit_hit() {
        let mut p = Probe {
            rate: Rate::new(1_000_000, 2, "probe_keys"),
            distinct: Distinct::new(1, 100, "probe"),
            modulus: u64::MAX,
            fired: Vec::new(),
        };
        let evs: Vec<Obs> = (0..=MAX_KEYS as u64).map(|n| obs(n, 5)).collect();
        let (_, limits) = run_limits(&mut p, &evs);
        assert_eq!(limits.get("probe_keys"), Some(&1));
    }
}
