//! SCAN-021: anonymous FTP login accepted (`--intrusive` only).
//!
//! `USER anonymous` is a login attempt, so it is sent only with `--intrusive` (SPEC §8).

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-021",
    name: "ftp-anonymous",
    title: "Anonymous FTP login accepted",
    severity: Severity::High,
    description: "The FTP server accepted the anonymous user: files on it can be read (and possibly written) without credentials.",
    remediation: "Disable anonymous FTP (vsftpd: `anonymous_enable=NO`) or remove the FTP service.",
    etsi_en_303_645: &["5.5-4", "5.6-2"],
    iec_62443: &["SR 1.1", "SR 2.1"],
    mitre_attack_ics: &["T0811"],
    check: |_, s| (s.fact_bool("anonymous_login") == Some(true)).then(|| (evidence(s, &[]), None)),
};
