//! SCAN-014: TLS certificate does not match the host name.
//!
//! Checked only when the target was given by name (an address has no name to compare).

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-014",
    name: "tls-cert-hostname-mismatch",
    title: "TLS certificate does not match the host name",
    severity: Severity::Medium,
    description: "None of the certificate's subjectAltName entries (or its CN when there is none) matches the host name scanned.",
    remediation: "Issue a certificate whose subjectAltName lists the names (and addresses) clients use to reach the device.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 1.8", "SR 1.9"],
    mitre_attack_ics: &["T0830"],
    check: |h, s| {
        let c = s.tls.as_ref()?.certificate.as_ref()?;
        (c.hostname_match == Some(false))
            .then(|| (json!({"hostname": h.hostname, "names": c.names}), None))
    },
};
