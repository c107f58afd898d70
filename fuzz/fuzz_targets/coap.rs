//! Fuzz target: `skjold_proto::coap` (CoAP over UDP): one datagram through `probe` and
//! `parse_message`, walking every option.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::coap::{parse_message, probe, Block};

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    if let Ok(m) = parse_message(data) {
        let n = m.options().count();
        assert_eq!(n, m.option_count);
        for o in m.options() {
            if let Some(v) = o.uint() {
                let _ = Block::from_uint(v).size();
            }
            let _ = o.number.name();
        }
        let _ = m.code.name();
    }
});
