//! Conformance against Wireshark for IEC 60870-5-104 (CONVENTIONS.md, "Tests"): for every
//! capture of `../shared/pcaps/iec104` and the `tests/data` fixtures named after iec104
//! (`tests/data/peers/` included), each APDU tshark decodes must equal one Skjold `iec104`
//! event on: the APCI format (I/S/U) and U function (`iec60870_104.type`, `.utype`), and for I
//! frames the ASDU type id, cause of transmission with its P/N and test bits, common address,
//! number of objects, the information object addresses (the first
//! `MAX_OBJECTS` = 32 that Skjold lists), and the single- and double-point values
//! (`iec60870_asdu.siq.spi`, `iec60870_asdu.diq.dpi`).
//!
//! Flows Skjold recognises on other ports are given to tshark as decode-as. Every difference is
//! listed in [`EXPECTED`] with the reason.

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, find_all, frame_and_layers, num, opt, server_ports, tshark_json, Expected,
    Pdu, Side,
};
use serde_json::Value;
use std::fmt::Write as _;

const EXPECTED: &[Expected] = &[Expected {
    capture: "iec104/iec104-wireshark-dissector-test.pcap",
    side: Side::OnlyTshark,
    frames: &[
        25..=25,
        36..=36,
        41..=41,
        58..=58,
        71..=71,
        75..=75,
        83..=83,
        96..=96,
    ],
    count: 8,
    why: "Wireshark's dissector test frames `<ERR prefix N bytes>`: N garbage octets, then \
          0x68 and an impossible APCI (an I frame of length 4-8, too short for an ASDU header; a \
          U frame 0x17 with no valid function; an S frame with extra octets). tshark scans for \
          0x68 and decodes them as [Malformed Packet]; Skjold flags the garbage as `malformed` \
          and resynchronises only on an APCI that can be valid, so it logs none of them (the \
          well-formed APDUs after each one are logged by both).",
}];

const PORT: u16 = 2404;
/// Objects listed per Skjold event (`app::iec104::MAX_OBJECTS`).
const LISTED: usize = 32;

#[allow(clippy::too_many_arguments)]
fn key(
    format: &str,
    ufunc: Option<u64>,
    asdu: Option<(u64, u64, bool, bool, u64, u64)>,
    ioas: &[u64],
    values: &[u64],
) -> String {
    let mut k = format!("iec104 {format} u={}", opt(ufunc));
    if let Some((t, cot, neg, test, ca, n)) = asdu {
        let _ = write!(
            k,
            " type={t} cot={cot}{}{} ca={ca} n={n} ioas={:?} values={values:?}",
            if neg { "-" } else { "" },
            if test { "T" } else { "" },
            &ioas[..ioas.len().min(LISTED)]
        );
    }
    k
}

fn all_nums(v: &Value, name: &str) -> Vec<u64> {
    let mut out = Vec::new();
    find_all(v, name, &mut out);
    out.into_iter().filter_map(|s| num(Some(s))).collect()
}

fn tshark_pdus(cap: &common::Capture, tcp: &[u16]) -> Vec<Pdu> {
    let mut args = Vec::new();
    for p in tcp.iter().filter(|p| **p != PORT) {
        args.push("-d".to_owned());
        args.push(format!("tcp.port=={p},iec60870_104"));
    }
    for a in [
        "-Y",
        "iec60870_104",
        "-J",
        "frame iec60870_104 iec60870_asdu",
    ] {
        args.push(a.to_owned());
    }
    let mut pdus = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        let mut asdus = each(layers.get("iec60870_asdu")).into_iter();
        for apci in each(layers.get("iec60870_104")) {
            let Some(t) = num(field(apci, "iec60870_104.type")) else {
                continue;
            };
            let (format, ufunc) = match t {
                0 => ("I", None),
                1 => ("S", None),
                _ => ("U", num(field(apci, "iec60870_104.utype"))),
            };
            let mut asdu_key = None;
            let mut ioas = Vec::new();
            let mut values = Vec::new();
            if t == 0 {
                if let Some(a) = asdus.next() {
                    let g = |n: &str| num(field(a, n)).unwrap_or(0);
                    asdu_key = Some((
                        g("iec60870_asdu.typeid"),
                        g("iec60870_asdu.causetx"),
                        g("iec60870_asdu.nega") == 1,
                        g("iec60870_asdu.test") == 1,
                        g("iec60870_asdu.addr"),
                        g("iec60870_asdu.numix"),
                    ));
                    ioas = all_nums(a, "iec60870_asdu.ioa");
                    values = all_nums(a, "iec60870_asdu.siq.spi");
                    values.extend(all_nums(a, "iec60870_asdu.diq.dpi"));
                    values.truncate(LISTED);
                }
            }
            pdus.push(Pdu {
                key: key(format, ufunc, asdu_key, &ioas, &values),
                frame,
            });
        }
    }
    pdus
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut pdus = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "iec104") {
        let d = &e["iec104"];
        let format = d["apci"]["type"].as_str().unwrap_or("?");
        let ufunc = d["apci"]["u_function_raw"].as_u64().map(|u| u >> 2);
        let a = &d["asdu"];
        let u = |v: &Value| v.as_u64().unwrap_or(0);
        let asdu_key = a.is_object().then(|| {
            (
                u(&a["type_id"]),
                u(&a["cot"]),
                a["negative"].as_bool().unwrap_or(false),
                a["test"].as_bool().unwrap_or(false),
                u(&a["common_address"]),
                u(&a["num_objects"]),
            )
        });
        let objs = a["objects"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let ioas: Vec<u64> = objs.iter().map(|o| u(&o["ioa"])).collect();
        let t = u(&a["type_id"]);
        let values: Vec<u64> = match t {
            1 | 2 | 30 => objs
                .iter()
                .map(|o| u64::from(o["value"].as_bool().unwrap_or(false)))
                .collect(),
            3 | 4 | 31 => objs.iter().map(|o| u(&o["value"])).collect(),
            _ => Vec::new(),
        };
        pdus.push(Pdu {
            key: key(format, ufunc, asdu_key, &ioas, &values),
            frame: e["pcap_cnt"].as_u64().unwrap_or(0),
        });
    }
    pdus
}

#[test]
fn iec104_apdus_match_tshark() {
    let caps = captures_in(&["iec104"], &["iec104", "iec-104", "c104"]);
    check("iec104", &caps, EXPECTED, |cap, run| {
        let (tcp, _) = server_ports(&run.events, "iec104");
        let tcp: Vec<u16> = tcp.into_iter().collect();
        let (t, s) = (tshark_pdus(cap, &tcp), skjold_pdus(&run.events));
        if std::env::var("DUMP").is_ok() {
            for d in common::conformance::compare(&t, &s) {
                eprintln!("DIFF {} {:?} {} {}", cap.label, d.side, d.frame, d.key);
            }
        }
        (t, s)
    });
}
