//! No-panic properties of every `skjold_proto::remote` parser on arbitrary bytes.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use proptest::prelude::*;
use skjold_proto::remote::{ftp, http, rdp, ssh, teamviewer, telnet, vnc};

proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let d = &data[..];
        let mut rest = d;
        while let Ok((r, _)) = telnet::next_token(rest) {
            prop_assert!(r.len() < rest.len());
            rest = r;
        }
        let _ = telnet::probe(d);
        let _ = telnet::prompt_kind(d);
        let _ = ftp::probe(d);
        let _ = ftp::parse_command(d);
        let _ = ftp::parse_reply(d);
        let _ = http::probe(d);
        let _ = http::parse_request(d);
        let _ = http::parse_response(d);
        let _ = http::parse_chunk_size(d);
        let _ = http::basic_user(d);
        let _ = ssh::probe(d);
        let _ = ssh::find_ident(d);
        let _ = ssh::parse_packet_head(d);
        let _ = rdp::probe(d);
        if let Ok((_, t)) = rdp::parse_tpkt(d) {
            let _ = rdp::parse_connection_request(t.data);
            let _ = rdp::parse_connection_confirm(t.data);
        }
        let _ = rdp::parse_connection_request(d);
        let _ = vnc::probe(d);
        let _ = vnc::parse_version(d);
        let _ = vnc::parse_security_offer(d, 3);
        let _ = vnc::parse_security_offer(d, 8);
        let _ = vnc::parse_server_init(d);
        let _ = teamviewer::parse_tcp(d);
        let _ = teamviewer::parse_udp(d);
    }

    #[test]
    fn text_protocols_with_text_input(s in "[ -~\r\n]{0,300}") {
        let d = s.as_bytes();
        let _ = http::parse_request(d);
        let _ = http::parse_response(d);
        let _ = http::probe(d);
        let _ = ftp::probe(d);
        let _ = ssh::find_ident(d);
    }
}
