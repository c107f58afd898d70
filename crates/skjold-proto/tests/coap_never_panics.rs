//! Property tests for `skjold_proto::coap`: arbitrary datagrams never make `parse_message` or
//! `probe` panic, a parsed message's option walk yields exactly `option_count` options, and
//! generated valid messages round-trip.

use proptest::prelude::*;
use skjold_proto::coap::{parse_message, probe, OptionNumber, MAX_OPTIONS};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = probe(&data);
        if let Ok(m) = parse_message(&data) {
            prop_assert_eq!(m.options().count(), m.option_count);
            prop_assert!(m.option_count <= MAX_OPTIONS);
        }
    }

    #[test]
    fn generated_messages_roundtrip(
        mid in any::<u16>(),
        token in proptest::collection::vec(any::<u8>(), 0..=8),
        segs in proptest::collection::vec("[a-z]{0,20}", 0..5),
        payload in proptest::collection::vec(any::<u8>(), 1..40),
    ) {
        let mut d = vec![0x40 | u8::try_from(token.len()).unwrap_or(0), 0x01];
        d.extend_from_slice(&mid.to_be_bytes());
        d.extend_from_slice(&token);
        let mut last = 0u16;
        for s in &segs {
            let delta = 11 - last;
            last = 11;
            let l = s.len();
            if l < 13 {
                d.push((u8::try_from(delta).unwrap_or(0) << 4) | u8::try_from(l).unwrap_or(0));
            } else {
                d.push((u8::try_from(delta).unwrap_or(0) << 4) | 0x0d);
                d.push(u8::try_from(l - 13).unwrap_or(0));
            }
            d.extend_from_slice(s.as_bytes());
        }
        d.push(0xff);
        d.extend_from_slice(&payload);
        let m = parse_message(&d).expect("valid message");
        prop_assert_eq!(m.message_id, mid);
        prop_assert_eq!(m.token, &token[..]);
        prop_assert_eq!(m.payload, &payload[..]);
        let got: Vec<&[u8]> = m.options().filter(|o| o.number == OptionNumber::URI_PATH).map(|o| o.value).collect();
        let want: Vec<&[u8]> = segs.iter().map(String::as_bytes).collect();
        prop_assert_eq!(got, want);
    }
}
