//! Writers for a report: JSON (the report object), Markdown, CSV (one row per finding), SARIF
//! 2.1.0 (one result per finding; mitigated and accepted threats carry a suppression) and
//! self-contained HTML (minijinja template with the SVG diagram inlined).

use std::fmt::Write as _;

use serde_json::json;

use crate::catalog::Catalog;
use crate::diagram;
use crate::engine::{Finding, Severity, Status};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::report::Report;
use crate::rules::RuleSet;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown.
    Md,
    /// Self-contained HTML.
    Html,
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// Parses a format name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Self::Md),
            "html" => Some(Self::Html),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "sarif" => Some(Self::Sarif),
            _ => None,
        }
    }
}

/// Renders a report in a format. The model and rules are needed for the diagram and SARIF rules.
pub fn render(report: &Report, model: &Model, rules: &RuleSet, format: Format) -> Result<String> {
    match format {
        Format::Json => serde_json::to_string_pretty(report)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| Error::Internal(e.to_string())),
        Format::Md => Ok(markdown(report)),
        Format::Csv => Ok(csv(&report.findings)),
        Format::Sarif => Ok(sarif(report, rules)),
        Format::Html => html(report, model),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV, one row per finding, RFC 4180 quoting.
pub fn csv(findings: &[Finding]) -> String {
    let mut o = String::from(
        "id,rule,severity,status,score,likelihood,impact,target,target_label,zones,title,stride,consequences,missing_controls,etsi_en_303_645,iec_62443,mitre_attack_ics,owasp_iot,remediation\n",
    );
    for f in findings {
        let cons: Vec<String> = f
            .consequences
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        let row = [
            f.id.clone(),
            f.rule.clone(),
            f.severity.as_str().to_owned(),
            f.status.as_str().to_owned(),
            f.score.to_string(),
            f.likelihood.to_string(),
            f.impact.to_string(),
            f.target.clone(),
            f.target_label.clone(),
            f.zones.join(";"),
            f.title.clone(),
            f.stride.join(""),
            cons.join(";"),
            f.missing_controls.join(";"),
            f.etsi_en_303_645.join(";"),
            f.iec_62443.join(";"),
            f.mitre_attack_ics.join(";"),
            f.owasp_iot.join(";"),
            f.remediation.clone(),
        ];
        let line: Vec<String> = row.iter().map(|s| csv_field(s)).collect();
        o.push_str(&line.join(","));
        o.push('\n');
    }
    o
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown report.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "# Threat model: {}\n", r.name);
    if let Some(d) = &r.description {
        let _ = writeln!(o, "{}\n", d.trim());
    }
    let _ = writeln!(
        o,
        "Model `{}`{}, evaluated {} by {} with {} rules.\n",
        r.file,
        r.owner
            .as_ref()
            .map(|x| format!(" (owner: {x})"))
            .unwrap_or_default(),
        r.date,
        r.tool,
        s.rules
    );
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(
        o,
        "{} threats: **{} open**, {} mitigated by controls in place, {} accepted.\n",
        s.threats, s.open, s.mitigated, s.accepted
    );
    let b = &s.open_by_severity;
    let _ = writeln!(
        o,
        "| critical | high | medium | low |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
        b.critical, b.high, b.medium, b.low
    );
    let _ = writeln!(
        o,
        "The system has {} elements, {} flows, {} zones, {} conduits and {} controls in place.\n",
        s.elements, s.flows, s.zones, s.conduits, s.controls
    );
    for w in &r.warnings {
        let _ = writeln!(o, "> Warning: {w}\n");
    }
    let _ = writeln!(o, "## Risk matrix (open threats)\n");
    let _ = writeln!(
        o,
        "| likelihood \\ impact | 1 | 2 | 3 | 4 | 5 |\n|---|---:|---:|---:|---:|---:|"
    );
    for l in (1..=5).rev() {
        let cells: Vec<String> = (0..5).map(|i| r.matrix[l - 1][i].to_string()).collect();
        let _ = writeln!(o, "| {l} | {} |", cells.join(" | "));
    }
    let _ = writeln!(o, "\n## Consequences of open threats\n\n| consequence | open | high or critical |\n|---|---:|---:|");
    for c in &r.consequences {
        let _ = writeln!(o, "| {} | {} | {} |", c.name, c.open, c.severe);
    }
    let _ = writeln!(o, "\n## Zones\n\n| zone | kind | SL-T | elements | critical | high | medium | low |\n|---|---|---:|---:|---:|---:|---:|---:|");
    for z in &r.zones {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&z.name),
            z.kind,
            z.sl_target,
            z.elements,
            z.open.critical,
            z.open.high,
            z.open.medium,
            z.open.low
        );
    }
    let _ = writeln!(o, "\n## Mitigation plan (largest risk reduction first)\n\n| # | control | risk reduction | closes | where |\n|---:|---|---:|---:|---|");
    for (k, p) in r.plan.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {} | **{}**: {} | {} | {} | {} |",
            k + 1,
            p.control,
            md_cell(&p.title),
            p.risk_reduction,
            p.findings.len(),
            md_cell(&p.targets.join(", "))
        );
    }
    let _ = writeln!(o, "\n## Findings\n\n| severity | status | score | id | threat | target |\n|---|---|---:|---|---|---|");
    for f in &r.findings {
        let _ = writeln!(
            o,
            "| {} | {} | {} | `{}` | {} | {} |",
            f.severity.as_str(),
            f.status.as_str(),
            f.score,
            f.id,
            md_cell(&f.title),
            md_cell(&f.target_label)
        );
    }
    let _ = writeln!(o, "\n### Details of open and accepted threats\n");
    for f in r.findings.iter().filter(|f| f.status != Status::Mitigated) {
        let _ = writeln!(
            o,
            "#### {} `{}`: {}\n",
            f.severity.as_str().to_uppercase(),
            f.id,
            f.title
        );
        let _ = writeln!(
            o,
            "- Target: {} (line {} of the model)",
            f.target_label,
            r.lines.get(&f.target).copied().unwrap_or(1)
        );
        let _ = writeln!(
            o,
            "- STRIDE: {}; likelihood {} x impact {} = {}",
            f.stride.join(", "),
            f.likelihood,
            f.impact,
            f.score
        );
        let cons: Vec<&str> = f.consequences.iter().map(|c| c.name()).collect();
        let _ = writeln!(o, "- Consequences: {}", cons.join(", "));
        if !f.missing_controls.is_empty() {
            let _ = writeln!(o, "- Missing controls: {}", f.missing_controls.join(", "));
        }
        if let Some(a) = &f.acceptance {
            let _ = writeln!(
                o,
                "- Accepted by {} until {}{}: {}",
                a.owner,
                a.expires,
                if a.expired {
                    " (EXPIRED, re-opened)"
                } else {
                    ""
                },
                a.reason
            );
        }
        let _ = writeln!(
            o,
            "- ETSI EN 303 645: {}; IEC 62443-3-3: {}; ATT&CK for ICS: {}; OWASP IoT: {}",
            f.etsi_en_303_645.join(", "),
            f.iec_62443.join(", "),
            f.mitre_attack_ics.join(", "),
            f.owasp_iot.join(", ")
        );
        let _ = writeln!(o, "- Remediation: {}\n", f.remediation);
    }
    for (title, rows) in [
        ("ETSI EN 303 645 coverage", &r.etsi_coverage),
        ("IEC 62443-3-3 coverage", &r.iec_coverage),
    ] {
        let _ = writeln!(o, "## {title}\n\n| id | requirement | status | controls in place | open | closed |\n|---|---|---|---|---:|---:|");
        for c in rows {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                c.id,
                md_cell(&c.title),
                c.status,
                c.controls.join(", "),
                c.open,
                c.closed
            );
        }
        o.push('\n');
    }
    o
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// SARIF 2.1.0 log.
pub fn sarif(r: &Report, rules: &RuleSet) -> String {
    let mut used: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    let rule_objs: Vec<serde_json::Value> = used
        .iter()
        .map(|id| match rules.get(id) {
            Some(rule) => json!({
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.description.trim()},
                "help": {"text": format!("{}\n\n{}", rule.why.trim(), rule.remediation.trim())},
                "helpUri": rule.references.first().cloned().unwrap_or_default(),
                "properties": {
                    "tags": ["security", "threat-model"],
                    "stride": rule.stride.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>(),
                    "etsi_en_303_645": rule.standards.etsi_en_303_645,
                    "iec_62443": rule.standards.iec_62443,
                    "mitre_attack_ics": rule.standards.mitre_attack_ics,
                    "owasp_iot": rule.standards.owasp_iot,
                }
            }),
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    let index = |id: &str| used.iter().position(|u| *u == id).unwrap_or(0);
    let results: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|f| {
            let mut res = json!({
                "ruleId": f.rule,
                "ruleIndex": index(&f.rule),
                "level": sarif_level(f.severity),
                "message": {"text": format!("{}: {}. {}", f.title, f.target_label, f.remediation)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": r.file.replace('\\', "/")},
                        "region": {"startLine": r.lines.get(&f.target).copied().unwrap_or(1)}
                    },
                    "logicalLocations": [{"name": f.target, "kind": "element"}]
                }],
                "partialFingerprints": {"skjoldFindingId/v1": f.id},
                "properties": {
                    "finding_id": f.id,
                    "severity": f.severity.as_str(),
                    "status": f.status.as_str(),
                    "score": f.score,
                    "likelihood": f.likelihood,
                    "impact": f.impact,
                    "security-severity": format!("{:.1}", f32::from(f.score) * 10.0 / 25.0),
                    "missing_controls": f.missing_controls,
                }
            });
            let suppression = match f.status {
                Status::Mitigated => Some(json!({
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("mitigated by controls in place: {}", f.controls_in_place.join(", "))
                })),
                Status::Accepted => f.acceptance.as_ref().map(|a| json!({
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("accepted by {} until {}: {}", a.owner, a.expires, a.reason)
                })),
                Status::Open => None,
            };
            if let Some(s) = suppression {
                res["suppressions"] = json!([s]);
            }
            res
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "skjold-model",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/skjold/docs/model.md",
                "rules": rule_objs
            }},
            "artifacts": [{"location": {"uri": r.file.replace('\\', "/")}}],
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// Self-contained HTML report.
pub fn html(r: &Report, model: &Model) -> Result<String> {
    let cat = Catalog::get();
    let d = diagram::render(model, &r.findings);
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", include_str!("templates/report.html"))
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    let matrix: Vec<serde_json::Value> = (1..=5usize)
        .rev()
        .map(|l| {
            let cells: Vec<serde_json::Value> = (1..=5usize)
                .map(|i| {
                    let band = Severity::from_score((l * i) as u8);
                    json!({"count": r.matrix[l - 1][i - 1], "band": band.as_str(), "colour": diagram::colour(Some(band))})
                })
                .collect();
            json!({"likelihood": l, "cells": cells})
        })
        .collect();
    let controls: Vec<serde_json::Value> = model
        .controls
        .iter()
        .map(|c| {
            json!({
                "id": c.control,
                "title": cat.control(&c.control).map(|x| x.title.clone()).unwrap_or_default(),
                "on": if c.on.is_empty() { "whole system".to_owned() } else { c.on.join(", ") },
                "note": c.note,
            })
        })
        .collect();
    let colours = json!({
        "critical": diagram::colour(Some(Severity::Critical)),
        "high": diagram::colour(Some(Severity::High)),
        "medium": diagram::colour(Some(Severity::Medium)),
        "low": diagram::colour(Some(Severity::Low)),
        "info": diagram::colour(Some(Severity::Info)),
    });
    let max_reduction = r.plan.first().map_or(1, |p| p.risk_reduction.max(1));
    let ctx = minijinja::context! {
        r => r,
        matrix => matrix,
        controls => controls,
        colours => colours,
        max_reduction => max_reduction,
        diagram => minijinja::Value::from_safe_string(d.svg),
    };
    env.get_template("report.html")
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Internal(format!("report template: {e}")))
}
