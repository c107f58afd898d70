//! Fuzz target: `skjold_proto::enip` entry points — encapsulation framing, Common Packet
//! Format, ListIdentity/ListServices items, CIP messages (paths, Multiple Service Packet,
//! Unconnected Send). The first byte chooses a stream of encapsulation messages or one bare
//! CIP message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::enip::{
    parse_cip, parse_cpf, parse_encap, parse_identity, parse_path, parse_send_data,
    parse_service_info, plausible_header, Cip, ItemType, MAX_DEPTH, MAX_SERVICES,
};

fn depth(c: &Cip<'_>) -> usize {
    assert!(c.embedded.len() <= MAX_SERVICES);
    1 + c.embedded.iter().map(depth).max().unwrap_or(0)
}

fn cip(m: &[u8]) {
    if let Some(c) = parse_cip(m) {
        assert!(depth(&c) <= MAX_DEPTH + 1);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 3 {
        0 => cip(rest),
        1 => {
            let _ = parse_path(rest);
        }
        _ => {
            let mut input = rest;
            let _ = plausible_header(input);
            while let Ok((after, m)) = parse_encap(input) {
                assert!(after.len() < input.len());
                if let Some(cpf) = parse_cpf(m.data) {
                    if let Some(d) = cpf.item(ItemType::IDENTITY) {
                        let _ = parse_identity(d);
                    }
                    if let Some(d) = cpf.item(ItemType::SERVICES) {
                        let _ = parse_service_info(d);
                    }
                }
                if let Some((_, _, cpf)) = parse_send_data(m.data) {
                    for it in &cpf.items {
                        cip(it.data);
                        cip(it.data.get(2..).unwrap_or_default());
                    }
                }
                input = after;
            }
        }
    }
});
