//! Fuzz target: every remote-access parser of `skjold_proto::remote` (Telnet tokens, FTP
//! lines/commands/replies, HTTP heads, chunk sizes and Basic credentials, SSH identification
//! and packet heads, RDP TPKT/X.224 request and confirm, RFB version, security offer and
//! ServerInit, TeamViewer heads) and their probes. The first byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::remote::{ftp, http, rdp, ssh, teamviewer, telnet, vnc};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, d)) = data.split_first() else {
        return;
    };
    match sel % 8 {
        0 => {
            let _ = telnet::probe(d);
            let mut rest = d;
            while let Ok((r, _)) = telnet::next_token(rest) {
                assert!(r.len() < rest.len());
                rest = r;
            }
            let _ = telnet::prompt_kind(d);
        }
        1 => {
            let _ = ftp::probe(d);
            let mut rest = d;
            while let Ok((r, line)) = ftp::next_line(rest) {
                let _ = ftp::parse_command(line);
                let _ = ftp::parse_reply(line);
                rest = r;
            }
        }
        2 => {
            let _ = http::probe(d);
            if let Ok((_, r)) = http::parse_request(d) {
                let _ = http::request_body(&r.headers);
                if let Some(a) = r.headers.authorization {
                    let _ = http::auth_scheme(a);
                    let _ = http::basic_user(a);
                }
            }
            if let Ok((_, r)) = http::parse_response(d) {
                let _ = http::response_body(Some(b"GET"), r.status, &r.headers);
            }
            let _ = http::parse_chunk_size(d);
            let _ = http::basic_user(d);
        }
        3 => {
            let _ = ssh::probe(d);
            let _ = ssh::find_ident(d);
            let _ = ssh::parse_packet_head(d);
        }
        4 => {
            let _ = rdp::probe(d);
            if let Ok((_, t)) = rdp::parse_tpkt(d) {
                let _ = rdp::parse_connection_request(t.data).map(|c| c.requested.map(|p| p.names()));
                let _ = rdp::parse_connection_confirm(t.data);
            }
        }
        5 => {
            let _ = vnc::probe(d);
            let _ = vnc::parse_version(d);
            for minor in [3, 7, 8] {
                let _ = vnc::parse_security_offer(d, minor);
            }
            let _ = vnc::parse_server_init(d);
        }
        6 => {
            let _ = teamviewer::parse_tcp(d);
            let _ = teamviewer::parse_udp(d);
        }
        _ => {
            let _ = skjold_proto::remote::split_line(d);
        }
    }
});
