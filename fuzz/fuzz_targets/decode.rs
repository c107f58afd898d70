//! Fuzz target: `skjold_net::decode` (link, IP and transport decoding) for every supported
//! link type — the first byte picks the link type, the rest is the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_net::decode::{decode, transport, Net};

const LINKTYPES: [u32; 9] = [0, 1, 12, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LINKTYPES[usize::from(sel) % LINKTYPES.len()];
    if let Ok(d) = decode(lt, frame) {
        if let Net::Ip(ip) = d.net {
            assert!(ip.payload.len() <= frame.len());
            let _ = transport(ip.proto, ip.payload);
        }
    }
});
