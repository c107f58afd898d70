//! **`program_delete`** (8200106, severity 1). Detects a request that deletes a program or block on a
//! controller (S7 PI service `_DELE`, and equivalents).
//!
//! Deleting blocks destroys the controller's logic (T0809 Data Destruction): the process stops or
//! runs without part of its control, and recovery needs a backup of the program.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 deleted a program or block on the S7 PLC 127.0.1.11 (s7comm function pi_service)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0809 Data Destruction: <https://attack.mitre.org/techniques/T0809/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 3.4 (Software and information integrity).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_106,
    name: "program_delete",
    signature: "Program deletion on a controller",
    category: "Device state change",
    severity: 1,
    mitre: &["T0809"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 3.4"],
};

/// Alerts on every request for [`Control::ProgramDelete`].
#[derive(Debug, Default)]
pub(crate) struct ProgramDelete;

impl Detection for ProgramDelete {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::ProgramDelete,
            "deleted a program or block on",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ProgramDelete, META};
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
        let o = request(Some(Control::ProgramDelete));
        let a = &once_counted(&mut ProgramDelete, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_106);
        assert_eq!(
            a.message,
            "127.0.1.66 deleted a program or block on the S7 PLC 127.0.1.11 (s7comm function pi_service)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "pi_service");
        assert_eq!(a.evidence["function_code"], 0x28);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "program_delete");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut ProgramDelete,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::ProgramDelete)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut ProgramDelete,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
