//! SCAN-022: engineering or debug service exposed.
//!
//! S7comm (the Siemens programming and HMI protocol) and the CODESYS runtime accept program
//! downloads, start/stop and memory access without authentication on many controllers.
//! S7comm is raised when the PLC accepted S7 setup communication; CODESYS when its runtime
//! port (1217 or 2455) is open.

use super::{evidence, Rule};
use crate::model::Severity;

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-022",
    name: "engineering-service-exposed",
    title: "Engineering or debug service exposed",
    severity: Severity::High,
    description: "A controller's engineering protocol (S7comm, CODESYS) is reachable: it allows program upload and download, start/stop and memory access, usually without authentication.",
    remediation: "Reach engineering services only from the engineering workstation zone; enable the controller's access protection (S7 protection level / password, CODESYS user management) and disable unused runtime ports.",
    etsi_en_303_645: &["5.6-1", "5.6-4A"],
    iec_62443: &["SR 1.2", "SR 2.1", "SR 7.7"],
    mitre_attack_ics: &["T0843", "T0858"],
    check: |_, s| {
        let hit = (s.protocol == "s7comm" && s.fact_bool("setup_accepted") == Some(true))
            || (s.protocol == "codesys" && s.fact_bool("engineering") == Some(true));
        hit.then(|| (evidence(s, &["pdu_size"]), None))
    },
};
