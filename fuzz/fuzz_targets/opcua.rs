//! Fuzz target: `skjold_proto::opcua` (OPC UA binary): the input as a stream of chunks through
//! `probe`, `parse_chunk` and, per message type, the header parsers and `parse_body`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::opcua::{
    parse_ack, parse_body, parse_chunk, parse_error, parse_hello, parse_opn_header,
    parse_reverse_hello, parse_symmetric_header, probe,
};

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    // The raw input as a plaintext body too (the deepest grammar).
    let _ = parse_body(data);
    let mut input = data;
    while let Ok((rest, c)) = parse_chunk(input) {
        assert!(rest.len() < input.len());
        match &c.msg_type.0 {
            b"HEL" => drop(parse_hello(c.body)),
            b"ACK" => drop(parse_ack(c.body)),
            b"ERR" => drop(parse_error(c.body)),
            b"RHE" => drop(parse_reverse_hello(c.body)),
            b"OPN" => {
                if let Ok(h) = parse_opn_header(c.body) {
                    let _ = parse_body(h.body);
                }
            }
            _ => {
                if let Ok(h) = parse_symmetric_header(c.body) {
                    let _ = parse_body(h.body);
                }
            }
        }
        input = rest;
    }
});
