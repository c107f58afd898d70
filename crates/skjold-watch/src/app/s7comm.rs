//! S7comm flow state (ISO-on-TCP, port 102): TPKT/COTP framing, COTP DT reassembly, and one EVE
//! `s7comm` event per S7 PDU or COTP connection TPDU (CR, CC, DR, DC).
//!
//! Grammar is `skjold_proto::s7comm` (TPKT RFC 1006, COTP ISO 8073, S7comm as publicly
//! documented). The TPKT/COTP stream layer here ([`Tpkt`]) is shared with S7comm-plus.
//!
//! - COTP DT TPDUs with EOT = 0 are buffered per direction and joined with the next ones up to
//!   [`MAX_TSDU`] bytes (beyond: anomaly `cotp_reassembly_limit`, the TSDU is dropped).
//! - Userdata responses split over several PDUs ("last data unit: no") are joined by
//!   function group and subfunction up to [`MAX_USERDATA`] bytes (anomaly
//!   `userdata_reassembly_limit`); the SZL answer is decoded from the joined data and reported
//!   on the last fragment, as Wireshark does.
//! - Jobs are paired with their ACK/ACK-data by PDU reference (at most [`MAX_PENDING`]
//!   outstanding, anomaly `too_many_transactions`): a response event carries the request's
//!   item addresses (`request_items`) and SZL id.
//! - SZL `0x0011`/`0x0111` (module identification) and `0x001c`/`0x011c` (component
//!   identification) answers set the PLC's identity: `order_number`, `hardware`, `firmware`,
//!   `name`, `plant_id`, `serial`, `model`, and `vendor` "Siemens".
//!
//! Detection (when on): one `Op` per job, reported with its answer (error class/code as the
//! exception, read values) or when dropped or the flow ends: setup communication `connect`,
//! read/write var one op per item (`space` `db<n>`, `m`, `i`, `q`...; byte offset; values of
//! 1/2/4-byte items), PLC stop and PI services `control` (stop, start, program download /
//! delete, reset), one `program_download` / `program_upload` per block transfer sequence;
//! userdata requests at once (SZL read `identify`).
//!
//! Anomalies: `malformed` (a byte run that is not TPKT, one per run), `bad_cotp`,
//! `bad_s7_lengths`, `too_many_items`, `unknown_protocol_id` (a DT whose TSDU is neither
//! S7comm nor S7comm-plus), plus the limits above. EVE layout: `docs/eve/s7comm.md`.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::s7comm::{
    self as p, block_type_name, data_items, group_name, parse_block_name, parse_component_id,
    parse_cotp, parse_module_id, parse_s7, parse_szl, parse_tpkt, parse_userdata_data,
    subfunction_name, szl_text, Area, Cotp, CotpType, Function, Param, ReturnCode, Rosctr, S7Pdu,
    TransportSize, UserdataParam,
};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[102];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("s7_client", "s7_plc");

/// Largest reassembled COTP TSDU.
pub(crate) const MAX_TSDU: usize = 65_536;
/// Largest reassembled userdata payload.
pub(crate) const MAX_USERDATA: usize = 65_536;
/// Jobs waiting for their acknowledgement.
pub(crate) const MAX_PENDING: usize = 64;

/// Which S7 family the first DT of a TPKT stream carries: `Some(0x32)`, `Some(0x72)`, or
/// `None` (not TPKT/COTP, or an RDP connection request). `Err(())` while more bytes are needed.
pub(crate) fn probe_family(data: &[u8]) -> Result<Option<u8>, ()> {
    // TPKT version 3, reserved 0: decide on the first byte already.
    if data.first().is_some_and(|&b| b != 3) || data.get(1).is_some_and(|&b| b != 0) {
        return Ok(None);
    }
    let mut rest = data;
    let mut first = true;
    loop {
        match parse_tpkt(rest) {
            Ok((after, tpdu)) => {
                let Ok(c) = parse_cotp(tpdu) else {
                    return Ok(None);
                };
                match c.kind {
                    CotpType::CR | CotpType::CC => {
                        if p::is_rdp_connection_request(&c) || c.li < 6 {
                            return Ok(None);
                        }
                    }
                    CotpType::DT => {
                        if c.li != 2 {
                            return Ok(None);
                        }
                        return Ok(match c.data.first() {
                            Some(&0x32) if matches!(c.data.get(1), Some(1 | 2 | 3 | 7)) => {
                                Some(0x32)
                            }
                            Some(&0x72) if c.data.len() >= 4 => Some(0x72),
                            // A continuation fragment: decide on the next DT.
                            _ if !c.eot && !first => {
                                rest = after;
                                continue;
                            }
                            _ => None,
                        });
                    }
                    CotpType::DR | CotpType::DC if !first => {}
                    _ => return Ok(None),
                }
                first = false;
                rest = after;
            }
            Err(ParseError::Incomplete(_)) => return Err(()),
            Err(_) => return Ok(None),
        }
    }
}

/// Port-independent detection on the first bytes of one direction: TPKT/COTP whose first DT
/// carries S7comm (`0x32`). `NeedMore` while only connection TPDUs were seen.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    if l4 != L4::Tcp {
        return Probe::No;
    }
    match probe_family(data) {
        Ok(Some(0x32)) => Probe::Yes,
        Ok(_) => Probe::No,
        Err(()) => Probe::NeedMore,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(S7State::default())
}

/// What the TPKT layer hands up.
pub(crate) enum Unit<'a> {
    /// A COTP TPDU other than DT.
    Control(Cotp<'a>),
    /// A complete (reassembled) TSDU.
    Tsdu(&'a [u8]),
}

#[derive(Debug, Default)]
struct TpktSide {
    frag: Vec<u8>,
    garbage: bool,
    dropping: bool,
}

/// TPKT/COTP stream layer of one flow: frames TPKTs, reassembles DT fragments, resynchronises
/// on garbage.
#[derive(Debug, Default)]
pub(crate) struct Tpkt {
    sides: [TpktSide; 2],
}

pub(crate) fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn plausible_tpkt(b: &[u8]) -> Probe {
    match (b.first(), b.get(1), b.get(2), b.get(3)) {
        (Some(3), Some(0), Some(&h), Some(&l)) => {
            let len = usize::from(u16::from_be_bytes([h, l]));
            if len >= p::TPKT_MIN_LEN {
                Probe::Yes
            } else {
                Probe::No
            }
        }
        (Some(3), Some(0) | None, _, _) => Probe::NeedMore,
        _ => Probe::No,
    }
}

impl Tpkt {
    /// Parse TPKTs from `input`, handing each unit to `f`. Returns the bytes consumed.
    pub(crate) fn parse(
        &mut self,
        dir: Dir,
        input: &[u8],
        ctx: &mut AppCtx<'_>,
        f: &mut dyn FnMut(Unit<'_>, &mut AppCtx<'_>),
    ) -> usize {
        let side = &mut self.sides[side_index(dir)];
        let mut off = 0;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            if side.garbage {
                match plausible_tpkt(rest) {
                    Probe::Yes => side.garbage = false,
                    Probe::NeedMore => break,
                    Probe::No => {
                        off += 1;
                        continue;
                    }
                }
            }
            match parse_tpkt(rest) {
                Ok((after, tpdu)) => {
                    off += rest.len() - after.len();
                    let Ok(c) = parse_cotp(tpdu) else {
                        ctx.anomaly(dir, "bad_cotp");
                        continue;
                    };
                    if c.kind != CotpType::DT {
                        f(Unit::Control(c), ctx);
                        continue;
                    }
                    if c.eot && side.frag.is_empty() && !side.dropping {
                        f(Unit::Tsdu(c.data), ctx);
                        continue;
                    }
                    if !side.dropping {
                        if side.frag.len() + c.data.len() > MAX_TSDU {
                            ctx.anomaly(dir, "cotp_reassembly_limit");
                            side.frag.clear();
                            side.dropping = true;
                        } else {
                            side.frag.extend_from_slice(c.data);
                        }
                    }
                    if c.eot {
                        if !side.dropping {
                            let tsdu = std::mem::take(&mut side.frag);
                            f(Unit::Tsdu(&tsdu), ctx);
                            side.frag = tsdu;
                            side.frag.clear();
                        }
                        side.dropping = false;
                    }
                }
                Err(ParseError::Incomplete(_)) => break,
                Err(_) => {
                    side.garbage = true;
                    ctx.anomaly(dir, "malformed");
                    off += 1;
                }
            }
        }
        off
    }

    /// Drop partial data of `dir` and resynchronise on the next TPKT header.
    pub(crate) fn gap(&mut self, dir: Dir) {
        let side = &mut self.sides[side_index(dir)];
        side.frag.clear();
        side.dropping = false;
        side.garbage = true;
    }
}

/// Write the COTP connection TPDU object.
pub(crate) fn log_cotp(w: &mut JsonWriter, c: &Cotp<'_>) {
    w.open_object("cotp");
    w.set_str("type", c.kind.name());
    w.set_uint("type_raw", u64::from(c.kind.0));
    if matches!(
        c.kind,
        CotpType::CR | CotpType::CC | CotpType::DR | CotpType::DC
    ) {
        w.set_uint("dst_ref", u64::from(c.dst_ref));
        w.set_uint("src_ref", u64::from(c.src_ref));
    }
    if matches!(c.kind, CotpType::CR | CotpType::CC) {
        w.set_uint("class", u64::from(c.class >> 4));
        if let Some(t) = c.param(0xc1) {
            w.set_hex("src_tsap", t);
        }
        if let Some(t) = c.param(0xc2) {
            w.set_hex("dst_tsap", t);
        }
        if let Some(&s) = c.param(0xc0).and_then(|v| v.first()) {
            if s < 32 {
                w.set_uint("tpdu_size", 1u64 << s);
            }
        }
    }
    if c.kind == CotpType::DR {
        w.set_uint("reason", u64::from(c.class));
    }
    w.close();
}

/// What the request of a pending job said.
#[derive(Debug, Clone)]
struct Pending {
    pdu_ref: u16,
    function: u8,
    items: Vec<p::Item>,
    /// What detection is told when the job is answered (empty when detection is off).
    ops: Vec<(Dir, Op)>,
}

/// Userdata fragments being joined.
#[derive(Debug, Default)]
struct UdFrag {
    key: Option<(u8, u8)>,
    data: Vec<u8>,
    dropping: bool,
}

/// S7comm state of one flow.
#[derive(Debug, Default)]
pub(crate) struct S7State {
    tpkt: Tpkt,
    pending: VecDeque<Pending>,
    userdata: [UdFrag; 2],
    /// A download (upload) sequence was already reported to detection: one observation per
    /// sequence, not one per block.
    transfer: Transfer,
}

/// Block transfer sequences already reported to detection.
#[derive(Debug, Default)]
struct Transfer {
    download: bool,
    upload: bool,
}

impl AppState for S7State {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let Self {
            tpkt,
            pending,
            userdata,
            transfer,
        } = self;
        tpkt.parse(dir, input, ctx, &mut |u, ctx| match u {
            Unit::Control(c) => {
                ctx.count_pdu();
                if ctx.log_enabled() {
                    ctx.event(dir, |w| log_cotp(w, &c));
                }
            }
            Unit::Tsdu(t) => on_tsdu(dir, t, pending, userdata, transfer, ctx),
        })
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        self.tpkt.gap(dir);
        let u = &mut self.userdata[side_index(dir)];
        u.key = None;
        u.data.clear();
        u.dropping = false;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        // Jobs never answered are reported as they are.
        for p in self.pending.drain(..) {
            emit(p.ops, ctx);
        }
    }
}

fn on_tsdu(
    dir: Dir,
    t: &[u8],
    pending: &mut VecDeque<Pending>,
    userdata: &mut [UdFrag; 2],
    transfer: &mut Transfer,
    ctx: &mut AppCtx<'_>,
) {
    if t.first() == Some(&p::S7PLUS_PROTOCOL_ID) {
        // S7comm-plus inside a flow that started as S7comm: counted, not decoded here.
        ctx.anomaly(dir, "s7comm_plus_in_s7comm_flow");
        return;
    }
    let pdu = match parse_s7(t) {
        Ok(pdu) => pdu,
        Err(ParseError::Invalid("s7 protocol id")) => {
            ctx.anomaly(dir, "unknown_protocol_id");
            return;
        }
        Err(ParseError::Invalid(_)) => {
            ctx.anomaly(dir, "malformed");
            return;
        }
        Err(_) => {
            ctx.anomaly(dir, "bad_s7_lengths");
            return;
        }
    };
    ctx.count_pdu();
    if pdu.items_truncated {
        ctx.anomaly(dir, "too_many_items");
    }
    let mut ops = Vec::new();
    if ctx.detecting() {
        observe(dir, &pdu, transfer, &mut ops, ctx);
    }
    // Pairing.
    let mut request: Option<Pending> = None;
    match pdu.rosctr {
        Rosctr::JOB => {
            if pending.len() >= MAX_PENDING {
                ctx.anomaly(dir, "too_many_transactions");
                if let Some(old) = pending.pop_front() {
                    emit(old.ops, ctx);
                }
            }
            let items = match &pdu.param {
                Param::ReadWrite { items, .. } => items.clone(),
                _ => Vec::new(),
            };
            pending.push_back(Pending {
                pdu_ref: pdu.pdu_ref,
                function: pdu.function.map_or(0, |f| f.0),
                items,
                ops,
            });
        }
        Rosctr::ACK | Rosctr::ACK_DATA => {
            if let Some(i) = pending.iter().position(|x| x.pdu_ref == pdu.pdu_ref) {
                request = pending.remove(i);
            }
            if let Some(r) = request.as_mut() {
                answered(std::mem::take(&mut r.ops), &pdu, ctx);
            }
        }
        _ => {}
    }
    // Userdata reassembly.
    let mut joined: Option<Vec<u8>> = None;
    let mut fragment = false;
    if let Param::Userdata(u) = &pdu.param {
        if let Some(d) = parse_userdata_data(pdu.data) {
            let st = &mut userdata[side_index(dir)];
            let key = (u.group, u.subfunction);
            let more = u.last_data_unit != 0;
            let continuing = st.key == Some(key) && (!st.data.is_empty() || st.dropping);
            if more || continuing {
                if st.key != Some(key) {
                    st.key = Some(key);
                    st.data.clear();
                    st.dropping = false;
                }
                if !st.dropping {
                    if st.data.len() + d.payload.len() > MAX_USERDATA {
                        ctx.anomaly(dir, "userdata_reassembly_limit");
                        st.data.clear();
                        st.dropping = true;
                    } else {
                        st.data.extend_from_slice(d.payload);
                    }
                }
                if more {
                    fragment = true;
                } else {
                    if !st.dropping {
                        joined = Some(std::mem::take(&mut st.data));
                    }
                    st.key = None;
                    st.dropping = false;
                }
            }
        }
    }
    let szl_payload: Option<&[u8]> = match (&pdu.param, &joined) {
        (Param::Userdata(u), Some(j)) if u.group == 4 && u.subfunction == 1 => Some(j),
        (Param::Userdata(u), None) if u.group == 4 && u.subfunction == 1 && !fragment => {
            parse_userdata_data(pdu.data).map(|d| d.payload)
        }
        _ => None,
    };
    if let (Some(s), Param::Userdata(u)) = (szl_payload, &pdu.param) {
        if u.kind == 8 {
            szl_identity(s, ctx);
        }
    }
    if ctx.log_enabled() {
        ctx.event(dir, |w| {
            log_pdu(w, &pdu, request.as_ref(), fragment, szl_payload);
        });
    }
}

/// Detection's name of an item's memory area (`db1` for data block 1, `m` flags, `i` inputs,
/// `q` outputs...).
fn area_space(it: &p::Item) -> &'static str {
    match it.area {
        0x84 | 0x85 => db_space(it.db),
        0x80 => "p",
        0x81 => "i",
        0x82 => "q",
        0x83 => "m",
        0x1c | 0x1e => "c",
        0x1d | 0x1f => "t",
        0x86 => "l",
        0x87 => "v",
        0x03 => "si",
        0x05 => "sm",
        0x06 => "ai",
        0x07 => "aq",
        _ => "unknown",
    }
}

/// `db<n>`, made once per DB number and kept for the life of the process.
fn db_space(n: u16) -> &'static str {
    static NAMES: NumberNames = NumberNames::new();
    NAMES.get(n, |n| format!("db{n}"))
}

/// Names made from a 16-bit number (`db12`, `class_0x8e`), each made once and kept for the life
/// of the process: lock-free after the first use, blocks of 256 names allocated as their
/// numbers are seen (at most 65 536 short strings in all).
pub(crate) struct NumberNames {
    blocks: [OnceLock<Box<NameBlock>>; 256],
}

/// 256 names of a [`NumberNames`] table.
type NameBlock = [OnceLock<Box<str>>; 256];

impl NumberNames {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        NumberNames {
            blocks: [const { OnceLock::new() }; 256],
        }
    }

    /// The name of `n`, made by `make` the first time.
    pub(crate) fn get(&'static self, n: u16, make: impl FnOnce(u16) -> String) -> &'static str {
        let [hi, lo] = n.to_be_bytes();
        let block =
            self.blocks[usize::from(hi)].get_or_init(|| Box::new([const { OnceLock::new() }; 256]));
        block[usize::from(lo)].get_or_init(|| make(n).into_boxed_str())
    }
}

/// A data item's value as an unsigned big-endian number, for items of 1, 2 or 4 bytes.
fn item_value(data: &[u8]) -> Option<f64> {
    match data.len() {
        1 | 2 | 4 => Some(f64::from(
            data.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)),
        )),
        _ => None,
    }
}

/// The device state change a PI service name asks for (`P_PROGRAM` start, `_INSE` insert a
/// downloaded block, `_DELE` delete blocks, `_GARB` compress memory, `_MODU` copy RAM to ROM).
fn pi_control(service: &[u8]) -> Option<Control> {
    match service {
        b"P_PROGRAM" => Some(Control::Start),
        b"_INSE" => Some(Control::ProgramDownload),
        b"_DELE" => Some(Control::ProgramDelete),
        b"_GARB" | b"_MODU" => Some(Control::ResetProcess),
        _ => None,
    }
}

/// Report a request to detection: one [`Op`] per job, one per item of a read or write (each
/// item has its own area and address), one per download or upload sequence, one per
/// userdata request. Userdata requests are reported at once; the ops of a job go to `ops`, to
/// be reported with the job's answer ([`answered`]).
fn observe(
    dir: Dir,
    pdu: &S7Pdu<'_>,
    transfer: &mut Transfer,
    ops: &mut Vec<(Dir, Op)>,
    ctx: &mut AppCtx<'_>,
) {
    let op = |class: OpClass, f: Function| Op::new(class, u32::from(f.0), f.name());
    if pdu.rosctr == Rosctr::USERDATA {
        if let Param::Userdata(u) = &pdu.param {
            // Requests only (type 4); pushes and responses come from the PLC.
            if u.kind == 4 {
                let class = if (u.group, u.subfunction) == (4, 1) {
                    OpClass::Identify
                } else {
                    OpClass::Other
                };
                let function = (u32::from(u.group) << 8) | u32::from(u.subfunction);
                let name = subfunction_name(u.group, u.subfunction);
                ctx.observe(dir, What::Op(Op::new(class, function, name)));
            }
        }
        return;
    }
    if pdu.rosctr != Rosctr::JOB {
        return;
    }
    let Some(f) = pdu.function else {
        return;
    };
    match (f, &pdu.param) {
        (Function::READ_VAR | Function::WRITE_VAR, Param::ReadWrite { count, items }) => {
            let write = f == Function::WRITE_VAR;
            let data = if write {
                data_items(pdu.data, *count).0
            } else {
                Vec::new()
            };
            let class = if write { OpClass::Write } else { OpClass::Read };
            for (i, it) in items.iter().enumerate() {
                let mut o = op(class, f);
                if it.syntax_id == 0x10 {
                    o.space = area_space(it);
                    o.address = Some(it.byte());
                    o.count = u32::from(it.length);
                }
                if let Some(v) = data.get(i).and_then(|d| item_value(d.data)) {
                    o.values.push(v);
                }
                ops.push((dir, o));
            }
            if items.is_empty() {
                ops.push((dir, op(class, f)));
            }
        }
        (Function::SETUP, _) => ops.push((dir, op(OpClass::Connect, f))),
        (Function::PLC_STOP, _) => ops.push((
            dir,
            Op {
                control: Some(Control::Stop),
                ..op(OpClass::Control, f)
            },
        )),
        (Function::PI_SERVICE, _) => {
            let control = match &pdu.param {
                Param::Pi { service, .. } => pi_control(service),
                _ => None,
            };
            ops.push((
                dir,
                Op {
                    control,
                    ..op(OpClass::Control, f)
                },
            ));
        }
        (Function::REQUEST_DOWNLOAD | Function::DOWNLOAD_BLOCK | Function::DOWNLOAD_ENDED, _) => {
            // The PC asks to download (0x1a), then the PLC asks for the blocks (0x1b) and
            // ends (0x1c): the client of the download is the PLC's peer whichever end sends.
            let from = if f == Function::REQUEST_DOWNLOAD {
                dir
            } else {
                other(dir)
            };
            if !transfer.download {
                ops.push((
                    from,
                    Op {
                        control: Some(Control::ProgramDownload),
                        ..op(OpClass::Control, f)
                    },
                ));
            }
            transfer.download = f != Function::DOWNLOAD_ENDED;
        }
        (Function::START_UPLOAD | Function::UPLOAD | Function::END_UPLOAD, _) => {
            if !transfer.upload {
                ops.push((
                    dir,
                    Op {
                        control: Some(Control::ProgramUpload),
                        ..op(OpClass::Control, f)
                    },
                ));
            }
            transfer.upload = f != Function::END_UPLOAD;
        }
        _ => ops.push((dir, op(OpClass::Other, f))),
    }
}

/// Report the ops of a job as they are (never answered, or dropped from the pending list).
fn emit(ops: Vec<(Dir, Op)>, ctx: &mut AppCtx<'_>) {
    for (d, o) in ops {
        ctx.observe(d, What::Op(o));
    }
}

/// Report the ops of a job with its answer: the header's error (class and code, as
/// `class << 8 | code`), and per item of a read or write the return code when it is not
/// success, or the value read.
fn answered(ops: Vec<(Dir, Op)>, pdu: &S7Pdu<'_>, ctx: &mut AppCtx<'_>) {
    let header = match (pdu.error_class, pdu.error_code) {
        (Some(c), Some(e)) if c != 0 || e != 0 => Some((u32::from(c) << 8) | u32::from(e)),
        _ => None,
    };
    let count = match &pdu.param {
        Param::ReadWrite { count, .. } => *count,
        _ => 0,
    };
    let data = pdu.rosctr == Rosctr::ACK_DATA;
    let read = if data && pdu.function == Some(Function::READ_VAR) {
        data_items(pdu.data, count).0
    } else {
        Vec::new()
    };
    let write = data && pdu.function == Some(Function::WRITE_VAR);
    for (i, (d, mut o)) in ops.into_iter().enumerate() {
        o.exception = header;
        if o.class == OpClass::Read {
            if let Some(it) = read.get(i) {
                if it.return_code == 0xff {
                    o.values.extend(item_value(it.data));
                } else {
                    o.exception = o.exception.or(Some(u32::from(it.return_code)));
                }
            }
        } else if write && o.class == OpClass::Write {
            if let Some(&rc) = pdu.data.get(i).filter(|&&rc| rc != 0xff) {
                o.exception = o.exception.or(Some(u32::from(rc)));
            }
        }
        ctx.observe(d, What::Op(o));
    }
}

fn other(dir: Dir) -> Dir {
    match dir {
        Dir::ToServer => Dir::ToClient,
        Dir::ToClient => Dir::ToServer,
    }
}

/// Identity fields from an SZL response payload.
fn szl_identity(payload: &[u8], ctx: &mut AppCtx<'_>) {
    let Some(szl) = parse_szl(payload) else {
        return;
    };
    let set = |field: &'static str, v: &[u8], ctx: &mut AppCtx<'_>| {
        let v = String::from_utf8_lossy(szl_text(v));
        let v = v.trim();
        if !v.is_empty() {
            ctx.identity(Endpoint::Server, field, v);
        }
    };
    match szl.id & 0x00ff {
        0x11 => {
            let mut any = false;
            for rec in szl.iter() {
                let Some(m) = parse_module_id(rec) else {
                    continue;
                };
                any = true;
                match m.index {
                    1 => set("order_number", m.order_number, ctx),
                    6 => {
                        if let Some(hw) = m.ausbg {
                            ctx.identity(Endpoint::Server, "hardware", &hw.to_string());
                        }
                    }
                    7 => {
                        if let (Some(ausbg), Some(ausbe)) = (m.ausbg, m.ausbe) {
                            let [letter, major] = ausbg.to_be_bytes();
                            let [minor, patch] = ausbe.to_be_bytes();
                            let fw = if letter == b'V' {
                                format!("V{major}.{minor}.{patch}")
                            } else {
                                format!("{ausbg}.{ausbe}")
                            };
                            ctx.identity(Endpoint::Server, "firmware", &fw);
                        }
                    }
                    _ => {}
                }
            }
            if any {
                ctx.identity(Endpoint::Server, "vendor", "Siemens");
            }
        }
        0x1c => {
            let mut any = false;
            for rec in szl.iter() {
                let Some((index, text)) = parse_component_id(rec) else {
                    continue;
                };
                any = true;
                let field = match index {
                    1 => "name",
                    3 => "plant_id",
                    5 => "serial",
                    7 => "model",
                    _ => continue,
                };
                set(field, text, ctx);
            }
            if any {
                ctx.identity(Endpoint::Server, "vendor", "Siemens");
            }
        }
        _ => {}
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn log_item(w: &mut JsonWriter, it: &p::Item) {
    w.start_object();
    w.set_uint("syntax_id", u64::from(it.syntax_id));
    if it.syntax_id == 0x10 {
        w.set_uint("area_raw", u64::from(it.area));
        w.set_str("area", Area(it.area).name());
        w.set_uint("db", u64::from(it.db));
        w.set_uint("address", u64::from(it.address));
        w.set_uint("byte", u64::from(it.byte()));
        w.set_uint("bit", u64::from(it.bit()));
        w.set_uint("transport_size_raw", u64::from(it.transport_size));
        w.set_str("transport_size", TransportSize(it.transport_size).name());
        w.set_uint("length", u64::from(it.length));
    }
    w.close();
}

fn log_block(w: &mut JsonWriter, name: &[u8]) {
    w.set_str("filename", &lossy(name));
    if let Some(b) = parse_block_name(name) {
        w.set_str("block_type_raw", &lossy(b.kind));
        w.set_str("block_type", block_type_name(b.kind));
        if let Some(n) = b.number {
            w.set_uint("block_number", u64::from(n));
        }
        w.set_str("filesystem", &lossy(&[b.filesystem]));
    }
}

fn log_userdata(w: &mut JsonWriter, u: &UserdataParam, fragment: bool, data: &[u8]) {
    w.open_object("userdata");
    w.set_uint("method", u64::from(u.method));
    w.set_uint("type_raw", u64::from(u.kind));
    w.set_str(
        "type",
        match u.kind {
            0 => "push",
            4 => "request",
            8 => "response",
            _ => "unknown",
        },
    );
    w.set_uint("group_raw", u64::from(u.group));
    w.set_str("group", group_name(u.group));
    if u.group == 0 {
        // Mode transition: the subfunction byte is the new CPU mode.
        w.set_uint("mode_raw", u64::from(u.subfunction));
        w.set_str("mode", p::mode_name(u.subfunction));
    } else {
        w.set_uint("subfunction_raw", u64::from(u.subfunction));
        w.set_str("subfunction", subfunction_name(u.group, u.subfunction));
    }
    w.set_uint("sequence", u64::from(u.sequence));
    w.set_uint("data_unit_ref", u64::from(u.data_unit_ref));
    w.set_bool("last_data_unit", u.last_data_unit == 0);
    w.set_uint("error_code", u64::from(u.error_code));
    if let Some(d) = parse_userdata_data(data) {
        w.set_uint("return_code_raw", u64::from(d.return_code));
        w.set_str("return_code", ReturnCode(d.return_code).name());
    }
    w.set_bool("fragment", fragment);
    w.close();
}

fn log_szl(w: &mut JsonWriter, payload: &[u8], response: bool) {
    let Some(szl) = parse_szl(payload) else {
        return;
    };
    w.open_object("szl");
    w.set_uint("id", u64::from(szl.id));
    w.set_uint("index", u64::from(szl.index));
    if response && szl.record_len > 0 {
        w.set_uint("record_length", u64::from(szl.record_len));
        w.set_uint("record_count", u64::from(szl.record_count));
        match szl.id & 0xff {
            0x11 => {
                w.open_array("module_identification");
                for m in szl.iter().filter_map(parse_module_id) {
                    w.start_object();
                    w.set_uint("index", u64::from(m.index));
                    w.set_str("order_number", &lossy(szl_text(m.order_number)));
                    if let Some(t) = m.module_type {
                        w.set_uint("module_type", u64::from(t));
                    }
                    if let Some(g) = m.ausbg {
                        w.set_uint("ausbg", u64::from(g));
                    }
                    if let Some(e) = m.ausbe {
                        w.set_uint("ausbe", u64::from(e));
                    }
                    w.close();
                }
                w.close_array();
            }
            0x1c => {
                w.open_array("component_identification");
                for (index, text) in szl.iter().filter_map(parse_component_id) {
                    w.start_object();
                    w.set_uint("index", u64::from(index));
                    let name = match index {
                        1 => "plc_name",
                        2 => "module_name",
                        3 => "plant_id",
                        4 => "copyright",
                        5 => "serial_number",
                        7 => "module_type_name",
                        8 => "memory_card_serial",
                        11 => "location",
                        _ => "",
                    };
                    if name.is_empty() {
                        w.set_hex("data", text);
                    } else {
                        w.set_str("name", name);
                        w.set_str("value", &lossy(szl_text(text)));
                    }
                    w.close();
                }
                w.close_array();
            }
            _ => {}
        }
    }
    w.close();
}

fn log_pdu(
    w: &mut JsonWriter,
    pdu: &S7Pdu<'_>,
    request: Option<&Pending>,
    fragment: bool,
    szl: Option<&[u8]>,
) {
    w.open_object("header");
    w.set_uint("rosctr_raw", u64::from(pdu.rosctr.0));
    w.set_str("rosctr", pdu.rosctr.name());
    w.set_uint("redundancy_id", u64::from(pdu.redundancy_id));
    w.set_uint("pdu_ref", u64::from(pdu.pdu_ref));
    w.set_uint("param_length", u64::from(pdu.param_len));
    w.set_uint("data_length", u64::from(pdu.data_len));
    if let (Some(c), Some(e)) = (pdu.error_class, pdu.error_code) {
        w.set_uint("error_class", u64::from(c));
        w.set_uint("error_code", u64::from(e));
    }
    w.close();
    if let Some(f) = pdu.function {
        w.set_uint("function_raw", u64::from(f.0));
        w.set_str("function", f.name());
    }
    match &pdu.param {
        Param::Setup {
            max_amq_calling,
            max_amq_called,
            pdu_length,
        } => {
            w.open_object("setup");
            w.set_uint("max_amq_calling", u64::from(*max_amq_calling));
            w.set_uint("max_amq_called", u64::from(*max_amq_called));
            w.set_uint("pdu_length", u64::from(*pdu_length));
            w.close();
        }
        Param::ReadWrite { count, items } => {
            w.set_uint("item_count", u64::from(*count));
            if !items.is_empty() {
                w.open_array("items");
                for it in items {
                    log_item(w, it);
                }
                w.close_array();
            }
            let f = pdu.function.unwrap_or(Function(0));
            let has_data_items = (pdu.rosctr == Rosctr::JOB && f == Function::WRITE_VAR)
                || (pdu.rosctr == Rosctr::ACK_DATA && f == Function::READ_VAR);
            if has_data_items {
                let (d, _) = data_items(pdu.data, *count);
                w.open_array("data_items");
                for it in d {
                    w.start_object();
                    w.set_uint("return_code_raw", u64::from(it.return_code));
                    w.set_str("return_code", ReturnCode(it.return_code).name());
                    w.set_uint("transport_size", u64::from(it.transport_size));
                    w.set_uint("length", it.data.len() as u64);
                    w.close();
                }
                w.close_array();
            } else if pdu.rosctr == Rosctr::ACK_DATA && f == Function::WRITE_VAR {
                w.open_array("return_codes");
                for &rc in pdu.data.iter().take(usize::from(*count)) {
                    w.append_str(ReturnCode(rc).name());
                }
                w.close_array();
            }
        }
        Param::Block {
            status,
            upload_id,
            filename,
        } => {
            w.open_object("block");
            w.set_uint("status", u64::from(*status));
            if let Some(id) = upload_id {
                w.set_uint("upload_id", u64::from(*id));
            }
            if let Some(n) = filename {
                log_block(w, n);
            }
            w.close();
        }
        Param::Pi {
            service,
            blocks,
            argument,
        } => {
            w.open_object("pi");
            w.set_str("service", &lossy(service));
            if !blocks.is_empty() {
                w.open_array("blocks");
                for b in blocks {
                    w.start_object();
                    log_block(w, b);
                    w.close();
                }
                w.close_array();
            }
            if !argument.is_empty() {
                w.set_str("argument", &lossy(argument));
            }
            w.close();
        }
        Param::Userdata(u) => {
            log_userdata(w, u, fragment, pdu.data);
            if let Some(s) = szl {
                log_szl(w, s, u.kind == 8);
            }
        }
        Param::Other => {}
    }
    if let Some(r) = request {
        w.set_uint("request_function_raw", u64::from(r.function));
        if !r.items.is_empty() {
            w.open_array("request_items");
            for it in &r.items {
                log_item(w, it);
            }
            w.close_array();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;

    fn harness() -> Harness<S7State> {
        Harness::with(S7State::default(), AppProto::S7comm)
    }

    fn tpkt_dt(s7: &[u8], eot: bool) -> Vec<u8> {
        let mut v = vec![3, 0, 0, 0, 2, 0xf0, if eot { 0x80 } else { 0 }];
        v.extend_from_slice(s7);
        let n = v.len() as u16;
        v[2..4].copy_from_slice(&n.to_be_bytes());
        v
    }

    const CR: [u8; 22] = [
        3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 9,
    ];
    // Read var job: 1 item, DB1.DBX 2.0 BYTE x4.
    const READ_JOB: [u8; 24] = [
        0x32, 1, 0, 0, 0x05, 0x00, 0, 14, 0, 0, 0x04, 1, 0x12, 0x0a, 0x10, 0x02, 0, 4, 0, 1, 0x84,
        0, 0, 0x10,
    ];
    const READ_ACK: [u8; 22] = [
        0x32, 3, 0, 0, 0x05, 0x00, 0, 2, 0, 8, 0, 0, 0x04, 1, 0xff, 0x04, 0, 32, 1, 2, 3, 4,
    ];

    fn s7(ev: &[serde_json::Value]) -> Vec<&serde_json::Value> {
        ev.iter()
            .filter(|e| e["event_type"] == "s7comm")
            .map(|e| &e["s7comm"])
            .collect()
    }

    #[test]
    fn probe_needs_a_dt_and_decides_on_protocol_id() {
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &CR), Probe::NeedMore);
        let mut v = CR.to_vec();
        v.extend(tpkt_dt(&READ_JOB, true));
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &v), Probe::Yes);
        assert_eq!(
            super::super::s7comm_plus::probe(Dir::ToServer, L4::Tcp, &v),
            Probe::No
        );
        // RDP: CR with a cookie.
        let mut rdp = vec![3, 0, 0, 0, 0, 0xe0, 0, 0, 0, 0, 0];
        rdp.extend_from_slice(b"Cookie: mstshash=x\r\n");
        rdp[4] = (rdp.len() - 5) as u8;
        let n = rdp.len() as u16;
        rdp[2..4].copy_from_slice(&n.to_be_bytes());
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &rdp), Probe::No);
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, b"GET / HTTP/1.1\r\n"),
            Probe::No
        );
        // Short non-TPKT bytes are rejected at once.
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &[0, 1]), Probe::No);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &[3, 1]), Probe::No);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &[3]), Probe::NeedMore);
    }

    #[test]
    fn read_job_and_ack_are_logged_with_items_and_pairing() {
        let mut h = harness();
        h.feed(Dir::ToServer, &CR);
        h.feed(Dir::ToServer, &tpkt_dt(&READ_JOB, true));
        h.feed(Dir::ToClient, &tpkt_dt(&READ_ACK, true));
        let ev = h.events();
        let s = s7(&ev);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0]["cotp"]["type"], "CR");
        assert_eq!(s[0]["cotp"]["src_tsap"], "0100");
        assert_eq!(s[0]["cotp"]["tpdu_size"], 512);
        assert_eq!(s[1]["header"]["rosctr"], "Job");
        assert_eq!(s[1]["function"], "read_var");
        let it = &s[1]["items"][0];
        assert_eq!(it["area"], "data_blocks");
        assert_eq!(it["db"], 1);
        assert_eq!(it["byte"], 2);
        assert_eq!(it["bit"], 0);
        assert_eq!(it["length"], 4);
        assert_eq!(s[2]["header"]["rosctr"], "Ack_Data");
        assert_eq!(s[2]["data_items"][0]["return_code"], "success");
        assert_eq!(s[2]["data_items"][0]["length"], 4);
        assert_eq!(s[2]["request_items"][0]["db"], 1);
    }

    #[test]
    fn cotp_fragments_are_reassembled() {
        let mut h = harness();
        let (a, b) = READ_JOB.split_at(9);
        let mut v = tpkt_dt(a, false);
        v.extend(tpkt_dt(b, true));
        assert_eq!(h.feed(Dir::ToServer, &v), v.len());
        let ev = h.events();
        assert_eq!(s7(&ev).len(), 1);
        assert_eq!(s7(&ev)[0]["items"][0]["db"], 1);
    }

    #[test]
    fn cotp_reassembly_is_bounded() {
        let mut h = harness();
        let chunk = tpkt_dt(&vec![0u8; 60_000], false);
        h.feed(Dir::ToServer, &chunk);
        h.feed(Dir::ToServer, &chunk);
        h.feed(Dir::ToServer, &tpkt_dt(&[0u8; 10], true));
        let ev = h.events();
        assert!(ev
            .iter()
            .any(|e| e["anomaly"]["event"] == "cotp_reassembly_limit"
                || e.to_string().contains("cotp_reassembly_limit")));
        assert!(s7(&ev).is_empty());
    }

    fn szl_response(id: u16, recs: &[Vec<u8>], rec_len: u16, dur: u8, last: bool) -> Vec<u8> {
        let mut payload = vec![];
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&[0, 0]);
        payload.extend_from_slice(&rec_len.to_be_bytes());
        payload.extend_from_slice(&(recs.len() as u16).to_be_bytes());
        for r in recs {
            payload.extend_from_slice(r);
        }
        let mut data = vec![0xff, 0x09];
        data.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        data.extend_from_slice(&payload);
        let param = [0, 1, 0x12, 8, 0x12, 0x84, 1, 2, dur, u8::from(!last), 0, 0];
        let mut s = vec![0x32, 7, 0, 0, 0x11, 0x00];
        s.extend_from_slice(&(param.len() as u16).to_be_bytes());
        s.extend_from_slice(&(data.len() as u16).to_be_bytes());
        s.extend_from_slice(&param);
        s.extend_from_slice(&data);
        s
    }

    fn rec11(index: u16, order: &str, ausbg: u16, ausbe: u16) -> Vec<u8> {
        let mut r = index.to_be_bytes().to_vec();
        let mut o = order.as_bytes().to_vec();
        o.resize(20, b' ');
        r.extend(o);
        r.extend([0, 0xc0]);
        r.extend(ausbg.to_be_bytes());
        r.extend(ausbe.to_be_bytes());
        r
    }

    fn rec1c(index: u16, text: &str) -> Vec<u8> {
        let mut r = index.to_be_bytes().to_vec();
        let mut t = text.as_bytes().to_vec();
        t.resize(32, 0);
        r.extend(t);
        r
    }

    #[test]
    fn szl_module_identification_sets_identity() {
        let mut h = harness();
        let recs = vec![
            rec11(1, "6ES7 151-8AB01-0AB0", 3, 1),
            rec11(6, "6ES7 151-8AB01-0AB0", 3, 1),
            rec11(7, "", 0x5603, 0x0206),
        ];
        h.feed(
            Dir::ToClient,
            &tpkt_dt(&szl_response(0x11, &recs, 28, 0, true), true),
        );
        let ev = h.events();
        let e = s7(&ev)[0];
        assert_eq!(e["szl"]["id"], 0x11);
        assert_eq!(
            e["szl"]["module_identification"][0]["order_number"],
            "6ES7 151-8AB01-0AB0"
        );
        let a = format!("{:?}", h.out.assets);
        assert!(a.contains("6ES7 151-8AB01-0AB0"), "{a}");
        assert!(a.contains("V3.2.6"), "{a}");
        assert!(a.contains("Siemens"), "{a}");
    }

    #[test]
    fn logging_disabled_still_counts_and_records_identity() {
        let mut h = harness();
        h.out = crate::output::Output::new(crate::output::LogMask::none(), None);
        let recs = vec![rec11(1, "6ES7 315-2EH14-0AB0", 3, 1)];
        h.feed(Dir::ToServer, &tpkt_dt(&READ_JOB, true));
        h.feed(
            Dir::ToClient,
            &tpkt_dt(&szl_response(0x11, &recs, 28, 0, true), true),
        );
        h.close();
        assert!(s7(&h.events()).is_empty());
        h.out.fold_pdus();
        assert_eq!(h.out.stats.pdus.get("s7comm"), Some(&2));
        assert!(format!("{:?}", h.out.assets).contains("6ES7 315-2EH14-0AB0"));
    }

    #[test]
    fn fragmented_szl_component_identification_is_joined() {
        let mut h = harness();
        let recs = vec![
            rec1c(1, "IM151-8-CPU"),
            rec1c(3, "PLANT-7"),
            rec1c(5, "S C-C6TW74882012"),
            rec1c(7, "IM151-8 PN/DP CPU"),
        ];
        let full = szl_response(0x1c, &recs, 34, 6, true);
        // Split the data payload in two userdata PDUs.
        let first_payload_end = 12 + 10 + 4 + 8 + 34 * 2;
        let whole_payload = &full[12 + 10 + 4..];
        let cut = first_payload_end - (12 + 10 + 4);
        let mk = |payload: &[u8], last: bool| {
            let mut data = vec![0xff, 0x09];
            data.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            data.extend_from_slice(payload);
            let param = [0, 1, 0x12, 8, 0x12, 0x84, 1, 2, 6, u8::from(!last), 0, 0];
            let mut s = vec![0x32, 7, 0, 0, 0x11, 0x00];
            s.extend_from_slice(&(param.len() as u16).to_be_bytes());
            s.extend_from_slice(&(data.len() as u16).to_be_bytes());
            s.extend_from_slice(&param);
            s.extend_from_slice(&data);
            tpkt_dt(&s, true)
        };
        h.feed(Dir::ToClient, &mk(&whole_payload[..cut], false));
        h.feed(Dir::ToClient, &mk(&whole_payload[cut..], true));
        let ev = h.events();
        let s = s7(&ev);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0]["userdata"]["fragment"], true);
        assert!(s[0].get("szl").is_none());
        assert_eq!(s[1]["szl"]["id"], 0x1c);
        assert_eq!(
            s[1]["szl"]["component_identification"][3]["value"],
            "IM151-8 PN/DP CPU"
        );
        let a = format!("{:?}", h.out.assets);
        for v in [
            "IM151-8-CPU",
            "PLANT-7",
            "S C-C6TW74882012",
            "IM151-8 PN/DP CPU",
        ] {
            assert!(a.contains(v), "{v} missing: {a}");
        }
    }

    #[test]
    fn plc_stop_and_pi_insert_are_logged() {
        let mut h = harness();
        let stop = [
            0x32, 1, 0, 0, 0, 2, 0, 16, 0, 0, 0x29, 0, 0, 0, 0, 0, 9, b'P', b'_', b'P', b'R', b'O',
            b'G', b'R', b'A', b'M',
        ];
        h.feed(Dir::ToServer, &tpkt_dt(&stop, true));
        let inse: Vec<u8> = [
            &[
                0x32u8, 1, 0, 0, 0x0f, 0, 0, 26, 0, 0, 0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0, 10, 1, 0,
            ][..],
            b"0A00001P",
            &[5],
            b"_INSE",
        ]
        .concat();
        h.feed(Dir::ToServer, &tpkt_dt(&inse, true));
        let ev = h.events();
        let s = s7(&ev);
        assert_eq!(s[0]["function"], "plc_stop");
        assert_eq!(s[0]["pi"]["service"], "P_PROGRAM");
        assert_eq!(s[1]["pi"]["service"], "_INSE");
        assert_eq!(s[1]["pi"]["blocks"][0]["block_type"], "DB");
        assert_eq!(s[1]["pi"]["blocks"][0]["block_number"], 1);
    }

    #[test]
    fn download_request_names_the_block() {
        let mut h = harness();
        let job: Vec<u8> = [
            &[
                0x32u8, 1, 0, 0, 0, 1, 0, 18, 0, 0, 0x1b, 0, 0, 0, 0, 0, 0, 0, 9,
            ][..],
            b"_0A00001P",
        ]
        .concat();
        h.feed(Dir::ToServer, &tpkt_dt(&job, true));
        let ev = h.events();
        let b = &s7(&ev)[0]["block"];
        assert_eq!(b["block_type"], "DB");
        assert_eq!(b["block_number"], 1);
        assert_eq!(b["filesystem"], "P");
    }

    #[test]
    fn garbage_then_tpkt_resynchronises() {
        let mut h = harness();
        let mut v = vec![0xaa; 30];
        v.extend(tpkt_dt(&READ_JOB, true));
        assert_eq!(h.feed(Dir::ToServer, &v), v.len());
        let ev = h.events();
        assert_eq!(s7(&ev).len(), 1);
        assert!(ev.iter().any(|e| e.to_string().contains("\"malformed\"")));
    }

    fn control(f: u8, name: &'static str, c: Option<Control>) -> Op {
        Op {
            control: c,
            ..Op::new(OpClass::Control, u32::from(f), name)
        }
    }

    const STOP: [u8; 26] = [
        0x32, 1, 0, 0, 0, 2, 0, 16, 0, 0, 0x29, 0, 0, 0, 0, 0, 9, b'P', b'_', b'P', b'R', b'O',
        b'G', b'R', b'A', b'M',
    ];

    #[test]
    fn plc_stop_is_observed_as_control_stop() {
        let mut h = harness();
        h.feed(Dir::ToServer, &tpkt_dt(&STOP, true));
        // The ack is a response: nothing more.
        h.feed(
            Dir::ToClient,
            &tpkt_dt(&[0x32, 3, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0x29], true),
        );
        // A stop refused: ack-data with error class 0x81, code 0x04.
        let mut again = STOP;
        again[5] = 3;
        h.feed(Dir::ToServer, &tpkt_dt(&again, true));
        assert_eq!(h.ops().len(), 1, "reported with its answer");
        h.feed(
            Dir::ToClient,
            &tpkt_dt(&[0x32, 3, 0, 0, 0, 3, 0, 1, 0, 0, 0x81, 0x04, 0x29], true),
        );
        let refused = Op {
            exception: Some(0x8104),
            ..control(0x29, "plc_stop", Some(Control::Stop))
        };
        assert_eq!(
            h.ops(),
            vec![
                (true, control(0x29, "plc_stop", Some(Control::Stop))),
                (true, refused)
            ]
        );
    }

    #[test]
    fn download_sequence_is_one_program_download_then_insert() {
        let mut h = harness();
        let block = |f: u8| -> Vec<u8> {
            [
                &[
                    0x32u8, 1, 0, 0, 0, 1, 0, 18, 0, 0, f, 0, 0, 0, 0, 0, 0, 0, 9,
                ][..],
                b"_0A00001P",
            ]
            .concat()
        };
        h.feed(Dir::ToServer, &tpkt_dt(&block(0x1a), true));
        // The PLC asks for the block twice and ends the download.
        h.feed(Dir::ToClient, &tpkt_dt(&block(0x1b), true));
        h.feed(Dir::ToClient, &tpkt_dt(&block(0x1b), true));
        h.feed(Dir::ToClient, &tpkt_dt(&block(0x1c), true));
        let inse: Vec<u8> = [
            &[
                0x32u8, 1, 0, 0, 0x0f, 0, 0, 26, 0, 0, 0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0, 10, 1, 0,
            ][..],
            b"0A00001P",
            &[5],
            b"_INSE",
        ]
        .concat();
        h.feed(Dir::ToServer, &tpkt_dt(&inse, true));
        // A download seen without its request (capture started late): reported once, from the
        // client's side.
        h.feed(Dir::ToClient, &tpkt_dt(&block(0x1b), true));
        h.feed(Dir::ToClient, &tpkt_dt(&block(0x1b), true));
        // None of these jobs was answered: reported when the flow ends.
        h.close();
        assert_eq!(
            h.ops(),
            vec![
                (
                    true,
                    control(0x1a, "request_download", Some(Control::ProgramDownload))
                ),
                (
                    true,
                    control(0x28, "pi_service", Some(Control::ProgramDownload))
                ),
                (
                    true,
                    control(0x1b, "download_block", Some(Control::ProgramDownload))
                ),
            ]
        );
    }

    #[test]
    fn szl_request_is_identify_and_szl_response_is_not_observed() {
        let mut h = harness();
        let req = [
            0x32, 7, 0, 0, 0, 3, 0, 8, 0, 8, // header
            0, 1, 0x12, 4, 0x11, 0x44, 1,
            0, // userdata head: request, cpu functions, read SZL
            0xff, 9, 0, 4, 0, 0x11, 0, 0, // data: SZL id 0x0011, index 0
        ];
        h.feed(Dir::ToServer, &tpkt_dt(&req, true));
        let recs = vec![rec11(1, "6ES7 151-8AB01-0AB0", 3, 1)];
        h.feed(
            Dir::ToClient,
            &tpkt_dt(&szl_response(0x11, &recs, 28, 0, true), true),
        );
        assert_eq!(
            h.ops(),
            vec![(true, Op::new(OpClass::Identify, 0x401, "read_szl"))]
        );
    }

    #[test]
    fn read_and_write_items_are_observed_with_area_address_and_values() {
        let mut h = harness();
        h.feed(Dir::ToServer, &tpkt_dt(&READ_JOB, true));
        h.feed(Dir::ToClient, &tpkt_dt(&READ_ACK, true));
        // Write var, 2 items: DB1.DBW10 = 500 (WORD x1), MB3 = 7 (BYTE x1).
        let write = [
            0x32, 1, 0, 0, 0, 6, 0, 26, 0, 11, // header: param 26, data 11
            0x05, 2, // write var, 2 items
            0x12, 0x0a, 0x10, 0x04, 0, 1, 0, 1, 0x84, 0, 0, 80, // DB1 byte 10, WORD x1
            0x12, 0x0a, 0x10, 0x02, 0, 1, 0, 0, 0x83, 0, 0, 24, // M byte 3, BYTE x1
            0, 4, 0, 16, 0x01, 0xf4, // item 1: 16 bits, 500
            0, 4, 0, 8, 7, // item 2: 8 bits, 7 (last: no fill byte)
        ];
        h.feed(Dir::ToServer, &tpkt_dt(&write, true));
        // Ack-data of the write: item 1 success, item 2 "address out of range".
        h.feed(
            Dir::ToClient,
            &tpkt_dt(
                &[0x32, 3, 0, 0, 0, 6, 0, 2, 0, 2, 0, 0, 0x05, 2, 0xff, 0x05],
                true,
            ),
        );
        // The read's value comes from its ack-data (4 bytes, big-endian).
        let read = Op {
            space: "db1",
            address: Some(2),
            count: 4,
            values: vec![f64::from(0x0102_0304u32)],
            ..Op::new(OpClass::Read, 4, "read_var")
        };
        let w1 = Op {
            space: "db1",
            address: Some(10),
            count: 1,
            values: vec![500.0],
            ..Op::new(OpClass::Write, 5, "write_var")
        };
        let w2 = Op {
            space: "m",
            address: Some(3),
            count: 1,
            values: vec![7.0],
            exception: Some(5),
            ..Op::new(OpClass::Write, 5, "write_var")
        };
        assert_eq!(h.ops(), vec![(true, read), (true, w1), (true, w2)]);
    }

    #[test]
    fn pi_services_map_to_device_state_changes() {
        assert_eq!(pi_control(b"P_PROGRAM"), Some(Control::Start));
        assert_eq!(pi_control(b"_DELE"), Some(Control::ProgramDelete));
        assert_eq!(pi_control(b"_GARB"), Some(Control::ResetProcess));
        assert_eq!(pi_control(b"_MODU"), Some(Control::ResetProcess));
        assert_eq!(pi_control(b"_N_F_OPEN"), None);
    }

    #[test]
    fn db_names_are_made_once() {
        assert_eq!(db_space(1), "db1");
        assert_eq!(db_space(65_535), "db65535");
        assert!(std::ptr::eq(db_space(300), db_space(300)));
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &tpkt_dt(&STOP, true));
        h.feed(Dir::ToServer, &tpkt_dt(&READ_JOB, true));
        assert!(h.out.obs.is_empty());
        assert_eq!(s7(&h.events()).len(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Arbitrary chunks never panic and never stall beyond one TPKT (65 535 bytes).
        #[test]
        fn arbitrary_stream_never_stalls(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                 proptest::prelude::any::<bool>(),
                 proptest::prelude::any::<bool>()),
                0..12,
            ),
        ) {
            let mut h = harness();
            let r = h.drive(chunks, 65_535);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
