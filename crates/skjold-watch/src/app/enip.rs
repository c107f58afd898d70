//! EtherNet/IP and CIP flow state (TCP 44818, UDP 44818 and 2222): pairs encapsulation requests
//! and replies into transactions and logs them as EVE `enip` events in Suricata's layout
//! (`rust/src/enip/logger.rs`: `request`/`response` objects with `command`, `status`, `cip`,
//! `register_session`, `list_services`, `identity`), with raw codes and more detail beside.
//!
//! Grammar is `skjold_proto::enip` (ODVA CIP Networks Library Vol. 1 and 2). Pairing: a reply
//! takes the oldest waiting request of the same command (`SendRRData`, `ListIdentity`, ...); a
//! `SendUnitData` reply takes the request with the same connected-data sequence count. At most
//! [`MAX_TXS`] requests wait (anomaly `too_many_transactions`, the oldest is logged alone). A
//! TCP reply with no request is logged alone with anomaly `response_without_request` (not on UDP,
//! where `ListIdentity` is broadcast and answered on another flow).
//!
//! UDP 2222 datagrams are class 0/1 I/O (a CPF with a sequenced address and connected data, no
//! encapsulation header): counted as PDUs, not logged per datagram.
//!
//! Identity (server end): `ListIdentity` replies and Get Attributes All replies of the Identity
//! object (class 1) give `vendor` (the ODVA vendor name as tshark shows it), `vendor_id`,
//! `device_type` (profile name), `product_code`, `firmware` (revision `major.minor` with the
//! minor on two digits, as tshark shows it: `4.03`), `serial` (`0x` and 8 hex digits, as tshark)
//! and `product`.
//!
//! Detection (when on): one `Op` per request command (`ListIdentity`/`ListServices` identify,
//! broadcast on UDP to a broadcast address; `RegisterSession` connect) and per CIP service,
//! each service of a Multiple Service Packet or Unconnected Send on its own (`space`
//! `class_0x..`, `address` the instance; Reset/Start/Stop `control`).
//!
//! Anomalies: `malformed` (bytes that are not an encapsulation header, one per run),
//! `bad_cpf`, `too_many_items`, `bad_cip_path`, `too_many_path_segments`, `bad_cip_message`,
//! `cip_limit` (Multiple Service Packet count or nesting over the limits),
//! `encapsulation_error_status` (a reply whose status is not success), `session_mismatch` (a
//! request carrying another session handle than the one `RegisterSession` granted on this
//! flow). EVE layout: `docs/eve/enip.md`.

use super::s7comm::NumberNames;
use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::enip::{
    class_name, device_type_name, general_status_name, parse_cip, parse_cpf, parse_encap,
    parse_identity, parse_send_data, parse_service_info, plausible_header, vendor_name, Cip,
    Command, Cpf, Identity, ItemType, Segment, Service, HEADER_LEN,
};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[44818];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[44818, 2222];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("enip_scanner", "enip_adapter");

/// Requests waiting for a reply, per flow.
pub(crate) const MAX_TXS: usize = 64;

/// Commands a flow may start with, for detection (NOP and the legacy 0x0001 are legal but
/// too weak a signal: a Modbus request with transaction id 0 starts with `00 00`).
const PROBE_COMMANDS: [u16; 7] = [0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070];

/// Port-independent detection: a plausible encapsulation header (a command a flow starts
/// with, zero options, a length consistent with the command, a known status), request
/// commands without data where the specification says so, and for `SendRRData`/`SendUnitData` a
/// zero interface handle and 1 to 8 CPF items. On UDP the length must match the datagram.
pub(crate) fn probe(dir: Dir, l4: L4, data: &[u8]) -> Probe {
    let more = if l4 == L4::Tcp {
        Probe::NeedMore
    } else {
        Probe::No
    };
    let le16 = |o: usize| data.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let Some(cmd) = le16(0) else {
        return match data.first() {
            Some(b) if PROBE_COMMANDS.iter().any(|c| c.to_le_bytes()[0] == *b) => more,
            Some(_) => Probe::No,
            None => more,
        };
    };
    if !PROBE_COMMANDS.contains(&cmd) {
        return Probe::No;
    }
    match plausible_header(data) {
        Some(false) => return Probe::No,
        None => return more,
        Some(true) => {}
    }
    let len = usize::from(le16(2).unwrap_or(0));
    if dir == Dir::ToServer && matches!(cmd, 0x0004 | 0x0063 | 0x0064) && len != 0 {
        return Probe::No;
    }
    if l4 == L4::Udp && data.len() != HEADER_LEN + len {
        return Probe::No;
    }
    if matches!(cmd, 0x006f | 0x0070) {
        let (Some(handle), Some(items)) = (
            data.get(24..28)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            le16(30),
        ) else {
            return more;
        };
        if handle != 0 || !(1..=8).contains(&items) {
            return Probe::No;
        }
    }
    Probe::Yes
}

/// A new flow state.
pub(crate) fn new_state(l4: L4) -> Box<dyn AppState + Send> {
    Box::new(EnipState::new(l4))
}

/// One request/reply pair, the messages kept as owned bytes.
#[derive(Debug)]
struct Tx {
    id: u64,
    command: u16,
    seq: Option<u16>,
    request: Option<Vec<u8>>,
    response: Option<Vec<u8>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Side {
    garbage: bool,
    resync: bool,
}

/// EtherNet/IP state of one flow.
#[derive(Debug)]
pub(crate) struct EnipState {
    l4: L4,
    txs: VecDeque<Tx>,
    next_id: u64,
    sides: [Side; 2],
    /// Session handle granted by a successful `RegisterSession` reply of this flow.
    session: Option<u32>,
}

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// Sequence count of a connected-data item (`SendUnitData`), if any.
fn connected_seq(cpf: &Cpf<'_>) -> Option<u16> {
    cpf.item(ItemType::CONNECTED_DATA)
        .and_then(|d| d.get(..2))
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// The CIP message of a `SendRRData`/`SendUnitData` CPF.
fn cip_of<'a>(cpf: &Cpf<'a>) -> Option<&'a [u8]> {
    cpf.item(ItemType::UNCONNECTED_DATA)
        .or_else(|| cpf.item(ItemType::CONNECTED_DATA).and_then(|d| d.get(2..)))
}

impl EnipState {
    fn new(l4: L4) -> Self {
        EnipState {
            l4,
            txs: VecDeque::new(),
            next_id: 0,
            sides: [Side::default(); 2],
            session: None,
        }
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn on_message(&mut self, dir: Dir, bytes: &[u8], ctx: &mut AppCtx<'_>) {
        let Ok((_, m)) = parse_encap(bytes) else {
            return;
        };
        ctx.count_pdu();
        let cmd = m.header.command;
        let mut seq = None;
        if cmd == Command::SEND_RR_DATA || cmd == Command::SEND_UNIT_DATA {
            match parse_send_data(m.data) {
                Some((_, _, cpf)) => {
                    if cpf.truncated {
                        ctx.anomaly(dir, "bad_cpf");
                    }
                    if cpf.too_many {
                        ctx.anomaly(dir, "too_many_items");
                    }
                    seq = connected_seq(&cpf);
                    if let Some(c) = cip_of(&cpf).and_then(parse_cip) {
                        cip_anomalies(dir, &c, ctx);
                    } else if cip_of(&cpf).is_some() {
                        ctx.anomaly(dir, "bad_cip_message");
                    }
                }
                None if !m.data.is_empty() || dir == Dir::ToServer => {
                    ctx.anomaly(dir, "bad_cpf");
                }
                None => {}
            }
        }
        if m.header.status.0 != 0 && dir == Dir::ToClient {
            ctx.anomaly(dir, "encapsulation_error_status");
        }
        // Sessions: a request that needs a session must carry the one this flow registered.
        match (dir, cmd) {
            (Dir::ToClient, Command::REGISTER_SESSION) if m.header.status.0 == 0 => {
                self.session = Some(m.header.session);
            }
            (
                Dir::ToServer,
                Command::SEND_RR_DATA | Command::SEND_UNIT_DATA | Command::UNREGISTER_SESSION,
            ) => {
                if self.session.is_some_and(|s| s != m.header.session) {
                    ctx.anomaly(dir, "session_mismatch");
                }
                if cmd == Command::UNREGISTER_SESSION {
                    self.session = None;
                }
            }
            _ => {}
        }
        match dir {
            Dir::ToServer => {
                if ctx.detecting() {
                    observe(&m, ctx);
                }
                if self.txs.len() >= MAX_TXS {
                    ctx.anomaly(dir, "too_many_transactions");
                    if let Some(old) = self.txs.pop_front() {
                        log_tx(&old, ctx);
                    }
                }
                let id = self.new_id();
                self.txs.push_back(Tx {
                    id,
                    command: cmd.0,
                    seq,
                    request: Some(bytes.to_vec()),
                    response: None,
                });
            }
            Dir::ToClient => {
                let pos = self.txs.iter().position(|t| {
                    t.command == cmd.0 && (cmd != Command::SEND_UNIT_DATA || t.seq == seq)
                });
                let mut tx = if let Some(tx) = pos.and_then(|i| self.txs.remove(i)) {
                    tx
                } else {
                    if self.l4 == L4::Tcp {
                        ctx.anomaly(dir, "response_without_request");
                    }
                    Tx {
                        id: self.new_id(),
                        command: cmd.0,
                        seq,
                        request: None,
                        response: None,
                    }
                };
                tx.response = Some(bytes.to_vec());
                tx_identity(&tx, ctx);
                log_tx(&tx, ctx);
            }
        }
    }

    fn skip_garbage(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let side = &mut self.sides[side_index(dir)];
        if !side.garbage {
            side.garbage = true;
            ctx.anomaly(dir, "malformed");
        }
        let mut off = 1;
        while off < input.len() {
            match plausible_header(input.get(off..).unwrap_or_default()) {
                Some(true) | None => break,
                Some(false) => off += 1,
            }
        }
        off
    }
}

/// Whether a request went to a broadcast address: the limited broadcast, a multicast group, or
/// the directed broadcast of a /24 (the last octet 255).
pub(crate) fn broadcast_to(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_broadcast() || v4.is_multicast() || v4.octets()[3] == 255,
        IpAddr::V6(v6) => v6.is_multicast(),
    }
}

/// Detection's name of a CIP class (`class_0x01`...), made once per class (classes are
/// 16-bit; a larger logical value is `class_large`).
fn class_space(class: u32) -> &'static str {
    static NAMES: NumberNames = NumberNames::new();
    match u16::try_from(class) {
        Ok(c) => NAMES.get(c, |c| format!("class_0x{c:02x}")),
        Err(_) => "class_large",
    }
}

/// Report an encapsulation request to detection: one [`Op`] per command, and for
/// `SendRRData`/`SendUnitData` one per CIP service (each service of a Multiple Service Packet
/// or an Unconnected Send, bounded by the parser's limits).
fn observe(m: &skjold_proto::enip::Encap<'_>, ctx: &mut AppCtx<'_>) {
    let cmd = m.header.command;
    let op = |class| Op::new(class, u32::from(cmd.0), cmd.name());
    match cmd {
        Command::LIST_IDENTITY | Command::LIST_SERVICES => {
            let broadcast = ctx.flow.l4 == L4::Udp && broadcast_to(ctx.flow.server.ip);
            let o = Op {
                broadcast,
                ..op(OpClass::Identify)
            };
            ctx.observe(Dir::ToServer, What::Op(o));
        }
        Command::REGISTER_SESSION => ctx.observe(Dir::ToServer, What::Op(op(OpClass::Connect))),
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => {
            let cip = parse_send_data(m.data).and_then(|(_, _, c)| cip_of(&c).and_then(parse_cip));
            match cip {
                Some(c) if !c.response => observe_cip(&c, ctx),
                Some(_) => {}
                None => ctx.observe(Dir::ToServer, What::Op(op(OpClass::Other))),
            }
        }
        _ => ctx.observe(Dir::ToServer, What::Op(op(OpClass::Other))),
    }
}

/// One [`Op`] per CIP request service, the services carried by a Multiple Service Packet or an
/// Unconnected Send each on their own.
fn observe_cip(c: &Cip<'_>, ctx: &mut AppCtx<'_>) {
    let class = c.path.logical(0);
    let container = c.service == Service::MULTIPLE
        || (c.service == Service::UNCONNECTED_SEND && class == Some(6));
    if container && !c.embedded.is_empty() {
        for e in c.embedded.iter().filter(|e| !e.response) {
            observe_cip(e, ctx);
        }
        return;
    }
    // Codes 0x4b-0x63 are object-specific: the Logix tag services only when the request
    // addresses a tag by name or the Symbol / Template objects.
    let tag = class.is_none_or(|k| matches!(k, 0x6b | 0x6c))
        || c.path
            .segments
            .iter()
            .any(|s| matches!(s, Segment::Symbolic(_)));
    let (kind, control) = match (class, c.service.0) {
        (Some(1), 0x01 | 0x03 | 0x0e) => (OpClass::Identify, None),
        (Some(6), 0x54 | 0x5b) => (OpClass::Connect, None),
        (Some(6), _) => (OpClass::Other, None),
        (_, 0x01 | 0x03 | 0x0e) => (OpClass::Read, None),
        (_, 0x02 | 0x04 | 0x10) => (OpClass::Write, None),
        (_, 0x4c | 0x52) if tag => (OpClass::Read, None),
        (_, 0x4d | 0x4e | 0x53) if tag => (OpClass::Write, None),
        (_, 0x05) => (OpClass::Control, Some(Control::Restart)),
        (_, 0x06) => (OpClass::Control, Some(Control::Start)),
        (_, 0x07) => (OpClass::Control, Some(Control::Stop)),
        _ => (OpClass::Other, None),
    };
    let mut o = Op {
        control,
        space: class.map_or("", class_space),
        address: c.path.logical(1),
        ..Op::new(
            kind,
            u32::from(c.service.0),
            c.service.name_for_class(class),
        )
    };
    // Logix tag services address by name (symbolic segments, members joined with `.`).
    let mut name = String::new();
    for seg in &c.path.segments {
        if let Segment::Symbolic(s) = seg {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&String::from_utf8_lossy(s));
        }
    }
    if !name.is_empty() {
        o.name = Some(name.into_boxed_str());
    }
    ctx.observe(Dir::ToServer, What::Op(o));
}

fn cip_anomalies(dir: Dir, c: &Cip<'_>, ctx: &mut AppCtx<'_>) {
    if c.path.malformed {
        ctx.anomaly(dir, "bad_cip_path");
    }
    if c.path.too_many {
        ctx.anomaly(dir, "too_many_path_segments");
    }
    if c.malformed {
        ctx.anomaly(dir, "bad_cip_message");
    }
    if c.limit_hit {
        ctx.anomaly(dir, "cip_limit");
    }
    for e in &c.embedded {
        cip_anomalies(dir, e, ctx);
    }
}

impl AppState for EnipState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        if self.l4 == L4::Udp {
            // One datagram: an encapsulation message, or class 0/1 I/O on 2222.
            match parse_encap(input) {
                Ok((_, m)) if plausible_header(input) == Some(true) => {
                    let n = HEADER_LEN + usize::from(m.header.length);
                    self.on_message(dir, input.get(..n).unwrap_or_default(), ctx);
                }
                _ => {
                    if parse_cpf(input).is_some_and(|c| {
                        !c.truncated && c.item(ItemType::SEQUENCED_ADDRESS).is_some()
                    }) {
                        ctx.count_pdu();
                    } else {
                        ctx.anomaly(dir, "malformed");
                    }
                }
            }
            return input.len();
        }
        let si = side_index(dir);
        let mut off = 0;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            let side = self.sides[si];
            if side.garbage || side.resync {
                match plausible_header(rest) {
                    Some(true) => {}
                    None => break,
                    Some(false) => {
                        off += self.skip_garbage(dir, rest, ctx);
                        continue;
                    }
                }
            } else if plausible_header(rest) == Some(false) {
                off += self.skip_garbage(dir, rest, ctx);
                continue;
            }
            match parse_encap(rest) {
                Ok((after, _)) => {
                    let used = rest.len() - after.len();
                    self.sides[si] = Side::default();
                    self.on_message(dir, rest.get(..used).unwrap_or_default(), ctx);
                    off += used;
                }
                Err(ParseError::Incomplete(_)) => break,
                Err(_) => off += self.skip_garbage(dir, rest, ctx),
            }
        }
        off
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        self.sides[side_index(dir)].resync = true;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        while let Some(tx) = self.txs.pop_front() {
            log_tx(&tx, ctx);
        }
    }
}

/// `major.minor` with the minor on two digits, as tshark shows a revision.
fn revision(major: u8, minor: u8) -> String {
    format!("{major}.{minor:02}")
}

fn identity_fields(id: &Identity<'_>, ctx: &mut AppCtx<'_>) {
    if let Some(v) = vendor_name(id.vendor_id) {
        ctx.identity(Endpoint::Server, "vendor", v);
    }
    ctx.identity(Endpoint::Server, "vendor_id", &id.vendor_id.to_string());
    let dt = device_type_name(id.device_type);
    if dt != "unknown" {
        ctx.identity(Endpoint::Server, "device_type", dt);
    }
    ctx.identity(
        Endpoint::Server,
        "product_code",
        &id.product_code.to_string(),
    );
    ctx.identity(
        Endpoint::Server,
        "firmware",
        &revision(id.revision_major, id.revision_minor),
    );
    ctx.identity(Endpoint::Server, "serial", &format!("0x{:08x}", id.serial));
    let name = String::from_utf8_lossy(id.product_name);
    let name = name.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if !name.is_empty() {
        ctx.identity(Endpoint::Server, "product", name);
    }
}

/// Identity object attributes 1-7 (Get Attributes All reply) in the layout of a `ListIdentity`
/// item from the vendor id on.
fn identity_from_attributes(d: &[u8]) -> Option<Identity<'_>> {
    let le16 = |o: usize| d.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let n = usize::from(*d.get(14)?);
    Some(Identity {
        protocol_version: 0,
        sin_family: 0,
        sin_port: 0,
        sin_addr: [0; 4],
        vendor_id: le16(0)?,
        device_type: le16(2)?,
        product_code: le16(4)?,
        revision_major: *d.get(6)?,
        revision_minor: *d.get(7)?,
        status: le16(8)?,
        serial: d
            .get(10..14)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?,
        product_name: d.get(15..15 + n)?,
        state: None,
    })
}

fn tx_identity(tx: &Tx, ctx: &mut AppCtx<'_>) {
    let Some(resp) = tx.response.as_deref() else {
        return;
    };
    let Ok((_, m)) = parse_encap(resp) else {
        return;
    };
    match m.header.command {
        Command::LIST_IDENTITY => {
            if let Some(cpf) = parse_cpf(m.data) {
                if let Some(id) = cpf.item(ItemType::IDENTITY).and_then(parse_identity) {
                    identity_fields(&id, ctx);
                }
            }
        }
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => {
            // Get Attributes All on the Identity object (possibly through Unconnected Send).
            let req = tx
                .request
                .as_deref()
                .and_then(|b| parse_encap(b).ok())
                .and_then(|(_, r)| parse_send_data(r.data))
                .and_then(|(_, _, c)| cip_of(&c).and_then(parse_cip));
            let Some(mut req) = req else {
                return;
            };
            if req.service.0 == 0x52 && req.embedded.len() == 1 {
                req = req.embedded.remove(0);
            }
            if req.service.0 != 0x01 || req.path.logical(0) != Some(1) {
                return;
            }
            let resp = parse_send_data(m.data).and_then(|(_, _, c)| cip_of(&c).and_then(parse_cip));
            if let Some(r) = resp.filter(|r| r.response && r.general_status == Some(0)) {
                if let Some(id) = identity_from_attributes(r.data) {
                    identity_fields(&id, ctx);
                }
            }
        }
        _ => {}
    }
}

/// Write one transaction as an EVE `enip` event.
fn log_tx(tx: &Tx, ctx: &mut AppCtx<'_>) {
    if !ctx.log_enabled() {
        return;
    }
    let from = if tx.request.is_some() {
        Dir::ToServer
    } else {
        Dir::ToClient
    };
    ctx.event(from, |w| {
        w.set_uint("id", tx.id);
        for (key, bytes) in [("request", &tx.request), ("response", &tx.response)] {
            if let Some(b) = bytes.as_deref() {
                if let Ok((_, m)) = parse_encap(b) {
                    w.open_object(key);
                    log_message(w, &m, key == "response");
                    w.close();
                }
            }
        }
    });
}

fn log_message(w: &mut JsonWriter, m: &skjold_proto::enip::Encap<'_>, response: bool) {
    let h = &m.header;
    w.set_str("command", h.command.name());
    w.set_uint("command_raw", u64::from(h.command.0));
    w.set_str("status", h.status.name());
    w.set_uint("status_raw", u64::from(h.status.0));
    if h.options != 0 {
        w.set_uint("options", u64::from(h.options));
    }
    w.set_uint("length", u64::from(h.length));
    w.set_uint("session_handle", u64::from(h.session));
    w.set_hex("sender_context", h.context);
    match h.command {
        Command::REGISTER_SESSION => {
            if let (Some(v), Some(o)) = (m.data.get(..2), m.data.get(2..4)) {
                w.open_object("register_session");
                w.set_uint(
                    "protocol_version",
                    u64::from(u16::from_le_bytes([v[0], v[1]])),
                );
                w.set_uint("options", u64::from(u16::from_le_bytes([o[0], o[1]])));
                w.close();
            }
        }
        Command::LIST_IDENTITY if response => {
            if let Some(cpf) = parse_cpf(m.data) {
                if let Some(id) = cpf.item(ItemType::IDENTITY).and_then(parse_identity) {
                    log_identity(w, &id);
                }
            }
        }
        Command::LIST_SERVICES if response => {
            if let Some(s) = parse_cpf(m.data)
                .and_then(|c| c.item(ItemType::SERVICES))
                .and_then(parse_service_info)
            {
                w.open_object("list_services");
                w.set_uint("protocol_version", u64::from(s.protocol_version));
                w.set_uint("capabilities", u64::from(s.capabilities));
                w.set_str("service_name", &String::from_utf8_lossy(s.name));
                w.close();
            }
        }
        Command::LIST_INTERFACES if response => {
            if let Some(cpf) = parse_cpf(m.data) {
                w.set_uint("interface_count", u64::from(cpf.count));
            }
        }
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => {
            if let Some((handle, timeout, cpf)) = parse_send_data(m.data) {
                w.set_uint("interface_handle", u64::from(handle));
                w.set_uint("timeout", u64::from(timeout));
                w.open_array("items");
                for it in &cpf.items {
                    w.start_object();
                    w.set_str("type", it.kind.name());
                    w.set_uint("type_raw", u64::from(it.kind.0));
                    w.set_uint("length", it.data.len() as u64);
                    w.close();
                }
                w.close_array();
                let conn = cpf
                    .item(ItemType::CONNECTED_ADDRESS)
                    .or_else(|| cpf.item(ItemType::SEQUENCED_ADDRESS))
                    .and_then(|d| d.get(..4))
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                if let Some(c) = conn {
                    w.set_uint("connection_id", u64::from(c));
                }
                if let Some(s) = connected_seq(&cpf) {
                    w.set_uint("sequence", u64::from(s));
                }
                if let Some(c) = cip_of(&cpf).and_then(parse_cip) {
                    w.open_object("cip");
                    log_cip(w, &c);
                    w.close();
                }
            }
        }
        _ => {}
    }
}

fn log_identity(w: &mut JsonWriter, id: &Identity<'_>) {
    w.open_object("identity");
    w.set_uint("protocol_version", u64::from(id.protocol_version));
    w.set_str("revision", &revision(id.revision_major, id.revision_minor));
    w.set_str("vendor_id", vendor_name(id.vendor_id).unwrap_or("unknown"));
    w.set_uint("vendor_id_raw", u64::from(id.vendor_id));
    w.set_str("device_type", device_type_name(id.device_type));
    w.set_uint("device_type_raw", u64::from(id.device_type));
    w.set_uint("product_code", u64::from(id.product_code));
    w.set_uint("status", u64::from(id.status));
    w.set_uint("serial", u64::from(id.serial));
    w.set_str("serial_hex", &format!("0x{:08x}", id.serial));
    w.set_str("product_name", &String::from_utf8_lossy(id.product_name));
    if let Some(s) = id.state {
        w.set_uint("state", u64::from(s));
    }
    w.set_str(
        "socket_address",
        &format!(
            "{}.{}.{}.{}:{}",
            id.sin_addr[0], id.sin_addr[1], id.sin_addr[2], id.sin_addr[3], id.sin_port
        ),
    );
    w.close();
}

fn log_cip(w: &mut JsonWriter, c: &Cip<'_>) {
    let class = if c.response { None } else { c.path.logical(0) };
    w.set_str("service", c.service.name_for_class(class));
    w.set_uint("service_raw", u64::from(c.service.0));
    w.set_bool("response", c.response);
    if let Some(s) = c.general_status {
        w.set_str("status", general_status_name(s));
        w.set_uint("status_raw", u64::from(s));
        if !c.ext_status.is_empty() {
            w.set_hex("status_extended", c.ext_status);
        }
    }
    if !c.response {
        if !c.path.segments.is_empty() {
            w.open_array("path");
            for s in &c.path.segments {
                w.start_object();
                match s {
                    Segment::Logical { raw, kind, value } => {
                        w.set_str("segment_type", kind.name());
                        w.set_uint("segment_raw", u64::from(*raw));
                        w.set_uint("value", u64::from(*value));
                    }
                    Segment::Port { port, link } => {
                        w.set_str("segment_type", "port");
                        w.set_uint("port", u64::from(*port));
                        w.set_hex("link_address", link);
                    }
                    Segment::Symbolic(s) => {
                        w.set_str("segment_type", "symbolic");
                        w.set_str("symbol", &String::from_utf8_lossy(s));
                    }
                    Segment::Data(d) => {
                        w.set_str("segment_type", "data");
                        w.set_hex("data", d);
                    }
                }
                w.close();
            }
            w.close_array();
        }
        if let Some(cl) = c.path.logical(0) {
            w.set_str("class_name", class_name(cl));
            w.set_uint("class", u64::from(cl));
        }
        if let Some(i) = c.path.logical(1) {
            w.set_uint("instance", u64::from(i));
        }
        if let Some(a) = c.path.logical(4) {
            w.set_uint("attribute", u64::from(a));
        }
        if let Some(m) = c.path.logical(2) {
            w.set_uint("member", u64::from(m));
        }
    }
    if c.limit_hit {
        w.set_bool("limit_hit", true);
    }
    if !c.embedded.is_empty() {
        let key = if c.service.0 == 0x0a {
            "multiple"
        } else {
            "unconnected_send"
        };
        w.open_array(key);
        for e in &c.embedded {
            w.start_object();
            log_cip(w, e);
            w.close();
        }
        w.close_array();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;

    fn encap(cmd: u16, session: u32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&cmd.to_le_bytes());
        v.extend_from_slice(&(data.len() as u16).to_le_bytes());
        v.extend_from_slice(&session.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn rr(cip: &[u8]) -> Vec<u8> {
        let mut d = vec![0, 0, 0, 0, 10, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0];
        d.extend_from_slice(&(cip.len() as u16).to_le_bytes());
        d.extend_from_slice(cip);
        d
    }

    fn enip(ev: &[serde_json::Value]) -> Vec<&serde_json::Value> {
        ev.iter()
            .filter(|e| e["event_type"] == "enip")
            .map(|e| &e["enip"])
            .collect()
    }

    fn list_identity_reply() -> Vec<u8> {
        let mut item = vec![
            1, 0, 0, 2, 0xaf, 0x12, 10, 1, 1, 164, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        item.extend_from_slice(&1u16.to_le_bytes()); // vendor
        item.extend_from_slice(&12u16.to_le_bytes()); // device type
        item.extend_from_slice(&58u16.to_le_bytes()); // product code
        item.extend_from_slice(&[4, 3]); // revision
        item.extend_from_slice(&0x30u16.to_le_bytes());
        item.extend_from_slice(&0x0052_4d8eu32.to_le_bytes());
        item.push(11);
        item.extend_from_slice(b"1756-ENBT/A");
        item.push(3);
        let mut d = vec![1, 0, 0x0c, 0];
        d.extend_from_slice(&(item.len() as u16).to_le_bytes());
        d.extend_from_slice(&item);
        encap(0x63, 0, &d)
    }

    #[test]
    fn probe_is_strict() {
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &encap(0x65, 0, &[1, 0, 0, 0])),
            Probe::Yes
        );
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &encap(0x65, 0, &[1, 0])),
            Probe::No
        );
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &[0x65, 0, 4]),
            Probe::NeedMore
        );
        // A short Modbus request is rejected at once, not kept waiting for 24 bytes.
        let modbus = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &modbus), Probe::No);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &[0x70, 0, 4, 0]), Probe::No);
        // NOP is not enough to claim a flow (Modbus transaction id 0 starts with 00 00).
        let mut nop = encap(0, 0, &[]);
        nop.extend_from_slice(&nop.clone());
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &nop), Probe::No);
        // SendRRData needs a zero interface handle and a sane item count.
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &encap(0x6f, 1, &rr(&[0x01, 0]))),
            Probe::Yes
        );
        let mut bad = rr(&[0x01, 0]);
        bad[0] = 1;
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &encap(0x6f, 1, &bad)),
            Probe::No
        );
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &encap(0x99, 0, &[])),
            Probe::No
        );
        let mut bad_opts = encap(0x63, 0, &[]);
        bad_opts[20] = 1;
        assert_eq!(probe(Dir::ToServer, L4::Udp, &bad_opts), Probe::No);
        assert_eq!(
            probe(Dir::ToServer, L4::Udp, &encap(0x63, 0, &[])),
            Probe::Yes
        );
    }

    #[test]
    fn list_identity_is_paired_and_sets_identity() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        h.feed(Dir::ToServer, &encap(0x63, 0, &[]));
        h.feed(Dir::ToClient, &list_identity_reply());
        let ev = h.events();
        let e = enip(&ev);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0]["request"]["command"], "list_identity");
        let id = &e[0]["response"]["identity"];
        assert_eq!(id["vendor_id"], "Rockwell Automation/Allen-Bradley");
        assert_eq!(id["device_type"], "Communications Adapter");
        assert_eq!(id["revision"], "4.03");
        assert_eq!(id["serial_hex"], "0x00524d8e");
        assert_eq!(id["product_name"], "1756-ENBT/A");
        assert_eq!(id["state"], 3);
        let a = format!("{:?}", h.out.assets);
        for v in [
            "Rockwell Automation/Allen-Bradley",
            "4.03",
            "0x00524d8e",
            "1756-ENBT/A",
        ] {
            assert!(a.contains(v), "{v}: {a}");
        }
    }

    #[test]
    fn multiple_service_packet_lists_each_service() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        // MSP to message router: 2 services, Get Attribute Single 1/1/7, Get Attribute List 0x69/0.
        let s1 = [0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 7];
        let s2 = [0x03, 2, 0x20, 0x69, 0x24, 0, 1, 0, 11, 0];
        let mut msp = vec![0x0a, 2, 0x20, 2, 0x24, 1, 2, 0, 6, 0];
        msp.extend_from_slice(&(6 + s1.len() as u16).to_le_bytes());
        msp.extend_from_slice(&s1);
        msp.extend_from_slice(&s2);
        h.feed(Dir::ToServer, &encap(0x6f, 7, &rr(&msp)));
        let resp = [
            0x8a, 0, 0, 0, 2, 0, 6, 0, 10, 0, 0x8e, 0, 0, 0, 0x83, 0, 0x14, 0,
        ];
        h.feed(Dir::ToClient, &encap(0x6f, 7, &rr(&resp)));
        let ev = h.events();
        let e = enip(&ev);
        assert_eq!(e.len(), 1);
        let c = &e[0]["request"]["cip"];
        assert_eq!(c["service"], "Multiple Service Packet");
        assert_eq!(c["class_name"], "Message Router");
        assert_eq!(c["multiple"][0]["class"], 1);
        assert_eq!(c["multiple"][0]["attribute"], 7);
        assert_eq!(c["multiple"][1]["class"], 0x69);
        let r = &e[0]["response"]["cip"];
        assert_eq!(r["status"], "Success");
        assert_eq!(r["multiple"][1]["status"], "Attribute not supported");
        assert_eq!(r["multiple"][1]["status_raw"], 0x14);
        assert_eq!(e[0]["request"]["session_handle"], 7);
    }

    #[test]
    fn unconnected_send_get_attributes_all_identity_sets_identity() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        let inner = [0x01, 2, 0x20, 1, 0x24, 1];
        let mut ucs = vec![0x52, 2, 0x20, 6, 0x24, 1, 7, 0xf9];
        ucs.extend_from_slice(&(inner.len() as u16).to_le_bytes());
        ucs.extend_from_slice(&inner);
        ucs.extend_from_slice(&[1, 0, 1, 0]);
        h.feed(Dir::ToServer, &encap(0x6f, 1, &rr(&ucs)));
        let mut resp = vec![0x81, 0, 0, 0];
        resp.extend_from_slice(&1u16.to_le_bytes());
        resp.extend_from_slice(&14u16.to_le_bytes());
        resp.extend_from_slice(&55u16.to_le_bytes());
        resp.extend_from_slice(&[20, 11, 0x60, 0x30, 0xef, 0xbe, 0xad, 0xde, 4]);
        resp.extend_from_slice(b"L61B");
        h.feed(Dir::ToClient, &encap(0x6f, 1, &rr(&resp)));
        let ev = h.events();
        let c = &enip(&ev)[0]["request"]["cip"];
        assert_eq!(c["class_name"], "Connection Manager");
        assert_eq!(c["unconnected_send"][0]["class_name"], "Identity");
        let a = format!("{:?}", h.out.assets);
        for v in [
            "Programmable Logic Controller",
            "20.11",
            "0xdeadbeef",
            "L61B",
        ] {
            assert!(a.contains(v), "{v}: {a}");
        }
    }

    #[test]
    fn logging_disabled_still_pairs_counts_and_records_identity() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        h.out = crate::output::Output::new(crate::output::LogMask::none(), None);
        h.feed(Dir::ToServer, &encap(0x63, 0, &[]));
        h.feed(Dir::ToClient, &list_identity_reply());
        h.close();
        assert!(enip(&h.events()).is_empty());
        h.out.fold_pdus();
        assert_eq!(h.out.stats.pdus.get("enip"), Some(&2));
        assert!(format!("{:?}", h.out.assets).contains("1756-ENBT/A"));
    }

    #[test]
    fn request_with_another_session_handle_is_flagged() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        h.feed(Dir::ToServer, &encap(0x65, 0, &[1, 0, 0, 0]));
        h.feed(Dir::ToClient, &encap(0x65, 0x42, &[1, 0, 0, 0]));
        let get = [0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 1];
        h.feed(Dir::ToServer, &encap(0x6f, 0x42, &rr(&get)));
        h.feed(Dir::ToServer, &encap(0x6f, 0x43, &rr(&get)));
        h.close();
        let ev = h.events();
        let kinds: Vec<&str> = ev
            .iter()
            .filter(|e| e["event_type"] == "anomaly")
            .filter_map(|e| e["anomaly"]["event"].as_str())
            .collect();
        assert_eq!(kinds, vec!["session_mismatch"]);
        assert_eq!(enip(&ev)[0]["response"]["session_handle"], 0x42);
    }

    /// The operations reported so far; every one comes from the client.
    fn ops(h: &Harness<EnipState>) -> Vec<Op> {
        h.ops()
            .into_iter()
            .map(|(from_client, op)| {
                assert!(from_client);
                op
            })
            .collect()
    }

    #[test]
    fn cip_stop_start_and_reset_are_control_ops() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        h.feed(Dir::ToServer, &encap(0x65, 0, &[1, 0, 0, 0]));
        h.feed(Dir::ToClient, &encap(0x65, 9, &[1, 0, 0, 0]));
        // Stop, Start and Reset to class 0x8e instance 1; a reply is not observed.
        for svc in [0x07, 0x06, 0x05] {
            h.feed(
                Dir::ToServer,
                &encap(0x6f, 9, &rr(&[svc, 2, 0x20, 0x8e, 0x24, 1])),
            );
            h.feed(Dir::ToClient, &encap(0x6f, 9, &rr(&[svc | 0x80, 0, 0, 0])));
        }
        let ctl = |f: u32, n: &'static str, c: Control| Op {
            control: Some(c),
            space: "class_0x8e",
            address: Some(1),
            ..Op::new(OpClass::Control, f, n)
        };
        assert_eq!(
            ops(&h),
            vec![
                Op::new(OpClass::Connect, 0x65, "register_session"),
                ctl(7, "Stop", Control::Stop),
                ctl(6, "Start", Control::Start),
                ctl(5, "Reset", Control::Restart),
            ]
        );
    }

    #[test]
    fn multiple_service_packet_and_unconnected_send_give_one_op_per_service() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        // MSP: Get Attribute Single 1/1/7 (identity), Set Attribute Single 0x69/3/1.
        let s1 = [0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 7];
        let s2 = [0x10, 3, 0x20, 0x69, 0x24, 3, 0x30, 1, 0x2a, 0];
        let mut msp = vec![0x0a, 2, 0x20, 2, 0x24, 1, 2, 0, 6, 0];
        msp.extend_from_slice(&(6 + s1.len() as u16).to_le_bytes());
        msp.extend_from_slice(&s1);
        msp.extend_from_slice(&s2);
        h.feed(Dir::ToServer, &encap(0x6f, 7, &rr(&msp)));
        // Unconnected Send carrying Read Tag "Tank.Level".
        let mut inner = vec![0x4c, 7, 0x91, 4];
        inner.extend_from_slice(b"Tank");
        inner.extend_from_slice(&[0x91, 5]);
        inner.extend_from_slice(b"Level\0");
        inner.extend_from_slice(&[1, 0]);
        let mut ucs = vec![0x52, 2, 0x20, 6, 0x24, 1, 7, 0xf9];
        ucs.extend_from_slice(&(inner.len() as u16).to_le_bytes());
        ucs.extend_from_slice(&inner);
        ucs.extend_from_slice(&[1, 0, 1, 0]);
        h.feed(Dir::ToServer, &encap(0x6f, 7, &rr(&ucs)));
        assert_eq!(
            ops(&h),
            vec![
                Op {
                    space: "class_0x01",
                    address: Some(1),
                    ..Op::new(OpClass::Identify, 0x0e, "Get Attribute Single")
                },
                Op {
                    space: "class_0x69",
                    address: Some(3),
                    ..Op::new(OpClass::Write, 0x10, "Set Attribute Single")
                },
                Op {
                    name: Some("Tank.Level".into()),
                    ..Op::new(OpClass::Read, 0x4c, "Read Tag")
                },
            ]
        );
    }

    #[test]
    fn object_specific_codes_are_tag_services_only_on_tags() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        // 0x4d to vendor class 0xa1 instance 1: not a Logix Write Tag.
        h.feed(
            Dir::ToServer,
            &encap(0x6f, 0, &rr(&[0x4d, 2, 0x20, 0xa1, 0x24, 1])),
        );
        // 0x4d to the tag "SP": Write Tag.
        h.feed(
            Dir::ToServer,
            &encap(0x6f, 0, &rr(&[0x4d, 2, 0x91, 2, b'S', b'P', 0xca, 0, 1, 0])),
        );
        assert_eq!(
            ops(&h),
            vec![
                Op {
                    space: "class_0xa1",
                    address: Some(1),
                    ..Op::new(OpClass::Other, 0x4d, "Write Tag")
                },
                Op {
                    name: Some("SP".into()),
                    ..Op::new(OpClass::Write, 0x4d, "Write Tag")
                },
            ]
        );
    }

    #[test]
    fn udp_broadcast_list_identity_is_a_broadcast_identify() {
        let mut h = Harness::with(EnipState::new(L4::Udp), AppProto::Enip);
        h.flow.l4 = L4::Udp;
        h.flow.server.ip = IpAddr::from([255, 255, 255, 255]);
        h.feed(Dir::ToServer, &encap(0x63, 0, &[]));
        h.feed(Dir::ToServer, &encap(0x04, 0, &[]));
        let id = |f, n| Op {
            broadcast: true,
            ..Op::new(OpClass::Identify, f, n)
        };
        assert_eq!(
            ops(&h),
            vec![id(0x63, "list_identity"), id(0x04, "list_services")]
        );
        assert!(!broadcast_to(IpAddr::from([10, 0, 0, 2])));
        assert!(broadcast_to(IpAddr::from([10, 0, 0, 255])));
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        h.out.detect = false;
        h.feed(Dir::ToServer, &encap(0x65, 0, &[1, 0, 0, 0]));
        h.feed(
            Dir::ToServer,
            &encap(0x6f, 0, &rr(&[0x07, 2, 0x20, 0x8e, 0x24, 1])),
        );
        h.close();
        assert!(h.out.obs.is_empty());
        assert_eq!(enip(&h.events()).len(), 2);
    }

    #[test]
    fn udp_io_is_counted_not_logged() {
        let mut h = Harness::with(EnipState::new(L4::Udp), AppProto::Enip);
        let io = [
            2, 0, 0x02, 0x80, 8, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0xb1, 0, 4, 0, 5, 0, 0xaa, 0xbb,
        ];
        h.feed(Dir::ToServer, &io);
        h.close();
        assert!(enip(&h.events()).is_empty());
        h.out.fold_pdus();
        assert_eq!(h.out.stats.pdus.get("enip"), Some(&1));
    }

    #[test]
    fn garbage_is_skipped_with_one_anomaly() {
        let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
        let mut v = vec![0xffu8; 50];
        v.extend(encap(0x65, 0, &[1, 0, 0, 0]));
        assert_eq!(h.feed(Dir::ToServer, &v), v.len());
        h.close();
        let ev = h.events();
        assert_eq!(enip(&ev).len(), 1);
        assert_eq!(
            ev.iter().filter(|e| e["event_type"] == "anomaly").count(),
            1
        );
        assert_eq!(
            enip(&ev)[0]["request"]["register_session"]["protocol_version"],
            1
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Arbitrary chunks never panic and never stall beyond one message (65 559 bytes).
        #[test]
        fn arbitrary_stream_never_stalls(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                 proptest::prelude::any::<bool>(),
                 proptest::prelude::any::<bool>()),
                0..12,
            ),
        ) {
            let mut h = Harness::with(EnipState::new(L4::Tcp), AppProto::Enip);
            let r = h.drive(chunks, 65_559);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
