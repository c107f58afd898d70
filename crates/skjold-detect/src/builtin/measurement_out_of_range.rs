//! `measurement_out_of_range` (8200011, severity 2): a value read from a device (register
//! read, IEC-104 measured value, DNP3 analog input, BACnet present value) is outside the range
//! learned for it, widened by the baseline's margin.
//!
//! Why: a process reading far outside anything seen in normal operation is either a process
//! upset or a manipulated controller (the outcome of a changed setpoint, ATT&CK for ICS T0831
//! Manipulation of Control) or spoofed telemetry (T0856 Spoof Reporting Message). Severity 2:
//! processes drift, so this asks for a look rather than an emergency. IEC 62443-3-3 SR 3.5.
//!
//! Example: "holding register 3 (unit 1) of 127.0.1.10 read 4100 by 127.0.1.20 over modbus
//! (was 210; learned 180..240, allowed 174..246)". Runs with `--baseline`; one alert per
//! variable per window.

use super::learned::{check_ranges, show, was, where_};
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::index::VarIndex;
use crate::obs::{FlowRef, Obs, Op};

pub(crate) static META: Meta = Meta {
    sid: 8_200_011,
    name: "measurement_out_of_range",
    signature: "SKJOLD process measurement outside its learned range",
    category: "Process anomaly",
    severity: 2,
    mitre: &["T0831", "T0856"],
    etsi: &[],
    iec: &["SR 3.5"],
};

pub(crate) struct MeasurementOutOfRange;

fn message(op: &Op, f: &FlowRef, addr: u32, v: f64, before: Option<f64>, var: &VarIndex) -> String {
    format!(
        "{} of {} read {} by {} over {} ({}learned {}..{}, allowed {}..{})",
        where_(op, addr),
        f.server.ip,
        show(v),
        f.client.ip,
        f.proto,
        was(before),
        show(var.seen[0]),
        show(var.seen[1]),
        show(var.min),
        show(var.max)
    )
}

impl Detection for MeasurementOutOfRange {
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
        check_ranges(&META, false, obs, cx, message);
    }
}
