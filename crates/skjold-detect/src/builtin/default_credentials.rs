//! **`default_credentials`** (8200118, severity 1). Detects a login with a well-known default
//! user name and password pair (`admin`/`admin`, `root`/`root`, `pi`/`raspberry`... the list in
//! [`crate::defaults`]), in any protocol whose credentials Skjold can read: MQTT CONNECT, FTP,
//! Telnet, HTTP Basic.
//!
//! Default credentials are published in every product manual and in public lists; the first
//! thing attackers and worms (Mirai among them) try is exactly these pairs (T0812 Default
//! Credentials). A device that still accepts them can be taken over by anyone on the network.
//! The alert fires whether or not the login succeeded: a refused attempt still shows someone
//! trying defaults, and the message says which it was.
//!
//! One alert per client, server, user and method; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 logged in to the MQTT broker 127.0.1.30 with the default credentials of user "admin" (mqtt_connect)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0812 Default Credentials: <https://attack.mitre.org/techniques/T0812/>
//! - ETSI EN 303 645 provision 5.1-1 (passwords unique per device or defined by the user).
//! - IEC 62443-3-3 SR 1.5 (Authenticator management), SR 1.7 (Strength of password-based
//!   authentication).

use super::common::device;
use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use serde_json::Value;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_118,
    name: "default_credentials",
    signature: "Login with known default credentials",
    category: "Credential misuse",
    severity: 1,
    mitre: &["T0812"],
    etsi: &["5.1-1"],
    iec: &["SR 1.5", "SR 1.7"],
};

/// Alerts on every login with a default pair.
#[derive(Debug, Default)]
pub(crate) struct DefaultCredentials;

impl Detection for DefaultCredentials {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::CREDENTIALS
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Credentials(c), Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        if !c.default {
            return;
        }
        let cause = (f.client.ip, f.server.ip, &c.user, c.method);
        cx.alert(&META, key(&cause), obs, || {
            let user = c.user.as_deref().unwrap_or("");
            let dev = device(f.proto);
            let (client, server, method) = (f.client.ip, f.server.ip, c.method);
            let message = match c.accepted {
                Some(true) => format!(
                    "{client} logged in to the {dev} {server} with the default credentials of \
                     user \"{user}\" ({method})"
                ),
                Some(false) => format!(
                    "{client} tried the default credentials of user \"{user}\" on the {dev} \
                     {server}, which refused them ({method})"
                ),
                None => format!(
                    "{client} used the default credentials of user \"{user}\" on the {dev} \
                     {server} ({method})"
                ),
            };
            let e = ev([
                ("client", client.to_string().into()),
                ("server", server.to_string().into()),
                ("protocol", f.proto.into()),
                ("user", user.into()),
                ("method", method.into()),
                ("accepted", c.accepted.map_or(Value::Null, Value::from)),
            ]);
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::DefaultCredentials;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Credentials, What};

    fn creds(default: bool, accepted: Option<bool>) -> What {
        What::Credentials(Credentials {
            user: Some("admin".into()),
            cleartext: true,
            default,
            accepted,
            method: "mqtt_connect",
        })
    }

    #[test]
    fn an_accepted_default_login_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let w = creds(true, Some(true));
        let alerts = run(
            &mut DefaultCredentials,
            &[at(0, Some(f), w.clone()), at(1, Some(f), w)],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_118);
        assert_eq!(a.meta.severity, 1);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 logged in to the MQTT broker 127.0.1.30 with the default credentials of \
             user \"admin\" (mqtt_connect)"
        );
        assert_eq!(a.evidence["user"], "admin");
        assert_eq!(a.evidence["server"], "127.0.1.30");
        assert_eq!(a.evidence["accepted"], true);
    }

    #[test]
    fn a_refused_default_login_alerts_and_says_so() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let alerts = run(
            &mut DefaultCredentials,
            &[at(0, Some(f), creds(true, Some(false)))],
        );
        assert_eq!(
            alerts[0].message,
            "127.0.1.66 tried the default credentials of user \"admin\" on the MQTT broker \
             127.0.1.30, which refused them (mqtt_connect)"
        );
    }

    #[test]
    fn other_credentials_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.30", "mqtt");
        let alerts = run(
            &mut DefaultCredentials,
            &[at(0, Some(f), creds(false, Some(true)))],
        );
        assert!(alerts.is_empty());
    }
}
