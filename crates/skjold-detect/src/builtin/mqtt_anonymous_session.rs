//! **`mqtt_anonymous_session`** (8200119, severity 2). Detects an MQTT session opened without any
//! credentials (a CONNECT without user name) that the broker accepted, or whose answer was not
//! seen. A broker that refuses it (CONNACK "not authorized") does not alert.
//!
//! A broker that accepts anonymous clients lets anyone on the network read every topic and
//! publish to any of them, including the topics that carry set-points and commands to devices:
//! a forged publication there is an unauthorized command (T0855 Unauthorized Command Message),
//! which is the technique chosen because it is what an open broker enables in a plant. The
//! ETSI provision chosen is 5.5-4 (device functions reachable over the network only after
//! authentication) rather than the 5.1-1 first proposed: 5.1-1 is about the quality of
//! passwords that exist, while here there is no authentication at all.
//!
//! One alert per client and broker; repeats within the deduplication window are counted into
//! it.
//!
//! Example alert message:
//!
//! ```text
//! The MQTT broker 127.0.1.30 accepted a session without credentials from 127.0.1.66
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0855 Unauthorized Command Message: <https://attack.mitre.org/techniques/T0855/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after
//!   authentication and authorization).
//! - IEC 62443-3-3 SR 1.2 (Software process and device identification and authentication),
//!   SR 2.1 (Authorization enforcement).

use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use serde_json::Value;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_119,
    name: "mqtt_anonymous_session",
    signature: "MQTT session without credentials",
    category: "Missing authentication",
    severity: 2,
    mitre: &["T0855"],
    etsi: &["5.5-4"],
    iec: &["SR 1.2", "SR 2.1"],
};

/// Alerts on every anonymous MQTT session not refused.
#[derive(Debug, Default)]
pub(crate) struct MqttAnonymousSession;

impl Detection for MqttAnonymousSession {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::SESSION
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Session(s), Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        if f.proto != "mqtt" || !s.anonymous || s.accepted == Some(false) {
            return;
        }
        let cause = (f.client.ip, f.server.ip);
        cx.alert(&META, key(&cause), obs, || {
            let message = if s.accepted == Some(true) {
                format!(
                    "The MQTT broker {} accepted a session without credentials from {}",
                    f.server.ip, f.client.ip
                )
            } else {
                format!(
                    "{} opened an MQTT session without credentials to the broker {} (the \
                     broker's answer was not seen)",
                    f.client.ip, f.server.ip
                )
            };
            let e = ev([
                ("client", f.client.ip.to_string().into()),
                ("server", f.server.ip.to_string().into()),
                ("protocol", f.proto.into()),
                ("anonymous", true.into()),
                ("accepted", s.accepted.map_or(Value::Null, Value::from)),
            ]);
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::MqttAnonymousSession;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Session, What};

    fn session(anonymous: bool, accepted: Option<bool>) -> What {
        What::Session(Session {
            anonymous,
            accepted,
            security_mode: None,
            security_policy: None,
        })
    }

    #[test]
    fn an_accepted_anonymous_session_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let s = session(true, Some(true));
        let alerts = run(
            &mut MqttAnonymousSession,
            &[at(0, Some(f), s.clone()), at(3, Some(f), s)],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_119);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "The MQTT broker 127.0.1.30 accepted a session without credentials from 127.0.1.66"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["accepted"], true);
    }

    #[test]
    fn an_unanswered_anonymous_session_alerts_and_says_so() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let alerts = run(
            &mut MqttAnonymousSession,
            &[at(0, Some(f), session(true, None))],
        );
        assert_eq!(
            alerts[0].message,
            "127.0.1.66 opened an MQTT session without credentials to the broker 127.0.1.30 (the \
             broker's answer was not seen)"
        );
    }

    #[test]
    fn refused_or_authenticated_sessions_and_other_protocols_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let o = flow("127.0.1.66", "127.0.1.30", "coap");
        let alerts = run(
            &mut MqttAnonymousSession,
            &[
                at(0, Some(f), session(true, Some(false))),
                at(1, Some(f), session(false, Some(true))),
                at(2, Some(o), session(true, Some(true))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
