//! `iec104_unknown_station` (8200007, severity 1): an IEC 60870-5-104 command (single,
//! double, regulating-step, set-point or bitstring command, reset process) reached an
//! outstation from a station that never spoke IEC-104 to it in the baseline.
//!
//! Why: IEC-104 has no authentication; an outstation executes a command from any station that
//! completes the TCP handshake. In the 2016 attack on Ukraine's grid (Industroyer) IEC-104
//! commands from an unexpected host opened breakers. ATT&CK for ICS T0848 Rogue Master,
//! T0855 Unauthorized Command Message; IEC 62443-3-3 SR 1.2 (device identification and
//! authentication), SR 2.1.
//!
//! Example: "127.0.1.66 sent IEC-104 command `C_SC_NA_1` to outstation 127.0.1.40 (ioa 5001) and
//! never spoke IEC-104 to it in the baseline". Runs with `--baseline`.

use super::learned::{flow_evidence, op_evidence};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, OpClass, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_007,
    name: "iec104_unknown_station",
    signature: "SKJOLD IEC-104 command from a station not in the baseline",
    category: "Unauthorized command",
    severity: 1,
    mitre: &["T0848", "T0855"],
    etsi: &[],
    iec: &["SR 1.2", "SR 2.1"],
};

pub(crate) struct Iec104UnknownStation;

impl Detection for Iec104UnknownStation {
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
        if f.proto != "iec104" || !f.from_client || op.class != OpClass::Control {
            return;
        }
        let (c, s) = (f.client.ip, f.server.ip);
        if cx.pair_proto().is_some() {
            return; // a known station of this outstation: new_writer judges its first command
        }
        cx.alert(&META, key(&(c, s)), obs, || {
            let mut ev = flow_evidence(f);
            op_evidence(&mut ev, op);
            let ioa = op.address.map(|a| format!(" (ioa {a})")).unwrap_or_default();
            (
                format!(
                    "{c} sent IEC-104 command {} to outstation {s}{ioa} and never spoke IEC-104 to it in the baseline",
                    op.function_name
                ),
                ev,
            )
        });
    }
}
