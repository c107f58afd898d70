//! SCAN-006: Telnet is exposed.
//!
//! Telnet sends logins and the whole management session in clear text; on embedded devices it
//! often gives a root shell.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-006",
    name: "telnet-exposed",
    title: "Telnet management in clear text",
    severity: Severity::High,
    description: "A Telnet service is reachable: logins and commands travel in clear text and the service is a frequent target of default-credential botnets.",
    remediation: "Disable Telnet; manage the device over SSH with key-based authentication or over an authenticated, encrypted management interface.",
    etsi_en_303_645: &["5.5-1", "5.5-7", "5.6-1"],
    iec_62443: &["SR 4.1", "SR 7.7"],
    mitre_attack_ics: &["T0886", "T0842"],
    check: |_, s| (s.protocol == "telnet").then(|| (evidence(s, &["iac_sequences"]), None)),
};
