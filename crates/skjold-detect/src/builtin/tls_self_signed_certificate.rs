//! **`tls_self_signed_certificate`** (8200124, severity 3). Detects a TLS server presenting a
//! self-signed certificate (issuer equal to subject). Only certificates sent in clear (TLS 1.2
//! and older) can be checked.
//!
//! A self-signed certificate can only be trusted if every client pins it; in practice clients
//! are set to accept any certificate, and then an attacker's self-signed certificate is accepted
//! as well (T0830 Adversary-in-the-Middle). Many OT devices ship with one, hence severity 3:
//! the finding is a weak configuration to plan away (a plant CA), not an attack.
//!
//! One alert per server and certificate subject; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! The TLS server 127.0.1.40 showed 127.0.1.66 a self-signed certificate for "CN=plc-1"
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - ETSI EN 303 645 provision 5.5-1 (communicate securely using best-practice cryptography).
//! - IEC 62443-3-3 SR 1.8 (Public key infrastructure certificates), SR 1.9 (Strength of public
//!   key authentication).

use super::common::{date, tls_evidence};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_124,
    name: "tls_self_signed_certificate",
    signature: "TLS server with a self-signed certificate",
    category: "Insecure communication",
    severity: 3,
    mitre: &["T0830"],
    etsi: &["5.5-1"],
    iec: &["SR 1.8", "SR 1.9"],
};

/// Alerts on every self-signed server certificate.
#[derive(Debug, Default)]
pub(crate) struct TlsSelfSignedCertificate;

impl Detection for TlsSelfSignedCertificate {
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
        let Some(cert) = tls.cert.as_ref().filter(|c| c.self_signed) else {
            return;
        };
        let cause = (f.server.ip, &cert.subject);
        cx.alert(&META, key(&cause), obs, || {
            let message = format!(
                "The TLS server {} showed {} a self-signed certificate for \"{}\"",
                f.server.ip, f.client.ip, cert.subject
            );
            let mut e = tls_evidence(f, tls);
            e.insert("subject".into(), cert.subject.as_ref().into());
            e.insert("issuer".into(), cert.issuer.as_ref().into());
            e.insert("not_after".into(), date(cert.not_after).into());
            e.insert("key_bits".into(), cert.key_bits.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::TlsSelfSignedCertificate;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Cert, Tls, What};

    fn tls(self_signed: bool) -> What {
        What::Tls(Tls {
            version: Some(0x0303),
            cert: Some(Cert {
                subject: "CN=plc-1".into(),
                issuer: if self_signed {
                    "CN=plc-1"
                } else {
                    "CN=Plant CA"
                }
                .into(),
                not_before: 1_577_836_800,
                not_after: 1_893_456_000,
                self_signed,
                key_bits: Some(2048),
            }),
            ..Tls::default()
        })
    }

    #[test]
    fn a_self_signed_certificate_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsSelfSignedCertificate,
            &[at(0, Some(f), tls(true)), at(1, Some(f), tls(true))],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_124);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "The TLS server 127.0.1.40 showed 127.0.1.66 a self-signed certificate for \
             \"CN=plc-1\""
        );
        assert_eq!(a.evidence["issuer"], "CN=plc-1");
        assert_eq!(a.evidence["key_bits"], 2048);
        assert_eq!(a.evidence["not_after"], "2030-01-01");
    }

    #[test]
    fn a_ca_signed_certificate_does_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        assert!(run(&mut TlsSelfSignedCertificate, &[at(0, Some(f), tls(false))]).is_empty());
    }
}
