//! **`program_download`** (8200104, severity 1). Detects a program or block download to a controller:
//! S7 request download / download block, CIP program download and their equivalents.
//!
//! Replacing the logic of a PLC is the most direct way to change how a process behaves (T0843
//! Program Download); Stuxnet and TRITON both modified controller logic. Downloads belong to
//! engineering workstations during planned changes.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 downloaded a program or block to the S7 PLC 127.0.1.11 (s7comm function request_download)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0843 Program Download: <https://attack.mitre.org/techniques/T0843/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 3.4 (Software and information integrity).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_104,
    name: "program_download",
    signature: "Program download to a controller",
    category: "Device state change",
    severity: 1,
    mitre: &["T0843"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 3.4"],
};

/// Alerts on every request for [`Control::ProgramDownload`].
#[derive(Debug, Default)]
pub(crate) struct ProgramDownload;

impl Detection for ProgramDownload {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::ProgramDownload,
            "downloaded a program or block to",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ProgramDownload, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: None,
            control,
            ..req(OpClass::Control, 0x1a, "request_download")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let o = request(Some(Control::ProgramDownload));
        let a = &once_counted(&mut ProgramDownload, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_104);
        assert_eq!(
            a.message,
            "127.0.1.66 downloaded a program or block to the S7 PLC 127.0.1.11 (s7comm function request_download)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "s7comm");
        assert_eq!(a.evidence["function"], "request_download");
        assert_eq!(a.evidence["function_code"], 0x1a);
        assert_eq!(a.evidence["unit"], serde_json::Value::Null);
        assert_eq!(a.evidence["control"], "program_download");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut ProgramDownload,
            flow("127.0.1.66", "127.0.1.11", "s7comm"),
            request(Some(Control::ProgramDownload)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "s7comm");
        let alerts = run(
            &mut ProgramDownload,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
