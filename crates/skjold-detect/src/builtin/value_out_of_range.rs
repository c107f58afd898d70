//! `value_out_of_range` (8200006, severity 1): a write or command sets a process variable
//! (setpoint, register, analog output, IEC-104 set-point) to a value outside the range learned
//! for it, widened by the baseline's margin.
//!
//! Why: this is the Oldsmar case (February 2021): the sodium-hydroxide setpoint went from 100
//! to 11,100 ppm through a remote-access session. The protocol was normal, the client was
//! normal; only the value was not. ATT&CK for ICS T0836 Modify Parameter; IEC 62443-3-3 SR 3.5
//! input validation; SR 3.6 deterministic output.
//!
//! Example: baseline variable `holding_register 10: min 90, max 110, seen [100, 100]` →
//! "127.0.1.66 set holding register 10 (unit 1) of 127.0.1.10 to 11100 (was 100; learned
//! 100..100, allowed 90..110) over modbus". The evidence has `value_before` (last value seen
//! for that variable, read or written), `value_after`, the learned and allowed range, and the
//! client. Runs with `--baseline`; one alert per variable per window.

use super::learned::{check_ranges, show, was, where_};
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::index::VarIndex;
use crate::obs::{FlowRef, Obs, Op};

pub(crate) static META: Meta = Meta {
    sid: 8_200_006,
    name: "value_out_of_range",
    signature: "SKJOLD setpoint or process value written outside its learned range",
    category: "Process manipulation",
    severity: 1,
    mitre: &["T0836"],
    etsi: &[],
    iec: &["SR 3.5", "SR 3.6"],
};

pub(crate) struct ValueOutOfRange;

fn message(op: &Op, f: &FlowRef, addr: u32, v: f64, before: Option<f64>, var: &VarIndex) -> String {
    format!(
        "{} set {} of {} to {} ({}learned {}..{}, allowed {}..{}) over {}",
        f.client.ip,
        where_(op, addr),
        f.server.ip,
        show(v),
        was(before),
        show(var.seen[0]),
        show(var.seen[1]),
        show(var.min),
        show(var.max),
        f.proto
    )
}

impl Detection for ValueOutOfRange {
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
        check_ranges(&META, true, obs, cx, message);
    }
}
