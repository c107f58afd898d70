//! Property tests: the whole pipeline never panics, whatever the capture bytes — random
//! records after a valid pcap header, and real captures with random bytes flipped.

use proptest::prelude::*;
use skjold_watch::{run_bytes, LogMask};

/// A classic pcap header (microseconds, Ethernet, snaplen 65535).
fn header(linktype: u8) -> Vec<u8> {
    vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, linktype, 0,
        0, 0,
    ]
}

/// One pcap record header for `len` bytes.
fn record(ts: u32, len: usize) -> Vec<u8> {
    let l = (len as u32).to_le_bytes();
    let t = ts.to_le_bytes();
    [t, [0; 4], l, l].concat()
}

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name);
    std::fs::read(p).expect("fixture")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_frames_after_a_valid_header(lt in prop::sample::select(vec![0u8, 1, 101, 113]),
                                          frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20)) {
        let mut b = header(lt);
        for (i, f) in frames.iter().enumerate() {
            b.extend(record(i as u32, f.len()));
            b.extend_from_slice(f);
        }
        let (stats, _) = run_bytes(b, LogMask::all()).unwrap();
        prop_assert_eq!(stats.packets, frames.len() as u64);
    }

    #[test]
    fn real_captures_with_flipped_bytes(which in 0usize..4, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40)) {
        let name = ["pymodbus-loopback.pcap", "mosquitto-loopback.pcap", "jumbo-snaplen65535.pcap", "unknown-block.pcapng"][which];
        let mut b = fixture(name);
        for (i, v) in flips {
            // Keep the 4-byte magic so the input is still taken as a capture.
            let at = 4 + i.index(b.len() - 4);
            b[at] ^= v;
        }
        let _ = run_bytes(b, LogMask::all());
    }

    #[test]
    fn real_captures_cut_anywhere(which in 0usize..3, cut in any::<prop::sample::Index>()) {
        let name = ["pymodbus-loopback.pcap", "modbus-gap-mid-pdu.pcap", "ipv4-fragments-mqtt.pcap"][which];
        let b = fixture(name);
        let n = 4 + cut.index(b.len() - 4);
        let _ = run_bytes(b[..n].to_vec(), LogMask::all());
    }
}
