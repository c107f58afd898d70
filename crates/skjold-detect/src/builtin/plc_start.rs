//! **`plc_start`** (8200102, severity 2). Detects a request that starts (puts in run) a
//! controller's CPU or program: the S7 PI-Service function (0x28) with the `P_PROGRAM` service
//! (warm or hot start), the CIP Start service (0x06) and their equivalents.
//!
//! Starting a PLC runs whatever program it holds, possibly one just downloaded by an attacker
//! (T0858 Change Operating Mode). It is less harmful than a stop, hence severity 2, but in a
//! running plant it should only follow planned maintenance.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a START (run) command to the S7 PLC 127.0.1.11 (s7comm function pi_service)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0858 Change Operating Mode: <https://attack.mitre.org/techniques/T0858/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_102,
    name: "plc_start",
    signature: "PLC start command",
    category: "Device state change",
    severity: 2,
    mitre: &["T0858"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1"],
};

/// Alerts on every request for [`Control::Start`].
#[derive(Debug, Default)]
pub(crate) struct PlcStart;

impl Detection for PlcStart {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::Start,
            "sent a START (run) command to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{PlcStart, META};
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
        let o = request(Some(Control::Start));
        let a = &once_counted(&mut PlcStart, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_102);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a START (run) command to the S7 PLC 127.0.1.11 (s7comm function pi_service)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "pi_service");
        assert_eq!(a.evidence["function_code"], 0x28);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "start");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut PlcStart,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::Start)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut PlcStart,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Stop))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
