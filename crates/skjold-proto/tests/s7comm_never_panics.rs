//! Property tests: arbitrary bytes never make the TPKT/COTP/S7comm/S7comm-plus parsers panic,
//! framing always makes progress or asks for at least one byte, parsed parts stay inside the
//! input, and item counts respect the limit.

use proptest::prelude::*;
use skjold_proto::s7comm::{
    data_items, parse_block_name, parse_component_id, parse_cotp, parse_module_id, parse_s7,
    parse_s7plus, parse_szl, parse_tpkt, parse_userdata_data, Param, MAX_ITEMS,
};
use skjold_proto::ParseError;

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn tpkt_stream_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut input = &data[..];
        loop {
            match parse_tpkt(input) {
                Ok((rest, tpdu)) => {
                    prop_assert!(rest.len() + 7 <= input.len());
                    if let Ok(c) = parse_cotp(tpdu) {
                        prop_assert!(c.data.len() < tpdu.len());
                        let _ = c.param(0xc2);
                    }
                    input = rest;
                }
                Err(ParseError::Incomplete(n)) => { prop_assert!(n > 0); break; }
                Err(_) => break,
            }
        }
    }

    #[test]
    fn s7_pdu_never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..400), ros in 0u8..8) {
        if data.len() > 1 { data[0] = 0x32; data[1] = ros; }
        if let Ok(p) = parse_s7(&data) {
            prop_assert!(p.param_bytes.len() + p.data.len() <= data.len());
            if let Param::ReadWrite { count, items } = &p.param {
                prop_assert!(items.len() <= MAX_ITEMS);
                let (d, _) = data_items(p.data, *count);
                prop_assert!(d.len() <= MAX_ITEMS);
            }
            if let Param::Block { filename: Some(f), .. } = &p.param {
                let _ = parse_block_name(f);
            }
            if let Some(u) = parse_userdata_data(p.data) {
                prop_assert!(u.payload.len() <= p.data.len());
                if let Some(s) = parse_szl(u.payload) {
                    for r in s.iter() {
                        let _ = parse_module_id(r);
                        let _ = parse_component_id(r);
                    }
                }
            }
        }
    }

    #[test]
    fn s7plus_never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200)) {
        if !data.is_empty() { data[0] = 0x72; }
        let _ = parse_s7plus(&data);
    }
}
