//! SCAN-008: HTTP management in clear text.
//!
//! A web interface without TLS exposes its session cookies and any password typed into it.
//! With HTTP Basic or Digest authentication required over clear text the severity is high
//! (Basic sends the password in base64 with every request).

use super::{evidence, Rule};
use crate::model::{ProbeStatus, Severity};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-008",
    name: "http-cleartext",
    title: "HTTP management interface without TLS",
    severity: Severity::Medium,
    description: "A web server answers in clear text: logins, session cookies and configuration pages can be read and altered in transit.",
    remediation: "Serve the interface over HTTPS only (TLS 1.2 or later, valid certificate) and redirect or disable plain HTTP.",
    etsi_en_303_645: &["5.5-1", "5.5-7"],
    iec_62443: &["SR 3.1", "SR 4.1"],
    mitre_attack_ics: &["T0842", "T0830"],
    check: |_, s| {
        if s.protocol != "http" || s.status != ProbeStatus::Identified {
            return None;
        }
        let sev = s
            .fact_str("auth_scheme")
            .is_some_and(|a| a.eq_ignore_ascii_case("basic") || a.eq_ignore_ascii_case("digest"))
            .then_some(Severity::High);
        Some((evidence(s, &["status", "auth_scheme"]), sev))
    },
};
