//! Property tests: no DNP3 entry point panics, and each keeps its progress contract, on
//! arbitrary input and on valid frames with arbitrary user data.

use proptest::prelude::*;
use skjold_proto::dnp3::{
    build_frame, objects, parse_app, parse_frame, probe, FunctionCode, Push, Reassembler,
    MAX_FRAGMENT_LEN, MAX_FRAME_LEN, MAX_USER_DATA,
};
use skjold_proto::ParseError;

fn walk(fragment: &[u8]) -> usize {
    let Ok((app, objs)) = parse_app(fragment) else {
        return 0;
    };
    let n = objects(app.function, objs).count();
    // Every header consumes at least 3 octets.
    assert!(n <= objs.len() / 3 + 1);
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = probe(&data);
        walk(&data);
        match parse_frame(&data) {
            Ok((rest, f)) => {
                prop_assert!(rest.len() < data.len());
                let mut user = [0u8; MAX_USER_DATA];
                prop_assert_eq!(f.user_data(&mut user), f.user_data_len());
            }
            Err(ParseError::Incomplete(n)) => prop_assert!(n > 0 && n <= MAX_FRAME_LEN),
            Err(_) => {}
        }
    }

    #[test]
    fn valid_frames_with_arbitrary_user_data(
        segs in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..250)), 1..20),
        function in any::<u8>(),
    ) {
        let mut reasm = Reassembler::new();
        let mut out = [0u8; MAX_FRAME_LEN];
        for (ctl, user) in &segs {
            let n = build_frame(*ctl, 1, 2, user, &mut out);
            let (rest, f) = parse_frame(&out[..n]).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(f.bad_crcs, 0);
            let mut u = [0u8; MAX_USER_DATA];
            let k = f.user_data(&mut u);
            prop_assert_eq!(&u[..k], user.as_slice());
            if let Push::Complete = reasm.push(user) {
                prop_assert!(reasm.fragment().len() <= MAX_FRAGMENT_LEN);
                walk(reasm.fragment());
            }
        }
        let all: Vec<u8> = segs.iter().flat_map(|s| s.1.iter().copied()).collect();
        let _ = objects(FunctionCode(function), &all).count();
    }
}
