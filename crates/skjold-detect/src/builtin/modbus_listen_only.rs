//! **`modbus_listen_only`** (8200110, severity 1). Detects Modbus diagnostics (function 8)
//! sub-function 4, Force Listen Only Mode.
//!
//! A Modbus server in listen-only mode stops answering every request until it is restarted: masters
//! lose their data and their control (T0814 Denial of Service). It is a well-known attack on Modbus
//! serial gateways and has almost no legitimate use in operation.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a force-listen-only command to the Modbus device 127.0.1.11 (modbus function diagnostics, unit 1)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0814 Denial of Service: <https://attack.mitre.org/techniques/T0814/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 7.1 (Denial of service protection).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_110,
    name: "modbus_listen_only",
    signature: "Modbus force listen-only mode",
    category: "Device state change",
    severity: 1,
    mitre: &["T0814"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 7.1"],
};

/// Alerts on every request for [`Control::ListenOnly`].
#[derive(Debug, Default)]
pub(crate) struct ModbusListenOnly;

impl Detection for ModbusListenOnly {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::ListenOnly,
            "sent a force-listen-only command to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ModbusListenOnly, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: Some(1),
            control,
            ..req(OpClass::Control, 0x8, "diagnostics")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let o = request(Some(Control::ListenOnly));
        let a = &once_counted(&mut ModbusListenOnly, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_110);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a force-listen-only command to the Modbus device 127.0.1.11 (modbus function diagnostics, unit 1)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "modbus");
        assert_eq!(a.evidence["function"], "diagnostics");
        assert_eq!(a.evidence["function_code"], 0x8);
        assert_eq!(a.evidence["unit"], 1);
        assert_eq!(a.evidence["control"], "listen_only");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut ModbusListenOnly,
            flow("127.0.1.66", "127.0.1.11", "modbus"),
            request(Some(Control::ListenOnly)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let alerts = run(
            &mut ModbusListenOnly,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
