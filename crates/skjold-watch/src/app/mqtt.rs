//! MQTT flow state: one EVE `mqtt` event per control packet, in Suricata's layout
//! (`rust/src/mqtt/logger.rs`), for MQTT 3.1, 3.1.1 and 5.0.
//!
//! Grammar is `skjold_proto::mqtt` (MQTT 3.1.1 and 5.0 OASIS standards, MQTT 3.1 `MQIsdp`).
//! The protocol level of the connection is learned from CONNECT (3.1.1 until then); it decides
//! how later packets are read (5.0 reason codes and properties).
//!
//! Event body: an object named after the packet type (`connect`, `connack`, `publish`,
//! `puback`, `pubrec`, `pubrel`, `pubcomp`, `subscribe`, `suback`, `unsubscribe`, `unsuback`,
//! `pingreq`, `pingresp`, `disconnect`, `auth`) with `qos`, `retain`, `dup` and Suricata's
//! field names: connect → `protocol_string`, `protocol_version`, `client_id`,
//! `flags {username, password, will_retain, will, clean_session}`, `username`, `will {topic}`,
//! `properties`; connack → `session_present`, `return_code`; publish → `topic`, `message_id`;
//! acks → `message_id`, `reason_code`; subscribe → `message_id`, `topics [{topic, qos}]`;
//! suback → `message_id`, `qos_granted`; unsubscribe → `message_id`, `topics`; unsuback →
//! `message_id`, `reason_codes`; disconnect/auth → `reason_code`; v5 `properties` with
//! Suricata's keys. Skjold differences, on purpose:
//! - the password is never logged: connect has `password_in_plaintext: true` when one was sent
//!   (whatever the transport: this state only sees cleartext MQTT);
//! - payloads are not logged: publish has `message_length` (the total, even when the packet was
//!   too large to buffer); the will has `message_length` instead of `message`;
//! - connect has `keepalive`; user properties are written as
//!   `properties.user_properties: [{key, value}]` (Suricata uses the wire key as a JSON key,
//!   which lets a client inject arbitrary keys);
//! - a packet larger than [`MAX_BUFFERED`] is not buffered: a PUBLISH is logged from its head
//!   with `truncated: true` and `skipped_length`, other types are logged with `truncated` only,
//!   and the rest is consumed as it streams in;
//! - `anomalies`: the grammar's flag names, when any is set.
//!
//! The CONNECT client id also becomes the client's `mqtt_client_id` identity.
//!
//! Anomaly kinds: one per grammar flag (`reserved_flags`, `invalid_qos`, `bad_protocol_name`,
//! `bad_connect_flags`, `unknown_property`, `too_many_properties`, `malformed_property`,
//! `trailing_data`, `invalid_utf8`, `empty_topic_list`, `zero_packet_id`, `reserved_type`,
//! `unknown_protocol_level`), `malformed` (an unreadable packet, or bytes that are not MQTT;
//! one per burst), and `message_too_large` for a packet above [`HARD_CAP`] (16 MiB: far above
//! any broker default, e.g. mosquitto's and EMQX's 1 MiB-256 MiB configurable limits used in
//! OT deployments, while the protocol allows 256 MiB).
//!
//! Detection (only when on): CONNECT is an `Op` `connect`; when answered by CONNACK (or at the
//! next CONNECT or at close, unanswered) it also gives `Credentials` (`mqtt_connect`, when a
//! user name or password was sent; the password is read in place for the default-pair check
//! and never kept) and a `Session` (anonymous without a user name). PUBLISH, both ways, is an
//! `Op` `publish` with the topic and the payload's value when it is one number (text or JSON);
//! SUBSCRIBE an `Op` `subscribe` with the first topic filter.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::json::JsonWriter;
use skjold_detect::defaults::is_default;
use skjold_detect::obs::{Credentials, Op, OpClass, Session};
use skjold_detect::What;
use skjold_proto::mqtt::{
    parse_fixed_header, parse_packet, parse_publish_head, Body, FixedHeader, Flags, Packet,
    PacketType, PropValue, Properties, DEFAULT_LEVEL,
};
use skjold_proto::{ParseError, Probe};

/// Largest packet (header included) buffered and parsed whole.
pub(crate) const MAX_BUFFERED: usize = 256 * 1024;
/// Packets above this size are logged and skipped as usual but also raise `message_too_large`.
pub(crate) const HARD_CAP: usize = 16 * 1024 * 1024;
/// While resynchronising after a gap, a candidate packet must be at most this long.
const RESYNC_MAX_PACKET: usize = 4096;
/// While resynchronising, give up looking for a packet start after this many bytes.
const RESYNC_WINDOW: usize = 64 * 1024;

/// Per-direction stream state.
#[derive(Debug, Default, Clone, Copy)]
struct Side {
    /// Bytes still to skip (rest of an oversized or malformed packet).
    skip: u64,
    /// Inside a burst of garbage (one `malformed` anomaly per burst).
    garbage: bool,
    /// After a gap: look for a plausible packet start.
    resync: bool,
}

/// A CONNECT waiting for its CONNACK, kept only while detection is on. The password is not
/// kept: only whether one was sent and whether the pair is a known default.
#[derive(Debug)]
struct PendingConnect {
    user: Option<Box<str>>,
    password: bool,
    default: bool,
}

/// MQTT state of one flow.
#[derive(Debug)]
pub(crate) struct MqttState {
    level: u8,
    sides: [Side; 2],
    pending: Option<PendingConnect>,
}

impl Default for MqttState {
    fn default() -> Self {
        MqttState {
            level: DEFAULT_LEVEL,
            sides: [Side::default(); 2],
            pending: None,
        }
    }
}

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// Whether a client (`ToServer`) or a broker (`ToClient`) may send this packet type.
fn type_fits_direction(t: PacketType, dir: Dir) -> bool {
    match dir {
        Dir::ToServer => matches!(t.0, 1 | 3..=8 | 10 | 12 | 14 | 15),
        Dir::ToClient => matches!(t.0, 2..=7 | 9 | 11 | 13..=15),
    }
}

impl MqttState {
    /// A state for a connection whose CONNECT was not seen yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Report a CONNECT that was answered (`accepted`) or never will be (`None`): its
    /// credentials, when any were sent, and the session.
    fn flush_connect(&mut self, accepted: Option<bool>, ctx: &mut AppCtx<'_>) {
        let Some(c) = self.pending.take() else {
            return;
        };
        let anonymous = c.user.is_none();
        if c.user.is_some() || c.password {
            ctx.observe(
                Dir::ToServer,
                What::Credentials(Credentials {
                    user: c.user,
                    cleartext: c.password,
                    default: c.default,
                    accepted,
                    method: "mqtt_connect",
                }),
            );
        }
        ctx.observe(
            Dir::ToServer,
            What::Session(Session {
                anonymous,
                accepted,
                security_mode: None,
                security_policy: None,
            }),
        );
    }

    /// Report a packet to detection (only called when detection is on). `raw` is the whole
    /// packet.
    fn observe(&mut self, dir: Dir, p: &Packet<'_>, raw: &[u8], ctx: &mut AppCtx<'_>) {
        match p.body {
            Body::Connect(c) if dir == Dir::ToServer => {
                self.flush_connect(None, ctx);
                ctx.observe(dir, What::Op(Op::new(OpClass::Connect, 1, "connect")));
                let user = c.username.map(|u| String::from_utf8_lossy(u).into());
                // The password is the last field of a CONNECT: read it in place for the
                // default-pair check (not when trailing bytes make its place uncertain).
                let default = match c.password_len {
                    Some(n) if !p.flags.contains(Flags::TRAILING_DATA) => {
                        let n = usize::from(n);
                        raw.len()
                            .checked_sub(n + 2)
                            .and_then(|at| raw.get(at..))
                            .filter(|t| usize::from(u16::from_be_bytes([t[0], t[1]])) == n)
                            .is_some_and(|t| {
                                is_default(user.as_deref().unwrap_or(""), t.get(2..).unwrap_or(&[]))
                            })
                    }
                    Some(_) => false,
                    None => user.as_deref().is_some_and(|u| is_default(u, b"")),
                };
                self.pending = Some(PendingConnect {
                    user,
                    password: c.password_len.is_some(),
                    default,
                });
            }
            Body::ConnAck(c) if dir == Dir::ToClient => {
                let accepted = if self.level >= 5 {
                    c.return_code < 0x80
                } else {
                    c.return_code == 0
                };
                self.flush_connect(Some(accepted), ctx);
            }
            Body::Publish(pb) => {
                ctx.observe(
                    dir,
                    What::Op(publish_op(pb.topic, payload_value(pb.payload))),
                );
            }
            Body::Subscribe(s) => {
                let mut op = Op::new(OpClass::Subscribe, 8, "subscribe");
                op.name = s
                    .filters
                    .into_iter()
                    .next()
                    .map(|f| String::from_utf8_lossy(f.topic).into());
                ctx.observe(dir, What::Op(op));
            }
            _ => {}
        }
    }

    fn on_packet(&mut self, dir: Dir, p: &Packet<'_>, raw: &[u8], ctx: &mut AppCtx<'_>) {
        ctx.count_pdu();
        if ctx.detecting() {
            self.observe(dir, p, raw, ctx);
        }
        if let Body::Connect(c) = p.body {
            if (3..=5).contains(&c.level) {
                self.level = c.level;
            }
            if !c.client_id.is_empty() {
                ctx.identity(
                    Endpoint::Client,
                    "mqtt_client_id",
                    &String::from_utf8_lossy(c.client_id),
                );
            }
        }
        for kind in p.flags.names() {
            ctx.anomaly(dir, kind);
        }
        if ctx.log_enabled() {
            ctx.event(dir, |w| log_packet(w, p));
        }
    }

    /// A packet too large to buffer: log what its head shows and skip the rest. Returns the
    /// bytes consumed, or `None` when more bytes are needed to read a PUBLISH head.
    fn on_oversized(
        &mut self,
        dir: Dir,
        input: &[u8],
        len: usize,
        ctx: &mut AppCtx<'_>,
    ) -> Option<usize> {
        let header = parse_fixed_header(input).ok()?.1;
        let mut flags = Flags::NONE;
        let mut head = None;
        if header.packet_type == PacketType::PUBLISH {
            match parse_publish_head(input, self.level) {
                Ok(h) => {
                    flags = h.flags;
                    head = Some(h);
                }
                // The topic alone may be up to 64 KiB: wait for it (the caller's buffer is
                // larger than that).
                Err(ParseError::Incomplete(_)) => return None,
                Err(_) => {}
            }
        }
        ctx.count_pdu();
        if ctx.detecting() {
            if let Some(h) = &head {
                ctx.observe(dir, What::Op(publish_op(h.publish.topic, None)));
            }
        }
        if len > HARD_CAP {
            ctx.anomaly(dir, "message_too_large");
        }
        for kind in flags.names() {
            ctx.anomaly(dir, kind);
        }
        if ctx.log_enabled() {
            ctx.event(dir, |w| {
                w.open_object(header.packet_type.name());
                log_header(w, header);
                if let Some(h) = &head {
                    w.set_bytes_str("topic", h.publish.topic);
                    if let Some(id) = h.publish.packet_id {
                        w.set_uint("message_id", u64::from(id));
                    }
                    w.set_uint("message_length", h.payload_len as u64);
                    log_properties(w, h.publish.properties);
                }
                w.set_bool("truncated", true);
                w.set_uint("skipped_length", len as u64);
                log_anomalies(w, flags);
                w.close();
            });
        }
        let n = len.min(input.len());
        self.sides[side_index(dir)].skip = (len - n) as u64;
        Some(n)
    }

    fn garbage(&mut self, dir: Dir, ctx: &mut AppCtx<'_>) {
        let side = &mut self.sides[side_index(dir)];
        if !side.garbage {
            side.garbage = true;
            ctx.anomaly(dir, "malformed");
        }
    }

    /// Whether a packet plausibly starts at the beginning of `input` (after a gap or garbage):
    /// a type this direction sends, a small length, and it parses without anomaly. `None`
    /// means "cannot tell yet".
    fn plausible_start(&self, dir: Dir, input: &[u8]) -> Option<bool> {
        let header = match parse_fixed_header(input) {
            Ok((_, h)) => h,
            Err(ParseError::Incomplete(_)) => return None,
            Err(_) => return Some(false),
        };
        if !type_fits_direction(header.packet_type, dir)
            || (header.packet_type == PacketType::AUTH && self.level < 5)
            || header.packet_len() > RESYNC_MAX_PACKET
        {
            return Some(false);
        }
        match parse_packet(input, self.level, RESYNC_MAX_PACKET) {
            Ok((_, p)) => Some(p.flags.is_empty()),
            Err(ParseError::Incomplete(_)) => None,
            Err(_) => Some(false),
        }
    }
}

impl AppState for MqttState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let si = side_index(dir);
        let mut off = 0usize;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            let side = self.sides[si];
            if side.skip > 0 {
                let n = usize::try_from(side.skip)
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                self.sides[si].skip -= n as u64;
                off += n;
                continue;
            }
            if side.resync || side.garbage {
                // Look for a packet start within a bounded window; consume what precedes it.
                let mut k = 0usize;
                let mut wait = false;
                while k < rest.len() && k < RESYNC_WINDOW {
                    match self.plausible_start(dir, rest.get(k..).unwrap_or_default()) {
                        Some(true) => break,
                        Some(false) => k += 1,
                        None => {
                            wait = true;
                            break;
                        }
                    }
                }
                if k > 0 {
                    self.garbage(dir, ctx);
                    off += k;
                    continue;
                }
                if wait {
                    // Wait for more bytes, unless the buffered candidate can never complete.
                    if rest.len() < RESYNC_MAX_PACKET {
                        break;
                    }
                    self.garbage(dir, ctx);
                    off += 1;
                    continue;
                }
                self.sides[si].resync = false;
                self.sides[si].garbage = false;
            }
            match parse_packet(rest, self.level, MAX_BUFFERED) {
                Ok((after, p)) => {
                    self.sides[si].garbage = false;
                    let used = rest.len() - after.len();
                    self.on_packet(dir, &p, rest.get(..used).unwrap_or_default(), ctx);
                    off += used;
                }
                Err(ParseError::Incomplete(_)) => break,
                Err(ParseError::TooLarge { len, .. }) => {
                    match self.on_oversized(dir, rest, len, ctx) {
                        Some(n) => off += n.max(1),
                        None => break,
                    }
                }
                Err(ParseError::Malformed { len, .. }) => {
                    ctx.anomaly(dir, "malformed");
                    let n = len.min(rest.len());
                    self.sides[si].skip = (len - n) as u64;
                    off += n.max(1);
                }
                Err(_) => {
                    // No framing (a remaining length over four bytes): resynchronise.
                    self.garbage(dir, ctx);
                    self.sides[si].resync = true;
                    off += 1;
                }
            }
        }
        off
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        let side = &mut self.sides[side_index(dir)];
        side.skip = 0;
        side.resync = true;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        // Every packet is logged as it is parsed; only a CONNECT without answer is pending.
        self.flush_connect(None, ctx);
    }
}

/// A PUBLISH as an operation: the topic, and the payload's value when it is one number.
fn publish_op(topic: &[u8], value: Option<f64>) -> Op {
    Op {
        name: Some(String::from_utf8_lossy(topic).into()),
        values: value.into_iter().collect(),
        ..Op::new(OpClass::Publish, 3, "publish")
    }
}

/// Payloads longer than this are not examined for a value.
const MAX_VALUE_PAYLOAD: usize = 1024;

/// The only number among JSON values, if exactly one is a number.
fn single_number<'a>(members: impl Iterator<Item = &'a serde_json::Value>) -> Option<f64> {
    let mut numbers = members.filter_map(serde_json::Value::as_f64);
    let v = numbers.next()?;
    numbers.next().is_none().then_some(v)
}

/// The number a payload carries: ASCII text of a number (`21.5`), or JSON with exactly one
/// numeric value (`{"temp": 21.5, "unit": "C"}`, `[21.5]`). `None` otherwise.
fn payload_value(payload: &[u8]) -> Option<f64> {
    if payload.len() > MAX_VALUE_PAYLOAD {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?.trim();
    let first = text.bytes().next()?;
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        return text.parse::<f64>().ok().filter(|v| v.is_finite());
    }
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::Object(m) => single_number(m.values()),
        serde_json::Value::Array(a) => single_number(a.iter()),
        _ => None,
    }
}

fn log_header(w: &mut JsonWriter, h: FixedHeader) {
    w.set_uint("qos", u64::from(h.qos()));
    w.set_bool("retain", h.retain());
    w.set_bool("dup", h.dup());
}

fn log_anomalies(w: &mut JsonWriter, flags: Flags) {
    if !flags.is_empty() {
        w.open_array("anomalies");
        for name in flags.names() {
            w.append_str(name);
        }
        w.close_array();
    }
}

fn log_properties(w: &mut JsonWriter, props: Properties<'_>) {
    if props.is_empty() {
        return;
    }
    w.open_object("properties");
    let mut users = false;
    for p in props {
        match p.value {
            PropValue::Int(v) => {
                w.set_uint(p.id.name(), u64::from(v));
            }
            PropValue::Str(s) | PropValue::Bin(s) => {
                w.set_bytes_str(p.id.name(), s);
            }
            PropValue::Pair(..) => users = true,
        }
    }
    if users {
        w.open_array("user_properties");
        for p in props {
            if let PropValue::Pair(k, v) = p.value {
                w.start_object();
                w.set_bytes_str("key", k);
                w.set_bytes_str("value", v);
                w.close();
            }
        }
        w.close_array();
    }
    w.close();
}

fn log_ack(w: &mut JsonWriter, a: &skjold_proto::mqtt::Ack<'_>) {
    w.set_uint("message_id", u64::from(a.packet_id));
    if let Some(rc) = a.reason_code {
        w.set_uint("reason_code", u64::from(rc));
    }
    log_properties(w, a.properties);
}

fn log_packet(w: &mut JsonWriter, p: &Packet<'_>) {
    w.open_object(p.header.packet_type.name());
    log_header(w, p.header);
    match p.body {
        Body::Connect(c) => {
            w.set_bytes_str("protocol_string", c.protocol_name);
            w.set_uint("protocol_version", u64::from(c.level));
            w.set_bytes_str("client_id", c.client_id);
            w.open_object("flags");
            w.set_bool("username", c.flags.username());
            w.set_bool("password", c.flags.password());
            w.set_bool("will_retain", c.flags.will_retain());
            w.set_bool("will", c.flags.will());
            w.set_bool("clean_session", c.flags.clean_session());
            w.close();
            if let Some(u) = c.username {
                w.set_bytes_str("username", u);
            }
            if c.password_len.is_some() {
                w.set_bool("password_in_plaintext", true);
            }
            w.set_uint("keepalive", u64::from(c.keepalive));
            if let Some(will) = c.will {
                w.open_object("will");
                w.set_bytes_str("topic", will.topic);
                w.set_uint("message_length", will.message.len() as u64);
                log_properties(w, will.properties);
                w.close();
            }
            log_properties(w, c.properties);
        }
        Body::ConnAck(c) => {
            w.set_bool("session_present", c.session_present);
            w.set_uint("return_code", u64::from(c.return_code));
            log_properties(w, c.properties);
        }
        Body::Publish(pb) => {
            w.set_bytes_str("topic", pb.topic);
            if let Some(id) = pb.packet_id {
                w.set_uint("message_id", u64::from(id));
            }
            w.set_uint("message_length", pb.payload.len() as u64);
            log_properties(w, pb.properties);
        }
        Body::PubAck(a) | Body::PubRec(a) | Body::PubRel(a) | Body::PubComp(a) => {
            log_ack(w, &a);
        }
        Body::Subscribe(s) => {
            w.set_uint("message_id", u64::from(s.packet_id));
            w.open_array("topics");
            for sub in s.filters {
                w.start_object();
                w.set_bytes_str("topic", sub.topic);
                w.set_uint("qos", u64::from(sub.qos()));
                w.close();
            }
            w.close_array();
            log_properties(w, s.properties);
        }
        Body::SubAck(s) => {
            w.set_uint("message_id", u64::from(s.packet_id));
            w.open_array("qos_granted");
            for c in s.codes {
                w.append_uint(u64::from(*c));
            }
            w.close_array();
            log_properties(w, s.properties);
        }
        Body::Unsubscribe(u) => {
            w.set_uint("message_id", u64::from(u.packet_id));
            w.open_array("topics");
            for t in u.topics {
                w.append_str(&String::from_utf8_lossy(t));
            }
            w.close_array();
            log_properties(w, u.properties);
        }
        Body::UnsubAck(s) => {
            w.set_uint("message_id", u64::from(s.packet_id));
            if !s.codes.is_empty() {
                w.open_array("reason_codes");
                for c in s.codes {
                    w.append_uint(u64::from(*c));
                }
                w.close_array();
            }
            log_properties(w, s.properties);
        }
        Body::PingReq | Body::PingResp | Body::Reserved(_) => {}
        Body::Disconnect(r) | Body::Auth(r) => {
            if let Some(rc) = r.reason_code {
                w.set_uint("reason_code", u64::from(rc));
            }
            log_properties(w, r.properties);
        }
    }
    log_anomalies(w, p.flags);
    w.close();
}

// Registry entries (see `app::registry`).

/// Server ports on TCP.
pub(crate) const TCP_PORTS: &[u16] = &[1883];
/// Server ports on UDP (none: MQTT-SN is not decoded).
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("mqtt_client", "mqtt_broker");

/// Port-independent detection: a client's CONNECT.
pub(crate) fn probe(dir: Dir, l4: crate::flow::L4, data: &[u8]) -> Probe {
    if dir == Dir::ToServer && l4 == crate::flow::L4::Tcp {
        skjold_proto::mqtt::probe(data)
    } else {
        Probe::No
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: crate::flow::L4) -> Box<dyn AppState + Send> {
    Box::new(MqttState::new())
}

#[cfg(test)]
mod tests {
    use super::{payload_value, MqttState, HARD_CAP, MAX_BUFFERED};
    use crate::app::{AppProto, Dir};
    use serde_json::Value;
    use skjold_detect::obs::{Credentials, Op, OpClass, Session};
    use skjold_detect::What;

    type Harness = crate::app::testing::Harness<MqttState>;

    fn harness() -> Harness {
        Harness::with(MqttState::new(), AppProto::Mqtt)
    }

    fn mqtt_events(h: &mut Harness) -> Vec<Value> {
        h.events()
            .into_iter()
            .filter(|e| e["event_type"] == "mqtt")
            .collect()
    }

    /// A packet: first byte, then the body with its remaining length prefixed.
    fn packet(first: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![first];
        let mut len = body.len();
        loop {
            let mut b = (len % 128) as u8;
            len /= 128;
            if len > 0 {
                b |= 0x80;
            }
            v.push(b);
            if len == 0 {
                break;
            }
        }
        v.extend_from_slice(body);
        v
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    fn connect_v311() -> Vec<u8> {
        let mut b = string(b"MQTT");
        b.push(4); // level
        b.push(0b1110_0110); // user, password, will retain, will qos 0, will, clean
        b.extend_from_slice(&60u16.to_be_bytes()); // keepalive
        b.extend(string(b"plc-7"));
        b.extend(string(b"status/plc-7"));
        b.extend(string(b"offline"));
        b.extend(string(b"operator"));
        b.extend(string(b"s3cret"));
        packet(0x10, &b)
    }

    #[test]
    fn connect_is_logged_with_suricata_keys_and_never_the_password() {
        let mut h = harness();
        let c = connect_v311();
        assert_eq!(h.feed(Dir::ToServer, &c), c.len());
        let ev = mqtt_events(&mut h);
        assert_eq!(ev.len(), 1);
        let line = ev[0].to_string();
        assert!(!line.contains("s3cret"), "password leaked: {line}");
        let c = &ev[0]["mqtt"]["connect"];
        assert_eq!(c["protocol_string"], "MQTT");
        assert_eq!(c["protocol_version"], 4);
        assert_eq!(c["client_id"], "plc-7");
        assert_eq!(c["username"], "operator");
        assert_eq!(c["password_in_plaintext"], true);
        assert_eq!(c["flags"]["password"], true);
        assert_eq!(c["flags"]["will_retain"], true);
        assert_eq!(c["keepalive"], 60);
        assert_eq!(c["will"]["topic"], "status/plc-7");
        assert_eq!(c["will"]["message_length"], 7);
        assert_eq!(c["qos"], 0);
        let dbg = format!("{:?}", h.out.assets);
        assert!(dbg.contains("plc-7"), "{dbg}");
    }

    #[test]
    fn v5_connect_switches_parsing_of_later_packets() {
        let mut h = harness();
        let mut b = string(b"MQTT");
        b.push(5);
        b.push(0x02);
        b.extend_from_slice(&30u16.to_be_bytes());
        b.extend_from_slice(&[5, 0x11, 0, 0, 0, 60]); // session expiry 60
        b.extend(string(b"dev"));
        h.feed(Dir::ToServer, &packet(0x10, &b));
        // CONNACK v5: session present 0, reason 0, properties: receive maximum 10.
        h.feed(Dir::ToClient, &packet(0x20, &[0, 0, 3, 0x21, 0, 10]));
        // PUBLISH qos1 with properties (content type "t") and payload.
        let mut p = string(b"a/b");
        p.extend_from_slice(&[0, 9]);
        p.extend_from_slice(&[4, 0x03, 0, 1, b't']);
        p.extend_from_slice(b"hello");
        h.feed(Dir::ToServer, &packet(0x32, &p));
        let ev = mqtt_events(&mut h);
        assert_eq!(ev.len(), 3);
        assert_eq!(
            ev[0]["mqtt"]["connect"]["properties"]["session_expiry_interval"],
            60
        );
        assert_eq!(
            ev[1]["mqtt"]["connack"]["properties"]["receive_maximum"],
            10
        );
        let pb = &ev[2]["mqtt"]["publish"];
        assert_eq!(pb["topic"], "a/b");
        assert_eq!(pb["message_id"], 9);
        assert_eq!(pb["qos"], 1);
        assert_eq!(pb["message_length"], 5);
        assert_eq!(pb["properties"]["content_type"], "t");
        assert!(!ev[2].to_string().contains("hello"));
    }

    #[test]
    fn subscribe_suback_unsubscribe_and_pings() {
        let mut h = harness();
        let mut s = vec![0, 1];
        s.extend(string(b"plant/+/temp"));
        s.push(1);
        h.feed(Dir::ToServer, &packet(0x82, &s));
        h.feed(Dir::ToClient, &packet(0x90, &[0, 1, 1]));
        let mut u = vec![0, 2];
        u.extend(string(b"plant/#"));
        h.feed(Dir::ToServer, &packet(0xa2, &u));
        h.feed(Dir::ToServer, &[0xc0, 0]);
        h.feed(Dir::ToClient, &[0xd0, 0]);
        let ev = mqtt_events(&mut h);
        assert_eq!(ev.len(), 5);
        let sub = &ev[0]["mqtt"]["subscribe"];
        assert_eq!(sub["message_id"], 1);
        assert_eq!(sub["topics"][0]["topic"], "plant/+/temp");
        assert_eq!(sub["topics"][0]["qos"], 1);
        assert_eq!(
            ev[1]["mqtt"]["suback"]["qos_granted"],
            serde_json::json!([1])
        );
        assert_eq!(
            ev[2]["mqtt"]["unsubscribe"]["topics"],
            serde_json::json!(["plant/#"])
        );
        assert!(ev[3]["mqtt"]["pingreq"].is_object());
        assert!(ev[4]["mqtt"]["pingresp"].is_object());
    }

    #[test]
    fn oversized_publish_is_logged_from_its_head_and_skipped_while_streaming() {
        let mut h = harness();
        let payload_len = MAX_BUFFERED + 100;
        let mut body = string(b"bulk/data");
        body.extend(std::iter::repeat_n(0xaa, payload_len));
        let mut pkt = packet(0x30, &body);
        pkt.extend_from_slice(&[0xc0, 0]); // a PINGREQ after it
        let mut fed = 0;
        let mut buf: Vec<u8> = Vec::new();
        for chunk in pkt.chunks(1460) {
            buf.extend_from_slice(chunk);
            let n = h.feed(Dir::ToServer, &buf);
            buf.drain(..n);
            fed += chunk.len();
            assert!(buf.len() < 70_000, "oversized packet must not be buffered");
        }
        assert_eq!(fed, pkt.len());
        let all = h.out.take_events();
        assert!(
            all.iter().all(|e| e["event_type"] != "anomaly"),
            "below the hard cap: no anomaly"
        );
        assert_eq!(all.len(), 2);
        let pb = &all[0]["mqtt"]["publish"];
        assert_eq!(pb["topic"], "bulk/data");
        assert_eq!(pb["message_length"], payload_len);
        assert_eq!(pb["truncated"], true);
        assert!(all[1]["mqtt"]["pingreq"].is_object());
    }

    #[test]
    fn publish_above_the_hard_cap_raises_message_too_large() {
        let mut h = harness();
        let mut head = vec![0x30];
        let rem = HARD_CAP + 10;
        let mut len = rem;
        for _ in 0..4 {
            let mut b = (len % 128) as u8;
            len /= 128;
            if len > 0 {
                b |= 0x80;
            }
            head.push(b);
            if len == 0 {
                break;
            }
        }
        head.extend(string(b"t"));
        let n = h.feed(Dir::ToServer, &head);
        assert_eq!(n, head.len());
        let ev = h.out.take_events();
        assert!(ev
            .iter()
            .any(|e| e["anomaly"]["event"] == "message_too_large"));
    }

    #[test]
    fn garbage_after_gap_is_consumed_once_and_stream_recovers() {
        let mut h = harness();
        h.gap_of(Dir::ToServer, 10);
        let mut input = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0x07];
        input.extend_from_slice(&[0xc0, 0]);
        let n = h.feed(Dir::ToServer, &input);
        assert_eq!(n, input.len());
        let all = h.out.take_events();
        let anomalies: Vec<_> = all
            .iter()
            .filter(|e| e["event_type"] == "anomaly")
            .map(|e| e["anomaly"]["event"].clone())
            .collect();
        assert_eq!(anomalies, vec![serde_json::json!("malformed")]);
        assert!(all.iter().any(|e| e["mqtt"]["pingreq"].is_object()));
    }

    #[test]
    fn reserved_header_flags_are_flagged_and_logged() {
        let mut h = harness();
        // SUBSCRIBE must have flags 0b0010; 0 here.
        let mut s = vec![0, 1];
        s.extend(string(b"x"));
        s.push(0);
        h.feed(Dir::ToServer, &packet(0x80, &s));
        let all = h.out.take_events();
        assert!(all
            .iter()
            .any(|e| e["anomaly"]["event"] == "reserved_flags"));
        let m: Vec<_> = all.iter().filter(|e| e["event_type"] == "mqtt").collect();
        assert_eq!(
            m[0]["mqtt"]["subscribe"]["anomalies"],
            serde_json::json!(["reserved_flags"])
        );
    }

    fn connect_v5() -> Vec<u8> {
        let mut b = string(b"MQTT");
        b.push(5); // level 5
        b.push(0x02); // clean start
        b.extend_from_slice(&30u16.to_be_bytes());
        b.push(0); // no properties
        b.extend(string(b"dev"));
        packet(0x10, &b)
    }

    #[test]
    fn v5_acks_disconnect_and_user_properties() {
        let mut h = harness();
        h.feed(Dir::ToServer, &connect_v5());
        // PUBACK id 7, reason 0x10, properties: user property ("site", "north").
        let mut ack = vec![0, 7, 0x10];
        let mut props = vec![0x26];
        props.extend(string(b"si\"te"));
        props.extend(string(b"north"));
        ack.push(props.len() as u8);
        ack.extend(props);
        h.feed(Dir::ToClient, &packet(0x40, &ack));
        // UNSUBACK id 2, no properties, reason 0x11.
        h.feed(Dir::ToClient, &packet(0xb0, &[0, 2, 0, 0x11]));
        // DISCONNECT reason 0x04 (disconnect with will).
        h.feed(Dir::ToServer, &packet(0xe0, &[0x04]));
        let ev = mqtt_events(&mut h);
        assert_eq!(ev.len(), 4);
        let pa = &ev[1]["mqtt"]["puback"];
        assert_eq!(pa["message_id"], 7);
        assert_eq!(pa["reason_code"], 0x10);
        assert_eq!(
            pa["properties"]["user_properties"],
            serde_json::json!([{"key": "si\"te", "value": "north"}])
        );
        assert_eq!(
            ev[2]["mqtt"]["unsuback"]["reason_codes"],
            serde_json::json!([0x11])
        );
        assert_eq!(ev[3]["mqtt"]["disconnect"]["reason_code"], 4);
    }

    #[test]
    fn malformed_packet_is_skipped_with_one_anomaly_and_parsing_goes_on() {
        let mut h = harness();
        // PUBLISH whose topic length (10) overruns the remaining length (3), then a PINGREQ.
        let input = [0x30, 0x03, 0x00, 0x0a, b'x', 0xc0, 0x00];
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        let all = h.out.take_events();
        let kinds: Vec<_> = all
            .iter()
            .filter(|e| e["event_type"] == "anomaly")
            .map(|e| e["anomaly"]["event"].clone())
            .collect();
        assert_eq!(kinds, vec![serde_json::json!("malformed")]);
        assert!(all.iter().any(|e| e["mqtt"]["pingreq"].is_object()));
    }

    /// The observations reported to detection, with their direction (from the client?).
    fn obs(h: &mut Harness) -> Vec<(bool, What)> {
        std::mem::take(&mut h.out.obs)
            .into_iter()
            .map(|o| (o.flow.is_some_and(|f| f.from_client), o.what))
            .collect()
    }

    fn connect_op() -> (bool, What) {
        (true, What::Op(Op::new(OpClass::Connect, 1, "connect")))
    }

    fn session(anonymous: bool, accepted: Option<bool>) -> (bool, What) {
        (
            true,
            What::Session(Session {
                anonymous,
                accepted,
                security_mode: None,
                security_policy: None,
            }),
        )
    }

    fn creds(user: &str, default: bool, accepted: Option<bool>) -> (bool, What) {
        (
            true,
            What::Credentials(Credentials {
                user: Some(user.into()),
                cleartext: true,
                default,
                accepted,
                method: "mqtt_connect",
            }),
        )
    }

    /// A 3.1.1 CONNECT with a user name and password.
    fn connect_with(user: &[u8], password: &[u8]) -> Vec<u8> {
        let mut b = string(b"MQTT");
        b.push(4);
        b.push(0b1100_0010);
        b.extend_from_slice(&60u16.to_be_bytes());
        b.extend(string(b"hmi-1"));
        b.extend(string(user));
        b.extend(string(password));
        packet(0x10, &b)
    }

    #[test]
    fn authenticated_connect_reports_credentials_and_session_at_connack() {
        let mut h = harness();
        h.feed(Dir::ToServer, &connect_v311());
        assert_eq!(
            obs(&mut h),
            vec![connect_op()],
            "the rest waits for CONNACK"
        );
        h.feed(Dir::ToClient, &packet(0x20, &[0, 0]));
        let got = obs(&mut h);
        assert!(!format!("{got:?}").contains("s3cret"));
        assert_eq!(
            got,
            vec![
                creds("operator", false, Some(true)),
                session(false, Some(true))
            ]
        );
        // A default pair, refused (3.1.1 return code 5: not authorised).
        h.feed(Dir::ToServer, &connect_with(b"admin", b"admin"));
        h.feed(Dir::ToClient, &packet(0x20, &[0, 5]));
        assert_eq!(
            obs(&mut h),
            vec![
                connect_op(),
                creds("admin", true, Some(false)),
                session(false, Some(false))
            ]
        );
        // A default user with another password is not a default pair.
        h.feed(Dir::ToServer, &connect_with(b"admin", b"admin2"));
        h.close();
        assert_eq!(
            obs(&mut h),
            vec![
                connect_op(),
                creds("admin", false, None),
                session(false, None)
            ]
        );
    }

    #[test]
    fn anonymous_connect_reports_an_anonymous_session_without_credentials() {
        let mut h = harness();
        h.feed(Dir::ToServer, &connect_v5());
        h.feed(Dir::ToClient, &packet(0x20, &[0, 0, 0]));
        assert_eq!(obs(&mut h), vec![connect_op(), session(true, Some(true))]);
        // Never answered: reported when the next CONNECT comes, then at close.
        h.feed(Dir::ToServer, &connect_v5());
        h.feed(Dir::ToServer, &connect_v5());
        h.close();
        assert_eq!(
            obs(&mut h),
            vec![
                connect_op(),
                session(true, None),
                connect_op(),
                session(true, None)
            ]
        );
    }

    #[test]
    fn publish_both_ways_and_subscribe_are_operations_with_topic_and_value() {
        let mut h = harness();
        let publish = |topic: &[u8], payload: &[u8]| {
            let mut p = string(topic);
            p.extend_from_slice(payload);
            packet(0x30, &p)
        };
        h.feed(Dir::ToServer, &publish(b"plant/pump1/setpoint", b" 42.5\n"));
        h.feed(
            Dir::ToClient,
            &publish(b"plant/tank/level", br#"{"level": 3, "unit": "m"}"#),
        );
        h.feed(Dir::ToServer, &publish(b"plant/valve", b"open"));
        let mut s = vec![0, 1];
        s.extend(string(b"plant/#"));
        s.push(1);
        h.feed(Dir::ToServer, &packet(0x82, &s));
        let op = |class, f, name, topic: &str, values: Vec<f64>| {
            What::Op(Op {
                name: Some(topic.into()),
                values,
                ..Op::new(class, f, name)
            })
        };
        assert_eq!(
            obs(&mut h),
            vec![
                (
                    true,
                    op(
                        OpClass::Publish,
                        3,
                        "publish",
                        "plant/pump1/setpoint",
                        vec![42.5]
                    )
                ),
                (
                    false,
                    op(
                        OpClass::Publish,
                        3,
                        "publish",
                        "plant/tank/level",
                        vec![3.0]
                    )
                ),
                (
                    true,
                    op(OpClass::Publish, 3, "publish", "plant/valve", vec![])
                ),
                (
                    true,
                    op(OpClass::Subscribe, 8, "subscribe", "plant/#", vec![])
                ),
            ]
        );
    }

    #[test]
    fn payload_values_are_single_numbers_only() {
        assert_eq!(payload_value(b"-1.25e2"), Some(-125.0));
        assert_eq!(payload_value(b"[7]"), Some(7.0));
        assert_eq!(payload_value(br#"{"a": 1, "b": 2}"#), None);
        assert_eq!(payload_value(br#"{"a": "x"}"#), None);
        assert_eq!(payload_value(b"NaN"), None);
        assert_eq!(payload_value(b"12 volts"), None);
        assert_eq!(payload_value(b""), None);
    }

    #[test]
    fn detection_off_reports_nothing() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &connect_with(b"admin", b"admin"));
        h.feed(Dir::ToClient, &packet(0x20, &[0, 0]));
        let mut p = string(b"t");
        p.extend_from_slice(b"1");
        h.feed(Dir::ToServer, &packet(0x30, &p));
        h.close();
        assert_eq!(mqtt_events(&mut h).len(), 3, "still logged");
        assert!(h.out.obs.is_empty());
        assert!(h.st.pending.is_none(), "nothing kept for detection");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// Arbitrary bytes in arbitrary chunks, with gaps: never panics, never claims more than
        /// it was given, and never keeps more than a resynchronisation candidate or one buffered
        /// packet unconsumed.
        #[test]
        fn arbitrary_stream_never_panics(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                 proptest::prelude::any::<bool>(),
                 proptest::prelude::any::<bool>()),
                0..12,
            ),
        ) {
            let mut h = harness();
            let r = h.drive(chunks, MAX_BUFFERED + 5);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
