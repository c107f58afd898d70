//! `unauthorized_write` (8200004, severity 1): a write or control command (register/coil
//! write, DNP3 operate, IEC-104 command, S7 write or PI service, CIP set/stop, BACnet write,
//! OPC UA write/call) from a client that never communicated with that server in the baseline.
//! (A known client of the server that only read and now writes is `new_writer`, severity 2.)
//!
//! Why: only a few stations (the HMI, the engineering station) may command a controller. A
//! command from anyone else is ATT&CK for ICS T0855 Unauthorized Command Message: in Oldsmar
//! (2021) the setpoint change came through a path nobody expected to write. IEC 62443-3-3
//! SR 2.1 (authorisation enforcement), SR 3.1 (communication integrity).
//!
//! Example: "127.0.1.66, a client never seen talking to 127.0.1.10, sent it a write
//! (`write_single_register`) over modbus: holding register 10 (unit 1) = 11100". Runs with
//! `--baseline`; one alert per client, server and protocol per window.

use super::learned::{flow_evidence, op_evidence, show, where_};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_004,
    name: "unauthorized_write",
    signature: "SKJOLD write or command from a client never seen talking to this device",
    category: "Unauthorized command",
    severity: 1,
    mitre: &["T0855"],
    etsi: &[],
    iec: &["SR 2.1", "SR 3.1"],
};

pub(crate) struct UnauthorizedWrite;

impl Detection for UnauthorizedWrite {
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
        if cx.pair_known() {
            return; // new_writer judges known clients
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
                    "{c}, a client never seen talking to {s}, sent it a {} ({}) over {}{what}",
                    op.class.name(),
                    op.function_name,
                    f.proto
                ),
                ev,
            )
        });
    }
}
