//! `new_writer` (8200013, severity 2): a write or control command from a client that talked to
//! that server in the baseline but never wrote to it (over this protocol).
//!
//! Severity 2, not 1: the client is a known peer of the device (an HMI that only displayed
//! values and now sends its first command may be an operator's first action after learning);
//! a command from a client the device never talked to is `unauthorized_write`, severity 1.
//!
//! Why: only a few stations (the HMI, the engineering station) may command a controller. A
//! command from anyone else is ATT&CK for ICS T0855 Unauthorized Command Message: in Oldsmar
//! (2021) the setpoint change came through a path nobody expected to write. IEC 62443-3-3
//! SR 2.1 (authorisation enforcement), SR 3.1 (communication integrity).
//!
//! Example: "127.0.1.20 sent a write (`write_single_register`) to 127.0.1.10 over modbus, and
//! never wrote to it before: holding register 10 (unit 1) = 95". Runs with `--baseline`; one
//! alert per client, server and protocol per window.

use super::learned::{flow_evidence, op_evidence, show, where_};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_013,
    name: "new_writer",
    signature: "SKJOLD write or command from a known client never seen writing",
    category: "Unauthorized command",
    severity: 2,
    mitre: &["T0855"],
    etsi: &[],
    iec: &["SR 2.1", "SR 3.1"],
};

pub(crate) struct NewWriter;

impl Detection for NewWriter {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (Some(_), What::Op(op), Some(f)) = (cx.baseline, &obs.what, &obs.flow) else {
            return;
        };
        if !f.from_client || !op.class.modifies() {
            return;
        }
        let (c, s) = (f.client.ip, f.server.ip);
        if !cx.pair_known() || cx.pair_proto().is_some_and(|p| p.writes) {
            return; // unseen clients are unauthorized_write's
        }
        cx.alert(&META, key(&(c, s, f.proto)), obs, || {
            let mut ev = flow_evidence(f);
            op_evidence(&mut ev, op);
            let what = match (op.address, op.values.first()) {
                (Some(a), Some(v)) => format!(": {} = {}", where_(op, a), show(*v)),
                (Some(a), None) => format!(": {}", where_(op, a)),
                _ => op
                    .control
                    .map(|k| format!(": {}", k.name()))
                    .unwrap_or_default(),
            };
            (
                format!(
                    "{c} sent a {} ({}) to {s} over {}, and never wrote to it before{what}",
                    op.class.name(),
                    op.function_name,
                    f.proto
                ),
                ev,
            )
        });
    }
}
