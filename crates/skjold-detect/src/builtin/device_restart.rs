//! **`device_restart`** (8200103, severity 1). Detects a request that restarts or reboots a device:
//! DNP3 cold restart (13) and warm restart (14), BACnet `ReinitializeDevice`, Modbus diagnostics
//! sub-function 1 (restart communications option), CIP Reset.
//!
//! While a device restarts it neither controls nor reports its process, and a restart clears
//! volatile state; repeated restarts are a denial of service (T0816 Device Restart/Shutdown).
//! Restarts are also used to activate modified firmware or configuration.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a RESTART command to the DNP3 outstation 127.0.1.11 (dnp3 function cold_restart, unit 10)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0816 Device Restart/Shutdown: <https://attack.mitre.org/techniques/T0816/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 7.1 (Denial of service protection).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_103,
    name: "device_restart",
    signature: "Device restart command",
    category: "Device state change",
    severity: 1,
    mitre: &["T0816"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 7.1"],
};

/// Alerts on every request for [`Control::Restart`].
#[derive(Debug, Default)]
pub(crate) struct DeviceRestart;

impl Detection for DeviceRestart {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::Restart,
            "sent a RESTART command to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{DeviceRestart, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: Some(10),
            control,
            ..req(OpClass::Control, 0xd, "cold_restart")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "dnp3");
        let o = request(Some(Control::Restart));
        let a = &once_counted(&mut DeviceRestart, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_103);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a RESTART command to the DNP3 outstation 127.0.1.11 (dnp3 function cold_restart, unit 10)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "dnp3");
        assert_eq!(a.evidence["function"], "cold_restart");
        assert_eq!(a.evidence["function_code"], 0xd);
        assert_eq!(a.evidence["unit"], 10);
        assert_eq!(a.evidence["control"], "restart");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut DeviceRestart,
            flow("127.0.1.66", "127.0.1.11", "dnp3"),
            request(Some(Control::Restart)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "dnp3");
        let alerts = run(
            &mut DeviceRestart,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
