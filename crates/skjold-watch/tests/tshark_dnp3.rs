//! Conformance against Wireshark for DNP3 (CONVENTIONS.md, "Tests"): for every DNP3 capture of
//! `../shared/pcaps/dnp3` and `tests/data` (`tests/data/peers/` included), each application
//! fragment tshark decodes must equal one Skjold `dnp3` event on: the link DIR bit, link source
//! and destination, the application function code, the internal indications (responses) and
//! every object header (group, variation, prefix code, range code, and start/stop or count as
//! the range code says: tshark's `dnp3.al.obj`, `dnp3.al.objq.prefix`, `dnp3.al.objq.range`,
//! `dnp3.al.range.start`/`.stop`/`.quantity`).
//!
//! Link frames without an application layer (link status, resets, segments that are not the
//! last of a fragment) are compared by neither side. Flows Skjold recognises on other ports are
//! given to tshark as decode-as. Every difference is listed in [`EXPECTED`] with the reason.

mod common;

use common::captures_in;
use common::conformance::{
    check, each, find_all, frame_and_layers, num, server_ports, tshark_json, Expected, Pdu, Side,
};
use serde_json::Value;

const OPENICS_WHY: &str = "OpenICS corpus of deliberately malformed CROB operate requests \
    (one per frame). Each breaks the object header or its size: range codes 3-5, which IEEE 1815 \
    defines as start and stop virtual addresses (two fields, as Zeek's DNP3 analyzer also reads \
    them; tshark 4.0 reads one absolute \
    address); reserved range codes 10 and 12-15, after which the number of objects is unknown \
    (Skjold stops walking and flags `reserved_range_code`; tshark goes on and reads the CROB \
    octets as more headers); or objects that leave 1-2 octets at the end of the fragment (tshark \
    lists them as a truncated `0.0` header, Skjold flags `truncated_object_header` and lists only \
    headers it can read whole). Same direction, addresses and function code on both sides.";

const EXPECTED: &[Expected] = &[
    Expected {
        capture: "dnp3/openics-dnp3-malformed.pcap",
        side: Side::OnlyTshark,
        frames: &[1..=200],
        count: 102,
        why: OPENICS_WHY,
    },
    Expected {
        capture: "dnp3/openics-dnp3-malformed.pcap",
        side: Side::OnlySkjold,
        frames: &[1..=200],
        count: 102,
        why: OPENICS_WHY,
    },
    Expected {
        capture: "dnp3/digitalbond-dnp3-test-data-part1.pcap",
        side: Side::OnlyTshark,
        frames: &[163..=163, 166..=166, 174..=174, 176..=176],
        count: 4,
        why: "Stop Application (function 18) requests: tshark 4.0 does not dissect the objects \
              of this function; IEEE 1815 gives it object headers (application identifiers), \
              which Skjold lists (listed as Skjold-only below, same frames).",
    },
    Expected {
        capture: "dnp3/digitalbond-dnp3-test-data-part1.pcap",
        side: Side::OnlySkjold,
        frames: &[163..=163, 166..=166, 174..=174, 176..=176],
        count: 4,
        why: "The same Stop Application requests with their object headers (the last one has \
              the reserved range code 13, flagged `reserved_range_code`).",
    },
    Expected {
        capture: "dnp3/zeek-dnp3-mixed.pcap",
        side: Side::OnlyTshark,
        frames: &[163..=163, 166..=166, 174..=174, 176..=176],
        count: 4,
        why: "Same Stop Application requests as digitalbond-dnp3-test-data-part1 (this capture \
              contains it): tshark 4.0 does not dissect objects of function 18.",
    },
    Expected {
        capture: "dnp3/zeek-dnp3-mixed.pcap",
        side: Side::OnlySkjold,
        frames: &[163..=163, 166..=166, 174..=174, 176..=176],
        count: 4,
        why: "The same Stop Application requests with their object headers.",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-auth-challenge-response.pcap",
        side: Side::OnlyTshark,
        frames: &[2..=3],
        count: 2,
        why: "Secure Authentication v5: tshark 4.0 dissects neither the objects of \
              Authenticate Request (32) and Authenticate Response (131) nor the internal \
              indications of 131. IEEE 1815-2012 makes 131 a response (with IIN) carrying \
              g120 objects with a size prefix (qualifier 0x5B), which Skjold decodes \
              (Skjold-only entry below).",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-auth-challenge-response.pcap",
        side: Side::OnlySkjold,
        frames: &[2..=3],
        count: 2,
        why: "The same SAv5 challenge (g120v1) and reply (g120v2) with IIN and object headers.",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-auth-change-session-keys.pcap",
        side: Side::OnlyTshark,
        frames: &[4..=7],
        count: 4,
        why: "Secure Authentication v5 session key status request/response and key change: \
              as above, tshark 4.0 shows no objects and no IIN for functions 32 and 131.",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-auth-change-session-keys.pcap",
        side: Side::OnlySkjold,
        frames: &[4..=7],
        count: 4,
        why: "The same SAv5 messages with g120v4/v5/v6 object headers and IIN.",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-operate-aggressive-mode.pcap",
        side: Side::OnlyTshark,
        frames: &[1..=1],
        count: 1,
        why: "SAv5 aggressive-mode Direct Operate: g120v3 (challenge sequence number and user \
              number, 6 octets by IEEE 1815-2012 A.45.3), then the CROB (g12v1) and the \
              g120v9 HMAC. tshark 4.0 does not know the size of g120v3 and stops after it; \
              Skjold walks past it and lists all three headers (Skjold-only entry below).",
    },
    Expected {
        capture: "dnp3/dnp3-sav5-operate-aggressive-mode.pcap",
        side: Side::OnlySkjold,
        frames: &[1..=1],
        count: 1,
        why: "The same request with its three object headers.",
    },
];

const PORT: u16 = 20000;

/// One object header: `g.v q=prefix,range r=start-stop|#count|*`.
fn obj_key(
    group: u64,
    variation: u64,
    prefix: u64,
    range: u64,
    start: Option<u64>,
    stop: Option<u64>,
    count: Option<u64>,
) -> String {
    let r = match (start, stop, count) {
        (Some(a), Some(b), _) => format!("{a}-{b}"),
        (Some(a), None, _) => format!("{a}"),
        (_, _, Some(c)) => format!("#{c}"),
        _ => "*".to_owned(),
    };
    format!("{group}.{variation} q={prefix},{range} r={r}")
}

fn key(dir: bool, src: u64, dst: u64, fc: u64, iin: Option<u64>, objs: &[String]) -> String {
    format!(
        "dnp3 dir={} {src}>{dst} fc={fc} iin={} objs={objs:?}",
        u8::from(dir),
        iin.map_or_else(|| "-".to_owned(), |i| format!("{i:04x}"))
    )
}

fn first(v: &Value, name: &str) -> Option<u64> {
    let mut out = Vec::new();
    find_all(v, name, &mut out);
    num(out.first().copied())
}

fn tshark_pdus(cap: &common::Capture, tcp: &[u16], udp: &[u16]) -> Vec<Pdu> {
    let mut args = Vec::new();
    for p in tcp.iter().filter(|p| **p != PORT) {
        args.push("-d".to_owned());
        args.push(format!("tcp.port=={p},dnp3"));
    }
    for p in udp.iter().filter(|p| **p != PORT) {
        args.push("-d".to_owned());
        args.push(format!("udp.port=={p},dnp3"));
    }
    for a in ["-Y", "dnp3.al.func", "-J", "frame dnp3"] {
        args.push(a.to_owned());
    }
    let mut pdus = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        for layer in each(layers.get("dnp3")) {
            let Some(fc) = first(layer, "dnp3.al.func") else {
                continue;
            };
            let dir = first(layer, "dnp3.ctl.dir") == Some(1);
            let src = first(layer, "dnp3.src").unwrap_or(0);
            let dst = first(layer, "dnp3.dst").unwrap_or(0);
            let iin = first(layer, "dnp3.al.iin");
            let mut codes = Vec::new();
            find_all(layer, "dnp3.al.obj", &mut codes);
            let mut trees: Vec<&Value> = Vec::new();
            collect_trees(layer, &mut trees);
            let mut objs = Vec::new();
            for (i, code) in codes.iter().enumerate() {
                let code = num(Some(code)).unwrap_or(0);
                let t = trees.get(i).copied().unwrap_or(&Value::Null);
                let start =
                    first(t, "dnp3.al.range.start").or_else(|| first(t, "dnp3.al.range.abs"));
                objs.push(obj_key(
                    code >> 8,
                    code & 0xff,
                    first(t, "dnp3.al.objq.prefix").unwrap_or(0),
                    first(t, "dnp3.al.objq.range").unwrap_or(0),
                    start,
                    first(t, "dnp3.al.range.stop"),
                    first(t, "dnp3.al.range.quantity"),
                ));
            }
            pdus.push(Pdu {
                key: key(dir, src, dst, fc, iin, &objs),
                frame,
            });
        }
    }
    pdus
}

/// The `dnp3.al.obj_tree` subtrees, in document order.
fn collect_trees<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == "dnp3.al.obj_tree" {
                    match x {
                        Value::Array(a) => out.extend(a.iter()),
                        other => out.push(other),
                    }
                } else {
                    collect_trees(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_trees(x, out)),
        _ => {}
    }
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut pdus = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "dnp3") {
        let d = &e["dnp3"];
        let u = |v: &Value| v.as_u64().unwrap_or(0);
        let app = &d["application"];
        let objs: Vec<String> = app["objects"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|o| {
                let range = u(&o["range_code"]);
                let (start, stop, count) = match range {
                    0..=5 => (Some(u(&o["start"])), Some(u(&o["stop"])), None),
                    7..=9 | 11 => (None, None, Some(u(&o["count"]))),
                    _ => (None, None, None),
                };
                obj_key(
                    u(&o["group"]),
                    u(&o["variation"]),
                    u(&o["prefix_code"]),
                    range,
                    start,
                    stop,
                    count,
                )
            })
            .collect();
        pdus.push(Pdu {
            key: key(
                d["control"]["dir"].as_bool().unwrap_or(false),
                u(&d["src"]),
                u(&d["dst"]),
                u(&app["function_code"]),
                d["iin"]["raw"].as_u64(),
                &objs,
            ),
            frame: e["pcap_cnt"].as_u64().unwrap_or(0),
        });
    }
    pdus
}

#[test]
fn dnp3_fragments_match_tshark() {
    let caps = captures_in(&["dnp3"], &["dnp3"]);
    check("dnp3", &caps, EXPECTED, |cap, run| {
        let (tcp, udp) = server_ports(&run.events, "dnp3");
        let tcp: Vec<u16> = tcp.into_iter().collect();
        let udp: Vec<u16> = udp.into_iter().collect();
        let (t, s) = (tshark_pdus(cap, &tcp, &udp), skjold_pdus(&run.events));
        if std::env::var("DUMP").is_ok() {
            for d in common::conformance::compare(&t, &s) {
                eprintln!("DIFF {} {:?} {} {}", cap.label, d.side, d.frame, d.key);
            }
        }
        (t, s)
    });
}
