//! OPC UA identification: Hello, `OpenSecureChannel` with `SecurityPolicy` None (the discovery
//! channel every server must accept for `GetEndpoints`), `GetEndpoints`, `CloseSecureChannel`. The
//! endpoints give the security modes, policies and user token types offered. No session is
//! created and no node is read or written. No OPC UA parser had been merged into
//! `skjold-proto` when this was written: the binary encoding is read here.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use std::collections::BTreeSet;

const POLICY_NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";

fn put_str(v: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => v.extend_from_slice(&(-1i32).to_le_bytes()),
        Some(s) => {
            v.extend_from_slice(&(s.len() as i32).to_le_bytes());
            v.extend_from_slice(s.as_bytes());
        }
    }
}

fn message(kind: [u8; 3], body: &[u8]) -> Vec<u8> {
    let mut v = kind.to_vec();
    v.push(b'F');
    v.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// Hello.
pub(crate) fn hello(url: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for x in [0u32, 65_535, 65_535, 0, 0] {
        b.extend_from_slice(&x.to_le_bytes());
    }
    put_str(&mut b, Some(url));
    message(*b"HEL", &b)
}

fn request_header(b: &mut Vec<u8>, handle: u32) {
    b.extend_from_slice(&[0, 0]); // authentication token: null NodeId
    b.extend_from_slice(&0u64.to_le_bytes()); // timestamp
    b.extend_from_slice(&handle.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // return diagnostics
    put_str(b, None); // audit entry id
    b.extend_from_slice(&10_000u32.to_le_bytes()); // timeout hint
    b.extend_from_slice(&[0, 0, 0]); // additional header: null ExtensionObject
}

/// `OpenSecureChannel` (Issue, `SecurityMode` None).
pub(crate) fn open_secure_channel() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0u32.to_le_bytes()); // secure channel id
    put_str(&mut b, Some(POLICY_NONE));
    b.extend_from_slice(&(-1i32).to_le_bytes()); // sender certificate
    b.extend_from_slice(&(-1i32).to_le_bytes()); // receiver thumbprint
    b.extend_from_slice(&1u32.to_le_bytes()); // sequence number
    b.extend_from_slice(&1u32.to_le_bytes()); // request id
    b.extend_from_slice(&[1, 0, 0xBE, 0x01]); // i=446 OpenSecureChannelRequest
    request_header(&mut b, 1);
    b.extend_from_slice(&0u32.to_le_bytes()); // client protocol version
    b.extend_from_slice(&0u32.to_le_bytes()); // request type Issue
    b.extend_from_slice(&1u32.to_le_bytes()); // security mode None
    b.extend_from_slice(&0i32.to_le_bytes()); // client nonce: empty
    b.extend_from_slice(&60_000u32.to_le_bytes()); // requested lifetime
    message(*b"OPN", &b)
}

fn symmetric_header(b: &mut Vec<u8>, channel: u32, token: u32, seq: u32) {
    b.extend_from_slice(&channel.to_le_bytes());
    b.extend_from_slice(&token.to_le_bytes());
    b.extend_from_slice(&seq.to_le_bytes());
    b.extend_from_slice(&seq.to_le_bytes()); // request id
}

/// `GetEndpoints`.
pub(crate) fn get_endpoints(channel: u32, token: u32, url: &str) -> Vec<u8> {
    let mut b = Vec::new();
    symmetric_header(&mut b, channel, token, 2);
    b.extend_from_slice(&[1, 0, 0xAC, 0x01]); // i=428 GetEndpointsRequest
    request_header(&mut b, 2);
    put_str(&mut b, Some(url));
    b.extend_from_slice(&(-1i32).to_le_bytes()); // locale ids
    b.extend_from_slice(&(-1i32).to_le_bytes()); // profile uris
    message(*b"MSG", &b)
}

/// `CloseSecureChannel`.
pub(crate) fn close_secure_channel(channel: u32, token: u32) -> Vec<u8> {
    let mut b = Vec::new();
    symmetric_header(&mut b, channel, token, 3);
    b.extend_from_slice(&[1, 0, 0xC4, 0x01]); // i=452 CloseSecureChannelRequest
    request_header(&mut b, 3);
    message(*b"CLO", &b)
}

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    let url = "opc.tcp://127.0.0.1:4840";
    vec![
        hello(url),
        open_secure_channel(),
        get_endpoints(1, 1, url),
        close_secure_channel(1, 1),
    ]
}

fn split(b: &[u8]) -> Frame {
    if b.len() < 8 {
        return Frame::NeedMore;
    }
    let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    if !b[..3].iter().all(u8::is_ascii_uppercase) || !(8..=4 * 1024 * 1024).contains(&len) {
        return Frame::Invalid("not an OPC UA message header".into());
    }
    Frame::Complete(len)
}

/// A bounds-checked little-endian reader of the OPC UA binary encoding.
struct R<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.p..self.p.checked_add(n)?)?;
        self.p += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.u32().map(|x| x as i32)
    }
    #[allow(clippy::option_option)] // outer: readable; inner: null (-1 length)
    fn bytes(&mut self) -> Option<Option<&'a [u8]>> {
        let n = self.i32()?;
        if n < 0 {
            return Some(None);
        }
        self.take(n as usize).map(Some)
    }
    fn string(&mut self) -> Option<String> {
        Some(
            self.bytes()?
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        )
    }
    fn node_id(&mut self) -> Option<u32> {
        match self.u8()? {
            0 => self.u8().map(u32::from),
            1 => {
                self.u8()?;
                self.take(2)
                    .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
            }
            2 => {
                self.take(2)?;
                self.u32()
            }
            _ => None,
        }
    }
    fn localized_text(&mut self) -> Option<String> {
        let mask = self.u8()?;
        if mask & 1 != 0 {
            self.string()?;
        }
        if mask & 2 != 0 {
            return self.string();
        }
        Some(String::new())
    }
    fn response_header(&mut self) -> Option<u32> {
        self.take(8)?; // timestamp
        self.u32()?; // request handle
        let status = self.u32()?;
        if self.u8()? != 0 {
            return None; // diagnostic info: never asked for
        }
        let n = self.i32()?;
        for _ in 0..n.clamp(0, 64) {
            self.string()?;
        }
        self.node_id()?;
        if self.u8()? & 1 != 0 {
            self.bytes()?;
        }
        Some(status)
    }
    fn string_array(&mut self) -> Option<Vec<String>> {
        let n = self.i32()?;
        let mut v = Vec::new();
        for _ in 0..n.clamp(0, 64) {
            v.push(self.string()?);
        }
        Some(v)
    }
}

/// One endpoint.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) url: String,
    pub(crate) mode: u32,
    pub(crate) policy: String,
    pub(crate) token_types: Vec<u32>,
    pub(crate) application_uri: String,
    pub(crate) product_uri: String,
    pub(crate) application_name: String,
}

pub(crate) fn parse_endpoints(msg: &[u8]) -> Option<(u32, Vec<Endpoint>)> {
    let mut r = R { b: msg, p: 8 };
    r.take(16)?; // channel, token, sequence, request id
    let type_id = r.node_id()?;
    let status = r.response_header()?;
    if type_id != 431 {
        return Some((status.max(1), Vec::new()));
    }
    let n = r.i32()?;
    let mut out = Vec::new();
    for _ in 0..n.clamp(0, 64) {
        let mut e = Endpoint {
            url: r.string()?,
            ..Endpoint::default()
        };
        e.application_uri = r.string()?;
        e.product_uri = r.string()?;
        e.application_name = r.localized_text()?;
        r.u32()?; // application type
        r.string()?; // gateway server uri
        r.string()?; // discovery profile uri
        r.string_array()?; // discovery urls
        r.bytes()?; // server certificate
        e.mode = r.u32()?;
        e.policy = r.string()?;
        let t = r.i32()?;
        for _ in 0..t.clamp(0, 64) {
            r.string()?; // policy id
            e.token_types.push(r.u32()?);
            r.string()?;
            r.string()?;
            r.string()?;
        }
        r.string()?; // transport profile
        r.u8()?; // security level
        out.push(e);
    }
    Some((status, out))
}

fn mode_name(m: u32) -> &'static str {
    match m {
        1 => "None",
        2 => "Sign",
        3 => "SignAndEncrypt",
        _ => "Invalid",
    }
}

fn token_name(t: u32) -> &'static str {
    match t {
        0 => "Anonymous",
        1 => "UserName",
        2 => "Certificate",
        3 => "IssuedToken",
        _ => "Unknown",
    }
}

pub(crate) async fn probe(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let url = format!("opc.tcp://{}:{}", ctx.host_header_bare(), ctx.addr.port());
    let ack = c.exchange(&hello(&url), split).await?;
    if !ack.starts_with(b"ACK") {
        let why = if ack.starts_with(b"ERR") {
            "server answered Hello with ERR"
        } else {
            "no ACK to Hello"
        };
        return Err(ProbeError::Garbage(why.into()));
    }
    svc.fact("hello_acknowledged", true);
    let opn = c.exchange(&open_secure_channel(), split).await?;
    if !opn.starts_with(b"OPN") {
        svc.fact("none_channel_accepted", false);
        svc.note =
            Some("OpenSecureChannel with SecurityPolicy None refused: endpoints not read".into());
        c.close().await;
        return Ok(());
    }
    let mut r = R { b: &opn, p: 8 };
    let channel = r.u32().unwrap_or(0);
    let _ = r.string();
    let _ = r.bytes();
    let _ = r.bytes();
    r.take(8);
    let _ = r.node_id();
    let _ = r.response_header();
    r.u32(); // server protocol version
    r.u32(); // channel id
    let token = r.u32().unwrap_or(0);
    let msg = c
        .exchange(&get_endpoints(channel, token, &url), split)
        .await?;
    let _ = c.send(&close_secure_channel(channel, token)).await;
    c.close().await;
    let (status, eps) = parse_endpoints(&msg)
        .ok_or_else(|| ProbeError::Garbage("unreadable GetEndpoints response".into()))?;
    if status != 0 {
        svc.note = Some(format!("GetEndpoints status {status:#010x}"));
    }
    let mut modes = BTreeSet::new();
    let mut policies = BTreeSet::new();
    let mut tokens = BTreeSet::new();
    for e in &eps {
        modes.insert(mode_name(e.mode));
        policies.insert(e.policy.rsplit('#').next().unwrap_or_default().to_owned());
        for t in &e.token_types {
            tokens.insert(token_name(*t));
        }
        svc.ident("application_uri", e.application_uri.clone());
        svc.ident("product_uri", e.product_uri.clone());
        svc.ident("product", e.application_name.clone());
    }
    svc.fact("endpoints", eps.len());
    svc.fact("security_modes", modes.iter().copied().collect::<Vec<_>>());
    svc.fact(
        "security_policies",
        policies.into_iter().collect::<Vec<_>>(),
    );
    svc.fact(
        "user_token_types",
        tokens.iter().copied().collect::<Vec<_>>(),
    );
    svc.fact("auth_required", !tokens.contains("Anonymous"));
    Ok(())
}
