//! **`reset_process`** (8200108, severity 1). Detects a request that resets a device's process or
//! memory state: memory reset, factory reset, reset of counters and accumulated values.
//!
//! A memory or factory reset wipes a device's program, configuration or accumulated process values,
//! stopping the process until it is restored; attackers use resets as a shutdown (T0816 Device
//! Restart/Shutdown).
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a RESET of process or device state to the S7 PLC 127.0.1.11 (s7comm function pi_service)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0816 Device Restart/Shutdown: <https://attack.mitre.org/techniques/T0816/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_108,
    name: "reset_process",
    signature: "Reset of process or device state",
    category: "Device state change",
    severity: 1,
    mitre: &["T0816"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1"],
};

/// Alerts on every request for [`Control::ResetProcess`].
#[derive(Debug, Default)]
pub(crate) struct ResetProcess;

impl Detection for ResetProcess {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::ResetProcess,
            "sent a RESET of process or device state to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ResetProcess, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: None,
            control,
            ..req(OpClass::Control, 0x28, "pi_service")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let o = request(Some(Control::ResetProcess));
        let a = &once_counted(&mut ResetProcess, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_108);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a RESET of process or device state to the S7 PLC 127.0.1.11 (s7comm function pi_service)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "pi_service");
        assert_eq!(a.evidence["function_code"], 0x28);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "reset_process");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut ResetProcess,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::ResetProcess)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut ResetProcess,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
