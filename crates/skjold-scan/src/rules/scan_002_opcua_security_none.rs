//! SCAN-002: an OPC UA server offers an endpoint with `SecurityMode` None.
//!
//! With `SecurityMode` None messages are neither signed nor encrypted: a client can connect
//! without a certificate and traffic can be read and altered in transit.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-002",
    name: "opcua-security-mode-none",
    title: "OPC UA endpoint with SecurityMode None",
    severity: Severity::High,
    description: "The OPC UA server lists an endpoint with SecurityMode None: sessions on it are neither signed nor encrypted and no application certificate is needed.",
    remediation: "Remove the None endpoint; offer only Sign or SignAndEncrypt with a current policy (Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss) and trust client certificates explicitly.",
    etsi_en_303_645: &["5.5-1", "5.5-4"],
    iec_62443: &["SR 1.2", "SR 3.1", "SR 4.1"],
    mitre_attack_ics: &["T0830", "T0842"],
    check: |_, s| {
        let modes = s.facts.get("security_modes")?.as_array()?;
        (s.protocol == "opcua" && modes.iter().any(|m| m == "None"))
            .then(|| (evidence(s, &["security_modes", "security_policies"]), None))
    },
};
