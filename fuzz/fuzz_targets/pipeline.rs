//! Fuzz target: the whole `watch` pipeline on raw capture bytes — pcap/pcapng reading,
//! decoding, defragmentation, flow table, TCP reassembly, protocol detection, Modbus and MQTT
//! states, EVE writing and detection (every built-in detection, with an empty baseline so the
//! baseline detections run too) — in memory. The input is a capture file; to reach past the header
//! quickly, an input starting with byte 0xff gets a classic pcap header (Ethernet) prepended.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_detect::{Baseline, DetectConfig};
use skjold_watch::{run_bytes_with, LogMask};

fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((0xff, rest)) => {
            let mut b = vec![
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
            ];
            b.extend_from_slice(rest);
            b
        }
        _ => data.to_vec(),
    };
    let detect = DetectConfig {
        baseline: Some(Baseline {
            version: 1,
            ..Baseline::default()
        }),
        window_us: 60_000_000,
        ..DetectConfig::default()
    };
    let _ = run_bytes_with(bytes, LogMask::all(), Some(&detect));
});
