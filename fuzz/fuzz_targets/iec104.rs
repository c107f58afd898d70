//! Fuzz target: `skjold_proto::iec104` (IEC 60870-5-104 APCI, IEC 60870-5-101 ASDU): `probe`,
//! `parse_apdu` as a stream, `parse_asdu`, the information objects and `decode` of every
//! element (also on the raw input as one ASDU).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::iec104::{decode, objects, parse_apdu, parse_asdu, probe};
use skjold_proto::ParseError;

fn asdu(data: &[u8]) {
    if let Ok(a) = parse_asdu(data) {
        let _ = (a.header.type_id.name(), a.header.cot.name());
        if let Ok((objs, _)) = objects(&a) {
            let mut n = 0usize;
            for o in objs {
                n += 1;
                assert!(n <= 127);
                if let Some(e) = decode(a.header.type_id, o.element) {
                    let _ = e.time.map(|t| t.text());
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    asdu(data);
    let mut input = data;
    while !input.is_empty() {
        match parse_apdu(input) {
            Ok((rest, apdu)) => {
                assert!(rest.len() < input.len());
                let _ = apdu.anomaly();
                asdu(apdu.asdu);
                input = rest;
            }
            Err(ParseError::Incomplete(_)) => break,
            Err(_) => input = input.get(1..).unwrap_or_default(),
        }
    }
});
