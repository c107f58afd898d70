//! Fuzz target: `skjold_proto::modbus::parse_adu` in the response direction (Modbus Application
//! Protocol V1.1b3 response layouts, exceptions, 43/14 device identification), as a stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::modbus::{parse_adu, Data};
use skjold_proto::{Direction, ParseError};

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    loop {
        match parse_adu(input, Direction::Response) {
            Ok((rest, adu)) => {
                assert!(rest.len() < input.len());
                let _ = adu.category();
                match adu.data {
                    Data::DeviceIdResponse(d) => {
                        for (_, v) in d.objects() {
                            let _ = v.len();
                        }
                    }
                    Data::FileRecordResponse(f) => {
                        for sub in f {
                            let _ = sub.data.len();
                        }
                    }
                    Data::FileRecords(f) => {
                        for sub in f {
                            let _ = sub.data.len();
                        }
                    }
                    _ => {}
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
