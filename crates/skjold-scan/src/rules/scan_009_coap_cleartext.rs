//! SCAN-009: CoAP without DTLS answers resource discovery.
//!
//! The device answered `GET /.well-known/core` over plain CoAP: its resources are readable,
//! and usually writable, by anyone who can send it a datagram.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-009",
    name: "coap-cleartext-unauthenticated",
    title: "CoAP without DTLS or authentication",
    severity: Severity::Medium,
    description: "A CoAP endpoint answers without DTLS (coaps) or OSCORE: requests are not authenticated and traffic is in clear text.",
    remediation: "Serve CoAP over DTLS (port 5684) or protect it with OSCORE, and require authenticated clients for every resource that changes state.",
    etsi_en_303_645: &["5.5-1", "5.5-4"],
    iec_62443: &["SR 1.2", "SR 4.1"],
    mitre_attack_ics: &["T0842", "T0855"],
    check: |_, s| {
        (s.protocol == "coap" && s.fact_bool("auth_required") == Some(false))
            .then(|| (evidence(s, &["response_code", "resources"]), None))
    },
};
