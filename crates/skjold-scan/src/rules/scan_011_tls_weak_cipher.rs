//! SCAN-011: weak TLS cipher suites accepted.
//!
//! NULL, export-grade, anonymous (no server authentication), RC4 and DES/3DES suites give no
//! or broken confidentiality or authentication.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-011",
    name: "tls-weak-cipher",
    title: "Weak TLS cipher suites accepted",
    severity: Severity::High,
    description: "The server chose a NULL, export, anonymous, RC4 or DES/3DES cipher suite when the client offered only those.",
    remediation: "Allow only AEAD suites with forward secrecy (ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3 suites).",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 4.1", "SR 4.3"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let t = s.tls.as_ref()?;
        (!t.weak_suites.is_empty()).then(|| (json!({"weak_suites": t.weak_suites}), None))
    },
};
