//! Tests of `verify` (against a hand-made `watch` output from a real Modbus capture, with a model
//! that differs on purpose), `diff` (two versions of a model) and the `OpenThreatModel` import.

use std::path::{Path, PathBuf};

use skjold_model::engine::Severity;
use skjold_model::{check, diff, import, load_model, parse_model, verify, Date, RuleSet, Status};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

fn today() -> Date {
    Date::parse("2026-06-01").unwrap()
}

#[test]
fn verify_reports_every_kind_of_drift() {
    let m = load_model(&data("verify-model.yaml")).unwrap();
    let obs = verify::load_observed(&data("observed-modbus")).unwrap();
    assert_eq!(obs.assets.len(), 6);
    // Five client conversations to 192.168.0.20:502; the response-first stream is normalised.
    assert_eq!(obs.flows.len(), 5);
    assert!(obs
        .flows
        .iter()
        .all(|f| f.dst == "192.168.0.20" && f.port == 502));
    let rep = verify::verify(&m.model, &obs, "observed-modbus");
    let ids: Vec<&str> = rep.findings.iter().map(|f| f.id.as_str()).collect();
    let expect = [
        "VF-001:192.168.0.133",
        "VF-001:192.168.0.144",
        "VF-001:192.168.0.156",
        "VF-002:192.168.0.156->192.168.0.20:502",
        "VF-003:f-hmi",
        "VF-004:f-hmi",
        "VF-006:f-hist",
        "VF-007:historian",
    ];
    for e in expect {
        assert!(ids.contains(&e), "missing {e} in {ids:#?}");
    }
    // The SCADA poll is modelled correctly: nothing about it.
    assert!(
        !ids.iter()
            .any(|i| i.contains("f-scada") || i.contains("192.168.0.112")),
        "{ids:#?}"
    );
    assert_eq!(ids.len(), 10, "{ids:#?}");
    let hmi = rep
        .findings
        .iter()
        .find(|f| f.id == "VF-003:f-hmi")
        .unwrap();
    assert_eq!(hmi.severity, Severity::High);
    assert_eq!(hmi.evidence["observed"]["app_proto"], "modbus");
    assert_eq!(rep.worst(), Some(Severity::High));
}

#[test]
fn verify_of_a_matching_model_is_clean_apart_from_unseen_items() {
    let src = "name: exact\nzones:\n  - {id: z, kind: control}\nelements:\n  - {id: plc, kind: plc, zone: z, ip: [192.168.0.20]}\n  - {id: a, kind: hmi, zone: z, ip: [192.168.0.21, 192.168.0.112, 192.168.0.133, 192.168.0.144, 192.168.0.156]}\nflows:\n  - {id: f, from: a, to: plc, protocol: modbus, port: 502}\n";
    let m = parse_model(src, "exact.yaml").unwrap();
    let obs = verify::load_observed(&data("observed-modbus")).unwrap();
    let rep = verify::verify(&m.model, &obs, "observed-modbus");
    assert!(rep.findings.is_empty(), "{:#?}", rep.findings);
}

#[test]
fn verify_rejects_a_directory_without_watch_output() {
    let dir = tempfile::tempdir().unwrap();
    let e = verify::load_observed(dir.path()).unwrap_err().to_string();
    assert!(e.contains("neither assets.json nor eve.json"), "{e}");
    std::fs::write(dir.path().join("eve.json"), "{\"src_ip\": 1\n").unwrap();
    let e = verify::load_observed(dir.path()).unwrap_err().to_string();
    assert!(e.contains("eve.json:1:"), "{e}");
}

#[test]
fn verify_sarif_validates() {
    let m = load_model(&data("verify-model.yaml")).unwrap();
    let obs = verify::load_observed(&data("observed-modbus")).unwrap();
    let rep = verify::verify(&m.model, &obs, "observed-modbus");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&rep.sarif("verify-model.yaml")).unwrap();
    assert!(v.is_valid(&sarif));
}

const OLD: &str = "name: plant
zones:
  - {id: ops, kind: operations}
  - {id: ctl, kind: control}
conduits:
  - {id: c1, zones: [ops, ctl], via: [fw]}
elements:
  - {id: fw, kind: firewall, zone: ctl}
  - {id: scada, kind: server, zone: ops}
  - {id: plc, kind: plc, zone: ctl, criticality: {safety: medium}}
flows:
  - {id: f1, from: scada, to: plc, protocol: modbus, port: 502}
";

#[test]
fn diff_lists_added_removed_changed_and_controls() {
    let rules = RuleSet::builtin().unwrap();
    let old = parse_model(OLD, "old.yaml").unwrap().model;
    // New version: the PLC becomes safety-critical (severity changes), the flow is encrypted
    // (plaintext threat removed), a write-capable engineering flow appears (threats added) and
    // monitoring is added as a control.
    let new_src = OLD
        .replace("criticality: {safety: medium}", "criticality: {safety: high}")
        .replace("port: 502}", "port: 802, encrypted: true}")
        + "  - {id: f2, from: scada, to: plc, protocol: s7comm, port: 102, write: true, purpose: engineering}\ncontrols:\n  - {control: security-monitoring, on: [ctl]}\n";
    let new = parse_model(&new_src, "new.yaml").unwrap().model;
    let (ra, rb) = (check(&old, &rules, today()), check(&new, &rules, today()));
    let d = diff::diff(&old, &ra, &new, &rb);
    let added: Vec<&str> = d.added.iter().map(|e| e.id.as_str()).collect();
    let removed: Vec<&str> = d.removed.iter().map(|e| e.id.as_str()).collect();
    assert!(added.contains(&"TM-050:f2"), "{added:?}");
    assert!(added.contains(&"TM-002:f2"), "{added:?}");
    assert!(removed.contains(&"TM-001:f1"), "{removed:?}");
    assert!(
        d.severity_changed
            .iter()
            .any(|c| c.id == "TM-021:plc" && c.new_severity > c.old_severity),
        "{:?}",
        d.severity_changed
    );
    assert!(
        d.status_changed
            .iter()
            .any(|c| c.id == "TM-020:ctl" && c.new_status == Status::Mitigated),
        "{:?}",
        d.status_changed
    );
    assert_eq!(
        d.controls_added,
        vec!["security-monitoring on ctl".to_owned()]
    );
    assert!(d.worst_regression().is_some_and(|s| s >= Severity::High));
    let md = d.markdown("old.yaml", "new.yaml");
    assert!(md.contains("## Threats added") && md.contains("## Controls added (1)"));
    // A model compared with itself has no difference.
    let same = diff::diff(&old, &ra, &old, &ra);
    assert!(same.is_empty());
    assert_eq!(same.worst_regression(), None);
}

#[test]
fn finding_ids_are_stable_across_edits_elsewhere_in_the_model() {
    let rules = RuleSet::builtin().unwrap();
    let a = parse_model(OLD, "a").unwrap().model;
    let b = parse_model(
        &format!("# a comment moves every line\n{OLD}")
            .replace("name: plant", "name: plant renamed"),
        "b",
    )
    .unwrap()
    .model;
    let ids = |m| -> Vec<String> {
        check(m, &rules, today())
            .findings
            .into_iter()
            .map(|f| f.id)
            .collect()
    };
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn otm_import_maps_zones_components_and_flows() {
    let text = std::fs::read_to_string(data("line.otm.json")).unwrap();
    let (m, notes) = import::from_otm(&text, "line.otm.json").unwrap();
    assert_eq!(m.name, "Bottling line (OTM import test)");
    let kind = |id: &str| m.zones.iter().find(|z| z.id == id).unwrap().kind.as_str();
    assert_eq!(kind("tz-internet"), "internet");
    assert_eq!(kind("tz-cloud"), "cloud");
    assert_eq!(kind("tz-office"), "enterprise");
    assert_eq!(kind("tz-plant"), "control");
    let el = |id: &str| m.elements.iter().find(|e| e.id == id).unwrap();
    assert_eq!(el("c-plc").kind.as_str(), "plc");
    assert_eq!(el("c-gw").kind.as_str(), "gateway");
    assert_eq!(el("c-iot").kind.as_str(), "cloud_service");
    // Nested component takes its parent's zone; an orphan is skipped with a note.
    assert_eq!(el("c-io").zone, "tz-plant");
    assert!(m.elements.iter().all(|e| e.id != "c-orphan"));
    assert!(notes.iter().any(|n| n.contains("c-orphan")));
    assert!(notes.iter().any(|n| n.contains("df-5")));
    let f = |id: &str| m.flows.iter().find(|f| f.id == id).unwrap();
    assert_eq!(
        (
            f("df-1").protocol.as_str(),
            f("df-1").port,
            f("df-1").encrypted
        ),
        ("mqtt", Some(8883), true)
    );
    assert!(f("df-3").write);
    assert_eq!(f("df-2").protocol, "https");
    // The YAML it writes loads as a model, and the rules find the plaintext Modbus write.
    let yaml = import::to_yaml(&m).unwrap();
    let back = parse_model(&yaml, "imported.yaml").unwrap();
    let res = check(&back.model, &RuleSet::builtin().unwrap(), today());
    assert!(res.findings.iter().any(|x| x.id == "TM-002:df-3"));
    assert!(res.findings.iter().any(|x| x.id == "TM-004:model"));
}

#[test]
fn otm_import_rejects_non_otm_json_with_its_line() {
    let e = import::from_otm("{\n  \"project\": 3\n}", "x.json")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("x.json:2:"), "{e}");
}

#[test]
fn threagile_import_maps_the_subset_that_maps() {
    let text = std::fs::read_to_string(data("plant.threagile.yaml")).unwrap();
    let (m, notes) = import::from_threagile(&text, "plant.threagile.yaml").unwrap();
    assert_eq!(
        m.name,
        "Tank farm remote monitoring (Threagile import test)"
    );
    let zone = |id: &str| m.zones.iter().find(|z| z.id == id).unwrap().kind.as_str();
    assert_eq!(zone("cloud"), "cloud");
    assert_eq!(zone("tank-control"), "control");
    assert_eq!(zone("internet"), "internet");
    let el = |id: &str| m.elements.iter().find(|e| e.id == id).unwrap();
    assert_eq!(el("level-plc").kind.as_str(), "plc");
    assert_eq!(el("tank-gateway").kind.as_str(), "gateway");
    assert_eq!(el("operator-browser").zone, "internet");
    assert_eq!(
        el("level-plc").criticality.availability,
        skjold_model::model::Level::High
    );
    assert!(m.elements.iter().all(|e| e.id != "old-report"));
    assert!(notes.iter().any(|n| n.contains("old-report")));
    let f = |id: &str| m.flows.iter().find(|f| f.id == id).unwrap();
    let up = f("tank-gateway-telemetry-upload");
    assert_eq!(
        (
            up.protocol.as_str(),
            up.encrypted,
            up.authenticated,
            up.write
        ),
        ("mqtt", false, false, true)
    );
    assert!(
        !f("tank-gateway-level-poll").write,
        "readonly link is not write-capable"
    );
    assert!(f("operator-browser-dashboard-access").encrypted);
    // Two-factor authentication becomes the `mfa` control on that flow.
    assert!(m
        .controls
        .iter()
        .any(|c| c.control == "mfa" && c.on == ["operator-browser-dashboard-access"]));
    let personal_or_creds: Vec<_> = m
        .data_assets
        .iter()
        .map(|d| d.classification.as_str())
        .collect();
    assert!(personal_or_creds.contains(&"credentials"));
    // It loads and the rules find the cloud telemetry in clear.
    let back = parse_model(&import::to_yaml(&m).unwrap(), "imported.yaml").unwrap();
    let res = check(&back.model, &RuleSet::builtin().unwrap(), today());
    assert!(res
        .findings
        .iter()
        .any(|x| x.id == "TM-017:tank-gateway-telemetry-upload"));
    assert!(res
        .findings
        .iter()
        .any(|x| x.id == "TM-037:tank-gateway-telemetry-upload"));
}
