//! **`tls_weak_cipher`** (8200122, severity 2). Detects a TLS session whose negotiated cipher
//! suite is weak: NULL encryption, EXPORT-grade keys, anonymous key exchange, RC4, DES or 3DES,
//! or an MD5 MAC (as the TLS state classifies the suite).
//!
//! A weak suite means the session can be read or forged by someone on the path (T0830
//! Adversary-in-the-Middle): anonymous suites authenticate nobody, NULL suites encrypt nothing,
//! and RC4, DES and 3DES fall to practical attacks (RFC 7465 prohibits RC4; Sweet32 breaks
//! 64-bit block ciphers). The server chose it, so the server's configuration needs the fix.
//!
//! One alert per client, server and suite; repeats within the deduplication window are counted
//! into it.
//!
//! Example alert message:
//!
//! ```text
//! The TLS server 127.0.1.40 chose the weak cipher suite TLS_RSA_WITH_RC4_128_SHA (0x0005) for its session with 127.0.1.66
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - RFC 7465, Prohibiting RC4 Cipher Suites.
//! - ETSI EN 303 645 provision 5.5-1 (communicate securely using best-practice cryptography).
//! - IEC 62443-3-3 SR 4.1 (Information confidentiality), SR 4.3 (Use of cryptography).

use super::common::tls_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_122,
    name: "tls_weak_cipher",
    signature: "TLS session with a weak cipher suite",
    category: "Insecure communication",
    severity: 2,
    mitre: &["T0830"],
    etsi: &["5.5-1"],
    iec: &["SR 4.1", "SR 4.3"],
};

/// IANA names of the weak suites met most often.
fn suite_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0x0000 => "TLS_NULL_WITH_NULL_NULL",
        0x0001 => "TLS_RSA_WITH_NULL_MD5",
        0x0002 => "TLS_RSA_WITH_NULL_SHA",
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        0x000A => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0018 => "TLS_DH_anon_WITH_RC4_128_MD5",
        0x001B => "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        0x0034 => "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        0x003A => "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        0x003B => "TLS_RSA_WITH_NULL_SHA256",
        0xC011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xC012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        _ => return None,
    })
}

/// Alerts on every session with a weak suite.
#[derive(Debug, Default)]
pub(crate) struct TlsWeakCipher;

impl Detection for TlsWeakCipher {
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
        if !tls.weak_cipher {
            return;
        }
        let cause = (f.client.ip, f.server.ip, tls.cipher);
        cx.alert(&META, key(&cause), obs, || {
            let suite = match tls.cipher {
                Some(c) => match suite_name(c) {
                    Some(n) => format!("{n} ({c:#06x})"),
                    None => format!("{c:#06x}"),
                },
                None => "(unknown)".to_owned(),
            };
            let message = format!(
                "The TLS server {} chose the weak cipher suite {suite} for its session with {}",
                f.server.ip, f.client.ip
            );
            let mut e = tls_evidence(f, tls);
            e.insert("cipher".into(), tls.cipher.into());
            e.insert("cipher_name".into(), tls.cipher.and_then(suite_name).into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::TlsWeakCipher;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{Tls, What};

    fn tls(cipher: u16, weak_cipher: bool) -> What {
        What::Tls(Tls {
            version: Some(0x0303),
            cipher: Some(cipher),
            weak_cipher,
            ..Tls::default()
        })
    }

    #[test]
    fn an_rc4_session_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(
            &mut TlsWeakCipher,
            &[
                at(0, Some(f), tls(0x0005, true)),
                at(1, Some(f), tls(0x0005, true)),
            ],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_122);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "The TLS server 127.0.1.40 chose the weak cipher suite TLS_RSA_WITH_RC4_128_SHA \
             (0x0005) for its session with 127.0.1.66"
        );
        assert_eq!(a.evidence["cipher"], 5);
        assert_eq!(a.evidence["cipher_name"], "TLS_RSA_WITH_RC4_128_SHA");
        assert_eq!(a.evidence["server"], "127.0.1.40");
    }

    #[test]
    fn an_unnamed_weak_suite_is_reported_by_code() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        let alerts = run(&mut TlsWeakCipher, &[at(0, Some(f), tls(0x0066, true))]);
        assert!(alerts[0].message.contains("weak cipher suite 0x0066 for"));
        assert_eq!(alerts[0].evidence["cipher_name"], serde_json::Value::Null);
    }

    #[test]
    fn a_strong_suite_does_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.40", "tls");
        assert!(run(&mut TlsWeakCipher, &[at(0, Some(f), tls(0xC02F, false))]).is_empty());
    }
}
