//! **`tls_expired_certificate`** (8200123, severity 2). Detects a TLS server presenting a
//! certificate that is not valid at the time of the capture: expired (`notAfter` in the past)
//! or not yet valid (`notBefore` in the future). Only certificates sent in clear (TLS 1.2 and
//! older) can be checked.
//!
//! Clients that accept an invalid certificate have stopped checking certificates at all, so an
//! attacker's certificate would be accepted just as well (T0830 Adversary-in-the-Middle). In OT
//! networks expired certificates are common on devices nobody renews, and a not-yet-valid one
//! usually shows a device whose clock is wrong, which also breaks log correlation.
//!
//! One alert per server and certificate (subject and validity end); repeats within the
//! deduplication window are counted into it.
//!
//! Example alert message:
//!
//! ```text
//! The TLS server 127.0.1.40 showed 127.0.1.66 a certificate for "CN=plc-1" that expired on 2020-01-01
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
    sid: 8_200_123,
    name: "tls_expired_certificate",
    signature: "TLS certificate expired or not yet valid",
    category: "Insecure communication",
    severity: 2,
    mitre: &["T0830"],
    etsi: &["5.5-1"],
    iec: &["SR 1.8", "SR 1.9"],
};

/// Alerts on every certificate outside its validity period.
#[derive(Debug, Default)]
pub(crate) struct TlsExpiredCertificate;

impl Detection for TlsExpiredCertificate {
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
        let Some(cert) = &tls.cert else {
            return;
        };
        let now = (obs.ts / 1_000_000) as i64;
        let state = if cert.not_after < now {
            "expired"
        } else if cert.not_before > now {
            "not_yet_valid"
        } else {
            return;
        };
        let cause = (f.server.ip, &cert.subject, cert.not_after, cert.not_before);
        cx.alert(&META, key(&cause), obs, || {
            let when = if state == "expired" {
                format!("expired on {}", date(cert.not_after))
            } else {
                format!("is not valid before {}", date(cert.not_before))
            };
            let message = format!(
                "The TLS server {} showed {} a certificate for \"{}\" that {when}",
                f.server.ip, f.client.ip, cert.subject
            );
            let mut e = tls_evidence(f, tls);
            e.insert("subject".into(), cert.subject.as_ref().into());
            e.insert("issuer".into(), cert.issuer.as_ref().into());
            e.insert("not_before".into(), date(cert.not_before).into());
            e.insert("not_after".into(), date(cert.not_after).into());
            e.insert("validity".into(), state.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::TlsExpiredCertificate;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Cert, Tls, What};

    /// The capture time of `at(0, ..)` is 2023-11-14 22:13:20 UTC (1,700,000,000 s).
    fn tls(not_before: i64, not_after: i64) -> What {
        What::Tls(Tls {
            version: Some(0x0303),
            cert: Some(Cert {
                subject: "CN=plc-1".into(),
                issuer: "CN=Plant CA".into(),
                not_before,
                not_after,
                self_signed: false,
                key_bits: Some(2048),
            }),
            ..Tls::default()
        })
    }

    const Y2019: i64 = 1_546_300_800; // 2019-01-01
    const Y2020: i64 = 1_577_836_800; // 2020-01-01
    const Y2030: i64 = 1_893_456_000; // 2030-01-01
    const Y2031: i64 = 1_924_992_000; // 2031-01-01

    #[test]
    fn an_expired_certificate_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsExpiredCertificate,
            &[
                at(0, Some(f), tls(Y2019, Y2020)),
                at(1, Some(f), tls(Y2019, Y2020)),
            ],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_123);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "The TLS server 127.0.1.40 showed 127.0.1.66 a certificate for \"CN=plc-1\" that \
             expired on 2020-01-01"
        );
        assert_eq!(a.evidence["validity"], "expired");
        assert_eq!(a.evidence["not_after"], "2020-01-01");
        assert_eq!(a.evidence["issuer"], "CN=Plant CA");
    }

    #[test]
    fn a_certificate_from_the_future_alerts() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsExpiredCertificate,
            &[at(0, Some(f), tls(Y2030, Y2031))],
        );
        assert_eq!(
            alerts[0].message,
            "The TLS server 127.0.1.40 showed 127.0.1.66 a certificate for \"CN=plc-1\" that is \
             not valid before 2030-01-01"
        );
        assert_eq!(alerts[0].evidence["validity"], "not_yet_valid");
    }

    #[test]
    fn a_valid_certificate_or_none_does_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsExpiredCertificate,
            &[
                at(0, Some(f), tls(Y2020, Y2030)),
                at(1, Some(f), What::Tls(Tls::default())),
            ],
        );
        assert!(alerts.is_empty());
    }
}
