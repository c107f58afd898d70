//! **`opcua_security_none`** (8200120, severity 3). Detects an OPC UA secure channel opened with
//! security mode `None`: messages are neither signed nor encrypted. A channel the server refused
//! does not alert.
//!
//! Without signing, anyone on the path can read and alter the values and method calls that an
//! OPC UA client exchanges with the server, and impersonate either side (T0830
//! Adversary-in-the-Middle, the technique this exposure enables). Many servers offer `None` for
//! commissioning and discovery; production sessions should use `Sign` or `SignAndEncrypt`.
//! Severity 3 because the detection shows a weak configuration, not an attack.
//!
//! One alert per client and server; repeats within the deduplication window are counted into
//! it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 opened an OPC UA secure channel to the server 127.0.1.40 with security mode None (policy None: messages neither signed nor encrypted)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - ETSI EN 303 645 provision 5.5-1 (communicate securely using best-practice cryptography).
//! - IEC 62443-3-3 SR 3.1 (Communication integrity), SR 4.1 (Information confidentiality).

use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use serde_json::Value;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_120,
    name: "opcua_security_none",
    signature: "OPC UA secure channel with security mode None",
    category: "Insecure communication",
    severity: 3,
    mitre: &["T0830"],
    etsi: &["5.5-1"],
    iec: &["SR 3.1", "SR 4.1"],
};

/// Alerts on every OPC UA channel in mode `None`.
#[derive(Debug, Default)]
pub(crate) struct OpcuaSecurityNone;

impl Detection for OpcuaSecurityNone {
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
        if f.proto != "opcua" || s.security_mode != Some("None") || s.accepted == Some(false) {
            return;
        }
        let cause = (f.client.ip, f.server.ip);
        cx.alert(&META, key(&cause), obs, || {
            let policy = s.security_policy.as_deref().unwrap_or("unknown");
            let message = format!(
                "{} opened an OPC UA secure channel to the server {} with security mode None \
                 (policy {policy}: messages neither signed nor encrypted)",
                f.client.ip, f.server.ip
            );
            let e = ev([
                ("client", f.client.ip.to_string().into()),
                ("server", f.server.ip.to_string().into()),
                ("protocol", f.proto.into()),
                ("security_mode", "None".into()),
                (
                    "security_policy",
                    s.security_policy
                        .as_deref()
                        .map_or(Value::Null, Value::from),
                ),
            ]);
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::OpcuaSecurityNone;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Session, What};

    fn session(mode: &'static str, accepted: Option<bool>) -> What {
        What::Session(Session {
            anonymous: false,
            accepted,
            security_mode: Some(mode),
            security_policy: Some(
                if mode == "None" {
                    "None"
                } else {
                    "Basic256Sha256"
                }
                .into(),
            ),
        })
    }

    #[test]
    fn a_channel_without_security_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.40", "opcua");
        let s = session("None", Some(true));
        let alerts = run(
            &mut OpcuaSecurityNone,
            &[at(0, Some(f), s.clone()), at(1, Some(f), s)],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_120);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 opened an OPC UA secure channel to the server 127.0.1.40 with security \
             mode None (policy None: messages neither signed nor encrypted)"
        );
        assert_eq!(a.evidence["security_mode"], "None");
        assert_eq!(a.evidence["security_policy"], "None");
        assert_eq!(a.evidence["server"], "127.0.1.40");
    }

    #[test]
    fn signed_or_refused_channels_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.40", "opcua");
        let alerts = run(
            &mut OpcuaSecurityNone,
            &[
                at(0, Some(f), session("SignAndEncrypt", Some(true))),
                at(1, Some(f), session("Sign", None)),
                at(2, Some(f), session("None", Some(false))),
            ],
        );
        assert!(alerts.is_empty());
    }
}
