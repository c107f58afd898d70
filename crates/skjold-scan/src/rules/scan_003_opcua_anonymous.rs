//! SCAN-003: an OPC UA server accepts anonymous users.
//!
//! An Anonymous user token policy lets any client that can open a secure channel browse, read
//! and (depending on the address space's permissions) write nodes and call methods.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-003",
    name: "opcua-anonymous-user",
    title: "OPC UA server accepts anonymous users",
    severity: Severity::Medium,
    description: "An endpoint offers the Anonymous user identity token: sessions need no user authentication.",
    remediation: "Disable the Anonymous token; require UserName (over an encrypted channel) or X.509 user tokens and give each user only the permissions it needs.",
    etsi_en_303_645: &["5.5-4"],
    iec_62443: &["SR 1.1", "SR 2.1"],
    mitre_attack_ics: &["T0859"],
    check: |_, s| {
        let t = s.facts.get("user_token_types")?.as_array()?;
        (s.protocol == "opcua" && t.iter().any(|m| m == "Anonymous"))
            .then(|| (evidence(s, &["user_token_types"]), None))
    },
};
