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
//! Detection (when on): the secure channel once (`Session`: policy, mode when readable,
//! accepted from the OPN answer or an ERR), `ActivateSession`'s identity token on a None channel
//! (anonymous `Session`, user name `Credentials`), and one `Op` per decoded request (Read and
//! Write one per node, `name` the node id, write values when numeric scalars).
//!
//! Identity of the server, from `GetEndpoints` responses: `application_uri`, `product` (the
//! product URI), `name` (the application name's text). Anomalies: `malformed` (a header that
//! is not UA TCP; the state resynchronises on the next plausible header), `malformed_header`
//! (a readable chunk whose security header or Hello/Ack/Error fields are truncated),
//! `too_large`, `too_many_transactions`. EVE body: `docs/eve/opcua.md`.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::defaults::is_default;
use skjold_detect::obs::{Credentials, Op, OpClass, Session};
use skjold_detect::What;
use skjold_proto::opcua::{node_id, OpnHeader};
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
    /// The secure channel being opened, for detection (built only when detecting).
    channel: Option<Channel>,
}

/// An `OpenSecureChannel` request not yet reported to detection.
#[derive(Debug)]
struct Channel {
    /// Last part of the policy URI (`None`, `Basic256Sha256`...).
    policy: Box<str>,
    /// Security mode (readable on a None channel only).
    mode: Option<&'static str>,
    /// Already reported (once per channel: renewals are not reported).
    reported: bool,
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
                    if ctx.detecting() {
                        self.opn_seen(dir, &h, ctx);
                    }
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
            b"ERR" => {
                bad = parse_error(c.body).is_err();
                if dir == Dir::ToClient && ctx.detecting() {
                    self.channel_answered(Some(false), ctx);
                }
            }
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
                if ctx.detecting() {
                    self.observe_body(dir, &b, body, ctx);
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

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        if ctx.detecting() {
            self.channel_answered(None, ctx);
        }
        self.pending.clear();
    }
}

/// Whether a status code is good or uncertain (severity bits not `10`).
fn good(s: StatusCode) -> bool {
    s.0 >> 30 != 2
}

impl OpcuaState {
    /// An OPN chunk: a request opens a channel (reported when answered); an encrypted
    /// response (its body unreadable) means the server accepted it.
    fn opn_seen(&mut self, dir: Dir, h: &OpnHeader<'_>, ctx: &mut AppCtx<'_>) {
        match dir {
            Dir::ToServer => {
                if self.channel.is_none() {
                    let uri = String::from_utf8_lossy(h.policy_uri.unwrap_or_default());
                    let policy = uri.rsplit('#').next().unwrap_or_default().into();
                    self.channel = Some(Channel {
                        policy,
                        mode: None,
                        reported: false,
                    });
                }
            }
            Dir::ToClient => {
                if h.policy() != SecurityPolicy::None {
                    self.channel_answered(Some(true), ctx);
                }
            }
        }
    }

    /// Report the channel being opened once, with the server's answer when seen.
    fn channel_answered(&mut self, accepted: Option<bool>, ctx: &mut AppCtx<'_>) {
        let Some(c) = self.channel.as_mut().filter(|c| !c.reported) else {
            return;
        };
        c.reported = true;
        let s = Session {
            anonymous: false,
            accepted,
            security_mode: c.mode,
            security_policy: Some(c.policy.clone()),
        };
        ctx.observe(Dir::ToServer, What::Session(s));
    }

    /// Report a decoded (policy None) message: sessions, credentials and one [`Op`] per
    /// request (one per node of a Read or Write).
    fn observe_body(&mut self, dir: Dir, b: &Body<'_>, raw: &[u8], ctx: &mut AppCtx<'_>) {
        let Some(svc) = b.type_id.ns0_numeric() else {
            return;
        };
        let Some((name, request)) = ServiceId(svc).info() else {
            return;
        };
        match (svc, &b.detail) {
            (446, Detail::OpenRequest { security_mode, .. }) => {
                if let Some(c) = self.channel.as_mut() {
                    c.mode = c.mode.or(security_mode_name(*security_mode));
                }
                return;
            }
            (449, _) => {
                let accepted = b.service_result.map(good);
                self.channel_answered(accepted.or(Some(true)), ctx);
                return;
            }
            _ => {}
        }
        if !request {
            return;
        }
        let op = |class| Op::new(class, svc, name);
        match svc {
            461 => ctx.observe(dir, What::Op(op(OpClass::Connect))),
            467 => {
                ctx.observe(dir, What::Op(op(OpClass::Connect)));
                if let Some(t) = activate_token(raw) {
                    self.observe_token(dir, &t, ctx);
                }
            }
            631 | 673 => {
                let (class, values) = if svc == 673 {
                    (OpClass::Write, write_values(raw))
                } else {
                    (OpClass::Read, Vec::new())
                };
                match &b.detail {
                    Detail::Nodes(nodes, _) if !nodes.is_empty() => {
                        for (i, n) in nodes.iter().enumerate() {
                            let mut text = String::new();
                            n.write_to(&mut text);
                            let mut o = Op {
                                name: Some(text.into_boxed_str()),
                                ..op(class)
                            };
                            o.values.extend(values.get(i).copied().flatten());
                            ctx.observe(dir, What::Op(o));
                        }
                    }
                    _ => ctx.observe(dir, What::Op(op(class))),
                }
            }
            712 => ctx.observe(dir, What::Op(op(OpClass::Control))),
            422 | 428 | 527 | 533 => ctx.observe(dir, What::Op(op(OpClass::Identify))),
            751 | 787 => ctx.observe(dir, What::Op(op(OpClass::Subscribe))),
            _ => ctx.observe(dir, What::Op(op(OpClass::Other))),
        }
    }

    /// The identity token of an `ActivateSession` on a None channel: anonymous (a session
    /// without credentials) or a user name (credentials, readable unless the password is
    /// encrypted with the server's key).
    fn observe_token(&self, dir: Dir, t: &Token<'_>, ctx: &mut AppCtx<'_>) {
        let policy = self.channel.as_ref().map(|c| c.policy.clone());
        match t {
            Token::Anonymous => ctx.observe(
                dir,
                What::Session(Session {
                    anonymous: true,
                    accepted: None,
                    security_mode: Some("None"),
                    security_policy: policy,
                }),
            ),
            Token::UserName {
                user,
                password,
                encrypted,
            } => {
                let user = String::from_utf8_lossy(user);
                let default = !encrypted && is_default(&user, password);
                ctx.observe(
                    dir,
                    What::Credentials(Credentials {
                        user: Some(user.into()),
                        cleartext: !encrypted,
                        default,
                        accepted: None,
                        method: "opcua_username",
                    }),
                );
            }
        }
    }
}

/// A user identity token of `ActivateSession`.
enum Token<'a> {
    /// `AnonymousIdentityToken`.
    Anonymous,
    /// `UserNameIdentityToken`: user, password bytes, and whether an encryption algorithm is
    /// named (the password is then encrypted).
    UserName {
        user: &'a [u8],
        password: &'a [u8],
        encrypted: bool,
    },
}

/// A little-endian cursor over a message body (OPC 10000-6 §5.2 built-in types).
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A `String` or `ByteString` (empty for the null value).
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.i32()?;
        if n < 0 {
            return Some(&[]);
        }
        self.take(usize::try_from(n).ok()?)
    }
    fn node(&mut self) -> Option<skjold_proto::opcua::NodeId<'a>> {
        node_id(&mut self.0).ok()
    }
    fn extension_object(&mut self) -> Option<(Option<u32>, &'a [u8])> {
        let id = self.node()?.ns0_numeric();
        let body = if self.u8()?.trailing_zeros() >= 2 {
            &[][..]
        } else {
            self.bytes()?
        };
        Some((id, body))
    }
    /// Skip the type id and the request header.
    fn request(raw: &'a [u8]) -> Option<Cur<'a>> {
        let mut c = Cur(raw);
        c.node()?; // type id
        c.node()?; // authentication token
        c.take(16)?; // timestamp, request handle, return diagnostics
        c.bytes()?; // audit entry id
        c.take(4)?; // timeout hint
        c.extension_object()?;
        Some(c)
    }
    fn array_len(&mut self) -> Option<usize> {
        usize::try_from(self.i32()?.max(0)).ok()
    }
}

/// The user identity token of an `ActivateSession` request body.
fn activate_token(raw: &[u8]) -> Option<Token<'_>> {
    let mut c = Cur::request(raw)?;
    c.bytes()?; // client signature: algorithm
    c.bytes()?; // signature
    for _ in 0..c.array_len()?.min(64) {
        c.bytes()?; // signed software certificate: data
        c.bytes()?; // signature
    }
    for _ in 0..c.array_len()?.min(64) {
        c.bytes()?; // locale id
    }
    match c.extension_object()? {
        // AnonymousIdentityToken (binary encoding 321).
        (Some(321), _) => Some(Token::Anonymous),
        // UserNameIdentityToken (binary encoding 324).
        (Some(324), body) => {
            let mut t = Cur(body);
            t.bytes()?; // policy id
            let user = t.bytes()?;
            let password = t.bytes()?;
            let algorithm = t.bytes().unwrap_or_default();
            Some(Token::UserName {
                user,
                password,
                encrypted: !algorithm.is_empty(),
            })
        }
        _ => None,
    }
}

/// The values of a Write request's nodes, in order, when they are numeric scalars (`None` for
/// others; decoding stops at the first value it cannot step over).
fn write_values(raw: &[u8]) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    let Some(mut c) = Cur::request(raw) else {
        return out;
    };
    let Some(n) = c.array_len() else {
        return out;
    };
    for _ in 0..n.min(skjold_proto::opcua::MAX_ITEMS) {
        let Some(v) = write_value(&mut c) else {
            break;
        };
        out.push(v);
    }
    out
}

/// One `WriteValue`: `Some(value)` when it could be stepped over (the inner `None` for a
/// value that is not a numeric scalar).
#[allow(clippy::option_option, reason = "outer: readable, inner: numeric")]
fn write_value(c: &mut Cur<'_>) -> Option<Option<f64>> {
    c.node()?;
    c.u32()?; // attribute id
    c.bytes()?; // index range
    let mask = c.u8()?;
    let mut value = None;
    if mask & 1 != 0 {
        let ty = c.u8()?;
        if ty & 0xc0 != 0 {
            return None; // arrays: not decoded
        }
        let le = |b: &[u8]| {
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(b);
            a
        };
        #[allow(
            clippy::cast_precision_loss,
            reason = "values are compared, not stored"
        )]
        {
            value = match ty {
                1 | 3 => Some(f64::from(c.u8()?)),
                2 => Some(f64::from(i8::from_le_bytes([c.u8()?]))),
                4 => Some(f64::from(i16::from_le_bytes(c.take(2)?.try_into().ok()?))),
                5 => Some(f64::from(u16::from_le_bytes(c.take(2)?.try_into().ok()?))),
                6 => Some(f64::from(i32::from_le_bytes(c.take(4)?.try_into().ok()?))),
                7 => Some(f64::from(c.u32()?)),
                8 => Some(i64::from_le_bytes(le(c.take(8)?)) as f64),
                9 => Some(u64::from_le_bytes(le(c.take(8)?)) as f64),
                10 => Some(f64::from(f32::from_le_bytes(c.take(4)?.try_into().ok()?))),
                11 => Some(f64::from_le_bytes(le(c.take(8)?))),
                12 | 15 => {
                    c.bytes()?;
                    None
                }
                _ => return None,
            };
        }
    }
    if mask & 2 != 0 {
        c.take(4)?;
    }
    if mask & 4 != 0 {
        c.take(8)?;
    }
    if mask & 8 != 0 {
        c.take(8)?;
    }
    if mask & 0x10 != 0 {
        c.take(2)?;
    }
    if mask & 0x20 != 0 {
        c.take(2)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::OpcuaState;
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use proptest::prelude::*;
    use serde_json::Value;
    use skjold_detect::obs::{Credentials, Op, OpClass, Session};
    use skjold_detect::What;

    type Harness = crate::app::testing::Harness<OpcuaState>;

    fn harness() -> Harness {
        Harness::with(OpcuaState::default(), AppProto::Opcua)
    }

    fn opcua(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "opcua").collect()
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

    fn observed(h: &Harness) -> Vec<(bool, What)> {
        h.out
            .obs
            .iter()
            .map(|o| (o.flow.expect("flow").from_client, o.what.clone()))
            .collect()
    }

    fn opn(policy: &[u8], body: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&7u32.to_le_bytes()); // channel id
        s(&mut b, policy);
        b.extend_from_slice(&(-1i32).to_le_bytes()); // no certificate
        b.extend_from_slice(&(-1i32).to_le_bytes()); // no thumbprint
        b.extend_from_slice(body);
        chunk(*b"OPN", b'F', &b)
    }

    fn opn_response(result: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&1u32.to_le_bytes()); // sequence number
        b.extend_from_slice(&1u32.to_le_bytes()); // request id
        b.extend_from_slice(&[0x01, 0x00, 0xc1, 0x01]); // i=449
        b.extend_from_slice(&0u64.to_le_bytes()); // timestamp
        b.extend_from_slice(&1u32.to_le_bytes()); // request handle
        b.extend_from_slice(&result.to_le_bytes()); // service result
        b.push(0); // diagnostic info: none
        b.extend_from_slice(&(-1i32).to_le_bytes()); // string table
        b.extend_from_slice(&[0x00, 0x00, 0x00]); // additional header
        b.extend_from_slice(&0u32.to_le_bytes()); // server protocol version
        for x in [7u32, 1] {
            b.extend_from_slice(&x.to_le_bytes()); // channel id, token id
        }
        b.extend_from_slice(&0u64.to_le_bytes()); // created at
        b.extend_from_slice(&600_000u32.to_le_bytes()); // revised lifetime
        b.extend_from_slice(&(-1i32).to_le_bytes()); // server nonce
        opn(POLICY_NONE, &b)
    }

    /// `ActivateSession` (request id 3) with the identity token `token` (type id, body).
    fn activate(token_type: u8, token: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for x in [7u32, 1, 3, 3] {
            b.extend_from_slice(&x.to_le_bytes()); // channel, token, seq, request id
        }
        b.extend_from_slice(&[0x01, 0x00, 0xd3, 0x01]); // i=467 ActivateSessionRequest
        request_header(&mut b, 3);
        b.extend_from_slice(&(-1i32).to_le_bytes()); // signature algorithm
        b.extend_from_slice(&(-1i32).to_le_bytes()); // signature
        b.extend_from_slice(&0i32.to_le_bytes()); // software certificates
        b.extend_from_slice(&1i32.to_le_bytes()); // locale ids
        s(&mut b, b"en");
        b.extend_from_slice(&[0x01, 0x00, token_type, 0x01, 0x01]); // token type id, body
        b.extend_from_slice(&(token.len() as i32).to_le_bytes());
        b.extend_from_slice(token);
        chunk(*b"MSG", b'F', &b)
    }

    #[test]
    fn none_channel_session_credentials_and_write_value_are_observed() {
        let mut h = harness();
        h.feed(Dir::ToServer, &hello());
        h.feed(Dir::ToServer, &opn_request());
        h.feed(Dir::ToClient, &opn_response(0));
        // Renewal: not reported again.
        h.feed(Dir::ToServer, &opn_request());
        h.feed(Dir::ToClient, &opn_response(0));
        let mut anon = Vec::new();
        s(&mut anon, b"anonymous");
        h.feed(Dir::ToServer, &activate(0x41, &anon)); // i=321
        let mut user = Vec::new();
        s(&mut user, b"username");
        s(&mut user, b"operator");
        s(&mut user, b"secret");
        user.extend_from_slice(&(-1i32).to_le_bytes()); // no encryption algorithm
        h.feed(Dir::ToServer, &activate(0x44, &user)); // i=324
        h.feed(Dir::ToServer, &write_request());
        let none = |anonymous, accepted| {
            What::Session(Session {
                anonymous,
                accepted,
                security_mode: Some("None"),
                security_policy: Some("None".into()),
            })
        };
        let connect = What::Op(Op::new(OpClass::Connect, 467, "ActivateSession"));
        assert_eq!(
            observed(&h),
            vec![
                (true, none(false, Some(true))),
                (true, connect.clone()),
                (true, none(true, None)),
                (true, connect),
                (
                    true,
                    What::Credentials(Credentials {
                        user: Some("operator".into()),
                        cleartext: true,
                        default: false,
                        accepted: None,
                        method: "opcua_username",
                    })
                ),
                (
                    true,
                    What::Op(Op {
                        name: Some("ns=2;s=Pump.Speed".into()),
                        values: vec![42.0],
                        ..Op::new(OpClass::Write, 673, "Write")
                    })
                ),
            ]
        );
    }

    #[test]
    fn encrypted_channel_is_reported_once_with_its_policy() {
        let mut h = harness();
        let policy = b"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
        h.feed(Dir::ToServer, &opn(policy, &[0xaa; 64]));
        h.feed(Dir::ToClient, &opn(policy, &[0xbb; 64]));
        h.feed(Dir::ToServer, &write_request());
        h.close();
        assert_eq!(
            observed(&h),
            vec![(
                true,
                What::Session(Session {
                    anonymous: false,
                    accepted: Some(true),
                    security_mode: None,
                    security_policy: Some("Basic256Sha256".into()),
                })
            )]
        );
    }

    #[test]
    fn refused_channel_is_reported_as_not_accepted() {
        let mut h = harness();
        h.feed(Dir::ToServer, &opn_request());
        h.feed(Dir::ToClient, &opn_response(0x8001_0000));
        assert!(matches!(
            &observed(&h)[..],
            [(
                true,
                What::Session(Session {
                    accepted: Some(false),
                    ..
                })
            )]
        ));
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &opn_request());
        h.feed(Dir::ToClient, &opn_response(0));
        h.feed(Dir::ToServer, &write_request());
        h.close();
        assert!(h.out.obs.is_empty());
        assert_eq!(opcua(&h.events()).len(), 3);
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
