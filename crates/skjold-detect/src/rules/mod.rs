//! User rules: a documented YAML language over observations (`docs/rules.md`), loaded with
//! `skjold watch --rules FILE`, validated with errors naming the file, the line, the column and
//! what is wrong (and how to fix it).
//!
//! A rule matches one observation when every key of its `match` holds, inside its optional
//! `time` window; with a `threshold` it alerts only once `count` matches fell within `seconds`
//! for one group (source, destination, pair, flow or all). Alerts go through the detector's
//! deduplication like the built-in detections' ones.

mod matchers;
mod syntax;

use crate::alert::{Alert, Meta};
use crate::dedup::Dedup;
use crate::obs::{FlowRef, Obs, Op, What};
use matchers::clock;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;
use syntax::{Exception, Match, Threshold, Time};

/// Threshold groups counted at most per rule; beyond it new groups are not counted (a limit
/// hit, see [`RuleSet::limits_hit`]) until old groups fall out of their window.
pub const MAX_GROUPS: usize = 10_000;

/// Values listed at most in an alert's evidence and message.
const MAX_VALUES: usize = 16;

/// A rule file that could not be loaded: `file:line:column: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong, and how to fix it.
    pub message: String,
}

/// The rules of one file, with their per-window counting state.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Rules loaded.
    pub len: usize,
    /// Threshold matches not counted because a rule's group table was full ([`MAX_GROUPS`]).
    pub limits_hit: u64,
    rules: Vec<Rule>,
}

/// One compiled rule.
#[derive(Clone, Debug)]
struct Rule {
    meta: Meta,
    /// The kind of observation the rule is about (`builtin::kind::index` of `m.event`).
    kind: usize,
    /// Hashes of the protocols of `m.protocol`, compared before the names.
    proto_hashes: Option<Vec<u64>>,
    m: Match,
    time: Option<Time>,
    counter: Option<Counter>,
}

/// Sliding-window counting for a rule with a `threshold`.
#[derive(Clone, Debug)]
struct Counter {
    spec: Threshold,
    window_us: u64,
    /// Per group: the capture times of its latest matches (at most `count`), oldest first.
    groups: FxHashMap<u64, VecDeque<u64>>,
    /// Capture time before which a full table is not swept again.
    next_sweep: u64,
}

impl Counter {
    /// Count a match of group `g` at `ts`: `Err` when the table is full, else the number of
    /// matches in the window when it reached the threshold.
    fn count(&mut self, g: u64, ts: u64) -> Result<Option<usize>, ()> {
        let win = self.window_us;
        if !self.groups.contains_key(&g) && self.groups.len() >= MAX_GROUPS {
            if ts >= self.next_sweep {
                self.groups
                    .retain(|_, q| q.back().is_some_and(|&t| t.saturating_add(win) > ts));
                self.next_sweep = ts.saturating_add(win);
            }
            if self.groups.len() >= MAX_GROUPS {
                return Err(());
            }
        }
        let n = self.spec.count as usize;
        let q = self.groups.entry(g).or_default();
        while q.front().is_some_and(|&t| t.saturating_add(win) <= ts) {
            q.pop_front();
        }
        q.push_back(ts);
        if q.len() > n {
            q.pop_front();
        }
        Ok((q.len() >= n).then_some(q.len()))
    }
}

/// The endpoints of an observation: source, its port, destination, its port, protocol.
struct Ends {
    src: IpAddr,
    sport: Option<u16>,
    dst: IpAddr,
    dport: Option<u16>,
    proto: &'static str,
    flow: Option<FlowRef>,
}

fn ends(obs: &Obs) -> Option<Ends> {
    if let What::Arp(a) = &obs.what {
        return Some(Ends {
            src: a.sender_ip,
            sport: None,
            dst: a.target_ip,
            dport: None,
            proto: "arp",
            flow: None,
        });
    }
    obs.flow.map(|f| Ends {
        src: f.src().ip,
        sport: Some(f.src().port),
        dst: f.dst().ip,
        dport: Some(f.dst().port),
        proto: f.proto,
        flow: Some(f),
    })
}

fn event_kind(w: &What) -> &'static str {
    match w {
        What::FlowStart => "flow",
        What::AppDetected => "app",
        What::Op(_) => "op",
        What::Credentials(_) => "credentials",
        What::Session(_) => "session",
        What::Tls(_) => "tls",
        What::Anomaly { .. } => "anomaly",
        What::Arp(_) => "arp",
    }
}

/// The name a `name` pattern is compared with.
fn name_of(w: &What) -> Option<&str> {
    match w {
        What::Op(op) => op.name.as_deref(),
        What::Credentials(c) => c.user.as_deref(),
        What::Tls(t) => t.sni.as_deref(),
        What::Anomaly { kind, .. } => Some(kind),
        _ => None,
    }
}

/// The addresses an operation touches: first and last.
fn span(op: &Op) -> Option<(u32, u32)> {
    let a = op.address?;
    let n = (op.count as usize).max(op.values.len()).max(1);
    Some((
        a,
        a.saturating_add(u32::try_from(n - 1).unwrap_or(u32::MAX)),
    ))
}

impl Match {
    /// Whether the observation matches; the values to report when it does.
    fn test(&self, obs: &Obs, e: &Ends) -> Option<Vec<f64>> {
        if self
            .protocol
            .as_ref()
            .is_some_and(|p| !p.contains(&e.proto))
        {
            return None;
        }
        let any = |set: &Option<Vec<matchers::Cidr>>, ip| {
            set.as_ref().map(|s| s.iter().any(|c| c.contains(ip)))
        };
        if any(&self.src, e.src) == Some(false)
            || any(&self.dst, e.dst) == Some(false)
            || any(&self.not_src, e.src) == Some(true)
            || any(&self.not_dst, e.dst) == Some(true)
        {
            return None;
        }
        let port = |set: &Option<matchers::RangeSet>, p: Option<u16>| {
            set.as_ref()
                .is_none_or(|s| p.is_some_and(|p| s.contains(u32::from(p))))
        };
        if !port(&self.src_port, e.sport) || !port(&self.dst_port, e.dport) {
            return None;
        }
        if let Some(pats) = &self.name {
            let n = name_of(&obs.what)?;
            if !pats.iter().any(|p| p.matches(n)) {
                return None;
            }
        }
        match &obs.what {
            What::Op(op) => self.test_op(op),
            _ => Some(Vec::new()),
        }
    }

    fn test_op(&self, op: &Op) -> Option<Vec<f64>> {
        if self.class.as_ref().is_some_and(|c| !c.contains(&op.class)) {
            return None;
        }
        if let Some(c) = &self.control {
            if !op.control.is_some_and(|x| c.contains(&x)) {
                return None;
            }
        }
        if let Some((codes, names)) = &self.function {
            if !codes.contains(op.function) && !names.iter().any(|n| **n == *op.function_name) {
                return None;
            }
        }
        if let Some(u) = &self.unit {
            if !op.unit.is_some_and(|x| u.contains(x)) {
                return None;
            }
        }
        if self
            .space
            .as_ref()
            .is_some_and(|s| !s.iter().any(|x| x == op.space))
        {
            return None;
        }
        match self.exception {
            Some(Exception::Any(b)) if op.exception.is_some() != b => return None,
            Some(Exception::Codes(ref c)) if !op.exception.is_some_and(|x| c.contains(x)) => {
                return None
            }
            _ => {}
        }
        if self.broadcast.is_some_and(|b| b != op.broadcast) {
            return None;
        }
        // The values in question: those at the rule's addresses when it names addresses.
        let mut values: Vec<f64> = match &self.address {
            Some(set) => {
                let (lo, hi) = span(op)?;
                if !set.intersects(lo, hi) {
                    return None;
                }
                op.values
                    .iter()
                    .zip(lo..)
                    .filter(|(_, a)| set.contains(*a))
                    .map(|(v, _)| *v)
                    .collect()
            }
            None => op.values.clone(),
        };
        if let Some(c) = &self.value {
            values.retain(|v| c.holds(*v));
            if values.is_empty() {
                return None;
            }
        }
        values.truncate(MAX_VALUES);
        Some(values)
    }
}

impl Time {
    fn holds(&self, ts: u64) -> bool {
        let (minute, day) = clock(ts);
        (self.days == 0 || self.days & (1 << day) != 0)
            && (self.hours.is_empty() || self.hours.iter().any(|h| h.contains(minute)))
    }
}

/// A value as JSON: an integer when it is one.
fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

fn num_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The evidence sentence and map of a match.
fn describe(obs: &Obs, e: &Ends, values: &[f64]) -> (String, Map<String, Value>) {
    let mut ev = Map::new();
    ev.insert("src".into(), e.src.to_string().into());
    ev.insert("dst".into(), e.dst.to_string().into());
    if let Some(p) = e.sport {
        ev.insert("src_port".into(), p.into());
    }
    if let Some(p) = e.dport {
        ev.insert("dst_port".into(), p.into());
    }
    ev.insert("protocol".into(), e.proto.into());
    let mut s = format!("{} → {}: {}", e.src, e.dst, e.proto);
    match &obs.what {
        What::Op(op) => {
            let _ = write!(s, " {} ({})", op.function_name, op.function);
            ev.insert("class".into(), op.class.name().into());
            ev.insert("function".into(), op.function_name.into());
            ev.insert("function_code".into(), op.function.into());
            if let Some(u) = op.unit {
                let _ = write!(s, ", unit {u}");
                ev.insert("unit".into(), u.into());
            }
            if let Some(c) = op.control {
                let _ = write!(s, ", {}", c.name());
                ev.insert("control".into(), c.name().into());
            }
            if let Some(a) = op.address {
                let _ = write!(s, ", {} {a}", op.space);
                if !op.space.is_empty() {
                    ev.insert("space".into(), op.space.into());
                }
                ev.insert("address".into(), a.into());
            }
            if !values.is_empty() {
                let list: Vec<String> = values.iter().map(|v| num_text(*v)).collect();
                let _ = write!(s, ", value {}", list.join(", "));
                ev.insert(
                    "values".into(),
                    Value::Array(values.iter().map(|v| num(*v)).collect()),
                );
            }
            if let Some(n) = &op.name {
                let _ = write!(s, ", name `{n}`");
                ev.insert("name".into(), n.as_ref().into());
            }
            if let Some(x) = op.exception {
                let _ = write!(s, ", exception {x}");
                ev.insert("exception".into(), x.into());
            }
            if op.broadcast {
                s.push_str(", broadcast");
                ev.insert("broadcast".into(), true.into());
            }
        }
        w => {
            let _ = write!(s, " {}", event_kind(w));
            if let Some(n) = name_of(w) {
                let _ = write!(s, " `{n}`");
                ev.insert("name".into(), n.into());
            }
        }
    }
    (s, ev)
}

/// Hash of a dedup cause.
fn key<T: std::hash::Hash>(t: &T) -> u64 {
    crate::builtin::key(t)
}

impl Rule {
    /// Check one observation; `Err` when a threshold table was full.
    fn check(
        &mut self,
        obs: &Obs,
        e: &Ends,
        (kind, proto_hash): (usize, u64),
        dedup: &mut Dedup,
    ) -> Result<(), ()> {
        // Cheap rejections first: the kind of observation, the protocol's hash.
        if kind != self.kind
            || self
                .proto_hashes
                .as_ref()
                .is_some_and(|h| !h.contains(&proto_hash))
        {
            return Ok(());
        }
        let Some(values) = self.m.test(obs, e) else {
            return Ok(());
        };
        // The time window last: matching rejects most observations more cheaply.
        if self.time.as_ref().is_some_and(|t| !t.holds(obs.ts)) {
            return Ok(());
        }
        let sig = self.meta.signature;
        let Some(counter) = &mut self.counter else {
            let (space, address) = match &obs.what {
                What::Op(op) => (op.space, op.address),
                _ => ("", None),
            };
            let cause = key(&(e.src, e.dst, space, address));
            dedup.hit_meta(self.meta.clone(), cause, obs, || {
                let (text, ev) = describe(obs, e, &values);
                (format!("{sig}: {text}"), ev)
            });
            return Ok(());
        };
        let by = counter.spec.by;
        let (group, label) = match by {
            "src" => (key(&("src", e.src)), format!("from {}", e.src)),
            "dst" => (key(&("dst", e.dst)), format!("to {}", e.dst)),
            "pair" => (
                key(&("pair", e.src, e.dst)),
                format!("from {} to {}", e.src, e.dst),
            ),
            "flow" => {
                let id = e.flow.map_or(0, |f| f.flow_id);
                (key(&("flow", id)), format!("in flow {id}"))
            }
            _ => (0, "in total".to_owned()),
        };
        let Some(n) = counter.count(group, obs.ts)? else {
            return Ok(());
        };
        let secs = counter.spec.seconds;
        dedup.hit_meta(self.meta.clone(), group, obs, || {
            let (text, mut ev) = describe(obs, e, &values);
            ev.insert("count".into(), n.into());
            ev.insert("window_s".into(), secs.into());
            ev.insert("by".into(), by.into());
            (
                format!("{sig}: {n} matches within {secs} s {label}; latest {text}"),
                ev,
            )
        });
        Ok(())
    }
}

impl RuleSet {
    /// Load and validate a rule file.
    pub fn load(path: &Path) -> Result<RuleSet, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the rule file: {e}"),
        })?;
        RuleSet::parse(&text, &path.display().to_string())
    }

    /// Parse and validate rules from `text`; `file` names it in errors.
    ///
    /// The rules' names, signatures, categories and references are leaked to `&'static str`
    /// (alert [`Meta`] holds static strings): rule files are loaded once per process, at start.
    pub fn parse(text: &str, file: &str) -> Result<RuleSet, RuleError> {
        let err = |line: usize, column: usize, message: String| RuleError {
            file: file.to_owned(),
            line,
            column,
            message,
        };
        if let Err(e) = serde_norway::from_str::<serde_norway::Value>(text) {
            let (l, c) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            return Err(err(
                l,
                c,
                format!("YAML syntax error: {}", strip_positions(&e.to_string())),
            ));
        }
        let f: syntax::File = serde_norway::from_str(text).map_err(|e| {
            let (mut l, mut c) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let mut msg = improve(&strip_positions(&e.to_string()));
            // A mapping's error about one of its keys: point at the key.
            let mark = syntax::KEY_MARK;
            if let Some((before, rest)) = msg.split_once(mark) {
                if let Some((k, after)) = rest.split_once(mark) {
                    if let Some(pos) = find_key(text, k, None, l) {
                        (l, c) = pos;
                    }
                    msg = format!("{before}{after}");
                }
            }
            err(l, c, msg)
        })?;
        if f.rules.is_empty() {
            let (l, c) = find_key(text, "rules", None, 1).unwrap_or((1, 1));
            return Err(err(
                l,
                c,
                "the file has no rules; add at least one under `rules:` (see docs/rules.md)".into(),
            ));
        }
        let mut ids: FxHashMap<u32, String> = FxHashMap::default();
        let mut names: FxHashMap<String, u32> = FxHashMap::default();
        for r in &f.rules {
            let id = r.id.0;
            if let Some(other) = ids.insert(id, r.name.0.clone()) {
                let first = find_key(text, "id", Some(&id.to_string()), 1);
                let (l, c) = first
                    .and_then(|(l, _)| find_key(text, "id", Some(&id.to_string()), l + 1))
                    .unwrap_or((0, 0));
                return Err(err(
                    l,
                    c,
                    format!(
                        "duplicate rule id {id}: rule `{other}`{} already uses it; give each rule its own id",
                        first.map_or(String::new(), |(l, _)| format!(" (line {l})"))
                    ),
                ));
            }
            if let Some(other) = names.insert(r.name.0.clone(), id) {
                let n = &r.name.0;
                let first = find_key(text, "name", Some(n), 1);
                let (l, c) = first
                    .and_then(|(l, _)| find_key(text, "name", Some(n), l + 1))
                    .unwrap_or((0, 0));
                return Err(err(
                    l,
                    c,
                    format!(
                        "duplicate rule name `{n}`: rule {other}{} already uses it; give each rule its own name",
                        first.map_or(String::new(), |(l, _)| format!(" (line {l})"))
                    ),
                ));
            }
        }
        let rules: Vec<Rule> = f.rules.into_iter().map(compile).collect();
        Ok(RuleSet {
            len: rules.len(),
            limits_hit: 0,
            rules,
        })
    }

    /// Rules loaded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Evaluate every rule on one observation, reporting matches to `dedup`.
    pub(crate) fn check(&mut self, obs: &Obs, dedup: &mut Dedup) {
        if self.rules.is_empty() {
            return;
        }
        // Once per observation, not per rule.
        let Some(e) = ends(obs) else {
            return;
        };
        let quick = (
            crate::builtin::kind::index(&obs.what),
            crate::builtin::key(&e.proto),
        );
        for r in &mut self.rules {
            if r.check(obs, &e, quick, dedup).is_err() {
                self.limits_hit += 1;
            }
        }
    }

    /// Run the rules alone over `obs` (in order) with a deduplication window of `window_us`
    /// µs of capture time, and return every alert (windows closed at the end). For tests and
    /// for trying a rule file on recorded observations.
    pub fn evaluate(&mut self, obs: &[Obs], window_us: u64) -> Vec<Alert> {
        let mut d = Dedup::new(window_us.max(1));
        let mut out = Vec::new();
        for o in obs {
            d.advance(o.ts);
            self.check(o, &mut d);
            out.extend(d.take());
        }
        d.flush();
        out.extend(d.take());
        out
    }
}

/// Leak a string: rule files are loaded once per process.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_list(v: Vec<String>) -> &'static [&'static str] {
    Box::leak(
        v.into_iter()
            .map(leak)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn compile(r: syntax::Rule) -> Rule {
    let strs = |m: Option<syntax::Many<syntax::Str>>| {
        leak_list(
            m.map(|m| m.0.into_iter().map(|s| s.0).collect())
                .unwrap_or_default(),
        )
    };
    let meta = Meta {
        sid: r.id.0,
        name: leak(r.name.0),
        signature: leak(r.signature.0),
        category: leak(r.category.map_or_else(|| "User rule".to_owned(), |c| c.0)),
        severity: r.severity.0,
        mitre: leak_list(
            r.mitre
                .map(|m| m.0.into_iter().map(|t| t.0).collect())
                .unwrap_or_default(),
        ),
        etsi: strs(r.etsi),
        iec: strs(r.iec),
    };
    let _ = r.description;
    let kind = match r.matches.event {
        "flow" => 0,
        "app" => 1,
        "credentials" => 3,
        "session" => 4,
        "tls" => 5,
        "anomaly" => 6,
        "arp" => 7,
        _ => 2,
    };
    let proto_hashes = r
        .matches
        .protocol
        .as_ref()
        .map(|v| v.iter().map(crate::builtin::key).collect());
    Rule {
        meta,
        kind,
        proto_hashes,
        m: r.matches,
        time: r.time,
        counter: r.threshold.map(|spec| Counter {
            window_us: u64::from(spec.seconds) * 1_000_000,
            spec,
            groups: FxHashMap::default(),
            next_sweep: 0,
        }),
    }
}

/// Remove `serde_norway`'s " at line L column C" / " at position N" from a message.
fn strip_positions(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(" at ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let skip = ["line ", "position "].iter().find_map(|p| {
            let t = after.strip_prefix(p)?;
            let mut end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            if *p == "line " {
                let t2 = &t[end..];
                if let Some(c) = t2.strip_prefix(" column ") {
                    end += 8 + c.find(|c: char| !c.is_ascii_digit()).unwrap_or(c.len());
                }
            }
            (end > 0).then_some(p.len() + end)
        });
        if let Some(n) = skip {
            rest = &after[n..];
        } else {
            out.push_str(" at ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Friendlier wording of serde's messages: unknown keys with a suggestion, missing keys.
fn improve(msg: &str) -> String {
    let (path, body) = match msg.find(": ") {
        Some(i) if !msg[..i].contains(' ') => (&msg[..i + 2], &msg[i + 2..]),
        _ => ("", msg),
    };
    let ticked =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    if let Some(rest) = body.strip_prefix("unknown field ") {
        let words = ticked(rest);
        if let Some((wrong, allowed)) = words.split_first() {
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return match syntax::nearest(wrong, &allowed) {
                Some(n) => {
                    format!("{path}unknown key `{wrong}`; did you mean `{n}`? (keys here: {list})")
                }
                None => format!("{path}unknown key `{wrong}`; keys here: {list}"),
            };
        }
    }
    if let Some(rest) = body.strip_prefix("missing field ") {
        if let Some(k) = ticked(rest).first() {
            let rule_level = path.starts_with("rules[") && path.ends_with("]: ");
            return if path.is_empty() {
                format!("missing key `{k}`; a rule file is a mapping with a `rules:` list")
            } else if rule_level {
                format!("{path}missing key `{k}`; every rule needs `id`, `name`, `signature`, `severity` and `match`")
            } else {
                format!("{path}missing key `{k}`; add it")
            };
        }
    }
    msg.to_owned()
}

/// The position (line, column of the value, 1-based) of the first `key: value` at or after
/// line `from` (any value when `value` is `None`), in block or flow style.
fn find_key(text: &str, key: &str, value: Option<&str>, from: usize) -> Option<(usize, usize)> {
    let pat = format!("{key}:");
    for (i, line) in text.lines().enumerate().skip(from.saturating_sub(1)) {
        let code = line.split(" #").next().unwrap_or(line);
        let mut at = 0;
        while let Some(p) = code[at..].find(&pat) {
            let pos = at + p;
            at = pos + pat.len();
            let before = code[..pos].chars().last();
            if !matches!(before, None | Some(' ' | '{' | '-' | ',')) {
                continue;
            }
            let raw = &code[at..];
            let v = raw.trim_start();
            let col = code.len() - v.len() + 1;
            let end = v.find([',', '}']).unwrap_or(v.len());
            let found = v[..end].trim().trim_matches(['"', '\'']);
            if value.is_none_or(|want| want == found) {
                return Some((i + 1, if value.is_some() { col } else { pos + 1 }));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_stripped_from_messages() {
        assert_eq!(
            strip_positions("did not find expected key at line 5 column 3, while parsing a block mapping at line 2 column 3"),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_positions("look at me"), "look at me");
    }

    #[test]
    fn keys_are_found_in_block_and_flow_style() {
        let t = "rules:\n  - id: 5 # x\n    name: a\n  - {id: 5, name: \"b\"}\n";
        assert_eq!(find_key(t, "id", Some("5"), 1), Some((2, 9)));
        assert_eq!(find_key(t, "id", Some("5"), 3), Some((4, 10)));
        assert_eq!(find_key(t, "name", Some("b"), 1), Some((4, 19)));
        assert_eq!(find_key(t, "rules", None, 1), Some((1, 1)));
    }
}
