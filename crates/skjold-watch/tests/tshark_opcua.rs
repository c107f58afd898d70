//! Conformance against Wireshark for OPC UA binary: for every OPC UA capture
//! (`../shared/pcaps/opcua` and `tests/data/peers/opcua-*`), each chunk's message type and
//! chunk type (`opcua.transport.type`, `opcua.transport.chunk`), the Hello endpoint URL
//! (`opcua.transport.endpoint`), the Error status (`opcua.transport.error`), the OPN security
//! policy URI (`opcua.security.spu`), and on None-policy channels the service type `NodeId`
//! (`opcua.servicenodeid.numeric`), the `OpenSecureChannelRequest` security mode
//! (`opcua.MessageSecurityMode`), the node ids of Read and Write requests (first 16) and each
//! `GetEndpoints` endpoint's URL, security mode and policy URI equal `tshark`'s. Server ports
//! other than 4840 (of flows Skjold recognises) are passed to tshark as decode-as.

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, find_all, frame_and_layers, num, opt, tshark_json, Expected, Pdu,
};
use common::Capture;
use serde_json::Value;
use std::collections::BTreeSet;

/// The explained differences. Real Skjold bugs are not listed here.
const EXPECTED: &[Expected] = &[];

#[allow(clippy::too_many_arguments)]
fn key(
    ty: &str,
    chunk: &str,
    url: Option<&str>,
    err: Option<u64>,
    spu: Option<&str>,
    svc: Option<u64>,
    mode: Option<u64>,
    nodes: &[String],
    eps: &[String],
) -> String {
    format!(
        "{ty}{chunk}/url{}/err{}/spu{}/svc{}/mode{}/nodes{nodes:?}/eps{eps:?}",
        url.unwrap_or("-"),
        opt(err),
        spu.unwrap_or("-"),
        opt(svc),
        opt(mode)
    )
}

/// A tshark `NodeId` subtree as `ns=N;i=..` (namespace 0 omitted, as Skjold writes it).
fn node_text(n: &Value) -> String {
    let ns = num(field(n, "opcua.nodeid.nsindex")).unwrap_or(0);
    let prefix = if ns == 0 {
        String::new()
    } else {
        format!("ns={ns};")
    };
    let id = if let Some(v) = field(n, "opcua.nodeid.numeric") {
        format!("i={v}")
    } else if let Some(v) = field(n, "opcua.nodeid.string") {
        format!("s={v}")
    } else if let Some(v) = field(n, "opcua.nodeid.guid") {
        format!("g={v}")
    } else if let Some(v) = field(n, "opcua.nodeid.bytestring") {
        format!("b={}", v.replace(':', ""))
    } else {
        String::new()
    };
    prefix + &id
}

/// Children of `v` whose key starts with `prefix` (arrays of equal keys flattened).
fn children<'a>(v: &'a Value, prefix: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (k, x) in o {
            if k.starts_with(prefix) {
                out.extend(each(Some(x)));
            }
        }
    }
    out
}

fn descend<'a>(v: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut cur = vec![v];
    for p in path {
        cur = cur.iter().flat_map(|c| children(c, p)).collect();
    }
    cur
}

fn tshark_pdus(cap: &Capture, ports: &BTreeSet<u16>) -> Vec<Pdu> {
    let mut args = Vec::new();
    for p in ports.iter().filter(|p| **p != 4840) {
        args.push("-d".to_owned());
        args.push(format!("tcp.port=={p},opcua"));
    }
    for a in ["-Y", "opcua", "-J", "frame opcua"] {
        args.push(a.to_owned());
    }
    let mut pdus = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        for o in each(layers.get("opcua")) {
            let Some(ty) = field(o, "opcua.transport.type") else {
                continue;
            };
            let chunk = field(o, "opcua.transport.chunk").unwrap_or("-");
            let mut svc = Vec::new();
            find_all(o, "opcua.servicenodeid.numeric", &mut svc);
            let svc = num(svc.first().copied());
            let mut mode = None;
            if ty == "OPN" && svc == Some(446) {
                let mut m = Vec::new();
                find_all(o, "opcua.MessageSecurityMode", &mut m);
                mode = num(m.first().copied());
            }
            let service = descend(o, &["OpcUa Service"]);
            let mut nodes = Vec::new();
            for (req, arr) in [
                ("ReadRequest", "NodesToRead"),
                ("WriteRequest", "NodesToWrite"),
            ] {
                for n in service
                    .iter()
                    .flat_map(|s| descend(s, &[req, arr, "[", "NodeId"]))
                    .take(16)
                {
                    nodes.push(node_text(n));
                }
            }
            let mut eps = Vec::new();
            for e in service
                .iter()
                .flat_map(|s| descend(s, &["GetEndpointsResponse", "Endpoints", "["]))
            {
                eps.push(format!(
                    "{}|{}|{}",
                    field(e, "opcua.EndpointUrl").unwrap_or("-"),
                    opt(num(field(e, "opcua.MessageSecurityMode"))),
                    field(e, "opcua.SecurityPolicyUri").unwrap_or("-")
                ));
            }
            pdus.push(Pdu {
                key: key(
                    ty,
                    chunk,
                    field(o, "opcua.transport.endpoint"),
                    num(field(o, "opcua.transport.error")),
                    field(o, "opcua.security.spu"),
                    svc,
                    mode,
                    &nodes,
                    &eps,
                ),
                frame,
            });
        }
    }
    pdus
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut pdus = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "opcua") {
        let o = &e["opcua"];
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let svc = if o["continuation"] == true {
            None
        } else {
            o["service"]["type_id"].as_u64()
        };
        let nodes: Vec<String> = o["nodes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let eps: Vec<String> = o["endpoints"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        format!(
                            "{}|{}|{}",
                            x["endpoint_url"].as_str().unwrap_or("-"),
                            opt(x["security_mode_raw"].as_u64()),
                            x["security_policy_uri"].as_str().unwrap_or("-")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        pdus.push(Pdu {
            key: key(
                o["message_type"].as_str().unwrap_or("-"),
                o["chunk_type"].as_str().unwrap_or("-"),
                s(&o["hello"]["endpoint_url"]).as_deref(),
                o["error"]["status_code"].as_u64(),
                s(&o["security_policy_uri"]).as_deref(),
                svc,
                o["open_secure_channel"]["security_mode_raw"].as_u64(),
                &nodes,
                &eps,
            ),
            frame: e["pcap_cnt"].as_u64().unwrap_or(0),
        });
    }
    pdus
}

#[test]
fn opcua_chunks_match_tshark() {
    let caps = captures_in(&["opcua"], &["opcua"]);
    let n = check("opcua", &caps, EXPECTED, |cap, run| {
        let ports: BTreeSet<u16> = run
            .events
            .iter()
            .filter(|e| e["event_type"] == "opcua" && e["opcua"]["message_type"] == "HEL")
            .filter_map(|e| e["dest_port"].as_u64().and_then(|p| u16::try_from(p).ok()))
            .collect();
        (tshark_pdus(cap, &ports), skjold_pdus(&run.events))
    });
    eprintln!("opcua: {n} tshark PDUs compared");
}
