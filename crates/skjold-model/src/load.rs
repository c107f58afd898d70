//! Reading a model file: YAML parsing with line numbers (serde_norway reports the position of a
//! syntax or type error), then semantic validation (unique ids, references, security levels,
//! control ids, dates). Every error names the file, the line and, where it is clear, the fix.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::catalog::{edit_distance, Catalog};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::Model;

/// A model together with where it came from, for error positions.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The model.
    pub model: Model,
    /// File name as given.
    pub file: String,
    /// The source text.
    pub source: String,
}

impl LoadedModel {
    /// The 1-based line where the item with this id is defined, if found.
    pub fn line_of(&self, id: &str) -> Option<usize> {
        find_id_line(&self.source, id)
    }
}

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<LoadedModel> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|source| Error::Io {
        file: file.clone(),
        source,
    })?;
    parse_model(&source, &file)
}

/// Parses and validates model text; `file` is used in error messages.
pub fn parse_model(source: &str, file: &str) -> Result<LoadedModel> {
    let model: Model = serde_norway::from_str(source).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        let msg = e.to_string();
        // serde_norway appends " at line L column C"; keep the message short.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        let fix = if msg.contains("unknown field") {
            Some("remove the field or correct its spelling (see `skjold model schema`)".to_owned())
        } else if msg.contains("unknown variant") {
            Some("use one of the values listed in the message".to_owned())
        } else if msg.contains("missing field") {
            Some("add the field named in the message".to_owned())
        } else {
            None
        };
        Error::invalid(file, line, msg, fix)
    })?;
    validate(&model, source, file)?;
    Ok(LoadedModel {
        model,
        file: file.to_owned(),
        source: source.to_owned(),
    })
}

/// The 1-based line of `id: <id>` in YAML text (block or flow style).
pub(crate) fn find_id_line(source: &str, id: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| line_defines_id(l, id))
        .map(|i| i + 1)
}

/// The 1-based line where each id is first defined, in one pass over the text.
pub(crate) fn id_lines(source: &str) -> std::collections::HashMap<&str, usize> {
    let mut map = std::collections::HashMap::new();
    for (i, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(pos) = rest.find("id:") {
            let before = rest[..pos].chars().last();
            let after = rest[pos + 3..].trim_start();
            let after = after.trim_start_matches(['"', '\'']);
            let end = after
                .find([',', '}', '"', '\'', ' ', '#'])
                .unwrap_or(after.len());
            if matches!(before, None | Some(' ' | '{' | '-' | ',')) && end > 0 {
                map.entry(&after[..end]).or_insert(i + 1);
            }
            rest = &rest[pos + 3..];
        }
    }
    map
}

fn line_defines_id(line: &str, id: &str) -> bool {
    let mut rest = line;
    while let Some(pos) = rest.find("id:") {
        let before = rest[..pos].chars().last();
        let after = rest[pos + 3..].trim_start();
        let value: String = after
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| !matches!(c, ',' | '}' | '"' | '\'' | ' ' | '#'))
            .collect();
        if matches!(before, None | Some(' ' | '{' | '-' | ',')) && value == id {
            return true;
        }
        rest = &rest[pos + 3..];
    }
    false
}

/// The line of the first occurrence of `needle` at or after the line defining `anchor`.
fn find_after(source: &str, anchor: &str, needle: &str) -> usize {
    let start = find_id_line(source, anchor).unwrap_or(1);
    source
        .lines()
        .enumerate()
        .skip(start - 1)
        .find(|(_, l)| l.contains(needle))
        .map_or(start, |(i, _)| i + 1)
}

fn nearest<'a>(wrong: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(c, wrong), c))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, c)| c)
}

fn validate(m: &Model, src: &str, file: &str) -> Result<()> {
    let err = |line: usize, msg: String, fix: Option<String>| Error::invalid(file, line, msg, fix);
    if m.name.trim().is_empty() {
        return Err(err(
            1,
            "model `name` is empty".into(),
            Some("give the system a name".into()),
        ));
    }
    // One namespace for all ids: controls and accepted risks refer to any of them.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let all = m
        .zones
        .iter()
        .map(|z| (z.id.as_str(), "zone"))
        .chain(m.conduits.iter().map(|c| (c.id.as_str(), "conduit")))
        .chain(m.elements.iter().map(|e| (e.id.as_str(), "element")))
        .chain(m.data_assets.iter().map(|d| (d.id.as_str(), "data asset")))
        .chain(m.flows.iter().map(|f| (f.id.as_str(), "flow")));
    for (id, what) in all {
        if id.is_empty() || id.contains(char::is_whitespace) {
            return Err(err(
                find_id_line(src, id).unwrap_or(0),
                format!("{what} id {id:?} is empty or contains spaces"),
                Some("use letters, digits, '-' and '_' only".into()),
            ));
        }
        if let Some(prev) = seen.insert(id, what) {
            let line = src
                .lines()
                .enumerate()
                .filter(|(_, l)| line_defines_id(l, id))
                .nth(1)
                .map_or(0, |(i, _)| i + 1);
            return Err(err(
                line,
                format!("duplicate id `{id}` ({what}; already used by a {prev})"),
                Some(
                    "ids must be unique across zones, conduits, elements, data assets and flows"
                        .into(),
                ),
            ));
        }
    }
    let zones: BTreeSet<&str> = m.zones.iter().map(|z| z.id.as_str()).collect();
    let elements: BTreeSet<&str> = m.elements.iter().map(|e| e.id.as_str()).collect();
    let data: BTreeSet<&str> = m.data_assets.iter().map(|d| d.id.as_str()).collect();
    let conduits: BTreeSet<&str> = m.conduits.iter().map(|c| c.id.as_str()).collect();
    let missing = |kind: &str, id: &str, set: &BTreeSet<&str>, anchor: &str, key: &str| {
        let fix = match nearest(id, set.iter().copied()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("declare a {kind} with id `{id}` or correct the reference"),
        };
        err(
            find_after(src, anchor, &format!("{key}{id}")),
            format!("`{anchor}` refers to unknown {kind} `{id}`"),
            Some(fix),
        )
    };
    for z in &m.zones {
        if z.sl_target > 4 {
            return Err(err(
                find_after(src, &z.id, "sl_target"),
                format!("zone `{}` has sl_target {}, above SL 4", z.id, z.sl_target),
                Some("use 0 to 4".into()),
            ));
        }
    }
    for c in &m.conduits {
        for z in &c.zones {
            if !zones.contains(z.as_str()) {
                return Err(missing("zone", z, &zones, &c.id, ""));
            }
        }
        if c.zones[0] == c.zones[1] {
            return Err(err(
                find_id_line(src, &c.id).unwrap_or(0),
                format!("conduit `{}` joins zone `{}` to itself", c.id, c.zones[0]),
                Some("a conduit joins two different zones".into()),
            ));
        }
        if c.sl_target > 4 {
            return Err(err(
                find_after(src, &c.id, "sl_target"),
                format!(
                    "conduit `{}` has sl_target {}, above SL 4",
                    c.id, c.sl_target
                ),
                Some("use 0 to 4".into()),
            ));
        }
        for v in &c.via {
            if !elements.contains(v.as_str()) {
                return Err(missing("element", v, &elements, &c.id, ""));
            }
        }
    }
    for e in &m.elements {
        if !zones.contains(e.zone.as_str()) {
            return Err(missing("zone", &e.zone, &zones, &e.id, "zone: "));
        }
        for d in &e.stores {
            if !data.contains(d.as_str()) {
                return Err(missing("data asset", d, &data, &e.id, ""));
            }
        }
    }
    for f in &m.flows {
        if !elements.contains(f.from.as_str()) {
            return Err(missing("element", &f.from, &elements, &f.id, "from: "));
        }
        if !elements.contains(f.to.as_str()) {
            return Err(missing("element", &f.to, &elements, &f.id, "to: "));
        }
        if f.from == f.to {
            return Err(err(
                find_id_line(src, &f.id).unwrap_or(0),
                format!("flow `{}` goes from `{}` to itself", f.id, f.from),
                Some("model flows between two different elements".into()),
            ));
        }
        for d in &f.data {
            if !data.contains(d.as_str()) {
                return Err(missing("data asset", d, &data, &f.id, ""));
            }
        }
        if let Some(c) = &f.conduit {
            if !conduits.contains(c.as_str()) {
                return Err(missing("conduit", c, &conduits, &f.id, "conduit: "));
            }
        }
        if f.protocol.trim().is_empty() {
            return Err(err(
                find_id_line(src, &f.id).unwrap_or(0),
                format!("flow `{}` has an empty protocol", f.id),
                Some("name the application protocol, e.g. modbus, mqtt, https".into()),
            ));
        }
    }
    let cat = Catalog::get();
    for c in &m.controls {
        if cat.control(&c.control).is_none() {
            let fix = cat.suggest_control(&c.control).map_or_else(
                || "see `skjold model controls` for the catalogue".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            let line = src
                .lines()
                .position(|l| l.contains(&format!("control: {}", c.control)))
                .map_or(0, |i| i + 1);
            return Err(err(
                line,
                format!("unknown control `{}`", c.control),
                Some(fix),
            ));
        }
        for t in &c.on {
            if !seen.contains_key(t.as_str()) {
                let line = src
                    .lines()
                    .position(|l| l.contains(&format!("control: {}", c.control)))
                    .map_or(0, |i| i + 1);
                let fix = nearest(t, seen.keys().copied()).map_or_else(
                    || "name an element, flow, zone or conduit id".to_owned(),
                    |n| format!("did you mean `{n}`?"),
                );
                return Err(err(
                    line,
                    format!("control `{}` is placed on unknown id `{t}`", c.control),
                    Some(fix),
                ));
            }
        }
    }
    for a in &m.accepted_risks {
        if Date::parse(&a.expires).is_none() {
            let line = src
                .lines()
                .position(|l| l.contains("expires:") && l.contains(a.expires.as_str()))
                .map_or(0, |i| i + 1);
            return Err(err(
                line,
                format!(
                    "accepted risk `{}` has expiry {:?}, not a date",
                    a.finding, a.expires
                ),
                Some("write the date as YYYY-MM-DD".into()),
            ));
        }
        if a.owner.trim().is_empty() || a.reason.trim().is_empty() {
            let line = src
                .lines()
                .position(|l| l.contains(a.finding.as_str()))
                .map_or(0, |i| i + 1);
            return Err(err(
                line,
                format!("accepted risk `{}` needs an owner and a reason", a.finding),
                Some("name who accepts the risk and why".into()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_model;

    const OK: &str = "name: t\nzones:\n  - {id: z1, kind: control}\nelements:\n  - id: plc\n    kind: plc\n    zone: z1\n  - {id: hmi, kind: hmi, zone: z1}\nflows:\n  - id: f1\n    from: hmi\n    to: plc\n    protocol: modbus\n";

    fn err_of(src: &str) -> String {
        parse_model(src, "m.yaml").unwrap_err().to_string()
    }

    #[test]
    fn valid_model_loads() {
        let m = parse_model(OK, "m.yaml").unwrap();
        assert_eq!(m.model.flows.len(), 1);
        assert_eq!(m.line_of("plc"), Some(5));
        assert_eq!(m.line_of("hmi"), Some(8));
    }

    #[test]
    fn unknown_reference_names_line_and_suggests_fix() {
        let e = err_of(&OK.replace("to: plc", "to: plcx"));
        assert_eq!(
            e,
            "m.yaml:12: `f1` refers to unknown element `plcx`; fix: did you mean `plc`?"
        );
    }

    #[test]
    fn unknown_field_is_reported_with_its_line() {
        let e = err_of(&OK.replace("    zone: z1\n", "    zone: z1\n    colour: red\n"));
        assert!(e.starts_with("m.yaml:8: "), "{e}");
        assert!(e.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn bad_enum_value_is_reported() {
        let e = err_of(&OK.replace("kind: plc", "kind: plcc"));
        assert!(e.starts_with("m.yaml:6: "), "{e}");
        assert!(e.contains("unknown variant `plcc`"), "{e}");
    }

    #[test]
    fn duplicate_id_points_at_the_second_definition() {
        let e = err_of(&OK.replace("{id: hmi,", "{id: plc,"));
        assert!(e.starts_with("m.yaml:8: duplicate id `plc`"), "{e}");
    }

    #[test]
    fn unknown_control_suggests_catalogue_id() {
        let e = err_of(&format!("{OK}controls:\n  - control: mfaa\n"));
        assert_eq!(
            e,
            "m.yaml:15: unknown control `mfaa`; fix: did you mean `mfa`?"
        );
    }

    #[test]
    fn bad_expiry_date_is_rejected() {
        let e = err_of(&format!(
            "{OK}accepted_risks:\n  - {{finding: x, owner: a, reason: b, expires: next-year}}\n"
        ));
        assert!(e.contains("not a date"), "{e}");
        assert!(e.starts_with("m.yaml:15:"), "{e}");
    }
}
