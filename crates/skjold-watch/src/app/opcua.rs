//! OPC UA binary (UA TCP) flow state: one EVE `opcua` event per message chunk, with the
//! service decoded on channels whose security policy is None.
//!
//! Grammar is `skjold_proto::opcua` (OPC 10000-6 §7.1 and §6.7, OPC 10000-4). The state frames
//! chunks on each direction (at most `MAX_CHUNK` bytes; a larger size emits `too_large` and is
//! skipped), remembers the policy of the secure channel from the OPN security header, and for
//! policy None decodes each chunk's body: service type `NodeId`, request handle, service result,
//! the `OpenSecureChannel` parameters, the node ids of Read and Write requests (first 16) and
//! the endpoints of `GetEndpoints` responses. On any other policy (or when the OPN was not
//! captured) only the headers are logged (`encrypted: true`).
//!
//! A chunk larger than [`MAX_BUFFERED_CHUNK`] (64 KiB) is decoded from its first 64 KiB and
//! logged with `truncated: true`; the rest of it is skipped.
//!
//! Multi-chunk messages are not reassembled: each chunk is logged on its own; the first chunk
//! (`C`) decodes what it holds, later chunks of the same request id carry the first chunk's
//! service with `continuation: true`. Responses name the request they answer
//! (`request.service`, matched by request id, at most [`MAX_PENDING`] waiting).
//!
//! Identity of the server, from `GetEndpoints` responses: `application_uri`, `product` (the
//! product URI), `name` (the application name's text). Anomalies: `malformed` (a header that
//! is not UA TCP; the state resynchronises on the next plausible header), `malformed_header`
//! (a readable chunk whose security header or Hello/Ack/Error fields are truncated),
//! `too_large`, `too_many_transactions`. EVE body: `docs/eve/opcua.md`.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_proto::opcua::{
    parse_ack, parse_body, parse_chunk, parse_error, parse_hello, parse_opn_header,
    parse_reverse_hello, parse_symmetric_header, security_mode_name, user_token_type_name, Body,
    Chunk, Detail, MessageType, SecurityPolicy, ServiceId, StatusCode,
};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[4840];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("opcua_client", "opcua_server");

/// A chunk larger than this is decoded from its first this-many bytes (headers, service and
/// as much of the body as they hold) and the rest is skipped, rather than buffered whole.
pub(crate) const MAX_BUFFERED_CHUNK: usize = 64 * 1024;

/// Requests (by request id) waiting for their response, per flow.
pub(crate) const MAX_PENDING: usize = 64;

/// Port-independent detection on the first bytes of one direction (a whole datagram on UDP).
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => skjold_proto::opcua::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(OpcuaState::default())
}

#[derive(Debug, Default, Clone, Copy)]
struct Side {
    /// Bytes still to skip (an oversized chunk).
    skip: u64,
    /// Inside a burst of unrecognised bytes (one `malformed` per burst).
    garbage: bool,
}

/// A request (or a multi-chunk message) by request id.
#[derive(Debug, Clone, Copy)]
struct Pending {
    dir: Dir,
    request_id: u32,
    service: u32,
    /// Chunks of this message are still coming.
    open: bool,
}

/// OPC UA state of one flow.
#[derive(Debug, Default)]
pub(crate) struct OpcuaState {
    sides: [Side; 2],
    /// The secure channel's policy, from the OPN security header.
    policy: Option<SecurityPolicy>,
    pending: VecDeque<Pending>,
}

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn sender(dir: Dir) -> Endpoint {
    match dir {
        Dir::ToServer => Endpoint::Client,
        Dir::ToClient => Endpoint::Server,
    }
}

const TYPES: [&[u8; 3]; 7] = [b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"];

/// Offset of the next plausible chunk header in `b` after position 0.
fn resync(b: &[u8]) -> Option<usize> {
    (1..b.len()).find(|&i| {
        let w = b.get(i..).unwrap_or_default();
        TYPES.iter().any(|t| w.starts_with(&t[..w.len().min(3)]))
            && (w.len() < 8 || matches!(parse_chunk(w), Ok(_) | Err(ParseError::Incomplete(_))))
    })
}

/// The head of a chunk whose size exceeds [`MAX_BUFFERED_CHUNK`], once that many bytes are
/// buffered (`rest` must be a framed chunk's beginning, as `parse_chunk` reported `Incomplete`).
fn large_chunk_head(rest: &[u8]) -> Option<Chunk<'_>> {
    if rest.len() < MAX_BUFFERED_CHUNK {
        return None;
    }
    let h = rest.get(..8)?;
    Some(Chunk {
        msg_type: MessageType([h[0], h[1], h[2]]),
        chunk_type: h[3],
        size: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        body: rest.get(8..)?,
    })
}

fn write_status(w: &mut JsonWriter, key_raw: &str, key: &str, s: StatusCode) {
    w.set_uint(key_raw, u64::from(s.0));
    if let Some(n) = s.name() {
        w.set_str(key, n);
    }
}

/// What one chunk decoded to, for logging.
struct Decoded<'a> {
    chunk: Chunk<'a>,
    channel_id: Option<u32>,
    token_id: Option<u32>,
    sequence: Option<(u32, u32)>,
    encrypted: bool,
    body: Option<Body<'a>>,
    continuation: Option<u32>,
    request_service: Option<u32>,
}

impl OpcuaState {
    fn remember(&mut self, p: Pending, dir: Dir, ctx: &mut AppCtx<'_>) {
        if let Some(x) = self
            .pending
            .iter_mut()
            .find(|x| x.dir == p.dir && x.request_id == p.request_id)
        {
            *x = p;
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
            ctx.anomaly(dir, "too_many_transactions");
        }
        self.pending.push_back(p);
    }

    #[allow(clippy::too_many_lines, reason = "one arm per message type")]
    fn chunk(&mut self, dir: Dir, c: Chunk<'_>, ctx: &mut AppCtx<'_>) {
        ctx.count_pdu();
        let mut d = Decoded {
            chunk: c,
            channel_id: None,
            token_id: None,
            sequence: None,
            encrypted: false,
            body: None,
            continuation: None,
            request_service: None,
        };
        let mut bad = false;
        let mut plain: Option<&[u8]> = None;
        match &c.msg_type.0 {
            b"OPN" => match parse_opn_header(c.body) {
                Ok(h) => {
                    d.channel_id = Some(h.channel_id);
                    self.policy = Some(h.policy());
                    if h.policy() == SecurityPolicy::None {
                        d.sequence = h.sequence;
                        plain = Some(h.body);
                    } else {
                        d.encrypted = true;
                    }
                }
                Err(_) => bad = true,
            },
            b"MSG" | b"CLO" => match parse_symmetric_header(c.body) {
                Ok(h) => {
                    d.channel_id = Some(h.channel_id);
                    d.token_id = Some(h.token_id);
                    if self.policy == Some(SecurityPolicy::None) {
                        d.sequence = Some((h.sequence_number, h.request_id));
                        plain = Some(h.body);
                    } else {
                        d.encrypted = true;
                    }
                }
                Err(_) => bad = true,
            },
            b"HEL" => bad = parse_hello(c.body).is_err(),
            b"ACK" => bad = parse_ack(c.body).is_err(),
            b"ERR" => bad = parse_error(c.body).is_err(),
            _ => bad = parse_reverse_hello(c.body).is_err(),
        }
        if bad {
            ctx.anomaly(dir, "malformed_header");
        }
        if let (Some(body), Some((_, request_id))) = (plain, d.sequence) {
            let open = self
                .pending
                .iter()
                .position(|p| p.dir == dir && p.request_id == request_id && p.open);
            if let Some(i) = open {
                // A later chunk of a multi-chunk message: the service of its first chunk.
                let p = self.pending.get_mut(i).map(|p| {
                    p.open = c.chunk_type == b'C';
                    *p
                });
                d.continuation = p.map(|p| p.service);
                if let Some(p) = p {
                    if !p.open && !ServiceId(p.service).info().is_some_and(|i| i.1) {
                        self.pending.remove(i);
                    }
                }
            } else if let Ok(b) = parse_body(body) {
                let svc = b.type_id.ns0_numeric();
                let info = svc.and_then(|s| ServiceId(s).info());
                let multi = c.chunk_type == b'C';
                match (svc, info) {
                    (Some(s), Some((_, true))) => self.remember(
                        Pending {
                            dir,
                            request_id,
                            service: s,
                            open: multi,
                        },
                        dir,
                        ctx,
                    ),
                    (Some(s), _) => {
                        if let Some(i) = self
                            .pending
                            .iter()
                            .position(|p| p.dir != dir && p.request_id == request_id)
                        {
                            d.request_service = self.pending.remove(i).map(|p| p.service);
                        }
                        if multi {
                            self.remember(
                                Pending {
                                    dir,
                                    request_id,
                                    service: s,
                                    open: true,
                                },
                                dir,
                                ctx,
                            );
                        }
                    }
                    _ => {}
                }
                if let Detail::Endpoints(eps, _) = &b.detail {
                    let who = sender(dir);
                    for e in eps {
                        if let Some(u) = e.application_uri {
                            ctx.identity(who, "application_uri", &String::from_utf8_lossy(u));
                        }
                        if let Some(u) = e.product_uri {
                            ctx.identity(who, "product", &String::from_utf8_lossy(u));
                        }
                        if let Some(u) = e.application_name {
                            ctx.identity(who, "name", &String::from_utf8_lossy(u));
                        }
                    }
                }
                d.body = Some(b);
            }
        }
        if ctx.log_enabled() {
            ctx.event(dir, |w| write_chunk(w, &d));
        }
    }
}

fn opt_str(w: &mut JsonWriter, key: &str, v: Option<&[u8]>) {
    if let Some(v) = v {
        w.set_bytes_str(key, v);
    }
}

fn write_hello(w: &mut JsonWriter, key: &str, body: &[u8], ack: bool) {
    let h = if ack {
        parse_ack(body)
    } else {
        parse_hello(body)
    };
    let Ok(h) = h else { return };
    w.open_object(key);
    w.set_uint("protocol_version", u64::from(h.protocol_version));
    w.set_uint("receive_buffer_size", u64::from(h.receive_buffer_size));
    w.set_uint("send_buffer_size", u64::from(h.send_buffer_size));
    w.set_uint("max_message_size", u64::from(h.max_message_size));
    w.set_uint("max_chunk_count", u64::from(h.max_chunk_count));
    opt_str(w, "endpoint_url", h.endpoint_url);
    w.close();
}

fn service_json(w: &mut JsonWriter, key: &str, id: u32) {
    w.open_object(key);
    w.set_uint("type_id", u64::from(id));
    if let Some((n, req)) = ServiceId(id).info() {
        w.set_str("name", n);
        w.set_str("kind", if req { "request" } else { "response" });
    }
    w.close();
}

#[allow(clippy::too_many_lines, reason = "one block per message part")]
#[allow(
    clippy::many_single_char_names,
    reason = "w, d, c, s, n as in the other states"
)]
fn write_chunk(w: &mut JsonWriter, d: &Decoded<'_>) {
    let c = &d.chunk;
    w.set_bytes_str("message_type", &c.msg_type.0);
    w.set_bytes_str("chunk_type", &[c.chunk_type]);
    w.set_uint("message_size", u64::from(c.size));
    if c.size as usize > c.body.len() + 8 {
        // Larger than MAX_BUFFERED_CHUNK: decoded from its first bytes, the rest skipped.
        w.set_bool("truncated", true);
    }
    match &c.msg_type.0 {
        b"HEL" => write_hello(w, "hello", c.body, false),
        b"ACK" => write_hello(w, "acknowledge", c.body, true),
        b"ERR" => {
            if let Ok((s, reason)) = parse_error(c.body) {
                w.open_object("error");
                write_status(w, "status_code", "status", s);
                opt_str(w, "reason", reason);
                w.close();
            }
        }
        b"RHE" => {
            if let Ok((server, url)) = parse_reverse_hello(c.body) {
                w.open_object("reverse_hello");
                opt_str(w, "server_uri", server);
                opt_str(w, "endpoint_url", url);
                w.close();
            }
        }
        _ => {}
    }
    if let Some(id) = d.channel_id {
        w.set_uint("secure_channel_id", u64::from(id));
    }
    if &c.msg_type.0 == b"OPN" {
        if let Ok(h) = parse_opn_header(c.body) {
            opt_str(w, "security_policy_uri", h.policy_uri);
            w.set_str("security_policy", h.policy().name());
            w.set_bool(
                "sender_certificate_present",
                h.sender_certificate_len.is_some_and(|n| n > 0),
            );
            if let Some(n) = h.sender_certificate_len {
                w.set_uint("sender_certificate_length", n as u64);
            }
            w.set_bool(
                "receiver_thumbprint_present",
                h.receiver_thumbprint_len.is_some_and(|n| n > 0),
            );
        }
    }
    if let Some(t) = d.token_id {
        w.set_uint("token_id", u64::from(t));
    }
    if let Some((seq, req)) = d.sequence {
        w.set_uint("sequence_number", u64::from(seq));
        w.set_uint("request_id", u64::from(req));
    }
    if c.msg_type.is_secure() {
        w.set_bool("encrypted", d.encrypted);
    }
    if let Some(s) = d.continuation {
        service_json(w, "service", s);
        w.set_bool("continuation", true);
    }
    if let Some(b) = &d.body {
        let mut id = String::new();
        b.type_id.write_to(&mut id);
        w.open_object("service");
        w.set_str("node_id", &id);
        if let Some(n) = b.type_id.ns0_numeric() {
            w.set_uint("type_id", u64::from(n));
            if let Some((name, req)) = ServiceId(n).info() {
                w.set_str("name", name);
                w.set_str("kind", if req { "request" } else { "response" });
            }
        }
        if let Some(h) = b.request_handle {
            w.set_uint("request_handle", u64::from(h));
        }
        if let Some(s) = b.service_result {
            write_status(w, "service_result", "service_result_name", s);
        }
        w.close();
        match &b.detail {
            Detail::OpenRequest {
                request_type,
                security_mode,
                lifetime,
            } => {
                w.open_object("open_secure_channel");
                w.set_uint("request_type_raw", u64::from(*request_type));
                w.set_str(
                    "request_type",
                    match request_type {
                        0 => "Issue",
                        1 => "Renew",
                        _ => "unknown",
                    },
                );
                w.set_uint("security_mode_raw", u64::from(*security_mode));
                if let Some(n) = security_mode_name(*security_mode) {
                    w.set_str("security_mode", n);
                }
                w.set_uint("requested_lifetime", u64::from(*lifetime));
                w.close();
            }
            Detail::OpenResponse {
                channel_id,
                token_id,
                lifetime,
            } => {
                w.open_object("open_secure_channel");
                w.set_uint("channel_id", u64::from(*channel_id));
                w.set_uint("token_id", u64::from(*token_id));
                w.set_uint("revised_lifetime", u64::from(*lifetime));
                w.close();
            }
            Detail::Nodes(v, n) => {
                w.open_array("nodes");
                let mut s = String::new();
                for id in v {
                    s.clear();
                    id.write_to(&mut s);
                    w.append_str(&s);
                }
                w.close_array();
                w.set_uint("node_count", *n as u64);
            }
            Detail::Endpoints(v, n) => {
                w.open_array("endpoints");
                for e in v {
                    w.start_object();
                    opt_str(w, "endpoint_url", e.url);
                    w.set_uint("security_mode_raw", u64::from(e.security_mode));
                    if let Some(n) = security_mode_name(e.security_mode) {
                        w.set_str("security_mode", n);
                    }
                    opt_str(w, "security_policy_uri", e.policy_uri);
                    w.set_str(
                        "security_policy",
                        SecurityPolicy::from_uri(e.policy_uri.unwrap_or_default()).name(),
                    );
                    w.open_array("user_token_types");
                    for t in 0..32u32 {
                        if e.user_token_types & (1 << t) != 0 {
                            w.append_str(user_token_type_name(t).unwrap_or("unknown"));
                        }
                    }
                    w.close_array();
                    w.set_uint("security_level", u64::from(e.security_level));
                    opt_str(w, "application_uri", e.application_uri);
                    opt_str(w, "product_uri", e.product_uri);
                    opt_str(w, "application_name", e.application_name);
                    w.close();
                }
                w.close_array();
                w.set_uint("endpoint_count", *n as u64);
            }
            Detail::None => {}
        }
    }
    if let Some(s) = d.request_service {
        service_json(w, "request", s);
    }
}

impl AppState for OpcuaState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let si = side_index(dir);
        let mut off = 0usize;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            if self.sides[si].skip > 0 {
                let n = usize::try_from(self.sides[si].skip)
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                self.sides[si].skip -= n as u64;
                off += n;
                continue;
            }
            match parse_chunk(rest) {
                Ok((tail, c)) => {
                    self.sides[si].garbage = false;
                    self.chunk(dir, c, ctx);
                    off += rest.len() - tail.len();
                }
                Err(ParseError::Incomplete(_)) => {
                    // A chunk too large to buffer whole: log it from its first bytes and skip
                    // the rest (the TCP layer buffers at most 256 KiB per direction).
                    match large_chunk_head(rest) {
                        Some(c) => {
                            let left = (c.size as usize).saturating_sub(rest.len());
                            self.sides[si].garbage = false;
                            self.chunk(dir, c, ctx);
                            self.sides[si].skip = left as u64;
                            off = input.len();
                        }
                        None => break,
                    }
                }
                Err(ParseError::TooLarge { len, .. }) => {
                    ctx.anomaly(dir, "too_large");
                    self.sides[si].skip = len as u64;
                }
                Err(_) => {
                    if !self.sides[si].garbage {
                        ctx.anomaly(dir, "malformed");
                        self.sides[si].garbage = true;
                    }
                    match resync(rest) {
                        Some(n) => off += n,
                        None => off = input.len(),
                    }
                }
            }
        }
        off
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        let s = &mut self.sides[side_index(dir)];
        s.skip = 0;
        s.garbage = true;
    }

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::OpcuaState;
    use crate::app::{AppProto, Dir};
    use proptest::prelude::*;
    use serde_json::Value;

    type Harness = crate::app::testing::Harness<OpcuaState>;

    fn harness() -> Harness {
        Harness::with(OpcuaState::default(), AppProto::Opcua)
    }

    fn opcua(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "opcua").collect()
    }

    fn anomalies(ev: &[Value]) -> Vec<String> {
        ev.iter()
            .filter(|e| e["event_type"] == "anomaly")
            .map(|e| {
                e["anomaly"]["event"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    fn s(v: &mut Vec<u8>, x: &[u8]) {
        v.extend_from_slice(&(x.len() as i32).to_le_bytes());
        v.extend_from_slice(x);
    }

    fn chunk(t: [u8; 3], c: u8, body: &[u8]) -> Vec<u8> {
        let mut v = t.to_vec();
        v.push(c);
        v.extend_from_slice(&(body.len() as u32 + 8).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    fn hello() -> Vec<u8> {
        let mut b = Vec::new();
        for x in [0u32, 65536, 65536, 0, 0] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        s(&mut b, b"opc.tcp://plc:4840");
        chunk(*b"HEL", b'F', &b)
    }

    const POLICY_NONE: &[u8] = b"http://opcfoundation.org/UA/SecurityPolicy#None";

    fn opn_request() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0u32.to_le_bytes()); // channel id
        s(&mut b, POLICY_NONE);
        b.extend_from_slice(&(-1i32).to_le_bytes()); // no certificate
        b.extend_from_slice(&(-1i32).to_le_bytes()); // no thumbprint
        b.extend_from_slice(&1u32.to_le_bytes()); // sequence number
        b.extend_from_slice(&1u32.to_le_bytes()); // request id
        b.extend_from_slice(&[0x01, 0x00, 0xbe, 0x01]); // NodeId i=446 (four-byte)
        request_header(&mut b, 1);
        b.extend_from_slice(&0u32.to_le_bytes()); // client protocol version
        b.extend_from_slice(&0u32.to_le_bytes()); // Issue
        b.extend_from_slice(&1u32.to_le_bytes()); // mode None
        b.extend_from_slice(&(-1i32).to_le_bytes()); // nonce
        b.extend_from_slice(&600_000u32.to_le_bytes()); // lifetime
        chunk(*b"OPN", b'F', &b)
    }

    fn request_header(b: &mut Vec<u8>, handle: u32) {
        b.extend_from_slice(&[0x00, 0x00]); // auth token i=0
        b.extend_from_slice(&0u64.to_le_bytes()); // timestamp
        b.extend_from_slice(&handle.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // return diagnostics
        b.extend_from_slice(&(-1i32).to_le_bytes()); // audit entry id
        b.extend_from_slice(&0u32.to_le_bytes()); // timeout hint
        b.extend_from_slice(&[0x00, 0x00, 0x00]); // extension object i=0, no body
    }

    fn write_request() -> Vec<u8> {
        let mut b = Vec::new();
        for x in [7u32, 1, 2, 2] {
            b.extend_from_slice(&x.to_le_bytes()); // channel, token, seq, request id
        }
        b.extend_from_slice(&[0x01, 0x00, 0xa1, 0x02]); // i=673 WriteRequest
        request_header(&mut b, 5);
        b.extend_from_slice(&1i32.to_le_bytes()); // one WriteValue
        b.extend_from_slice(&[0x03, 0x02, 0x00]); // NodeId string ns=2
        s(&mut b, b"Pump.Speed");
        b.extend_from_slice(&13u32.to_le_bytes()); // attribute Value
        b.extend_from_slice(&(-1i32).to_le_bytes()); // index range
        b.extend_from_slice(&[0x01, 0x0b]); // DataValue: value, Variant Double
        b.extend_from_slice(&42.0f64.to_le_bytes());
        chunk(*b"MSG", b'F', &b)
    }

    #[test]
    fn none_policy_channel_decodes_services_and_write_node_ids() {
        let mut h = harness();
        let mut all = hello();
        all.extend(opn_request());
        all.extend(write_request());
        assert_eq!(h.feed(Dir::ToServer, &all), all.len());
        let ev = h.events();
        let o = opcua(&ev);
        assert_eq!(o.len(), 3, "{ev:?}");
        assert_eq!(o[0]["opcua"]["hello"]["endpoint_url"], "opc.tcp://plc:4840");
        let opn = &o[1]["opcua"];
        assert_eq!(opn["security_policy"], "None");
        assert_eq!(opn["sender_certificate_present"], false);
        assert_eq!(opn["service"]["name"], "OpenSecureChannel");
        assert_eq!(opn["open_secure_channel"]["security_mode"], "None");
        assert_eq!(opn["open_secure_channel"]["requested_lifetime"], 600_000);
        let msg = &o[2]["opcua"];
        assert_eq!(msg["encrypted"], false);
        assert_eq!(msg["service"]["type_id"], 673);
        assert_eq!(msg["service"]["name"], "Write");
        assert_eq!(msg["service"]["request_handle"], 5);
        assert_eq!(msg["nodes"], serde_json::json!(["ns=2;s=Pump.Speed"]));
        assert!(anomalies(&ev).is_empty());
    }

    #[test]
    fn without_a_none_opn_bodies_are_not_decoded() {
        let mut h = harness();
        h.feed(Dir::ToServer, &write_request());
        let ev = h.events();
        assert_eq!(opcua(&ev)[0]["opcua"]["encrypted"], true);
        assert!(opcua(&ev)[0]["opcua"].get("service").is_none());
    }

    #[test]
    fn garbage_is_reported_once_and_the_stream_resynchronises() {
        let mut h = harness();
        let mut all = b"garbage!garbage!".to_vec();
        all.extend(hello());
        assert_eq!(h.feed(Dir::ToServer, &all), all.len());
        let ev = h.events();
        assert_eq!(anomalies(&ev), ["malformed"]);
        assert_eq!(opcua(&ev).len(), 1);
    }

    #[test]
    fn a_chunk_larger_than_the_buffer_is_logged_from_its_head_and_skipped() {
        let mut all = opn_request();
        let mut big = write_request();
        big.resize(super::MAX_BUFFERED_CHUNK * 2, 0x55);
        let size = u32::try_from(big.len()).unwrap_or(0).to_le_bytes();
        big[4..8].copy_from_slice(&size);
        all.extend(big);
        all.extend(hello());
        let chunks = all
            .chunks(4096)
            .map(|c| (c.to_vec(), false, false))
            .collect();
        assert!(harness().drive(chunks, super::MAX_BUFFERED_CHUNK).is_ok());
        let mut h = harness();
        let mut buf = Vec::new();
        for piece in all.chunks(4096) {
            buf.extend_from_slice(piece);
            let used = h.feed(Dir::ToServer, &buf);
            buf.drain(..used);
        }
        let ev = h.events();
        let o = opcua(&ev);
        assert_eq!(o.len(), 3, "{:?}", anomalies(&ev));
        assert_eq!(o[1]["opcua"]["truncated"], true);
        assert_eq!(o[1]["opcua"]["service"]["name"], "Write");
        assert_eq!(
            o[1]["opcua"]["nodes"],
            serde_json::json!(["ns=2;s=Pump.Speed"])
        );
        assert_eq!(o[2]["opcua"]["message_type"], "HEL");
        assert!(anomalies(&ev).is_empty());
    }

    proptest! {
        #[test]
        fn any_chunking_keeps_the_stream_contract(
            cuts in proptest::collection::vec(1usize..40, 1..20),
            gap_at in 0usize..20,
        ) {
            let mut all = hello();
            all.extend(opn_request());
            all.extend(write_request());
            let mut chunks = Vec::new();
            let mut i = 0;
            for (k, c) in cuts.iter().enumerate() {
                if i >= all.len() { break; }
                let j = (i + c).min(all.len());
                chunks.push((all[i..j].to_vec(), false, k == gap_at && k > 0));
                i = j;
            }
            let mut h = harness();
            prop_assert!(h.drive(chunks, 1 << 16).is_ok());
        }
    }
}
