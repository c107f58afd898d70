//! SCAN-020: default credentials accepted (`--intrusive` only).
//!
//! The service accepted a login from the bundled list of factory defaults or from the user's
//! `--creds` file. The password is not written to the report, only the user name.

use super::Rule;
use crate::model::Severity;
use serde_json::json;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-020",
    name: "default-credentials",
    title: "Default credentials accepted",
    severity: Severity::Critical,
    description: "A login with a known default user name and password succeeded.",
    remediation: "Change the password now (unique per device, strong), disable unused accounts, and require a password change at first use on new devices.",
    etsi_en_303_645: &["5.1-1", "5.1-2"],
    iec_62443: &["SR 1.5", "SR 1.7"],
    mitre_attack_ics: &["T0812"],
    check: |_, s| {
        let pair = s.fact_str("default_credentials")?;
        let user = pair.split(':').next().unwrap_or_default();
        Some((json!({"protocol": s.protocol, "user": user}), None))
    },
};
