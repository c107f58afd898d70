//! The report: everything the output formats show, computed once from a model and its findings:
//! summary counts, the 5x5 risk matrix, consequences, the per-zone view, the mitigation plan
//! ordered by risk reduction, and coverage of ETSI EN 303 645 provisions and IEC 62443-3-3
//! requirements by the controls in place.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::date::Date;
use crate::engine::{CheckResult, Finding, Severity, Status};
use crate::model::Model;
use crate::rules::{Consequence, RuleSet};

/// Counts per severity (open findings only).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Info.
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// Totals.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    /// All threats found.
    pub threats: usize,
    /// Needing action.
    pub open: usize,
    /// Mitigated by controls in place.
    pub mitigated: usize,
    /// Accepted and not expired.
    pub accepted: usize,
    /// Open findings per severity.
    pub open_by_severity: SeverityCounts,
    /// Elements, flows, zones, conduits in the model.
    pub elements: usize,
    /// Flows.
    pub flows: usize,
    /// Zones.
    pub zones: usize,
    /// Conduits.
    pub conduits: usize,
    /// Controls in place.
    pub controls: usize,
    /// Rules evaluated.
    pub rules: usize,
}

/// One zone's view.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ZoneView {
    /// Zone id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Target security level.
    pub sl_target: u8,
    /// Number of elements.
    pub elements: usize,
    /// Open findings touching the zone, per severity.
    pub open: SeverityCounts,
    /// Highest open score.
    pub max_score: u8,
    /// Up to five top open finding ids.
    pub top: Vec<String>,
}

/// One step of the mitigation plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanItem {
    /// Control id.
    pub control: String,
    /// Control title.
    pub title: String,
    /// Where to put it (target ids).
    pub targets: Vec<String>,
    /// Findings it closes (fully, or as part of its group).
    pub findings: Vec<String>,
    /// Sum of scores it removes (shared equally within a group of several controls).
    pub risk_reduction: u32,
}

/// Coverage of one standard requirement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoverageRow {
    /// Identifier.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Controls in place that address it.
    pub controls: Vec<String>,
    /// Open findings mapped to it.
    pub open: usize,
    /// Mitigated or accepted findings mapped to it.
    pub closed: usize,
    /// `gap` (open findings), `addressed` (controls, no open finding), `not_assessed`.
    pub status: &'static str,
}

/// A consequence and how many open threats carry it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsequenceRow {
    /// Key.
    pub id: Consequence,
    /// Display name.
    pub name: &'static str,
    /// Open threats with it.
    pub open: usize,
    /// Of which high or critical.
    pub severe: usize,
}

/// The complete report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Tool name and version.
    pub tool: String,
    /// Model name.
    pub name: String,
    /// Model description.
    pub description: Option<String>,
    /// Model owner.
    pub owner: Option<String>,
    /// Model file.
    pub file: String,
    /// Date of the evaluation (expiry of acceptances is checked against it).
    pub date: String,
    /// Totals.
    pub summary: Summary,
    /// `matrix[l-1][i-1]`: open findings with likelihood l and impact i.
    pub matrix: [[usize; 5]; 5],
    /// Consequences.
    pub consequences: Vec<ConsequenceRow>,
    /// Zones.
    pub zones: Vec<ZoneView>,
    /// Mitigation plan, largest risk reduction first.
    pub plan: Vec<PlanItem>,
    /// ETSI EN 303 645 coverage.
    pub etsi_coverage: Vec<CoverageRow>,
    /// IEC 62443-3-3 coverage.
    pub iec_coverage: Vec<CoverageRow>,
    /// All findings.
    pub findings: Vec<Finding>,
    /// Remarks about the model.
    pub warnings: Vec<String>,
    /// Line in the model file where each finding's target is defined.
    pub lines: BTreeMap<String, usize>,
}

/// Builds the report.
pub fn build(
    model: &Model,
    file: &str,
    source: &str,
    rules: &RuleSet,
    result: &CheckResult,
    today: Date,
) -> Report {
    let findings = &result.findings;
    let defined = crate::load::id_lines(source);
    let lines = findings
        .iter()
        .map(|f| {
            (
                f.target.clone(),
                defined.get(f.target.as_str()).copied().unwrap_or(1),
            )
        })
        .collect();
    let open: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Open)
        .collect();
    let mut summary = Summary {
        threats: findings.len(),
        open: open.len(),
        mitigated: findings
            .iter()
            .filter(|f| f.status == Status::Mitigated)
            .count(),
        accepted: findings
            .iter()
            .filter(|f| f.status == Status::Accepted)
            .count(),
        elements: model.elements.len(),
        flows: model.flows.len(),
        zones: model.zones.len(),
        conduits: model.conduits.len(),
        controls: model.controls.len(),
        rules: rules.rules.len(),
        ..Summary::default()
    };
    let mut matrix = [[0usize; 5]; 5];
    for f in &open {
        summary.open_by_severity.add(f.severity);
        matrix[usize::from(f.likelihood.clamp(1, 5) - 1)][usize::from(f.impact.clamp(1, 5) - 1)] +=
            1;
    }
    let consequences = Consequence::ALL
        .iter()
        .map(|c| ConsequenceRow {
            id: *c,
            name: c.name(),
            open: open.iter().filter(|f| f.consequences.contains(c)).count(),
            severe: open
                .iter()
                .filter(|f| f.consequences.contains(c) && f.severity >= Severity::High)
                .count(),
        })
        .collect();
    let zones = model
        .zones
        .iter()
        .map(|z| {
            let mut counts = SeverityCounts::default();
            let mut top = Vec::new();
            let mut max_score = 0;
            for f in open.iter().filter(|f| f.zones.contains(&z.id)) {
                counts.add(f.severity);
                max_score = max_score.max(f.score);
                if top.len() < 5 {
                    top.push(f.id.clone());
                }
            }
            ZoneView {
                id: z.id.clone(),
                name: z.name.clone().unwrap_or_else(|| z.id.clone()),
                kind: z.kind.as_str().to_owned(),
                sl_target: z.sl_target,
                elements: model.elements.iter().filter(|e| e.zone == z.id).count(),
                open: counts,
                max_score,
                top,
            }
        })
        .collect();
    Report {
        tool: format!("skjold-model {}", env!("CARGO_PKG_VERSION")),
        name: model.name.clone(),
        description: model.description.clone(),
        owner: model.owner.clone(),
        file: file.to_owned(),
        date: today.to_string(),
        summary,
        matrix,
        consequences,
        zones,
        plan: plan(findings),
        etsi_coverage: coverage(model, findings, true),
        iec_coverage: coverage(model, findings, false),
        findings: findings.clone(),
        warnings: result.warnings.clone(),
        lines,
    }
}

fn plan(findings: &[Finding]) -> Vec<PlanItem> {
    let cat = Catalog::get();
    let mut items: BTreeMap<&str, (BTreeSet<String>, Vec<String>, u32)> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == Status::Open) {
        let n = f.missing_controls.len() as u32;
        for c in &f.missing_controls {
            let e = items.entry(c.as_str()).or_default();
            e.0.insert(f.target.clone());
            e.1.push(f.id.clone());
            // Score hundredths, so a shared group splits the reduction fairly.
            e.2 += u32::from(f.score) * 100 / n.max(1);
        }
    }
    let mut v: Vec<PlanItem> = items
        .into_iter()
        .map(|(c, (targets, findings, r))| PlanItem {
            control: c.to_owned(),
            title: cat
                .control(c)
                .map_or_else(|| c.to_owned(), |x| x.title.clone()),
            targets: targets.into_iter().collect(),
            findings,
            risk_reduction: r.div_ceil(100),
        })
        .collect();
    v.sort_by(|a, b| {
        b.risk_reduction
            .cmp(&a.risk_reduction)
            .then_with(|| a.control.cmp(&b.control))
    });
    v
}

fn pick(f: &Finding, etsi: bool) -> &[String] {
    if etsi {
        &f.etsi_en_303_645
    } else {
        &f.iec_62443
    }
}

fn coverage(model: &Model, findings: &[Finding], etsi: bool) -> Vec<CoverageRow> {
    let cat = Catalog::get();
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for f in findings {
        for id in pick(f, etsi) {
            ids.insert(if etsi {
                cat.etsi
                    .iter()
                    .find(|s| &s.id == id)
                    .map_or("", |s| s.id.as_str())
            } else {
                cat.iec
                    .iter()
                    .find(|s| &s.id == id)
                    .map_or("", |s| s.id.as_str())
            });
        }
    }
    let in_place: BTreeSet<&str> = model.controls.iter().map(|c| c.control.as_str()).collect();
    for c in &in_place {
        if let Some(ctl) = cat.control(c) {
            for id in if etsi {
                &ctl.etsi_en_303_645
            } else {
                &ctl.iec_62443
            } {
                ids.insert(if etsi {
                    cat.etsi
                        .iter()
                        .find(|s| &s.id == id)
                        .map_or("", |s| s.id.as_str())
                } else {
                    cat.iec
                        .iter()
                        .find(|s| &s.id == id)
                        .map_or("", |s| s.id.as_str())
                });
            }
        }
    }
    ids.remove("");
    let list = if etsi { &cat.etsi } else { &cat.iec };
    // Keep the standard's own order.
    list.iter()
        .filter(|s| ids.contains(s.id.as_str()))
        .map(|s| {
            let controls: Vec<String> = in_place
                .iter()
                .filter(|c| {
                    cat.control(c).is_some_and(|x| {
                        if etsi {
                            &x.etsi_en_303_645
                        } else {
                            &x.iec_62443
                        }
                        .contains(&s.id)
                    })
                })
                .map(|c| (*c).to_owned())
                .collect();
            let touching = findings.iter().filter(|f| pick(f, etsi).contains(&s.id));
            let (mut open, mut closed) = (0, 0);
            for f in touching {
                if f.status == Status::Open {
                    open += 1;
                } else {
                    closed += 1;
                }
            }
            let status = if open > 0 {
                "gap"
            } else if !controls.is_empty() || closed > 0 {
                "addressed"
            } else {
                "not_assessed"
            };
            CoverageRow {
                id: s.id.clone(),
                title: s.title.clone(),
                controls,
                open,
                closed,
                status,
            }
        })
        .collect()
}
