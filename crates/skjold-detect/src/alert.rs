//! Alerts: what detection reports, deduplicated (one alert per cause per window, with a count),
//! and written by `skjold watch` as EVE `alert` events (SPEC §3).

use crate::obs::{FlowRef, Host};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// The fixed description of a detection (a built-in one or a user rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// `alert.signature_id`. Built-in detections use 8,200,001 and up; user rules choose theirs
    /// (outside that range).
    pub sid: u32,
    /// Stable `snake_case` name (the built-in file's name, or the rule's `name`).
    pub name: &'static str,
    /// `alert.signature`: one line, what was detected.
    pub signature: &'static str,
    /// `alert.category`.
    pub category: &'static str,
    /// `alert.severity`: 1 high, 2 medium, 3 low.
    pub severity: u8,
    /// ATT&CK for ICS technique ids.
    pub mitre: &'static [&'static str],
    /// ETSI EN 303 645 provisions.
    pub etsi: &'static [&'static str],
    /// IEC 62443-3-3 system requirements.
    pub iec: &'static [&'static str],
}

/// One alert, after deduplication.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The detection.
    pub meta: Meta,
    /// Capture time of the first occurrence in the window (µs).
    pub ts: u64,
    /// Capture time of the last occurrence (µs).
    pub last_ts: u64,
    /// Packet number of the first occurrence.
    pub pcap_cnt: u64,
    /// Occurrences in the window.
    pub count: u64,
    /// The flow of the first occurrence.
    pub flow: Option<FlowRef>,
    /// Source and destination when there is no flow (ARP).
    pub src_ip: Option<IpAddr>,
    /// See `src_ip`.
    pub dest_ip: Option<IpAddr>,
    /// Evidence fields (client, register, value before and after, learned range...).
    pub evidence: Map<String, Value>,
    /// One plain-language sentence for the terminal and for `alert.message`.
    pub message: String,
}

impl Alert {
    /// Source endpoint of the alert.
    pub fn src(&self) -> Option<&Host> {
        self.flow.as_ref().map(FlowRef::src)
    }

    /// The members of EVE's `alert` object: `action`, `gid`, `signature_id`, `rev`,
    /// `signature`, `category`, `severity`, `metadata` (technique ids and standard references),
    /// then Skjold's `count`, `first_seen`/`last_seen` (µs), `message` and `evidence`.
    pub fn eve_object(&self) -> Value {
        let strs = |v: &[&str]| Value::Array(v.iter().map(|s| Value::from(*s)).collect());
        let mut metadata = Map::new();
        metadata.insert("mitre_attack_ics".into(), strs(self.meta.mitre));
        metadata.insert("etsi_en_303_645".into(), strs(self.meta.etsi));
        metadata.insert("iec_62443".into(), strs(self.meta.iec));
        metadata.insert("detection".into(), Value::from(self.meta.name));
        let mut o = Map::new();
        o.insert("action".into(), "allowed".into());
        o.insert("gid".into(), 1.into());
        o.insert("signature_id".into(), self.meta.sid.into());
        o.insert("rev".into(), 1.into());
        o.insert("signature".into(), self.meta.signature.into());
        o.insert("category".into(), self.meta.category.into());
        o.insert("severity".into(), self.meta.severity.into());
        o.insert("metadata".into(), Value::Object(metadata));
        o.insert("count".into(), self.count.into());
        o.insert("first_seen_us".into(), self.ts.into());
        o.insert("last_seen_us".into(), self.last_ts.into());
        o.insert("message".into(), self.message.clone().into());
        o.insert("evidence".into(), Value::Object(self.evidence.clone()));
        Value::Object(o)
    }
}
