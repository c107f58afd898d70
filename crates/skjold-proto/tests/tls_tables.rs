//! Byte tables for `skjold_proto::tls`: record headers, handshake reassembly, hellos, the
//! FoxIO JA4 fingerprint against a published example, and the certificate summary of a real
//! OpenSSL-served certificate.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use skjold_proto::tls::{self, Defragmenter, HandshakeType, Ja4Transport, Version};
use skjold_proto::{ParseError, Probe};

/// ClientHello body: legacy version, random, empty session id, suites, null compression,
/// extensions given as (type, data).
fn client_hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![3, 3]; // legacy_version TLS 1.2
    b.extend_from_slice(&[0x11; 32]); // random
    b.push(0); // session id length
    b.extend_from_slice(&((ciphers.len() * 2) as u16).to_be_bytes());
    for c in ciphers {
        b.extend_from_slice(&c.to_be_bytes());
    }
    b.extend_from_slice(&[1, 0]); // compression: null
    let mut e = Vec::new();
    for (t, d) in exts {
        e.extend_from_slice(&t.to_be_bytes());
        e.extend_from_slice(&(d.len() as u16).to_be_bytes());
        e.extend_from_slice(d);
    }
    b.extend_from_slice(&(e.len() as u16).to_be_bytes());
    b.extend_from_slice(&e);
    b
}

fn sni(host: &[u8]) -> Vec<u8> {
    let l = host.len() as u16;
    let mut v = (l + 3).to_be_bytes().to_vec(); // server_name_list length
    v.push(0); // host_name
    v.extend_from_slice(&l.to_be_bytes());
    v.extend_from_slice(host);
    v
}

fn alpn(names: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for n in names {
        list.push(n.len() as u8);
        list.extend_from_slice(n);
    }
    let mut v = (list.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(&list);
    v
}

fn u16s(len_bytes: usize, v: &[u16]) -> Vec<u8> {
    let n = v.len() * 2;
    let mut out = if len_bytes == 1 {
        vec![n as u8]
    } else {
        (n as u16).to_be_bytes().to_vec()
    };
    for x in v {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out
}

/// The JA4 example published for a Chrome ClientHello: `ja4_ro` gives the wire order,
/// `ja4` = `t13d1516h2_8daaf6152771_d8a2da3f94cd`.
fn chrome_like(grease: bool) -> Vec<u8> {
    let mut ciphers = vec![
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ];
    let sig = [
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ];
    let mut exts: Vec<(u16, Vec<u8>)> = [
        0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01,
        0x0023, 0x0012, 0x0005, 0x000d, 0x001b,
    ]
    .iter()
    .map(|&t| {
        let d = match t {
            0x0000 => sni(b"tls.browserleaks.com"),
            0x0010 => alpn(&[b"h2", b"http/1.1"]),
            0x000d => u16s(2, &sig),
            0x002b => u16s(1, &[0x0304, 0x0303]),
            _ => vec![],
        };
        (t, d)
    })
    .collect();
    if grease {
        ciphers.insert(0, 0x3a3a);
        exts.insert(0, (0xaaaa, vec![]));
        exts.push((0x1a1a, vec![0]));
        exts[9].1 = u16s(1, &[0x5a5a, 0x0304, 0x0303]);
    }
    client_hello(&ciphers, &exts)
}

#[test]
fn ja4_matches_published_example() {
    let body = chrome_like(false);
    let ch = tls::parse_client_hello(&body).unwrap();
    assert_eq!(ch.sni, Some(b"tls.browserleaks.com".as_slice()));
    assert_eq!(ch.alpn, vec![b"h2".as_slice(), b"http/1.1"]);
    assert_eq!(ch.supported_versions, vec![0x0304, 0x0303]);
    assert_eq!(ch.ciphers.len(), 15);
    assert_eq!(ch.extensions.len(), 16);
    assert_eq!(
        tls::ja4(&ch, Ja4Transport::Tcp),
        "t13d1516h2_8daaf6152771_d8a2da3f94cd"
    );
}

#[test]
fn ja4_ignores_grease() {
    let body = chrome_like(true);
    let ch = tls::parse_client_hello(&body).unwrap();
    assert_eq!(ch.ciphers[0], 0x3a3a, "GREASE is kept in the summary");
    assert_eq!(
        tls::ja4(&ch, Ja4Transport::Tcp),
        "t13d1516h2_8daaf6152771_d8a2da3f94cd"
    );
    assert_eq!(tls::ja4(&ch, Ja4Transport::Quic).as_bytes()[0], b'q');
}

#[test]
fn ja4_without_sni_alpn_or_extensions() {
    let body = client_hello(&[0x002f], &[]);
    let ch = tls::parse_client_hello(&body).unwrap();
    // TLS 1.2 legacy version, IP (no SNI), 1 cipher, 0 extensions, no ALPN, empty c hash.
    let j = tls::ja4(&ch, Ja4Transport::Tcp);
    assert!(j.starts_with("t12i010000_"), "{j}");
    assert!(j.ends_with("_000000000000"), "{j}");
}

#[test]
fn ja4_alpn_non_alphanumeric_uses_hex() {
    let body = client_hello(&[0x1301], &[(0x0010, alpn(&[&[0xab, b'x', 0x01]]))]);
    let ch = tls::parse_client_hello(&body).unwrap();
    let j = tls::ja4(&ch, Ja4Transport::Tcp);
    // First nibble of the first byte (a), last nibble of the last byte (1).
    assert_eq!(&j[8..10], "a1", "{j}");
}

#[test]
fn grease_values() {
    for g in [0x0a0a, 0x1a1a, 0xfafa] {
        assert!(tls::is_grease(g));
    }
    for n in [0x0a1a, 0x1301, 0x0000] {
        assert!(!tls::is_grease(n));
    }
}

#[test]
fn record_header_checks() {
    // handshake, TLS 1.0 record version, length 0x0030
    let h = tls::parse_record_header(&[0x16, 3, 1, 0, 0x30]).unwrap();
    assert_eq!(h.content_type, tls::ContentType::HANDSHAKE);
    assert_eq!(h.version, Version::TLS10);
    assert_eq!(h.len, 0x30);
    assert!(matches!(
        tls::parse_record_header(&[0x16, 3]),
        Err(ParseError::Incomplete(_))
    ));
    assert!(matches!(
        tls::parse_record_header(&[0x19, 3, 3, 0, 1]),
        Err(ParseError::Invalid(_))
    ));
    assert!(matches!(
        tls::parse_record_header(&[0x17, 3, 3, 0xff, 0xff]),
        Err(ParseError::TooLarge { .. })
    ));
}

#[test]
fn probe_table() {
    let mut rec = vec![0x16, 3, 1, 0, 0];
    let body = chrome_like(false);
    let mut msg = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
    msg.extend_from_slice(&body);
    rec[3..5].copy_from_slice(&(msg.len() as u16).to_be_bytes());
    rec.extend_from_slice(&msg);
    assert_eq!(tls::probe(&rec), Probe::Yes);
    assert_eq!(tls::probe(&rec[..4]), Probe::NeedMore);
    assert_eq!(tls::probe(b"\x16\x03\x05"), Probe::No);
    assert_eq!(tls::probe(b"GET /"), Probe::No);
    // A certificate message first is not a hello.
    assert_eq!(tls::probe(&[0x16, 3, 3, 0, 50, 11, 0, 0, 46, 3]), Probe::No);
}

#[test]
fn handshake_messages_reassembled_across_records() {
    let body = chrome_like(false);
    let mut msg = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
    msg.extend_from_slice(&body);
    // Two messages: the hello split over three records, then a ServerHelloDone (empty body)
    // sharing the last record.
    let mut d = Defragmenter::default();
    let mut seen = Vec::new();
    let (a, rest) = msg.split_at(3);
    let (b, c) = rest.split_at(100);
    let mut last = c.to_vec();
    last.extend_from_slice(&[14, 0, 0, 0]);
    for part in [a, b, &last[..]] {
        d.push(part, |m| seen.push((m.msg_type, m.body.len())))
            .unwrap();
    }
    assert_eq!(
        seen,
        vec![
            (HandshakeType::CLIENT_HELLO, body.len()),
            (HandshakeType::SERVER_HELLO_DONE, 0)
        ]
    );
    assert_eq!(d.buffered(), 0);
}

#[test]
fn handshake_over_limit_is_refused_once() {
    let mut d = Defragmenter::default();
    // certificate, length 0x020000 (128 KiB) > 64 KiB
    let r = d.push(&[11, 2, 0, 0, 1, 2, 3], |_| panic!("no message"));
    assert!(matches!(
        r,
        Err(ParseError::TooLarge {
            limit: tls::MAX_HANDSHAKE_MESSAGE,
            ..
        })
    ));
    assert!(d.overflowed);
    assert!(d
        .push(&[1, 0, 0, 0], |_| panic!("ignored after overflow"))
        .is_ok());
}

#[test]
fn server_hello_tls13_selected_version() {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[0x22; 32]);
    b.push(0); // session id
    b.extend_from_slice(&[0x13, 0x02]); // TLS_AES_256_GCM_SHA384
    b.push(0); // compression
    b.extend_from_slice(&[0, 6, 0, 0x2b, 0, 2, 3, 4]); // supported_versions: TLS 1.3
    let sh = tls::parse_server_hello(&b).unwrap();
    assert_eq!(sh.legacy_version, Version::TLS12);
    assert_eq!(sh.version(), Version::TLS13);
    assert_eq!(sh.cipher, 0x1302);
    assert_eq!(tls::cipher_name(sh.cipher), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(Version::TLS13.name(), "TLS 1.3");
    assert_eq!(Version::TLS10.name(), "TLSv1");
}

#[test]
fn malformed_extension_is_flagged_not_fatal() {
    let mut body = client_hello(&[0x1301], &[(0x000d, vec![0, 9, 4])]);
    let ch = tls::parse_client_hello(&body).unwrap();
    assert!(ch.flags.malformed_extension);
    body.truncate(10);
    assert!(matches!(
        tls::parse_client_hello(&body),
        Err(ParseError::Malformed { .. })
    ));
}

#[test]
fn certificate_summary_of_openssl_served_certificate() {
    let der = include_bytes!("data/selfsigned-expired.der");
    let c = tls::certificate_summary(der).unwrap();
    // Values as `openssl x509 -noout -subject -serial -fingerprint -sha1 -dates` prints them.
    assert_eq!(
        c.subject,
        "C=DE, O=Skjold Test Plant, CN=plc-01.plant.example"
    );
    assert_eq!(c.issuer, c.subject);
    assert_eq!(c.subject_cn.as_deref(), Some("plc-01.plant.example"));
    assert_eq!(c.serial, "5C:19:B7:B1:32:3B:1C:A1");
    assert_eq!(
        c.fingerprint,
        "51:35:62:05:14:e3:75:f5:53:1a:5d:10:d7:85:2b:5d:69:27:f4:9a"
    );
    assert_eq!(c.not_before, "2020-01-01T00:00:00");
    assert_eq!(c.not_after, "2021-01-01T00:00:00");
    assert!(c.self_signed);
    assert_eq!((c.key_type, c.key_bits), ("RSA", 2048));
    assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
    // Certificate message: list length, one certificate.
    let mut msg = ((der.len() + 3) as u32).to_be_bytes()[1..].to_vec();
    msg.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(der);
    assert_eq!(
        tls::parse_certificate_list(&msg).unwrap(),
        vec![der.as_slice()]
    );
    assert!(tls::certificate_summary(&der[..100]).is_err());
}

#[test]
fn unix_time_formatting() {
    assert_eq!(tls::format_unix(0), "1970-01-01T00:00:00");
    assert_eq!(tls::format_unix(951_782_400), "2000-02-29T00:00:00");
    assert_eq!(tls::format_unix(-1), "1969-12-31T23:59:59");
}

#[test]
fn weak_cipher_suites_follow_the_iana_table() {
    // Strong: AES-GCM with ECDHE, TLS 1.3 AEAD, ECDHE-RSA AES-CBC with SHA-1 (0xc014).
    for id in [0xc02f, 0xc030, 0x1301, 0x1302, 0xcca8, 0xc014, 0x002f] {
        assert!(!tls::weak_cipher(id), "{id:#06x} called weak");
    }
    // Weak: NULL (0x0000, 0x0002, 0xc0b4 TLS 1.3 integrity only), EXPORT (0x0008), anonymous
    // DH (0x0034) and ECDH (0xc018), RC4 (0x0005), DES (0x0009), 3DES (0x000a), IDEA
    // (0x0007), MD5 MAC (0x0004 RC4-MD5, 0x0001 NULL-MD5).
    for id in [
        0x0000, 0x0002, 0xc0b4, 0x0008, 0x0034, 0xc018, 0x0005, 0x0009, 0x000a, 0x0007, 0x0004,
        0x0001,
    ] {
        assert!(tls::weak_cipher(id), "{id:#06x} not called weak");
    }
    // Unknown and GREASE: not judged.
    assert!(!tls::weak_cipher(0xfefe));
    assert!(!tls::weak_cipher(0x0a0a));
}
