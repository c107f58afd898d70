//! Property tests: no IEC-104 entry point panics, and each keeps its progress contract, on
//! arbitrary input and on well-framed APDUs with arbitrary ASDUs.

use proptest::prelude::*;
use skjold_proto::iec104::{decode, objects, parse_apdu, parse_asdu, probe, Apci};
use skjold_proto::{ParseError, Probe};

fn asdu(data: &[u8]) {
    if let Ok(a) = parse_asdu(data) {
        if let Ok((objs, ok)) = objects(&a) {
            let n = objs
                .map(|o| {
                    let _ = decode(a.header.type_id, o.element).map(|e| e.time.map(|t| t.text()));
                })
                .count();
            assert!(n <= usize::from(a.header.count));
            if ok {
                assert_eq!(n, usize::from(a.header.count));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = probe(&data);
        asdu(&data);
        match parse_apdu(&data) {
            Ok((rest, apdu)) => {
                prop_assert!(rest.len() < data.len());
                prop_assert_eq!(apdu.asdu.len() + 4, usize::from(apdu.length));
                asdu(apdu.asdu);
            }
            Err(ParseError::Incomplete(n)) => prop_assert!(n > 0 && n <= 253),
            Err(_) => {}
        }
    }

    #[test]
    fn framed_apdus(body in proptest::collection::vec(any::<u8>(), 4..254)) {
        let mut b = vec![0x68, body.len() as u8];
        b.extend_from_slice(&body);
        let (rest, apdu) = parse_apdu(&b).unwrap();
        prop_assert!(rest.is_empty());
        if let Apci::I { .. } = apdu.apci {
            asdu(apdu.asdu);
        }
        // A probe that says Yes on a framed APDU agrees with the parser.
        if probe(&b) == Probe::Yes {
            let is_i = matches!(apdu.apci, Apci::I { .. });
            prop_assert!(apdu.anomaly().is_none() || is_i);
        }
    }
}
