//! OPC UA identification: Hello, `OpenSecureChannel` with `SecurityPolicy` None (the discovery
//! channel every server must accept for `GetEndpoints`), `GetEndpoints`, `CloseSecureChannel`. The
//! endpoints give the security modes, policies and user token types offered. No session is
//! created and no node is read or written. Answers are framed and decoded with
//! `skjold_proto::opcua` (chunks, OPN and symmetric headers, `GetEndpoints` response).

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::opcua::{self as ua, Detail, SecurityPolicy};
use skjold_proto::ParseError;
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
    match ua::parse_chunk(b) {
        Ok((rest, _)) => Frame::Complete(b.len() - rest.len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("OPC UA: {e}")),
    }
}

/// The message type and body of one framed chunk.
fn chunk(raw: &[u8]) -> PResult<([u8; 3], &[u8])> {
    let (_, c) = ua::parse_chunk(raw).map_err(|e| ProbeError::Garbage(format!("OPC UA: {e}")))?;
    Ok((c.msg_type.0, c.body))
}

fn text(b: Option<&[u8]>) -> String {
    b.map(|x| String::from_utf8_lossy(x).into_owned())
        .unwrap_or_default()
}

fn policy_name(uri: Option<&[u8]>) -> String {
    let uri = uri.unwrap_or_default();
    match SecurityPolicy::from_uri(uri) {
        SecurityPolicy::Other => text(Some(uri))
            .rsplit('#')
            .next()
            .unwrap_or_default()
            .to_owned(),
        p => p.name().to_owned(),
    }
}

fn mode_name(m: u32) -> &'static str {
    ua::security_mode_name(m).unwrap_or("Invalid")
}

fn token_name(t: u32) -> &'static str {
    ua::user_token_type_name(t).unwrap_or("Unknown")
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
    let (kind, body) = chunk(&opn)?;
    if &kind != b"OPN" {
        return Err(ProbeError::Garbage(
            "answer to OpenSecureChannel is not OPN".into(),
        ));
    }
    let h =
        ua::parse_opn_header(body).map_err(|e| ProbeError::Garbage(format!("OPC UA OPN: {e}")))?;
    let opened =
        ua::parse_body(h.body).map_err(|e| ProbeError::Garbage(format!("OPC UA OPN: {e}")))?;
    let Detail::OpenResponse {
        channel_id,
        token_id,
        ..
    } = opened.detail
    else {
        return Err(ProbeError::Garbage(
            "OPN without an OpenSecureChannelResponse".into(),
        ));
    };
    svc.fact("none_channel_accepted", true);
    let msg = c
        .exchange(&get_endpoints(channel_id, token_id, &url), split)
        .await?;
    let _ = c.send(&close_secure_channel(channel_id, token_id)).await;
    c.close().await;
    let (kind, body) = chunk(&msg)?;
    if &kind != b"MSG" {
        return Err(ProbeError::Garbage(
            "answer to GetEndpoints is not MSG".into(),
        ));
    }
    let sym = ua::parse_symmetric_header(body)
        .map_err(|e| ProbeError::Garbage(format!("OPC UA MSG: {e}")))?;
    let resp =
        ua::parse_body(sym.body).map_err(|e| ProbeError::Garbage(format!("OPC UA MSG: {e}")))?;
    if let Some(st) = resp.service_result.filter(|s| s.0 != 0) {
        svc.note = Some(format!("GetEndpoints status {:#010x}", st.0));
    }
    let Detail::Endpoints(eps, total) = resp.detail else {
        return Err(ProbeError::Garbage(
            "MSG is not a GetEndpoints response".into(),
        ));
    };
    let mut modes = BTreeSet::new();
    let mut policies = BTreeSet::new();
    let mut tokens = BTreeSet::new();
    for e in &eps {
        modes.insert(mode_name(e.security_mode));
        policies.insert(policy_name(e.policy_uri));
        for t in 0..32u32 {
            if e.user_token_types & (1 << t) != 0 {
                tokens.insert(token_name(t));
            }
        }
        svc.ident("application_uri", text(e.application_uri));
        svc.ident("product_uri", text(e.product_uri));
        svc.ident("product", text(e.application_name));
    }
    svc.fact("endpoints", total);
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
