//! Built-in detections, one file each. A file's `//!` paragraph is its user documentation: what
//! it detects, why it matters, an example, references. Each file declares its [`Meta`] (id,
//! severity, ATT&CK for ICS techniques, ETSI EN 303 645 and IEC 62443 references) and one type
//! implementing [`Detection`].
//!
//! Detections marked `needs_baseline` run only with `--baseline`; the others run whenever
//! detection is on (also while learning).

mod arp_spoof;
mod arp_storm;
mod broadcast_write;
mod cleartext_credentials;
mod common;
mod communication_control;
mod default_credentials;
mod device_restart;
mod discovery_sweep;
mod dnp3_unsolicited_disable;
mod exception_storm;
mod firmware_operation;
mod flood;
mod identification_request;
mod iec104_unknown_station;
pub(crate) mod learned;
mod measurement_out_of_range;
mod modbus_listen_only;
mod mqtt_anonymous_session;
mod new_asset;
mod new_communication_pair;
mod new_function_on_pair;
mod new_protocol_on_pair;
mod new_topic_published;
mod new_writer;
mod opcua_security_none;
mod plc_start;
mod plc_stop;
mod program_delete;
mod program_download;
mod program_upload;
mod protocol_anomaly;
mod remote_access;
mod reset_process;
mod tls_expired_certificate;
mod tls_old_version;
mod tls_self_signed_certificate;
mod tls_weak_cipher;
mod unauthorized_write;
mod value_out_of_range;
mod write_outside_learned_addresses;

use crate::alert::Meta;
use crate::dedup::Dedup;
use crate::index::Index;
use crate::obs::Obs;
use serde_json::{Map, Value};

/// A built-in detection.
pub(crate) trait Detection: Send {
    /// Its fixed description.
    fn meta(&self) -> &'static Meta;
    /// Whether it compares traffic with a learned baseline (runs only with `--baseline`).
    fn needs_baseline(&self) -> bool {
        false
    }
    /// The kinds of observation it looks at ([`kind`] bits); the detector calls `check` only
    /// with those.
    fn kinds(&self) -> u16 {
        kind::ALL
    }
    /// Look at one observation; report through `cx`.
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>);
}

/// Bits of the observation kinds, for [`Detection::kinds`].
pub(crate) mod kind {
    use crate::obs::What;

    pub(crate) const FLOW_START: u16 = 1;
    pub(crate) const APP_DETECTED: u16 = 1 << 1;
    pub(crate) const OP: u16 = 1 << 2;
    pub(crate) const CREDENTIALS: u16 = 1 << 3;
    pub(crate) const SESSION: u16 = 1 << 4;
    pub(crate) const TLS: u16 = 1 << 5;
    pub(crate) const ANOMALY: u16 = 1 << 6;
    pub(crate) const ARP: u16 = 1 << 7;
    pub(crate) const ALL: u16 = 0xff;

    /// The index (0..8) of an observation's kind.
    pub(crate) fn index(w: &What) -> usize {
        match w {
            What::FlowStart => 0,
            What::AppDetected => 1,
            What::Op(_) => 2,
            What::Credentials(_) => 3,
            What::Session(_) => 4,
            What::Tls(_) => 5,
            What::Anomaly { .. } => 6,
            What::Arp(_) => 7,
        }
    }
}

/// What a detection may use while checking an observation.
pub(crate) struct Cx<'a> {
    /// The compiled baseline, with `--baseline` (or after `--learn-for` switched).
    pub(crate) baseline: Option<&'a Index>,
    /// Deduplicating alert sink.
    pub(crate) dedup: &'a mut Dedup,
    /// Counters of detection limits hit (`summary.json` `errors`, as `detect.<name>`).
    pub(crate) limits: &'a mut rustc_hash::FxHashMap<&'static str, u64>,
    /// For an observation with a flow, with a baseline: whether the baseline knows the pair
    /// (either direction), and what it learned of this protocol on it (client → server).
    /// Looked up once per observation for every detection.
    pub(crate) pair: Option<(bool, Option<&'a crate::index::ProtoIndex>)>,
}

impl<'a> Cx<'a> {
    /// Whether the baseline knows the observation's client/server pair.
    pub(crate) fn pair_known(&self) -> bool {
        self.pair.is_some_and(|(k, _)| k)
    }
    /// What the baseline learned of the observation's protocol on its pair.
    pub(crate) fn pair_proto(&self) -> Option<&'a crate::index::ProtoIndex> {
        self.pair.and_then(|(_, p)| p)
    }
}

impl Cx<'_> {
    /// Report one occurrence of `meta`'s cause `key` at `obs`. Within a window, occurrences of
    /// the same `(sid, key)` are counted into one alert; `describe` (message and evidence) runs
    /// only for the first.
    pub(crate) fn alert(
        &mut self,
        meta: &'static Meta,
        key: u64,
        obs: &Obs,
        describe: impl FnOnce() -> (String, Map<String, Value>),
    ) {
        self.dedup.hit(meta, key, obs, describe);
    }

    /// Count a detection limit hit (a bounded table was full).
    pub(crate) fn limit(&mut self, what: &'static str) {
        *self.limits.entry(what).or_default() += 1;
    }
}

/// Hash of a dedup cause, from anything hashable.
pub(crate) fn key<T: std::hash::Hash>(t: &T) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(t)
}

/// Evidence map builder.
pub(crate) fn ev<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Every built-in detection, fresh.
pub(crate) fn all() -> Vec<Box<dyn Detection>> {
    vec![
        // Baseline detections (8200001-8200099): run with --baseline.
        Box::new(new_asset::NewAsset),
        Box::new(new_communication_pair::NewCommunicationPair),
        Box::new(new_protocol_on_pair::NewProtocolOnPair),
        Box::new(unauthorized_write::UnauthorizedWrite),
        Box::new(write_outside_learned_addresses::WriteOutsideLearnedAddresses),
        Box::new(value_out_of_range::ValueOutOfRange),
        Box::new(iec104_unknown_station::Iec104UnknownStation),
        Box::new(flood::Flood::default()),
        Box::new(new_function_on_pair::NewFunctionOnPair),
        Box::new(new_topic_published::NewTopicPublished),
        Box::new(measurement_out_of_range::MeasurementOutOfRange),
        Box::new(new_writer::NewWriter),
        // Detections that need no baseline (8200101 and up), in sid order.
        Box::new(plc_stop::PlcStop),
        Box::new(plc_start::PlcStart),
        Box::new(device_restart::DeviceRestart),
        Box::new(program_download::ProgramDownload),
        Box::new(program_upload::ProgramUpload),
        Box::new(program_delete::ProgramDelete),
        Box::new(firmware_operation::FirmwareOperation),
        Box::new(reset_process::ResetProcess),
        Box::new(communication_control::CommunicationControl),
        Box::new(modbus_listen_only::ModbusListenOnly),
        Box::new(broadcast_write::BroadcastWrite),
        Box::new(exception_storm::ExceptionStorm::default()),
        Box::new(dnp3_unsolicited_disable::Dnp3UnsolicitedDisable),
        Box::new(discovery_sweep::DiscoverySweep::default()),
        Box::new(identification_request::IdentificationRequest),
        Box::new(remote_access::RemoteAccess),
        Box::new(cleartext_credentials::CleartextCredentials),
        Box::new(default_credentials::DefaultCredentials),
        Box::new(mqtt_anonymous_session::MqttAnonymousSession),
        Box::new(opcua_security_none::OpcuaSecurityNone),
        Box::new(tls_old_version::TlsOldVersion),
        Box::new(tls_weak_cipher::TlsWeakCipher),
        Box::new(tls_expired_certificate::TlsExpiredCertificate),
        Box::new(tls_self_signed_certificate::TlsSelfSignedCertificate),
        Box::new(arp_spoof::ArpSpoof::default()),
        Box::new(arp_storm::ArpStorm::default()),
        Box::new(protocol_anomaly::ProtocolAnomaly),
    ]
}

/// Metadata of every built-in detection (for `--list-detections` and the docs test).
pub fn catalogue() -> Vec<&'static Meta> {
    all().iter().map(|d| d.meta()).collect()
}
