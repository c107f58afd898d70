//! TLS audit with hand-made `ClientHellos` (rustls cannot speak `SSLv3`, TLS 1.0 or 1.1): one
//! connection per protocol version offered, reading the `ServerHello` (negotiated version and
//! suite) and, up to TLS 1.2, the Certificate message in clear; then `ClientHellos` offering only
//! weak suites. No handshake is completed: the scanner closes after the server's first flight.
//! Records, handshake messages, `ServerHello` and `Certificate` are parsed with
//! `skjold_proto::tls`; the leaf certificate is summarised by
//! `skjold_proto::tls::certificate_summary`, its names (subjectAltName, CN) read with
//! `x509-parser`.

use super::Ctx;
use crate::model::{CertInfo, Service, TlsInfo};
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::tls as ptls;
use skjold_proto::ParseError;
use std::collections::BTreeSet;

/// Protocol versions probed, oldest first: (wire value, name).
pub(crate) const VERSIONS: [(u16, &str); 5] = [
    (0x0300, "SSLv3"),
    (0x0301, "TLSv1.0"),
    (0x0302, "TLSv1.1"),
    (0x0303, "TLSv1.2"),
    (0x0304, "TLSv1.3"),
];

/// Name of a wire version.
pub(crate) fn version_name(v: u16) -> String {
    VERSIONS
        .iter()
        .find(|x| x.0 == v)
        .map_or_else(|| format!("{v:#06x}"), |x| x.1.to_owned())
}

/// Suites offered when probing a version up to TLS 1.2 (strong first, weak last so that a
/// server that knows only weak suites still shows the version).
const SUITES_12: [u16; 30] = [
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0xc009, 0xc013, 0xc00a, 0xc014,
    0x0033, 0x0039, 0x009c, 0x009d, 0x002f, 0x0035, 0x003c, 0x003d, 0xc023, 0xc027, 0xc024, 0xc028,
    0x000a, 0xc012, 0x0016, 0x0005, 0x0004, 0xc011,
];

/// TLS 1.3 suites.
const SUITES_13: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// Weak suites: NULL, export, anonymous, RC4, DES and 3DES.
pub(crate) const WEAK_SUITES: [(u16, &str); 26] = [
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
];

/// IANA name of a suite (the ones this module offers), else hex.
pub(crate) fn suite_name(s: u16) -> String {
    if let Some(w) = WEAK_SUITES.iter().find(|w| w.0 == s) {
        return w.1.to_owned();
    }
    if let Some(n) = ptls::cipher_name(s) {
        return n.to_owned();
    }
    let n = match s {
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        _ => return format!("{s:#06x}"),
    };
    n.to_owned()
}

fn u16be(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn ext(v: &mut Vec<u8>, kind: u16, body: &[u8]) {
    u16be(v, kind);
    u16be(v, body.len() as u16);
    v.extend_from_slice(body);
}

/// A `ClientHello` record offering `version` (TLS 1.3 through `supported_versions`) and `suites`.
pub(crate) fn client_hello(version: u16, suites: &[u16], sni: Option<&str>) -> Vec<u8> {
    let legacy = version.min(0x0303);
    let mut h = Vec::new();
    u16be(&mut h, legacy);
    // A fixed, non-secret "random": the handshake is never completed.
    h.extend((0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    h.push(0);
    u16be(&mut h, (suites.len() * 2 + 2) as u16);
    for s in suites {
        u16be(&mut h, *s);
    }
    u16be(&mut h, 0x00ff); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    h.extend_from_slice(&[1, 0]);
    let mut e = Vec::new();
    if version >= 0x0301 {
        if let Some(name) = sni {
            let n = name.as_bytes();
            let mut b = Vec::new();
            u16be(&mut b, (n.len() + 3) as u16);
            b.push(0);
            u16be(&mut b, n.len() as u16);
            b.extend_from_slice(n);
            ext(&mut e, 0x0000, &b);
        }
        ext(&mut e, 0x000a, &[0, 8, 0, 0x1d, 0, 0x17, 0, 0x18, 0, 0x19]);
        ext(&mut e, 0x000b, &[1, 0]);
        if version >= 0x0303 {
            let algs: [u16; 11] = [
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0807, 0x0201,
                0x0203,
            ];
            let mut b = Vec::new();
            u16be(&mut b, (algs.len() * 2) as u16);
            for a in algs {
                u16be(&mut b, a);
            }
            ext(&mut e, 0x000d, &b);
        }
        if version == 0x0304 {
            ext(&mut e, 0x002b, &[2, 0x03, 0x04]);
            let mut ks = Vec::new();
            u16be(&mut ks, 36);
            u16be(&mut ks, 0x001d);
            u16be(&mut ks, 32);
            ks.extend((0u8..32).map(|i| i.wrapping_mul(73).wrapping_add(9)));
            ext(&mut e, 0x0033, &ks);
        }
    }
    if !e.is_empty() {
        u16be(&mut h, e.len() as u16);
        h.extend_from_slice(&e);
    }
    let mut hs = vec![1];
    hs.extend_from_slice(&(h.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&h);
    let mut rec = vec![0x16];
    u16be(&mut rec, if version == 0x0300 { 0x0300 } else { 0x0301 });
    u16be(&mut rec, hs.len() as u16);
    rec.extend_from_slice(&hs);
    rec
}

/// Every `ClientHello` the TLS probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = VERSIONS
        .iter()
        .map(|(ver, _)| {
            client_hello(
                *ver,
                if *ver == 0x0304 {
                    &SUITES_13
                } else {
                    &SUITES_12
                },
                Some("plc.example"),
            )
        })
        .collect();
    let weak: Vec<u16> = WEAK_SUITES.iter().map(|w| w.0).collect();
    v.push(client_hello(0x0303, &weak, None));
    v
}

fn split_record(b: &[u8]) -> Frame {
    match ptls::parse_record_header(b) {
        Ok(h) => Frame::Complete(5 + h.len),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("TLS: {e}")),
    }
}

/// What the server answered to one `ClientHello`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Hello {
    /// Negotiated version (from `supported_versions` when present), None when refused.
    pub(crate) version: Option<u16>,
    /// Chosen suite.
    pub(crate) suite: u16,
    /// Leaf certificate DER (TLS 1.2 and below).
    pub(crate) cert: Option<Vec<u8>>,
    /// Alert description when refused with an alert.
    pub(crate) alert: Option<u8>,
}

/// (negotiated version, suite) of a `ServerHello` body (after the 4-byte handshake header).
fn parse_server_hello(b: &[u8]) -> Option<(u16, u16)> {
    let sh = ptls::parse_server_hello(b).ok()?;
    Some((
        sh.selected_version.unwrap_or(sh.legacy_version).0,
        sh.cipher,
    ))
}

/// Sends one `ClientHello` and reads the server's first flight.
pub(crate) async fn hello(ctx: &Ctx, version: u16, suites: &[u16]) -> PResult<Hello> {
    let mut c = Conn::open(ctx.addr, ctx.timeout).await?;
    c.send(&client_hello(version, suites, ctx.hostname.as_deref()))
        .await?;
    let mut out = Hello::default();
    let mut hs: Vec<u8> = Vec::new();
    for _ in 0..64 {
        let rec = match c.frame(split_record).await {
            Ok(r) => r,
            Err(ProbeError::Closed | ProbeError::Io(_)) if out.version.is_none() => {
                c.close().await;
                return Ok(out);
            }
            Err(_) if out.version.is_some() => break,
            Err(e) => return Err(e),
        };
        match rec[0] {
            0x15 => {
                out.alert = rec.get(6).copied();
                break;
            }
            0x16 => hs.extend_from_slice(&rec[5..]),
            _ => break,
        }
        // Walk complete handshake messages.
        let mut done = false;
        loop {
            let (used, msg_type, body) = match ptls::parse_handshake_message(&hs) {
                Ok((rest, m)) => (hs.len() - rest.len(), m.msg_type.0, m.body.to_vec()),
                Err(ParseError::Incomplete(_)) => break,
                Err(e) => return Err(ProbeError::Garbage(format!("TLS handshake: {e}"))),
            };
            match msg_type {
                2 => {
                    let (v, s) = parse_server_hello(&body)
                        .ok_or_else(|| ProbeError::Garbage("unreadable ServerHello".into()))?;
                    out.version = Some(v);
                    out.suite = s;
                    done = v >= 0x0304;
                }
                11 => {
                    out.cert = ptls::parse_certificate_list(&body)
                        .ok()
                        .and_then(|l| l.first().map(|c| c.to_vec()));
                    done = true;
                }
                14 => done = true,
                _ => {}
            }
            hs.drain(..used);
            if done {
                break;
            }
        }
        if done {
            break;
        }
        if hs.len() > 256 * 1024 {
            break;
        }
    }
    c.close().await;
    Ok(out)
}

/// Whether `host` matches a certificate name (one leading `*.` label wildcard).
pub(crate) fn name_matches(pattern: &str, host: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = p.strip_prefix("*.") {
        return h
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest);
    }
    p == h
}

/// Reads the fields the checks need from a DER certificate.
pub(crate) fn cert_info(der: &[u8], hostname: Option<&str>, now_unix: i64) -> Option<CertInfo> {
    use x509_parser::prelude::*;
    let sum = ptls::certificate_summary(der).ok()?;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_owned()),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => {
                        names.push(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string());
                    }
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(ip);
                        names.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let san = names.clone();
    for cn in cert.subject().iter_common_name() {
        if let Ok(c) = cn.as_str() {
            if !names.iter().any(|n| n == c) {
                names.push(c.to_owned());
            }
        }
    }
    // RFC 6125: the CN counts only when there is no subjectAltName.
    let pool = if san.is_empty() { &names } else { &san };
    let hostname_match = hostname.map(|h| pool.iter().any(|n| name_matches(n, h)));
    Some(CertInfo {
        subject: sum.subject,
        issuer: sum.issuer,
        not_before: crate::time::rfc3339(sum.not_before_unix),
        not_after: crate::time::rfc3339(sum.not_after_unix),
        expired: sum.not_after_unix < now_unix,
        not_yet_valid: sum.not_before_unix > now_unix,
        self_signed: sum.self_signed,
        key_type: sum.key_type.to_owned(),
        key_bits: u32::try_from(sum.key_bits).unwrap_or(u32::MAX),
        signature_algorithm: sum.signature_algorithm,
        names,
        hostname_match,
        serial: sum.serial,
        fingerprint_sha1: sum.fingerprint,
    })
}

/// Runs the TLS audit on a service.
pub(crate) async fn audit(ctx: &Ctx, svc: &mut Service) -> PResult<()> {
    let mut info = TlsInfo::default();
    let mut cert: Option<Vec<u8>> = None;
    let mut accepted: BTreeSet<u16> = BTreeSet::new();
    let mut last_err = None;
    // All versions at once (one connection each); the certificate kept is the one of the
    // newest version that sent one, which is the one clients see.
    let hellos = VERSIONS.map(|(ver, _)| {
        let suites: &'static [u16] = if ver == 0x0304 {
            &SUITES_13
        } else {
            &SUITES_12
        };
        hello(ctx, ver, suites)
    });
    let [ssl3, tls10, tls11, tls12, tls13] = hellos;
    let all = tokio::join!(ssl3, tls10, tls11, tls12, tls13);
    let results = [all.0, all.1, all.2, all.3, all.4];
    for ((ver, _), res) in VERSIONS.iter().zip(results).rev() {
        match res {
            Ok(h) => {
                if let Some(v) = h.version {
                    if v == *ver {
                        accepted.insert(v);
                        info.suites.insert(version_name(v), suite_name(h.suite));
                    }
                    if cert.is_none() {
                        cert = h.cert;
                    }
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    if accepted.is_empty() {
        return Err(
            last_err.unwrap_or_else(|| ProbeError::Garbage("no TLS version accepted".into()))
        );
    }
    info.versions = accepted.iter().map(|v| version_name(*v)).collect();
    // Weak suites: offer only weak ones at the best version up to 1.2, remove what the server
    // picks, repeat (at most 6 rounds).
    if let Some(best12) = accepted.iter().rev().find(|v| **v <= 0x0303).copied() {
        let mut offer: Vec<u16> = WEAK_SUITES.iter().map(|w| w.0).collect();
        for _ in 0..6 {
            match hello(ctx, best12, &offer).await {
                Ok(Hello {
                    version: Some(_),
                    suite,
                    ..
                }) if offer.contains(&suite) => {
                    info.weak_suites.push(suite_name(suite));
                    offer.retain(|s| *s != suite);
                }
                _ => break,
            }
        }
    }
    if let Some(der) = cert {
        info.certificate = cert_info(&der, ctx.hostname.as_deref(), crate::time::now_unix());
    } else if accepted.contains(&0x0304) {
        svc.note = Some(
            "certificate not read: the server speaks only TLS 1.3, where it is encrypted".into(),
        );
    }
    svc.fact("tls", true);
    svc.tls = Some(info);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_layout() {
        let h = client_hello(0x0301, &[0x002f], Some("a.b"));
        assert_eq!(&h[..3], &[0x16, 3, 1]);
        assert_eq!(usize::from(u16::from_be_bytes([h[3], h[4]])), h.len() - 5);
        assert_eq!(h[5], 1);
        assert_eq!(&h[9..11], &[3, 1]);
        let h13 = client_hello(0x0304, &SUITES_13, None);
        assert!(h13.windows(5).any(|w| w == [0x00, 0x2b, 0, 3, 2]));
    }

    #[test]
    fn server_hello_versions() {
        let mut b = vec![3, 3];
        b.extend([0u8; 32]);
        b.push(0);
        b.extend([0x13, 0x01, 0]);
        b.extend([0, 6, 0, 0x2b, 0, 2, 3, 4]);
        assert_eq!(parse_server_hello(&b), Some((0x0304, 0x1301)));
        assert_eq!(parse_server_hello(&b[..36]), None);
    }

    #[test]
    fn wildcard_names() {
        assert!(name_matches("*.plant.local", "plc1.plant.local"));
        assert!(!name_matches("*.plant.local", "a.plc1.plant.local"));
        assert!(!name_matches("*.plant.local", "plant.local"));
        assert!(name_matches("PLC1.plant.local.", "plc1.plant.local"));
    }
}
