//! **`program_upload`** (8200105, severity 2). Detects a program or block upload (read-out) from a
//! controller: S7 start upload / upload, CIP program upload and their equivalents.
//!
//! Reading out a controller's program reveals how the process is controlled and is how attackers
//! prepare a targeted modification (T0845 Program Upload). It changes nothing on the device, hence
//! severity 2.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 uploaded (read out) a program or block from the S7 PLC 127.0.1.11 (s7comm function start_upload)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0845 Program Upload: <https://attack.mitre.org/techniques/T0845/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 4.1 (Information confidentiality).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_105,
    name: "program_upload",
    signature: "Program upload from a controller",
    category: "Device state change",
    severity: 2,
    mitre: &["T0845"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 4.1"],
};

/// Alerts on every request for [`Control::ProgramUpload`].
#[derive(Debug, Default)]
pub(crate) struct ProgramUpload;

impl Detection for ProgramUpload {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::ProgramUpload,
            "uploaded (read out) a program or block from",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ProgramUpload, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: None,
            control,
            ..req(OpClass::Control, 0x1d, "start_upload")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let o = request(Some(Control::ProgramUpload));
        let a = &once_counted(&mut ProgramUpload, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_105);
        assert_eq!(
            a.message,
            "127.0.1.66 uploaded (read out) a program or block from the S7 PLC 127.0.1.11 (s7comm function start_upload)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "start_upload");
        assert_eq!(a.evidence["function_code"], 0x1d);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "program_upload");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut ProgramUpload,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::ProgramUpload)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut ProgramUpload,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
