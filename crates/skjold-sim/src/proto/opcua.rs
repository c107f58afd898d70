//! OPC UA server, binary protocol over TCP 4840 (OPC 10000-6 §7 UA TCP and §6.7 UA Secure
//! Conversation, OPC 10000-4 services): HEL → ACK, OPN with SecurityPolicy None → OPN response,
//! MSG GetEndpoints → the configured endpoints (with or without SecurityMode None), FindServers
//! → this server; every other service → ServiceFault Bad_ServiceUnsupported. CLO closes.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{fill, le32, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// Security policy URIs.
pub const POLICY_NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";
/// Basic256Sha256.
pub const POLICY_BASIC256SHA256: &str = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
const TRANSPORT_PROFILE: &str = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";

/// Endpoints offered: (security mode 1 None / 2 Sign / 3 SignAndEncrypt, policy URI, level).
pub fn endpoints(security_none: bool) -> Vec<(u32, &'static str, u8)> {
    let mut v = Vec::new();
    if security_none {
        v.push((1, POLICY_NONE, 0));
    }
    v.push((2, POLICY_BASIC256SHA256, 10));
    v.push((3, POLICY_BASIC256SHA256, 20));
    v
}

/// Application URI of a device.
pub fn application_uri(id: &Identity) -> String {
    format!("urn:{}:{}", id.hostname, id.product.replace(' ', ""))
}

/// Product URI of a device.
pub fn product_uri(id: &Identity) -> String {
    format!(
        "urn:{}:{}",
        id.vendor.replace(' ', "").to_lowercase(),
        id.model
    )
}

fn string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.extend_from_slice(&(s.len() as i32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&(-1i32).to_le_bytes()),
    }
}

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // 100 ns ticks since 1601-01-01.
    116_444_736_000_000_000 + (since.as_nanos() / 100) as i64
}

/// Four-byte NodeId of namespace 0.
fn node(out: &mut Vec<u8>, id: u16) {
    out.extend_from_slice(&[0x01, 0x00]);
    out.extend_from_slice(&id.to_le_bytes());
}

fn response_header(out: &mut Vec<u8>, handle: u32, result: u32) {
    out.extend_from_slice(&now().to_le_bytes());
    out.extend_from_slice(&handle.to_le_bytes());
    out.extend_from_slice(&result.to_le_bytes());
    out.push(0x00); // ServiceDiagnostics: empty DiagnosticInfo
    out.extend_from_slice(&(-1i32).to_le_bytes()); // StringTable: null array
    out.extend_from_slice(&[0x00, 0x00, 0x00]); // AdditionalHeader: null ExtensionObject
}

fn application_description(out: &mut Vec<u8>, id: &Identity, url: &str) {
    string(out, Some(&application_uri(id)));
    string(out, Some(&product_uri(id)));
    out.push(0x02); // LocalizedText with text only
    string(out, Some(&id.product));
    out.extend_from_slice(&0u32.to_le_bytes()); // ApplicationType Server
    string(out, None);
    string(out, None);
    out.extend_from_slice(&1i32.to_le_bytes());
    string(out, Some(url));
}

fn get_endpoints_body(id: &Identity, url: &str, none: bool) -> Vec<u8> {
    let mut b = Vec::new();
    let eps = endpoints(none);
    b.extend_from_slice(&(eps.len() as i32).to_le_bytes());
    for (mode, policy, level) in eps {
        string(&mut b, Some(url));
        application_description(&mut b, id, url);
        string(&mut b, None); // ServerCertificate (null ByteString)
        b.extend_from_slice(&mode.to_le_bytes());
        string(&mut b, Some(policy));
        // User identity tokens: anonymous and user name.
        b.extend_from_slice(&2i32.to_le_bytes());
        for (pid, ty) in [("anonymous", 0u32), ("username", 1)] {
            string(&mut b, Some(pid));
            b.extend_from_slice(&ty.to_le_bytes());
            string(&mut b, None);
            string(&mut b, None);
            string(
                &mut b,
                if ty == 1 {
                    Some(POLICY_BASIC256SHA256)
                } else {
                    None
                },
            );
        }
        string(&mut b, Some(TRANSPORT_PROFILE));
        b.push(level);
    }
    b
}

/// Message with header `kind` (3 ASCII letters + 'F') around `body`.
fn message(kind: [u8; 3], body: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.push(b'F');
    out.extend_from_slice(&((8 + body.len()) as u32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn error(code: u32, reason: &str) -> Vec<u8> {
    let mut b = code.to_le_bytes().to_vec();
    string(&mut b, Some(reason));
    message(*b"ERR", &b)
}

/// Read a String at `at` in `b`: (value, next offset).
fn read_string(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?);
    if len < 0 {
        return Some((&[], at + 4));
    }
    let end = at + 4 + len as usize;
    Some((b.get(at + 4..end)?, end))
}

/// Read a NodeId at `at`: (numeric id if namespace 0 numeric, next offset).
fn read_node(b: &[u8], at: usize) -> Option<(u32, usize)> {
    match *b.get(at)? {
        0x00 => Some((u32::from(*b.get(at + 1)?), at + 2)),
        0x01 => Some((u32::from(super::le16(b.get(at..at + 4)?, 2)), at + 4)),
        0x02 => Some((le32(b.get(at..at + 7)?, 3), at + 7)),
        _ => None,
    }
}

/// Skip a RequestHeader at `at`: (request handle, next offset).
fn request_header(b: &[u8], at: usize) -> Option<(u32, usize)> {
    let ((), at) = read_node_any(b, at)?; // authentication token
    let handle = le32(b.get(at + 8..at + 12)?, 0);
    let at = at + 8 + 4 + 4; // timestamp, handle, return diagnostics
    let (_, at) = read_string(b, at)?; // audit entry id
    let at = at + 4; // timeout hint
    let ((), at) = read_node_any(b, at)?; // additional header type
    let enc = *b.get(at)?;
    let at = at + 1;
    let at = if enc & 0x03 != 0 {
        read_string(b, at)?.1
    } else {
        at
    };
    Some((handle, at))
}

/// Skip any NodeId encoding (numeric, string, GUID, opaque).
fn read_node_any(b: &[u8], at: usize) -> Option<((), usize)> {
    match *b.get(at)? & 0x0F {
        0x00 => Some(((), at + 2)),
        0x01 => Some(((), at + 4)),
        0x02 => Some(((), at + 7)),
        0x03 | 0x05 => Some(((), read_string(b, at + 3)?.1)),
        0x04 => Some(((), at + 19)),
        _ => None,
    }
}

fn service_name(id: u32) -> (&'static str, bool) {
    match id {
        428 => ("get_endpoints", false),
        422 => ("find_servers", false),
        12208 => ("find_servers_on_network", false),
        461 => ("create_session", false),
        467 => ("activate_session", false),
        473 => ("close_session", false),
        527 => ("browse", false),
        631 => ("read", false),
        664 => ("history_read", false),
        673 => ("write", true),
        700 => ("history_update", true),
        712 => ("call", true),
        488 => ("add_nodes", true),
        494 => ("add_references", true),
        500 => ("delete_nodes", true),
        506 => ("delete_references", true),
        _ => ("service", true),
    }
}

/// Serve one connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let id = &ctx.dev.spec.identity;
    let none = ctx.dev.spec.weaknesses.opcua_security_none;
    let url = format!("opc.tcp://{}:{}", ctx.dev.addr, ctx.port);
    let channel = 0x100 + ctx.dev.index as u32;
    let token = 1u32;
    let mut seq = 1u32;
    let mut buf = Vec::new();
    let mut hello = false;
    let mut open = false;
    loop {
        if !fill(&mut s, &mut buf, 8).await {
            return;
        }
        let size = le32(&buf, 4) as usize;
        if !(8..=65_536).contains(&size) {
            let _ = send(&mut s, &error(0x8007_0000, "message too large")).await;
            return;
        }
        if !fill(&mut s, &mut buf, size).await {
            return;
        }
        let msg: Vec<u8> = buf.drain(..size).collect();
        let kind = [msg[0], msg[1], msg[2]];
        let reply = match &kind {
            b"HEL" if msg.len() >= 32 => {
                ctx.rec(
                    Transport::Tcp,
                    Protocol::Opcua,
                    0x48_454C,
                    "hello",
                    false,
                    false,
                );
                hello = true;
                let mut b = 0u32.to_le_bytes().to_vec(); // protocol version
                let rx = le32(&msg, 12).clamp(8192, 65_536);
                let tx = le32(&msg, 16).clamp(8192, 65_536);
                b.extend_from_slice(&tx.to_le_bytes()); // our receive = their send
                b.extend_from_slice(&rx.to_le_bytes());
                b.extend_from_slice(&65_536u32.to_le_bytes());
                b.extend_from_slice(&16u32.to_le_bytes());
                message(*b"ACK", &b)
            }
            b"OPN" if hello => {
                let Some((policy, at)) = read_string(&msg, 12) else {
                    return;
                };
                let Some((_, at)) = read_string(&msg, at) else {
                    return;
                };
                let Some((_, at)) = read_string(&msg, at) else {
                    return;
                };
                let Some(req_id) = msg.get(at + 4..at + 8).map(|b| le32(b, 0)) else {
                    return;
                };
                let body_at = at + 8;
                let handle = read_node(&msg, body_at)
                    .and_then(|(_, a)| request_header(&msg, a))
                    .map_or(0, |(h, _)| h);
                ctx.rec(
                    Transport::Tcp,
                    Protocol::Opcua,
                    446,
                    "open_secure_channel",
                    false,
                    false,
                );
                if policy != POLICY_NONE.as_bytes() {
                    let _ = send(
                        &mut s,
                        &error(
                            0x8055_0000,
                            "only SecurityPolicy None is open to anonymous clients",
                        ),
                    )
                    .await;
                    return;
                }
                open = true;
                let mut b = channel.to_le_bytes().to_vec();
                string(&mut b, Some(POLICY_NONE));
                string(&mut b, None);
                string(&mut b, None);
                b.extend_from_slice(&seq.to_le_bytes());
                seq += 1;
                b.extend_from_slice(&req_id.to_le_bytes());
                node(&mut b, 449);
                response_header(&mut b, handle, 0);
                b.extend_from_slice(&0u32.to_le_bytes()); // server protocol version
                b.extend_from_slice(&channel.to_le_bytes());
                b.extend_from_slice(&token.to_le_bytes());
                b.extend_from_slice(&now().to_le_bytes());
                b.extend_from_slice(&3_600_000u32.to_le_bytes());
                b.extend_from_slice(&0i32.to_le_bytes()); // server nonce: empty
                message(*b"OPN", &b)
            }
            b"MSG" if open && msg.len() >= 24 => {
                let req_id = le32(&msg, 20);
                let Some((svc, at)) = read_node(&msg, 24) else {
                    return;
                };
                let (name, write) = service_name(svc);
                ctx.rec(Transport::Tcp, Protocol::Opcua, svc, name, write, false);
                let handle = request_header(&msg, at).map_or(0, |(h, _)| h);
                let mut b = channel.to_le_bytes().to_vec();
                b.extend_from_slice(&token.to_le_bytes());
                b.extend_from_slice(&seq.to_le_bytes());
                seq += 1;
                b.extend_from_slice(&req_id.to_le_bytes());
                match svc {
                    428 => {
                        node(&mut b, 431);
                        response_header(&mut b, handle, 0);
                        b.extend_from_slice(&get_endpoints_body(id, &url, none));
                    }
                    422 => {
                        node(&mut b, 425);
                        response_header(&mut b, handle, 0);
                        b.extend_from_slice(&1i32.to_le_bytes());
                        application_description(&mut b, id, &url);
                    }
                    _ => {
                        node(&mut b, 397);
                        response_header(&mut b, handle, 0x800B_0000);
                    }
                }
                message(*b"MSG", &b)
            }
            b"CLO" => {
                ctx.rec(
                    Transport::Tcp,
                    Protocol::Opcua,
                    452,
                    "close_secure_channel",
                    false,
                    false,
                );
                return;
            }
            _ => {
                let _ = send(&mut s, &error(0x8003_0000, "unexpected message")).await;
                return;
            }
        };
        if !send(&mut s, &reply).await {
            return;
        }
    }
}
