//! **`communication_control`** (8200109, severity 1). Detects a request that turns a device's
//! communication off or on, such as BACnet `DeviceCommunicationControl` (service 17).
//!
//! A device whose communication is disabled keeps running but can no longer be commanded or
//! observed: a denial of service (T0814) that also blocks legitimate command messages (T0803 Block
//! Command Message).
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a communication-control command to the BACnet device 127.0.1.11 (bacnet function device_communication_control, unit 1001)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0814 Denial of Service: <https://attack.mitre.org/techniques/T0814/>
//! - MITRE ATT&CK for ICS T0803 Block Command Message: <https://attack.mitre.org/techniques/T0803/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 7.1 (Denial of service protection).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_109,
    name: "communication_control",
    signature: "Communication control command",
    category: "Device state change",
    severity: 1,
    mitre: &["T0814", "T0803"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 7.1"],
};

/// Alerts on every request for [`Control::CommControl`].
#[derive(Debug, Default)]
pub(crate) struct CommunicationControl;

impl Detection for CommunicationControl {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::CommControl,
            "sent a communication-control command to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{CommunicationControl, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: Some(1001),
            control,
            ..req(OpClass::Control, 0x11, "device_communication_control")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "bacnet");
        let o = request(Some(Control::CommControl));
        let a = &once_counted(&mut CommunicationControl, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_109);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a communication-control command to the BACnet device 127.0.1.11 (bacnet function device_communication_control, unit 1001)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "bacnet");
        assert_eq!(a.evidence["function"], "device_communication_control");
        assert_eq!(a.evidence["function_code"], 0x11);
        assert_eq!(a.evidence["unit"], 1001);
        assert_eq!(a.evidence["control"], "communication_control");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut CommunicationControl,
            flow("127.0.1.66", "127.0.1.11", "bacnet"),
            request(Some(Control::CommControl)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "bacnet");
        let alerts = run(
            &mut CommunicationControl,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
