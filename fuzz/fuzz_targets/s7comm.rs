//! Fuzz target: `skjold_proto::s7comm` entry points — TPKT framing, COTP, S7comm (header,
//! parameters, data items, userdata, SZL records, block names) and S7comm-plus headers. The
//! first byte chooses whether the input is a TPKT stream or one bare TSDU.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::s7comm::{
    data_items, parse_block_name, parse_component_id, parse_cotp, parse_module_id, parse_s7,
    parse_s7plus, parse_szl, parse_tpkt, parse_userdata_data, Param,
};

fn tsdu(t: &[u8]) {
    let _ = parse_s7plus(t);
    if let Ok(p) = parse_s7(t) {
        assert!(p.param_bytes.len() + p.data.len() <= t.len());
        match &p.param {
            Param::ReadWrite { count, items } => {
                assert!(items.len() <= skjold_proto::s7comm::MAX_ITEMS);
                let (d, _) = data_items(p.data, *count);
                assert!(d.len() <= skjold_proto::s7comm::MAX_ITEMS);
            }
            Param::Block {
                filename: Some(f), ..
            } => {
                let _ = parse_block_name(f);
            }
            Param::Pi { blocks, .. } => {
                for b in blocks {
                    let _ = parse_block_name(b);
                }
            }
            _ => {}
        }
        if let Some(u) = parse_userdata_data(p.data) {
            if let Some(s) = parse_szl(u.payload) {
                for r in s.iter() {
                    let _ = parse_module_id(r);
                    let _ = parse_component_id(r);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    if sel & 1 == 0 {
        tsdu(rest);
        return;
    }
    let mut input = rest;
    while let Ok((after, tpdu)) = parse_tpkt(input) {
        assert!(after.len() < input.len());
        if let Ok(c) = parse_cotp(tpdu) {
            let _ = c.param(0xc1);
            let _ = skjold_proto::s7comm::is_rdp_connection_request(&c);
            tsdu(c.data);
        }
        input = after;
    }
});
