//! SCAN-007: FTP in clear text.
//!
//! FTP sends its login and the files (often configuration or firmware) in clear text.

use super::{evidence, Rule};
use crate::model::{ProbeStatus, Severity};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-007",
    name: "ftp-cleartext",
    title: "FTP in clear text",
    severity: Severity::Medium,
    description: "An FTP server answered: credentials and transferred files (configuration, firmware, logs) cross the network unprotected.",
    remediation: "Disable FTP, or replace it with SFTP or FTPS with a valid certificate; never use it for firmware or configuration transfer across zones.",
    etsi_en_303_645: &["5.5-1", "5.5-7", "5.6-1"],
    iec_62443: &["SR 4.1", "SR 7.7"],
    mitre_attack_ics: &["T0842"],
    check: |_, s| {
        (s.protocol == "ftp" && s.status == ProbeStatus::Identified)
            .then(|| (evidence(s, &["greeting_code"]), None))
    },
};
