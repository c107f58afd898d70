//! CoAP (RFC 7252, over UDP) flow state: one EVE `coap` event per message, responses paired
//! with their requests.
//!
//! Grammar is `skjold_proto::coap`. Each datagram is one message. Requests (class 0, detail not
//! 0) wait for their response in a bounded list ([`MAX_PENDING`]; one more drops the oldest and
//! emits `too_many_transactions`): a piggybacked response is the ACK with the request's message
//! id, a separate response (RFC 7252 §5.2.2) or an Observe notification carries the request's
//! token; a Reset with the request's message id closes it. A paired response's event holds
//! `request {method, uri_path, message_id}`; an Observe request stays registered for its
//! notifications. Responses to no known request are
//! logged without `request` (the request may predate the capture).
//!
//! Detection (when on): one `Op` per request (retransmissions once), `name` the URI path: GET
//! read (`/.well-known/core` identify), PUT/POST write (an ASCII number payload as value),
//! DELETE control.
//!
//! EVE body (documented in `docs/eve/coap.md`): `version`, `type`, `type_raw`, `code`
//! (`c.dd`), `code_raw`, `method` or `response` (names), `message_id`, `token` (hex),
//! `token_length`, the options decoded (`uri_host`, `uri_port`, `uri_path` joined with `/`,
//! `uri_query`, `content_format` + `content_format_name`, `accept`, `observe`, `block1`,
//! `block2` `{num, more, szx, size}`, `size1`, `size2`, `etag`, `location_path`, `max_age`),
//! `options` (every option as `{number, name, length}`), `payload_length`, `request`, and
//! `anomalies`. Anomalies: `malformed` (unreadable header or options), `too_many_options`,
//! `bad_token_length`, `empty_payload_after_marker`, `non_empty_empty_message`,
//! `too_many_transactions`. CoAP over TCP (RFC 8323) is not decoded.

use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Op, OpClass};
use skjold_detect::What;
use skjold_proto::coap::{parse_message, Block, ContentFormat, Message, OptionNumber};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[5683];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("coap_client", "coap_server");

/// Requests waiting for a response, per flow.
pub(crate) const MAX_PENDING: usize = 64;
/// Longest `uri_path` / `uri_query` text kept (bytes).
const MAX_URI: usize = 512;

/// Port-independent detection on the first bytes of one direction (a whole datagram on UDP).
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Udp => skjold_proto::coap::probe(data),
        L4::Tcp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(CoapState::default())
}

/// A request waiting for its response.
#[derive(Debug, Clone)]
struct Pending {
    dir: Dir,
    message_id: u16,
    token: Vec<u8>,
    method: u8,
    uri_path: String,
    observe: bool,
    acked: bool,
}

/// CoAP state of one flow.
#[derive(Debug, Default)]
pub(crate) struct CoapState {
    pending: VecDeque<Pending>,
}

fn uri_path(m: &Message<'_>, n: OptionNumber) -> Option<String> {
    let mut s = String::new();
    let mut any = false;
    for o in m.options().filter(|o| o.number == n) {
        any = true;
        if s.len() + o.value.len() < MAX_URI {
            s.push('/');
            s.push_str(&String::from_utf8_lossy(o.value));
        }
    }
    any.then_some(s)
}

fn write_block(w: &mut JsonWriter, key: &str, v: u32) {
    let b = Block::from_uint(v);
    w.open_object(key);
    w.set_uint("num", u64::from(b.num));
    w.set_bool("more", b.more);
    w.set_uint("szx", u64::from(b.szx));
    if let Some(s) = b.size() {
        w.set_uint("size", u64::from(s));
    }
    w.close();
}

fn write_message(w: &mut JsonWriter, m: &Message<'_>, req: Option<&Pending>) {
    w.set_uint("version", u64::from(m.version));
    w.set_str("type", m.msg_type.name());
    w.set_uint("type_raw", u64::from(m.msg_type.0));
    let dotted = m.code.dotted();
    w.set_bytes_str("code", &dotted);
    w.set_uint("code_raw", u64::from(m.code.0));
    if let Some(n) = m.code.name() {
        if m.code.is_request() {
            w.set_str("method", n);
        } else if m.code.is_response() {
            w.set_str("response", n);
        }
    }
    w.set_uint("message_id", u64::from(m.message_id));
    w.set_uint("token_length", m.token.len() as u64);
    if !m.token.is_empty() {
        w.set_hex("token", m.token);
    }
    for (num, key) in [
        (OptionNumber::URI_HOST, "uri_host"),
        (OptionNumber::PROXY_URI, "proxy_uri"),
        (OptionNumber::PROXY_SCHEME, "proxy_scheme"),
    ] {
        if let Some(o) = m.option(num) {
            w.set_bytes_str(key, o.value);
        }
    }
    if let Some(p) = m.option(OptionNumber::URI_PORT).and_then(|o| o.uint()) {
        w.set_uint("uri_port", u64::from(p));
    }
    if let Some(p) = uri_path(m, OptionNumber::URI_PATH) {
        w.set_str("uri_path", &p);
    }
    if let Some(p) = uri_path(m, OptionNumber::LOCATION_PATH) {
        w.set_str("location_path", &p);
    }
    for (num, key) in [
        (OptionNumber::URI_QUERY, "uri_query"),
        (OptionNumber::LOCATION_QUERY, "location_query"),
    ] {
        if m.options().any(|o| o.number == num) {
            w.open_array(key);
            for o in m.options().filter(|o| o.number == num) {
                w.append_str(&String::from_utf8_lossy(o.value));
            }
            w.close_array();
        }
    }
    if let Some(cf) = m
        .option(OptionNumber::CONTENT_FORMAT)
        .and_then(|o| o.uint())
    {
        w.set_uint("content_format", u64::from(cf));
        if let Some(n) = u16::try_from(cf).ok().and_then(|c| ContentFormat(c).name()) {
            w.set_str("content_format_name", n);
        }
    }
    if let Some(a) = m.option(OptionNumber::ACCEPT).and_then(|o| o.uint()) {
        w.set_uint("accept", u64::from(a));
    }
    for (num, key) in [
        (OptionNumber::OBSERVE, "observe"),
        (OptionNumber::MAX_AGE, "max_age"),
        (OptionNumber::SIZE1, "size1"),
        (OptionNumber::SIZE2, "size2"),
    ] {
        if let Some(v) = m.option(num).and_then(|o| o.uint()) {
            w.set_uint(key, u64::from(v));
        }
    }
    for (num, key) in [
        (OptionNumber::BLOCK1, "block1"),
        (OptionNumber::BLOCK2, "block2"),
    ] {
        if let Some(v) = m.option(num).and_then(|o| o.uint()) {
            write_block(w, key, v);
        }
    }
    if m.options().any(|o| o.number == OptionNumber::ETAG) {
        w.open_array("etag");
        for o in m.options().filter(|o| o.number == OptionNumber::ETAG) {
            w.append_str(&hex(o.value));
        }
        w.close_array();
    }
    if m.option_count > 0 {
        w.open_array("options");
        for o in m.options() {
            w.start_object();
            w.set_uint("number", u64::from(o.number.0));
            if let Some(n) = o.number.name() {
                w.set_str("name", n);
            }
            w.set_uint("length", o.value.len() as u64);
            w.close();
        }
        w.close_array();
    }
    w.set_uint("payload_length", m.payload.len() as u64);
    if let Some(r) = req {
        w.open_object("request");
        if let Some(n) = skjold_proto::coap::Code(r.method).name() {
            w.set_str("method", n);
        }
        w.set_str("uri_path", &r.uri_path);
        w.set_uint("message_id", u64::from(r.message_id));
        w.close();
    }
    let f = m.flags;
    if f.bad_token_length || f.empty_payload_after_marker || f.non_empty_empty_message {
        w.open_array("anomalies");
        for (on, n) in [
            (f.bad_token_length, "bad_token_length"),
            (f.empty_payload_after_marker, "empty_payload_after_marker"),
            (f.non_empty_empty_message, "non_empty_empty_message"),
        ] {
            if on {
                w.append_str(n);
            }
        }
        w.close_array();
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A payload that is an ASCII number (`21.5`, `-3`), at most 64 bytes.
fn numeric_payload(p: &[u8]) -> Option<f64> {
    if p.len() > 64 {
        return None;
    }
    std::str::from_utf8(p)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Report a request to detection: GET/FETCH read (GET `/.well-known/core` asks the device
/// what it offers), PUT/POST/PATCH write (with the payload when it is a number), DELETE
/// control; `name` is the URI path.
fn observe(dir: Dir, m: &Message<'_>, path: &str, ctx: &mut AppCtx<'_>) {
    let code = m.code;
    let class = match (code.class(), code.detail()) {
        (0, 1) if path == "/.well-known/core" => OpClass::Identify,
        (0, 1 | 5) => OpClass::Read,
        (0, 2 | 3 | 6 | 7) => OpClass::Write,
        (0, 4) => OpClass::Control,
        _ => OpClass::Other,
    };
    let dst = match dir {
        Dir::ToServer => ctx.flow.server.ip,
        Dir::ToClient => ctx.flow.client.ip,
    };
    let mut o = Op {
        name: Some(path.into()),
        broadcast: super::enip::broadcast_to(dst),
        ..Op::new(class, u32::from(code.0), code.name().unwrap_or("unknown"))
    };
    if class == OpClass::Write {
        o.values.extend(numeric_payload(m.payload));
    }
    ctx.observe(dir, What::Op(o));
}

impl CoapState {
    /// Find the request a message from `dir` answers: the ACK or RST with the same message id,
    /// or a response with the same token.
    fn pair(&mut self, dir: Dir, m: &Message<'_>) -> Option<Pending> {
        let i = self.pending.iter().position(|p| {
            p.dir != dir
                && ((m.msg_type.0 >= 2 && p.message_id == m.message_id && !p.acked)
                    || (m.code.is_response() && p.token == m.token))
        })?;
        if m.msg_type.0 == 3 {
            // A Reset: the peer rejected the request (or cancels an Observe registration).
            return self.pending.remove(i);
        }
        let p = self.pending.get_mut(i)?;
        if m.code.0 == 0 {
            // An empty ACK: the response will come separately, with the token.
            p.acked = true;
            return None;
        }
        if m.code.is_response() && p.observe {
            // Observe: the registration stays for the notifications.
            p.acked = true;
            return Some(p.clone());
        }
        self.pending.remove(i)
    }
}

impl AppState for CoapState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let m = match parse_message(input) {
            Ok(m) => m,
            Err(ParseError::TooLarge { .. }) => {
                ctx.anomaly(dir, "too_many_options");
                return input.len();
            }
            Err(_) => {
                ctx.anomaly(dir, "malformed");
                return input.len();
            }
        };
        ctx.count_pdu();
        for (on, n) in [
            (m.flags.bad_token_length, "bad_token_length"),
            (
                m.flags.empty_payload_after_marker,
                "empty_payload_after_marker",
            ),
            (m.flags.non_empty_empty_message, "non_empty_empty_message"),
        ] {
            if on {
                ctx.anomaly(dir, n);
            }
        }
        let mut req = None;
        if m.code.is_request() {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
                ctx.anomaly(dir, "too_many_transactions");
            }
            let path = uri_path(&m, OptionNumber::URI_PATH).unwrap_or_default();
            if ctx.detecting() {
                // A retransmission (same message id from the same end) is the same request.
                let again = self
                    .pending
                    .iter()
                    .any(|p| p.dir == dir && p.message_id == m.message_id);
                if !again {
                    observe(dir, &m, &path, ctx);
                }
            }
            self.pending.push_back(Pending {
                dir,
                message_id: m.message_id,
                token: m.token.to_vec(),
                method: m.code.0,
                uri_path: path,
                observe: m.option(OptionNumber::OBSERVE).and_then(|o| o.uint()) == Some(0),
                acked: false,
            });
        } else {
            req = self.pair(dir, &m);
        }
        if ctx.log_enabled() {
            ctx.event(dir, |w| write_message(w, &m, req.as_ref()));
        }
        input.len()
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {}

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::{CoapState, MAX_PENDING};
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use serde_json::Value;
    use skjold_detect::obs::{Op, OpClass};

    type Harness = crate::app::testing::Harness<CoapState>;

    fn harness() -> Harness {
        Harness::with(CoapState::default(), AppProto::Coap)
    }

    fn coap(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "coap").collect()
    }

    // CON GET, mid 0x1234, token 0xab, Uri-Path "sensors" / "temp", Accept 0 (delta 6 from 11).
    const GET: &[u8] = &[
        0x41, 0x01, 0x12, 0x34, 0xab, // ver 1, CON, tkl 1, GET, mid, token
        0xb7, b's', b'e', b'n', b's', b'o', b'r', b's', // opt 11 (Uri-Path), len 7
        0x04, b't', b'e', b'm', b'p', // delta 0, len 4
        0x61, 0x00, // delta 6 -> 17 (Accept), len 1, value 0
    ];
    // ACK 2.05 Content, same mid and token, Content-Format 0, payload "22.5".
    const RESP: &[u8] = &[
        0x61, 0x45, 0x12, 0x34, 0xab, // ver 1, ACK, tkl 1, 2.05, mid, token
        0xc0, // opt 12 (Content-Format), len 0 (value 0)
        0xff, b'2', b'2', b'.', b'5',
    ];

    #[test]
    fn piggybacked_response_pairs_with_its_request_and_options_are_decoded() {
        let mut h = harness();
        h.feed(Dir::ToServer, GET);
        h.feed(Dir::ToClient, RESP);
        let ev = h.events();
        let c = coap(&ev);
        assert_eq!(c.len(), 2);
        let q = &c[0]["coap"];
        assert_eq!(q["type"], "CON");
        assert_eq!(q["code"], "0.01");
        assert_eq!(q["method"], "GET");
        assert_eq!(q["message_id"], 0x1234);
        assert_eq!(q["token"], "ab");
        assert_eq!(q["uri_path"], "/sensors/temp");
        assert_eq!(q["accept"], 0);
        assert_eq!(q["options"].as_array().map(Vec::len), Some(3));
        let r = &c[1]["coap"];
        assert_eq!(r["type"], "ACK");
        assert_eq!(r["code"], "2.05");
        assert_eq!(r["response"], "Content");
        assert_eq!(r["content_format"], 0);
        assert_eq!(r["content_format_name"], "text/plain; charset=utf-8");
        assert_eq!(r["payload_length"], 4);
        assert_eq!(r["request"]["uri_path"], "/sensors/temp");
        assert_eq!(r["request"]["method"], "GET");
        assert!(anomalies(&ev).is_empty());
    }

    /// A CON request with code `code`, message id `mid`, token 0xcd, the Uri-Path segments
    /// and a payload.
    fn request(code: u8, mid: u16, path: &[&[u8]], payload: &[u8]) -> Vec<u8> {
        let [a, b] = mid.to_be_bytes();
        let mut v = vec![0x41, code, a, b, 0xcd];
        let mut delta = 11;
        for seg in path {
            v.push((delta << 4) | seg.len() as u8);
            v.extend_from_slice(seg);
            delta = 0;
        }
        if !payload.is_empty() {
            v.push(0xff);
            v.extend_from_slice(payload);
        }
        v
    }

    #[test]
    fn put_with_a_number_is_a_write_with_its_value_and_retransmissions_count_once() {
        let mut h = harness();
        let put = request(0x03, 7, &[b"setpoint"], b"21.5");
        h.feed(Dir::ToServer, &put);
        h.feed(Dir::ToServer, &put); // retransmission
        h.feed(Dir::ToServer, &request(0x02, 8, &[b"log"], b"pump on"));
        h.feed(Dir::ToServer, &request(0x04, 9, &[b"valve"], b""));
        let op = |class, f: u32, n: &'static str, path: &str, values: Vec<f64>| Op {
            name: Some(path.into()),
            values,
            ..Op::new(class, f, n)
        };
        assert_eq!(
            h.ops(),
            vec![
                (true, op(OpClass::Write, 3, "PUT", "/setpoint", vec![21.5])),
                (true, op(OpClass::Write, 2, "POST", "/log", vec![])),
                (true, op(OpClass::Control, 4, "DELETE", "/valve", vec![])),
            ]
        );
    }

    #[test]
    fn get_is_a_read_and_well_known_core_an_identify() {
        let mut h = harness();
        h.feed(Dir::ToServer, GET);
        h.feed(Dir::ToClient, RESP);
        h.feed(
            Dir::ToServer,
            &request(0x01, 2, &[b".well-known", b"core"], b""),
        );
        assert_eq!(
            h.ops(),
            vec![
                (
                    true,
                    Op {
                        name: Some("/sensors/temp".into()),
                        ..Op::new(OpClass::Read, 1, "GET")
                    }
                ),
                (
                    true,
                    Op {
                        name: Some("/.well-known/core".into()),
                        ..Op::new(OpClass::Identify, 1, "GET")
                    }
                ),
            ]
        );
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &request(0x03, 7, &[b"setpoint"], b"21.5"));
        h.feed(Dir::ToServer, GET);
        assert!(h.out.obs.is_empty());
        assert_eq!(coap(&h.events()).len(), 2);
    }

    #[test]
    fn separate_response_pairs_by_token_after_empty_ack() {
        let mut h = harness();
        h.feed(Dir::ToServer, GET);
        h.feed(Dir::ToClient, &[0x60, 0x00, 0x12, 0x34]); // empty ACK
        let sep = [0x51, 0x45, 0x77, 0x77, 0xab, 0xff, b'x'];
        h.feed(Dir::ToClient, &sep);
        let ev = h.events();
        let c = coap(&ev);
        assert_eq!(c.len(), 3);
        assert!(c[1]["coap"].get("request").is_none());
        assert_eq!(c[2]["coap"]["request"]["message_id"], 0x1234);
    }

    #[test]
    fn reset_closes_the_request() {
        let mut h = harness();
        h.feed(Dir::ToServer, GET);
        h.feed(Dir::ToClient, &[0x70, 0x00, 0x12, 0x34]); // RST, mid 0x1234
        let ev = h.events();
        assert_eq!(coap(&ev)[1]["coap"]["type"], "RST");
        assert_eq!(coap(&ev)[1]["coap"]["request"]["method"], "GET");
        assert!(h.st.pending.is_empty());
    }

    #[test]
    fn malformed_and_flagged_messages_are_reported() {
        let mut h = harness();
        h.feed(Dir::ToServer, &[0x41, 0x01]); // short header
        h.feed(Dir::ToServer, &[0x40, 0x01, 0, 1, 0xf0]); // nibble 15 option
        h.feed(Dir::ToServer, &[0x40, 0x01, 0, 2, 0xff]); // marker without payload
        let ev = h.events();
        assert_eq!(
            anomalies(&ev),
            ["malformed", "malformed", "empty_payload_after_marker"]
        );
        assert_eq!(coap(&ev).len(), 1);
    }

    #[test]
    fn pending_requests_are_bounded() {
        let mut h = harness();
        for i in 0..=MAX_PENDING as u16 {
            let [a, b] = i.to_be_bytes();
            h.feed(Dir::ToServer, &[0x40, 0x01, a, b]);
        }
        let ev = h.events();
        assert_eq!(anomalies(&ev), ["too_many_transactions"]);
        assert_eq!(h.st.pending.len(), MAX_PENDING);
    }
}
