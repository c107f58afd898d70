//! Fuzz target: `skjold_proto::mqtt` (MQTT 3.1, 3.1.1 and 5.0): the first byte picks the
//! protocol level and a small packet limit, the rest is parsed as a stream of packets with
//! `parse_packet`, `parse_publish_head` for oversized ones, and `probe`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::mqtt::{parse_packet, parse_publish_head, probe, Body};
use skjold_proto::ParseError;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut input)) = data.split_first() else {
        return;
    };
    let level = 3 + (sel % 3);
    let limit = if sel & 0x80 != 0 { 64 } else { 1 << 18 };
    let _ = probe(input);
    loop {
        match parse_packet(input, level, limit) {
            Ok((rest, p)) => {
                assert!(rest.len() < input.len());
                let _ = p.flags.names().count();
                match p.body {
                    Body::Connect(c) => {
                        let _ = c.properties.iter().count();
                        if let Some(w) = c.will {
                            let _ = w.properties.iter().count();
                        }
                    }
                    Body::Publish(pb) => {
                        let _ = pb.properties.iter().count();
                    }
                    Body::Subscribe(s) => {
                        let _ = s.filters.into_iter().count();
                    }
                    Body::Unsubscribe(u) => {
                        let _ = u.topics.into_iter().count();
                    }
                    Body::Disconnect(r) | Body::Auth(r) => {
                        let _ = r.properties.iter().count();
                    }
                    _ => {}
                }
                input = rest;
            }
            Err(ParseError::TooLarge { len, limit: l }) => {
                assert!(len > l);
                if let Ok(h) = parse_publish_head(input, level) {
                    assert!(h.publish.payload.len() <= h.payload_len);
                    let _ = h.publish.properties.iter().count();
                }
                input = input.get(len..).unwrap_or_default();
            }
            Err(ParseError::Malformed { len, .. }) => {
                input = input.get(len..).unwrap_or_default();
            }
            Err(_) => break,
        }
        if input.is_empty() {
            break;
        }
    }
});
