//! The risk engine: evaluates every rule on every subject of its kind, scores each threat
//! (likelihood x impact, see the bands below), decides whether the controls in place mitigate it
//! and whether an accepted risk covers it, and produces findings in the common finding schema
//! (SPEC §7) with stable ids `RULE:TARGET`.
//!
//! Scoring, documented for users in docs/model.md:
//! * likelihood = rule likelihood, +1 when the subject is reachable from an untrusted zone
//!   (internet, vendor, remote, cloud), capped at 5;
//! * impact = rule impact, -1 when the target's highest criticality is low, -2 when it is none,
//!   +1 when its safety criticality is high, kept within 1..5;
//! * score = likelihood x impact (1..25); bands: 1-4 low, 5-9 medium, 10-15 high, 16-25 critical;
//! * safety criticality raises the band: high safety makes the finding at least high, medium
//!   safety at least medium.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::facts::{Index, Subject, SubjectKind};
use crate::model::{Level, Model, ZoneKind};
use crate::rules::{Consequence, Rule, RuleSet};

/// Severity of a finding (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities from the highest.
    pub const DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::DESC
            .into_iter()
            .find(|x| x.as_str() == s.to_ascii_lowercase())
    }

    /// The band of a score 1..25.
    pub fn from_score(score: u8) -> Self {
        match score {
            0 => Self::Info,
            1..=4 => Self::Low,
            5..=9 => Self::Medium,
            10..=15 => Self::High,
            _ => Self::Critical,
        }
    }
}

/// Whether a threat still needs action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Needs action.
    Open,
    /// The controls its rule names are in place.
    Mitigated,
    /// Accepted by its owner until the expiry date.
    Accepted,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Mitigated => "mitigated",
            Self::Accepted => "accepted",
        }
    }
}

/// An acceptance carried on a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Who accepted it.
    pub owner: String,
    /// Why.
    pub reason: String,
    /// Until when.
    pub expires: String,
    /// True when the date has passed; the finding is then open again.
    pub expired: bool,
}

/// A threat found in the model, in the common finding schema plus threat-model fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: `RULE:TARGET`.
    pub id: String,
    /// Rule id.
    pub rule: String,
    /// Title of the threat.
    pub title: String,
    /// Severity band of the score.
    pub severity: Severity,
    /// Id of the element, flow, zone or conduit (or `model`).
    pub target: String,
    /// Facts that made the rule fire.
    pub evidence: BTreeMap<String, serde_json::Value>,
    /// ETSI EN 303 645 provisions.
    pub etsi_en_303_645: Vec<String>,
    /// IEC 62443-3-3 system requirements.
    pub iec_62443: Vec<String>,
    /// ATT&CK for ICS techniques.
    pub mitre_attack_ics: Vec<String>,
    /// What to do.
    pub remediation: String,
    /// OWASP IoT Top 10 entries.
    pub owasp_iot: Vec<String>,
    /// STRIDE categories (letters).
    pub stride: Vec<String>,
    /// Readable description of the target.
    pub target_label: String,
    /// Kind of target.
    pub target_kind: SubjectKind,
    /// Zones the target belongs to or touches.
    pub zones: Vec<String>,
    /// Likelihood 1..5.
    pub likelihood: u8,
    /// Impact 1..5.
    pub impact: u8,
    /// Likelihood x impact.
    pub score: u8,
    /// Consequences.
    pub consequences: Vec<Consequence>,
    /// Open, mitigated or accepted.
    pub status: Status,
    /// Controls in place that mitigate it (when mitigated).
    pub controls_in_place: Vec<String>,
    /// Controls still missing for the cheapest mitigation (when open or accepted).
    pub missing_controls: Vec<String>,
    /// Acceptance, when one matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<Acceptance>,
}

/// Findings of one check, with warnings about the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// All findings, highest score first, then by id.
    pub findings: Vec<Finding>,
    /// Non-fatal remarks (accepted risks that match nothing).
    pub warnings: Vec<String>,
}

fn subjects(m: &Model, kind: SubjectKind) -> Vec<Subject<'_>> {
    match kind {
        SubjectKind::Element => m.elements.iter().map(Subject::Element).collect(),
        SubjectKind::Flow => m.flows.iter().map(Subject::Flow).collect(),
        SubjectKind::Zone => m.zones.iter().map(Subject::Zone).collect(),
        SubjectKind::Conduit => m.conduits.iter().map(Subject::Conduit).collect(),
        SubjectKind::Model => vec![Subject::Model],
    }
}

/// Ids a control placed with `on:` must name to cover this subject.
fn scope<'m>(ix: &Index<'m>, s: Subject<'m>) -> Vec<&'m str> {
    match s {
        Subject::Element(e) => vec![e.id.as_str(), e.zone.as_str()],
        Subject::Flow(f) => {
            let mut v = vec![f.id.as_str(), f.from.as_str(), f.to.as_str()];
            if let Some(c) = ix.conduit_of(f) {
                v.push(c.id.as_str());
            }
            v
        }
        Subject::Zone(z) => vec![z.id.as_str()],
        Subject::Conduit(c) => vec![c.id.as_str(), c.zones[0].as_str(), c.zones[1].as_str()],
        Subject::Model => vec![],
    }
}

fn zones_of<'m>(ix: &Index<'m>, s: Subject<'m>) -> Vec<String> {
    let mut v: Vec<String> = match s {
        Subject::Element(e) => vec![e.zone.clone()],
        Subject::Flow(f) => [ix.zone_of(&f.from), ix.zone_of(&f.to)]
            .into_iter()
            .flatten()
            .map(|z| z.id.clone())
            .collect(),
        Subject::Zone(z) => vec![z.id.clone()],
        Subject::Conduit(c) => c.zones.to_vec(),
        Subject::Model => vec![],
    };
    v.dedup();
    v
}

/// Human description of a subject.
pub fn label(ix: &Index<'_>, s: Subject<'_>) -> String {
    let el = |id: &str| {
        ix.elements
            .get(id)
            .map_or(id.to_owned(), |e| e.label().to_owned())
    };
    match s {
        Subject::Element(e) => format!("{} ({})", e.label(), e.kind.as_str().replace('_', " ")),
        Subject::Flow(f) => {
            let port = f.port.map(|p| format!("/{p}")).unwrap_or_default();
            format!("{} → {} ({}{port})", el(&f.from), el(&f.to), f.protocol)
        }
        Subject::Zone(z) => format!("zone {}", z.name.as_deref().unwrap_or(&z.id)),
        Subject::Conduit(c) => format!(
            "conduit {} ({} ↔ {})",
            c.name.as_deref().unwrap_or(&c.id),
            c.zones[0],
            c.zones[1]
        ),
        Subject::Model => ix.model.name.clone(),
    }
}

/// Criticality that drives the impact: the element's, the higher of a flow's two ends, the
/// highest in a zone or conduit, the highest in the model.
fn criticality<'m>(ix: &Index<'m>, s: Subject<'m>) -> (Level, Level) {
    let of = |ids: &mut dyn Iterator<Item = &'m crate::model::Element>| {
        ids.fold((Level::None, Level::None), |(mx, sf), e| {
            (mx.max(e.criticality.max()), sf.max(e.criticality.safety))
        })
    };
    match s {
        Subject::Element(e) => (e.criticality.max(), e.criticality.safety),
        Subject::Flow(f) => of(&mut [&f.from, &f.to]
            .into_iter()
            .filter_map(|id| ix.elements.get(id.as_str()).copied())),
        Subject::Zone(z) => of(&mut ix.model.elements.iter().filter(|e| e.zone == z.id)),
        Subject::Conduit(c) => of(&mut ix
            .model
            .elements
            .iter()
            .filter(|e| c.zones.contains(&e.zone))),
        Subject::Model => of(&mut ix.model.elements.iter()),
    }
}

fn untrusted_reach<'m>(ix: &Index<'m>, s: Subject<'m>) -> bool {
    let untrusted = |id: &str| ix.zone_kind_of(id).is_some_and(ZoneKind::is_untrusted);
    match s {
        Subject::Element(e) => {
            untrusted(&e.id)
                || ix
                    .inbound
                    .get(e.id.as_str())
                    .is_some_and(|v| v.iter().any(|f| untrusted(&f.from)))
        }
        Subject::Flow(f) => untrusted(&f.from),
        Subject::Zone(z) => z.kind.is_untrusted(),
        Subject::Conduit(c) => c.zones.iter().any(|z| {
            ix.zones
                .get(z.as_str())
                .is_some_and(|z| z.kind.is_untrusted())
        }),
        Subject::Model => false,
    }
}

fn carries_personal<'m>(ix: &Index<'m>, s: Subject<'m>) -> bool {
    let personal = |ids: &[String]| {
        ids.iter()
            .any(|d| ix.data_class.get(d.as_str()) == Some(&"personal"))
    };
    match s {
        Subject::Element(e) => personal(&e.stores),
        Subject::Flow(f) => personal(&f.data),
        _ => false,
    }
}

/// Scores a threat: (likelihood, impact, score, severity).
pub fn score(
    rule: &Rule,
    crit_max: Level,
    safety: Level,
    untrusted: bool,
) -> (u8, u8, u8, Severity) {
    let l = (rule.likelihood + u8::from(untrusted)).clamp(1, 5);
    let mut i = i16::from(rule.impact);
    match crit_max {
        Level::None => i -= 2,
        Level::Low => i -= 1,
        Level::Medium | Level::High => {}
    }
    if safety == Level::High {
        i += 1;
    }
    let i = i.clamp(1, 5) as u8;
    let s = l * i;
    let mut sev = Severity::from_score(s);
    if safety == Level::High {
        sev = sev.max(Severity::High);
    } else if safety == Level::Medium {
        sev = sev.max(Severity::Medium);
    }
    (l, i, s, sev)
}

/// Runs every rule on the model.
pub fn check(model: &Model, rules: &RuleSet, today: Date) -> CheckResult {
    let ix = Index::new(model);
    let mut findings = Vec::new();
    for rule in &rules.rules {
        let mut fields = Vec::new();
        rule.condition.fields(&mut fields);
        for s in subjects(model, rule.applies_to) {
            if !rule.condition.eval(&ix, s) {
                continue;
            }
            findings.push(make_finding(&ix, rule, s, &fields));
        }
    }
    let mut warnings = Vec::new();
    for a in &model.accepted_risks {
        let expired = Date::parse(&a.expires).is_some_and(|d| d < today);
        let mut matched = false;
        for f in findings
            .iter_mut()
            .filter(|f| f.id == a.finding || f.rule == a.finding)
        {
            matched = true;
            if f.status == Status::Mitigated {
                continue;
            }
            f.acceptance = Some(crate::engine::Acceptance {
                owner: a.owner.clone(),
                reason: a.reason.clone(),
                expires: a.expires.clone(),
                expired,
            });
            f.status = if expired {
                Status::Open
            } else {
                Status::Accepted
            };
        }
        if !matched {
            warnings.push(format!(
                "accepted risk `{}` matches no finding; remove it or correct the finding id",
                a.finding
            ));
        }
    }
    findings.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    CheckResult { findings, warnings }
}

fn make_finding<'m>(ix: &Index<'m>, rule: &Rule, s: Subject<'m>, fields: &[String]) -> Finding {
    let (crit, safety) = criticality(ix, s);
    let (likelihood, impact, score, severity) = score(rule, crit, safety, untrusted_reach(ix, s));
    let evidence = fields
        .iter()
        .map(|f| {
            (
                f.clone(),
                ix.field(s, f)
                    .map_or(serde_json::Value::Null, |v| v.to_json()),
            )
        })
        .collect();
    let mut consequences: BTreeSet<Consequence> = rule.consequences.iter().copied().collect();
    if safety >= Level::Medium {
        consequences.insert(Consequence::Safety);
    }
    if carries_personal(ix, s) {
        consequences.insert(Consequence::Legal);
    }
    // Mitigation: any group whose controls are all in place for this subject.
    let sc = scope(ix, s);
    let in_place = |c: &str| {
        ix.model.controls.iter().any(|p| {
            p.control == c && (p.on.is_empty() || p.on.iter().any(|o| sc.contains(&o.as_str())))
        })
    };
    let mut status = Status::Open;
    let mut controls_in_place = Vec::new();
    let mut missing_controls = Vec::new();
    if let Some(g) = rule
        .mitigated_by
        .iter()
        .find(|g| g.iter().all(|c| in_place(c)))
    {
        status = Status::Mitigated;
        controls_in_place.clone_from(g);
    } else if let Some(g) = rule
        .mitigated_by
        .iter()
        .min_by_key(|g| g.iter().filter(|c| !in_place(c)).count())
    {
        missing_controls = g.iter().filter(|c| !in_place(c)).cloned().collect();
        controls_in_place = g.iter().filter(|c| in_place(c)).cloned().collect();
    }
    Finding {
        id: format!("{}:{}", rule.id, s.id()),
        rule: rule.id.clone(),
        title: rule.title.clone(),
        severity,
        target: s.id().to_owned(),
        evidence,
        etsi_en_303_645: rule.standards.etsi_en_303_645.clone(),
        iec_62443: rule.standards.iec_62443.clone(),
        mitre_attack_ics: rule.standards.mitre_attack_ics.clone(),
        remediation: rule.remediation.trim().to_owned(),
        owasp_iot: rule.standards.owasp_iot.clone(),
        stride: rule.stride.iter().map(|x| format!("{x:?}")).collect(),
        target_label: label(ix, s),
        target_kind: match s {
            Subject::Element(_) => SubjectKind::Element,
            Subject::Flow(_) => SubjectKind::Flow,
            Subject::Zone(_) => SubjectKind::Zone,
            Subject::Conduit(_) => SubjectKind::Conduit,
            Subject::Model => SubjectKind::Model,
        },
        zones: zones_of(ix, s),
        likelihood,
        impact,
        score,
        consequences: consequences.into_iter().collect(),
        status,
        controls_in_place,
        missing_controls,
        acceptance: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(l: u8, i: u8) -> Rule {
        let mut r = RuleSet::builtin().unwrap().rules[0].clone();
        r.likelihood = l;
        r.impact = i;
        r
    }

    #[test]
    fn bands_follow_the_documented_thresholds() {
        assert_eq!(Severity::from_score(4), Severity::Low);
        assert_eq!(Severity::from_score(5), Severity::Medium);
        assert_eq!(Severity::from_score(10), Severity::High);
        assert_eq!(Severity::from_score(16), Severity::Critical);
    }

    #[test]
    fn safety_criticality_raises_impact_and_band() {
        let r = rule(2, 2);
        assert_eq!(
            score(&r, Level::Low, Level::Low, false),
            (2, 1, 2, Severity::Low)
        );
        assert_eq!(
            score(&r, Level::Medium, Level::Low, false),
            (2, 2, 4, Severity::Low)
        );
        // high safety: +1 impact, and at least `high`.
        assert_eq!(
            score(&r, Level::High, Level::High, false),
            (2, 3, 6, Severity::High)
        );
        assert_eq!(
            score(&r, Level::Medium, Level::Medium, false).3,
            Severity::Medium
        );
    }

    #[test]
    fn untrusted_reach_raises_likelihood_capped_at_five() {
        assert_eq!(score(&rule(5, 3), Level::Low, Level::Low, true).0, 5);
        assert_eq!(score(&rule(3, 3), Level::Low, Level::Low, true).0, 4);
    }
}
