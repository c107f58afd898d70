//! The scan's result types: hosts, services, identities, TLS details and findings (SPEC §7).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Severity of a finding (SPEC §7): the one type shared with `skjold model`, so `--fail-on`
/// and the reports order and name severities the same way in both commands.
pub use skjold_model::Severity;

/// Transport of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Transport {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

/// How the identification probe of a service ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStatus {
    /// The protocol answered and was identified.
    Identified,
    /// The port is open but the peer did not answer within the timeout.
    Timeout,
    /// The peer closed the connection without a usable answer.
    Closed,
    /// The peer answered with bytes that are not the expected protocol.
    Unrecognised,
    /// Only the port was checked (no probe for it).
    OpenOnly,
}

/// TLS details of a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// Protocol versions the server accepted ("`SSLv3`", "TLSv1.0", ... "TLSv1.3").
    pub versions: Vec<String>,
    /// Cipher suite chosen by the server for each accepted version, IANA names.
    pub suites: BTreeMap<String, String>,
    /// Weak suites (NULL, export, anonymous, RC4, DES/3DES) the server accepted.
    pub weak_suites: Vec<String>,
    /// The leaf certificate, when one was read (TLS 1.2 and below send it in clear).
    pub certificate: Option<CertInfo>,
}

/// What the scanner read from a certificate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// End of validity passed at scan time.
    pub expired: bool,
    /// Start of validity in the future at scan time.
    pub not_yet_valid: bool,
    /// Issuer equals subject and the signature verifies with the certificate's own key
    /// (or issuer equals subject when the signature could not be checked).
    pub self_signed: bool,
    /// Public key algorithm ("RSA", "EC", "Ed25519", ...).
    pub key_type: String,
    /// Public key size in bits.
    pub key_bits: u32,
    /// Signature algorithm name ("sha256WithRSAEncryption", ...).
    pub signature_algorithm: String,
    /// DNS names and addresses of the subject alternative name extension, then the CN.
    pub names: Vec<String>,
    /// Whether the scanned host name matches `names` (None when scanned by address only).
    pub hostname_match: Option<bool>,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-1 fingerprint of the DER certificate, colon hex (as browsers show it).
    pub fingerprint_sha1: String,
}

/// One open port with what the scanner learnt about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Port number.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
    /// Protocol name ("modbus", "mqtt", "tls", "http", ...).
    pub protocol: String,
    /// How the identification ended.
    pub status: ProbeStatus,
    /// Identity fields (vendor, product, version, banner, ...).
    pub identity: BTreeMap<String, String>,
    /// TLS details when the service speaks TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// Protocol facts the checks use (e.g. `auth_required`, `security_modes`).
    pub facts: BTreeMap<String, serde_json::Value>,
    /// A note on a probe error, timeout or partial answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Time spent identifying the service (connect excluded), milliseconds.
    pub elapsed_ms: u64,
}

impl Service {
    /// A new service with an empty identity.
    pub fn new(port: u16, transport: Transport, protocol: &str) -> Self {
        Self {
            port,
            transport,
            protocol: protocol.to_owned(),
            status: ProbeStatus::OpenOnly,
            identity: BTreeMap::new(),
            tls: None,
            facts: BTreeMap::new(),
            note: None,
            elapsed_ms: 0,
        }
    }

    /// Sets an identity field (empty values are skipped).
    pub fn ident(&mut self, key: &str, value: impl Into<String>) {
        let v: String = value.into();
        let v = v.trim().to_owned();
        if !v.is_empty() {
            self.identity.insert(key.to_owned(), v);
        }
    }

    /// Sets a fact.
    pub fn fact(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.facts.insert(key.to_owned(), value.into());
    }

    /// A boolean fact, if set.
    pub fn fact_bool(&self, key: &str) -> Option<bool> {
        self.facts.get(key).and_then(serde_json::Value::as_bool)
    }

    /// A string fact, if set.
    pub fn fact_str(&self, key: &str) -> Option<&str> {
        self.facts.get(key).and_then(serde_json::Value::as_str)
    }
}

/// One scanned host that had at least one open service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Address.
    pub address: String,
    /// The host name given on the command line, if the target was a name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Open services, by transport then port.
    pub services: Vec<Service>,
}

/// A finding in the common schema of SPEC §7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id of this instance: `rule@address:port/transport`.
    pub id: String,
    /// Rule id (`SCAN-...`).
    pub rule: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// The service: `address:port/transport (protocol)`.
    pub target: String,
    /// What was observed.
    pub evidence: serde_json::Value,
    /// ETSI EN 303 645 provisions.
    pub etsi_en_303_645: Vec<String>,
    /// IEC 62443-3-3 system requirements.
    pub iec_62443: Vec<String>,
    /// MITRE ATT&CK for ICS techniques.
    pub mitre_attack_ics: Vec<String>,
    /// What to do.
    pub remediation: String,
}

/// Counters of a scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Addresses scanned.
    pub hosts_scanned: u64,
    /// Hosts with at least one open service.
    pub hosts_up: u64,
    /// TCP ports tried (host x port).
    pub tcp_probes: u64,
    /// UDP probes sent.
    pub udp_probes: u64,
    /// Open services.
    pub services: u64,
    /// Services whose identification timed out.
    pub timeouts: u64,
    /// Credential attempts made (`--intrusive` only).
    pub credential_attempts: u64,
    /// Wall time, seconds.
    pub elapsed_s: f64,
}

/// The whole result of a scan (the JSON output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Tool name and version.
    pub tool: String,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// The targets as given.
    pub targets: Vec<String>,
    /// Whether `--intrusive` was set.
    pub intrusive: bool,
    /// True when the scan was interrupted and the results are partial.
    pub interrupted: bool,
    /// Counters.
    pub stats: Stats,
    /// Hosts with open services, by address.
    pub hosts: Vec<Host>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// Highest finding severity, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
