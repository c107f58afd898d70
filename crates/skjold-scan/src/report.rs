//! Writers: JSON (the [`ScanReport`]), Markdown and HTML (grouped by device and by ETSI
//! EN 303 645 provision), SARIF 2.1.0 (one result per finding, one rule per rule id).

use crate::model::{Finding, ScanReport, Severity};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// Markdown.
    Md,
    /// Self-contained HTML.
    Html,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// Parses a name or file extension.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "md" | "markdown" => Some(Self::Md),
            "html" | "htm" => Some(Self::Html),
            "sarif" => Some(Self::Sarif),
            _ => None,
        }
    }
}

/// Renders a report.
pub fn render(r: &ScanReport, f: Format) -> Result<String, String> {
    match f {
        Format::Json => serde_json::to_string_pretty(r)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Md => Ok(markdown(r)),
        Format::Html => html(r),
        Format::Sarif => Ok(sarif(r)),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn counts(f: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m = BTreeMap::new();
    for x in f {
        *m.entry(x.severity).or_insert(0) += 1;
    }
    m
}

/// Findings per ETSI provision, provisions in catalogue order.
#[allow(clippy::many_single_char_names)]
pub fn by_provision(r: &ScanReport) -> Vec<(String, Vec<&Finding>)> {
    let mut m: BTreeMap<(u32, u32, String), Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        for p in &f.etsi_en_303_645 {
            let (a, b) = p.split_once('-').unwrap_or((p, "0"));
            let minor = a
                .split('.')
                .nth(1)
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let n = b.trim_end_matches(char::is_alphabetic).parse().unwrap_or(0);
            m.entry((minor, n, p.clone())).or_default().push(f);
        }
    }
    m.into_iter().map(|((_, _, p), v)| (p, v)).collect()
}

/// Markdown report.
pub fn markdown(r: &ScanReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Skjold scan report\n");
    let _ = writeln!(
        o,
        "Targets `{}`, started {}, {} by {}{}.\n",
        r.targets.join(" "),
        r.started,
        if r.intrusive {
            "intrusive (credential checks on)"
        } else {
            "read-only, no login attempted"
        },
        r.tool,
        if r.interrupted {
            " **(interrupted: partial results)**"
        } else {
            ""
        }
    );
    let s = &r.stats;
    let _ = writeln!(
        o,
        "{} addresses scanned, {} with open services, {} services, {} timeouts, {} findings in {:.2} s.\n",
        s.hosts_scanned, s.hosts_up, s.services, s.timeouts, r.findings.len(), s.elapsed_s
    );
    let c = counts(&r.findings);
    let _ = writeln!(
        o,
        "| critical | high | medium | low | info |\n|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} |\n",
        c.get(&Severity::Critical).unwrap_or(&0),
        c.get(&Severity::High).unwrap_or(&0),
        c.get(&Severity::Medium).unwrap_or(&0),
        c.get(&Severity::Low).unwrap_or(&0),
        c.get(&Severity::Info).unwrap_or(&0)
    );
    let _ = writeln!(o, "## By device\n");
    for h in &r.hosts {
        let name = h
            .hostname
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(o, "### {}{name}\n", h.address);
        let _ = writeln!(
            o,
            "| port | protocol | status | identity |\n|---|---|---|---|"
        );
        for sv in &h.services {
            let ident: Vec<String> = sv
                .identity
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let mut id = ident.join(", ");
            if let Some(t) = &sv.tls {
                let _ = write!(
                    id,
                    "{}TLS {}",
                    if id.is_empty() { "" } else { "; " },
                    t.versions.join(" ")
                );
            }
            if let Some(n) = &sv.note {
                let _ = write!(id, "{}note: {n}", if id.is_empty() { "" } else { "; " });
            }
            let _ = writeln!(
                o,
                "| {}/{} | {} | {:?} | {} |",
                sv.port,
                sv.transport.as_str(),
                sv.protocol,
                sv.status,
                cell(&id)
            );
        }
        let fs: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| {
                f.id.split_once('@')
                    .is_some_and(|(_, t)| t.rsplit_once(':').is_some_and(|(a, _)| a == h.address))
            })
            .collect();
        if !fs.is_empty() {
            let _ = writeln!(o, "\n| severity | rule | finding | service | ETSI EN 303 645 | IEC 62443-3-3 |\n|---|---|---|---|---|---|");
            for f in fs {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.severity.as_str(),
                    f.rule,
                    cell(&f.title),
                    cell(&f.target),
                    f.etsi_en_303_645.join(", "),
                    f.iec_62443.join(", ")
                );
            }
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## By ETSI EN 303 645 provision\n");
    for (p, fs) in by_provision(r) {
        let _ = writeln!(o, "### {p}: {} finding(s)\n", fs.len());
        for f in fs {
            let _ = writeln!(
                o,
                "- **{}** {} `{}`: {}",
                f.severity.as_str(),
                f.rule,
                f.target,
                f.title
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Remediation\n");
    let mut seen = std::collections::BTreeSet::new();
    for f in &r.findings {
        if seen.insert(f.rule.clone()) {
            let _ = writeln!(o, "- **{} {}**: {}", f.rule, f.title, f.remediation);
        }
    }
    o
}

/// Self-contained HTML report.
pub fn html(r: &ScanReport) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.add_template("scan.html", include_str!("templates/scan.html"))
        .map_err(|e| format!("report template: {e}"))?;
    let provisions: Vec<serde_json::Value> = by_provision(r)
        .into_iter()
        .map(|(p, fs)| json!({"id": p, "findings": fs}))
        .collect();
    let hosts: Vec<serde_json::Value> = r
        .hosts
        .iter()
        .map(|h| {
            let fs: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| {
                    f.id.split_once('@').is_some_and(|(_, t)| {
                        t.rsplit_once(':').is_some_and(|(a, _)| a == h.address)
                    })
                })
                .collect();
            json!({"host": h, "findings": fs})
        })
        .collect();
    let c = counts(&r.findings);
    let sev: Vec<serde_json::Value> = Severity::DESC
        .iter()
        .map(|s| json!({"name": s.as_str(), "count": c.get(s).copied().unwrap_or(0)}))
        .collect();
    env.get_template("scan.html")
        .and_then(|t| {
            t.render(json!({"r": r, "hosts": hosts, "provisions": provisions, "severities": sev}))
        })
        .map_err(|e| format!("report template: {e}"))
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF 2.1.0 log.
pub fn sarif(r: &ScanReport) -> String {
    let mut used: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<serde_json::Value> = used
        .iter()
        .map(|id| match crate::rules::get(id) {
            Some(rule) => json!({
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.description},
                "help": {"text": rule.remediation},
                "defaultConfiguration": {"level": sarif_level(rule.severity)},
                "properties": {
                    "tags": ["security", "iot", "ot"],
                    "etsi_en_303_645": rule.etsi_en_303_645,
                    "iec_62443": rule.iec_62443,
                    "mitre_attack_ics": rule.mitre_attack_ics,
                }
            }),
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    let results: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|f| {
            let addr = f.id.split_once('@').map_or("", |x| x.1);
            json!({
                "ruleId": f.rule,
                "ruleIndex": used.iter().position(|u| *u == f.rule).unwrap_or(0),
                "level": sarif_level(f.severity),
                "message": {"text": format!("{}: {}. {}", f.title, f.target, f.remediation)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": format!("scan://{addr}")}},
                    "logicalLocations": [{"name": f.target, "kind": "resource"}]
                }],
                "partialFingerprints": {"skjoldFindingId/v1": f.id},
                "properties": {
                    "finding_id": f.id,
                    "severity": f.severity.as_str(),
                    "security-severity": security_severity(f.severity),
                    "evidence": f.evidence,
                    "etsi_en_303_645": f.etsi_en_303_645,
                    "iec_62443": f.iec_62443,
                }
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "skjold-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/skjold",
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": !r.interrupted}],
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
