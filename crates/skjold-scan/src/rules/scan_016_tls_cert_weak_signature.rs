//! SCAN-016: TLS certificate signed with SHA-1 or MD5.
//!
//! Collisions are practical for MD5 and SHA-1 (`SHAttered`, 2017): such signatures no longer
//! bind the certificate.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-016",
    name: "tls-cert-weak-signature",
    title: "TLS certificate signed with SHA-1 or MD5",
    severity: Severity::Medium,
    description: "The certificate's signature algorithm uses MD5 or SHA-1.",
    remediation: "Re-issue the certificate with a SHA-256 (or stronger) signature.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 1.9", "SR 4.3"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let c = s.tls.as_ref()?.certificate.as_ref()?;
        let a = c.signature_algorithm.to_ascii_lowercase();
        (a.contains("sha1") || a.contains("md5"))
            .then(|| (json!({"signature_algorithm": c.signature_algorithm}), None))
    },
};
