//! Property tests for `skjold_proto::opcua`: arbitrary bytes and chunk-shaped bytes never make
//! the framer, the header parsers or the body decoder panic; the framer always makes progress
//! or asks for at least one byte.

use proptest::prelude::*;
use skjold_proto::opcua::{
    parse_ack, parse_body, parse_chunk, parse_error, parse_hello, parse_opn_header,
    parse_symmetric_header, probe, Detail, MAX_ITEMS,
};
use skjold_proto::ParseError;

fn all(data: &[u8]) {
    let _ = probe(data);
    if let Ok(b) = parse_body(data) {
        match b.detail {
            Detail::Nodes(v, _) => assert!(v.len() <= MAX_ITEMS),
            Detail::Endpoints(v, _) => assert!(v.len() <= MAX_ITEMS),
            _ => {}
        }
    }
    let mut input = data;
    loop {
        match parse_chunk(input) {
            Ok((rest, c)) => {
                assert!(rest.len() < input.len());
                let _ = parse_hello(c.body);
                let _ = parse_ack(c.body);
                let _ = parse_error(c.body);
                if let Ok(h) = parse_opn_header(c.body) {
                    let _ = parse_body(h.body);
                }
                if let Ok(h) = parse_symmetric_header(c.body) {
                    let _ = parse_body(h.body);
                }
                input = rest;
            }
            Err(ParseError::Incomplete(n)) => {
                assert!(n > 0);
                break;
            }
            Err(_) => break,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        all(&data);
    }

    #[test]
    fn chunk_shaped_bytes_never_panic(
        ty in prop::sample::select(vec![*b"HEL", *b"ACK", *b"ERR", *b"OPN", *b"MSG", *b"CLO"]),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut d = ty.to_vec();
        d.push(b'F');
        d.extend_from_slice(&(u32::try_from(body.len() + 8).unwrap_or(0)).to_le_bytes());
        d.extend_from_slice(&body);
        all(&d);
    }

    #[test]
    fn body_shaped_bytes_never_panic(
        svc in prop::sample::select(vec![446u16, 449, 431, 631, 673, 527]),
        tail in proptest::collection::vec(
            prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 0x80, 0xff, 0x0b, 0x16, 0x18, 0x19, 0x40]),
            0..200),
    ) {
        let mut d = vec![0x01, 0x00];
        d.extend_from_slice(&svc.to_le_bytes());
        d.extend_from_slice(&tail);
        all(&d);
    }
}
