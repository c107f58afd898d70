//! `new_communication_pair` (8200002, severity 3): a client opened a flow to a server it never
//! talked to in the baseline (either direction counts as known).
//!
//! Why: OT traffic is a fixed mesh (HMI ↔ PLCs, historian ↔ servers). A new edge is a new
//! conduit: a misconfiguration, lateral movement, or an attacker reaching a controller
//! (IEC 62443-3-3 SR 5.1 network segmentation, SR 5.2 zone boundary protection).
//!
//! Example: "127.0.1.66 opened a connection to 127.0.1.10 on tcp/502 (modbus): a communication
//! pair not in the baseline". Groups (broadcast, multicast) are ignored. Runs with
//! `--baseline`; one alert per pair per window.

use super::learned::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::learn::is_group;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_002,
    name: "new_communication_pair",
    signature: "SKJOLD new communication pair not in the baseline",
    category: "Network communication change",
    severity: 3,
    mitre: &[],
    etsi: &[],
    iec: &["SR 5.1", "SR 5.2"],
};

pub(crate) struct NewCommunicationPair;

impl Detection for NewCommunicationPair {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::FLOW_START
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (Some(ix), What::FlowStart, Some(f)) = (cx.baseline, &obs.what, &obs.flow) else {
            return;
        };
        let (c, s) = (f.client.ip, f.server.ip);
        if is_group(&s) || is_group(&c) || ix.knows_pair(c, s) {
            return;
        }
        cx.alert(&META, key(&(c, s)), obs, || {
            (
                format!(
                    "{c} opened a connection to {s} on {}/{}: a communication pair not in the baseline",
                    if f.tcp { "tcp" } else { "udp" },
                    f.server.port
                ),
                flow_evidence(f),
            )
        });
    }
}
