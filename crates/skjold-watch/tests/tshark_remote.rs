//! Conformance against Wireshark for the remote-access protocols, over the loopback peer
//! captures of `tests/peers/capture-remote.sh` (`tests/data/peers/{http,ftp,ssh,rdp,vnc}-*`):
//! - HTTP: request method, host, URI and user agent; response status and `Server`;
//! - FTP: command and argument (the `PASS` argument is compared as absent: Skjold never logs
//!   it) and reply code;
//! - SSH: each identification string (`SSH-2.0-software comments`);
//! - RDP: the X.224 Connection Request's `mstshash` cookie and requested protocols, the
//!   Connection Confirm's selected protocol;
//! - VNC: server and client protocol versions, the security type chosen, the desktop name.
//!
//! Skjold writes one event per transaction (HTTP, FTP) or session (SSH, RDP, VNC); each is
//! split here into one key per message as tshark decodes them. Without `tshark` the test prints
//! a skip notice and passes, unless `CI=true`.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, fields, frame_and_layers, tshark_json, Expected, Pdu,
};
use serde_json::Value;

/// The explained differences (none: every message agrees).
const EXPECTED: &[Expected] = &[];

fn pdu(key: String, frame: u64) -> Pdu {
    Pdu { key, frame }
}

fn tshark_pdus(cap: &common::Capture) -> Vec<Pdu> {
    let args: Vec<String> = ["-Y", "http or ftp or ssh.protocol or rdp or vnc"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut out = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        for h in each(layers.get("http")) {
            let mut leaves = Vec::new();
            common::conformance::find_all(h, "http.request.method", &mut leaves);
            if let Some(m) = leaves.first() {
                let g = |n: &str| {
                    let mut v = Vec::new();
                    common::conformance::find_all(h, n, &mut v);
                    v.first().copied().unwrap_or("-").to_owned()
                };
                out.push(pdu(
                    format!(
                        "http_request {m} host={} uri={} ua={}",
                        g("http.host"),
                        g("http.request.uri"),
                        g("http.user_agent")
                    ),
                    frame,
                ));
            }
            let mut code = Vec::new();
            common::conformance::find_all(h, "http.response.code", &mut code);
            if let Some(c) = code.first() {
                let mut server = Vec::new();
                common::conformance::find_all(h, "http.server", &mut server);
                out.push(pdu(
                    format!(
                        "http_response {c} server={}",
                        server.first().copied().unwrap_or("-")
                    ),
                    frame,
                ));
            }
        }
        for f in each(layers.get("ftp")) {
            let mut cmd = Vec::new();
            common::conformance::find_all(f, "ftp.request.command", &mut cmd);
            if let Some(c) = cmd.first() {
                let mut arg = Vec::new();
                common::conformance::find_all(f, "ftp.request.arg", &mut arg);
                let arg = if c.eq_ignore_ascii_case("PASS") {
                    "-"
                } else {
                    arg.first()
                        .copied()
                        .filter(|a| !a.is_empty())
                        .unwrap_or("-")
                };
                out.push(pdu(
                    format!("ftp_command {} {arg}", c.to_ascii_uppercase()),
                    frame,
                ));
            }
            let mut code = Vec::new();
            common::conformance::find_all(f, "ftp.response.code", &mut code);
            if let Some(c) = code.last() {
                out.push(pdu(format!("ftp_reply {c}"), frame));
            }
        }
        for s in each(layers.get("ssh")) {
            let mut p = Vec::new();
            common::conformance::find_all(s, "ssh.protocol", &mut p);
            for id in p {
                out.push(pdu(format!("ssh_ident {id}"), frame));
            }
        }
        for r in each(layers.get("rdp")) {
            let mut v = Vec::new();
            common::conformance::find_all(r, "rdp.neg_type", &mut v);
            let get = |n: &str| {
                let mut x = Vec::new();
                common::conformance::find_all(r, n, &mut x);
                x.first().copied().unwrap_or("-").to_owned()
            };
            match v.first().copied() {
                Some("0x01") => out.push(pdu(
                    format!(
                        "rdp_request cookie={} requested={}",
                        get("rdp.rt_cookie").trim_start_matches("Cookie: mstshash="),
                        get("rdp.negReq.requestedProtocols")
                    ),
                    frame,
                )),
                Some("0x02") => out.push(pdu(
                    format!(
                        "rdp_confirm selected={}",
                        get("rdp.negReq.selectedProtocol")
                    ),
                    frame,
                )),
                _ => {}
            }
        }
        for v in each(layers.get("vnc")) {
            for (name, key) in [
                ("vnc.server_proto_ver", "vnc_server_version"),
                ("vnc.client_proto_ver", "vnc_client_version"),
                ("vnc.client_security_type", "vnc_security_type"),
                ("vnc.desktop_name", "vnc_desktop_name"),
            ] {
                if let Some(x) = field(v, name) {
                    out.push(pdu(format!("{key} {x}"), frame));
                }
            }
            let _ = fields(v, "vnc.security_type");
        }
    }
    out
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut out = Vec::new();
    for e in events {
        let frame = e["pcap_cnt"].as_u64().unwrap_or(0);
        let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
        match e["event_type"].as_str() {
            Some("http") => {
                let h = &e["http"];
                if h.get("http_method").is_some() {
                    out.push(pdu(
                        format!(
                            "http_request {} host={} uri={} ua={}",
                            s(&h["http_method"]),
                            s(&h["hostname"]),
                            s(&h["url"]),
                            s(&h["http_user_agent"])
                        ),
                        frame,
                    ));
                }
                if let Some(c) = h["status"].as_u64() {
                    out.push(pdu(
                        format!("http_response {c} server={}", s(&h["server"])),
                        frame,
                    ));
                }
            }
            Some("ftp") => {
                let f = &e["ftp"];
                let cmd = s(&f["command"]);
                if cmd != "greeting" {
                    out.push(pdu(
                        format!(
                            "ftp_command {} {}",
                            cmd.to_ascii_uppercase(),
                            s(&f["command_data"])
                        ),
                        frame,
                    ));
                }
                if let Some(c) = f["reply_code"].as_u64() {
                    out.push(pdu(format!("ftp_reply {c}"), frame));
                }
            }
            Some("ssh") => {
                for side in ["client", "server"] {
                    let x = &e["ssh"][side];
                    if x.is_object() {
                        let comments = x["comments"]
                            .as_str()
                            .map(|c| format!(" {c}"))
                            .unwrap_or_default();
                        out.push(pdu(
                            format!(
                                "ssh_ident SSH-{}-{}{comments}",
                                s(&x["proto_version"]),
                                s(&x["software_version"])
                            ),
                            frame,
                        ));
                    }
                }
            }
            Some("rdp") if e["rdp"]["event"] == "connection" => {
                let r = &e["rdp"];
                if let Some(p) = r["requested_protocols_raw"].as_u64() {
                    out.push(pdu(
                        format!("rdp_request cookie={} requested=0x{p:08x}", s(&r["cookie"])),
                        frame,
                    ));
                }
                if let Some(p) = r["selected_protocol_raw"].as_u64() {
                    out.push(pdu(format!("rdp_confirm selected=0x{p:08x}"), frame));
                }
            }
            Some("vnc") => {
                let v = &e["vnc"];
                for (k, key) in [
                    ("server_version", "vnc_server_version"),
                    ("client_version", "vnc_client_version"),
                    ("desktop_name", "vnc_desktop_name"),
                ] {
                    if let Some(x) = v[k].as_str() {
                        out.push(pdu(format!("{key} {x}"), frame));
                    }
                }
                if let Some(t) = v["security_type_raw"].as_u64() {
                    out.push(pdu(format!("vnc_security_type {t}"), frame));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn remote_access_messages_match_tshark() {
    let caps = captures_in(&[], &["http", "ftp", "ssh", "rdp", "vnc"]);
    let n = check("remote", &caps, EXPECTED, |cap, run| {
        (tshark_pdus(cap), skjold_pdus(&run.events))
    });
    if n > 0 {
        assert!(n >= 20, "too few messages compared: {n}");
    }
}
