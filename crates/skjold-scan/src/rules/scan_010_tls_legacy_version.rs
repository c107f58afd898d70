//! SCAN-010: TLS below 1.2 accepted.
//!
//! `SSLv3`, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996): they rely on MD5/SHA-1 and CBC
//! constructions with known attacks (POODLE, BEAST). `SSLv3` accepted is high severity.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-010",
    name: "tls-legacy-version",
    title: "TLS below 1.2 accepted",
    severity: Severity::Medium,
    description: "The server completes a ServerHello for SSLv3, TLS 1.0 or TLS 1.1, protocol versions deprecated by RFC 8996.",
    remediation: "Accept TLS 1.2 and 1.3 only (e.g. OpenSSL `MinProtocol = TLSv1.2`); update firmware whose TLS stack cannot.",
    etsi_en_303_645: &["5.5-1"],
    iec_62443: &["SR 3.1", "SR 4.3"],
    mitre_attack_ics: &["T0830"],
    check: |_, s| {
        let t = s.tls.as_ref()?;
        let legacy: Vec<&String> = t
            .versions
            .iter()
            .filter(|v| matches!(v.as_str(), "SSLv3" | "TLSv1.0" | "TLSv1.1"))
            .collect();
        if legacy.is_empty() {
            return None;
        }
        let sev = legacy.iter().any(|v| *v == "SSLv3").then_some(Severity::High);
        Some((json!({"legacy_versions": legacy, "versions": t.versions}), sev))
    },
};
