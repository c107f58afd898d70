//! Modbus/TCP flow state: pairs requests and responses into transactions and logs them as EVE
//! `modbus` events in Suricata's layout (`rust/src/modbus/log.rs` with sawp-modbus names).
//!
//! Grammar is `skjold_proto::modbus` (Modbus Application Protocol V1.1b3, MBAP header of the
//! Modbus Messaging on TCP/IP Implementation Guide V1.0b). The state follows Suricata's
//! `rust/src/modbus/modbus.rs`: `ModbusState { txs, next_id }` with `Tx { id, request, response }`.
//! A request opens a transaction; the response with the same MBAP transaction id closes it and
//! one event is written. At most [`MAX_TXS`] transactions wait for a response: one more emits
//! the anomaly `too_many_transactions` and logs the oldest as request-only. A response with no
//! waiting request emits `response_without_request` and is logged as a response-only
//! transaction. Pending requests are logged at `close`.
//!
//! Other anomaly kinds: one per flag the grammar sets (`length_mismatch`, `bad_protocol_id`,
//! `unknown_function`, `byte_count_mismatch`, `quantity_out_of_range`,
//! `invalid_exception_code`, `invalid_value`), `malformed` (an MBAP length outside 2..=254, or
//! a burst of bytes that are not Modbus; one anomaly per burst). After a `gap`, or on garbage,
//! the state resynchronises on the next offset that looks like an MBAP header (protocol id 0,
//! plausible length and function code).
//!
//! EVE body: `id`, then `request` and/or `response`, each with Suricata's keys
//! `transaction_id`, `protocol_id`, `unit_id`, `function_raw`, `function_code`, `access_type`,
//! `category`, `error_flags` and `exception {raw, code}`, `diagnostic {raw, code, data}`,
//! `mei {raw, code, data}`, `read {address, quantity}` / `read {data}`,
//! `write {address, quantity, data}` / `write {address, data}` / `write {address, and_mask,
//! or_mask}`, or `data` for other functions. Skjold additions beside them:
//! - `write.values` and `read.values`: the written or read values as integers (registers as
//!   `u16`, coils and discrete inputs as booleans; read coils are cut to the request's quantity);
//! - `exception.name`: the specification's `snake_case` exception name;
//! - `anomalies`: the grammar's flag names, when any is set;
//! - for 43/14, `mei.read_code` and `mei.object_id` (request), and `mei.conformity_level`,
//!   `mei.more_follows`, `mei.next_object_id`, `mei.number_of_objects` and
//!   `mei.objects: [{id, name, value}]` (response). Its objects 0-6 also update the server's
//!   identity (`vendor`, `product_code`, `firmware`, `vendor_url`, `product`, `model`,
//!   `user_application`).
//!
//! Detection (only when on): one `Op` per transaction when it is answered, evicted or closed
//! unanswered (a response without request is not reported), from the client: reads 1-4, 20 and
//! 24, writes 5, 6, 15, 16, 21, 22 and 23 (its written part), diagnostics 8 (sub-functions 1
//! and 4 are controls `restart` and `listen_only`), identification 43/14 and 17, with the unit
//! id (`broadcast` for unit 0 on a write or control), space (`coil`, `discrete_input`,
//! `holding_register`, `input_register`), address, count, values (written ones, or the read ones
//! from the response) and the exception code. `function_name` is the specification's name
//! (`read_holding_registers`).

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::modbus::{
    device_object_name, parse_adu, plausible_header, Adu, Data, DiagSubFunction, FunctionCode,
};
use skjold_proto::{Direction, ParseError, Probe};
use std::collections::VecDeque;
use std::fmt::Write as _;

/// Transactions waiting for a response, per flow.
pub(crate) const MAX_TXS: usize = 64;

/// One request/response pair; the ADUs are kept as owned bytes (at most 260 each) and parsed
/// again when logged.
#[derive(Debug)]
struct Tx {
    id: u64,
    transaction_id: u16,
    request: Option<Vec<u8>>,
    response: Option<Vec<u8>>,
}

/// Per-direction stream state.
#[derive(Debug, Default, Clone, Copy)]
struct Side {
    /// Bytes still to skip (rest of a malformed ADU that claimed more than was buffered).
    skip: u64,
    /// Inside a burst of garbage (one `malformed` anomaly per burst).
    garbage: bool,
    /// After a gap: require a plausible MBAP header before parsing.
    resync: bool,
}

/// Modbus/TCP state of one flow.
#[derive(Debug, Default)]
pub(crate) struct ModbusState {
    txs: VecDeque<Tx>,
    next_id: u64,
    sides: [Side; 2],
    /// Buffers of logged transactions, reused so that storing an ADU does not allocate.
    spare: Vec<Vec<u8>>,
}

/// Buffers kept for reuse per flow.
const MAX_SPARE: usize = 8;

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn direction(dir: Dir) -> Direction {
    match dir {
        Dir::ToServer => Direction::Request,
        Dir::ToClient => Direction::Response,
    }
}

impl ModbusState {
    /// A state with no transaction.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A copy of `bytes` in a reused buffer.
    fn stored(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut v = self.spare.pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(bytes);
        v
    }

    /// Log a finished transaction and keep its buffers for reuse.
    fn finish(&mut self, tx: Tx, ctx: &mut AppCtx<'_>) {
        log_tx(&tx, ctx);
        if ctx.detecting() {
            observe_tx(&tx, ctx);
        }
        for b in [tx.request, tx.response].into_iter().flatten() {
            if self.spare.len() < MAX_SPARE {
                self.spare.push(b);
            }
        }
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn on_adu(&mut self, dir: Dir, bytes: &[u8], adu: &Adu<'_>, ctx: &mut AppCtx<'_>) {
        ctx.count_pdu();
        for kind in adu.flags.names() {
            ctx.anomaly(dir, kind);
        }
        match dir {
            Dir::ToServer => {
                if self.txs.len() >= MAX_TXS {
                    ctx.anomaly(dir, "too_many_transactions");
                    if let Some(old) = self.txs.pop_front() {
                        self.finish(old, ctx);
                    }
                }
                let id = self.new_id();
                let request = Some(self.stored(bytes));
                self.txs.push_back(Tx {
                    id,
                    transaction_id: adu.header.transaction_id,
                    request,
                    response: None,
                });
            }
            Dir::ToClient => {
                if let Data::DeviceIdResponse(dev) = adu.data {
                    for (obj, value) in dev.objects() {
                        if let Some(field) = identity_field(obj) {
                            let v = String::from_utf8_lossy(value);
                            let v = v.trim_matches(|c: char| c == '\0' || c.is_whitespace());
                            if !v.is_empty() {
                                ctx.identity(Endpoint::Server, field, v);
                            }
                        }
                    }
                }
                let pos = self
                    .txs
                    .iter()
                    .position(|t| t.transaction_id == adu.header.transaction_id);
                let response = Some(self.stored(bytes));
                let tx = if let Some(mut tx) = pos.and_then(|i| self.txs.remove(i)) {
                    tx.response = response;
                    tx
                } else {
                    ctx.anomaly(dir, "response_without_request");
                    Tx {
                        id: self.new_id(),
                        transaction_id: adu.header.transaction_id,
                        request: None,
                        response,
                    }
                };
                self.finish(tx, ctx);
            }
        }
    }

    /// Skip garbage from the start of `input` up to the next plausible MBAP header (or the
    /// last bytes, too few to judge). Returns the number of bytes skipped (at least 1).
    fn skip_garbage(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let side = &mut self.sides[side_index(dir)];
        if !side.garbage {
            side.garbage = true;
            ctx.anomaly(dir, "malformed");
        }
        let mut off = 1;
        while off < input.len() {
            match plausible_header(input.get(off..).unwrap_or_default()) {
                Probe::Yes | Probe::NeedMore => break,
                Probe::No => off += 1,
            }
        }
        off
    }
}

fn identity_field(object_id: u8) -> Option<&'static str> {
    Some(match object_id {
        0 => "vendor",
        1 => "product_code",
        2 => "firmware",
        3 => "vendor_url",
        4 => "product",
        5 => "model",
        6 => "user_application",
        _ => return None,
    })
}

impl AppState for ModbusState {
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
                match plausible_header(rest) {
                    Probe::Yes => {}
                    Probe::NeedMore => break,
                    Probe::No => {
                        off += self.skip_garbage(dir, rest, ctx);
                        continue;
                    }
                }
            }
            match parse_adu(rest, direction(dir)) {
                Ok((after, adu)) => {
                    let used = rest.len() - after.len();
                    self.sides[si].garbage = false;
                    self.sides[si].resync = false;
                    let bytes = rest.get(..used).unwrap_or_default();
                    self.on_adu(dir, bytes, &adu, ctx);
                    off += used;
                }
                Err(ParseError::Incomplete(_)) => break,
                Err(ParseError::Malformed { len, .. } | ParseError::TooLarge { len, .. }) => {
                    ctx.anomaly(dir, "malformed");
                    let n = len.min(rest.len());
                    self.sides[si].skip = (len - n) as u64;
                    off += n.max(1);
                }
                Err(_) => {
                    off += self.skip_garbage(dir, rest, ctx);
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
        while let Some(tx) = self.txs.pop_front() {
            log_tx(&tx, ctx);
            if ctx.detecting() {
                observe_tx(&tx, ctx);
            }
        }
    }
}

/// Write one transaction as an EVE `modbus` event.
fn log_tx(tx: &Tx, ctx: &mut AppCtx<'_>) {
    if !ctx.log_enabled() {
        return;
    }
    let from = if tx.request.is_some() {
        Dir::ToServer
    } else {
        Dir::ToClient
    };
    let req = tx
        .request
        .as_deref()
        .and_then(|b| parse_adu(b, Direction::Request).ok().map(|(_, a)| a));
    let resp = tx
        .response
        .as_deref()
        .and_then(|b| parse_adu(b, Direction::Response).ok().map(|(_, a)| a));
    // Coils read: the response only says how many bytes, the request how many bits.
    let read_quantity = match req.map(|a| a.data) {
        Some(Data::ReadRequest { quantity, .. }) => Some(quantity),
        Some(Data::ReadWriteRequest { read_quantity, .. }) => Some(read_quantity),
        _ => None,
    };
    ctx.event(from, |w| {
        w.set_uint("id", tx.id);
        if let Some(a) = &req {
            w.open_object("request");
            log_message(w, a, None);
            w.close();
        }
        if let Some(a) = &resp {
            w.open_object("response");
            log_message(w, a, read_quantity);
            w.close();
        }
    });
}

/// Report a transaction to detection as one [`Op`] (a response without its request is not
/// reported: who asked is unknown).
fn observe_tx(tx: &Tx, ctx: &mut AppCtx<'_>) {
    let Some(Ok((_, req))) = tx
        .request
        .as_deref()
        .map(|b| parse_adu(b, Direction::Request))
    else {
        return;
    };
    let resp = tx
        .response
        .as_deref()
        .and_then(|b| parse_adu(b, Direction::Response).ok().map(|(_, a)| a));
    ctx.observe(Dir::ToServer, What::Op(op_of(&req, resp.as_ref())));
}

/// The address space a function reads or writes.
fn space_of(f: FunctionCode) -> &'static str {
    match f.base().0 {
        1 | 5 | 15 => "coil",
        2 => "discrete_input",
        3 | 6 | 16 | 22 | 23 => "holding_register",
        4 => "input_register",
        _ => "",
    }
}

/// Registers as `u16` values, or the first `bits` packed bits (LSB first) as 0/1.
fn numbers(bits: Option<usize>, data: &[u8]) -> Vec<f64> {
    match bits {
        Some(n) => (0..n.min(data.len() * 8))
            .map(|i| f64::from(data.get(i / 8).copied().unwrap_or(0) >> (i % 8) & 1))
            .collect(),
        None => data
            .chunks_exact(2)
            .map(|p| f64::from(u16::from_be_bytes([p[0], p[1]])))
            .collect(),
    }
}

/// The protocol-neutral view of a request and its response (when seen).
fn op_of(req: &Adu<'_>, resp: Option<&Adu<'_>>) -> Op {
    let f = req.function.base();
    let bits = is_bit_function(f);
    let class = match f.0 {
        1..=4 | 20 | 24 => OpClass::Read,
        5 | 6 | 15 | 16 | 21..=23 => OpClass::Write,
        8 => OpClass::Diagnostic,
        17 => OpClass::Identify,
        43 if matches!(req.data, Data::DeviceIdRequest { .. }) => OpClass::Identify,
        _ => OpClass::Other,
    };
    let mut op = Op {
        unit: Some(u32::from(req.header.unit_id)),
        space: space_of(f),
        ..Op::new(class, u32::from(f.0), f.name())
    };
    match req.data {
        Data::ReadRequest { address, quantity } => {
            op.address = Some(u32::from(address));
            op.count = u32::from(quantity);
            if let Some(Data::ReadResponse { values, .. }) = resp.map(|a| a.data) {
                op.values = numbers(bits.then_some(usize::from(quantity)), values);
            }
        }
        Data::WriteSingle { address, value } => {
            op.address = Some(u32::from(address));
            op.count = 1;
            op.values = vec![if bits {
                f64::from(u8::from(value == 0xff00))
            } else {
                f64::from(value)
            }];
        }
        Data::WriteMultipleRequest {
            address,
            quantity,
            values,
            ..
        } => {
            op.address = Some(u32::from(address));
            op.count = u32::from(quantity);
            op.values = numbers(bits.then_some(usize::from(quantity)), values);
        }
        Data::MaskWrite { address, .. } => {
            op.address = Some(u32::from(address));
            op.count = 1;
        }
        Data::ReadWriteRequest {
            write_address,
            write_quantity,
            values,
            ..
        } => {
            op.address = Some(u32::from(write_address));
            op.count = u32::from(write_quantity);
            op.values = numbers(None, values);
        }
        Data::Diagnostic { sub_function, .. } => {
            op.control = match sub_function {
                DiagSubFunction::RESTART_COMMUNICATIONS => Some(Control::Restart),
                DiagSubFunction::FORCE_LISTEN_ONLY => Some(Control::ListenOnly),
                _ => None,
            };
            if op.control.is_some() {
                op.class = OpClass::Control;
            }
        }
        _ => {}
    }
    op.broadcast = req.header.unit_id == 0 && op.class.modifies();
    if let Some(Data::Exception { code }) = resp.map(|a| a.data) {
        op.exception = Some(u32::from(code.0));
    }
    op
}

/// Append `values` as an array of integers (registers) or booleans (bits, at most `bits`).
fn set_values(w: &mut JsonWriter, bits: Option<usize>, data: &[u8]) {
    w.open_array("values");
    match bits {
        Some(n) => {
            for i in 0..n.min(data.len() * 8) {
                let byte = data.get(i / 8).copied().unwrap_or(0);
                w.append_bool(byte >> (i % 8) & 1 == 1);
            }
        }
        None => {
            for pair in data.chunks_exact(2) {
                w.append_uint(u64::from(u16::from_be_bytes([pair[0], pair[1]])));
            }
        }
    }
    w.close_array();
}

/// `"key": "..."` the way Suricata's `set_string_from_bytes` writes PDU data: the bytes as a
/// string when they are UTF-8, otherwise ASCII bytes as characters and bytes from 0x80 as the
/// four characters `\xNN`.
fn set_suricata_bytes(w: &mut JsonWriter, key: &str, data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        w.set_str(key, s);
        return;
    }
    let mut out = String::with_capacity(data.len() * 2);
    for &b in data {
        if b < 0x80 {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    w.set_str(key, &out);
}

fn is_bit_function(f: FunctionCode) -> bool {
    matches!(f.base().0, 1 | 2 | 5 | 15)
}

fn log_message(w: &mut JsonWriter, a: &Adu<'_>, read_quantity: Option<u16>) {
    w.set_uint("transaction_id", u64::from(a.header.transaction_id));
    w.set_uint("protocol_id", u64::from(a.header.protocol_id));
    w.set_uint("unit_id", u64::from(a.header.unit_id));
    w.set_uint("function_raw", u64::from(a.function.0));
    w.set_str("function_code", a.function.sawp_name());
    w.set_str("access_type", &a.function.access().to_string());
    w.set_str("category", a.category().as_str());
    w.set_str("error_flags", &a.flags.sawp_text());
    let bits = is_bit_function(a.function);
    match a.data {
        Data::Exception { code } => {
            w.open_object("exception");
            w.set_uint("raw", u64::from(code.0));
            w.set_str("code", code.sawp_name());
            w.set_str("name", code.name());
            w.close();
        }
        Data::Diagnostic { sub_function, data } => {
            w.open_object("diagnostic");
            w.set_uint("raw", u64::from(sub_function.0));
            w.set_str("code", sub_function.sawp_name());
            set_suricata_bytes(w, "data", data);
            w.close();
        }
        Data::DeviceIdRequest {
            read_code,
            object_id,
        } => {
            w.open_object("mei");
            w.set_uint("raw", 14);
            w.set_str("code", "RdDevId");
            set_suricata_bytes(w, "data", a.raw.get(1..).unwrap_or_default());
            w.set_uint("read_code", u64::from(read_code));
            w.set_uint("object_id", u64::from(object_id));
            w.close();
        }
        Data::DeviceIdResponse(dev) => {
            w.open_object("mei");
            w.set_uint("raw", 14);
            w.set_str("code", "RdDevId");
            set_suricata_bytes(w, "data", a.raw.get(1..).unwrap_or_default());
            w.set_uint("read_code", u64::from(dev.read_code));
            w.set_uint("conformity_level", u64::from(dev.conformity_level));
            w.set_bool("more_follows", dev.more_follows == 0xff);
            w.set_uint("next_object_id", u64::from(dev.next_object_id));
            w.set_uint("number_of_objects", u64::from(dev.number_of_objects));
            w.open_array("objects");
            for (id, value) in dev.objects() {
                w.start_object();
                w.set_uint("id", u64::from(id));
                w.set_str("name", device_object_name(id));
                w.set_bytes_str("value", value);
                w.close();
            }
            w.close_array();
            w.close();
        }
        Data::Mei { mei_type, data } => {
            w.open_object("mei");
            w.set_uint("raw", u64::from(mei_type.0));
            w.set_str("code", mei_type.sawp_name());
            set_suricata_bytes(w, "data", data);
            w.close();
        }
        Data::ReadRequest { address, quantity } => {
            w.open_object("read");
            w.set_uint("address", u64::from(address));
            w.set_uint("quantity", u64::from(quantity));
            w.close();
        }
        Data::ReadResponse { values, .. } => {
            w.open_object("read");
            set_suricata_bytes(w, "data", values);
            let n = if bits {
                Some(read_quantity.map_or(values.len() * 8, usize::from))
            } else {
                None
            };
            set_values(w, n, values);
            w.close();
        }
        Data::WriteSingle { address, value } => {
            w.open_object("write");
            w.set_uint("address", u64::from(address));
            w.set_uint("data", u64::from(value));
            w.open_array("values");
            if bits {
                w.append_bool(value == 0xff00);
            } else {
                w.append_uint(u64::from(value));
            }
            w.close_array();
            w.close();
        }
        Data::WriteMultipleRequest {
            address,
            quantity,
            values,
            ..
        } => {
            w.open_object("write");
            w.set_uint("address", u64::from(address));
            w.set_uint("quantity", u64::from(quantity));
            set_suricata_bytes(w, "data", values);
            set_values(w, bits.then_some(usize::from(quantity)), values);
            w.close();
        }
        Data::WriteMultipleResponse { address, quantity } => {
            w.open_object("write");
            w.set_uint("address", u64::from(address));
            w.set_uint("data", u64::from(quantity));
            w.close();
        }
        Data::MaskWrite {
            address,
            and_mask,
            or_mask,
        } => {
            w.open_object("write");
            w.set_uint("address", u64::from(address));
            w.set_uint("and_mask", u64::from(and_mask));
            w.set_uint("or_mask", u64::from(or_mask));
            w.close();
        }
        Data::ReadWriteRequest {
            read_address,
            read_quantity,
            write_address,
            write_quantity,
            values,
            ..
        } => {
            w.open_object("read");
            w.set_uint("address", u64::from(read_address));
            w.set_uint("quantity", u64::from(read_quantity));
            w.close();
            w.open_object("write");
            w.set_uint("address", u64::from(write_address));
            w.set_uint("quantity", u64::from(write_quantity));
            set_suricata_bytes(w, "data", values);
            set_values(w, None, values);
            w.close();
        }
        Data::Other(_)
        | Data::Empty
        | Data::ExceptionStatus { .. }
        | Data::CommEventCounter { .. }
        | Data::CommEventLog { .. }
        | Data::ReportServerId { .. }
        | Data::FileRecords(_)
        | Data::FileRecordResponse(_)
        | Data::FifoRequest { .. }
        | Data::FifoResponse { .. } => {
            // Suricata logs the raw data of these functions as one string.
            set_suricata_bytes(w, "data", a.raw);
        }
    }
    if !a.flags.is_empty() {
        w.open_array("anomalies");
        for name in a.flags.names() {
            w.append_str(name);
        }
        w.close_array();
    }
}

// Registry entries (see `app::registry`).

/// Server ports on TCP.
pub(crate) const TCP_PORTS: &[u16] = &[502];
/// Server ports on UDP (Modbus/UDP is not decoded).
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("modbus_client", "modbus_server");

/// Port-independent detection.
pub(crate) fn probe(_dir: Dir, l4: crate::flow::L4, data: &[u8]) -> Probe {
    if l4 == crate::flow::L4::Udp {
        return Probe::No;
    }
    skjold_proto::modbus::probe(data)
}

/// A new flow state.
pub(crate) fn new_state(_l4: crate::flow::L4) -> Box<dyn AppState + Send> {
    Box::new(ModbusState::new())
}

#[cfg(test)]
mod tests {
    use super::{ModbusState, MAX_TXS};
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use crate::output::Output;
    use serde_json::Value;
    use skjold_detect::obs::{Control, Op, OpClass};

    type Harness = crate::app::testing::Harness<ModbusState>;

    fn harness() -> Harness {
        Harness::with(ModbusState::new(), AppProto::Modbus)
    }

    fn modbus(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "modbus").collect()
    }

    // Read Holding Registers: tid 1, unit 17, address 0x006B, quantity 3.
    const RD_HOLD_REQ: [u8; 12] = [0, 1, 0, 0, 0, 6, 0x11, 3, 0, 0x6b, 0, 3];
    // Response: 6 bytes, registers 0x022B, 0x0000, 0x0064.
    const RD_HOLD_RESP: [u8; 15] = [0, 1, 0, 0, 0, 9, 0x11, 3, 6, 2, 0x2b, 0, 0, 0, 0x64];

    #[test]
    fn read_holding_registers_pair_into_one_suricata_event() {
        let mut h = harness();
        assert_eq!(h.feed(Dir::ToServer, &RD_HOLD_REQ), 12);
        assert!(h.events().is_empty(), "no event before the response");
        assert_eq!(h.feed(Dir::ToClient, &RD_HOLD_RESP), 15);
        let ev = h.events();
        let m = modbus(&ev);
        assert_eq!(m.len(), 1);
        let e = &m[0]["modbus"];
        assert_eq!(m[0]["src_port"], 40000);
        assert_eq!(e["id"], 1);
        let req = &e["request"];
        assert_eq!(req["transaction_id"], 1);
        assert_eq!(req["protocol_id"], 0);
        assert_eq!(req["unit_id"], 17);
        assert_eq!(req["function_raw"], 3);
        assert_eq!(req["function_code"], "RdHoldRegs");
        assert_eq!(req["access_type"], "READ | HOLDING");
        assert_eq!(req["category"], "PUBLIC_ASSIGNED");
        assert_eq!(req["error_flags"], "NONE");
        assert_eq!(req["read"]["address"], 0x6b);
        assert_eq!(req["read"]["quantity"], 3);
        let resp = &e["response"];
        assert_eq!(resp["read"]["values"], serde_json::json!([0x022b, 0, 0x64]));
        assert_eq!(resp["read"]["data"], "\u{2}+\u{0}\u{0}\u{0}d");
        assert!(resp.get("anomalies").is_none());
        assert!(anomalies(&ev).is_empty());
    }

    #[test]
    fn byte_at_a_time_stream_is_reassembled_by_the_caller_contract() {
        let mut h = harness();
        let mut buf: Vec<u8> = Vec::new();
        for b in RD_HOLD_REQ {
            buf.push(b);
            let n = h.feed(Dir::ToServer, &buf);
            buf.drain(..n);
        }
        assert!(buf.is_empty());
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        assert_eq!(modbus(&h.events()).len(), 1);
    }

    #[test]
    fn write_multiple_coils_logs_data_and_boolean_values() {
        let mut h = harness();
        // tid 2, unit 1, fc 15, address 19, quantity 10, byte count 2, CD 01.
        let req = [0, 2, 0, 0, 0, 9, 1, 15, 0, 19, 0, 10, 2, 0xcd, 0x01];
        let resp = [0, 2, 0, 0, 0, 6, 1, 15, 0, 19, 0, 10];
        h.feed(Dir::ToServer, &req);
        h.feed(Dir::ToClient, &resp);
        let ev = h.events();
        let e = &modbus(&ev)[0]["modbus"];
        let w = &e["request"]["write"];
        assert_eq!(
            e["request"]["access_type"],
            "WRITE | COILS | MULTIPLE | WRITE_MULTIPLE"
        );
        assert_eq!(w["address"], 19);
        assert_eq!(w["quantity"], 10);
        assert_eq!(
            w["values"],
            serde_json::json!([true, false, true, true, false, false, true, true, true, false])
        );
        assert_eq!(e["response"]["write"]["data"], 10);
        // Not UTF-8: Suricata's `\xNN` text for bytes from 0x80.
        assert_eq!(w["data"], "\\xcd\u{1}");
    }

    #[test]
    fn exception_response_logs_raw_and_sawp_code() {
        let mut h = harness();
        h.feed(Dir::ToServer, &[0, 3, 0, 0, 0, 6, 1, 1, 0, 0, 0, 8]);
        h.feed(Dir::ToClient, &[0, 3, 0, 0, 0, 3, 1, 0x81, 2]);
        let ev = h.events();
        let r = &modbus(&ev)[0]["modbus"]["response"];
        assert_eq!(r["function_raw"], 0x81);
        assert_eq!(r["function_code"], "RdCoils");
        assert_eq!(r["exception"]["raw"], 2);
        assert_eq!(r["exception"]["code"], "IllegalDataAddr");
        assert_eq!(r["exception"]["name"], "illegal_data_address");
    }

    #[test]
    fn device_identification_sets_server_identity_and_logs_objects() {
        let mut h = harness();
        // 43/14 read code 1, object 0.
        h.feed(Dir::ToServer, &[0, 4, 0, 0, 0, 5, 1, 43, 14, 1, 0]);
        let mut resp = vec![0, 4, 0, 0, 0, 0, 1, 43, 14, 1, 1, 0, 0, 3];
        for (id, v) in [(0u8, &b"Schneider"[..]), (1, b"BMX P34"), (2, b"v3.10")] {
            resp.push(id);
            resp.push(v.len() as u8);
            resp.extend_from_slice(v);
        }
        let len = (resp.len() - 6) as u16;
        resp[4..6].copy_from_slice(&len.to_be_bytes());
        h.feed(Dir::ToClient, &resp);
        let ev = h.events();
        let mei = &modbus(&ev)[0]["modbus"]["response"]["mei"];
        assert_eq!(mei["code"], "RdDevId");
        assert_eq!(mei["number_of_objects"], 3);
        assert_eq!(mei["objects"][0]["value"], "Schneider");
        assert_eq!(mei["objects"][2]["name"], "MajorMinorRevision");
        let dbg = format!("{:?}", h.out.assets);
        assert!(dbg.contains("Schneider"), "{dbg}");
        assert!(dbg.contains("v3.10"), "{dbg}");
    }

    #[test]
    fn response_without_request_is_logged_response_only_with_anomaly() {
        let mut h = harness();
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["response_without_request"]);
        let e = &modbus(&ev)[0]["modbus"];
        assert!(e.get("request").is_none());
        assert_eq!(e["response"]["function_code"], "RdHoldRegs");
        assert_eq!(modbus(&ev)[0]["src_port"], 502);
    }

    #[test]
    fn transaction_cap_evicts_and_logs_the_oldest() {
        let mut h = harness();
        for tid in 0..=MAX_TXS as u16 {
            let mut req = RD_HOLD_REQ;
            req[..2].copy_from_slice(&tid.to_be_bytes());
            h.feed(Dir::ToServer, &req);
        }
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["too_many_transactions"]);
        let m = modbus(&ev);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["modbus"]["request"]["transaction_id"], 0);
        assert!(m[0]["modbus"].get("response").is_none());
        h.close();
        assert_eq!(modbus(&h.events()).len(), MAX_TXS);
    }

    #[test]
    fn anomaly_flags_become_events_and_eve_fields() {
        let mut h = harness();
        // Read coils, quantity 2001 (> 2000).
        h.feed(Dir::ToServer, &[0, 5, 0, 0, 0, 6, 1, 1, 0, 0, 0x07, 0xd1]);
        h.close();
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["quantity_out_of_range"]);
        let req = &modbus(&ev)[0]["modbus"]["request"];
        assert_eq!(req["error_flags"], "DATA_VALUE");
        assert_eq!(
            req["anomalies"],
            serde_json::json!(["quantity_out_of_range"])
        );
    }

    #[test]
    fn garbage_is_consumed_with_one_anomaly_and_the_stream_resynchronises() {
        let mut h = harness();
        let mut input = vec![0xffu8; 40];
        input.extend_from_slice(&RD_HOLD_REQ);
        let n = h.feed(Dir::ToServer, &input);
        assert_eq!(n, input.len());
        h.close();
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["malformed"]);
        assert_eq!(modbus(&ev).len(), 1);
    }

    #[test]
    fn bad_mbap_length_skips_the_claimed_adu() {
        let mut h = harness();
        // Length 300 with protocol id 0: 306 bytes claimed, 10 present.
        let mut input = vec![0, 9, 0, 0, 0x01, 0x2c, 1, 3, 0, 0];
        assert_eq!(h.feed(Dir::ToServer, &input), 10);
        input = vec![0u8; 296];
        input.extend_from_slice(&RD_HOLD_REQ);
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        h.close();
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["malformed"]);
        assert_eq!(modbus(&ev).len(), 1);
    }

    #[test]
    fn gap_drops_partial_adu_and_resynchronises_on_next_header() {
        let mut h = harness();
        // Half a request, then a gap, then the tail of something and a full request.
        assert_eq!(h.feed(Dir::ToServer, &RD_HOLD_REQ[..5]), 0);
        h.gap_of(Dir::ToServer, 100);
        let mut input = vec![0x12, 0x34, 0x99];
        input.extend_from_slice(&RD_HOLD_REQ);
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        let ev = h.events();
        assert_eq!(modbus(&ev).len(), 1);
        assert!(modbus(&ev)[0]["modbus"].get("request").is_some());
    }

    #[test]
    fn umas_function_is_logged_as_unknown_reserved_without_anomaly() {
        let mut h = harness();
        h.feed(Dir::ToServer, &[0, 7, 0, 0, 0, 4, 0, 90, 0, 2]);
        h.close();
        let ev = h.events();
        assert!(anomalies(&ev).is_empty());
        let r = &modbus(&ev)[0]["modbus"]["request"];
        assert_eq!(r["function_raw"], 90);
        assert_eq!(r["function_code"], "Unknown");
        assert_eq!(r["category"], "RESERVED");
        assert_eq!(r["access_type"], "NONE");
        assert_eq!(r["data"], "\u{0}\u{2}");
    }

    #[test]
    fn read_write_mask_write_and_diagnostic_use_suricata_objects() {
        let mut h = harness();
        // 23: read 3 from 3, write 1 register (0x00ff) at 14.
        h.feed(
            Dir::ToServer,
            &[
                0, 1, 0, 0, 0, 13, 1, 23, 0, 3, 0, 3, 0, 14, 0, 1, 2, 0, 0xff,
            ],
        );
        h.feed(
            Dir::ToClient,
            &[0, 1, 0, 0, 0, 9, 1, 23, 6, 0, 1, 0, 2, 0, 3],
        );
        // 22: mask write register 4, AND 0xf2, OR 0x25.
        h.feed(
            Dir::ToServer,
            &[0, 2, 0, 0, 0, 8, 1, 22, 0, 4, 0, 0xf2, 0, 0x25],
        );
        // 8/0: return query data 0xa537.
        h.feed(Dir::ToServer, &[0, 3, 0, 0, 0, 6, 1, 8, 0, 0, 0xa5, 0x37]);
        h.close();
        let ev = h.events();
        let m = modbus(&ev);
        assert_eq!(m.len(), 3);
        let rw = &m[0]["modbus"];
        assert_eq!(
            rw["request"]["access_type"],
            "READ | WRITE | HOLDING | MULTIPLE | WRITE_MULTIPLE"
        );
        assert_eq!(rw["request"]["read"]["quantity"], 3);
        assert_eq!(rw["request"]["write"]["address"], 14);
        assert_eq!(rw["request"]["write"]["values"], serde_json::json!([0xff]));
        assert_eq!(
            rw["response"]["read"]["values"],
            serde_json::json!([1, 2, 3])
        );
        let mask = &m[1]["modbus"]["request"]["write"];
        assert_eq!(mask["and_mask"], 0xf2);
        assert_eq!(mask["or_mask"], 0x25);
        let diag = &m[2]["modbus"]["request"];
        assert_eq!(diag["function_code"], "Diagnostic");
        assert_eq!(diag["diagnostic"]["raw"], 0);
        assert_eq!(diag["diagnostic"]["code"], "RetQueryData");
        assert_eq!(diag["diagnostic"]["data"], "\\xa57");
    }

    #[test]
    fn logging_disabled_still_pairs_counts_and_records_identity() {
        let mut h = harness();
        h.out = Output::new(crate::output::LogMask::none(), None);
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        h.feed(Dir::ToServer, &[0, 4, 0, 0, 0, 5, 1, 43, 14, 1, 0]);
        h.feed(
            Dir::ToClient,
            &[
                0, 4, 0, 0, 0, 13, 1, 43, 14, 1, 1, 0, 0, 1, 0, 3, b'A', b'c', b'm',
            ],
        );
        h.close();
        assert!(h.events().is_empty());
        assert_eq!(
            h.out.stats.errors.get("modbus.response_without_request"),
            Some(&1)
        );
        h.out.fold_pdus();
        assert_eq!(h.out.stats.pdus.get("modbus"), Some(&3));
        assert!(format!("{:?}", h.out.assets).contains("Acm"));
    }

    #[test]
    fn read_transaction_is_one_op_with_the_read_values() {
        let mut h = harness();
        h.feed(Dir::ToServer, &RD_HOLD_REQ);
        assert!(h.take_ops().is_empty(), "reported when answered");
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        let want = Op {
            unit: Some(17),
            space: "holding_register",
            address: Some(0x6b),
            count: 3,
            values: vec![555.0, 0.0, 100.0],
            ..Op::new(OpClass::Read, 3, "read_holding_registers")
        };
        assert_eq!(h.take_ops(), vec![(true, want)]);
        // Coils: only the requested bits.
        h.feed(Dir::ToServer, &[0, 9, 0, 0, 0, 6, 1, 1, 0, 4, 0, 3]);
        h.feed(Dir::ToClient, &[0, 9, 0, 0, 0, 4, 1, 1, 1, 0xfd]);
        let got = h.take_ops();
        assert_eq!(got[0].1.space, "coil");
        assert_eq!(got[0].1.values, vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn writes_report_written_values_and_broadcast() {
        let mut h = harness();
        // Write single register 1 := 0x1234 to unit 0 (broadcast), never answered.
        h.feed(Dir::ToServer, &[0, 1, 0, 0, 0, 6, 0, 6, 0, 1, 0x12, 0x34]);
        // Write multiple coils at 19, 10 coils CD 01, answered.
        h.feed(
            Dir::ToServer,
            &[0, 2, 0, 0, 0, 9, 1, 15, 0, 19, 0, 10, 2, 0xcd, 0x01],
        );
        h.feed(Dir::ToClient, &[0, 2, 0, 0, 0, 6, 1, 15, 0, 19, 0, 10]);
        // 23: read 3 from 3, write 0x00ff at 14 (the written part is reported).
        h.feed(
            Dir::ToServer,
            &[
                0, 3, 0, 0, 0, 13, 1, 23, 0, 3, 0, 3, 0, 14, 0, 1, 2, 0, 0xff,
            ],
        );
        h.feed(
            Dir::ToClient,
            &[0, 3, 0, 0, 0, 9, 1, 23, 6, 0, 1, 0, 2, 0, 3],
        );
        let coils = Op {
            unit: Some(1),
            space: "coil",
            address: Some(19),
            count: 10,
            values: vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0],
            ..Op::new(OpClass::Write, 15, "write_multiple_coils")
        };
        let rw = Op {
            unit: Some(1),
            space: "holding_register",
            address: Some(14),
            count: 1,
            values: vec![255.0],
            ..Op::new(OpClass::Write, 23, "read_write_multiple_registers")
        };
        assert_eq!(h.take_ops(), vec![(true, coils), (true, rw)]);
        h.close();
        let single = Op {
            unit: Some(0),
            space: "holding_register",
            address: Some(1),
            count: 1,
            values: vec![f64::from(0x1234u16)],
            broadcast: true,
            ..Op::new(OpClass::Write, 6, "write_single_register")
        };
        assert_eq!(h.take_ops(), vec![(true, single)], "unanswered: at close");
    }

    #[test]
    fn exceptions_diagnostics_controls_and_identification() {
        let mut h = harness();
        h.feed(Dir::ToServer, &[0, 3, 0, 0, 0, 6, 1, 1, 0, 0, 0, 8]);
        h.feed(Dir::ToClient, &[0, 3, 0, 0, 0, 3, 1, 0x81, 2]);
        // 8/4 force listen only, 8/1 restart communications, 8/0 echo.
        h.feed(Dir::ToServer, &[0, 4, 0, 0, 0, 6, 1, 8, 0, 4, 0, 0]);
        h.feed(Dir::ToServer, &[0, 5, 0, 0, 0, 6, 1, 8, 0, 1, 0, 0]);
        h.feed(Dir::ToServer, &[0, 6, 0, 0, 0, 6, 1, 8, 0, 0, 0xa5, 0x37]);
        // 43/14 read device identification, 17 report server id, 90 UMAS.
        h.feed(Dir::ToServer, &[0, 7, 0, 0, 0, 5, 1, 43, 14, 1, 0]);
        h.feed(Dir::ToServer, &[0, 8, 0, 0, 0, 2, 1, 17]);
        h.feed(Dir::ToServer, &[0, 9, 0, 0, 0, 4, 1, 90, 0, 2]);
        h.close();
        let got: Vec<_> = h.take_ops().into_iter().map(|(_, o)| o).collect();
        let exc = Op {
            unit: Some(1),
            space: "coil",
            address: Some(0),
            count: 8,
            exception: Some(2),
            ..Op::new(OpClass::Read, 1, "read_coils")
        };
        let diag = |class, control| Op {
            unit: Some(1),
            control,
            ..Op::new(class, 8, "diagnostics")
        };
        let plain = |class, f, name| Op {
            unit: Some(1),
            ..Op::new(class, f, name)
        };
        assert_eq!(
            got,
            vec![
                exc,
                diag(OpClass::Control, Some(Control::ListenOnly)),
                diag(OpClass::Control, Some(Control::Restart)),
                diag(OpClass::Diagnostic, None),
                plain(OpClass::Identify, 43, "encapsulated_interface_transport"),
                plain(OpClass::Identify, 17, "report_server_id"),
                plain(OpClass::Other, 90, "umas"),
            ]
        );
    }

    #[test]
    fn response_without_request_is_not_reported_and_detection_off_reports_nothing() {
        let mut h = harness();
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        assert!(h.take_ops().is_empty());
        h.out.detect = false;
        h.feed(Dir::ToServer, &RD_HOLD_REQ);
        h.feed(Dir::ToClient, &RD_HOLD_RESP);
        h.feed(Dir::ToServer, &[0, 1, 0, 0, 0, 6, 0, 6, 0, 1, 0x12, 0x34]);
        h.close();
        assert_eq!(modbus(&h.events()).len(), 3, "still logged");
        assert!(h.out.obs.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// Arbitrary bytes in arbitrary chunks, with gaps: never panics, and what the state
        /// leaves unconsumed is at most one ADU (260 bytes), so a stream never stalls.
        #[test]
        fn arbitrary_stream_never_stalls(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                 proptest::prelude::any::<bool>(),
                 proptest::prelude::any::<bool>()),
                0..12,
            ),
        ) {
            let mut h = harness();
            let r = h.drive(chunks, 260);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
