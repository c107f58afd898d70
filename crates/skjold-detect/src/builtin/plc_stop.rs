//! **`plc_stop`** (8200101, severity 1). Detects a request that stops a controller's CPU or
//! program: the S7 PLC Stop function (0x29, PI service `P_PROGRAM`), the CIP Stop service (0x07)
//! and the equivalent commands of the other protocols that the protocol states mark as a stop.
//!
//! A stopped PLC no longer runs its logic: outputs freeze or drop to their configured safe state
//! and the process is out of control. Stopping the controller is also the usual first step before a
//! program download (T0858 Change Operating Mode), and an outage in itself (T0816 Device
//! Restart/Shutdown). Engineers stop PLCs during maintenance; outside a maintenance window a stop
//! is rarely legitimate.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a STOP command to the S7 PLC 127.0.1.11 (s7comm function plc_stop)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0816 Device Restart/Shutdown: <https://attack.mitre.org/techniques/T0816/>
//! - MITRE ATT&CK for ICS T0858 Change Operating Mode: <https://attack.mitre.org/techniques/T0858/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_101,
    name: "plc_stop",
    signature: "PLC stop command",
    category: "Device state change",
    severity: 1,
    mitre: &["T0816", "T0858"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1"],
};

/// Alerts on every request for [`Control::Stop`].
#[derive(Debug, Default)]
pub(crate) struct PlcStop;

impl Detection for PlcStop {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(&META, Control::Stop, "sent a STOP command to", obs, cx);
    }
}

#[cfg(test)]
mod tests {
    use super::{PlcStop, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: None,
            control,
            ..req(OpClass::Control, 0x29, "plc_stop")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let o = request(Some(Control::Stop));
        let a = &once_counted(&mut PlcStop, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_101);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a STOP command to the S7 PLC 127.0.1.11 (s7comm function plc_stop)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "plc_stop");
        assert_eq!(a.evidence["function_code"], 0x29);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "stop");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut PlcStop,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::Stop)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut PlcStop,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
