//! Conformance against Wireshark for CoAP (RFC 7252 over UDP): for every CoAP capture
//! (`../shared/pcaps/coap` and `tests/data/peers/coap-*`), each message's type, code, message
//! id, token, Uri-Path (the message's own options, joined with `/`) and Content-Format equal
//! `tshark`'s (`coap.type`, `coap.code`, `coap.mid`, `coap.token`, `coap.opt.uri_path`,
//! `coap.opt.ctype`).
//!
//! CoAP over TCP (RFC 8323) is not decoded by Skjold: the one capture named `mixed-tcp` carries
//! its CoAP on UDP and only a ttproto control channel (1-byte segments, not CoAP) on TCP, which
//! tshark does not decode as CoAP either, so nothing is listed for it.

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, find_all, frame_and_layers, num, tshark_json, Expected, Pdu,
};
use common::Capture;
use serde_json::Value;
use std::collections::BTreeSet;

/// The explained differences (none so far). Real Skjold bugs are not listed here.
const EXPECTED: &[Expected] = &[];

fn key(t: u64, code: u64, mid: u64, token: &str, path: &str, cf: &str) -> String {
    format!("t{t}/c{code}/m{mid}/tok{token}/p{path}/cf{cf}")
}

fn tshark_pdus(cap: &Capture, ports: &BTreeSet<u16>) -> Vec<Pdu> {
    let mut args = Vec::new();
    for p in ports.iter().filter(|p| **p != 5683) {
        args.push("-d".to_owned());
        args.push(format!("udp.port=={p},coap"));
    }
    for a in ["-Y", "coap && udp", "-J", "frame coap"] {
        args.push(a.to_owned());
    }
    let mut pdus = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        for c in each(layers.get("coap")) {
            let Some(t) = num(field(c, "coap.type")) else {
                continue;
            };
            let code = num(field(c, "coap.code")).unwrap_or(0);
            let mid = num(field(c, "coap.mid")).unwrap_or(0);
            let token = field(c, "coap.token").unwrap_or("").replace(':', "");
            let mut segs = Vec::new();
            find_all(c, "coap.opt.uri_path", &mut segs);
            let path: String = segs.iter().flat_map(|s| ["/", s]).collect();
            let mut cf = Vec::new();
            find_all(c, "coap.opt.ctype", &mut cf);
            pdus.push(Pdu {
                key: key(
                    t,
                    code,
                    mid,
                    &token,
                    &path,
                    cf.first().copied().unwrap_or("-"),
                ),
                frame,
            });
        }
    }
    pdus
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    events
        .iter()
        .filter(|e| e["event_type"] == "coap")
        .map(|e| {
            let c = &e["coap"];
            let n = |k: &str| c[k].as_u64().unwrap_or(0);
            let cf = c["content_format_name"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| {
                    c["content_format"]
                        .as_u64()
                        .map(|v| format!("Unknown Type {v}"))
                })
                .unwrap_or_else(|| "-".to_owned());
            Pdu {
                key: key(
                    n("type_raw"),
                    n("code_raw"),
                    n("message_id"),
                    c["token"].as_str().unwrap_or(""),
                    c["uri_path"].as_str().unwrap_or(""),
                    &cf,
                ),
                frame: e["pcap_cnt"].as_u64().unwrap_or(0),
            }
        })
        .collect()
}

#[test]
fn coap_messages_match_tshark() {
    let caps = captures_in(&["coap"], &["coap"]);
    let n = check("coap", &caps, EXPECTED, |cap, run| {
        // Server ports: the destination of requests.
        let udp: BTreeSet<u16> = run
            .events
            .iter()
            .filter(|e| e["event_type"] == "coap" && e["coap"].get("method").is_some())
            .filter_map(|e| e["dest_port"].as_u64().and_then(|p| u16::try_from(p).ok()))
            .collect();
        (tshark_pdus(cap, &udp), skjold_pdus(&run.events))
    });
    eprintln!("coap: {n} tshark PDUs compared");
}
