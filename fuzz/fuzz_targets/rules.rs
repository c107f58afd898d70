//! Fuzz target: the user rule language (`skjold watch --rules`): any text must load or fail with
//! a located error, never panic; a file that loads must evaluate observations without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_detect::obs::{FlowRef, Host, Op, OpClass};
use skjold_detect::{Obs, RuleSet, What};
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut rules) = RuleSet::parse(text, "fuzz.yaml") else {
        return;
    };
    let host = |last: u8, port: u16| Host {
        ip: IpAddr::from([127, 0, 1, last]),
        port,
        mac: None,
    };
    let obs: Vec<Obs> = (0..4u64)
        .map(|i| Obs {
            ts: 1_600_000_000_000_000 + i * 30_000_000,
            pcap_cnt: i + 1,
            flow: Some(FlowRef {
                flow_id: 1,
                client: host(20, 40_000),
                server: host(10, 502),
                tcp: true,
                proto: "modbus",
                from_client: true,
            }),
            what: What::Op(Op {
                unit: Some(1),
                space: "holding_register",
                address: Some(10),
                count: 1,
                values: vec![f64::from(i as u32) * 1000.0],
                ..Op::new(OpClass::Write, 6, "write_single_register")
            }),
        })
        .collect();
    let _ = rules.evaluate(&obs, 60_000_000);
});
