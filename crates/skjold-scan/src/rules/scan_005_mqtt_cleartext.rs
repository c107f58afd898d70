//! SCAN-005: MQTT without TLS.
//!
//! An MQTT listener in clear text carries credentials, telemetry and commands readable and
//! modifiable by anyone on the path.

use super::{evidence, Rule};
use crate::model::{ProbeStatus, Severity};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-005",
    name: "mqtt-cleartext",
    title: "MQTT without TLS",
    severity: Severity::Medium,
    description: "The broker speaks MQTT in clear text: user names, passwords, telemetry and commands cross the network unprotected.",
    remediation: "Serve MQTT over TLS (port 8883) with a valid certificate, disable the clear-text listener, and move clients to TLS.",
    etsi_en_303_645: &["5.5-1", "5.5-7"],
    iec_62443: &["SR 3.1", "SR 4.1"],
    mitre_attack_ics: &["T0842", "T0830"],
    check: |_, s| {
        (s.protocol == "mqtt" && s.status == ProbeStatus::Identified && s.fact_bool("tls") == Some(false))
            .then(|| (evidence(s, &["connack", "auth_required"]), None))
    },
};
