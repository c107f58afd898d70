//! DNP3 (IEEE 1815) flow state over TCP and UDP: link frames, transport reassembly and one EVE
//! `dnp3` event per application fragment, in Suricata's layout (`rust/src/dnp3` and its EVE
//! documentation).
//!
//! Grammar is `skjold_proto::dnp3`. Per direction the state frames link frames (checking the
//! header CRC and every data-block CRC), feeds the transport segments of user-data frames to a
//! [`Reassembler`] and, for each complete fragment, parses the application header and walks
//! the object headers. Link frames without user data (link status, reset, ACK...) are counted
//! and give identity but are not logged.
//!
//! Anomalies: `bad_header_crc` (unframeable bytes: the state resynchronises on the next valid
//! header, one anomaly per burst), `malformed` (other garbage), `bad_data_crc` (the frame's
//! user data is dropped), `truncated_frame` (UDP datagram ending inside a frame), the
//! reassembler's `transport_segment_without_first`, `transport_sequence_error`,
//! `fragment_too_long` (fragment over `skjold_proto::dnp3::MAX_FRAGMENT_LEN` octets, dropped),
//! `incomplete_fragment_discarded` (a new FIR while a fragment was open),
//! `malformed_application_header`, `unknown_function_code`, the object walker's
//! `truncated_object_header`, `reserved_range_code`, `reserved_prefix_code`, `inverted_range`,
//! `truncated_object_data`, `unknown_object_size`, and `too_many_objects` (more than
//! [`MAX_OBJECTS`] headers: the rest are not listed).
//!
//! Identity: the link source address of each end as `address` (the flow client is the end that
//! sends to the server port; its role is `dnp3_master`).
//!
//! EVE body (see `docs/eve/dnp3.md`): `type` (`request` to the server, `response` from it),
//! `id`, `control {dir, primary, fcb, fcv, function_code, function}`, `src`, `dst`,
//! `transport {segments, length}`, `application {control {fir, fin, con, uns, sequence},
//! function_code, function, category, objects [{group, variation, qualifier, prefix_code,
//! range_code, start, stop, count}], complete, error?, objects_truncated?}`, and for responses
//! `iin {indicators, raw}`.
//!
//! Detection (only when on): each request fragment but CONFIRM is one `Op` (unit: the link
//! destination, `broadcast` for 0xFFFD-0xFFFF; space `gN`, first point index and count of its
//! first object header): read, write, control (select/operate, with the analog output values of
//! g41; restarts, initialize data/application as `reset_process`, start/stop application,
//! disable unsolicited, file functions as `firmware`) or other. Analog inputs (g30, g32) of
//! responses are `Op` reads from the outstation (unit: the link source), one per run of
//! consecutive indices.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::dnp3::{
    objects, parse_app, parse_frame, Frame, FunctionCode, LinkHeader, ObjectHeader, Push,
    Reassembler, MAX_USER_DATA,
};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[20000];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[20000];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("dnp3_master", "dnp3_outstation");
/// Object headers listed per event.
pub(crate) const MAX_OBJECTS: usize = 64;

/// Port-independent detection on the first bytes of one direction (a whole datagram on UDP):
/// start octets, length at least 5 and a valid header CRC.
pub(crate) fn probe(_dir: Dir, _l4: L4, data: &[u8]) -> Probe {
    skjold_proto::dnp3::probe(data)
}

/// A new flow state.
pub(crate) fn new_state(l4: L4) -> Box<dyn AppState + Send> {
    Box::new(Dnp3State::new(l4))
}

/// Per-direction state.
#[derive(Debug, Default)]
struct Side {
    reasm: Reassembler,
    /// Inside a burst of unframeable bytes (one anomaly per burst).
    garbage: bool,
    /// Last address reported as identity for the sender of this direction.
    address: Option<u16>,
}

/// DNP3 state of one flow.
#[derive(Debug)]
pub(crate) struct Dnp3State {
    udp: bool,
    sides: [Side; 2],
    next_id: u64,
}

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl Dnp3State {
    /// A state for a flow over `l4`.
    pub(crate) fn new(l4: L4) -> Self {
        Dnp3State {
            udp: l4 == L4::Udp,
            sides: [Side::default(), Side::default()],
            next_id: 0,
        }
    }

    /// Skip unframeable bytes up to the next offset that may start a frame. Returns at least 1.
    fn skip_garbage(
        &mut self,
        dir: Dir,
        input: &[u8],
        kind: &'static str,
        ctx: &mut AppCtx<'_>,
    ) -> usize {
        let side = &mut self.sides[side_index(dir)];
        if !side.garbage {
            side.garbage = true;
            ctx.anomaly(dir, kind);
        }
        let mut off = 1;
        while off < input.len() {
            match skjold_proto::dnp3::probe(input.get(off..).unwrap_or_default()) {
                Probe::Yes | Probe::NeedMore => break,
                Probe::No => off += 1,
            }
        }
        off
    }

    fn on_frame(&mut self, dir: Dir, frame: &Frame<'_>, ctx: &mut AppCtx<'_>) {
        let si = side_index(dir);
        let h = frame.header;
        ctx.count_pdu();
        if self.sides[si].address != Some(h.source) {
            self.sides[si].address = Some(h.source);
            let who = match dir {
                Dir::ToServer => Endpoint::Client,
                Dir::ToClient => Endpoint::Server,
            };
            ctx.identity(who, "address", &h.source.to_string());
        }
        if frame.bad_crcs > 0 {
            ctx.anomaly(dir, "bad_data_crc");
            return;
        }
        if !h.control.carries_user_data() || frame.user_data_len() == 0 {
            return;
        }
        let mut user = [0u8; MAX_USER_DATA];
        let n = frame.user_data(&mut user);
        let side = &mut self.sides[si];
        let pushed = side.reasm.push(user.get(..n).unwrap_or_default());
        if std::mem::take(&mut side.reasm.abandoned) {
            ctx.anomaly(dir, "incomplete_fragment_discarded");
        }
        match pushed {
            Push::Complete => {
                self.next_id += 1;
                let id = self.next_id;
                let side = &self.sides[si];
                log_fragment(
                    dir,
                    id,
                    h,
                    side.reasm.fragment(),
                    side.reasm.segments(),
                    ctx,
                );
            }
            Push::Pending | Push::Skipped => {}
            Push::Dropped(r) => ctx.anomaly(dir, r.name()),
        }
    }
}

impl AppState for Dnp3State {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let si = side_index(dir);
        let mut off = 0usize;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            match parse_frame(rest) {
                Ok((after, frame)) => {
                    self.sides[si].garbage = false;
                    self.on_frame(dir, &frame, ctx);
                    off += rest.len() - after.len();
                }
                Err(ParseError::Incomplete(_)) => {
                    if self.udp {
                        ctx.anomaly(dir, "truncated_frame");
                        off = input.len();
                    }
                    break;
                }
                Err(ParseError::Invalid(what)) => {
                    let kind = if what == "header_crc" {
                        "bad_header_crc"
                    } else {
                        "malformed"
                    };
                    off += self.skip_garbage(dir, rest, kind, ctx);
                }
                Err(_) => off += self.skip_garbage(dir, rest, "malformed", ctx),
            }
        }
        if self.udp {
            input.len()
        } else {
            off
        }
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        let side = &mut self.sides[side_index(dir)];
        side.reasm.reset();
    }

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {}
}

fn log_fragment(
    dir: Dir,
    id: u64,
    link: LinkHeader,
    fragment: &[u8],
    segments: u32,
    ctx: &mut AppCtx<'_>,
) {
    let Ok((app, objs)) = parse_app(fragment) else {
        ctx.anomaly(dir, "malformed_application_header");
        return;
    };
    if !app.function.is_known() {
        ctx.anomaly(dir, "unknown_function_code");
    }
    // Walk the objects once for anomalies (always) and once more when writing the event.
    let mut walker = objects(app.function, objs);
    let mut headers = 0usize;
    let mut error = None;
    while let Some(o) = walker.next() {
        match o {
            Ok(_) => headers += 1,
            Err(e) => {
                if walker.failed.is_some() {
                    headers += 1;
                }
                error = Some(e);
            }
        }
    }
    if let Some(e) = error {
        ctx.anomaly(dir, e.name());
    }
    if headers > MAX_OBJECTS {
        ctx.anomaly(dir, "too_many_objects");
    }
    if ctx.detecting() {
        observe_fragment(dir, link, app.function, objs, ctx);
    }
    if !ctx.log_enabled() {
        return;
    }
    ctx.event(dir, |w| {
        w.set_str(
            "type",
            match dir {
                Dir::ToServer => "request",
                Dir::ToClient => "response",
            },
        );
        w.set_uint("id", id);
        w.open_object("control");
        w.set_bool("dir", link.control.dir());
        w.set_bool("primary", link.control.primary());
        w.set_bool("fcb", link.control.fcb());
        w.set_bool("fcv", link.control.fcv());
        w.set_uint("function_code", u64::from(link.control.function()));
        w.set_str("function", link.control.function_name());
        w.close();
        w.set_uint("src", u64::from(link.source));
        w.set_uint("dst", u64::from(link.destination));
        w.open_object("transport");
        w.set_uint("segments", u64::from(segments));
        w.set_uint("length", fragment.len() as u64);
        w.close();
        w.open_object("application");
        w.open_object("control");
        w.set_bool("fir", app.control.fir());
        w.set_bool("fin", app.control.fin());
        w.set_bool("con", app.control.con());
        w.set_bool("uns", app.control.uns());
        w.set_uint("sequence", u64::from(app.control.seq()));
        w.close();
        w.set_uint("function_code", u64::from(app.function.0));
        w.set_str("function", app.function.name());
        w.set_str("category", app.function.category());
        w.open_array("objects");
        let mut walker = objects(app.function, objs);
        let mut listed = 0usize;
        let mut err = None;
        while let Some(o) = walker.next() {
            let (hdr, data) = match o {
                Ok(o) => (o.header, o.data),
                Err(e) => {
                    err = Some(e);
                    match walker.failed {
                        Some(h) => (h, &[][..]),
                        None => break,
                    }
                }
            };
            if listed < MAX_OBJECTS {
                log_object(w, &hdr, data);
                listed += 1;
            }
        }
        w.close_array();
        w.set_bool("complete", err.is_none());
        if let Some(e) = err {
            w.set_str("error", e.name());
        }
        if headers > MAX_OBJECTS {
            w.set_bool("objects_truncated", true);
            w.set_uint("object_headers", headers as u64);
        }
        w.close();
        if let Some(iin) = app.iin {
            w.open_object("iin");
            w.open_array("indicators");
            for n in iin.names() {
                w.append_str(n);
            }
            w.close_array();
            w.set_uint("raw", u64::from(iin.0));
            w.close();
        }
    });
}

/// Analog values reported per response fragment, at most.
const MAX_VALUES: usize = 256;

/// What a request function does, and the device state change it asks for.
fn class_of(f: FunctionCode) -> (OpClass, Option<Control>) {
    match f.0 {
        1 => (OpClass::Read, None),
        2 => (OpClass::Write, None),
        3..=6 | 31 => (OpClass::Control, None),
        13 | 14 => (OpClass::Control, Some(Control::Restart)),
        15 | 16 => (OpClass::Control, Some(Control::ResetProcess)),
        17 => (OpClass::Control, Some(Control::Start)),
        18 => (OpClass::Control, Some(Control::Stop)),
        21 => (OpClass::Control, Some(Control::UnsolicitedDisable)),
        25..=27 | 29 | 30 => (OpClass::Control, Some(Control::Firmware)),
        _ => (OpClass::Other, None),
    }
}

/// The address space of an object group (`g12`, `g41`...); `g` for a group the standard does
/// not define.
fn group_space(group: u8) -> &'static str {
    macro_rules! groups {
        ($($g:literal)*) => {
            match group {
                $($g => concat!("g", stringify!($g)),)*
                _ => "g",
            }
        };
    }
    groups!(0 1 2 3 4 10 11 12 13 20 21 22 23 30 31 32 33 34 40 41 42 43 50 51 52 60 70 80 81 82
        83 85 86 87 88 90 91 101 102 110 111 112 113 120 121 122)
}

/// Width of the index prefix of `h`'s objects (0: no prefix, the range gives the indices);
/// `None` for size prefixes.
fn index_width(h: &ObjectHeader) -> Option<usize> {
    match h.prefix_code() {
        0 => Some(0),
        1 => Some(1),
        2 => Some(2),
        3 => Some(4),
        _ => None,
    }
}

fn le_index(b: &[u8]) -> u32 {
    b.iter().rev().fold(0, |acc, &x| (acc << 8) | u32::from(x))
}

/// The first point index `h` addresses: the range start, or the first object's index prefix.
fn first_index(h: &ObjectHeader, data: &[u8]) -> Option<u32> {
    match index_width(h) {
        Some(0) | None => h.start,
        Some(w) => data.get(..w).map(le_index),
    }
}

/// One analog object (after its prefix) of analog inputs (g30), analog input events (g32) or
/// analog outputs (g41): its size in octets and its value.
fn analog(group: u8, variation: u8, b: &[u8]) -> Option<(usize, f64)> {
    let at = |o: usize, n: usize| b.get(o..o + n);
    let i32v = |o| at(o, 4).map(|x| f64::from(i32::from_le_bytes([x[0], x[1], x[2], x[3]])));
    let i16v = |o| at(o, 2).map(|x| f64::from(i16::from_le_bytes([x[0], x[1]])));
    let f32v = |o| at(o, 4).map(|x| f64::from(f32::from_le_bytes([x[0], x[1], x[2], x[3]])));
    let f64v =
        |o| at(o, 8).map(|x| f64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]));
    let (size, value) = match (group, variation) {
        // Analog outputs: value then control status.
        (41, 1) => (5, i32v(0)),
        (41, 2) => (3, i16v(0)),
        (41, 3) => (5, f32v(0)),
        (41, 4) => (9, f64v(0)),
        // Analog inputs: flags then value (variations 3 and 4 without flags).
        (30 | 32, 1) => (5, i32v(1)),
        (30 | 32, 2) => (3, i16v(1)),
        (30, 3) => (4, i32v(0)),
        (30, 4) => (2, i16v(0)),
        (30 | 32, 5) => (5, f32v(1)),
        (30 | 32, 6) => (9, f64v(1)),
        // Events with a time: flags, value, 6-octet time.
        (32, 3) => (11, i32v(1)),
        (32, 4) => (9, i16v(1)),
        (32, 7) => (11, f32v(1)),
        (32, 8) => (15, f64v(1)),
        _ => return None,
    };
    Some((size, value?))
}

/// The analog values of `h`'s objects as runs of consecutive point indices:
/// `(first index, values)`. Stops at the first object it cannot read, or when `budget` values
/// were taken.
fn analog_runs(h: &ObjectHeader, data: &[u8], budget: &mut usize) -> Vec<(u32, Vec<f64>)> {
    let mut runs: Vec<(u32, Vec<f64>)> = Vec::new();
    let Some(width) = index_width(h) else {
        return runs;
    };
    let mut r = data;
    let mut next = h.start;
    for _ in 0..h.quantity() {
        if *budget == 0 {
            break;
        }
        let index = if width == 0 {
            next
        } else {
            let Some(p) = r.get(..width) else { break };
            r = r.get(width..).unwrap_or_default();
            Some(le_index(p))
        };
        let Some(index) = index else { break };
        let Some((size, value)) = analog(h.group, h.variation, r) else {
            break;
        };
        r = r.get(size..).unwrap_or_default();
        *budget -= 1;
        match runs.last_mut() {
            Some((first, values))
                if u64::from(*first) + values.len() as u64 == u64::from(index) =>
            {
                values.push(value);
            }
            _ => runs.push((index, vec![value])),
        }
        next = index.checked_add(1);
    }
    runs
}

/// Report an application fragment to detection: a request as one [`Op`] (the space and first
/// point of its first object header; analog output values of a control), and the analog
/// inputs of a response as reads from the outstation. Confirmations are not reported.
fn observe_fragment(
    dir: Dir,
    link: LinkHeader,
    function: FunctionCode,
    objs: &[u8],
    ctx: &mut AppCtx<'_>,
) {
    if function.is_response() {
        let mut budget = MAX_VALUES;
        for o in objects(function, objs).map_while(Result::ok) {
            if !matches!(o.header.group, 30 | 32) {
                continue;
            }
            for (address, values) in analog_runs(&o.header, o.data, &mut budget) {
                let op = Op {
                    unit: Some(u32::from(link.source)),
                    space: group_space(o.header.group),
                    address: Some(address),
                    count: values.len() as u32,
                    values,
                    ..Op::new(OpClass::Read, u32::from(function.0), function.name())
                };
                ctx.observe(dir, What::Op(op));
            }
        }
        return;
    }
    if function == FunctionCode::CONFIRM {
        return;
    }
    let (class, control) = class_of(function);
    let mut op = Op {
        unit: Some(u32::from(link.destination)),
        broadcast: link.destination >= 0xfffd,
        control,
        ..Op::new(class, u32::from(function.0), function.name())
    };
    if let Some(Ok(o)) = objects(function, objs).next() {
        let h = o.header;
        op.space = group_space(h.group);
        op.address = first_index(&h, o.data);
        op.count = u32::try_from(h.quantity()).unwrap_or(u32::MAX);
        if class == OpClass::Control && h.group == 41 {
            let mut budget = MAX_VALUES;
            if let Some((first, values)) = analog_runs(&h, o.data, &mut budget).into_iter().next() {
                op.address = Some(first);
                op.values = values;
            }
        }
    }
    ctx.observe(dir, What::Op(op));
}

fn log_object(w: &mut JsonWriter, h: &ObjectHeader, data: &[u8]) {
    w.start_object();
    w.set_uint("group", u64::from(h.group));
    w.set_uint("variation", u64::from(h.variation));
    w.set_uint("qualifier", u64::from(h.qualifier));
    w.set_uint("prefix_code", u64::from(h.prefix_code()));
    w.set_uint("range_code", u64::from(h.range_code()));
    w.set_uint("start", u64::from(h.start.unwrap_or(0)));
    w.set_uint("stop", u64::from(h.stop.unwrap_or(0)));
    w.set_uint("count", h.quantity());
    let le16 = |b: &[u8], i: usize| b.get(i..i + 2).map(|x| u16::from_le_bytes([x[0], x[1]]));
    match (h.group, h.variation, h.prefix_code()) {
        // Time delay (restart responses): fine = milliseconds, coarse = seconds.
        (52, 1 | 2, 0) if h.quantity() == 1 => {
            if let Some(d) = le16(data, 0) {
                w.set_uint("time_delay", u64::from(d));
                w.set_str("time_delay_unit", if h.variation == 1 { "s" } else { "ms" });
            }
        }
        // File command (open/delete): the file name, at the offset and size the object gives
        // (the object follows its 2-octet size prefix).
        (70, 3, 5) => {
            let obj = data.get(2..).unwrap_or_default();
            if let (Some(off), Some(len)) = (le16(obj, 0), le16(obj, 2)) {
                let (off, len) = (usize::from(off), usize::from(len));
                if let Some(name) = obj.get(off..off + len) {
                    w.set_str("file_name", &String::from_utf8_lossy(name));
                }
            }
        }
        _ => {}
    }
    w.close();
}

#[cfg(test)]
#[allow(
    clippy::many_single_char_names,
    reason = "short names for frames and events in tests"
)]
mod tests {
    use super::{Dnp3State, MAX_OBJECTS};
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use crate::flow::L4;
    use serde_json::Value;
    use skjold_detect::obs::{Control, Op, OpClass};
    use skjold_proto::dnp3::{build_frame, MAX_FRAME_LEN};

    type Harness = crate::app::testing::Harness<Dnp3State>;

    fn harness() -> Harness {
        Harness::with(Dnp3State::new(L4::Tcp), AppProto::Dnp3)
    }

    fn frame(control: u8, dst: u16, src: u16, user: &[u8]) -> Vec<u8> {
        let mut out = [0u8; MAX_FRAME_LEN];
        let n = build_frame(control, dst, src, user, &mut out);
        out[..n].to_vec()
    }

    fn dnp3(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "dnp3").collect()
    }

    // Read class 1, 2, 3, 0 from master 1 to outstation 10: transport C0 (FIR+FIN seq 0),
    // application control C1, function 1, then four g60 headers with qualifier 06.
    const READ_CLASS: [u8; 15] = [0xc0, 0xc1, 0x01, 60, 2, 6, 60, 3, 6, 60, 4, 6, 60, 1, 6];

    #[test]
    fn read_request_and_response_become_two_events_with_objects_and_iin() {
        let mut h = harness();
        let req = frame(0xc4, 10, 1, &READ_CLASS);
        assert_eq!(h.feed(Dir::ToServer, &req), req.len());
        // Response: IIN 0x8000 (device restart), g1v2 qualifier 00 range 0..=2, 3 octets.
        let resp = frame(
            0x44,
            1,
            10,
            &[0xc0, 0xc1, 0x81, 0x80, 0x00, 1, 2, 0x00, 0, 2, 1, 0x81, 1],
        );
        assert_eq!(h.feed(Dir::ToClient, &resp), resp.len());
        let ev = h.events();
        assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
        let d = dnp3(&ev);
        assert_eq!(d.len(), 2);
        let q = &d[0]["dnp3"];
        assert_eq!(q["type"], "request");
        assert_eq!(q["src"], 1);
        assert_eq!(q["dst"], 10);
        assert_eq!(q["control"]["dir"], true);
        assert_eq!(q["control"]["function_code"], 4);
        assert_eq!(q["application"]["function_code"], 1);
        assert_eq!(q["application"]["function"], "read");
        assert_eq!(q["application"]["objects"].as_array().unwrap().len(), 4);
        assert_eq!(q["application"]["objects"][0]["group"], 60);
        assert_eq!(q["application"]["objects"][0]["variation"], 2);
        assert_eq!(q["application"]["objects"][0]["range_code"], 6);
        assert_eq!(q["application"]["complete"], true);
        assert!(q.get("iin").is_none());
        let r = &d[1]["dnp3"];
        assert_eq!(r["type"], "response");
        assert_eq!(r["application"]["function"], "response");
        assert_eq!(
            r["iin"]["indicators"],
            serde_json::json!(["device_restart"])
        );
        assert_eq!(r["iin"]["raw"], 0x8000);
        let o = &r["application"]["objects"][0];
        assert_eq!(
            (
                o["group"].as_u64(),
                o["start"].as_u64(),
                o["stop"].as_u64(),
                o["count"].as_u64()
            ),
            (Some(1), Some(0), Some(2), Some(3))
        );
        let assets = format!("{:?}", h.out.assets);
        assert!(assets.contains("\"10\""), "{assets}");
    }

    #[test]
    fn bad_data_crc_drops_the_frame_with_an_anomaly() {
        let mut h = harness();
        let mut req = frame(0xc4, 10, 1, &READ_CLASS);
        let last = req.len() - 1;
        req[last] ^= 0xff;
        h.feed(Dir::ToServer, &req);
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["bad_data_crc"]);
        assert!(dnp3(&ev).is_empty());
    }

    #[test]
    fn bad_header_crc_resynchronises_on_the_next_frame() {
        let mut h = harness();
        let mut input = frame(0xc4, 10, 1, &READ_CLASS);
        input[8] ^= 1;
        input.extend(frame(0xc4, 10, 1, &READ_CLASS));
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["bad_header_crc"]);
        assert_eq!(dnp3(&ev).len(), 1);
    }

    #[test]
    fn fragments_are_reassembled_from_transport_segments() {
        let mut h = harness();
        // Write g80v1 (IIN bit 7 clear) split in two segments: 40 (FIR seq 0), 81 (FIN seq 1).
        let first = frame(0xc4, 10, 1, &[0x40, 0xc2, 0x02, 80, 1]);
        let second = frame(0xc4, 10, 1, &[0x81, 0x00, 7, 7, 0]);
        h.feed(Dir::ToServer, &first);
        assert!(dnp3(&h.events()).is_empty());
        h.feed(Dir::ToServer, &second);
        let ev = h.events();
        assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
        let d = &dnp3(&ev)[0]["dnp3"];
        assert_eq!(d["transport"]["segments"], 2);
        assert_eq!(d["application"]["function"], "write");
        assert_eq!(d["application"]["objects"][0]["group"], 80);
        assert_eq!(d["application"]["objects"][0]["start"], 7);
        assert_eq!(d["application"]["complete"], true);
    }

    #[test]
    fn out_of_sequence_and_first_less_segments_are_flagged() {
        let mut h = harness();
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0x05, 0xc0, 0x01]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0x40, 0xc0, 0x01]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0x83, 0x00]));
        assert_eq!(
            anomalies(&h.events()),
            vec![
                "transport_segment_without_first",
                "transport_sequence_error"
            ]
        );
    }

    #[test]
    fn too_long_reassembly_is_reported_and_dropped() {
        let mut h = harness();
        let mut user = vec![0u8; 250];
        user[0] = 0x40;
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &user));
        for seq in 1..60u8 {
            user[0] = seq & 0x3f;
            h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &user));
        }
        let ev = h.events();
        assert_eq!(
            anomalies(&ev),
            vec!["fragment_too_long"],
            "one report, later segments skipped"
        );
        assert!(dnp3(&ev).is_empty());
    }

    #[test]
    fn unknown_object_size_stops_the_walk_and_is_flagged() {
        let mut h = harness();
        // Response with g99v1 (not a standard group), qualifier 00, range 0..=0, then a g1v2.
        h.feed(
            Dir::ToClient,
            &frame(
                0x44,
                1,
                10,
                &[0xc0, 0xc0, 0x81, 0, 0, 99, 1, 0, 0, 0, 1, 2, 0, 0, 0, 1],
            ),
        );
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["unknown_object_size"]);
        let a = &dnp3(&ev)[0]["dnp3"]["application"];
        assert_eq!(a["complete"], false);
        assert_eq!(a["error"], "unknown_object_size");
        assert_eq!(a["objects"].as_array().unwrap().len(), 1);
        assert_eq!(a["objects"][0]["group"], 99);
    }

    #[test]
    fn cold_restart_unsolicited_and_file_functions_are_named_and_categorised() {
        let mut h = harness();
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc3, 13]));
        // Response: g52v2 (fine time delay) count 1: 5000 ms.
        h.feed(
            Dir::ToClient,
            &frame(
                0x44,
                1,
                10,
                &[0xc0, 0xc3, 129, 0, 0, 52, 2, 7, 1, 0x88, 0x13],
            ),
        );
        h.feed(Dir::ToClient, &frame(0x44, 1, 10, &[0xc0, 0xf2, 130, 0, 0]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc1, 0xc4, 27]));
        let ev = h.events();
        let d = dnp3(&ev);
        assert_eq!(d[0]["dnp3"]["application"]["function"], "cold_restart");
        assert_eq!(d[0]["dnp3"]["application"]["category"], "restart");
        let delay = &d[1]["dnp3"]["application"]["objects"][0];
        assert_eq!(delay["time_delay"], 5000);
        assert_eq!(delay["time_delay_unit"], "ms");
        let d = &d[1..];
        let u = &d[1]["dnp3"]["application"];
        assert_eq!(u["function"], "unsolicited_response");
        assert_eq!(u["control"]["uns"], true);
        assert_eq!(u["control"]["con"], true);
        assert_eq!(d[2]["dnp3"]["application"]["category"], "file");
    }

    #[test]
    fn object_list_is_capped_and_the_cap_reported() {
        let mut h = harness();
        let mut user = vec![0xc0, 0xc0, 0x01];
        for _ in 0..(MAX_OBJECTS + 5) {
            user.extend_from_slice(&[60, 1, 6]);
        }
        // 3 + 69*3 = 210 octets: one frame.
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &user));
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["too_many_objects"]);
        let a = &dnp3(&ev)[0]["dnp3"]["application"];
        assert_eq!(a["objects"].as_array().unwrap().len(), MAX_OBJECTS);
        assert_eq!(a["objects_truncated"], true);
        assert_eq!(a["object_headers"], MAX_OBJECTS + 5);
    }

    #[test]
    fn udp_datagram_with_two_frames_and_a_truncated_tail() {
        let mut h = Harness::with(Dnp3State::new(L4::Udp), AppProto::Dnp3);
        let mut d = frame(0xc4, 10, 1, &READ_CLASS);
        d.extend(frame(0xc4, 10, 1, &[0xc1, 0xc1, 0x01, 60, 1, 6]));
        d.extend_from_slice(&[0x05, 0x64, 0x05]);
        assert_eq!(h.feed(Dir::ToServer, &d), d.len());
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["truncated_frame"]);
        assert_eq!(dnp3(&ev).len(), 2);
    }

    #[test]
    fn logging_disabled_still_counts_and_records_identity() {
        let mut h = harness();
        h.out = crate::output::Output::new(crate::output::LogMask::none(), None);
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &READ_CLASS));
        assert!(h.events().is_empty());
        h.out.fold_pdus();
        assert_eq!(h.out.stats.pdus.get("dnp3"), Some(&1));
        assert!(format!("{:?}", h.out.assets).contains("\"1\""));
    }

    #[test]
    fn operate_reports_the_point_and_the_analog_output_value() {
        let mut h = harness();
        // DIRECT_OPERATE g41v3 (float), qualifier 0x17 (1-octet index, 1-octet count): index
        // 5 := 12.5, status 0.
        let mut user = vec![0xc0, 0xc1, 5, 41, 3, 0x17, 1, 5];
        user.extend_from_slice(&12.5f32.to_le_bytes());
        user.push(0);
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &user));
        // SELECT g12v1 (CROB), qualifier 0x28 (2-octet index and count): index 3, latch on.
        let crob = [0x03, 1, 0xe8, 3, 0, 0, 0, 0, 0, 0, 0];
        let mut user = vec![0xc0, 0xc2, 3, 12, 1, 0x28, 1, 0, 3, 0];
        user.extend_from_slice(&crob);
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &user));
        let ao = Op {
            unit: Some(10),
            space: "g41",
            address: Some(5),
            count: 1,
            values: vec![12.5],
            ..Op::new(OpClass::Control, 5, "direct_operate")
        };
        let crob = Op {
            unit: Some(10),
            space: "g12",
            address: Some(3),
            count: 1,
            ..Op::new(OpClass::Control, 3, "select")
        };
        assert_eq!(h.take_ops(), vec![(true, ao), (true, crob)]);
    }

    #[test]
    fn read_request_and_analog_inputs_of_the_response() {
        let mut h = harness();
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &READ_CLASS));
        // Response: g30v1 range 0..=1 (flags, i32): 100, -5; g32v2 with 1-octet indices 7, 9
        // (flags, i16): 3, -4.
        let mut user = vec![0xc0, 0xc1, 0x81, 0, 0, 30, 1, 0x00, 0, 1];
        for v in [100i32, -5] {
            user.push(1);
            user.extend_from_slice(&v.to_le_bytes());
        }
        user.extend_from_slice(&[32, 2, 0x17, 2]);
        for (i, v) in [(7u8, 3i16), (9, -4)] {
            user.extend_from_slice(&[i, 1]);
            user.extend_from_slice(&v.to_le_bytes());
        }
        h.feed(Dir::ToClient, &frame(0x44, 1, 10, &user));
        // The master's confirmation is not an operation.
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc1, 0]));
        let read = Op {
            unit: Some(10),
            space: "g60",
            ..Op::new(OpClass::Read, 1, "read")
        };
        let ai = |space, address, values: Vec<f64>| Op {
            unit: Some(10),
            space,
            address: Some(address),
            count: values.len() as u32,
            values,
            ..Op::new(OpClass::Read, 129, "response")
        };
        assert_eq!(
            h.take_ops(),
            vec![
                (true, read),
                (false, ai("g30", 0, vec![100.0, -5.0])),
                (false, ai("g32", 7, vec![3.0])),
                (false, ai("g32", 9, vec![-4.0])),
            ]
        );
    }

    #[test]
    fn restart_stop_unsolicited_disable_and_file_functions_are_controls() {
        let mut h = harness();
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc3, 13]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc4, 18]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc5, 17]));
        // Disable unsolicited classes 1-3, to the broadcast address.
        h.feed(
            Dir::ToServer,
            &frame(
                0xc4,
                0xffff,
                1,
                &[0xc0, 0xc6, 21, 60, 2, 6, 60, 3, 6, 60, 4, 6],
            ),
        );
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc7, 27]));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc8, 20]));
        let got: Vec<_> = h.take_ops().into_iter().map(|(_, o)| o).collect();
        let ctl = |f, name, control| Op {
            unit: Some(10),
            control,
            ..Op::new(OpClass::Control, f, name)
        };
        let disable = Op {
            unit: Some(0xffff),
            broadcast: true,
            space: "g60",
            control: Some(Control::UnsolicitedDisable),
            ..Op::new(OpClass::Control, 21, "disable_unsolicited")
        };
        let enable = Op {
            unit: Some(10),
            ..Op::new(OpClass::Other, 20, "enable_unsolicited")
        };
        assert_eq!(
            got,
            vec![
                ctl(13, "cold_restart", Some(Control::Restart)),
                ctl(18, "stop_application", Some(Control::Stop)),
                ctl(17, "start_application", Some(Control::Start)),
                disable,
                ctl(27, "delete_file", Some(Control::Firmware)),
                enable,
            ]
        );
    }

    #[test]
    fn detection_off_reports_nothing() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &READ_CLASS));
        h.feed(Dir::ToServer, &frame(0xc4, 10, 1, &[0xc0, 0xc3, 13]));
        assert_eq!(dnp3(&h.events()).len(), 2, "still logged");
        assert!(h.out.obs.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Arbitrary bytes (often starting like frames) in arbitrary chunks with gaps: never
        /// panics and never keeps more than one frame unconsumed.
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
            let chunks = chunks
                .into_iter()
                .map(|(mut b, c, g)| {
                    if b.len() > 10 && b[0] & 1 == 0 {
                        let user = b.split_off(3);
                        let n = user.len().min(250);
                        b = frame(b[1], 10, 1, &user[..n]);
                    }
                    (b, c, g)
                })
                .collect();
            let r = h.drive(chunks, 292);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
