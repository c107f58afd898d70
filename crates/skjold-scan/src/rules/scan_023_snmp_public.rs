//! SCAN-023: SNMP answers the default community `public` (`--intrusive` only).

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-023",
    name: "snmp-default-community",
    title: "SNMP default community accepted",
    severity: Severity::High,
    description: "The SNMP agent answered a GetRequest with the community string `public`: configuration and inventory are readable by anyone, and v1/v2c communities travel in clear text.",
    remediation: "Disable SNMP v1/v2c or change the community; prefer SNMPv3 with authPriv and restrict the agent to the management hosts.",
    etsi_en_303_645: &["5.1-1", "5.5-1"],
    iec_62443: &["SR 1.5", "SR 4.1"],
    mitre_attack_ics: &["T0812", "T0888"],
    check: |_, s| (s.fact_bool("community_public") == Some(true)).then(|| (evidence(s, &[]), None)),
};
