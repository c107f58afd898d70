//! SCAN-004: an MQTT broker accepts clients without credentials.
//!
//! The broker returned CONNACK "accepted" to a CONNECT without user name and password: anyone
//! who reaches it can subscribe to telemetry (`#`) and publish commands to devices.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-004",
    name: "mqtt-anonymous",
    title: "MQTT broker accepts anonymous clients",
    severity: Severity::High,
    description: "The MQTT broker accepted a CONNECT without credentials: any client can read all topics and publish commands.",
    remediation: "Disable anonymous access (mosquitto: `allow_anonymous false`), authenticate clients with per-device credentials or client certificates, and restrict topics with ACLs.",
    etsi_en_303_645: &["5.5-4", "5.1-1"],
    iec_62443: &["SR 1.1", "SR 1.2", "SR 2.1"],
    mitre_attack_ics: &["T0855", "T0801"],
    check: |_, s| {
        (matches!(s.protocol.as_str(), "mqtt" | "mqtts") && s.fact_bool("auth_required") == Some(false))
            .then(|| (evidence(s, &["connack"]), None))
    },
};
