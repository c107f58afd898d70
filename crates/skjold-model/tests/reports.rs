//! Report tests on the three example models: Markdown and CSV snapshots (insta), SARIF validated
//! against the SARIF 2.1.0 JSON Schema, the HTML report self-contained, the data-flow diagram with
//! no overlapping labels, and the JSON Schema of the format.

use std::path::{Path, PathBuf};

use skjold_model::output::{render, Format};
use skjold_model::{check, load_model, report, Date, RuleSet, Status};

/// A validator for the SARIF 2.1.0 schema in tests/data (see tests/data/README.md).
pub(crate) fn sarif_validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).unwrap()
}

const EXAMPLES: [&str; 3] = ["water-treatment", "factory-mqtt-cloud", "ship-satellite"];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/models")
        .join(format!("{name}.yaml"))
}

fn date() -> Date {
    Date::parse("2026-06-01").unwrap()
}

/// Loads an example with a path relative to the workspace, so snapshots do not depend on where
/// the checkout lives.
fn build(name: &str, format: Format) -> String {
    let rules = RuleSet::builtin().unwrap();
    let mut loaded = load_model(&example(name)).unwrap();
    loaded.file = format!("examples/models/{name}.yaml");
    let res = check(&loaded.model, &rules, date());
    let rep = report::build(
        &loaded.model,
        &loaded.file,
        &loaded.source,
        &rules,
        &res,
        date(),
    );
    // The tool version appears in reports; keep snapshots independent of it.
    render(&rep, &loaded.model, &rules, format)
        .unwrap()
        .replace(
            &format!("skjold-model {}", env!("CARGO_PKG_VERSION")),
            "skjold-model [version]",
        )
}

#[test]
fn markdown_reports_match_snapshots() {
    for name in EXAMPLES {
        insta::assert_snapshot!(format!("{name}.md"), build(name, Format::Md));
    }
}

#[test]
fn csv_report_matches_snapshot() {
    insta::assert_snapshot!(
        "factory-mqtt-cloud.csv",
        build("factory-mqtt-cloud", Format::Csv)
    );
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = sarif_validator(&schema);
    for name in EXAMPLES {
        let sarif: serde_json::Value = serde_json::from_str(&build(name, Format::Sarif)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        // Every result points at a line of the model and carries a stable fingerprint.
        for r in results {
            assert!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
                    >= 1
            );
            assert!(r["partialFingerprints"]["skjoldFindingId/v1"]
                .as_str()
                .unwrap()
                .contains(':'));
        }
    }
    // A broken log is rejected, so the check above can fail.
    let mut bad: serde_json::Value =
        serde_json::from_str(&build("water-treatment", Format::Sarif)).unwrap();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn sarif_marks_mitigated_and_accepted_threats_as_suppressed() {
    let sarif: serde_json::Value =
        serde_json::from_str(&build("water-treatment", Format::Sarif)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let accepted = results
        .iter()
        .find(|r| r["partialFingerprints"]["skjoldFindingId/v1"] == "TM-010:hmi")
        .unwrap();
    assert_eq!(accepted["suppressions"][0]["status"], "accepted");
    assert!(accepted["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .contains("Plant manager"));
    let open = results
        .iter()
        .find(|r| r["partialFingerprints"]["skjoldFindingId/v1"] == "TM-005:f-remote-desktop")
        .unwrap();
    assert!(open.get("suppressions").is_none());
    assert_eq!(open["level"], "error");
}

#[test]
fn html_report_is_self_contained_and_has_every_section() {
    for name in EXAMPLES {
        let html = build(name, Format::Html);
        for section in [
            "Summary",
            "Risk matrix",
            "Consequences",
            "Most important threats",
            "Mitigation plan",
            "Zones",
            "Data-flow diagram",
            "All threats",
            "ETSI EN 303 645 coverage",
            "IEC 62443-3-3 coverage",
        ] {
            assert!(
                html.contains(&format!(">{section}</h2>")),
                "{name}: missing section {section}"
            );
        }
        assert!(html.contains("<svg"), "{name}: diagram not inlined");
        assert!(!html.contains("<script"), "{name}: must not need scripts");
        assert!(
            !html.contains("<link") && !html.contains("src=\"http"),
            "{name}: must not load resources"
        );
    }
}

#[test]
fn json_report_round_trips_and_counts_agree() {
    let v: serde_json::Value =
        serde_json::from_str(&build("factory-mqtt-cloud", Format::Json)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let open = findings.iter().filter(|f| f["status"] == "open").count();
    assert_eq!(v["summary"]["open"].as_u64().unwrap() as usize, open);
    let matrix_total: u64 = v["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(matrix_total as usize, open);
    // SPEC §7 fields on every finding.
    for f in findings {
        for k in [
            "id",
            "rule",
            "title",
            "severity",
            "target",
            "evidence",
            "etsi_en_303_645",
            "iec_62443",
            "mitre_attack_ics",
            "remediation",
        ] {
            assert!(f.get(k).is_some(), "missing {k}");
        }
    }
}

#[test]
fn examples_tell_their_story() {
    let rules = RuleSet::builtin().unwrap();
    let water = load_model(&example("water-treatment")).unwrap();
    let res = check(&water.model, &rules, date());
    let open = |id: &str| {
        res.findings
            .iter()
            .any(|f| f.id == id && f.status == Status::Open)
    };
    // The Oldsmar path: remote desktop without MFA straight to the HMI, no DMZ, shared password.
    assert!(open("TM-005:f-remote-desktop"));
    assert!(open("TM-026:f-remote-desktop"));
    assert!(open("TM-004:model"));
    assert!(open("TM-007:hmi"));
    let ship = load_model(&example("ship-satellite")).unwrap();
    let res = check(&ship.model, &rules, date());
    let f = res
        .findings
        .iter()
        .find(|f| f.id == "TM-042:c-vsat")
        .unwrap();
    assert_eq!(f.status, Status::Open);
    // The ECDIS acceptance expired at the end of 2025 and re-opened.
    let ecdis = res
        .findings
        .iter()
        .find(|f| f.id == "TM-010:ecdis")
        .unwrap();
    assert_eq!(ecdis.status, Status::Open);
    assert!(ecdis.acceptance.as_ref().unwrap().expired);
    let factory = load_model(&example("factory-mqtt-cloud")).unwrap();
    let res = check(&factory.model, &rules, date());
    let uplink = res
        .findings
        .iter()
        .find(|f| f.id == "TM-016:f-edge-hub")
        .unwrap();
    assert_eq!(
        uplink.status,
        Status::Mitigated,
        "mutual TLS is in place on the uplink"
    );
}

#[test]
fn diagrams_of_the_examples_have_no_overlapping_labels() {
    let rules = RuleSet::builtin().unwrap();
    for name in EXAMPLES {
        let loaded = load_model(&example(name)).unwrap();
        let res = check(&loaded.model, &rules, date());
        let d = skjold_model::diagram::render(&loaded.model, &res.findings);
        assert_eq!(d.overlaps, 0, "{name}: labels placed on top of others");
        for (i, a) in d.labels.iter().enumerate() {
            for b in &d.labels[i + 1..] {
                let disjoint =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(disjoint, "{name}: {a:?} overlaps {b:?}");
            }
        }
        assert!(d.svg.starts_with("<svg") && d.svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            d.svg.matches("class=\"flow\"").count(),
            loaded.model.flows.len()
        );
    }
}

#[test]
fn json_schema_describes_the_format_and_accepts_the_examples() {
    let schema: serde_json::Value = serde_json::from_str(&skjold_model::json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for name in EXAMPLES {
        let text = std::fs::read_to_string(example(name)).unwrap();
        let yaml: serde_json::Value = serde_norway::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&yaml)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let bad: serde_json::Value =
        serde_json::json!({"name": "x", "elements": [{"id": "a", "kind": "toaster", "zone": "z"}]});
    assert!(!validator.is_valid(&bad));
}
