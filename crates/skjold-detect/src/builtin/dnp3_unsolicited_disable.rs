//! **`dnp3_unsolicited_disable`** (8200113, severity 2). Detects DNP3 function 21, Disable
//! Unsolicited Responses.
//!
//! With unsolicited responses disabled an outstation no longer reports events by itself: the master
//! sees changes only when it polls, or not at all, so operators lose sight of the process (T0815
//! Denial of View, T0814 Denial of Service).
//!
//! Severity 2, not 1: the DNP3 start-up sequence has a master disable unsolicited responses, run
//! an integrity poll, then enable them again (function 20), every time it (re)connects to an
//! outstation. The Digital Bond DNP3 test capture in the project's corpus has a master doing this
//! hours into normal polling. A sender that is not a known master is what matters most; with a
//! baseline, the baseline detections of unknown clients report that sender as well.
//!
//! One alert per client, server, function and unit; repeats within the deduplication window are
//! counted into it. A request the device refused (an exception response) still alerts: the attempt
//! is what matters, and the message says it was refused.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 disabled unsolicited responses of the DNP3 outstation 127.0.1.11 (dnp3 function disable_unsolicited, unit 10)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0814 Denial of Service: <https://attack.mitre.org/techniques/T0814/>
//! - MITRE ATT&CK for ICS T0815 Denial of View: <https://attack.mitre.org/techniques/T0815/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement).
//! - IEC 62443-3-3 SR 6.2 (Continuous monitoring).

use super::common::check_control;
use super::{Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Control, Obs};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_113,
    name: "dnp3_unsolicited_disable",
    signature: "DNP3 unsolicited responses disabled",
    category: "Device state change",
    severity: 2,
    mitre: &["T0814", "T0815"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 6.2"],
};

/// Alerts on every request for [`Control::UnsolicitedDisable`].
#[derive(Debug, Default)]
pub(crate) struct Dnp3UnsolicitedDisable;

impl Detection for Dnp3UnsolicitedDisable {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        check_control(
            &META,
            Control::UnsolicitedDisable,
            "disabled unsolicited responses of",
            obs,
            cx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{Dnp3UnsolicitedDisable, META};
    use crate::builtin::common::testkit::{flow, once_counted, op, refused_says_so, req, run};
    use crate::obs::{Control, Op, OpClass};

    fn request(control: Option<Control>) -> Op {
        Op {
            unit: Some(10),
            control,
            ..req(OpClass::Control, 0x15, "disable_unsolicited")
        }
    }

    #[test]
    fn alerts_once_with_a_count_and_names_client_function_and_device() {
        let f = flow("127.0.1.66", "127.0.1.11", "dnp3");
        let o = request(Some(Control::UnsolicitedDisable));
        let a = &once_counted(&mut Dnp3UnsolicitedDisable, &META, f, o);
        assert_eq!(a.meta.sid, 8_200_113);
        assert_eq!(
            a.message,
            "127.0.1.66 disabled unsolicited responses of the DNP3 outstation 127.0.1.11 (dnp3 function disable_unsolicited, unit 10)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["protocol"], "dnp3");
        assert_eq!(a.evidence["function"], "disable_unsolicited");
        assert_eq!(a.evidence["function_code"], 0x15);
        assert_eq!(a.evidence["unit"], 10);
        assert_eq!(a.evidence["control"], "unsolicited_disable");
    }

    #[test]
    fn a_refused_request_alerts_and_says_so() {
        refused_says_so(
            &mut Dnp3UnsolicitedDisable,
            flow("127.0.1.66", "127.0.1.11", "dnp3"),
            request(Some(Control::UnsolicitedDisable)),
        );
    }

    #[test]
    fn other_requests_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "dnp3");
        let alerts = run(
            &mut Dnp3UnsolicitedDisable,
            &[
                op(0, f, request(None)),
                op(1, f, request(Some(Control::Start))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
