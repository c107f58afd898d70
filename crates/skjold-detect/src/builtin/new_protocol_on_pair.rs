//! `new_protocol_on_pair` (8200003, severity 2): a known client/server pair started to speak
//! an application protocol it never used in the baseline.
//!
//! Why: an HMI that polls a PLC over Modbus does not suddenly open S7comm or VNC to it. A new
//! protocol on a known edge is a tool being used through an existing path (engineering
//! software, remote access, a scanner) (IEC 62443-3-3 SR 5.1).
//!
//! Example: "127.0.1.20 spoke s7comm to 127.0.1.10 (tcp/102), a protocol this pair never used".
//! Runs with `--baseline` for pairs the baseline knows (unknown pairs alert as
//! `new_communication_pair`).

use super::learned::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_003,
    name: "new_protocol_on_pair",
    signature: "SKJOLD new application protocol on a known pair",
    category: "Network communication change",
    severity: 2,
    mitre: &[],
    etsi: &[],
    iec: &["SR 5.1"],
};

pub(crate) struct NewProtocolOnPair;

impl Detection for NewProtocolOnPair {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::APP_DETECTED
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (Some(ix), What::AppDetected, Some(f)) = (cx.baseline, &obs.what, &obs.flow) else {
            return;
        };
        let (c, s) = (f.client.ip, f.server.ip);
        if !ix.knows_pair(c, s)
            || ix.proto(c, s, f.proto).is_some()
            || ix.proto(s, c, f.proto).is_some()
        {
            return;
        }
        cx.alert(&META, key(&(c, s, f.proto)), obs, || {
            (
                format!(
                    "{c} spoke {} to {s} ({}/{}), a protocol this pair never used",
                    f.proto,
                    if f.tcp { "tcp" } else { "udp" },
                    f.server.port
                ),
                flow_evidence(f),
            )
        });
    }
}
