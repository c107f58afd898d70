#![allow(clippy::float_cmp)] // learned values are exact copies of the values fed
//! Learning a baseline from observations, writing and reading it back, and the baseline
//! detections on a Florida-style setpoint change.

use skjold_detect::obs::{FlowRef, Host, Op, OpClass};
use skjold_detect::{Alert, Baseline, DetectConfig, Detector, Obs, What};
use std::net::IpAddr;

const HMI: [u8; 4] = [127, 0, 1, 20];
const PLC: [u8; 4] = [127, 0, 1, 10];
const EVIL: [u8; 4] = [127, 0, 1, 66];

fn flow(client: [u8; 4], server: [u8; 4], id: u64, from_client: bool) -> FlowRef {
    FlowRef {
        flow_id: id,
        client: Host {
            ip: IpAddr::from(client),
            port: 40_000,
            mac: None,
        },
        server: Host {
            ip: IpAddr::from(server),
            port: 502,
            mac: None,
        },
        tcp: true,
        proto: "modbus",
        from_client,
    }
}

struct Gen {
    ts: u64,
    cnt: u64,
    out: Vec<Obs>,
}

impl Gen {
    fn push(&mut self, f: FlowRef, what: What) {
        self.cnt += 1;
        self.out.push(Obs {
            ts: self.ts,
            pcap_cnt: self.cnt,
            flow: Some(f),
            what,
        });
    }
    fn connect(&mut self, client: [u8; 4], id: u64) {
        let f = flow(client, PLC, id, true);
        self.push(FlowRef { proto: "tcp", ..f }, What::FlowStart);
        self.push(f, What::AppDetected);
    }
    fn read(&mut self, client: [u8; 4], id: u64, values: Vec<f64>) {
        let op = Op {
            unit: Some(1),
            space: "holding_register",
            address: Some(0),
            count: values.len() as u32,
            values,
            ..Op::new(OpClass::Read, 3, "read_holding_registers")
        };
        self.push(flow(client, PLC, id, true), What::Op(op));
    }
    fn write(&mut self, client: [u8; 4], id: u64, reg: u32, v: f64) {
        let op = Op {
            unit: Some(1),
            space: "holding_register",
            address: Some(reg),
            count: 1,
            values: vec![v],
            ..Op::new(OpClass::Write, 6, "write_single_register")
        };
        self.push(flow(client, PLC, id, true), What::Op(op));
    }
}

/// Ten minutes of an HMI polling 20 registers every second (register 10, the `NaOH` setpoint,
/// is 100) and writing the setpoint between 98 and 102 every minute.
fn normal(start: u64) -> Vec<Obs> {
    let mut g = Gen {
        ts: start,
        cnt: 0,
        out: Vec::new(),
    };
    g.connect(HMI, 1);
    for s in 0..600u64 {
        g.ts = start + s * 1_000_000;
        let mut vals: Vec<f64> = (0..20)
            .map(|i| 200.0 + f64::from(i) + (s % 7) as f64)
            .collect();
        vals[10] = 100.0;
        g.read(HMI, 1, vals);
        if s % 60 == 30 {
            g.write(HMI, 1, 10, 98.0 + (s / 60 % 5) as f64);
        }
    }
    g.out
}

fn learn(obs: Vec<Obs>) -> Baseline {
    let mut d = Detector::new(DetectConfig {
        learn: true,
        window_us: 60_000_000,
        ..DetectConfig::default()
    });
    let mut v = obs;
    d.feed(&mut v);
    let (alerts, out) = d.finish();
    assert!(
        alerts.is_empty(),
        "no stateless alert on normal polling: {alerts:?}"
    );
    out.learned.expect("learning mode returns a baseline")
}

fn detect(b: Baseline, obs: Vec<Obs>) -> Vec<Alert> {
    let mut d = Detector::new(DetectConfig {
        baseline: Some(b),
        window_us: 60_000_000,
        ..DetectConfig::default()
    });
    let mut v = obs;
    d.feed(&mut v);
    let mut all = d.take_alerts();
    all.extend(d.finish().0);
    all
}

#[test]
fn the_learned_baseline_holds_pairs_functions_addresses_ranges_and_periods() {
    let b = learn(normal(1_612_915_200_000_000));
    assert_eq!(b.assets.len(), 2);
    assert_eq!(b.pairs.len(), 1);
    let p = &b.pairs[0].protocols[0];
    assert_eq!(p.protocol, "modbus");
    assert!(p.writes);
    assert_eq!(p.functions.keys().copied().collect::<Vec<_>>(), vec![3, 6]);
    assert_eq!(p.read["holding_register"], "0-19");
    assert_eq!(p.written["holding_register"], "10");
    assert_eq!(p.period_s[&3], 1.0);
    assert_eq!(p.period_s[&6], 60.0);
    let v10 = b
        .variables
        .iter()
        .find(|v| v.address == 10)
        .expect("register 10 learned");
    assert_eq!(v10.seen, [98.0, 102.0]);
    assert!(v10.written);
    assert!((v10.min - 87.8).abs() < 1e-9 && (v10.max - 112.2).abs() < 1e-9);
    assert_eq!(b.learned.from, "2021-02-10T00:00:00Z");
}

#[test]
fn a_baseline_survives_its_yaml_round_trip() {
    let b = learn(normal(1_612_915_200_000_000));
    let text = b.to_yaml();
    assert!(text.starts_with("# Skjold baseline"));
    let back = Baseline::parse(&text, "b.yaml").expect("own output parses");
    assert_eq!(back, b);
}

#[test]
fn invalid_baselines_name_the_file_and_line() {
    let e = Baseline::parse("version: 1\nassets:\n  - ip: not-an-ip\n", "plant.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("plant.yaml:3:"), "{e}");
    let e = Baseline::parse("version: 7\n", "plant.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 7 is not supported"), "{e}");
    let text = "version: 1\npairs:\n  - client: 10.0.0.1\n    server: 10.0.0.2\n    protocols:\n      - protocol: modbus\n        written:\n          holding_register: \"9-2\"\n";
    let e = Baseline::parse(text, "plant.yaml").unwrap_err().to_string();
    assert!(
        e.starts_with("plant.yaml:8:1:") && e.contains("the start is above the end"),
        "{e}"
    );
    let e = Baseline::parse("version: 1\ncolour: red\n", "plant.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn florida_setpoint_change_from_an_unseen_client_raises_the_expected_alerts() {
    let start = 1_612_915_200_000_000;
    let b = learn(normal(start));
    // The same normal polling, then 127.0.1.66 writes 11100 to register 10.
    let mut later = normal(start + 3_600_000_000);
    let mut g = Gen {
        ts: start + 3_600_000_000 + 300_000_000,
        cnt: 10_000,
        out: Vec::new(),
    };
    g.connect(EVIL, 2);
    g.write(EVIL, 2, 10, 11_100.0);
    later.extend(g.out);
    let alerts = detect(b, later);
    let mut got: Vec<(&str, u8)> = alerts
        .iter()
        .map(|a| (a.meta.name, a.meta.severity))
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        vec![
            ("new_asset", 3),
            ("new_communication_pair", 3),
            ("unauthorized_write", 1),
            ("value_out_of_range", 1),
        ]
    );
    let v = alerts
        .iter()
        .find(|a| a.meta.name == "value_out_of_range")
        .unwrap();
    assert_eq!(v.meta.mitre, ["T0836"]);
    assert_eq!(v.evidence["value_after"], 11_100);
    assert_eq!(v.evidence["value_before"], 100);
    assert_eq!(v.evidence["client"], "127.0.1.66");
    assert_eq!(
        v.message,
        "127.0.1.66 set holding register 10 (unit 1) of 127.0.1.10 to 11100 (was 100; learned 98..102, allowed 87.8..112.2) over modbus"
    );
}

#[test]
fn the_learned_hmi_writing_inside_the_range_raises_nothing() {
    let start = 1_612_915_200_000_000;
    let b = learn(normal(start));
    assert!(detect(b, normal(start + 86_400_000_000)).is_empty());
}

#[test]
fn the_learned_hmi_writing_elsewhere_or_too_high_is_reported_once_per_window_with_a_count() {
    let start = 1_612_915_200_000_000;
    let b = learn(normal(start));
    let mut g = Gen {
        ts: start + 86_400_000_000,
        cnt: 0,
        out: Vec::new(),
    };
    for i in 0..5 {
        g.ts += 1_000_000;
        g.write(HMI, 1, 25, 7.0);
        g.write(HMI, 1, 10, 150.0 + f64::from(i));
    }
    let alerts = detect(b, g.out);
    let names: Vec<(&str, u64)> = alerts.iter().map(|a| (a.meta.name, a.count)).collect();
    assert_eq!(
        names,
        vec![
            ("write_outside_learned_addresses", 5),
            ("value_out_of_range", 5),
        ]
    );
}

#[test]
fn learn_for_switches_to_detection_with_what_was_learned() {
    let start = 1_612_915_200_000_000;
    let mut obs = normal(start);
    let mut g = Gen {
        ts: start + 700_000_000,
        cnt: 100_000,
        out: Vec::new(),
    };
    g.write(HMI, 1, 10, 500.0);
    obs.extend(g.out);
    let mut d = Detector::new(DetectConfig {
        learn_for_us: Some(650_000_000),
        window_us: 60_000_000,
        ..DetectConfig::default()
    });
    d.feed(&mut obs);
    assert!(d.take_switched().is_some(), "switched after 650 s");
    let (alerts, out) = d.finish();
    assert!(out.learned.is_none());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].meta.name, "value_out_of_range");
}
