//! Fuzz target: every DNP3 entry point of `skjold_proto::dnp3` (IEEE 1815-2012): `probe`, link
//! frames (`parse_frame`, header and data-block CRCs), transport reassembly (`Reassembler`)
//! over the frames' user data, and the application layer (`parse_app`, `objects`) on each
//! reassembled fragment and on the raw input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_proto::dnp3::{
    objects, parse_app, parse_frame, probe, Push, Reassembler, MAX_FRAGMENT_LEN, MAX_USER_DATA,
};
use skjold_proto::ParseError;

fn walk(fragment: &[u8]) {
    if let Ok((app, objs)) = parse_app(fragment) {
        let _ = app.function.name();
        let _ = app.iin.map(|i| i.names().count());
        let mut it = objects(app.function, objs);
        let mut n = 0usize;
        while let Some(o) = it.next() {
            n += 1;
            assert!(n <= fragment.len(), "each header consumes octets");
            if let Ok(o) = o {
                let _ = o.header.quantity();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    walk(data);
    let mut reasm = Reassembler::new();
    let mut input = data;
    let mut user = [0u8; MAX_USER_DATA];
    loop {
        match parse_frame(input) {
            Ok((rest, frame)) => {
                assert!(rest.len() < input.len());
                let n = frame.user_data(&mut user);
                assert!(n <= MAX_USER_DATA);
                if let Push::Complete = reasm.push(&user[..n]) {
                    assert!(reasm.fragment().len() <= MAX_FRAGMENT_LEN);
                    walk(reasm.fragment());
                }
                input = rest;
            }
            Err(ParseError::Incomplete(_)) => break,
            Err(_) => input = input.get(1..).unwrap_or_default(),
        }
        if input.is_empty() {
            break;
        }
    }
});
