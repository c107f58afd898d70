//! Asset identity against Wireshark, in `assets.json` (issue 3: "asset identity for S7,
//! EtherNet/IP, BACnet and Modbus captures appears in `assets.json` with the exact
//! vendor/product/firmware strings tshark shows"). S7comm and EtherNet/IP have their own
//! identity tests beside their conformance tests (`tshark_s7comm.rs`, `tshark_enip.rs`); this
//! file covers Modbus Read Device Identification (43/14) and BACnet device properties.
//!
//! For every capture, every identity string tshark shows must be the value of the matching
//! field of some device in `assets.json` (`identity_sources` naming the protocol). A device
//! keeps the first value it reported for a field, so a string reported by no device's first
//! answer would fail the test; none of the captures has a device that changes its identity.

mod common;

use common::captures_in;
use common::conformance::{each, find_all, frame_and_layers, num, tshark_available, tshark_json};
use common::Capture;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

/// Modbus device identification object ids and the identity field Skjold files them under.
const MODBUS_OBJECTS: [(u64, &str); 3] = [(0, "vendor"), (1, "product_code"), (2, "firmware")];

/// BACnet device properties (tshark's label) and their identity fields.
const BACNET_PROPERTIES: [(&str, &str); 3] = [
    ("vendor-name", "vendor"),
    ("model-name", "model"),
    ("firmware-revision", "firmware"),
];

fn modbus_identity(cap: &Capture) -> BTreeSet<(&'static str, String)> {
    let args: Vec<String> = ["-Y", "modbus.object_str_value", "-J", "frame modbus"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut out = BTreeSet::new();
    for pkt in tshark_json(cap, &args) {
        let (_, layers) = frame_and_layers(&pkt);
        for m in each(layers.get("modbus")) {
            let (mut ids, mut values) = (Vec::new(), Vec::new());
            find_all(m, "modbus.object_id", &mut ids);
            find_all(m, "modbus.object_str_value", &mut values);
            for (id, v) in ids.iter().zip(values) {
                let Some(f) = MODBUS_OBJECTS
                    .iter()
                    .find(|(o, _)| num(Some(id)) == Some(*o))
                    .map(|(_, f)| *f)
                else {
                    continue;
                };
                let v = v.trim();
                if !v.is_empty() {
                    out.insert((f, v.to_owned()));
                }
            }
        }
    }
    out
}

/// tshark prints BACnet character strings only in labels (`vendor-name: UTF-8 'Acme'`): read
/// them from its verbose text output.
fn bacnet_identity(cap: &Capture) -> BTreeSet<(&'static str, String)> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&cap.path)
        .args(["-Y", "bacapp.type == 3", "-V"])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        for (label, f) in BACNET_PROPERTIES {
            let Some(rest) = line.strip_prefix(label).and_then(|r| r.strip_prefix(": ")) else {
                continue;
            };
            // `<character set> '<value>'`
            if let (Some(a), Some(b)) = (rest.find('\''), rest.rfind('\'')) {
                if b > a {
                    let v = rest[a + 1..b].trim();
                    if !v.is_empty() {
                        found.insert((f, v.to_owned()));
                    }
                }
            }
        }
    }
    found
}

fn check(
    proto: &str,
    caps: &[Capture],
    want: impl Fn(&Capture) -> BTreeSet<(&'static str, String)>,
) -> usize {
    let mut compared = 0;
    for cap in caps {
        let want = want(cap);
        if want.is_empty() {
            continue;
        }
        let run = common::run_engine(&cap.path);
        let assets: Vec<Value> = run.assets.as_array().cloned().unwrap_or_default();
        for (f, v) in &want {
            let found = assets.iter().any(|a| {
                a["identity"][*f].as_str() == Some(v.as_str())
                    && a["identity_sources"][*f].as_str() == Some(proto)
            });
            assert!(
                found,
                "{}: tshark shows {f} {v:?}, assets.json has no device with it: {}",
                cap.label,
                serde_json::to_string(&assets).unwrap_or_default()
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn modbus_device_identification_reaches_assets_as_tshark_shows_it() {
    if !tshark_available() {
        common::skip("tshark is not installed");
        return;
    }
    let caps = captures_in(&["modbus"], &["modbus"]);
    let n = check("modbus", &caps, modbus_identity);
    eprintln!("modbus identity: {n} strings compared");
    // The pymodbus recording answers 43/14 with vendor, product code and revision.
    assert!(
        n >= 3,
        "expected the pymodbus fixture's identity, compared {n}"
    );
}

#[test]
fn bacnet_device_properties_reach_assets_as_tshark_shows_them() {
    if !tshark_available() {
        common::skip("tshark is not installed");
        return;
    }
    let caps = captures_in(&["bacnet"], &["bacnet"]);
    let n = check("bacnet", &caps, bacnet_identity);
    eprintln!("bacnet identity: {n} strings compared");
    // The bacpypes3 recording alone reads vendor-name, model-name and firmware-revision.
    assert!(n >= 3, "expected BACnet identity strings, compared {n}");
}
