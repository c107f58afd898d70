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

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_proto::dnp3::{
    objects, parse_app, parse_frame, Frame, LinkHeader, ObjectHeader, Push, Reassembler,
    MAX_USER_DATA,
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
    use crate::app::{AppProto, Dir};
    use crate::flow::L4;
    use serde_json::Value;
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
