//! User rules: every match key and value operator (a matching and a non-matching
//! observation each), time windows, thresholds, alert content, and the example rule file.

use skjold_detect::obs::{
    Arp, Control, Credentials, FlowRef, Host, Obs, Op, OpClass, Session, Tls, What,
};
use skjold_detect::{Alert, RuleSet};
use std::net::IpAddr;

const S: u64 = 1_000_000;
/// 2024-01-01 00:00:00 UTC, a Monday.
const MONDAY: u64 = 1_704_067_200;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn flow(src: &str, sport: u16, dst: &str, dport: u16, proto: &'static str) -> FlowRef {
    FlowRef {
        flow_id: u64::from(sport) * 7 + 1,
        client: Host {
            ip: ip(src),
            port: sport,
            mac: None,
        },
        server: Host {
            ip: ip(dst),
            port: dport,
            mac: None,
        },
        tcp: true,
        proto,
        from_client: true,
    }
}

/// An observation at `secs` after Monday midnight.
fn at(secs: u64, f: FlowRef, what: What) -> Obs {
    Obs {
        ts: (MONDAY + secs) * S,
        pcap_cnt: secs + 1,
        flow: Some(f),
        what,
    }
}

fn hmi() -> FlowRef {
    flow("127.0.1.20", 50000, "127.0.1.10", 502, "modbus")
}

/// Modbus write single register 100 = 150, unit 1.
fn write_op() -> Op {
    Op {
        unit: Some(1),
        space: "holding_register",
        address: Some(100),
        count: 1,
        values: vec![150.0],
        ..Op::new(OpClass::Write, 6, "write_single_register")
    }
}

fn op_obs(op: Op) -> Obs {
    at(0, hmi(), What::Op(op))
}

/// A rule file with one rule whose body (after `severity`) is `body`, 4-space indented.
fn rule(body: &str) -> RuleSet {
    let text = format!(
        "rules:\n  - id: 9000001\n    name: test_rule\n    signature: \"Test rule\"\n    severity: 2\n{}\n",
        body.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    RuleSet::parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn run(body: &str, obs: &[Obs]) -> Vec<Alert> {
    rule(body).evaluate(obs, 60 * S)
}

fn fires(body: &str, o: Obs) -> bool {
    !run(body, &[o]).is_empty()
}

/// `body` matches `yes` and not `no`.
fn both(body: &str, yes: Obs, no: Obs) {
    assert!(fires(body, yes), "{body}: should match");
    assert!(!fires(body, no), "{body}: should not match");
}

fn with_value(v: f64) -> Obs {
    op_obs(Op {
        values: vec![v],
        ..write_op()
    })
}

// ---- value operators ----

#[test]
fn value_eq() {
    both(
        "match: {value: {eq: 150}}",
        with_value(150.0),
        with_value(151.0),
    );
}

#[test]
fn value_ne() {
    both(
        "match: {value: {ne: 150}}",
        with_value(10.0),
        with_value(150.0),
    );
}

#[test]
fn value_gt_is_strict() {
    both(
        "match: {value: {gt: 120}}",
        with_value(121.0),
        with_value(120.0),
    );
}

#[test]
fn value_ge_includes_the_bound() {
    both(
        "match: {value: {ge: 120}}",
        with_value(120.0),
        with_value(119.5),
    );
}

#[test]
fn value_lt_is_strict() {
    both("match: {value: {lt: 5}}", with_value(4.0), with_value(5.0));
}

#[test]
fn value_le_includes_the_bound() {
    both("match: {value: {le: 5}}", with_value(5.0), with_value(6.0));
}

#[test]
fn value_between_is_inclusive() {
    both(
        "match: {value: {between: [10, 20]}}",
        with_value(20.0),
        with_value(21.0),
    );
    assert!(fires(
        "match: {value: {between: [10, 20]}}",
        with_value(10.0)
    ));
}

#[test]
fn value_outside_excludes_the_bounds() {
    both(
        "match: {value: {outside: [10, 20]}}",
        with_value(9.0),
        with_value(10.0),
    );
    assert!(fires(
        "match: {value: {outside: [10, 20]}}",
        with_value(20.5)
    ));
}

#[test]
fn value_in() {
    both(
        "match: {value: {in: [1, 2, 3]}}",
        with_value(2.0),
        with_value(4.0),
    );
}

#[test]
fn value_not_in() {
    both(
        "match: {value: {not_in: [1, 2, 3]}}",
        with_value(4.0),
        with_value(2.0),
    );
}

#[test]
fn value_operators_combine_with_and_on_one_value() {
    // 5 is > 1 but not < 3; 50 is neither: no single value satisfies both.
    let o = op_obs(Op {
        values: vec![5.0, 50.0],
        count: 2,
        ..write_op()
    });
    assert!(!fires("match: {value: {gt: 1, lt: 3}}", o.clone()));
    assert!(fires("match: {value: {gt: 1, lt: 10}}", o));
}

#[test]
fn value_needs_a_value() {
    assert!(!fires(
        "match: {value: {ge: 0}}",
        op_obs(Op {
            values: vec![],
            ..write_op()
        })
    ));
}

// ---- match keys ----

#[test]
fn key_event() {
    let cred = at(
        0,
        flow("127.0.1.30", 40000, "127.0.1.40", 1883, "mqtt"),
        What::Credentials(Credentials {
            user: Some("admin".into()),
            cleartext: true,
            default: true,
            accepted: Some(true),
            method: "mqtt_connect",
        }),
    );
    both(
        "match: {event: credentials}",
        cred.clone(),
        op_obs(write_op()),
    );
    // The default event is `op`.
    both(
        "match: {protocol: [modbus, mqtt]}",
        op_obs(write_op()),
        cred,
    );
    let start = at(0, hmi(), What::FlowStart);
    both(
        "match: {event: flow, dst_port: 502}",
        start,
        op_obs(write_op()),
    );
    let sess = at(
        0,
        hmi(),
        What::Session(Session {
            anonymous: true,
            accepted: Some(true),
            security_mode: None,
            security_policy: None,
        }),
    );
    assert!(fires("match: {event: session}", sess));
    let app = at(0, hmi(), What::AppDetected);
    assert!(fires("match: {event: app, protocol: modbus}", app));
}

#[test]
fn key_protocol() {
    let dnp3 = at(
        0,
        flow("127.0.1.20", 50000, "127.0.1.10", 20000, "dnp3"),
        What::Op(write_op()),
    );
    both(
        "match: {protocol: modbus}",
        op_obs(write_op()),
        dnp3.clone(),
    );
    assert!(fires("match: {protocol: [modbus, dnp3]}", dnp3));
}

#[test]
fn key_class() {
    let read = op_obs(Op::new(OpClass::Read, 3, "read_holding_registers"));
    both("match: {class: write}", op_obs(write_op()), read.clone());
    assert!(fires("match: {class: [read, write]}", read));
}

#[test]
fn key_control() {
    let stop = op_obs(Op {
        control: Some(Control::Stop),
        ..Op::new(OpClass::Control, 0x29, "plc_stop")
    });
    let start = op_obs(Op {
        control: Some(Control::Start),
        ..Op::new(OpClass::Control, 0x28, "pi_service")
    });
    both("match: {control: [stop, program_download]}", stop, start);
    assert!(!fires("match: {control: stop}", op_obs(write_op())));
}

#[test]
fn key_function_by_code_range_and_name() {
    let read = op_obs(Op::new(OpClass::Read, 3, "read_holding_registers"));
    both("match: {function: 6}", op_obs(write_op()), read.clone());
    both(
        "match: {function: \"1-4\"}",
        read.clone(),
        op_obs(write_op()),
    );
    both(
        "match: {function: [16, write_single_register]}",
        op_obs(write_op()),
        read.clone(),
    );
    assert!(fires("match: {function: 0x03}", read));
}

#[test]
fn key_unit() {
    let other = op_obs(Op {
        unit: Some(11),
        ..write_op()
    });
    both("match: {unit: \"1-10\"}", op_obs(write_op()), other);
    assert!(!fires(
        "match: {unit: 1}",
        op_obs(Op {
            unit: None,
            ..write_op()
        })
    ));
}

#[test]
fn key_space() {
    let coil = op_obs(Op {
        space: "coil",
        ..write_op()
    });
    both("match: {space: holding_register}", op_obs(write_op()), coil);
}

#[test]
fn key_address_covers_the_whole_request() {
    // Write multiple registers 98..=101 covers 100.
    let multi = op_obs(Op {
        address: Some(98),
        count: 4,
        values: vec![1.0, 2.0, 3.0, 4.0],
        ..Op::new(OpClass::Write, 16, "write_multiple_registers")
    });
    let far = op_obs(Op {
        address: Some(200),
        ..write_op()
    });
    both("match: {address: \"10-12, 100\"}", multi.clone(), far);
    assert!(!fires("match: {address: 102}", multi));
}

#[test]
fn key_address_selects_the_value_compared() {
    // Registers 98..=101 = 500, 1, 2, 3: only register 98 is above 120.
    let multi = op_obs(Op {
        address: Some(98),
        count: 4,
        values: vec![500.0, 1.0, 2.0, 3.0],
        ..Op::new(OpClass::Write, 16, "write_multiple_registers")
    });
    assert!(!fires(
        "match: {address: 100, value: {gt: 120}}",
        multi.clone()
    ));
    assert!(fires("match: {address: 98, value: {gt: 120}}", multi));
}

#[test]
fn key_name_with_mqtt_wildcards_and_glob() {
    let publish = |topic: &str| {
        at(
            0,
            flow("127.0.1.50", 40000, "127.0.1.40", 1883, "mqtt"),
            What::Op(Op {
                name: Some(topic.into()),
                ..Op::new(OpClass::Publish, 3, "publish")
            }),
        )
    };
    both(
        "match: {name: \"plant/control/#\"}",
        publish("plant/control/dosing/naoh"),
        publish("plant/telemetry/flow"),
    );
    both(
        "match: {name: \"plant/+/setpoint\"}",
        publish("plant/pump1/setpoint"),
        publish("plant/pump1/x/setpoint"),
    );
    both(
        "match: {name: [\"site*/valve\", other]}",
        publish("site42/valve"),
        publish("site42/pump"),
    );
    // An operation without a name does not match a name pattern.
    assert!(!fires("match: {name: \"#\"}", op_obs(write_op())));
    // Anomaly kinds are names too.
    let anomaly = at(
        0,
        hmi(),
        What::Anomaly {
            layer: "app",
            kind: "length_mismatch",
        },
    );
    assert!(fires(
        "match: {event: anomaly, name: \"length_*\"}",
        anomaly
    ));
    let tls = at(
        0,
        flow("127.0.1.20", 40001, "127.0.1.40", 8883, "tls"),
        What::Tls(Tls {
            sni: Some("broker.plant".into()),
            ..Tls::default()
        }),
    );
    assert!(fires("match: {event: tls, name: \"*.plant\"}", tls));
}

#[test]
fn key_src_ip_and_cidr() {
    let other = at(
        0,
        flow("127.0.2.5", 50000, "127.0.1.10", 502, "modbus"),
        What::Op(write_op()),
    );
    both(
        "match: {src: 127.0.1.20}",
        op_obs(write_op()),
        other.clone(),
    );
    both(
        "match: {src: [\"127.0.1.0/24\", \"::1\"]}",
        op_obs(write_op()),
        other,
    );
}

#[test]
fn key_dst() {
    let other = at(
        0,
        flow("127.0.1.20", 50000, "127.0.1.11", 502, "modbus"),
        What::Op(write_op()),
    );
    both("match: {dst: 127.0.1.10/32}", op_obs(write_op()), other);
}

#[test]
fn key_not_src() {
    let other = at(
        0,
        flow("127.0.9.9", 50000, "127.0.1.10", 502, "modbus"),
        What::Op(write_op()),
    );
    both(
        "match: {not_src: [127.0.1.20, 127.0.1.21]}",
        other,
        op_obs(write_op()),
    );
}

#[test]
fn key_not_dst() {
    let other = at(
        0,
        flow("127.0.1.20", 50000, "127.0.1.99", 502, "modbus"),
        What::Op(write_op()),
    );
    both("match: {not_dst: 127.0.1.10}", other, op_obs(write_op()));
}

#[test]
fn key_src_port() {
    let low = at(
        0,
        flow("127.0.1.20", 1000, "127.0.1.10", 502, "modbus"),
        What::Op(write_op()),
    );
    both("match: {src_port: \"1024-65535\"}", op_obs(write_op()), low);
}

#[test]
fn key_dst_port() {
    let other = at(
        0,
        flow("127.0.1.20", 50000, "127.0.1.10", 5020, "modbus"),
        What::Op(write_op()),
    );
    both("match: {dst_port: 502}", op_obs(write_op()), other);
}

#[test]
fn key_exception() {
    let refused = op_obs(Op {
        exception: Some(2),
        ..write_op()
    });
    both(
        "match: {exception: true}",
        refused.clone(),
        op_obs(write_op()),
    );
    both(
        "match: {exception: false}",
        op_obs(write_op()),
        refused.clone(),
    );
    both(
        "match: {exception: \"1-2\"}",
        refused,
        op_obs(Op {
            exception: Some(4),
            ..write_op()
        }),
    );
}

#[test]
fn key_broadcast() {
    let bc = op_obs(Op {
        broadcast: true,
        unit: Some(0),
        ..write_op()
    });
    both("match: {broadcast: true}", bc.clone(), op_obs(write_op()));
    both("match: {broadcast: false}", op_obs(write_op()), bc);
}

#[test]
fn arp_events_use_sender_and_target_as_src_and_dst() {
    let arp = Obs {
        ts: MONDAY * S,
        pcap_cnt: 1,
        flow: None,
        what: What::Arp(Arp {
            op: 2,
            sender_mac: [2, 0, 0, 0, 0, 1],
            sender_ip: ip("127.0.1.1"),
            target_ip: ip("127.0.1.20"),
            gratuitous: false,
        }),
    };
    assert!(fires(
        "match: {event: arp, src: 127.0.1.1, dst: 127.0.1.20, protocol: arp}",
        arp.clone()
    ));
    assert!(!fires("match: {event: arp, src: 127.0.1.2}", arp));
}

#[test]
fn every_key_must_hold() {
    let body =
        "match: {protocol: modbus, class: write, src: 127.0.1.20, address: 100, value: {gt: 120}}";
    assert!(fires(body, op_obs(write_op())));
    assert!(!fires(body, with_value(100.0)));
}

// ---- time windows ----

fn write_at(secs: u64) -> Obs {
    at(secs, hmi(), What::Op(write_op()))
}

#[test]
fn time_hours_inside_a_day() {
    let body = "match: {class: write}\ntime: {hours: \"08:00-17:00\"}";
    assert!(fires(body, write_at(8 * 3600)));
    assert!(fires(body, write_at(17 * 3600 - 1)));
    assert!(!fires(body, write_at(17 * 3600)), "the end is exclusive");
    assert!(!fires(body, write_at(7 * 3600 + 59 * 60)));
}

#[test]
fn time_hours_wrapping_midnight() {
    let body = "match: {class: write}\ntime: {hours: \"22:00-06:00\"}";
    assert!(fires(body, write_at(23 * 3600)));
    assert!(fires(body, write_at(2 * 3600)));
    assert!(fires(body, write_at(22 * 3600)));
    assert!(!fires(body, write_at(6 * 3600)));
    assert!(!fires(body, write_at(12 * 3600)));
}

#[test]
fn time_days_and_hours_together() {
    let body = "match: {class: write}\ntime: {days: [sat, sunday], hours: [\"00:00-01:00\", \"12:00-13:00\"]}";
    let saturday = 5 * 86_400;
    assert!(fires(body, write_at(saturday + 12 * 3600 + 30)));
    assert!(fires(body, write_at(saturday + 86_400 + 60)));
    assert!(!fires(body, write_at(saturday + 3 * 3600)));
    assert!(!fires(body, write_at(12 * 3600 + 30)), "Monday");
}

// ---- thresholds ----

fn exception_from(src: &str, secs: u64) -> Obs {
    at(
        secs,
        flow(src, 50000, "127.0.1.10", 502, "modbus"),
        What::Op(Op {
            exception: Some(2),
            ..Op::new(OpClass::Read, 3, "read_holding_registers")
        }),
    )
}

const STORM: &str =
    "match: {protocol: modbus, exception: true}\nthreshold: {count: 5, seconds: 60, by: src}";

#[test]
fn threshold_fires_at_count_and_not_before() {
    let four: Vec<Obs> = (0..4).map(|i| exception_from("127.0.1.20", i)).collect();
    assert!(run(STORM, &four).is_empty());
    let five: Vec<Obs> = (0..5).map(|i| exception_from("127.0.1.20", i)).collect();
    let alerts = run(STORM, &five);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence["count"], 5);
    assert_eq!(alerts[0].ts, (MONDAY + 4) * S, "fires at the fifth match");
    assert_eq!(
        alerts[0].message,
        "Test rule: 5 matches within 60 s from 127.0.1.20; latest 127.0.1.20 → 127.0.1.10: modbus read_holding_registers (3), exception 2"
    );
    // Further matches within the dedup window count into the same alert.
    let seven: Vec<Obs> = (0..7).map(|i| exception_from("127.0.1.20", i)).collect();
    let alerts = run(STORM, &seven);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 3);
}

#[test]
fn threshold_counts_per_group() {
    // Three from each of two sources: six matches, but five from no single source.
    let obs: Vec<Obs> = (0..6)
        .map(|i| {
            exception_from(
                if i % 2 == 0 {
                    "127.0.1.20"
                } else {
                    "127.0.1.21"
                },
                i,
            )
        })
        .collect();
    assert!(run(STORM, &obs).is_empty());
    // Grouped by destination (the same for both), the six count together.
    let by_dst = STORM.replace("by: src", "by: dst");
    let alerts = run(&by_dst, &obs);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence["by"], "dst");
    let total = STORM.replace("by: src", "by: none");
    assert_eq!(run(&total, &obs).len(), 1);
}

#[test]
fn threshold_window_slides() {
    // One match every 20 s: at most 3 in any 60 s window (an event exactly 60 s old is out).
    let sparse: Vec<Obs> = (0..10)
        .map(|i| exception_from("127.0.1.20", i * 20))
        .collect();
    assert!(run(STORM, &sparse).is_empty());
    // Every 14 s: t=0,14,28,42,56 are five within 60 s.
    let dense: Vec<Obs> = (0..5)
        .map(|i| exception_from("127.0.1.20", i * 14))
        .collect();
    assert_eq!(run(STORM, &dense).len(), 1);
    // Four early, a pause, then one: the early ones have left the window.
    let mut paused: Vec<Obs> = (0..4).map(|i| exception_from("127.0.1.20", i)).collect();
    paused.push(exception_from("127.0.1.20", 3 + 60));
    assert!(run(STORM, &paused).is_empty());
    // ... and four more right after make five in the window again.
    paused.extend((64..68).map(|i| exception_from("127.0.1.20", i)));
    assert_eq!(run(STORM, &paused).len(), 1);
}

// ---- alerts ----

#[test]
fn alert_carries_meta_message_and_evidence() {
    let text = r#"
rules:
  - id: 9000042
    name: naoh_setpoint_high
    signature: "NaOH dosing setpoint above 120 ppm"
    severity: 1
    category: "Process manipulation"
    mitre: [T0836, T0855]
    etsi: ["5.5-1"]
    iec: ["SR 3.5"]
    match: {address: 100, value: {gt: 120}}
"#;
    let mut rs = RuleSet::parse(text, "t.yaml").unwrap();
    assert_eq!(rs.len(), 1);
    let a = rs.evaluate(&[op_obs(write_op())], 60 * S);
    assert_eq!(a.len(), 1);
    let a = &a[0];
    assert_eq!(a.meta.sid, 9_000_042);
    assert_eq!(a.meta.name, "naoh_setpoint_high");
    assert_eq!(a.meta.severity, 1);
    assert_eq!(a.meta.category, "Process manipulation");
    assert_eq!(a.meta.mitre, ["T0836", "T0855"]);
    assert_eq!(a.meta.etsi, ["5.5-1"]);
    assert_eq!(a.meta.iec, ["SR 3.5"]);
    assert_eq!(
        a.message,
        "NaOH dosing setpoint above 120 ppm: 127.0.1.20 → 127.0.1.10: modbus write_single_register (6), unit 1, holding_register 100, value 150"
    );
    assert_eq!(
        serde_json::Value::Object(a.evidence.clone()),
        serde_json::json!({
            "src": "127.0.1.20", "src_port": 50000, "dst": "127.0.1.10", "dst_port": 502,
            "protocol": "modbus", "class": "write", "function": "write_single_register",
            "function_code": 6, "unit": 1, "space": "holding_register", "address": 100,
            "values": [150]
        })
    );
}

#[test]
fn default_category_is_user_rule() {
    let a = run("match: {class: write}", &[op_obs(write_op())]);
    assert_eq!(a[0].meta.category, "User rule");
    assert!(a[0].meta.mitre.is_empty());
}

#[test]
fn matches_deduplicate_per_source_destination_and_address() {
    let again = op_obs(write_op());
    let other_reg = op_obs(Op {
        address: Some(101),
        ..write_op()
    });
    let alerts = run(
        "match: {class: write}",
        &[op_obs(write_op()), again, other_reg],
    );
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts.iter().map(|a| a.count).sum::<u64>(), 3);
}

#[test]
fn the_water_plant_example_loads_and_detects() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/rules/water-plant.yaml"
    );
    let mut rs = RuleSet::load(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    assert!(rs.len() >= 6);
    // The Florida case: the setpoint written far above its limit from the HMI, in daytime.
    let florida = at(
        10 * 3600,
        flow("127.0.1.20", 50000, "127.0.1.10", 502, "modbus"),
        What::Op(Op {
            unit: Some(1),
            space: "holding_register",
            address: Some(100),
            count: 1,
            values: vec![11_100.0],
            ..Op::new(OpClass::Write, 6, "write_single_register")
        }),
    );
    let alerts = rs.evaluate(&[florida], 60 * S);
    let names: Vec<&str> = alerts.iter().map(|a| a.meta.name).collect();
    assert_eq!(names, ["naoh_setpoint_high"]);
    assert_eq!(alerts[0].meta.severity, 1);
    assert_eq!(alerts[0].meta.mitre, ["T0836"]);
}

#[test]
fn threshold_groups_are_bounded_and_the_overflow_is_counted() {
    let mut rs = rule(STORM);
    let n = skjold_detect::rules::MAX_GROUPS;
    let obs: Vec<Obs> = (0..=n)
        .map(|i| {
            let src = format!("127.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            exception_from(&src, 1)
        })
        .collect();
    assert!(rs.evaluate(&obs, 60 * S).is_empty());
    assert_eq!(rs.limits_hit, 1);
    // Once the groups' matches have left the window, the table is swept and counts again.
    let later = exception_from("127.200.0.1", 200);
    rs.evaluate(&[later], 60 * S);
    assert_eq!(rs.limits_hit, 1);
}

#[test]
fn the_examples_in_docs_rules_md_are_valid() {
    let doc = include_str!("../../../docs/rules.md");
    let mut checked = 0;
    for block in doc.split("```yaml\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let text = if block.starts_with("rules:") {
            block.to_owned()
        } else if block.starts_with("  - id:") {
            format!("rules:\n{block}")
        } else {
            continue; // a fragment showing one key
        };
        RuleSet::parse(&text, "docs/rules.md").unwrap_or_else(|e| panic!("{e}\n{text}"));
        checked += 1;
    }
    assert!(checked >= 6, "{checked} examples");
}

#[test]
fn the_detector_runs_rules_and_reports_their_limit_hits() {
    use skjold_detect::{DetectConfig, Detector};
    let storm = rule(STORM);
    let plain = RuleSet::parse(
        "rules:\n  - id: 9000009\n    name: writes\n    signature: W\n    severity: 3\n    match: {class: write}\n",
        "w.yaml",
    )
    .unwrap();
    let mut det = Detector::new(DetectConfig {
        rules: vec![storm, plain],
        window_us: 60 * S,
        ..DetectConfig::default()
    });
    let n = skjold_detect::rules::MAX_GROUPS;
    let mut batch: Vec<Obs> = (0..=n)
        .map(|i| {
            let src = format!("127.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            exception_from(&src, 1)
        })
        .collect();
    batch.push(op_obs(write_op()));
    det.feed(&mut batch);
    let (alerts, outcome) = det.finish();
    let ours: Vec<u32> = alerts
        .iter()
        .map(|a| a.meta.sid)
        .filter(|s| *s >= 9_000_000)
        .collect();
    assert_eq!(ours, [9_000_009]);
    assert!(
        outcome
            .limits
            .contains(&("detect.rule_groups".to_owned(), 1)),
        "{:?}",
        outcome.limits
    );
}
