//! Property tests for `skjold_proto::bacnet`: arbitrary bytes and BVLC/NPDU/APDU-shaped bytes
//! never make a layer parser, the tag reader or the service decoder panic; the tag reader never
//! nests deeper than `MAX_DEPTH` and always ends.

use proptest::prelude::*;
use skjold_proto::bacnet::{
    decode_service, parse_apdu, parse_bvlc, parse_npdu, probe, Service, TagReader, MAX_DEPTH,
    MAX_ITEMS,
};

fn all_layers(data: &[u8]) {
    let _ = probe(data);
    if let Ok(b) = parse_bvlc(data) {
        if let Some(n) = b.npdu.and_then(|n| parse_npdu(n).ok()) {
            if let Ok(a) = parse_apdu(n.payload) {
                let _ = decode_service(&a);
            }
        }
    }
    if let Ok(a) = parse_apdu(data) {
        match decode_service(&a) {
            Ok(Service::ReadPropertyMultiple(v, _)) => assert!(v.len() <= MAX_ITEMS),
            Ok(Service::ReadPropertyMultipleAck(v, _)) => {
                assert!(v.len() <= MAX_ITEMS);
                for p in v {
                    if let Some(x) = p.value {
                        let _ = x.text(16);
                    }
                }
            }
            _ => {}
        }
    }
    let mut t = TagReader::new(data);
    let mut n = 0;
    while let Ok(Some(_)) = t.read() {
        assert!(t.depth() <= MAX_DEPTH);
        n += 1;
        assert!(n <= data.len(), "tag reader did not advance");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        all_layers(&data);
    }

    #[test]
    fn bvlc_shaped_bytes_never_panic(
        function in 0u8..13,
        control in prop::sample::select(vec![0u8, 4, 0x20, 0x08, 0x28, 0x80, 0xa0]),
        apdu_head in any::<u8>(),
        tail in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut d = vec![0x81, function, 0, 0, 1, control, apdu_head];
        d.extend_from_slice(&tail);
        let len = u16::try_from(d.len()).unwrap_or(u16::MAX).to_be_bytes();
        d[2] = len[0];
        d[3] = len[1];
        all_layers(&d);
    }

    #[test]
    fn service_shaped_bytes_never_panic(
        pdu in prop::sample::select(vec![0x00u8, 0x10, 0x30, 0x50]),
        service in prop::sample::select(vec![0u8, 1, 7, 8, 12, 14, 15, 17, 20]),
        tags in proptest::collection::vec(
            prop::sample::select(vec![0x09u8, 0x0c, 0x19, 0x1e, 0x1f, 0x29, 0x3e, 0x3f, 0x4e, 0x4f,
                0x5e, 0x5f, 0x75, 0x91, 0x21, 0xc4, 0x22, 0x08, 0x00, 0x01]),
            0..60),
    ) {
        let mut d = match pdu {
            0x00 => vec![0x00, 0x05, 0x01, service],
            0x10 => vec![0x10, service],
            _ => vec![pdu, 0x01, service],
        };
        d.extend_from_slice(&tags);
        all_layers(&d);
    }
}
