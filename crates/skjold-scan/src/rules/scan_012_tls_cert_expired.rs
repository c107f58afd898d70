//! SCAN-012: TLS certificate expired or not yet valid.
//!
//! Clients either reject the certificate or, worse, are configured to ignore validation, which
//! leaves them open to interception.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-012",
    name: "tls-cert-expired",
    title: "TLS certificate expired or not yet valid",
    severity: Severity::Medium,
    description: "The server's certificate is outside its validity period at scan time.",
    remediation: "Renew the certificate and automate renewal (EST, ACME or the device vendor's certificate management) before expiry.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 1.8", "SR 1.9"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let c = s.tls.as_ref()?.certificate.as_ref()?;
        (c.expired || c.not_yet_valid).then(|| {
            (json!({"subject": c.subject, "not_before": c.not_before, "not_after": c.not_after}), None)
        })
    },
};
