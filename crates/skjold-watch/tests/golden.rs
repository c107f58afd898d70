//! Capture in, golden JSON out (CONVENTIONS.md, "Tests"): one insta snapshot per capture of the
//! shared corpus's directories of the protocols Skjold decodes ([`SHARED_DIRS`]) and of the
//! workspace fixtures (`tests/data`, `tests/data/peers`), holding the EVE events,
//! `assets.json` and `summary.json`.
//!
//! Nothing in the output is volatile except `summary.json`'s `elapsed_s`, which is removed:
//! timestamps come from the capture and `flow_id` is a hash of the flow key. Big captures (more
//! than [`FULL_MAX_EVENTS`] events or [`FULL_MAX_BYTES`] of EVE) are snapshotted as a digest:
//! counts per event type, per Modbus function / MQTT packet type and per anomaly, and the first
//! [`HEAD`] events.
//!
//! Update with `INSTA_UPDATE=always cargo test -p skjold-watch --test golden` (or
//! `cargo insta review`).

mod common;

use common::{captures_in, Capture};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The shared corpus's directories of the protocols Skjold decodes.
const SHARED_DIRS: &[&str] = &[
    "modbus",
    "mqtt",
    "dnp3",
    "iec104",
    "s7comm",
    "s7commplus",
    "enip",
    "bacnet",
    "opcua",
    "coap",
];

/// Captures with at most this many events are snapshotted event by event.
const FULL_MAX_EVENTS: usize = 1000;
/// ... and at most this much compact EVE JSON.
const FULL_MAX_BYTES: usize = 256 * 1024;
/// Events kept in a digest.
const HEAD: usize = 50;

/// The name counted for one event in a digest.
fn kind(e: &Value) -> String {
    let t = e["event_type"].as_str().unwrap_or("?");
    match t {
        "modbus" => {
            let m = &e["modbus"];
            let part = |k: &str| {
                m.get(k).map(|x| {
                    format!(
                        "{k} {} ({})",
                        x["function_raw"]
                            .as_u64()
                            .map_or_else(|| "?".into(), |n| n.to_string()),
                        x["function_code"].as_str().unwrap_or("?")
                    )
                })
            };
            let parts: Vec<String> = ["request", "response"]
                .into_iter()
                .filter_map(part)
                .collect();
            format!("modbus: {}", parts.join(", "))
        }
        "anomaly" => {
            let a = &e["anomaly"];
            format!(
                "anomaly: {} {}",
                a["type"].as_str().unwrap_or("?"),
                a["event"].as_str().unwrap_or("?")
            )
        }
        other => {
            // Other protocols: the members of the protocol object, and its command or
            // function name when it has one.
            let obj = &e[other];
            let keys: Vec<&str> = obj
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let name = ["function", "command", "service", "type", "message_type"]
                .iter()
                .find_map(|k| obj.get(*k).and_then(Value::as_str));
            match name {
                Some(n) => format!("{other}: {} {n}", keys.join(",")),
                None => format!("{other}: {}", keys.join(",")),
            }
        }
    }
}

fn counts(events: &[Value], f: impl Fn(&Value) -> String) -> Value {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for e in events {
        *m.entry(f(e)).or_default() += 1;
    }
    json!(m)
}

fn document(cap: &Capture) -> Value {
    let run = common::run_engine(&cap.path);
    let mut summary = run.summary;
    if let Some(o) = summary.as_object_mut() {
        o.remove("elapsed_s");
    }
    let eve_bytes: usize = run.events.iter().map(|e| e.to_string().len() + 1).sum();
    let mut doc = Map::new();
    doc.insert("capture".into(), json!(cap.label));
    if run.events.len() <= FULL_MAX_EVENTS && eve_bytes <= FULL_MAX_BYTES {
        doc.insert("events".into(), Value::Array(run.events));
    } else {
        doc.insert(
            "digest".into(),
            json!({
                "events": run.events.len(),
                "eve_bytes": eve_bytes,
                "by_event_type": counts(&run.events, |e| e["event_type"].as_str().unwrap_or("?").to_owned()),
                "by_kind": counts(&run.events, kind),
                "first_events": run.events.iter().take(HEAD).collect::<Vec<_>>(),
                "last_event": run.events.last(),
            }),
        );
    }
    doc.insert("assets".into(), run.assets);
    doc.insert("summary".into(), summary);
    Value::Object(doc)
}

#[test]
fn every_capture_matches_its_golden_snapshot() {
    // Every fixture (the empty keyword matches every name) but the deliberately broken ones.
    let caps = captures_in(SHARED_DIRS, &[""]);
    assert!(!caps.is_empty() || !common::in_ci(), "no capture found");
    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    // Check every capture before failing, so one run writes every `.snap.new` to review.
    let mut failed = Vec::new();
    settings.bind(|| {
        for cap in &caps {
            let doc = document(cap);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                insta::with_settings!({ description => cap.label.clone() }, {
                    insta::assert_json_snapshot!(cap.name.clone(), doc);
                });
            }));
            if r.is_err() {
                failed.push(cap.label.as_str());
            }
        }
    });
    assert!(failed.is_empty(), "snapshots differ for: {failed:?}");
    eprintln!("{} captures snapshotted", caps.len());
}
