//! Fuzz target: `skjold_proto::bacnet` (BACnet/IP): one datagram through `probe`, `parse_bvlc`,
//! `parse_npdu`, `parse_apdu` and `decode_service`, and the raw input through the tag reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::bacnet::{
    decode_service, parse_apdu, parse_bvlc, parse_npdu, probe, Service, TagReader,
};

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    let mut t = TagReader::new(data);
    while let Ok(Some(_)) = t.read() {}
    // Also decode the input directly as an APDU (most of the grammar is there).
    for apdu in [
        Some(data),
        parse_bvlc(data)
            .ok()
            .and_then(|b| b.npdu)
            .and_then(|n| parse_npdu(n).ok())
            .map(|n| n.payload),
    ]
    .into_iter()
    .flatten()
    {
        if let Ok(a) = parse_apdu(apdu) {
            if let Ok(s) = decode_service(&a) {
                if let Service::ReadPropertyMultipleAck(v, _) = s {
                    for p in v {
                        if let Some(v) = p.value {
                            let _ = v.text(64);
                        }
                    }
                }
            }
        }
    }
});
