//! Per-rule tests: every built-in rule's `example` model must make the rule fire (open), and the
//! same model with each of the rule's mitigating control groups in place must show the threat as
//! mitigated. This is the "fires / suppressed by its control" pair for all rules at once, with the
//! failing rule named in the message.

use skjold_model::model::ControlInPlace;
use skjold_model::{check, parse_model, Date, RuleSet, Status};

fn today() -> Date {
    Date::parse("2026-01-01").unwrap()
}

#[test]
fn every_rule_fires_on_its_example_and_is_suppressed_by_each_control_group() {
    let rules = RuleSet::builtin().unwrap();
    assert!(rules.rules.len() >= 50);
    for rule in &rules.rules {
        let loaded = parse_model(&rule.example, &format!("{}.example", rule.id))
            .unwrap_or_else(|e| panic!("{}: example does not load: {e}", rule.id));
        let res = check(&loaded.model, &rules, today());
        let hits: Vec<_> = res.findings.iter().filter(|f| f.rule == rule.id).collect();
        assert!(!hits.is_empty(), "{} does not fire on its example", rule.id);
        assert!(
            hits.iter().all(|f| f.status == Status::Open),
            "{} fires but is not open",
            rule.id
        );
        for group in &rule.mitigated_by {
            let mut m = loaded.model.clone();
            m.controls = group
                .iter()
                .map(|c| ControlInPlace {
                    control: c.clone(),
                    on: vec![],
                    note: None,
                })
                .collect();
            let res = check(&m, &rules, today());
            let hits: Vec<_> = res.findings.iter().filter(|f| f.rule == rule.id).collect();
            assert!(
                !hits.is_empty(),
                "{}: controls must not hide the finding",
                rule.id
            );
            assert!(
                hits.iter().all(|f| f.status == Status::Mitigated),
                "{}: controls {group:?} do not mitigate it",
                rule.id
            );
        }
    }
}

#[test]
fn a_control_placed_on_another_target_does_not_mitigate() {
    let rules = RuleSet::builtin().unwrap();
    let rule = rules.get("TM-001").unwrap();
    let mut m = parse_model(&rule.example, "x").unwrap().model;
    m.controls = vec![ControlInPlace {
        control: "secure-channel".into(),
        on: vec!["ctl".into()],
        note: None,
    }];
    let res = check(&m, &rules, today());
    let f = res.findings.iter().find(|f| f.rule == "TM-001").unwrap();
    // `ctl` is the zone, not the flow, its ends or its conduit.
    assert_eq!(f.status, Status::Open);
    m.controls[0].on = vec!["plc".into()];
    let res = check(&m, &rules, today());
    assert_eq!(
        res.findings
            .iter()
            .find(|f| f.rule == "TM-001")
            .unwrap()
            .status,
        Status::Mitigated
    );
}

#[test]
fn secure_flow_does_not_fire_plaintext_rule() {
    let rules = RuleSet::builtin().unwrap();
    let src = rules
        .get("TM-001")
        .unwrap()
        .example
        .replace("port: 502}", "port: 802, encrypted: true}");
    let m = parse_model(&src, "x").unwrap().model;
    assert!(!check(&m, &rules, today())
        .findings
        .iter()
        .any(|f| f.rule == "TM-001"));
}

#[test]
fn accepted_risk_is_carried_and_reopens_when_expired() {
    let rules = RuleSet::builtin().unwrap();
    let base = rules.get("TM-006").unwrap().example.clone();
    let src = format!(
        "{base}accepted_risks:\n  - {{finding: \"TM-006:plc\", owner: plant manager, reason: replacement ordered, expires: 2026-03-01}}\n"
    );
    let m = parse_model(&src, "x").unwrap().model;
    let before = check(&m, &rules, Date::parse("2026-02-01").unwrap());
    let f = before
        .findings
        .iter()
        .find(|f| f.id == "TM-006:plc")
        .unwrap();
    assert_eq!(f.status, Status::Accepted);
    let after = check(&m, &rules, Date::parse("2026-03-02").unwrap());
    let f = after
        .findings
        .iter()
        .find(|f| f.id == "TM-006:plc")
        .unwrap();
    assert_eq!(f.status, Status::Open);
    assert!(f.acceptance.as_ref().unwrap().expired);
}

#[test]
fn acceptance_matching_nothing_is_warned_about() {
    let rules = RuleSet::builtin().unwrap();
    let base = rules.get("TM-006").unwrap().example.clone();
    let src = format!("{base}accepted_risks:\n  - {{finding: \"TM-999:x\", owner: a, reason: b, expires: 2030-01-01}}\n");
    let m = parse_model(&src, "x").unwrap().model;
    let res = check(&m, &rules, today());
    assert_eq!(res.warnings.len(), 1);
    assert!(res.warnings[0].contains("TM-999:x"));
}

#[test]
fn project_local_rules_are_added_from_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut rule = RuleSet::builtin().unwrap().get("TM-006").unwrap().clone();
    rule.id = "LOCAL-001".into();
    rule.title = "Local: default credentials".into();
    std::fs::write(
        dir.path().join("local.yaml"),
        serde_norway::to_string(&rule).unwrap(),
    )
    .unwrap();
    let mut rules = RuleSet::builtin().unwrap();
    let n = rules.rules.len();
    rules.add_dir(dir.path()).unwrap();
    assert_eq!(rules.rules.len(), n + 1);
    let m = parse_model(&rule.example, "x").unwrap().model;
    assert!(check(&m, &rules, today())
        .findings
        .iter()
        .any(|f| f.rule == "LOCAL-001"));
}
