//! Conformance against Wireshark for BACnet/IP: for every BACnet capture
//! (`../shared/pcaps/bacnet` and `tests/data/peers/bacnet-*`), each datagram's BVLC function
//! (`bvlc.function`), NPDU control and network message type (`bacnet.control`,
//! `bacnet.mesgtyp`), APDU type (`bacapp.type`), confirmed or unconfirmed service choice,
//! invoke id, and for the services Skjold decodes (who-Is, i-Am, who-Has, i-Have, readProperty,
//! readPropertyMultiple, writeProperty and their acks): the first object (`bacapp.objectType`,
//! `bacapp.instance_number`), the first property id (`bacapp.property_identifier`), the I-Am
//! vendor id (`bacapp.vendor_identifier`) and the identity strings of acks (vendor-name,
//! model-name, firmware-revision, application-software-version, object-name, location,
//! description, serial-number, as tshark prints them in its labels) equal `tshark`'s.
//! Segmented APDUs are compared on their headers only (Skjold does not reassemble them).

mod common;

use common::captures_in;
use common::conformance::{
    check, each, field, find_all, frame_and_layers, num, opt, tshark_json, Expected, Pdu,
};
use common::Capture;
use serde_json::Value;
use std::collections::BTreeSet;

/// The explained differences. Real Skjold bugs are not listed here.
const EXPECTED: &[Expected] = &[];

/// Services whose objects and properties Skjold decodes: (APDU type, service).
fn decoded(apdu_type: u64, service: Option<u64>) -> bool {
    matches!(
        (apdu_type, service),
        (1, Some(0 | 1 | 7 | 8)) | (0 | 3, Some(12 | 14 | 15))
    )
}

const IDENTITY: [&str; 8] = [
    "vendor-name",
    "model-name",
    "firmware-revision",
    "application-software-version",
    "object-name",
    "location",
    "description",
    "serial-number",
];

#[allow(clippy::too_many_arguments)]
fn key(
    function: Option<u64>,
    control: Option<u64>,
    mesg: Option<u64>,
    apdu_type: Option<u64>,
    service: Option<u64>,
    invoke: Option<u64>,
    object: &str,
    property: &BTreeSet<u64>,
    vendor: Option<u64>,
    strings: &[String],
) -> String {
    format!(
        "f{}/c{}/m{}/t{}/s{}/i{}/o{object}/p{property:?}/v{}/id{strings:?}",
        opt(function),
        opt(control),
        opt(mesg),
        opt(apdu_type),
        opt(service),
        opt(invoke),
        opt(vendor)
    )
}

/// Identity strings in tshark labels such as `vendor-name: ISO 10646 UCS-2 'JCI'`.
fn label_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if let Some((name, rest)) = k.split_once(": ") {
                    if IDENTITY.contains(&name) {
                        if let (Some(a), Some(b)) = (rest.find('\''), rest.rfind('\'')) {
                            if b > a {
                                out.push(format!("{name}={}", &rest[a + 1..b]));
                            }
                        }
                    }
                }
                label_strings(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| label_strings(x, out)),
        _ => {}
    }
}

fn tshark_pdus(cap: &Capture) -> Vec<Pdu> {
    let args: Vec<String> = ["-Y", "bvlc", "-J", "frame bvlc bacnet bacapp"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut pdus = Vec::new();
    for pkt in &tshark_json(cap, &args) {
        let (frame, layers) = frame_and_layers(pkt);
        let Some(bvlc) = each(layers.get("bvlc")).first().copied() else {
            continue;
        };
        let function = num(field(bvlc, "bvlc.function"));
        let npdu = each(layers.get("bacnet")).first().copied();
        let control = npdu.and_then(|n| num(field(n, "bacnet.control")));
        let mesg = npdu.and_then(|n| num(field(n, "bacnet.mesgtyp")));
        let app = each(layers.get("bacapp")).first().copied();
        // Fields nest under labelled subtrees in some PDUs (errors, rejects, aborts).
        let g = |n: &str| {
            app.and_then(|a| {
                let mut v = Vec::new();
                find_all(a, n, &mut v);
                num(v.first().copied())
            })
        };
        let apdu_type = g("bacapp.type");
        let service = g("bacapp.confirmed_service").or(g("bacapp.unconfirmed_service"));
        let segmented = app.is_some_and(|a| {
            let mut v = Vec::new();
            find_all(a, "bacapp.segmented_request", &mut v);
            v.first() == Some(&"1")
        });
        let (mut object, mut property, mut vendor, mut strings) =
            ("-".to_owned(), BTreeSet::new(), None, Vec::new());
        if let (Some(a), Some(t)) = (app, apdu_type) {
            if decoded(t, service) && !segmented {
                let (mut ty, mut inst, mut prop, mut ven) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                find_all(a, "bacapp.objectType", &mut ty);
                find_all(a, "bacapp.instance_number", &mut inst);
                find_all(a, "bacapp.property_identifier", &mut prop);
                find_all(a, "bacapp.vendor_identifier", &mut ven);
                // tshark's JSON objects come back with sorted keys: compare sets.
                let objs: BTreeSet<String> = ty
                    .iter()
                    .zip(&inst)
                    .map(|(t, i)| format!("{t}:{i}"))
                    .collect();
                if !objs.is_empty() {
                    object = format!("{objs:?}");
                }
                property = prop.iter().filter_map(|p| p.parse().ok()).collect();
                if t == 1 && service == Some(0) {
                    vendor = num(ven.first().copied());
                }
                if t == 3 {
                    label_strings(a, &mut strings);
                    let mut names = Vec::new();
                    find_all(a, "bacapp.object_name", &mut names);
                    strings.extend(names.iter().map(|n| format!("object-name={n}")));
                    strings.sort();
                }
            }
        }
        pdus.push(Pdu {
            key: key(
                function,
                control,
                mesg,
                apdu_type,
                service,
                g("bacapp.invoke_id"),
                &object,
                &property,
                vendor,
                &strings,
            ),
            frame,
        });
    }
    pdus
}

fn skjold_pdus(events: &[Value]) -> Vec<Pdu> {
    let mut pdus = Vec::new();
    for e in events.iter().filter(|e| e["event_type"] == "bacnet") {
        let b = &e["bacnet"];
        let u = |v: &Value| v.as_u64();
        let apdu = &b["apdu"];
        let apdu_type = u(&apdu["type_raw"]);
        let service = u(&apdu["service_raw"]);
        let (mut object, mut property, mut vendor, mut strings) =
            ("-".to_owned(), BTreeSet::new(), None, Vec::new());
        let mut objs = BTreeSet::new();
        let mut obj = |o: &Value| {
            if let (Some(t), Some(i)) = (o["object_type_raw"].as_u64(), o["instance"].as_u64()) {
                objs.insert(format!("{t}:{i}"));
            }
        };
        let segmented = apdu["segmented"].as_bool() == Some(true);
        if let Some(t) = apdu_type.filter(|t| decoded(*t, service) && !segmented) {
            let mut bodies: Vec<&Value> = ["read_property", "write_property", "who_has", "i_have"]
                .iter()
                .filter_map(|k| b.get(*k))
                .collect();
            if let Some(a) = b["read_property_multiple"].as_array() {
                bodies.extend(a.iter());
            }
            for x in bodies {
                obj(x);
                obj(&x["value"]);
                if let Some(p) = x["property_raw"].as_u64() {
                    property.insert(p);
                }
            }
            for k in ["i_am", "i_have"] {
                if let Some(i) = b[k]["device_instance"].as_u64() {
                    objs.insert(format!("8:{i}"));
                }
            }
            vendor = b["i_am"]["vendor_id"].as_u64();
            if !objs.is_empty() {
                object = format!("{objs:?}");
            }
            if t == 3 {
                let mut items: Vec<&Value> = Vec::new();
                if let Some(x) = b.get("read_property") {
                    items.push(x);
                }
                if let Some(a) = b["read_property_multiple"].as_array() {
                    items.extend(a.iter());
                }
                for x in items {
                    if let (Some(p), Some(s)) = (x["property"].as_str(), x["value"].as_str()) {
                        if IDENTITY.contains(&p) {
                            strings.push(format!("{p}={s}"));
                        }
                    }
                }
                strings.sort();
            }
        }
        pdus.push(Pdu {
            key: key(
                u(&b["bvlc"]["function_raw"]),
                u(&b["npdu"]["control"]),
                u(&b["npdu"]["message_type_raw"]),
                apdu_type,
                service,
                u(&apdu["invoke_id"]),
                &object,
                &property,
                vendor,
                &strings,
            ),
            frame: e["pcap_cnt"].as_u64().unwrap_or(0),
        });
    }
    pdus
}

#[test]
fn bacnet_pdus_match_tshark() {
    let caps = captures_in(&["bacnet"], &["bacnet"]);
    let n = check("bacnet", &caps, EXPECTED, |cap, run| {
        (tshark_pdus(cap), skjold_pdus(&run.events))
    });
    eprintln!("bacnet: {n} tshark PDUs compared");
}
