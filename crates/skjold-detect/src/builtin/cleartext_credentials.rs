//! **`cleartext_credentials`** (8200117, severity 2). Detects a password (or other secret) sent
//! readable on the wire: MQTT CONNECT with a password outside TLS, FTP `PASS`, a Telnet login,
//! HTTP Basic authentication. The password itself is never stored or reported, only the user
//! name and how it was sent.
//!
//! Anyone who can see the traffic (a compromised switch port, a mirrored port, an infected
//! engineering laptop) can read these credentials (T0842 Network Sniffing) and log in with them
//! later as a legitimate user (T0859 Valid Accounts), which no monitoring then tells apart from
//! the real operator. Both techniques are listed because the detection sees the exposure that
//! enables the first and leads to the second. Use TLS (MQTT over 8883, FTPS, HTTPS) or SSH instead.
//!
//! One alert per client, server, user and method; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent the password of user "operator" in clear text to the FTP server 127.0.1.20 (ftp_pass)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0842 Network Sniffing: <https://attack.mitre.org/techniques/T0842/>
//! - MITRE ATT&CK for ICS T0859 Valid Accounts: <https://attack.mitre.org/techniques/T0859/>
//! - ETSI EN 303 645 provisions 5.5-1 (communicate securely using best-practice cryptography) and
//!   5.5-7 (confidentiality of critical security parameters over remotely accessible interfaces).
//! - IEC 62443-3-3 SR 4.1 (Information confidentiality), SR 4.3 (Use of cryptography).

use super::common::device;
use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use serde_json::Value;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_117,
    name: "cleartext_credentials",
    signature: "Credentials sent in clear text",
    category: "Credential exposure",
    severity: 2,
    mitre: &["T0842", "T0859"],
    etsi: &["5.5-1", "5.5-7"],
    iec: &["SR 4.1", "SR 4.3"],
};

/// Alerts on every clear-text password.
#[derive(Debug, Default)]
pub(crate) struct CleartextCredentials;

impl Detection for CleartextCredentials {
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
        if !c.cleartext {
            return;
        }
        let cause = (f.client.ip, f.server.ip, &c.user, c.method);
        cx.alert(&META, key(&cause), obs, || {
            let whose = match &c.user {
                Some(u) => format!("the password of user \"{u}\""),
                None => "a password".to_owned(),
            };
            let message = format!(
                "{} sent {whose} in clear text to the {} {} ({})",
                f.client.ip,
                device(f.proto),
                f.server.ip,
                c.method
            );
            let e = ev([
                ("client", f.client.ip.to_string().into()),
                ("server", f.server.ip.to_string().into()),
                ("protocol", f.proto.into()),
                ("user", c.user.as_deref().map_or(Value::Null, Value::from)),
                ("method", c.method.into()),
                ("accepted", c.accepted.map_or(Value::Null, Value::from)),
            ]);
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::CleartextCredentials;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Credentials, What};

    fn creds(user: Option<&str>, cleartext: bool) -> What {
        What::Credentials(Credentials {
            user: user.map(Into::into),
            cleartext,
            default: false,
            accepted: Some(true),
            method: if user.is_some() {
                "ftp_pass"
            } else {
                "telnet_login"
            },
        })
    }

    #[test]
    fn a_cleartext_password_alerts_with_the_user_and_never_a_password() {
        let f = flow("127.0.1.66", "127.0.1.20", "ftp");
        let w = creds(Some("operator"), true);
        let alerts = run(
            &mut CleartextCredentials,
            &[at(0, Some(f), w.clone()), at(5, Some(f), w)],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_117);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 sent the password of user \"operator\" in clear text to the FTP server \
             127.0.1.20 (ftp_pass)"
        );
        assert_eq!(a.evidence["user"], "operator");
        assert_eq!(a.evidence["method"], "ftp_pass");
        assert_eq!(a.evidence["accepted"], true);
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert!(!a.evidence.contains_key("password"));
    }

    #[test]
    fn a_password_without_user_is_reported_too() {
        let f = flow("127.0.1.66", "127.0.1.21", "telnet");
        let alerts = run(
            &mut CleartextCredentials,
            &[at(0, Some(f), creds(None, true))],
        );
        assert_eq!(
            alerts[0].message,
            "127.0.1.66 sent a password in clear text to the Telnet server 127.0.1.21 (telnet_login)"
        );
    }

    #[test]
    fn protected_credentials_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.20", "ftp");
        let alerts = run(
            &mut CleartextCredentials,
            &[at(0, Some(f), creds(Some("operator"), false))],
        );
        assert!(alerts.is_empty());
    }
}
