//! The rule library as data. A rule is one YAML file: what it detects and why it matters
//! (`description`, `why`), a STRIDE category, the subject kind it applies to, a condition over the
//! subject's facts (see `facts.rs`), likelihood and impact factors, consequences, the controls that
//! mitigate it, references to ETSI EN 303 645, IEC 62443-3-3, OWASP IoT Top 10 and MITRE ATT&CK
//! for ICS, and an `example` model where it fires (used by the tests and the documentation).
//! Built-in rules live in `rules/`; project-local rules are read from a folder.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::facts::{known_field, Index, Subject, SubjectKind, Value};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A STRIDE category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stride {
    /// Spoofing.
    S,
    /// Tampering.
    T,
    /// Repudiation.
    R,
    /// Information disclosure.
    I,
    /// Denial of service.
    D,
    /// Elevation of privilege.
    E,
}

impl Stride {
    /// Full name.
    pub fn name(self) -> &'static str {
        match self {
            Self::S => "Spoofing",
            Self::T => "Tampering",
            Self::R => "Repudiation",
            Self::I => "Information disclosure",
            Self::D => "Denial of service",
            Self::E => "Elevation of privilege",
        }
    }
}

/// A consequence of a threat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// Financial loss (production stop, ransom, repair).
    Financial,
    /// Death, injury or environmental harm.
    Safety,
    /// Damage to reputation and trust.
    Reputation,
    /// Legal or regulatory exposure (GDPR, NIS2, sector regulators).
    Legal,
    /// Loss or disclosure of data.
    DataLoss,
}

impl Consequence {
    /// All consequences, in report order.
    pub const ALL: [Consequence; 5] = [
        Consequence::Safety,
        Consequence::Financial,
        Consequence::Legal,
        Consequence::Reputation,
        Consequence::DataLoss,
    ];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Financial => "Financial loss",
            Self::Safety => "Death, injury or environmental harm",
            Self::Reputation => "Reputation",
            Self::Legal => "Legal / GDPR",
            Self::DataLoss => "Data loss",
        }
    }
}

/// A scalar in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Yes or no.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A word; level names none/low/medium/high compare as 0..3 against numbers.
    Str(String),
}

/// A comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal.
    Eq(Scalar),
    /// Not equal.
    Ne(Scalar),
    /// One of (for a list field: shares an element with).
    In(Vec<Scalar>),
    /// None of (for a list field: shares no element with).
    NotIn(Vec<Scalar>),
    /// Greater or equal.
    Gte(Scalar),
    /// Less or equal.
    Lte(Scalar),
    /// The list field contains the word.
    Contains(Scalar),
    /// The list is empty (true) or not (false); a missing value counts as empty.
    Empty(bool),
    /// The value is set (true) or not set (false).
    Exists(bool),
}

/// One test of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// Field path, e.g. `flow.encrypted`, `target.kind`, `element.criticality.safety`.
    pub field: String,
    /// The comparison.
    #[serde(flatten)]
    pub op: Op,
}

/// A condition: all of, any of, not, or one predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Condition {
    /// Every sub-condition holds.
    All {
        /// Sub-conditions.
        all: Vec<Condition>,
    },
    /// At least one sub-condition holds.
    Any {
        /// Sub-conditions.
        any: Vec<Condition>,
    },
    /// The sub-condition does not hold.
    Not {
        /// Sub-condition.
        not: Box<Condition>,
    },
    /// A field test.
    Pred(Predicate),
}

impl Condition {
    /// All field paths the condition reads.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Self::All { all: v } | Self::Any { any: v } => v.iter().for_each(|c| c.fields(out)),
            Self::Not { not } => not.fields(out),
            Self::Pred(p) => {
                if !out.contains(&p.field) {
                    out.push(p.field.clone());
                }
            }
        }
    }

    /// Evaluates the condition on a subject.
    pub fn eval<'m>(&self, ix: &Index<'m>, s: Subject<'m>) -> bool {
        match self {
            Self::All { all } => all.iter().all(|c| c.eval(ix, s)),
            Self::Any { any } => any.iter().any(|c| c.eval(ix, s)),
            Self::Not { not } => !not.eval(ix, s),
            Self::Pred(p) => p.eval(&ix.field(s, &p.field).unwrap_or(Value::Null)),
        }
    }
}

fn level_rank(s: &str) -> Option<f64> {
    match s {
        "none" => Some(0.0),
        "low" => Some(1.0),
        "medium" => Some(2.0),
        "high" => Some(3.0),
        _ => None,
    }
}

fn scalar_eq(v: &Value, s: &Scalar) -> bool {
    match (v, s) {
        (Value::Bool(a), Scalar::Bool(b)) => a == b,
        (Value::Num(a), Scalar::Num(b)) => (a - b).abs() < f64::EPSILON,
        (Value::Num(a), Scalar::Str(b)) => {
            level_rank(b).is_some_and(|b| (a - b).abs() < f64::EPSILON)
        }
        (Value::Str(a), Scalar::Str(b)) => a == b,
        (Value::List(l), Scalar::Str(b)) => l.iter().any(|x| x == b),
        _ => false,
    }
}

fn scalar_num(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Num(n) => Some(*n),
        Scalar::Str(s) => level_rank(s),
        Scalar::Bool(_) => None,
    }
}

impl Predicate {
    fn eval(&self, v: &Value) -> bool {
        match &self.op {
            Op::Eq(s) => scalar_eq(v, s),
            Op::Ne(s) => !scalar_eq(v, s),
            Op::In(list) => list.iter().any(|s| scalar_eq(v, s)),
            Op::NotIn(list) => !list.iter().any(|s| scalar_eq(v, s)),
            Op::Gte(s) => matches!((v, scalar_num(s)), (Value::Num(a), Some(b)) if *a >= b),
            Op::Lte(s) => matches!((v, scalar_num(s)), (Value::Num(a), Some(b)) if *a <= b),
            Op::Contains(s) => matches!(v, Value::List(_)) && scalar_eq(v, s),
            Op::Empty(want) => {
                let empty = match v {
                    Value::List(l) => l.is_empty(),
                    Value::Null => true,
                    Value::Str(s) => s.is_empty(),
                    _ => false,
                };
                empty == *want
            }
            Op::Exists(want) => (*v != Value::Null) == *want,
        }
    }
}

/// The standards a rule maps to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standards {
    /// ETSI EN 303 645 provisions (V3.1.3 ids).
    #[serde(default)]
    pub etsi_en_303_645: Vec<String>,
    /// IEC 62443-3-3 system requirements ("SR 1.13").
    #[serde(default)]
    pub iec_62443: Vec<String>,
    /// OWASP IoT Top 10 2018 ("I1".."I10").
    #[serde(default)]
    pub owasp_iot: Vec<String>,
    /// MITRE ATT&CK for ICS technique ids ("T0866").
    #[serde(default)]
    pub mitre_attack_ics: Vec<String>,
}

/// A threat rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, e.g. `TM-001`.
    pub id: String,
    /// Short kebab-case name.
    pub name: String,
    /// Title of the threat.
    pub title: String,
    /// What the rule detects.
    pub description: String,
    /// Why it matters, with a real-world case where there is one.
    pub why: String,
    /// STRIDE categories.
    pub stride: Vec<Stride>,
    /// What the rule is evaluated on.
    pub applies_to: SubjectKind,
    /// When it fires.
    pub condition: Condition,
    /// Likelihood factor 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// Impact factor 1 (negligible) to 5 (severe).
    pub impact: u8,
    /// Consequences if it happens.
    pub consequences: Vec<Consequence>,
    /// Alternatives: the threat is mitigated when every control of any one group is in place.
    pub mitigated_by: Vec<Vec<String>>,
    /// What to do.
    pub remediation: String,
    /// Standards mapping.
    pub standards: Standards,
    /// Further reading.
    #[serde(default)]
    pub references: Vec<String>,
    /// A minimal model (YAML) where the rule fires.
    pub example: String,
}

/// A set of rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The rules, sorted by id.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<Self> {
        let mut rules = Vec::with_capacity(BUILTIN_RULES.len());
        for (name, text) in BUILTIN_RULES {
            rules.push(parse_rule(text, name).map_err(|e| Error::Internal(e.to_string()))?);
        }
        let mut set = Self { rules };
        set.finish("built-in rules")?;
        Ok(set)
    }

    /// Adds every `*.yaml`/`*.yml` rule file of a folder (project-local rules).
    pub fn add_dir(&mut self, dir: &Path) -> Result<()> {
        let shown = dir.display().to_string();
        let rd = std::fs::read_dir(dir).map_err(|source| Error::Io {
            file: shown.clone(),
            source,
        })?;
        let mut paths: Vec<_> = rd
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for p in paths {
            let file = p.display().to_string();
            let text = std::fs::read_to_string(&p).map_err(|source| Error::Io {
                file: file.clone(),
                source,
            })?;
            self.rules.push(parse_rule(&text, &file)?);
        }
        self.finish(&shown)
    }

    fn finish(&mut self, what: &str) -> Result<()> {
        self.rules.sort_by(|a, b| a.id.cmp(&b.id));
        for w in self.rules.windows(2) {
            if w[0].id == w[1].id {
                return Err(Error::invalid(
                    what,
                    0,
                    format!("two rules have the id `{}`", w[0].id),
                    Some("give each rule its own id".into()),
                ));
            }
        }
        Ok(())
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Parses and checks one rule file.
pub fn parse_rule(text: &str, file: &str) -> Result<Rule> {
    let rule: Rule = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        Error::invalid(
            file,
            line,
            msg,
            Some("see docs/model.md, section Rules".into()),
        )
    })?;
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(0, |i| i + 1)
    };
    let bad = |needle: &str, msg: String, fix: &str| {
        Error::invalid(file, line_of(needle), msg, Some(fix.into()))
    };
    let mut fields = Vec::new();
    rule.condition.fields(&mut fields);
    for f in &fields {
        if !known_field(rule.applies_to, f) {
            return Err(bad(
                f,
                format!(
                    "rule {} tests unknown field `{f}` for {:?} subjects",
                    rule.id, rule.applies_to
                ),
                "use a field listed in docs/model.md, section Rule fields",
            ));
        }
    }
    if !(1..=5).contains(&rule.likelihood) || !(1..=5).contains(&rule.impact) {
        return Err(bad(
            "likelihood",
            format!("rule {}: likelihood and impact must be 1 to 5", rule.id),
            "use 1 to 5",
        ));
    }
    let cat = Catalog::get();
    if rule.mitigated_by.is_empty() || rule.mitigated_by.iter().any(Vec::is_empty) {
        return Err(bad(
            "mitigated_by",
            format!("rule {} names no mitigating control", rule.id),
            "list control ids",
        ));
    }
    for c in rule.mitigated_by.iter().flatten() {
        if cat.control(c).is_none() {
            return Err(bad(
                c,
                format!("rule {} names unknown control `{c}`", rule.id),
                "use an id of the control catalogue",
            ));
        }
    }
    for e in &rule.standards.etsi_en_303_645 {
        if cat.etsi_title(e).is_none() {
            return Err(bad(
                e,
                format!("rule {}: unknown ETSI EN 303 645 provision `{e}`", rule.id),
                "use V3.1.3 ids such as 5.1-1",
            ));
        }
    }
    for s in &rule.standards.iec_62443 {
        if cat.iec_title(s).is_none() {
            return Err(bad(
                s,
                format!("rule {}: unknown IEC 62443-3-3 requirement `{s}`", rule.id),
                "write SR ids as `SR 1.13`",
            ));
        }
    }
    for o in &rule.standards.owasp_iot {
        if cat.owasp_title(o).is_none() {
            return Err(bad(
                o,
                format!("rule {}: unknown OWASP IoT id `{o}`", rule.id),
                "use I1 to I10",
            ));
        }
    }
    for t in &rule.standards.mitre_attack_ics {
        let ok = t.len() == 5 && t.starts_with("T0") && t[1..].chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(bad(
                t,
                format!(
                    "rule {}: `{t}` is not an ATT&CK for ICS technique id",
                    rule.id
                ),
                "write ids as T0xxx",
            ));
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_and_cover_the_library() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.len() >= 50, "only {} rules", set.rules.len());
        for r in &set.rules {
            assert!(!r.stride.is_empty(), "{}", r.id);
            assert!(
                !r.standards.etsi_en_303_645.is_empty() || !r.standards.iec_62443.is_empty(),
                "{}",
                r.id
            );
            assert!(
                !r.standards.mitre_attack_ics.is_empty(),
                "{} has no ATT&CK mapping",
                r.id
            );
            assert!(!r.references.is_empty(), "{} has no references", r.id);
        }
    }

    #[test]
    fn unknown_field_in_a_local_rule_is_rejected_with_its_line() {
        let text = RuleSet::builtin().unwrap().rules[0].clone();
        let mut yaml = serde_norway::to_string(&text).unwrap();
        let first = text.condition.clone();
        let mut f = Vec::new();
        first.fields(&mut f);
        yaml = yaml.replacen(&f[0], "flow.colour", 1);
        let e = parse_rule(&yaml, "local.yaml").unwrap_err().to_string();
        assert!(e.starts_with("local.yaml:"), "{e}");
        assert!(e.contains("unknown field `flow.colour`"), "{e}");
    }

    #[test]
    fn level_names_compare_with_ranks() {
        let p = Predicate {
            field: "x".into(),
            op: Op::Gte(Scalar::Str("medium".into())),
        };
        assert!(p.eval(&Value::Num(3.0)));
        assert!(!p.eval(&Value::Num(1.0)));
        let q = Predicate {
            field: "x".into(),
            op: Op::In(vec![Scalar::Str("a".into())]),
        };
        assert!(q.eval(&Value::List(vec!["b".into(), "a".into()])));
        assert!(!q.eval(&Value::Null));
    }
}
