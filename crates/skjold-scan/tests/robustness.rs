//! Robustness: tiny misbehaving servers on loopback (127.0.77.2x) that send garbage, never
//! answer, close immediately or trickle a byte per second. Every probe must end within its
//! timeouts and report what happened; nothing is identified from garbage. Also a fake TLS
//! server that picks a weak suite when offered one (OpenSSL 3 no longer ships them).

use skjold_scan::engine::{self, Config};
use skjold_scan::model::ProbeStatus;
use skjold_scan::target;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Behaviour {
    Garbage,
    Silent,
    Close,
    Trickle,
}

fn serve(addr: &str, b: Behaviour) {
    let l = TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || match b {
                Behaviour::Close => drop(s),
                Behaviour::Silent => {
                    let mut buf = [0u8; 1024];
                    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                }
                Behaviour::Garbage => {
                    let junk: Vec<u8> = (0..4096u32)
                        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
                        .collect();
                    let _ = s.write_all(&junk);
                    let mut buf = [0u8; 1024];
                    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                }
                Behaviour::Trickle => {
                    for c in b"SSH-2.0-slow\r\n".iter().cycle().take(60) {
                        if s.write_all(&[*c]).is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            });
        }
    });
}

const PROTOS: [&str; 12] = [
    "modbus", "mqtt", "https", "opcua", "s7", "dnp3", "iec104", "enip", "http", "ssh", "ftp", "tls",
];

fn ports_list(base: u16) -> String {
    PROTOS
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}/{p}", base + i as u16))
        .collect::<Vec<_>>()
        .join(",")
}

fn run(addr: &str, base: u16, b: Behaviour) -> (skjold_scan::ScanReport, Duration) {
    for i in 0..PROTOS.len() {
        serve(&format!("{addr}:{}", base + i as u16), b);
    }
    let t0 = Instant::now();
    let r = engine::scan_blocking(Config {
        target_specs: vec![addr.into()],
        targets: target::expand(&[addr.into()]).unwrap(),
        ports: engine::parse_ports(&ports_list(base)).unwrap(),
        udp: vec![],
        intrusive: true,
        creds: skjold_scan::creds::bundled(),
        concurrency: 64,
        rate: None,
        timeout: Duration::from_millis(400),
    })
    .unwrap();
    (r, t0.elapsed())
}

fn check(r: &skjold_scan::ScanReport, took: Duration, allowed: &[ProbeStatus]) {
    // The slowest probe (TLS: five ClientHellos one after the other) takes about 5 timeouts.
    assert!(took < Duration::from_secs(8), "scan took {took:?}");
    let svcs = &r.hosts[0].services;
    assert_eq!(svcs.len(), PROTOS.len(), "{svcs:#?}");
    for s in svcs {
        assert!(
            allowed.contains(&s.status),
            "{} ended {:?}: {s:#?}",
            s.protocol,
            s.status
        );
        assert!(s.note.is_some(), "{}: no note on why it failed", s.protocol);
        assert!(
            s.identity.is_empty(),
            "{}: identity from a broken peer {s:#?}",
            s.protocol
        );
    }
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn garbage() {
    let (r, took) = run("127.0.77.20", 31_000, Behaviour::Garbage);
    check(&r, took, &[ProbeStatus::Unrecognised, ProbeStatus::Timeout]);
    assert!(
        r.hosts[0]
            .services
            .iter()
            .filter(|s| s.status == ProbeStatus::Unrecognised)
            .count()
            >= 10
    );
}

#[test]
fn never_answers() {
    let (r, took) = run("127.0.77.21", 31_100, Behaviour::Silent);
    check(&r, took, &[ProbeStatus::Timeout]);
    assert_eq!(r.stats.timeouts, PROTOS.len() as u64);
}

#[test]
fn closes_immediately() {
    let (r, took) = run("127.0.77.22", 31_200, Behaviour::Close);
    check(&r, took, &[ProbeStatus::Closed, ProbeStatus::Unrecognised]);
}

#[test]
fn trickles_a_byte_per_second() {
    let (r, took) = run("127.0.77.23", 31_300, Behaviour::Trickle);
    check(&r, took, &[ProbeStatus::Timeout, ProbeStatus::Unrecognised]);
}

/// A TLS 1.2-only server that prefers `TLS_RSA_WITH_3DES_EDE_CBC_SHA` when offered, else
/// ECDHE-RSA-AES128-GCM-SHA256, and alerts on anything else.
fn fake_tls(s: &mut TcpStream) {
    let mut hdr = [0u8; 5];
    if s.read_exact(&mut hdr).is_err() {
        return;
    }
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([hdr[3], hdr[4]]))];
    if s.read_exact(&mut body).is_err() {
        return;
    }
    let ver = u16::from_be_bytes([body[4], body[5]]);
    let sid = usize::from(body[38]);
    let p = 39 + sid;
    let n = usize::from(u16::from_be_bytes([body[p], body[p + 1]]));
    let suites: Vec<u16> = body[p + 2..p + 2 + n]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let tls13 = body.windows(4).any(|w| w == [0x00, 0x2b, 0x00, 0x03]);
    let pick = [0x000a, 0xc02f].into_iter().find(|x| suites.contains(x));
    match pick {
        Some(suite) if ver == 0x0303 && !tls13 => {
            let mut sh = vec![3, 3];
            sh.extend([7u8; 32]);
            sh.push(0);
            sh.extend(suite.to_be_bytes());
            sh.push(0);
            let mut hs = vec![2, 0, 0, sh.len() as u8];
            hs.extend(sh);
            hs.extend([14, 0, 0, 0]); // ServerHelloDone
            let mut rec = vec![0x16, 3, 3, 0, hs.len() as u8];
            rec.extend(hs);
            let _ = s.write_all(&rec);
        }
        _ => {
            let _ = s.write_all(&[0x15, 3, 3, 0, 2, 2, 70]);
        }
    }
}

#[test]
fn weak_suite_accepted() {
    let l = TcpListener::bind("127.0.77.24:8443").unwrap();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            fake_tls(&mut s);
        }
    });
    let r = engine::scan_blocking(Config {
        target_specs: vec!["127.0.77.24".into()],
        targets: target::expand(&["127.0.77.24".into()]).unwrap(),
        ports: engine::parse_ports("8443").unwrap(),
        udp: vec![],
        intrusive: false,
        creds: vec![],
        concurrency: 8,
        rate: None,
        timeout: Duration::from_secs(1),
    })
    .unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["SCAN-011@127.0.77.24:8443/tcp"]);
    let t = r.hosts[0].services[0].tls.as_ref().unwrap();
    assert_eq!(t.versions, ["TLSv1.2"]);
    assert_eq!(t.weak_suites, ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]);
    assert_eq!(
        r.findings[0].evidence["weak_suites"],
        serde_json::json!(["TLS_RSA_WITH_3DES_EDE_CBC_SHA"])
    );
}

#[test]
fn rate_limit_spaces_connections() {
    let cfg = |rate| Config {
        target_specs: vec!["127.0.77.50".into()],
        targets: target::expand(&["127.0.77.50".into()]).unwrap(),
        ports: engine::parse_ports("40001-40011").unwrap(),
        udp: vec![],
        intrusive: false,
        creds: vec![],
        concurrency: 512,
        rate,
        timeout: Duration::from_secs(1),
    };
    // 11 connections at 20 per second: 10 gaps of 50 ms.
    let t0 = Instant::now();
    let r = engine::scan_blocking(cfg(Some(20.0))).unwrap();
    let limited = t0.elapsed();
    assert_eq!(r.stats.tcp_probes, 11);
    assert!(limited >= Duration::from_millis(480), "{limited:?}");
    let t0 = Instant::now();
    engine::scan_blocking(cfg(None)).unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn unknown_port_banner_is_classified() {
    let l = TcpListener::bind("127.0.77.51:40100").unwrap();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.write_all(b"SSH-2.0-OpenSSH_7.4\r\n");
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let r = engine::scan_blocking(Config {
        target_specs: vec!["127.0.77.51".into()],
        targets: target::expand(&["127.0.77.51".into()]).unwrap(),
        ports: engine::parse_ports("40100").unwrap(),
        udp: vec![],
        intrusive: false,
        creds: vec![],
        concurrency: 8,
        rate: None,
        timeout: Duration::from_secs(1),
    })
    .unwrap();
    let s = &r.hosts[0].services[0];
    assert_eq!(s.protocol, "ssh");
    assert_eq!(s.identity["banner"], "SSH-2.0-OpenSSH_7.4");
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["SCAN-030@127.0.77.51:40100/tcp"]);
}
