//! Generates small captures and checks them the way a reader would: pcap headers,
//! exact record counts, time order, IPv4/TCP checksums, TCP sequence continuity
//! per direction, real vendor OUIs, and determinism from the seed.

use std::collections::HashMap;

use skjold_synth::{write_pcap, Config, Generator, Mix, Role, SynthError};

fn generate(config: &Config) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = write_pcap(config, &mut out).expect("generation succeeds");
    assert_eq!(summary.packets, config.packets);
    out
}

fn u16be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32be(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn ones_complement_sum(data: &[u8], mut sum: u32) -> u16 {
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    sum as u16
}

/// (timestamp µs, frame) for each record; asserts the global header.
fn records(pcap: &[u8]) -> Vec<(u64, &[u8])> {
    assert_eq!(u32le(pcap, 0), 0xA1B2_C3D4, "magic");
    assert_eq!(&pcap[4..8], &[2, 0, 4, 0], "version 2.4");
    assert_eq!(u32le(pcap, 16), 65_535, "snaplen");
    assert_eq!(u32le(pcap, 20), 1, "linktype Ethernet");
    let mut out = Vec::new();
    let mut at = 24;
    while at < pcap.len() {
        let secs = u64::from(u32le(pcap, at));
        let usecs = u64::from(u32le(pcap, at + 4));
        assert!(usecs < 1_000_000);
        let incl = u32le(pcap, at + 8) as usize;
        assert_eq!(incl as u32, u32le(pcap, at + 12), "captured whole");
        out.push((secs * 1_000_000 + usecs, &pcap[at + 16..at + 16 + incl]));
        at += 16 + incl;
    }
    assert_eq!(at, pcap.len(), "no trailing bytes");
    out
}

#[test]
fn small_capture_has_exact_count_valid_headers_and_checksums() {
    let config = Config {
        packets: 5_000,
        devices: 12,
        seed: 7,
        mix: Mix::default(),
    };
    let pcap = generate(&config);
    let recs = records(&pcap);
    assert_eq!(recs.len(), 5_000);
    let (mut modbus, mut mqtt) = (0, 0);
    // Next expected sequence number per direction (src ip, src port, dst ip, dst port).
    let mut next_seq: HashMap<([u8; 4], u16, [u8; 4], u16), u32> = HashMap::new();
    let (mut syns, mut fins) = (0, 0);
    let mut last_ts = 0;
    for (ts, f) in &recs {
        assert!(*ts >= last_ts, "time order");
        last_ts = *ts;
        assert!(f.len() >= 60);
        assert_eq!(u16be(f, 12), 0x0800, "IPv4");
        let ip = &f[14..];
        assert_eq!(ip[0], 0x45);
        let total = usize::from(u16be(ip, 2));
        assert!(14 + total <= f.len());
        assert!(
            f.len() == 14 + total || f.len() == 60,
            "padding only up to 60"
        );
        assert_eq!(ones_complement_sum(&ip[..20], 0), 0xFFFF, "IPv4 checksum");
        assert_eq!(ip[9], 6);
        let src: [u8; 4] = ip[12..16].try_into().unwrap();
        let dst: [u8; 4] = ip[16..20].try_into().unwrap();
        assert_eq!(src[..2], [10, 10]);
        let tcp = &ip[20..total];
        let pseudo = ones_complement_sum(&ip[12..20], 6 + tcp.len() as u32);
        assert_eq!(
            ones_complement_sum(tcp, u32::from(pseudo)),
            0xFFFF,
            "TCP checksum"
        );
        let (sport, dport) = (u16be(tcp, 0), u16be(tcp, 2));
        let hlen = usize::from(tcp[12] >> 4) * 4;
        let flags = tcp[13];
        let payload = &tcp[hlen..];
        let seq = u32be(tcp, 4);
        let key = (src, sport, dst, dport);
        if flags & 0x02 != 0 {
            syns += 1;
            assert!(!next_seq.contains_key(&key), "one SYN per direction");
        } else {
            assert_eq!(next_seq.get(&key), Some(&seq), "sequence continuity");
        }
        fins += u32::from(flags & 0x01 != 0);
        let used = payload.len() as u32 + u32::from(flags & 0x03 != 0);
        next_seq.insert(key, seq.wrapping_add(used));
        if payload.is_empty() {
            continue;
        }
        if sport == 502 || dport == 502 {
            // MBAP: protocol 0, length counts unit id + PDU, exactly one ADU per segment.
            assert_eq!(u16be(payload, 2), 0);
            assert_eq!(usize::from(u16be(payload, 4)) + 6, payload.len());
            modbus += 1;
        } else {
            assert!(sport == 1883 || dport == 1883);
            let kind = payload[0] >> 4;
            assert!((1..=14).contains(&kind), "MQTT packet type {kind}");
            mqtt += 1;
        }
    }
    assert!(modbus > 1_000, "{modbus}");
    assert!(mqtt > 50, "{mqtt}");
    // Every session was opened by both sides and closed by both sides.
    assert_eq!(syns % 2, 0);
    assert_eq!(fins, syns, "each direction that opened also closed");
}

#[test]
fn exact_count_for_many_targets() {
    for packets in [12, 13, 20, 37, 101, 999, 2_003] {
        for seed in 0..4 {
            let config = Config {
                packets,
                devices: 5,
                seed,
                ..Config::default()
            };
            let mut gen = Generator::new(&config).unwrap();
            let mut n = 0;
            while gen.next_frame().is_some() {
                n += 1;
            }
            assert_eq!(n, packets, "packets {packets} seed {seed}");
        }
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let c = Config {
        packets: 2_000,
        ..Config::default()
    };
    let a = generate(&c);
    assert_eq!(a, generate(&c));
    assert_ne!(a, generate(&Config { seed: 2, ..c }));
}

#[test]
fn hosts_use_real_vendor_ouis_and_distinct_addresses() {
    let gen = Generator::new(&Config {
        devices: 200,
        ..Config::default()
    })
    .unwrap();
    let hosts = gen.hosts();
    let mut macs: Vec<_> = hosts.iter().map(|h| h.mac).collect();
    let mut ips: Vec<_> = hosts.iter().map(|h| h.ip).collect();
    macs.sort_unstable();
    macs.dedup();
    ips.sort_unstable();
    ips.dedup();
    assert_eq!(macs.len(), hosts.len());
    assert_eq!(ips.len(), hosts.len());
    let industrial = [
        "Siemens AG",
        "Schneider Electric",
        "Rockwell Automation",
        "Beckhoff Automation GmbH",
        "WAGO Kontakttechnik GmbH",
        "PHOENIX CONTACT Electronics GmbH",
        "Mitsubishi Electric Corporation",
    ];
    for h in hosts {
        let vendor = skjold_oui::vendor(h.mac).unwrap_or_else(|| panic!("{:02x?}", h.mac));
        if h.role == Role::Plc {
            assert!(industrial.contains(&vendor), "{vendor}");
        }
    }
    assert_eq!(gen.info().plcs, 120);
    assert_eq!(gen.info().sensors, 80);
}

#[test]
fn bad_configurations_are_rejected() {
    assert!(matches!(
        "modbus,profinet".parse::<Mix>(),
        Err(SynthError::UnknownProtocol(p)) if p == "profinet"
    ));
    assert!(matches!(",".parse::<Mix>(), Err(SynthError::EmptyMix)));
    let zero = Config {
        devices: 0,
        ..Config::default()
    };
    assert!(matches!(Generator::new(&zero), Err(SynthError::Devices(0))));
}

#[test]
fn single_protocol_mixes() {
    for (mix, port) in [("modbus", 502u16), ("mqtt", 1883)] {
        let pcap = generate(&Config {
            packets: 500,
            mix: mix.parse().unwrap(),
            ..Config::default()
        });
        for (_, f) in records(&pcap) {
            let tcp = &f[34..];
            assert!(u16be(tcp, 0) == port || u16be(tcp, 2) == port, "{mix}");
        }
    }
}

/// Runs tshark (when installed) over a generated capture: every segment that
/// carries data must decode as Modbus/TCP or MQTT, and nothing may be
/// malformed or raise an expert item at warning level or above.
#[test]
fn tshark_decodes_every_payload_as_modbus_or_mqtt_without_warnings() {
    let Ok(version) = std::process::Command::new("tshark")
        .arg("--version")
        .output()
    else {
        return; // tshark not installed: the checks above still ran
    };
    assert!(version.status.success());
    let dir = std::env::temp_dir().join(format!("skjold-synth-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plant.pcap");
    std::fs::write(
        &path,
        generate(&Config {
            packets: 4_000,
            devices: 16,
            seed: 99,
            ..Config::default()
        }),
    )
    .unwrap();
    let count = |filter: &str| {
        let out = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&path)
            .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    let total = count("frame");
    let app = count("mbtcp || mqtt");
    let undecoded = count("tcp.len > 0 && !(mbtcp || mqtt)");
    let bad = count("_ws.malformed || _ws.expert.severity >= warning");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(total, 4_000);
    assert!(app > 2_000, "{app}");
    assert_eq!(undecoded, 0);
    assert_eq!(bad, 0);
}
