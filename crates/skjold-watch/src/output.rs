//! Per-worker output: EVE lines (buffered, flushed in whole lines to the shared `eve.json`),
//! counters for `summary.json`, and the asset book. Application states reach it through
//! `AppCtx`; the engine merges the workers' outputs at the end.

use crate::app::{AppProto, Dir, Endpoint};
use crate::assets::AssetBook;
use crate::flow::{FlowMeta, Peer, L4};
use crate::json::JsonWriter;
use skjold_detect::obs::{FlowRef, Host};
use skjold_detect::{Alert, Obs, What};
use skjold_net::Ts;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Bytes of EVE lines a worker buffers before writing them to the shared file.
const EVE_FLUSH_BYTES: usize = 256 * 1024;

/// Where EVE lines go: one writer shared by all workers, written in whole chunks of lines.
pub type EveSink = Arc<Mutex<dyn std::io::Write + Send>>;

/// Which events are written.
#[derive(Clone, Copy, Debug)]
pub struct LogMask {
    protos: [bool; AppProto::ALL.len()],
}

impl LogMask {
    /// Log every protocol.
    pub fn all() -> LogMask {
        LogMask {
            protos: [true; AppProto::ALL.len()],
        }
    }

    /// Log no protocol event (alerts, assets and summary are still written).
    pub fn none() -> LogMask {
        LogMask {
            protos: [false; AppProto::ALL.len()],
        }
    }

    /// Enable one protocol.
    pub fn enable(&mut self, p: AppProto) {
        self.protos[p.index()] = true;
    }

    /// Whether `p` is logged.
    pub fn enabled(&self, p: AppProto) -> bool {
        self.protos[p.index()]
    }

    /// Whether anything is logged (anomaly events follow the protocol switches; transport
    /// anomalies are logged when any protocol is).
    pub fn any(&self) -> bool {
        self.protos.iter().any(|b| *b)
    }
}

/// Counters that end up in `summary.json`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Packets read.
    pub packets: u64,
    /// Bytes of packet data (captured length).
    pub bytes: u64,
    /// Flows created.
    pub flows: u64,
    /// Events written (protocol events and anomalies).
    pub events: u64,
    /// Alerts written.
    pub alerts: u64,
    /// Packets per application protocol (`modbus`, `mqtt`, `tcp`, `udp`, `other`...).
    pub by_app_proto: BTreeMap<&'static str, u64>,
    /// PDUs parsed per application protocol.
    pub pdus: BTreeMap<&'static str, u64>,
    /// Error and limit counts by kind.
    pub errors: BTreeMap<String, u64>,
    /// Unicast conversation bytes per (src, dst) pair, for the top-talkers summary.
    pub talkers: BTreeMap<(IpAddr, IpAddr), u64>,
}

impl Stats {
    /// Add another worker's counters.
    pub fn merge(&mut self, o: Stats) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.flows += o.flows;
        self.events += o.events;
        self.alerts += o.alerts;
        for (k, v) in o.by_app_proto {
            *self.by_app_proto.entry(k).or_default() += v;
        }
        for (k, v) in o.pdus {
            *self.pdus.entry(k).or_default() += v;
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for (k, v) in o.talkers {
            *self.talkers.entry(k).or_default() += v;
        }
    }

    /// Count one error of `kind`.
    pub fn error(&mut self, kind: &str) {
        if let Some(v) = self.errors.get_mut(kind) {
            *v += 1;
        } else {
            self.errors.insert(kind.to_owned(), 1);
        }
    }
}

/// One worker's output.
pub struct Output {
    mask: LogMask,
    sink: Option<EveSink>,
    /// Finished EVE lines, and the line being written at the end.
    w: JsonWriter,
    /// Counters.
    pub stats: Stats,
    /// Assets.
    pub assets: AssetBook,
    /// Number of the packet being processed (written as `pcap_cnt`).
    pub(crate) pcap_cnt: u64,
    /// PDUs per protocol not yet folded into `stats.pdus` (an array: counted per PDU).
    pdu_counts: [u64; AppProto::ALL.len()],
    /// Whether observations are collected for detection.
    pub(crate) detect: bool,
    /// Observations not yet handed to the detector.
    pub(crate) obs: Vec<Obs>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("mask", &self.mask)
            .field("buffered", &self.w.len())
            .finish_non_exhaustive()
    }
}

impl Output {
    /// An output writing EVE lines to `sink` (or keeping them in memory when `None`).
    pub fn new(mask: LogMask, sink: Option<EveSink>) -> Output {
        Output {
            mask,
            sink,
            w: JsonWriter::new(),
            stats: Stats::default(),
            assets: AssetBook::default(),
            pcap_cnt: 0,
            pdu_counts: [0; AppProto::ALL.len()],
            detect: false,
            obs: Vec::new(),
        }
    }

    /// An output that also collects observations for detection when `detect`.
    pub fn with_detect(mask: LogMask, sink: Option<EveSink>, detect: bool) -> Output {
        let mut o = Output::new(mask, sink);
        o.detect = detect;
        o
    }

    /// An in-memory output logging everything, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Output {
        let mut o = Output::new(LogMask::all(), None);
        o.detect = true;
        o
    }

    /// The EVE lines kept in memory, parsed (unit tests).
    #[cfg(test)]
    pub(crate) fn take_events(&mut self) -> Vec<serde_json::Value> {
        let mut buf = Vec::new();
        let _ = self.w.drain_to(&mut buf);
        buf.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("EVE line is valid JSON"))
            .collect()
    }

    /// EVE bytes buffered and not yet flushed.
    pub(crate) fn buffered_eve(&self) -> usize {
        self.w.len()
    }

    /// Whether per-PDU events of `p` are written.
    pub(crate) fn log_enabled(&self, p: AppProto) -> bool {
        self.mask.enabled(p)
    }

    /// Write buffered lines to the sink (all of them when `force`).
    pub fn flush(&mut self, force: bool) -> std::io::Result<()> {
        if self.w.is_empty() || (!force && self.w.len() < EVE_FLUSH_BYTES) {
            return Ok(());
        }
        if let Some(sink) = &self.sink {
            let mut g = sink
                .lock()
                .map_err(|_| std::io::Error::other("EVE writer lock poisoned"))?;
            self.w.drain_to(&mut *g)?;
            if force {
                g.flush()?;
            }
        }
        Ok(())
    }

    fn header(
        &mut self,
        ts: Ts,
        flow: &FlowMeta,
        from: Dir,
        event_type: &str,
        app: Option<AppProto>,
    ) {
        let (src, dst) = match from {
            Dir::ToServer => (&flow.client, &flow.server),
            Dir::ToClient => (&flow.server, &flow.client),
        };
        let pcap_cnt = self.pcap_cnt;
        let w = &mut self.w;
        w.start_line();
        w.set_ts("timestamp", ts);
        w.set_uint("flow_id", flow.flow_id);
        if pcap_cnt > 0 {
            w.set_uint("pcap_cnt", pcap_cnt);
        }
        w.set_str("event_type", event_type);
        w.set_ip("src_ip", src.ip);
        w.set_uint("src_port", u64::from(src.port));
        w.set_ip("dest_ip", dst.ip);
        w.set_uint("dest_port", u64::from(dst.port));
        w.set_str("proto", flow.l4.name());
        if let Some(a) = app {
            w.set_str("app_proto", a.name());
        }
    }

    fn finish_line(&mut self) {
        self.w.close();
        self.w.end_line();
        self.stats.events += 1;
        if self.w.len() >= EVE_FLUSH_BYTES {
            // An I/O error here is reported when the engine flushes at the end.
            let _ = self.flush(false);
        }
    }

    /// Write one protocol event; `body` writes the members of the protocol's object.
    pub(crate) fn app_event(
        &mut self,
        ts: Ts,
        flow: &FlowMeta,
        from: Dir,
        proto: AppProto,
        body: impl FnOnce(&mut JsonWriter),
    ) {
        if !self.mask.enabled(proto) {
            return;
        }
        self.header(ts, flow, from, proto.name(), Some(proto));
        self.w.open_object(proto.name());
        body(&mut self.w);
        self.w.close();
        self.finish_line();
    }

    /// Count (and, when that protocol is logged, write) an anomaly. `proto` is `None` for
    /// transport-level anomalies (TCP reassembly), which are named `tcp.<kind>`.
    pub(crate) fn anomaly(
        &mut self,
        ts: Ts,
        flow: &FlowMeta,
        from: Dir,
        proto: Option<AppProto>,
        kind: &'static str,
    ) {
        let (prefix, logged) = match proto {
            Some(p) => (p.name(), self.mask.enabled(p)),
            None => ("tcp", self.mask.any()),
        };
        let mut key = String::with_capacity(prefix.len() + 1 + kind.len());
        key.push_str(prefix);
        key.push('.');
        key.push_str(kind);
        self.stats.error(&key);
        if self.detect {
            let layer = if proto.is_some() { "app" } else { "stream" };
            self.observe(ts, flow, from, proto, What::Anomaly { layer, kind });
        }
        if !logged {
            return;
        }
        self.header(ts, flow, from, "anomaly", proto);
        self.w.open_object("anomaly");
        match proto {
            Some(p) => {
                self.w.set_str("type", "applayer");
                self.w.set_str("app_proto", p.name());
                self.w.set_str("layer", "proto_parser");
            }
            None => {
                self.w.set_str("type", "stream");
            }
        }
        self.w.set_str("event", kind);
        self.w.close();
        self.finish_line();
    }

    /// Record an identity field for one end of `flow`.
    pub(crate) fn identity(
        &mut self,
        flow: &FlowMeta,
        who: Endpoint,
        field: &'static str,
        value: &str,
        proto: AppProto,
    ) {
        let p: &Peer = match who {
            Endpoint::Client => &flow.client,
            Endpoint::Server => &flow.server,
        };
        self.assets.identity(
            p,
            flow.first_seen,
            field,
            value,
            proto.name(),
            self.pcap_cnt,
        );
    }

    /// Write one alert (SPEC §3): the EVE header of the alert's flow (for ARP alerts, which have
    /// none: `flow_id` 0, ports 0, `proto` `ARP`), then the `alert` object.
    pub(crate) fn alert(&mut self, a: &Alert) {
        let w = &mut self.w;
        w.start_line();
        w.set_ts("timestamp", Ts(a.ts));
        if let Some(f) = &a.flow {
            let (src, dst) = (f.src(), f.dst());
            w.set_uint("flow_id", f.flow_id);
            if a.pcap_cnt > 0 {
                w.set_uint("pcap_cnt", a.pcap_cnt);
            }
            w.set_str("event_type", "alert");
            w.set_ip("src_ip", src.ip);
            w.set_uint("src_port", u64::from(src.port));
            w.set_ip("dest_ip", dst.ip);
            w.set_uint("dest_port", u64::from(dst.port));
            w.set_str("proto", if f.tcp { "TCP" } else { "UDP" });
            if f.proto != "tcp" && f.proto != "udp" {
                w.set_str("app_proto", f.proto);
            }
        } else {
            w.set_uint("flow_id", 0);
            if a.pcap_cnt > 0 {
                w.set_uint("pcap_cnt", a.pcap_cnt);
            }
            w.set_str("event_type", "alert");
            if let Some(ip) = a.src_ip {
                w.set_ip("src_ip", ip);
            }
            w.set_uint("src_port", 0);
            if let Some(ip) = a.dest_ip {
                w.set_ip("dest_ip", ip);
            }
            w.set_uint("dest_port", 0);
            w.set_str("proto", "ARP");
        }
        let body = serde_json::to_vec(&a.eve_object()).unwrap_or_else(|_| b"{}".to_vec());
        w.set_raw("alert", &body);
        self.stats.alerts += 1;
        self.finish_line();
    }

    /// Queue an observation for detection (callers check `self.detect` first, to skip building
    /// it when detection is off).
    pub(crate) fn observe(
        &mut self,
        ts: Ts,
        flow: &FlowMeta,
        from: Dir,
        proto: Option<AppProto>,
        what: What,
    ) {
        let host = |p: &Peer| Host {
            ip: p.ip,
            port: p.port,
            mac: p.mac,
        };
        let proto = proto.map_or(flow.l4.transport_name(), AppProto::name);
        self.obs.push(Obs {
            ts: ts.0,
            pcap_cnt: self.pcap_cnt,
            flow: Some(FlowRef {
                flow_id: flow.flow_id,
                client: host(&flow.client),
                server: host(&flow.server),
                tcp: flow.l4 == L4::Tcp,
                proto,
                from_client: from == Dir::ToServer,
            }),
            what,
        });
    }

    /// Count one PDU of `proto`.
    pub(crate) fn count_pdu(&mut self, proto: AppProto) {
        self.pdu_counts[proto.index()] += 1;
    }

    /// Fold the per-PDU counters into `stats.pdus`.
    pub(crate) fn fold_pdus(&mut self) {
        for p in AppProto::ALL {
            let n = std::mem::take(&mut self.pdu_counts[p.index()]);
            if n > 0 {
                *self.stats.pdus.entry(p.name()).or_default() += n;
            }
        }
    }
}
