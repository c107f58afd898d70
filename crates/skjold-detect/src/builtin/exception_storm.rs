//! **`exception_storm`** (8200112, severity 2). Detects a server answering one client with
//! exception (error) responses at least 20 times within 60 seconds.
//!
//! A healthy master asks for what exists and is allowed, so exceptions are rare. Many of them in
//! a short time mean someone is trying addresses, functions or values that the device rejects:
//! brute-forcing I/O points (T0806 Brute Force I/O), fuzzing or scanning the device, or a
//! misconfigured master that floods the device with failing requests and can starve it (T0814
//! Denial of Service).
//!
//! Counted per server and client over a sliding 60-second window; the alert is raised when the
//! 20th exception falls in the window, and every further exception in the deduplication window
//! is counted into it. At most 10,000 server/client pairs are tracked (`detect.exception_storm`
//! in `summary.json` counts pairs not tracked).
//!
//! Example alert message:
//!
//! ```text
//! The Modbus device 127.0.1.11 answered 20 requests from 127.0.1.66 with exceptions within 60 s (last: modbus function read_holding_registers, unit 1, refused with exception 2)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0806 Brute Force I/O: <https://attack.mitre.org/techniques/T0806/>
//! - MITRE ATT&CK for ICS T0814 Denial of Service: <https://attack.mitre.org/techniques/T0814/>
//! - ETSI EN 303 645 provision 5.13-1B (validate data received via network interfaces).
//! - IEC 62443-3-3 SR 3.5 (Input validation), SR 7.1 (Denial of service protection).

use super::common::{device, op_evidence, op_tail, Rate};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use std::net::IpAddr;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_112,
    name: "exception_storm",
    signature: "Storm of exception responses from one server to one client",
    category: "Denial of service",
    severity: 2,
    mitre: &["T0806", "T0814"],
    etsi: &["5.13-1B"],
    iec: &["SR 3.5", "SR 7.1"],
};

/// Exceptions that make a storm.
pub(crate) const THRESHOLD: usize = 20;
/// Within this window (µs).
pub(crate) const WINDOW_US: u64 = 60_000_000;

/// Exception counters per (server, client).
#[derive(Debug)]
pub(crate) struct ExceptionStorm {
    rate: Rate<(IpAddr, IpAddr)>,
}

impl Default for ExceptionStorm {
    fn default() -> ExceptionStorm {
        ExceptionStorm {
            rate: Rate::new(WINDOW_US, THRESHOLD, "exception_storm"),
        }
    }
}

impl Detection for ExceptionStorm {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Op(op), Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        if op.exception.is_none() {
            return;
        }
        let pair = (f.server.ip, f.client.ip);
        let Some(n) = self.rate.hit(&pair, obs.ts, cx) else {
            return;
        };
        cx.alert(&META, key(&pair), obs, || {
            let message = format!(
                "The {} {} answered {n} requests from {} with exceptions within {} s (last: {})",
                device(f.proto),
                f.server.ip,
                f.client.ip,
                WINDOW_US / 1_000_000,
                op_tail(f, op).trim_start_matches('(').trim_end_matches(')')
            );
            let mut e = op_evidence(f, op);
            e.insert("exceptions".into(), n.into());
            e.insert("window_s".into(), (WINDOW_US / 1_000_000).into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{ExceptionStorm, THRESHOLD};
    use crate::builtin::common::testkit::{flow, op, req, run};
    use crate::obs::{Obs, Op, OpClass};

    fn refused(n: usize, step_ms: u64) -> Vec<Obs> {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        (0..n as u64)
            .map(|i| {
                let o = Op {
                    unit: Some(1),
                    exception: Some(2),
                    ..req(OpClass::Read, 3, "read_holding_registers")
                };
                op(i * step_ms, f, o)
            })
            .collect()
    }

    #[test]
    fn fires_at_twenty_exceptions_within_a_minute_and_counts_the_rest() {
        let alerts = run(
            &mut ExceptionStorm::default(),
            &refused(THRESHOLD + 5, 1000),
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_112);
        assert_eq!(a.count, 6);
        assert_eq!(
            a.message,
            "The Modbus device 127.0.1.11 answered 20 requests from 127.0.1.66 with exceptions \
             within 60 s (last: modbus function read_holding_registers, unit 1, refused with \
             exception 2)"
        );
        assert_eq!(a.evidence["exceptions"], 20);
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["server"], "127.0.1.11");
        assert_eq!(a.evidence["exception"], 2);
    }

    #[test]
    fn nineteen_exceptions_or_twenty_spread_over_more_than_a_minute_do_not_fire() {
        assert!(run(
            &mut ExceptionStorm::default(),
            &refused(THRESHOLD - 1, 1000)
        )
        .is_empty());
        // 20 exceptions 4 s apart span 76 s: never 20 in one 60 s window.
        assert!(run(&mut ExceptionStorm::default(), &refused(THRESHOLD, 4000)).is_empty());
    }

    #[test]
    fn answered_requests_do_not_count() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let ok: Vec<Obs> = (0..50)
            .map(|i| op(i, f, req(OpClass::Read, 3, "read_holding_registers")))
            .collect();
        assert!(run(&mut ExceptionStorm::default(), &ok).is_empty());
    }
}
