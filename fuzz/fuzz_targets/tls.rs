//! Fuzz target: `skjold_proto::tls` — record framing and handshake reassembly across records
//! (the input is cut into records at its own record headers), ClientHello/ServerHello parsing,
//! JA4, and the certificate list and leaf-certificate summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::tls::{self, Defragmenter, HandshakeType, Ja4Transport};

fuzz_target!(|data: &[u8]| {
    let _ = tls::probe(data);
    let _ = tls::certificate_summary(data);
    let mut defrag = Defragmenter::default();
    let mut input = data;
    while let Ok(hdr) = tls::parse_record_header(input) {
        let Some(body) = input.get(tls::RECORD_HEADER_LEN..tls::RECORD_HEADER_LEN + hdr.len) else {
            break;
        };
        let _ = defrag.push(body, |m| match m.msg_type {
            HandshakeType::CLIENT_HELLO => {
                if let Ok(ch) = tls::parse_client_hello(m.body) {
                    let j = tls::ja4(&ch, Ja4Transport::Tcp);
                    assert_eq!(j.len(), 36);
                }
            }
            HandshakeType::SERVER_HELLO => {
                let _ = tls::parse_server_hello(m.body);
            }
            HandshakeType::CERTIFICATE => {
                if let Ok(chain) = tls::parse_certificate_list(m.body) {
                    for c in chain {
                        let _ = tls::certificate_summary(c);
                    }
                }
            }
            _ => {}
        });
        assert!(defrag.buffered() <= tls::MAX_HANDSHAKE_MESSAGE);
        input = &input[tls::RECORD_HEADER_LEN + hdr.len..];
    }
});
