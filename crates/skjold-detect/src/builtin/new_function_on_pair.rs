//! `new_function_on_pair` (8200009, severity 2): a client used a function code (service,
//! type id) on a server that it never used there in the baseline.
//!
//! Why: SCADA polling repeats the same few functions. A new one on a known pair (a diagnostics
//! request, a file transfer, a write where only reads were seen) is how both engineering work
//! and attacks first show (ATT&CK for ICS T0855 Unauthorized Command Message when it changes the
//! process; IEC 62443-3-3 SR 2.1 authorisation enforcement).
//!
//! Example: "127.0.1.20 used modbus function diagnostics (8) on 127.0.1.10 for the first time".
//! Runs with `--baseline`, for pairs and protocols the baseline knows; one alert per pair,
//! protocol and function per window.

use super::learned::{flow_evidence, op_evidence};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_009,
    name: "new_function_on_pair",
    signature: "SKJOLD function code never used on this pair",
    category: "Unusual command",
    severity: 2,
    mitre: &["T0855"],
    etsi: &[],
    iec: &["SR 2.1"],
};

pub(crate) struct NewFunctionOnPair;

impl Detection for NewFunctionOnPair {
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
        if !f.from_client {
            return;
        }
        let (c, s) = (f.client.ip, f.server.ip);
        let Some(p) = cx.pair_proto() else {
            return;
        };
        if p.functions.is_empty() || p.functions.contains(&op.function) {
            return;
        }
        cx.alert(&META, key(&(c, s, f.proto, op.function)), obs, || {
            let mut ev = flow_evidence(f);
            op_evidence(&mut ev, op);
            (
                format!(
                    "{c} used {} function {} ({}) on {s} for the first time",
                    f.proto, op.function_name, op.function
                ),
                ev,
            )
        });
    }
}
