//! **`firmware_operation`** (8200107, severity 1). Detects a firmware transfer or update request to a
//! device, as the protocol states classify it (firmware file transfers, update services).
//!
//! Malicious firmware gives an attacker persistent, hard to detect control of a device, or bricks
//! it (T0857 System Firmware). Firmware updates are rare, planned events.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 started a firmware operation on the EtherNet/IP device 127.0.1.11 (enip function firmware_update)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0857 System Firmware: <https://attack.mitre.org/techniques/T0857/>
//! - ETSI EN 303 645 provision 5.3-7 (update mechanism protected with best-practice cryptography).
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 3.4 (Software and information integrity).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_107,
    name: "firmware_operation",
    signature: "Firmware operation on a device",
    category: "Device state change",
    severity: 1,
    mitre: &["T0857"],
    etsi: &["5.3-7", "5.5-4"],
    iec: &["SR 2.1", "SR 3.4"],
};

/// Alerts on every request for [`Control::Firmware`].
#[derive(Debug, Default)]
pub(crate) struct FirmwareOperation;

impl Detection for FirmwareOperation {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::Firmware,
            "started a firmware operation on",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{FirmwareOperation, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: None,
            control,
            ..req(OpClass::Control, 0x4b, "firmware_update")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "enip");
        let o = request(Some(Control::Firmware));
        let a = &once_counted(&mut FirmwareOperation, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_107);
        assert_eq!(
            a.message,
            "127.0.1.66 started a firmware operation on the EtherNet/IP device 127.0.1.11 (enip function firmware_update)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "enip");
        assert_eq!(a.evidence["function"], "firmware_update");
        assert_eq!(a.evidence["function_code"], 0x4b);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "firmware");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut FirmwareOperation,
            flow("127.0.1.66", "127.0.1.11", "enip"),
            request(Some(Control::Firmware)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "enip");
        let alerts = run(
            &mut FirmwareOperation,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
