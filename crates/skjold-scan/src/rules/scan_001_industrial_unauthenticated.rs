//! SCAN-001: an industrial protocol without authentication is reachable.
//!
//! Modbus/TCP, DNP3 (without Secure Authentication), IEC 60870-5-104, EtherNet/IP and BACnet/IP
//! have no authentication: whoever reaches the port can read and, with the same protocol, write
//! process values or issue commands. The finding is raised when the device answered the
//! protocol's identification request (so the protocol is live, not just a port).

use super::{evidence, Rule};
use crate::model::{ProbeStatus, Severity};

const PROTOCOLS: [&str; 5] = ["modbus", "dnp3", "iec104", "enip", "bacnet"];

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-001",
    name: "industrial-protocol-unauthenticated",
    title: "Industrial protocol without authentication reachable",
    severity: Severity::High,
    description: "The device answers an industrial protocol that has no authentication (Modbus/TCP, DNP3 without SA, IEC-104, EtherNet/IP, BACnet/IP): anyone who reaches the port can read and change process data.",
    remediation: "Restrict the port to the engineering and SCADA hosts that need it (zone and conduit firewall, IEC 62443-3-2), or put the protocol behind an authenticated, encrypted tunnel or its secure variant (DNP3-SA, IEC 62351, CIP Security, BACnet/SC).",
    etsi_en_303_645: &["5.5-4", "5.6-1"],
    iec_62443: &["SR 1.2", "SR 2.1", "SR 5.1"],
    mitre_attack_ics: &["T0855", "T0888"],
    check: |_, s| {
        (PROTOCOLS.contains(&s.protocol.as_str())
            && s.status == ProbeStatus::Identified
            && s.fact_bool("auth_required") == Some(false))
        .then(|| (evidence(s, &["unit_id", "link_address", "testfr_con"]), None))
    },
};
