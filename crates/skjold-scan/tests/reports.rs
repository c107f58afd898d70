//! Rules and reports on a synthetic fleet: every rule fires on the service made to fail it and
//! on nothing else; JSON round-trips; SARIF validates against the SARIF 2.1.0 schema (the copy
//! in skjold-model's test data); Markdown and HTML group by device and by ETSI provision.

use serde_json::json;
use skjold_scan::model::{
    CertInfo, Host, ProbeStatus, ScanReport, Service, Stats, TlsInfo, Transport,
};
use skjold_scan::report::{self, Format};
use skjold_scan::rules;

fn svc(port: u16, t: Transport, proto: &str, facts: &[(&str, serde_json::Value)]) -> Service {
    let mut s = Service::new(port, t, proto);
    s.status = ProbeStatus::Identified;
    for (k, v) in facts {
        s.fact(k, v.clone());
    }
    s
}

fn good_cert() -> CertInfo {
    CertInfo {
        subject: "CN=plc1".into(),
        issuer: "CN=Plant CA".into(),
        not_before: "2026-01-01T00:00:00Z".into(),
        not_after: "2027-01-01T00:00:00Z".into(),
        key_type: "RSA".into(),
        key_bits: 2048,
        signature_algorithm: "sha256WithRSAEncryption".into(),
        names: vec!["plc1.plant.local".into()],
        hostname_match: Some(true),
        ..CertInfo::default()
    }
}

fn tls_svc(port: u16, versions: &[&str], weak: &[&str], cert: CertInfo) -> Service {
    let mut s = svc(port, Transport::Tcp, "https", &[("tls", json!(true))]);
    s.tls = Some(TlsInfo {
        versions: versions.iter().map(|x| (*x).to_owned()).collect(),
        weak_suites: weak.iter().map(|x| (*x).to_owned()).collect(),
        certificate: Some(cert),
        ..TlsInfo::default()
    });
    s
}

/// (rule expected, service made to fail exactly that rule).
fn cases() -> Vec<(&'static str, Service)> {
    let no_auth = ("auth_required", json!(false));
    let mut v = vec![
        (
            "SCAN-001",
            svc(
                502,
                Transport::Tcp,
                "modbus",
                std::slice::from_ref(&no_auth),
            ),
        ),
        (
            "SCAN-001",
            svc(
                47808,
                Transport::Udp,
                "bacnet",
                std::slice::from_ref(&no_auth),
            ),
        ),
        (
            "SCAN-002",
            svc(
                4840,
                Transport::Tcp,
                "opcua",
                &[("security_modes", json!(["None", "Sign"]))],
            ),
        ),
        (
            "SCAN-003",
            svc(
                4841,
                Transport::Tcp,
                "opcua",
                &[("user_token_types", json!(["Anonymous"]))],
            ),
        ),
        (
            "SCAN-005",
            svc(
                1883,
                Transport::Tcp,
                "mqtt",
                &[("tls", json!(false)), ("auth_required", json!(true))],
            ),
        ),
        ("SCAN-006", svc(23, Transport::Tcp, "telnet", &[])),
        ("SCAN-007", svc(21, Transport::Tcp, "ftp", &[])),
        ("SCAN-008", svc(80, Transport::Tcp, "http", &[])),
        (
            "SCAN-009",
            svc(5683, Transport::Udp, "coap", std::slice::from_ref(&no_auth)),
        ),
        (
            "SCAN-010",
            tls_svc(443, &["TLSv1.0", "TLSv1.2"], &[], good_cert()),
        ),
        (
            "SCAN-011",
            tls_svc(
                444,
                &["TLSv1.2"],
                &["TLS_RSA_WITH_RC4_128_SHA"],
                good_cert(),
            ),
        ),
        (
            "SCAN-012",
            tls_svc(
                445,
                &["TLSv1.2"],
                &[],
                CertInfo {
                    expired: true,
                    ..good_cert()
                },
            ),
        ),
        (
            "SCAN-013",
            tls_svc(
                446,
                &["TLSv1.2"],
                &[],
                CertInfo {
                    self_signed: true,
                    ..good_cert()
                },
            ),
        ),
        (
            "SCAN-014",
            tls_svc(
                447,
                &["TLSv1.2"],
                &[],
                CertInfo {
                    hostname_match: Some(false),
                    ..good_cert()
                },
            ),
        ),
        (
            "SCAN-015",
            tls_svc(
                448,
                &["TLSv1.3"],
                &[],
                CertInfo {
                    key_bits: 1024,
                    ..good_cert()
                },
            ),
        ),
        (
            "SCAN-016",
            tls_svc(
                449,
                &["TLSv1.2"],
                &[],
                CertInfo {
                    signature_algorithm: "sha1WithRSAEncryption".into(),
                    ..good_cert()
                },
            ),
        ),
        (
            "SCAN-021",
            svc(
                2121,
                Transport::Tcp,
                "ftps-test",
                &[("anonymous_login", json!(true))],
            ),
        ),
        (
            "SCAN-022",
            svc(
                102,
                Transport::Tcp,
                "s7comm",
                &[("setup_accepted", json!(true))],
            ),
        ),
        (
            "SCAN-023",
            svc(
                161,
                Transport::Udp,
                "snmp",
                &[("community_public", json!(true))],
            ),
        ),
    ];
    let mut m = svc(
        8883,
        Transport::Tcp,
        "mqtts",
        &[no_auth, ("tls", json!(true))],
    );
    m.tls = Some(TlsInfo {
        versions: vec!["TLSv1.3".into()],
        ..TlsInfo::default()
    });
    v.push(("SCAN-004", m));
    v.push((
        "SCAN-020",
        svc(
            8081,
            Transport::Tcp,
            "http-alt",
            &[("default_credentials", json!("admin:admin"))],
        ),
    ));
    let mut old = svc(22, Transport::Tcp, "ssh", &[]);
    old.ident("software", "OpenSSH_7.4p1");
    v.push(("SCAN-030", old));
    v
}

fn fleet() -> ScanReport {
    let hosts: Vec<Host> = cases()
        .into_iter()
        .enumerate()
        .map(|(i, (_, s))| Host {
            address: format!("127.0.1.{}", i + 1),
            hostname: Some("plc1.plant.local".into()),
            services: vec![s],
        })
        .collect();
    let findings = rules::evaluate(&hosts);
    ScanReport {
        tool: "skjold-scan test".into(),
        started: "2026-11-22T00:00:00Z".into(),
        targets: vec!["127.0.1.0/24".into()],
        intrusive: true,
        interrupted: false,
        stats: Stats::default(),
        hosts,
        findings,
    }
}

#[test]
fn every_rule_fires_on_its_case_and_only_there() {
    let r = fleet();
    for (i, (rule, _)) in cases().iter().enumerate() {
        let addr = format!("127.0.1.{}", i + 1);
        let got: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| {
                f.id.split_once('@')
                    .is_some_and(|(_, t)| t.starts_with(&format!("{addr}:")))
            })
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(got, [*rule], "{addr}");
    }
    let mut covered: Vec<&str> = cases().iter().map(|c| c.0).collect();
    covered.sort_unstable();
    covered.dedup();
    let all: Vec<&str> = rules::RULES.iter().map(|r| r.id).collect();
    assert_eq!(covered, all, "a rule without a test case");
    // Severity overrides: HTTP Basic in clear is high; SSLv3 is high; vsFTPd 2.3.4 critical.
    let mut basic = svc(
        80,
        Transport::Tcp,
        "http",
        &[("auth_scheme", json!("Basic"))],
    );
    basic.status = ProbeStatus::Identified;
    let h = Host {
        address: "127.0.0.1".into(),
        hostname: None,
        services: vec![basic],
    };
    assert_eq!(
        rules::evaluate(&[h])[0].severity,
        skjold_scan::Severity::High
    );
}

#[test]
fn json_round_trips() {
    let r = fleet();
    let text = report::render(&r, Format::Json).unwrap();
    let back: ScanReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = &v["findings"][0];
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
        assert!(f.get(k).is_some(), "finding lacks {k}");
    }
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../skjold-model/tests/data/sarif-schema-2.1.0.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let r = fleet();
    let sarif: serde_json::Value =
        serde_json::from_str(&report::render(&r, Format::Sarif).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), r.findings.len());
    let rules_out = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules_out.len(), rules::RULES.len());
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules_out[idx]["id"], res["ruleId"]);
    }
    // A broken log is rejected (the validation can fail).
    let mut bad = sarif.clone();
    bad["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn markdown_and_html_group_by_device_and_provision() {
    let r = fleet();
    let md = report::render(&r, Format::Md).unwrap();
    assert!(md.contains("## By device") && md.contains("## By ETSI EN 303 645 provision"));
    assert!(md.contains("### 127.0.1.1 (plc1.plant.local)"));
    assert!(md.contains("### 5.1-1:") && md.contains("### 5.5-1:") && md.contains("### 5.6-4A:"));
    assert!(md.find("### 5.1-1:").unwrap() < md.find("### 5.5-1:").unwrap());
    assert!(md.find("### 5.6-1:").unwrap() < md.find("### 5.6-4A:").unwrap());
    let html = report::render(&r, Format::Html).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<h2>By ETSI EN 303 645 provision</h2>"));
    for f in &r.findings {
        assert!(html.contains(&f.rule), "{}", f.rule);
    }
    // Autoescaping: a hostile banner cannot inject markup.
    let mut evil = r.clone();
    evil.hosts[0].services[0].ident("banner", "<script>alert(1)</script>");
    let html = report::render(&evil, Format::Html).unwrap();
    assert!(!html.contains("<script>alert(1)"));
}
