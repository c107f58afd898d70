//! Conformance against Wireshark for S7comm and S7comm-plus (CONVENTIONS.md, "Tests").
//!
//! S7comm: for every capture of `../shared/pcaps/s7comm` and `tests/data/peers/*s7comm*`, each
//! S7 PDU tshark decodes is reduced to ROSCTR, function (job/ack-data), error class and code,
//! item count and the S7ANY item addresses of jobs (area, DB, address, transport size, length),
//! userdata function group and subfunction, and SZL id and index; Skjold's `s7comm` events to
//! the same key. Identity: the strings tshark shows for SZL 0x0011 index 1 (order number) and
//! SZL 0x001c indexes 1, 3, 5, 7 (PLC name, plant id, serial, module type name), trailing
//! blanks trimmed, must be the identity Skjold records for the PLC.
//!
//! S7comm-plus: this tshark has no S7comm-plus dissector (`tshark -G protocols` lists only
//! `s7comm`), so the comparison is at the TPKT/COTP level: every reassembled COTP TSDU that
//! tshark hands to its `data` dissector and that starts with `0x72` is keyed by the bytes that
//! Skjold decodes (protocol version, opcode, function code) and compared with Skjold's
//! `s7comm_plus` events.
//!
//! Every difference must be listed in an `EXPECTED` table with the reason Skjold is right.

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, find_all, frame_and_layers, num, opt, tshark_json, Expected, Pdu,
};
use serde_json::Value;

/// The explained differences for S7comm.
const EXPECTED: &[Expected] = &[];

/// The explained differences for S7comm-plus.
const EXPECTED_PLUS: &[Expected] = &[];

fn nums(v: &Value, name: &str) -> Vec<u64> {
    let mut out = Vec::new();
    find_all(v, name, &mut out);
    out.into_iter().filter_map(|s| num(Some(s))).collect()
}

#[allow(clippy::too_many_arguments)]
fn s7_key(
    rosctr: Option<u64>,
    func: Option<u64>,
    err: (Option<u64>, Option<u64>),
    items: &[String],
    group: Option<u64>,
    sub: Option<u64>,
    szl: (Option<u64>, Option<u64>),
) -> String {
    format!(
        "s7 rosctr={} func={} err={}/{} items={items:?} ud={}/{} szl={}/{}",
        opt(rosctr),
        opt(func),
        opt(err.0),
        opt(err.1),
        opt(group),
        opt(sub),
        opt(szl.0),
        opt(szl.1),
    )
}

fn tshark_s7(cap: &common::Capture) -> Vec<Pdu> {
    let args: Vec<String> = ["-Y", "s7comm", "-J", "frame s7comm"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut out = Vec::new();
    for pkt in tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(&pkt);
        for s in each(layers.get("s7comm")) {
            let rosctr = nums(s, "s7comm.header.rosctr").first().copied();
            let g = |n: &str| nums(s, n).first().copied();
            let areas = nums(s, "s7comm.param.item.area");
            let dbs = nums(s, "s7comm.param.item.db");
            let addrs = nums(s, "s7comm.param.item.address");
            let ts = nums(s, "s7comm.param.item.transp_size");
            let lens = nums(s, "s7comm.param.item.length");
            let items: Vec<String> = (0..areas.len())
                .map(|i| {
                    format!(
                        "{}:{}:{}:{}:{}",
                        areas[i],
                        dbs.get(i).copied().unwrap_or(0),
                        addrs.get(i).copied().unwrap_or(0),
                        ts.get(i).copied().unwrap_or(0),
                        lens.get(i).copied().unwrap_or(0)
                    )
                })
                .collect();
            let (func, group, sub) = if rosctr == Some(7) {
                (
                    None,
                    g("s7comm.param.userdata.funcgroup"),
                    g("s7comm.param.userdata.subfunc"),
                )
            } else {
                (g("s7comm.param.func"), None, None)
            };
            out.push(Pdu {
                key: s7_key(
                    rosctr,
                    func,
                    (g("s7comm.header.errcls"), g("s7comm.header.errcod")),
                    &items,
                    group,
                    sub,
                    (
                        g("s7comm.data.userdata.szl_id"),
                        g("s7comm.data.userdata.szl_index"),
                    ),
                ),
                frame,
            });
        }
    }
    out
}

fn skjold_s7(events: &[Value]) -> Vec<Pdu> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "s7comm") {
        let s = &e["s7comm"];
        if s.get("header").is_none() {
            continue;
        }
        let u = |v: &Value| v.as_u64();
        let rosctr = u(&s["header"]["rosctr_raw"]);
        let items: Vec<String> = s["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|i| i["syntax_id"] == 0x10)
                    .map(|i| {
                        format!(
                            "{}:{}:{}:{}:{}",
                            i["area_raw"],
                            i["db"],
                            i["address"],
                            i["transport_size_raw"],
                            i["length"]
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Pdu {
            key: s7_key(
                rosctr,
                u(&s["function_raw"]),
                (
                    u(&s["header"]["error_class"]),
                    u(&s["header"]["error_code"]),
                ),
                &items,
                u(&s["userdata"]["group_raw"]),
                u(&s["userdata"]["subfunction_raw"]),
                (u(&s["szl"]["id"]), u(&s["szl"]["index"])),
            ),
            frame: u(&e["pcap_cnt"]).unwrap_or(0),
        });
    }
    out
}

#[test]
fn s7comm_pdus_match_tshark() {
    let caps = captures_in(&["s7comm"], &["s7comm", "snap7"]);
    check("s7comm", &caps, EXPECTED, |cap, run| {
        (tshark_s7(cap), skjold_s7(&run.events))
    });
}

/// tshark's identity strings (field, value) of one capture.
fn tshark_identity(cap: &common::Capture) -> Vec<(&'static str, String)> {
    let args: Vec<String> = ["-Y", "s7comm.data.userdata.szl_id", "-J", "frame s7comm"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut out = Vec::new();
    for pkt in tshark_json(cap, &args) {
        let (_, layers) = frame_and_layers(&pkt);
        for s in each(layers.get("s7comm")) {
            for (f, name) in [
                ("name", "s7comm.szl.001c.0001.name"),
                ("plant_id", "s7comm.szl.001c.0003.tag"),
                ("serial", "s7comm.szl.001c.0005.serialn"),
                ("model", "s7comm.szl.001c.0007.cputypname"),
            ] {
                let mut v = Vec::new();
                find_all(s, name, &mut v);
                for x in v {
                    let x = x.trim();
                    if !x.is_empty() {
                        out.push((f, x.to_owned()));
                    }
                }
            }
            let mut idx = Vec::new();
            find_all(s, "s7comm.szl.xy11.0001.index", &mut idx);
            let mut anz = Vec::new();
            find_all(s, "s7comm.szl.xy11.0001.anz", &mut anz);
            for (i, a) in idx.iter().zip(anz) {
                if num(Some(i)) == Some(1) && !a.trim().is_empty() {
                    out.push(("order_number", a.trim().to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn s7comm_identity_matches_tshark_strings() {
    if !common::conformance::tshark_available() {
        common::skip("tshark is not installed");
        return;
    }
    let mut compared = 0;
    for cap in captures_in(&["s7comm"], &["s7comm", "snap7"]) {
        let want = tshark_identity(&cap);
        if want.is_empty() {
            continue;
        }
        let run = common::run_engine(&cap.path);
        let assets = run.assets.as_array().cloned().unwrap_or_default();
        for (f, v) in &want {
            let found = assets
                .iter()
                .any(|a| a["identity"][*f].as_str() == Some(v.as_str()));
            assert!(
                found,
                "{}: identity {f}={v:?} not recorded: {assets:?}",
                cap.label
            );
            compared += 1;
        }
        let plc = assets
            .iter()
            .find(|a| a["identity"]["vendor"] == "Siemens")
            .unwrap_or_else(|| panic!("{}: no Siemens asset", cap.label));
        assert!(plc["roles"].to_string().contains("s7_plc"));
    }
    assert!(
        compared > 0 || !common::in_ci(),
        "no identity strings compared"
    );
    eprintln!("s7comm identity: {compared} strings compared");
}

fn plus_key(version: Option<u64>, opcode: Option<u64>, function: Option<u64>) -> String {
    format!(
        "s7plus v={} op={} fn={}",
        opt(version),
        opt(opcode),
        opt(function)
    )
}

fn hex_bytes(s: &str) -> Vec<u8> {
    s.split(':')
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

fn tshark_plus(cap: &common::Capture) -> Vec<Pdu> {
    let args: Vec<String> = ["-Y", "cotp.type == 0x0f && data", "-J", "frame cotp data"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut out = Vec::new();
    for pkt in tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(&pkt);
        for d in each(layers.get("data")) {
            let b = hex_bytes(field(d, "data.data").unwrap_or_default());
            if b.first() != Some(&0x72) || b.len() < 4 {
                continue;
            }
            let version = b.get(1).copied();
            let len = u16::from_be_bytes([b[2], b[3]]);
            let off = if version == Some(3) && b.get(4) == Some(&0x20) {
                37
            } else {
                4
            };
            let (op, func) = if version == Some(0xfe) || len == 0 {
                (None, None)
            } else {
                let op = b.get(off).copied();
                let func = if matches!(op, Some(0x31 | 0x32 | 0x02)) {
                    b.get(off + 3..off + 5)
                        .map(|f| u64::from(u16::from_be_bytes([f[0], f[1]])))
                } else {
                    None
                };
                (op.map(u64::from), func)
            };
            out.push(Pdu {
                key: plus_key(version.map(u64::from), op, func),
                frame,
            });
        }
    }
    out
}

fn skjold_plus(events: &[Value]) -> Vec<Pdu> {
    events
        .iter()
        .filter(|e| e["event_type"] == "s7comm_plus" && e["s7comm_plus"].get("cotp").is_none())
        .map(|e| {
            let s = &e["s7comm_plus"];
            Pdu {
                key: plus_key(
                    s["protocol_version"].as_u64(),
                    s["opcode_raw"].as_u64(),
                    s["function_raw"].as_u64(),
                ),
                frame: e["pcap_cnt"].as_u64().unwrap_or(0),
            }
        })
        .collect()
}

#[test]
fn s7comm_plus_tsdus_match_tshark_cotp_data() {
    let caps = captures_in(&["s7commplus"], &["s7commplus", "s7comm_plus", "s7plus"]);
    check(
        "s7comm-plus (COTP level)",
        &caps,
        EXPECTED_PLUS,
        |cap, run| (tshark_plus(cap), skjold_plus(&run.events)),
    );
}
