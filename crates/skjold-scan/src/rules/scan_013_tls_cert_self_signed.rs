//! SCAN-013: self-signed TLS certificate.
//!
//! A self-signed certificate cannot be validated against a trust anchor: clients must pin it
//! or, usually, disable validation.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-013",
    name: "tls-cert-self-signed",
    title: "Self-signed TLS certificate",
    severity: Severity::Medium,
    description: "The server's certificate is self-signed (issuer equals subject): clients cannot validate it against a trusted CA.",
    remediation: "Issue the device certificate from the plant's or the vendor's CA (unique per device) and distribute the CA certificate to clients.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 1.8"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let c = s.tls.as_ref()?.certificate.as_ref()?;
        c.self_signed
            .then(|| (json!({"subject": c.subject, "issuer": c.issuer}), None))
    },
};
