//! **`tls_old_version`** (8200121, severity 2). Detects a TLS session negotiated with a version
//! older than TLS 1.2: SSL 2.0, SSL 3.0, TLS 1.0 or TLS 1.1.
//!
//! These versions have known practical weaknesses (POODLE, BEAST, weak MAC and key-derivation
//! constructions) and were formally deprecated by RFC 8996 in 2021; traffic protected by them
//! can be decrypted or altered by someone on the path (T0830 Adversary-in-the-Middle). In OT
//! networks they usually reveal old firmware on a device or an old gateway that needs updating.
//!
//! One alert per client, server and version; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! The TLS server 127.0.1.40 negotiated TLS 1.0 with 127.0.1.66
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - RFC 8996, Deprecating TLS 1.0 and TLS 1.1.
//! - ETSI EN 303 645 provisions 5.5-1 (communicate securely using best-practice cryptography)
//!   and 5.5-3 (cryptographic algorithms and primitives are updatable).
//! - IEC 62443-3-3 SR 3.1 (Communication integrity), SR 4.3 (Use of cryptography).

use super::common::tls_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_121,
    name: "tls_old_version",
    signature: "TLS older than 1.2",
    category: "Insecure communication",
    severity: 2,
    mitre: &["T0830"],
    etsi: &["5.5-1", "5.5-3"],
    iec: &["SR 3.1", "SR 4.3"],
};

/// The name of a TLS protocol version.
pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        _ => format!("version {v:#06x}"),
    }
}

/// Alerts on every session older than TLS 1.2.
#[derive(Debug, Default)]
pub(crate) struct TlsOldVersion;

impl Detection for TlsOldVersion {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::TLS
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Tls(tls), Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        let Some(v) = tls.version.filter(|&v| v < 0x0303) else {
            return;
        };
        let cause = (f.client.ip, f.server.ip, v);
        cx.alert(&META, key(&cause), obs, || {
            let name = version_name(v);
            let message = format!(
                "The TLS server {} negotiated {name} with {}",
                f.server.ip, f.client.ip
            );
            let mut e = tls_evidence(f, tls);
            e.insert("version".into(), v.into());
            e.insert("version_name".into(), name.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::TlsOldVersion;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Tls, What};

    fn tls(version: u16) -> What {
        What::Tls(Tls {
            version: Some(version),
            sni: Some("plc.example".into()),
            ..Tls::default()
        })
    }

    #[test]
    fn tls_1_0_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsOldVersion,
            &[at(0, Some(f), tls(0x0301)), at(1, Some(f), tls(0x0301))],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_121);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "The TLS server 127.0.1.40 negotiated TLS 1.0 with 127.0.1.66"
        );
        assert_eq!(a.evidence["version"], 0x0301);
        assert_eq!(a.evidence["version_name"], "TLS 1.0");
        assert_eq!(a.evidence["sni"], "plc.example");
        assert_eq!(a.evidence["client"], "127.0.1.66");
    }

    #[test]
    fn ssl_3_and_tls_1_1_alert_but_tls_1_2_and_1_3_do_not() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsOldVersion,
            &[
                at(0, Some(f), tls(0x0300)),
                at(1, Some(f), tls(0x0302)),
                at(2, Some(f), tls(0x0303)),
                at(3, Some(f), tls(0x0304)),
            ],
        );
        let names: Vec<_> = alerts
            .iter()
            .map(|a| a.evidence["version_name"].clone())
            .collect();
        assert_eq!(names, ["SSL 3.0", "TLS 1.1"]);
    }
}
