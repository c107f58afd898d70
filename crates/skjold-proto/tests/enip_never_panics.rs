//! Property tests: arbitrary bytes never make the EtherNet/IP or CIP parsers panic, framing
//! makes progress or asks for at least one byte, and embedded-message counts and nesting stay
//! within the limits.

use proptest::prelude::*;
use skjold_proto::enip::{
    parse_cip, parse_cpf, parse_encap, parse_identity, parse_path, parse_send_data,
    parse_service_info, plausible_header, Cip, MAX_DEPTH, MAX_ITEMS, MAX_SEGMENTS, MAX_SERVICES,
};
use skjold_proto::ParseError;

fn depth(c: &Cip<'_>) -> usize {
    assert!(c.embedded.len() <= MAX_SERVICES);
    1 + c.embedded.iter().map(depth).max().unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn encap_stream_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut input = &data[..];
        let _ = plausible_header(input);
        loop {
            match parse_encap(input) {
                Ok((rest, m)) => {
                    prop_assert!(rest.len() + 24 <= input.len());
                    if let Some(c) = parse_cpf(m.data) {
                        prop_assert!(c.items.len() <= MAX_ITEMS);
                        for it in &c.items {
                            let _ = parse_identity(it.data);
                            let _ = parse_service_info(it.data);
                        }
                    }
                    if let Some((_, _, c)) = parse_send_data(m.data) {
                        for it in &c.items {
                            if let Some(cip) = parse_cip(it.data) {
                                prop_assert!(depth(&cip) <= MAX_DEPTH + 1);
                            }
                        }
                    }
                    input = rest;
                }
                Err(ParseError::Incomplete(n)) => { prop_assert!(n > 0); break; }
                Err(_) => break,
            }
        }
    }

    #[test]
    fn cip_never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..400), sc in prop::sample::select(vec![0x0au8, 0x8a, 0x52, 0x4c, 0x0e])) {
        if !data.is_empty() { data[0] = sc; }
        if let Some(c) = parse_cip(&data) {
            prop_assert!(depth(&c) <= MAX_DEPTH + 1);
            prop_assert!(c.path.segments.len() <= MAX_SEGMENTS);
        }
        let p = parse_path(&data);
        prop_assert!(p.segments.len() <= MAX_SEGMENTS);
    }
}
