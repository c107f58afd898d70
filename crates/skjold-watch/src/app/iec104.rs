//! IEC 60870-5-104 flow state: one EVE `iec104` event per APDU (I, S and U frames), with the
//! ASDU's header and its information objects (addresses, values, quality, time tags) for the
//! common monitor and command types. Suricata has no IEC-104 logger; the layout is documented
//! in `docs/eve/iec104.md`.
//!
//! Grammar is `skjold_proto::iec104`. At most [`MAX_OBJECTS`] information objects are listed
//! per event; more set `asdu.objects_truncated` and emit the anomaly `too_many_objects`.
//!
//! Anomalies: `malformed` (bytes that do not frame as APDUs: the state resynchronises on the
//! next plausible APCI, one anomaly per burst), the APDU's own (`invalid_u_function`,
//! `u_frame_with_data`, `s_frame_with_data`, `i_frame_without_asdu`), `malformed_asdu` (I
//! frame shorter than an ASDU header), `unknown_type_id`, `length_mismatch` (objects do not fill
//! the ASDU exactly), `unknown_cause`, `too_many_objects`.
//!
//! Identity: the ASDU common address (station address) of the controlled station (the flow
//! server) as `address`, from I frames in either direction (not the global address 65535).
//!
//! Detection (only when on): I-frame ASDUs but confirmations and terminations become `Op`s
//! (unit: the common address, `broadcast` for 65535; space `ioa`): commands 45-51 and 58-64 are
//! controls with their value, 100-102 reads, 105 a `reset_process` control, 110-112 writes,
//! monitor types reads with their values, others `other`. A sequence (SQ=1) is one `Op` over
//! consecutive addresses, otherwise one per object (at most [`MAX_OBJECTS`]).

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::iec104::{
    decode, objects, parse_apdu, parse_asdu, Apci, Apdu, Asdu, Element, InfoObject, TypeId, Value,
};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[2404];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("iec104_controlling_station", "iec104_controlled_station");
/// Information objects listed per event.
pub(crate) const MAX_OBJECTS: usize = 32;

/// Port-independent detection on the first bytes of one direction.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    if l4 == L4::Udp {
        return Probe::No;
    }
    skjold_proto::iec104::probe(data)
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(Iec104State::default())
}

#[derive(Debug, Default, Clone, Copy)]
struct Side {
    garbage: bool,
    resync: bool,
}

/// IEC-104 state of one flow.
#[derive(Debug, Default)]
pub(crate) struct Iec104State {
    sides: [Side; 2],
    address: Option<u16>,
}

fn side_index(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl Iec104State {
    fn skip_garbage(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let side = &mut self.sides[side_index(dir)];
        if !side.garbage {
            side.garbage = true;
            ctx.anomaly(dir, "malformed");
        }
        let mut off = 1;
        while off < input.len() {
            match skjold_proto::iec104::probe(input.get(off..).unwrap_or_default()) {
                Probe::Yes | Probe::NeedMore => break,
                Probe::No => off += 1,
            }
        }
        off
    }

    fn on_apdu(&mut self, dir: Dir, apdu: &Apdu<'_>, ctx: &mut AppCtx<'_>) {
        ctx.count_pdu();
        if let Some(a) = apdu.anomaly() {
            ctx.anomaly(dir, a);
        }
        let mut asdu = None;
        if let Apci::I { .. } = apdu.apci {
            if !apdu.asdu.is_empty() {
                match parse_asdu(apdu.asdu) {
                    Ok(a) => asdu = Some(a),
                    Err(_) => ctx.anomaly(dir, "malformed_asdu"),
                }
            }
        }
        let mut length_ok = true;
        if let Some(a) = &asdu {
            let h = a.header;
            if h.common_address != 0xffff && self.address != Some(h.common_address) {
                self.address = Some(h.common_address);
                ctx.identity(Endpoint::Server, "address", &h.common_address.to_string());
            }
            if !h.type_id.is_known() {
                ctx.anomaly(dir, "unknown_type_id");
            }
            if h.cot.name() == "unknown" {
                ctx.anomaly(dir, "unknown_cause");
            }
            if let Ok((_, ok)) = objects(a) {
                length_ok = ok;
                if !ok {
                    ctx.anomaly(dir, "length_mismatch");
                }
            }
            if usize::from(h.count) > MAX_OBJECTS {
                ctx.anomaly(dir, "too_many_objects");
            }
            if ctx.detecting() {
                observe_asdu(dir, a, ctx);
            }
        }
        if !ctx.log_enabled() {
            return;
        }
        ctx.event(dir, |w| log_apdu(w, apdu, asdu.as_ref(), length_ok));
    }
}

impl AppState for Iec104State {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let si = side_index(dir);
        let mut off = 0usize;
        while off < input.len() {
            let rest = input.get(off..).unwrap_or_default();
            let side = self.sides[si];
            if side.resync || side.garbage {
                match skjold_proto::iec104::probe(rest) {
                    Probe::Yes => {}
                    Probe::NeedMore => break,
                    Probe::No => {
                        off += self.skip_garbage(dir, rest, ctx);
                        continue;
                    }
                }
            }
            match parse_apdu(rest) {
                Ok((after, apdu)) => {
                    self.sides[si].garbage = false;
                    self.sides[si].resync = false;
                    self.on_apdu(dir, &apdu, ctx);
                    off += rest.len() - after.len();
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

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {}
}

/// What an ASDU type does, and the device state change it asks for.
fn class_of(t: TypeId) -> (OpClass, Option<Control>) {
    match t.0 {
        45..=51 | 58..=64 => (OpClass::Control, None),
        100..=102 => (OpClass::Read, None),
        105 => (OpClass::Control, Some(Control::ResetProcess)),
        110..=112 => (OpClass::Write, None),
        1..=40 if t.is_known() => (OpClass::Read, None),
        _ => (OpClass::Other, None),
    }
}

/// The number an information element carries (point state, step position, bitstring,
/// measured value, counter reading, command or set-point value).
fn value_of(e: &Element) -> Option<f64> {
    Some(match e.value {
        Value::Single { on } => f64::from(u8::from(on)),
        Value::Double { state } => f64::from(state),
        Value::Step { value, .. } => f64::from(value),
        Value::Bits(b) => f64::from(b),
        Value::Normalized(n) => f64::from(n) / 32768.0,
        Value::Scaled(n) => f64::from(n),
        Value::Float(f) => f64::from(f),
        Value::Counter { value, .. } => f64::from(value),
        Value::Qualifier(_) | Value::Empty | Value::Clock => return None,
    })
}

/// Report an ASDU to detection: commands and system commands of the controlling station,
/// monitor data of the controlled station (reads from the server direction), parameter loads.
/// One [`Op`] per ASDU when its objects are a sequence (consecutive addresses), else one per
/// information object (at most [`MAX_OBJECTS`]). Confirmations and terminations
/// (`actcon`, `deactcon`, `actterm`) and the `unknown_*` refusals mirror a request and are not
/// reported.
fn observe_asdu(dir: Dir, a: &Asdu<'_>, ctx: &mut AppCtx<'_>) {
    let h = a.header;
    if matches!(h.cot.cause(), 7 | 9 | 10 | 44..=47) {
        return;
    }
    let (class, control) = class_of(h.type_id);
    let base = Op {
        unit: Some(u32::from(h.common_address)),
        broadcast: h.common_address == 0xffff,
        control,
        ..Op::new(class, u32::from(h.type_id.0), h.type_id.name())
    };
    let with_values = class != OpClass::Other;
    let value = |o: &InfoObject<'_>| {
        if with_values {
            decode(h.type_id, o.element).as_ref().and_then(value_of)
        } else {
            None
        }
    };
    let Ok((objs, _)) = objects(a) else {
        ctx.observe(dir, What::Op(base));
        return;
    };
    if h.sq {
        let mut op = Op {
            space: "ioa",
            ..base
        };
        for o in objs {
            op.address.get_or_insert(o.ioa);
            op.count += 1;
            op.values.extend(value(&o));
        }
        ctx.observe(dir, What::Op(op));
    } else {
        for o in objs.take(MAX_OBJECTS) {
            let op = Op {
                space: "ioa",
                address: Some(o.ioa),
                count: 1,
                values: value(&o).into_iter().collect(),
                ..base.clone()
            };
            ctx.observe(dir, What::Op(op));
        }
    }
}

fn log_apdu(w: &mut JsonWriter, apdu: &Apdu<'_>, asdu: Option<&Asdu<'_>>, length_ok: bool) {
    w.open_object("apci");
    w.set_str("type", apdu.apci.format());
    w.set_uint("length", u64::from(apdu.length));
    match apdu.apci {
        Apci::I { send, recv } => {
            w.set_uint("send_seq", u64::from(send));
            w.set_uint("recv_seq", u64::from(recv));
        }
        Apci::S { recv } => {
            w.set_uint("recv_seq", u64::from(recv));
        }
        Apci::U(f) => {
            w.set_str("u_function", f.name());
            w.set_uint("u_function_raw", u64::from(f.0));
        }
    }
    w.close();
    let Some(a) = asdu else {
        return;
    };
    let h = a.header;
    w.open_object("asdu");
    w.set_uint("type_id", u64::from(h.type_id.0));
    w.set_str("type", h.type_id.name());
    w.set_str("class", h.type_id.direction_class());
    w.set_bool("sq", h.sq);
    w.set_uint("num_objects", u64::from(h.count));
    w.set_uint("cot", u64::from(h.cot.cause()));
    w.set_str("cause", h.cot.name());
    w.set_bool("negative", h.cot.negative());
    w.set_bool("test", h.cot.test());
    w.set_uint("originator", u64::from(h.originator));
    w.set_uint("common_address", u64::from(h.common_address));
    w.set_bool("length_ok", length_ok);
    if let Ok((objs, _)) = objects(a) {
        w.open_array("objects");
        for o in objs.take(MAX_OBJECTS) {
            w.start_object();
            w.set_uint("ioa", u64::from(o.ioa));
            if let Some(e) = decode(h.type_id, o.element) {
                log_element(w, h.type_id, &e);
            }
            w.close();
        }
        w.close_array();
        if usize::from(h.count) > MAX_OBJECTS {
            w.set_bool("objects_truncated", true);
        }
    }
    w.close();
}

/// Quality descriptor flag names (IEC 60870-5-101 §7.2.6.3 and following).
fn quality(w: &mut JsonWriter, q: u8, with_ov: bool) {
    w.set_uint("quality_raw", u64::from(q));
    w.open_array("quality");
    for (bit, name) in [(0x80, "IV"), (0x40, "NT"), (0x20, "SB"), (0x10, "BL")] {
        if q & bit != 0 {
            w.append_str(name);
        }
    }
    if with_ov && q & 1 != 0 {
        w.append_str("OV");
    }
    w.close_array();
}

fn log_element(w: &mut JsonWriter, t: TypeId, e: &Element) {
    let command = t.direction_class() == "control";
    match e.value {
        Value::Single { on } => w.set_bool("value", on),
        Value::Double { state } => {
            w.set_uint("value", u64::from(state));
            let names: [&str; 4] = if matches!(t.0, 47 | 60) {
                ["not_permitted", "lower", "higher", "not_permitted"]
            } else if command {
                ["not_permitted", "off", "on", "not_permitted"]
            } else {
                ["intermediate", "off", "on", "indeterminate"]
            };
            w.set_str("state", names[usize::from(state & 3)])
        }
        Value::Step { value, transient } => {
            w.set_int("value", i64::from(value));
            w.set_bool("transient", transient)
        }
        Value::Bits(b) => w.set_uint("value", u64::from(b)),
        Value::Normalized(n) => {
            w.set_float("value", f64::from(n) / 32768.0);
            w.set_int("raw", i64::from(n))
        }
        Value::Scaled(n) => w.set_int("value", i64::from(n)),
        Value::Float(f) => w.set_float("value", f64::from(f)),
        Value::Counter { value, seq, flags } => {
            w.set_int("value", i64::from(value));
            w.set_uint("sequence", u64::from(seq));
            w.set_bool("carry", flags & 0x20 != 0);
            w.set_bool("adjusted", flags & 0x40 != 0);
            w.set_bool("invalid", flags & 0x80 != 0)
        }
        Value::Qualifier(q) => w.set_uint("qualifier", u64::from(q)),
        Value::Empty | Value::Clock => w,
    };
    if let Some(q) = e.qualifier {
        if command {
            // S/E (bit 7) and the qualifier of command (QU bits 2-6, or QL bits 0-6 for
            // set-points).
            w.set_bool("select", q & 0x80 != 0);
            let ql = if matches!(t.0, 48..=50 | 61..=63) {
                q & 0x7f
            } else {
                (q >> 2) & 0x1f
            };
            w.set_uint("qualifier", u64::from(ql));
        } else {
            quality(w, q, !matches!(t.0, 1..=4 | 30 | 31));
        }
    }
    if let Some(time) = e.time {
        w.set_str("time", &time.text());
        if time.invalid {
            w.set_bool("time_invalid", true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Iec104State, MAX_OBJECTS};
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use serde_json::Value;
    use skjold_detect::obs::{Control, Op, OpClass};

    type Harness = crate::app::testing::Harness<Iec104State>;

    fn harness() -> Harness {
        Harness::with(Iec104State::default(), AppProto::Iec104)
    }

    fn events(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "iec104").collect()
    }

    /// An I frame with N(S) = 2, N(R) = 1 around `asdu`.
    fn i_frame(asdu: &[u8]) -> Vec<u8> {
        let mut v = vec![0x68, (asdu.len() + 4) as u8, 0x04, 0x00, 0x02, 0x00];
        v.extend_from_slice(asdu);
        v
    }

    #[test]
    fn u_and_s_frames_are_logged_with_their_functions() {
        let mut h = harness();
        let input = [0x68, 4, 0x07, 0, 0, 0, 0x68, 4, 0x01, 0, 0x0a, 0];
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        let ev = h.events();
        let e = events(&ev);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0]["iec104"]["apci"]["type"], "U");
        assert_eq!(e[0]["iec104"]["apci"]["u_function"], "startdt_act");
        assert_eq!(e[0]["iec104"]["apci"]["u_function_raw"], 7);
        assert_eq!(e[1]["iec104"]["apci"]["type"], "S");
        assert_eq!(e[1]["iec104"]["apci"]["recv_seq"], 5);
        assert!(anomalies(&ev).is_empty());
    }

    #[test]
    fn float_measurements_with_quality_and_cp56_time() {
        let mut h = harness();
        // M_ME_TF_1 (36), 1 object, spont (3), OA 0, CA 7; IOA 1000, 1.5f, QDS IV, time
        // 2021-03-04 05:06:07.890.
        let mut asdu = vec![36, 1, 3, 0, 7, 0, 0xe8, 0x03, 0];
        asdu.extend_from_slice(&1.5f32.to_le_bytes());
        asdu.push(0x80);
        asdu.extend_from_slice(&[0xd2, 0x1e, 6, 5, 4, 3, 21]);
        h.feed(Dir::ToClient, &i_frame(&asdu));
        let ev = h.events();
        assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
        let a = &events(&ev)[0]["iec104"]["asdu"];
        assert_eq!(a["type"], "M_ME_TF_1");
        assert_eq!(a["cause"], "spont");
        assert_eq!(a["common_address"], 7);
        let o = &a["objects"][0];
        assert_eq!(o["ioa"], 1000);
        assert_eq!(o["value"], 1.5);
        assert_eq!(o["quality"], serde_json::json!(["IV"]));
        assert_eq!(o["time"], "2021-03-04T05:06:07.890");
        assert!(format!("{:?}", h.out.assets).contains("\"7\""));
    }

    #[test]
    fn sequence_of_single_points_increments_the_address() {
        let mut h = harness();
        // M_SP_NA_1, SQ=1, 3 elements from IOA 10: on, off, on+IV; interrogated (20).
        let asdu = [1, 0x83, 20, 0, 1, 0, 10, 0, 0, 1, 0, 0x81];
        h.feed(Dir::ToClient, &i_frame(&asdu));
        let ev = h.events();
        let objs = events(&ev)[0]["iec104"]["asdu"]["objects"].clone();
        let ioas: Vec<u64> = objs
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["ioa"].as_u64().unwrap())
            .collect();
        assert_eq!(ioas, [10, 11, 12]);
        assert_eq!(objs[2]["value"], true);
        assert_eq!(objs[2]["quality"], serde_json::json!(["IV"]));
        assert_eq!(events(&ev)[0]["iec104"]["asdu"]["cause"], "inrogen");
    }

    #[test]
    fn commands_show_select_and_qualifier_and_negative_confirmation() {
        let mut h = harness();
        // C_SC_NA_1 act, IOA 5, SCO select + on, QU 1.
        h.feed(Dir::ToServer, &i_frame(&[45, 1, 6, 0, 1, 0, 5, 0, 0, 0x85]));
        // C_DC_NA_1 actcon negative, IOA 6, DCO on.
        h.feed(Dir::ToClient, &i_frame(&[46, 1, 0x47, 0, 1, 0, 6, 0, 0, 2]));
        // C_IC_NA_1 act, QOI 20.
        h.feed(Dir::ToServer, &i_frame(&[100, 1, 6, 0, 1, 0, 0, 0, 0, 20]));
        let ev = h.events();
        let e = events(&ev);
        let sc = &e[0]["iec104"]["asdu"]["objects"][0];
        assert_eq!(
            (
                sc["value"].as_bool(),
                sc["select"].as_bool(),
                sc["qualifier"].as_u64()
            ),
            (Some(true), Some(true), Some(1))
        );
        let dc = &e[1]["iec104"]["asdu"];
        assert_eq!(dc["negative"], true);
        assert_eq!(dc["cause"], "actcon");
        assert_eq!(dc["objects"][0]["state"], "on");
        assert_eq!(e[2]["iec104"]["asdu"]["objects"][0]["qualifier"], 20);
    }

    #[test]
    fn length_mismatch_and_unknown_type_are_flagged() {
        let mut h = harness();
        h.feed(
            Dir::ToClient,
            &i_frame(&[13, 2, 3, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
        );
        h.feed(Dir::ToClient, &i_frame(&[99, 1, 3, 0, 1, 0, 1, 0, 0]));
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["length_mismatch", "unknown_type_id"]);
        assert_eq!(events(&ev)[0]["iec104"]["asdu"]["length_ok"], false);
        assert_eq!(events(&ev)[1]["iec104"]["asdu"]["type"], "unknown");
    }

    #[test]
    fn object_list_is_capped() {
        let mut h = harness();
        let n = MAX_OBJECTS + 8;
        let mut asdu = vec![1, n as u8, 20, 0, 1, 0];
        for i in 0..n {
            asdu.extend_from_slice(&[i as u8, 0, 0, 1]);
        }
        h.feed(Dir::ToClient, &i_frame(&asdu));
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["too_many_objects"]);
        let a = &events(&ev)[0]["iec104"]["asdu"];
        assert_eq!(a["objects"].as_array().unwrap().len(), MAX_OBJECTS);
        assert_eq!(a["objects_truncated"], true);
        assert_eq!(a["num_objects"], n);
    }

    #[test]
    fn garbage_is_skipped_with_one_anomaly_and_the_stream_resynchronises() {
        let mut h = harness();
        let mut input = vec![0x11u8; 30];
        input.extend_from_slice(&[0x68, 4, 0x43, 0, 0, 0]);
        assert_eq!(h.feed(Dir::ToServer, &input), input.len());
        let ev = h.events();
        assert_eq!(anomalies(&ev), vec!["malformed"]);
        assert_eq!(events(&ev)[0]["iec104"]["apci"]["u_function"], "testfr_act");
    }

    #[test]
    fn setpoint_and_single_commands_are_controls_with_their_values() {
        let mut h = harness();
        // C_SE_NC_1 act, CA 7, IOA 4001 := 55.5, QOS 0.
        let mut asdu = vec![50, 1, 6, 0, 7, 0, 0xa1, 0x0f, 0];
        asdu.extend_from_slice(&55.5f32.to_le_bytes());
        asdu.push(0);
        h.feed(Dir::ToServer, &i_frame(&asdu));
        // Its activation confirmation mirrors it: not reported.
        asdu[2] = 7;
        h.feed(Dir::ToClient, &i_frame(&asdu));
        // C_SC_NA_1 act to the global address, IOA 5, on.
        h.feed(
            Dir::ToServer,
            &i_frame(&[45, 1, 6, 0, 0xff, 0xff, 5, 0, 0, 0x01]),
        );
        let setpoint = Op {
            unit: Some(7),
            space: "ioa",
            address: Some(4001),
            count: 1,
            values: vec![55.5],
            ..Op::new(OpClass::Control, 50, "C_SE_NC_1")
        };
        let single = Op {
            unit: Some(0xffff),
            broadcast: true,
            space: "ioa",
            address: Some(5),
            count: 1,
            values: vec![1.0],
            ..Op::new(OpClass::Control, 45, "C_SC_NA_1")
        };
        assert_eq!(h.take_ops(), vec![(true, setpoint), (true, single)]);
    }

    #[test]
    fn monitor_values_are_reads_from_the_server_per_sequence_or_per_object() {
        let mut h = harness();
        // M_ME_NC_1, SQ=1, 2 floats from IOA 100: 1.5, 2.5 (QDS 0), spontaneous, CA 7.
        let mut asdu = vec![13, 0x82, 3, 0, 7, 0, 100, 0, 0];
        for v in [1.5f32, 2.5] {
            asdu.extend_from_slice(&v.to_le_bytes());
            asdu.push(0);
        }
        h.feed(Dir::ToClient, &i_frame(&asdu));
        // M_SP_NA_1, SQ=0, IOA 10 on and IOA 20 off, interrogated.
        h.feed(
            Dir::ToClient,
            &i_frame(&[1, 2, 20, 0, 7, 0, 10, 0, 0, 1, 20, 0, 0, 0]),
        );
        let read = |f, name, address, values: Vec<f64>| Op {
            unit: Some(7),
            space: "ioa",
            address: Some(address),
            count: values.len() as u32,
            values,
            ..Op::new(OpClass::Read, f, name)
        };
        assert_eq!(
            h.take_ops(),
            vec![
                (false, read(13, "M_ME_NC_1", 100, vec![1.5, 2.5])),
                (false, read(1, "M_SP_NA_1", 10, vec![1.0])),
                (false, read(1, "M_SP_NA_1", 20, vec![0.0])),
            ]
        );
    }

    #[test]
    fn interrogation_reset_process_and_clock_sync() {
        let mut h = harness();
        h.feed(Dir::ToServer, &i_frame(&[100, 1, 6, 0, 7, 0, 0, 0, 0, 20]));
        h.feed(Dir::ToServer, &i_frame(&[105, 1, 6, 0, 7, 0, 0, 0, 0, 1]));
        h.feed(
            Dir::ToServer,
            &i_frame(&[103, 1, 6, 0, 7, 0, 0, 0, 0, 0xd2, 0x1e, 6, 5, 4, 3, 21]),
        );
        let op = |class, f, name, control| Op {
            unit: Some(7),
            space: "ioa",
            address: Some(0),
            count: 1,
            control,
            ..Op::new(class, f, name)
        };
        assert_eq!(
            h.take_ops(),
            vec![
                (true, op(OpClass::Read, 100, "C_IC_NA_1", None)),
                (
                    true,
                    op(
                        OpClass::Control,
                        105,
                        "C_RP_NA_1",
                        Some(Control::ResetProcess)
                    )
                ),
                (true, op(OpClass::Other, 103, "C_CS_NA_1", None)),
            ]
        );
    }

    #[test]
    fn detection_off_reports_nothing() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &i_frame(&[45, 1, 6, 0, 7, 0, 5, 0, 0, 0x01]));
        h.feed(Dir::ToClient, &i_frame(&[1, 1, 3, 0, 7, 0, 10, 0, 0, 1]));
        assert_eq!(events(&h.events()).len(), 2, "still logged");
        assert!(h.out.obs.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Arbitrary bytes in arbitrary chunks with gaps: never panics, never keeps more than
        /// one APDU (255 octets) unconsumed.
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
            let chunks = chunks
                .into_iter()
                .map(|(mut b, c, g)| {
                    if b.len() > 3 && b[0] & 1 == 0 {
                        b[0] = 0x68;
                        b[1] = (b.len() as u8).saturating_sub(2).clamp(4, 253);
                    }
                    (b, c, g)
                })
                .collect();
            let r = h.drive(chunks, 255);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
