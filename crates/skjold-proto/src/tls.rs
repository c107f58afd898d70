//! TLS handshake inspection: record framing, handshake-message reassembly across records,
//! ClientHello / ServerHello summaries, the JA4 client fingerprint and a leaf-certificate
//! summary.
//!
//! Follows RFC 5246 (TLS 1.2, records and handshake), RFC 8446 (TLS 1.3: `supported_versions`,
//! legacy version fields), RFC 6066 (SNI), RFC 7301 (ALPN), RFC 8701 (GREASE) and the FoxIO
//! JA4 specification (`technical_details/JA4.md`). Wire grammar of the hello messages and of
//! extensions is read with the rusticata `tls-parser` crate; certificates with `x509-parser`.
//! Everything here is pure: no I/O, no panics, no allocation sized by a wire length (the
//! reassembly buffer is bounded by [`MAX_HANDSHAKE_MESSAGE`]).

use crate::{ParseError, Probe};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Bytes of a record header (type, version, length).
pub const RECORD_HEADER_LEN: usize = 5;
/// Largest record accepted: 2^14 plaintext plus 2048 bytes of expansion (RFC 5246 §6.2.3).
pub const MAX_RECORD_LEN: usize = 16_384 + 2048;
/// Largest handshake message reassembled (header included). Certificate chains of ordinary
/// servers are 2-8 KiB; 64 KiB leaves room for long chains while bounding per-flow memory.
pub const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// Extensions read from one hello; further ones are counted as a limit hit.
pub const MAX_EXTENSIONS: usize = 128;

/// TLS record content type (RFC 5246 §6.2.1, RFC 6520).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `change_cipher_spec` (20).
    pub const CHANGE_CIPHER_SPEC: ContentType = ContentType(20);
    /// `alert` (21).
    pub const ALERT: ContentType = ContentType(21);
    /// `handshake` (22).
    pub const HANDSHAKE: ContentType = ContentType(22);
    /// `application_data` (23).
    pub const APPLICATION_DATA: ContentType = ContentType(23);
    /// `heartbeat` (24).
    pub const HEARTBEAT: ContentType = ContentType(24);

    /// Name of the content type, `unknown` for others.
    pub fn name(self) -> &'static str {
        match self.0 {
            20 => "change_cipher_spec",
            21 => "alert",
            22 => "handshake",
            23 => "application_data",
            24 => "heartbeat",
            _ => "unknown",
        }
    }
}

/// Handshake message type (RFC 8446 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// `client_hello` (1).
    pub const CLIENT_HELLO: HandshakeType = HandshakeType(1);
    /// `server_hello` (2).
    pub const SERVER_HELLO: HandshakeType = HandshakeType(2);
    /// `certificate` (11).
    pub const CERTIFICATE: HandshakeType = HandshakeType(11);
    /// `server_hello_done` (14).
    pub const SERVER_HELLO_DONE: HandshakeType = HandshakeType(14);

    /// Name of the message type, `unknown` for others.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "hello_request",
            1 => "client_hello",
            2 => "server_hello",
            4 => "new_session_ticket",
            5 => "end_of_early_data",
            8 => "encrypted_extensions",
            11 => "certificate",
            12 => "server_key_exchange",
            13 => "certificate_request",
            14 => "server_hello_done",
            15 => "certificate_verify",
            16 => "client_key_exchange",
            20 => "finished",
            22 => "certificate_status",
            24 => "key_update",
            _ => "unknown",
        }
    }
}

/// A protocol version on the wire (`0x0303` = TLS 1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Version(pub u16);

impl Version {
    /// SSL 3.0.
    pub const SSL3: Version = Version(0x0300);
    /// TLS 1.0.
    pub const TLS10: Version = Version(0x0301);
    /// TLS 1.1.
    pub const TLS11: Version = Version(0x0302);
    /// TLS 1.2.
    pub const TLS12: Version = Version(0x0303);
    /// TLS 1.3.
    pub const TLS13: Version = Version(0x0304);

    /// The version as Suricata's EVE `tls.version` writes it (`TLSv1`, `TLS 1.2`, `TLS 1.3`,
    /// `SSLv3`), `UNDETERMINED` for others.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0002 => "SSLv2",
            0x0300 => "SSLv3",
            0x0301 => "TLSv1",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            _ => "UNDETERMINED",
        }
    }

    /// The two characters JA4 uses for this version (`13`, `12`, `11`, `10`, `s3`, `s2`;
    /// `00` when unknown).
    pub fn ja4(self) -> &'static str {
        match self.0 {
            0x0304 => "13",
            0x0303 => "12",
            0x0302 => "11",
            0x0301 => "10",
            0x0300 => "s3",
            0x0002 => "s2",
            _ => "00",
        }
    }
}

/// Whether a 16-bit code point is a GREASE value (RFC 8701: `0x?a?a` with equal bytes).
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// IANA name of a cipher suite (from `tls-parser`'s table), `None` when unknown. GREASE
/// values are named `GREASE`.
pub fn cipher_name(id: u16) -> Option<&'static str> {
    if is_grease(id) {
        return Some("GREASE");
    }
    tls_parser::TlsCipherSuite::from_id(id).map(|c| c.name)
}

/// Whether a cipher suite is weak (from `tls-parser`'s table): no encryption (NULL), export
/// grade, anonymous key exchange (`DH_anon`, `ECDH_anon`: no server authentication), RC4, RC2,
/// DES, 3DES or IDEA encryption, or an MD5 MAC. Unknown suites and GREASE are not called weak.
pub fn weak_cipher(id: u16) -> bool {
    use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherMac};
    if is_grease(id) {
        return false;
    }
    let Some(c) = tls_parser::TlsCipherSuite::from_id(id) else {
        return false;
    };
    matches!(
        c.enc,
        TlsCipherEnc::Null
            | TlsCipherEnc::Des
            | TlsCipherEnc::TripleDes
            | TlsCipherEnc::Rc2
            | TlsCipherEnc::Rc4
            | TlsCipherEnc::Idea
    ) || c.mac == TlsCipherMac::HmacMd5
        || c.au == TlsCipherAu::Null
        || c.name.contains("EXPORT")
}

/// Name of a signature scheme (RFC 8446 §4.2.3 and the TLS 1.2 hash/signature pairs).
pub fn signature_scheme_name(v: u16) -> &'static str {
    match v {
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0201 => "rsa_pkcs1_sha1",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0203 => "ecdsa_sha1",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x0402 => "dsa_sha256",
        0x0202 => "dsa_sha1",
        _ => "unknown",
    }
}

/// A record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub content_type: ContentType,
    /// Record-layer version.
    pub version: Version,
    /// Length of the record body.
    pub len: usize,
}

/// Read a record header and check it: known content type, major version 3, length at most
/// [`MAX_RECORD_LEN`]. `Incomplete` under 5 bytes; `Invalid` when the bytes are not a TLS
/// record (the stream is not TLS, or lost sync).
pub fn parse_record_header(input: &[u8]) -> Result<RecordHeader, ParseError> {
    let (_, hdr) = match tls_parser::parse_tls_record_header(input) {
        Ok(v) => v,
        Err(tls_parser::nom::Err::Incomplete(_)) => {
            return Err(ParseError::Incomplete(
                RECORD_HEADER_LEN.saturating_sub(input.len()).max(1),
            ))
        }
        Err(_) => return Err(ParseError::Invalid("tls record header")),
    };
    let ct = ContentType(hdr.record_type.0);
    if !(20..=24).contains(&ct.0) || (hdr.version.0 >> 8) != 3 {
        return Err(ParseError::Invalid("tls record header"));
    }
    let len = usize::from(hdr.len);
    if len > MAX_RECORD_LEN {
        return Err(ParseError::TooLarge {
            len: len + RECORD_HEADER_LEN,
            limit: MAX_RECORD_LEN,
        });
    }
    Ok(RecordHeader {
        content_type: ct,
        version: Version(hdr.version.0),
        len,
    })
}

/// Port-independent detection: a handshake record (`0x16 0x03 0x00..=0x04`) of plausible
/// length starting a ClientHello or ServerHello whose own length fits a hello and whose
/// `legacy_version` major is 3.
pub fn probe(data: &[u8]) -> Probe {
    type Check = (usize, fn(&[u8]) -> bool);
    let checks: [Check; 4] = [
        (1, |d| d[0] == 0x16),
        (3, |d| d[1] == 0x03 && d[2] <= 0x04),
        (6, |d| {
            let len = usize::from(u16::from_be_bytes([d[3], d[4]]));
            (4..=MAX_RECORD_LEN).contains(&len) && (d[5] == 1 || d[5] == 2)
        }),
        (10, |d| {
            let hs = (usize::from(d[6]) << 16) | (usize::from(d[7]) << 8) | usize::from(d[8]);
            // Smallest hello: version 2 + random 32 + session id 1 + suites/suite 2 + comp 1.
            (38..MAX_HANDSHAKE_MESSAGE).contains(&hs) && d[9] == 0x03
        }),
    ];
    for (need, ok) in checks {
        if data.len() < need {
            return Probe::NeedMore;
        }
        if !ok(data) {
            return Probe::No;
        }
    }
    Probe::Yes
}

/// One complete handshake message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeMessage<'a> {
    /// Message type.
    pub msg_type: HandshakeType,
    /// Message body (without the 4-byte header).
    pub body: &'a [u8],
}

/// Split one handshake message off the front of `input` (the concatenated bodies of handshake
/// records). `Incomplete` until the whole message is there; `TooLarge` above
/// [`MAX_HANDSHAKE_MESSAGE`].
pub fn parse_handshake_message(input: &[u8]) -> Result<(&[u8], HandshakeMessage<'_>), ParseError> {
    let Some(&[t, a, b, c]) = input.get(..4).and_then(|h| <&[u8; 4]>::try_from(h).ok()) else {
        return Err(ParseError::Incomplete(4 - input.len()));
    };
    let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
    let total = len + 4;
    if total > MAX_HANDSHAKE_MESSAGE {
        return Err(ParseError::TooLarge {
            len: total,
            limit: MAX_HANDSHAKE_MESSAGE,
        });
    }
    match (input.get(4..total), input.get(total..)) {
        (Some(body), Some(rest)) => Ok((
            rest,
            HandshakeMessage {
                msg_type: HandshakeType(t),
                body,
            },
        )),
        _ => Err(ParseError::Incomplete(total - input.len())),
    }
}

/// Reassembles handshake messages across records (a message may span records and a record may
/// hold several messages). Memory is bounded by [`MAX_HANDSHAKE_MESSAGE`].
#[derive(Clone, Debug, Default)]
pub struct Defragmenter {
    buf: Vec<u8>,
    /// Set once a message over the limit was announced; the rest of the handshake in this
    /// direction is then ignored.
    pub overflowed: bool,
}

impl Defragmenter {
    /// Append the body of one handshake record, then hand every complete message to `each`.
    /// Returns `Err(TooLarge)` once, when a message over the limit is announced.
    pub fn push(
        &mut self,
        record_body: &[u8],
        mut each: impl FnMut(HandshakeMessage<'_>),
    ) -> Result<(), ParseError> {
        if self.overflowed {
            return Ok(());
        }
        let res = if self.buf.is_empty() {
            // Fast path: whole messages in this record, no copy of them.
            Self::drain(record_body, &mut each).map(<[u8]>::to_vec)
        } else {
            self.buf.extend_from_slice(record_body);
            let buf = std::mem::take(&mut self.buf);
            Self::drain(&buf, &mut each).map(<[u8]>::to_vec)
        };
        match res {
            Ok(rest) => {
                self.buf = rest;
                Ok(())
            }
            Err(e) => {
                self.overflowed = true;
                self.buf.clear();
                Err(e)
            }
        }
    }

    fn drain<'a>(
        mut input: &'a [u8],
        each: &mut impl FnMut(HandshakeMessage<'_>),
    ) -> Result<&'a [u8], ParseError> {
        loop {
            match parse_handshake_message(input) {
                Ok((rest, msg)) => {
                    each(msg);
                    input = rest;
                }
                Err(ParseError::Incomplete(_)) => return Ok(input),
                Err(e) => return Err(e),
            }
        }
    }

    /// Bytes of a partial message held.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forget a partial message (after a gap).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// Rule breaks noticed in a hello.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelloFlags {
    /// More than [`MAX_EXTENSIONS`] extensions: the rest were not read.
    pub too_many_extensions: bool,
    /// An extension's length runs past the end of the hello, or its content is unreadable.
    pub malformed_extension: bool,
}

/// What Skjold keeps of a ClientHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// `legacy_version` of the hello.
    pub legacy_version: Version,
    /// Offered cipher suites, wire order, GREASE included.
    pub ciphers: Vec<u16>,
    /// Extension types, wire order, GREASE included.
    pub extensions: Vec<u16>,
    /// `server_name` host name (first `host_name` entry).
    pub sni: Option<&'a [u8]>,
    /// ALPN protocol names, wire order.
    pub alpn: Vec<&'a [u8]>,
    /// `signature_algorithms`, wire order.
    pub signature_algorithms: Vec<u16>,
    /// `supported_versions`, wire order (empty when absent).
    pub supported_versions: Vec<u16>,
    /// Rule breaks.
    pub flags: HelloFlags,
}

/// What Skjold keeps of a ServerHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// `legacy_version` of the hello.
    pub legacy_version: Version,
    /// `supported_versions` selected version (TLS 1.3), when present.
    pub selected_version: Option<Version>,
    /// Chosen cipher suite.
    pub cipher: u16,
    /// Extension types, wire order.
    pub extensions: Vec<u16>,
    /// ALPN protocol chosen.
    pub alpn: Option<&'a [u8]>,
    /// Rule breaks.
    pub flags: HelloFlags,
}

impl ServerHello<'_> {
    /// The negotiated version: `supported_versions` when present, else `legacy_version`.
    pub fn version(&self) -> Version {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Walk a raw extension block, calling `each(type, data)`.
fn walk_extensions<'a>(
    mut ext: &'a [u8],
    flags: &mut HelloFlags,
    mut each: impl FnMut(u16, &'a [u8]) -> bool,
) {
    let mut n = 0;
    while !ext.is_empty() {
        let (Some(t), Some(len)) = (be16(ext, 0), be16(ext, 2)) else {
            flags.malformed_extension = true;
            return;
        };
        let end = 4 + usize::from(len);
        let Some(data) = ext.get(4..end) else {
            flags.malformed_extension = true;
            return;
        };
        if n == MAX_EXTENSIONS {
            flags.too_many_extensions = true;
            return;
        }
        n += 1;
        if !each(t, data) {
            flags.malformed_extension = true;
        }
        ext = ext.get(end..).unwrap_or_default();
    }
}

fn u16_list(data: &[u8], len_bytes: usize) -> Option<Vec<u16>> {
    let len = match len_bytes {
        1 => usize::from(*data.first()?),
        _ => usize::from(be16(data, 0)?),
    };
    let list = data.get(len_bytes..len_bytes + len)?;
    if list.len() % 2 != 0 {
        return None;
    }
    Some(
        list.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    )
}

fn alpn_list(data: &[u8]) -> Option<Vec<&[u8]>> {
    match tls_parser::parse_tls_extension_alpn_content(data) {
        Ok((_, tls_parser::TlsExtension::ALPN(v))) => Some(v),
        _ => None,
    }
}

/// Parse a ClientHello body (after the 4-byte handshake header).
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello<'_>, ParseError> {
    let Ok((_, ch)) = tls_parser::parse_tls_handshake_client_hello(body) else {
        return Err(ParseError::Malformed {
            what: "client_hello",
            len: body.len() + 4,
        });
    };
    let mut out = ClientHello {
        legacy_version: Version(ch.version.0),
        ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
        ..ClientHello::default()
    };
    let mut flags = HelloFlags::default();
    if let Some(ext) = ch.ext {
        walk_extensions(ext, &mut flags, |t, data| {
            out.extensions.push(t);
            let ok = match t {
                0 => match tls_parser::parse_tls_extension_sni_content(data) {
                    Ok((_, tls_parser::TlsExtension::SNI(names))) => {
                        if out.sni.is_none() {
                            out.sni = names.iter().find(|(ty, _)| ty.0 == 0).map(|(_, n)| *n);
                        }
                        true
                    }
                    _ => data.is_empty(),
                },
                13 => u16_list(data, 2)
                    .map(|v| out.signature_algorithms = v)
                    .is_some(),
                16 => alpn_list(data).map(|v| out.alpn = v).is_some(),
                43 => u16_list(data, 1)
                    .map(|v| out.supported_versions = v)
                    .is_some(),
                _ => true,
            };
            ok
        });
    }
    out.flags = flags;
    Ok(out)
}

/// Parse a ServerHello body (after the 4-byte handshake header).
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello<'_>, ParseError> {
    let Ok((_, sh)) = tls_parser::parse_tls_handshake_server_hello(body) else {
        return Err(ParseError::Malformed {
            what: "server_hello",
            len: body.len() + 4,
        });
    };
    let mut out = ServerHello {
        legacy_version: Version(sh.version.0),
        cipher: sh.cipher.0,
        ..ServerHello::default()
    };
    let mut flags = HelloFlags::default();
    if let Some(ext) = sh.ext {
        walk_extensions(ext, &mut flags, |t, data| {
            out.extensions.push(t);
            let ok = match t {
                16 => alpn_list(data)
                    .map(|v| out.alpn = v.first().copied())
                    .is_some(),
                43 => be16(data, 0)
                    .map(|v| out.selected_version = Some(Version(v)))
                    .is_some(),
                _ => true,
            };
            ok
        });
    }
    out.flags = flags;
    Ok(out)
}

fn hex_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x:04x}");
    }
    s
}

fn sha256_12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_owned();
    }
    let d = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(12);
    for b in d.iter().take(6) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The JA4 `a` section's ALPN characters: first and last character of the first ALPN value
/// when both are ASCII alphanumeric; otherwise the first and last character of the value's hex
/// form; `00` without ALPN (or with an empty first value).
fn ja4_alpn(alpn: Option<&[u8]>) -> String {
    let Some(v) = alpn.filter(|v| !v.is_empty()) else {
        return "00".to_owned();
    };
    let (first, last) = (v[0], v[v.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        return format!("{}{}", first as char, last as char);
    }
    let hex = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    format!("{}{}", hex(first >> 4), hex(last & 0x0f))
}

/// Transport a ClientHello was seen on, JA4's first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ja4Transport {
    /// TLS over TCP (`t`).
    Tcp,
    /// QUIC (`q`).
    Quic,
    /// DTLS (`d`).
    Dtls,
}

/// The JA4 fingerprint of a ClientHello (FoxIO JA4 specification):
/// `a_b_c` where `a` = transport, version (highest non-GREASE `supported_versions` entry, else
/// `legacy_version`), `d`/`i` (SNI present or not), two-digit cipher count and extension count
/// (GREASE excluded, capped at 99), ALPN characters; `b` = first 12 hex characters of the
/// SHA-256 of the sorted non-GREASE cipher list (4-digit lowercase hex, comma separated);
/// `c` = the same hash of the sorted non-GREASE extensions without SNI (0x0000) and ALPN
/// (0x0010), then `_` and the signature algorithms in wire order (no `_` part when there are
/// none). Empty lists hash to `000000000000`.
pub fn ja4(ch: &ClientHello<'_>, transport: Ja4Transport) -> String {
    let proto = match transport {
        Ja4Transport::Tcp => 't',
        Ja4Transport::Quic => 'q',
        Ja4Transport::Dtls => 'd',
    };
    let version = ch
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .map_or(ch.legacy_version, Version);
    let sni = if ch.extensions.contains(&0) { 'd' } else { 'i' };
    let mut ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let a = format!(
        "{proto}{}{sni}{:02}{:02}{}",
        version.ja4(),
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(ch.alpn.first().copied())
    );
    ciphers.sort_unstable();
    let b = sha256_12(&hex_list(&ciphers));
    let mut sorted: Vec<u16> = exts.into_iter().filter(|e| *e != 0 && *e != 0x10).collect();
    sorted.sort_unstable();
    let c_input = if sorted.is_empty() {
        String::new()
    } else if ch.signature_algorithms.is_empty() {
        hex_list(&sorted)
    } else {
        format!(
            "{}_{}",
            hex_list(&sorted),
            hex_list(&ch.signature_algorithms)
        )
    };
    format!("{a}_{b}_{}", sha256_12(&c_input))
}

/// The certificates of a `Certificate` handshake message (TLS 1.0-1.2 layout: a 3-byte list
/// length, then 3-byte-length-prefixed DER certificates), leaf first.
pub fn parse_certificate_list(body: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    match tls_parser::parse_tls_handshake_msg_certificate(body) {
        Ok((_, tls_parser::TlsMessageHandshake::Certificate(c))) => {
            Ok(c.cert_chain.iter().map(|c| c.data).collect())
        }
        _ => Err(ParseError::Malformed {
            what: "certificate",
            len: body.len() + 4,
        }),
    }
}

/// What Skjold logs of a certificate (the leaf of a server's chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject DN, `C=.., O=.., CN=..` as Suricata prints it.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// First common name of the subject.
    pub subject_cn: Option<String>,
    /// Serial number, uppercase hex bytes separated by `:` (Suricata's `serial`).
    pub serial: String,
    /// Start of validity, `YYYY-MM-DDTHH:MM:SS` (UTC, Suricata's `notbefore`).
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// End of validity as Unix seconds (for expiry checks).
    pub not_after_unix: i64,
    /// Start of validity as Unix seconds.
    pub not_before_unix: i64,
    /// Issuer DN equals subject DN (byte for byte) and, when both key identifiers are present,
    /// the authority key identifier equals the subject key identifier. The signature is not
    /// verified (that needs a crypto backend).
    pub self_signed: bool,
    /// Public key algorithm: `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448`, `GOST` or `unknown`.
    pub key_type: &'static str,
    /// Public key size in bits (0 when unknown).
    pub key_bits: usize,
    /// Signature algorithm short name (`sha256WithRSAEncryption`) or dotted OID.
    pub signature_algorithm: String,
    /// SHA-1 of the DER certificate, lowercase hex bytes separated by `:` (Suricata's
    /// `fingerprint`).
    pub fingerprint: String,
}

fn colon_hex(bytes: &[u8], upper: bool) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        if upper {
            let _ = write!(s, "{b:02X}");
        } else {
            let _ = write!(s, "{b:02x}");
        }
    }
    s
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SS` (proleptic Gregorian, UTC).
pub fn format_unix(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Summarise one DER certificate.
pub fn certificate_summary(der: &[u8]) -> Result<CertSummary, ParseError> {
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::public_key::PublicKey;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Err(ParseError::Malformed {
            what: "x509 certificate",
            len: der.len(),
        });
    };
    let tbs = &cert.tbs_certificate;
    let mut ski = None;
    let mut aki = None;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            _ => {}
        }
    }
    let same_name = tbs.subject.as_raw() == tbs.issuer.as_raw();
    let ids_agree = match (ski, aki) {
        (Some(s), Some(a)) => s == a,
        _ => true,
    };
    let spki = &tbs.subject_pki;
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    let (key_type, key_bits) = match spki.parsed() {
        Ok(PublicKey::RSA(k)) => ("RSA", k.key_size()),
        Ok(PublicKey::EC(k)) => ("EC", k.key_size()),
        Ok(PublicKey::DSA(k)) => ("DSA", k.len() * 8),
        Ok(PublicKey::GostR3410(k) | PublicKey::GostR3410_2012(k)) => ("GOST", k.len() * 8),
        _ => match alg_oid.as_str() {
            "1.3.101.112" => ("Ed25519", 256),
            "1.3.101.113" => ("Ed448", 456),
            _ => ("unknown", 0),
        },
    };
    let sig_oid = &cert.signature_algorithm.algorithm;
    let signature_algorithm =
        x509_parser::objects::oid2sn(sig_oid, x509_parser::objects::oid_registry())
            .map_or_else(|_| sig_oid.to_id_string(), str::to_owned);
    let nb = tbs.validity.not_before.timestamp();
    let na = tbs.validity.not_after.timestamp();
    let summary = CertSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        subject_cn: tbs
            .subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned),
        serial: colon_hex(tbs.raw_serial(), true),
        not_before: format_unix(nb),
        not_after: format_unix(na),
        not_before_unix: nb,
        not_after_unix: na,
        self_signed: same_name && ids_agree,
        key_type,
        key_bits,
        signature_algorithm,
        fingerprint: colon_hex(&Sha1::digest(der), false),
    };
    Ok(summary)
}
