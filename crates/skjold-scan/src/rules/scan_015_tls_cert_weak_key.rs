//! SCAN-015: TLS certificate with a short key.
//!
//! RSA and DSA keys below 2048 bits and EC keys below 256 bits are below current guidance
//! (NIST SP 800-131A, BSI TR-02102).

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-015",
    name: "tls-cert-weak-key",
    title: "TLS certificate with a short key",
    severity: Severity::High,
    description: "The certificate's public key is shorter than 2048 bits (RSA, DSA) or 256 bits (EC).",
    remediation: "Re-key the device with RSA 3072 (at least 2048) or ECDSA P-256 or stronger and re-issue its certificate.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 1.9", "SR 4.3"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let c = s.tls.as_ref()?.certificate.as_ref()?;
        let weak = match c.key_type.as_str() {
            "RSA" | "DSA" => c.key_bits < 2048,
            "EC" => c.key_bits < 256,
            _ => false,
        };
        weak.then(|| (json!({"key_type": c.key_type, "key_bits": c.key_bits}), None))
    },
};
