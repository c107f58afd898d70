//! Fuzz target: `skjold_proto::modbus::parse_adu` in the request direction (Modbus Application
//! Protocol V1.1b3 request layouts), as a stream of ADUs, plus `probe`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::modbus::{parse_adu, probe, Data};
use skjold_proto::{Direction, ParseError};

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    let mut input = data;
    loop {
        match parse_adu(input, Direction::Request) {
            Ok((rest, adu)) => {
                assert!(rest.len() < input.len());
                let _ = adu.category();
                let _ = adu.flags.sawp_text();
                if let Data::FileRecords(f) = adu.data {
                    for sub in f {
                        let _ = sub.data.len();
                    }
                }
                input = rest;
            }
            Err(ParseError::Malformed { len, .. }) => {
                assert!(len > 0);
                input = input.get(len..).unwrap_or_default();
            }
            Err(_) => break,
        }
    }
});
