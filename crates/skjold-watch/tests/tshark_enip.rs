//! Conformance against Wireshark for EtherNet/IP and CIP (CONVENTIONS.md, "Tests").
//!
//! For every capture of `../shared/pcaps/enip` and `tests/data/peers/*enip*`, each
//! encapsulation message tshark decodes (TCP 44818 and UDP 44818) is reduced to: request or
//! reply, command, status, session handle, the CIP service codes as a sorted list (the
//! message's own, then those embedded by a Multiple Service Packet or an Unconnected Send), the
//! general statuses (replies), and for requests the class, instance and attribute values of the
//! request paths (logical segments only, not the attribute lists of Get Attribute List), and for
//! `ListIdentity` replies vendor id, device type, product code, revision, serial, product name
//! and state. Skjold's `enip` events (each `request` and `response` object) are reduced to the
//! same key. Skjold's identity strings for the adapter (`vendor`, `firmware`, `serial`,
//! `product`) must be the strings tshark shows.
//!
//! Every difference must be listed in [`EXPECTED`] with the reason Skjold is right.

mod common;

use common::captures_in;
use common::conformance::{check, each, field, frame_and_layers, num, tshark_json, Expected, Pdu};
use serde_json::Value;

/// The explained differences.
const EXPECTED: &[Expected] = &[];

const PORT: u16 = 44818;

/// Captures where tshark must be told the port is EtherNet/IP: (capture, port, why).
const DECODE_AS: &[(&str, u16, &str)] = &[(
    "enip/quickdraw-eip-control-protocol-change.pcap",
    1102,
    "the client port 1102 is IDMP's registered port and tshark tries the lower port's \
     dissector first, so it decodes this 44818 stream as IDMP fragments; told that 1102 is \
     EtherNet/IP it decodes the same messages Skjold does",
)];

/// Values of `name` below `v`, only inside subtrees whose key starts with `Request Path`
/// (`in_path`) (object keys are sorted by `serde_json`, so the order is not kept).
fn path_values(v: &Value, name: &str, in_path: bool, out: &mut Vec<u64>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let inside = in_path || k.starts_with("Request Path");
                if k == name && in_path {
                    match x {
                        Value::String(s) => out.extend(num(Some(s))),
                        Value::Array(a) => {
                            out.extend(a.iter().filter_map(|s| num(s.as_str())));
                        }
                        _ => {}
                    }
                } else {
                    path_values(x, name, inside, out);
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                path_values(x, name, in_path, out);
            }
        }
        _ => {}
    }
}

/// Values of `name` anywhere below `v`.
fn all_values(v: &Value, name: &str, out: &mut Vec<u64>) {
    let mut s = Vec::new();
    common::conformance::find_all(v, name, &mut s);
    out.extend(s.into_iter().filter_map(|x| num(Some(x))));
}

#[derive(Default)]
struct Key {
    request: bool,
    cmd: u64,
    status: u64,
    session: u64,
    services: Vec<u64>,
    statuses: Vec<u64>,
    classes: Vec<u64>,
    instances: Vec<u64>,
    attributes: Vec<u64>,
    identity: String,
}

impl Key {
    fn render(&mut self) -> String {
        // serde_json sorts object keys, so tshark's document order is lost: compare as
        // sorted lists.
        for v in [
            &mut self.services,
            &mut self.statuses,
            &mut self.classes,
            &mut self.instances,
            &mut self.attributes,
        ] {
            v.sort_unstable();
        }
        let (c, i, a) = if self.request {
            (&self.classes, &self.instances, &self.attributes)
        } else {
            (&Vec::new(), &Vec::new(), &Vec::new())
        };
        format!(
            "enip {} cmd={:#06x} status={} session={:#x} sc={:?} gs={:?} class={c:?} inst={i:?} \
             attr={a:?} id={}",
            if self.request { "Q" } else { "R" },
            self.cmd,
            self.status,
            self.session,
            self.services,
            if self.request {
                &[][..]
            } else {
                &self.statuses[..]
            },
            self.identity
        )
    }
}

fn tshark_pdus(cap: &common::Capture) -> Vec<Pdu> {
    let mut args: Vec<String> = Vec::new();
    for (_, port, _) in DECODE_AS.iter().filter(|d| d.0 == cap.label) {
        args.push("-d".to_owned());
        args.push(format!("tcp.port=={port},enip"));
    }
    args.extend(
        [
            "-Y",
            "enip && !(udp.port == 2222)",
            "-J",
            "frame tcp udp enip cip cipcm cipcls cippccc cipmb cipcco",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let mut out = Vec::new();
    for pkt in tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(&pkt);
        let l4 = each(layers.get("tcp"))
            .last()
            .copied()
            .map(|t| num(field(t, "tcp.dstport")))
            .or_else(|| {
                each(layers.get("udp"))
                    .last()
                    .copied()
                    .map(|u| num(field(u, "udp.dstport")))
            })
            .flatten();
        let request = l4 == Some(u64::from(PORT));
        let enips = each(layers.get("enip"));
        let cips = each(layers.get("cip"));
        let cms = each(layers.get("cipcm"));
        let single = enips.len() == 1;
        let (mut next_cip, mut next_cm) = (0, 0);
        for e in &enips {
            let mut k = Key {
                request,
                ..Key::default()
            };
            let mut s = Vec::new();
            all_values(e, "enip.command", &mut s);
            k.cmd = s.first().copied().unwrap_or(0);
            let mut s = Vec::new();
            all_values(e, "enip.status", &mut s);
            k.status = s.first().copied().unwrap_or(0);
            let mut s = Vec::new();
            all_values(e, "enip.session", &mut s);
            k.session = s.first().copied().unwrap_or(0);
            // CIP layers of this message: all of them when the frame has one message,
            // otherwise the n-th `cip` layer when every message has one.
            let mut cip_layers: Vec<&Value> = Vec::new();
            if single {
                for name in ["cip", "cipcm", "cipcls", "cippccc", "cipmb", "cipcco"] {
                    cip_layers.extend(each(layers.get(name)));
                }
            } else if k.cmd == 0x6f || k.cmd == 0x70 {
                // Several messages in one frame: the `cip` layers follow the messages in
                // order, and an Unconnected Send request has its `cipcm` layer next.
                if let Some(c) = cips.get(next_cip) {
                    next_cip += 1;
                    cip_layers.push(c);
                    let mut sc = Vec::new();
                    all_values(c, "cip.sc", &mut sc);
                    if request && sc.first() == Some(&0x52) {
                        if let Some(m) = cms.get(next_cm) {
                            next_cm += 1;
                            cip_layers.push(m);
                        }
                    }
                }
            }
            for c in &cip_layers {
                all_values(c, "cip.sc", &mut k.services);
                all_values(c, "cip.genstat", &mut k.statuses);
                path_values(c, "cip.class", false, &mut k.classes);
                path_values(c, "cip.instance", false, &mut k.instances);
                path_values(c, "cip.attribute", false, &mut k.attributes);
            }
            if k.cmd == 0x63 && !request {
                let g = |n: &str| {
                    let mut v = Vec::new();
                    common::conformance::find_all(e, n, &mut v);
                    v.first().map(|s| (*s).to_owned()).unwrap_or_default()
                };
                if !g("enip.lir.vendor").is_empty() {
                    let rev = num(Some(&g("enip.lir.revision"))).unwrap_or(0);
                    k.identity = format!(
                        "{}/{}/{}/{}.{:02}/{}/{}/{}",
                        num(Some(&g("enip.lir.vendor"))).unwrap_or(0),
                        num(Some(&g("enip.lir.devtype"))).unwrap_or(0),
                        num(Some(&g("enip.lir.prodcode"))).unwrap_or(0),
                        rev >> 8,
                        rev & 0xff,
                        g("enip.lir.serial"),
                        g("enip.lir.name"),
                        num(Some(&g("enip.lir.state"))).unwrap_or(0),
                    );
                }
            }
            out.push(Pdu {
                key: k.render(),
                frame,
            });
        }
    }
    out
}

fn walk_cip(c: &Value, k: &mut Key) {
    if let Some(s) = c["service_raw"].as_u64() {
        k.services.push(s);
    }
    if let Some(s) = c["status_raw"].as_u64() {
        k.statuses.push(s);
    }
    if let Some(p) = c["path"].as_array() {
        for seg in p {
            let v = seg["value"].as_u64();
            match seg["segment_type"].as_str() {
                Some("class") => k.classes.extend(v),
                Some("instance") => k.instances.extend(v),
                Some("attribute") => k.attributes.extend(v),
                _ => {}
            }
        }
    }
    for key in ["multiple", "unconnected_send"] {
        if let Some(a) = c[key].as_array() {
            for e in a {
                walk_cip(e, k);
            }
        }
    }
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "enip") {
        let frame = e["pcap_cnt"].as_u64().unwrap_or(0);
        for (key, request) in [("request", true), ("response", false)] {
            let m = &e["enip"][key];
            if m.is_null() {
                continue;
            }
            let mut k = Key {
                request,
                cmd: m["command_raw"].as_u64().unwrap_or(0),
                status: m["status_raw"].as_u64().unwrap_or(0),
                session: m["session_handle"].as_u64().unwrap_or(0),
                ..Key::default()
            };
            if m["cip"].is_object() {
                walk_cip(&m["cip"], &mut k);
            }
            let id = &m["identity"];
            if id.is_object() {
                k.identity = format!(
                    "{}/{}/{}/{}/{}/{}/{}",
                    id["vendor_id_raw"],
                    id["device_type_raw"],
                    id["product_code"],
                    id["revision"].as_str().unwrap_or_default(),
                    id["serial_hex"].as_str().unwrap_or_default(),
                    id["product_name"].as_str().unwrap_or_default(),
                    id["state"].as_u64().unwrap_or(0),
                );
            }
            out.push(Pdu {
                key: k.render(),
                frame,
            });
        }
    }
    out
}

#[test]
fn enip_pdus_match_tshark() {
    let caps = captures_in(&["enip"], &["enip", "cip", "pycomm", "cpppo"]);
    check("enip", &caps, EXPECTED, |cap, run| {
        (tshark_pdus(cap), skjold_pdus(&run.events))
    });
}

#[test]
fn enip_identity_matches_tshark_strings() {
    if !common::conformance::tshark_available() {
        common::skip("tshark is not installed");
        return;
    }
    let mut compared = 0;
    for cap in captures_in(&["enip"], &["enip", "cip", "pycomm", "cpppo"]) {
        let args: Vec<String> = [
            "-Y",
            "enip.lir.name",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "enip.lir.vendor",
            "-e",
            "enip.lir.revision",
            "-e",
            "enip.lir.serial",
            "-e",
            "enip.lir.name",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let out = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&cap.path)
            .args(&args)
            .output()
            .expect("tshark");
        let text = String::from_utf8_lossy(&out.stdout);
        // tshark's -V text gives the vendor name; fields give the numbers.
        let verbose = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&cap.path)
            .args(["-Y", "enip.lir.name", "-V"])
            .output()
            .expect("tshark");
        let verbose = String::from_utf8_lossy(&verbose.stdout);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let run = common::run_engine(&cap.path);
        let assets = run.assets.as_array().cloned().unwrap_or_default();
        let has = |f: &str, v: &str| assets.iter().any(|a| a["identity"][f].as_str() == Some(v));
        for l in lines {
            let p: Vec<&str> = l.split('|').collect();
            let rev = num(p.get(1).copied()).unwrap_or(0);
            let firmware = format!("{}.{:02}", rev >> 8, rev & 0xff);
            assert!(
                has("firmware", &firmware),
                "{}: firmware {firmware}",
                cap.label
            );
            assert!(has("serial", p[2]), "{}: serial {}", cap.label, p[2]);
            assert!(has("product", p[3]), "{}: product {}", cap.label, p[3]);
            compared += 3;
        }
        for l in verbose
            .lines()
            .filter(|l| l.trim_start().starts_with("Vendor ID: "))
        {
            let name = l.trim_start().trim_start_matches("Vendor ID: ");
            let name = name.rsplit_once(" (").map_or(name, |(n, _)| n);
            assert!(has("vendor", name), "{}: vendor {name}", cap.label);
            compared += 1;
        }
        for l in verbose
            .lines()
            .filter(|l| l.trim_start().starts_with("Device Type: "))
        {
            let name = l.trim_start().trim_start_matches("Device Type: ");
            let name = name.rsplit_once(" (").map_or(name, |(n, _)| n);
            assert!(
                has("device_type", name),
                "{}: device type {name}",
                cap.label
            );
            compared += 1;
        }
        let adapter = assets
            .iter()
            .find(|a| a["roles"].to_string().contains("enip_adapter"));
        assert!(adapter.is_some(), "{}: no enip_adapter", cap.label);
    }
    assert!(compared > 0 || !common::in_ci(), "no identity compared");
    eprintln!("enip identity: {compared} strings compared");
}
