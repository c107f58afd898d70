//! `model diff OLD NEW`: compares the findings of two versions of a model by their stable ids
//! (`RULE:TARGET`): threats added, removed, whose severity or status changed, and the controls
//! added or removed between the two models. Written as Markdown or JSON for CI.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::{CheckResult, Finding, Severity, Status};
use crate::model::Model;

/// A finding as listed in a diff.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DiffEntry {
    /// Finding id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Target.
    pub target: String,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: Status,
}

/// A finding present in both whose severity or status changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// Finding id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity before.
    pub old_severity: Severity,
    /// Severity after.
    pub new_severity: Severity,
    /// Status before.
    pub old_status: Status,
    /// Status after.
    pub new_status: Status,
}

/// The difference between two models' findings and controls.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Diff {
    /// Threats only in the new model.
    pub added: Vec<DiffEntry>,
    /// Threats only in the old model.
    pub removed: Vec<DiffEntry>,
    /// Threats whose severity changed.
    pub severity_changed: Vec<Change>,
    /// Threats whose status changed (open, mitigated, accepted); a threat whose severity changed
    /// too is listed in both.
    pub status_changed: Vec<Change>,
    /// Controls in the new model and not in the old one (`control` or `control on target`).
    pub controls_added: Vec<String>,
    /// Controls in the old model and not in the new one.
    pub controls_removed: Vec<String>,
}

fn entry(f: &Finding) -> DiffEntry {
    DiffEntry {
        id: f.id.clone(),
        title: f.title.clone(),
        target: f.target_label.clone(),
        severity: f.severity,
        status: f.status,
    }
}

fn controls(m: &Model) -> BTreeSet<String> {
    m.controls
        .iter()
        .flat_map(|c| {
            if c.on.is_empty() {
                vec![c.control.clone()]
            } else {
                c.on.iter()
                    .map(|t| format!("{} on {t}", c.control))
                    .collect()
            }
        })
        .collect()
}

/// Compares two checked models.
pub fn diff(old: &Model, old_res: &CheckResult, new: &Model, new_res: &CheckResult) -> Diff {
    let a: BTreeMap<&str, &Finding> = old_res
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    let b: BTreeMap<&str, &Finding> = new_res
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    let mut d = Diff::default();
    for (id, f) in &b {
        match a.get(id) {
            None => d.added.push(entry(f)),
            Some(o) => {
                if o.severity != f.severity {
                    d.severity_changed.push(change(o, f));
                }
                if o.status != f.status {
                    d.status_changed.push(change(o, f));
                }
            }
        }
    }
    for (id, f) in &a {
        if !b.contains_key(id) {
            d.removed.push(entry(f));
        }
    }
    let (ca, cb) = (controls(old), controls(new));
    d.controls_added = cb.difference(&ca).cloned().collect();
    d.controls_removed = ca.difference(&cb).cloned().collect();
    d
}

fn change(o: &Finding, f: &Finding) -> Change {
    Change {
        id: f.id.clone(),
        title: f.title.clone(),
        old_severity: o.severity,
        new_severity: f.severity,
        old_status: o.status,
        new_status: f.status,
    }
}

impl Diff {
    /// The highest severity among open threats that are new or got worse; for `--fail-on`.
    pub fn worst_regression(&self) -> Option<Severity> {
        let added = self
            .added
            .iter()
            .filter(|e| e.status == Status::Open)
            .map(|e| e.severity);
        let worse = self
            .severity_changed
            .iter()
            .chain(&self.status_changed)
            .filter(|c| {
                c.new_status == Status::Open
                    && (c.new_severity > c.old_severity || c.old_status != Status::Open)
            })
            .map(|c| c.new_severity);
        added.chain(worse).max()
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.severity_changed.is_empty()
            && self.status_changed.is_empty()
            && self.controls_added.is_empty()
            && self.controls_removed.is_empty()
    }

    /// Markdown.
    pub fn markdown(&self, old: &str, new: &str) -> String {
        let mut o = format!("# Threat model diff\n\n`{old}` → `{new}`\n\n");
        if self.is_empty() {
            o.push_str("No change in threats or controls.\n");
            return o;
        }
        let list = |o: &mut String, title: &str, v: &[DiffEntry]| {
            if !v.is_empty() {
                let _ = writeln!(o, "## {title} ({})\n", v.len());
                for e in v {
                    let _ = writeln!(
                        o,
                        "- **{}** {} `{}`: {} ({})",
                        e.severity.as_str(),
                        e.status.as_str(),
                        e.id,
                        e.title,
                        e.target
                    );
                }
                o.push('\n');
            }
        };
        list(&mut o, "Threats added", &self.added);
        list(&mut o, "Threats removed", &self.removed);
        for (title, v) in [
            ("Severity changed", &self.severity_changed),
            ("Status changed", &self.status_changed),
        ] {
            if !v.is_empty() {
                let _ = writeln!(o, "## {title} ({})\n", v.len());
                for c in v {
                    let _ = writeln!(
                        o,
                        "- `{}` {}: {} {} → {} {}",
                        c.id,
                        c.title,
                        c.old_severity.as_str(),
                        c.old_status.as_str(),
                        c.new_severity.as_str(),
                        c.new_status.as_str()
                    );
                }
                o.push('\n');
            }
        }
        for (title, v) in [
            ("Controls added", &self.controls_added),
            ("Controls removed", &self.controls_removed),
        ] {
            if !v.is_empty() {
                let _ = writeln!(o, "## {title} ({})\n", v.len());
                for c in v {
                    let _ = writeln!(o, "- `{c}`");
                }
                o.push('\n');
            }
        }
        o
    }
}
