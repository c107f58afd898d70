//! The rule file's syntax: serde types that validate while they deserialise, so every error
//! carries the position `serde_norway` knows (the offending scalar, key or mapping) and a fix.
//!
//! Scalars are checked inside their visitor (the error gets the scalar's line and column);
//! mappings that need cross-key checks (`match`, `value`, `time`, `threshold`) are checked
//! inside their mapping visitor (the error gets the mapping's position).

use super::matchers::{parse_day, Cidr, Hours, NamePat, RangeSet, ValueCond};
use crate::obs::{Control, OpClass};
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// Protocol names a rule may use: EVE `app_proto` names, `tcp`/`udp` (flows whose protocol is
/// not known) and `arp`.
pub(crate) const PROTOCOLS: &[&str] = &[
    "modbus",
    "mqtt",
    "dnp3",
    "iec104",
    "s7comm",
    "s7comm_plus",
    "enip",
    "bacnet",
    "opcua",
    "coap",
    "tls",
    "ssh",
    "telnet",
    "ftp",
    "http",
    "rdp",
    "vnc",
    "teamviewer",
    "anydesk",
    "tcp",
    "udp",
    "arp",
];

/// Every [`Control`], for name lookups.
pub(crate) const CONTROLS: [Control; 11] = [
    Control::Stop,
    Control::Start,
    Control::Restart,
    Control::ProgramDownload,
    Control::ProgramUpload,
    Control::ProgramDelete,
    Control::Firmware,
    Control::ResetProcess,
    Control::CommControl,
    Control::ListenOnly,
    Control::UnsolicitedDisable,
];

const CLASSES: &[&str] = &[
    "read",
    "write",
    "control",
    "identify",
    "diagnostic",
    "connect",
    "publish",
    "subscribe",
    "other",
];

/// Event kinds (`match.event`).
pub(crate) const EVENTS: &[&str] = &[
    "op",
    "credentials",
    "session",
    "tls",
    "flow",
    "app",
    "anomaly",
    "arp",
];

/// Threshold grouping (`threshold.by`).
pub(crate) const BY: &[&str] = &["src", "dst", "pair", "flow", "none"];

/// Edit distance, for "did you mean" suggestions.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `wrong` (the first of equals), when it is close enough to be
/// a typo.
pub(crate) fn nearest<'a>(wrong: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(c, wrong), *c))
        .min_by_key(|&(d, _)| d)
        .filter(|&(d, c)| d <= 2.max(c.len() / 3))
        .map(|(_, c)| c)
}

/// "unknown X `w`; did you mean `y`? (one of `a`, `b`)".
fn unknown(what: &str, wrong: &str, allowed: &[&str]) -> String {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match nearest(wrong, allowed) {
        Some(n) => format!("unknown {what} `{wrong}`; did you mean `{n}`? (one of {list})"),
        None => format!("unknown {what} `{wrong}`; use one of {list}"),
    }
}

/// A scalar item of a rule key, given alone or in a list.
pub(crate) trait Item: Sized {
    /// What the item looks like, for type errors.
    const EXPECTING: &'static str;
    /// From a string.
    fn from_str(s: &str) -> Result<Self, String>;
    /// From a non-negative integer.
    fn from_u64(n: u64) -> Result<Self, String> {
        Err(format!(
            "expected {}, found the number {n}",
            Self::EXPECTING
        ))
    }
    /// From a boolean.
    fn from_bool(b: bool) -> Result<Self, String> {
        Err(format!("expected {}, found `{b}`", Self::EXPECTING))
    }
    /// From a float.
    fn from_f64(f: f64) -> Result<Self, String> {
        Err(format!(
            "expected {}, found the number {f}",
            Self::EXPECTING
        ))
    }
}

struct ItemVisitor<T>(PhantomData<T>, bool);

impl<'de, T: Item> Visitor<'de> for ItemVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 {
            write!(f, "{} or a list of them", T::EXPECTING)
        } else {
            f.write_str(T::EXPECTING)
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
        T::from_str(v).map(|t| vec![t]).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<T>, E> {
        T::from_u64(v).map(|t| vec![t]).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<T>, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!(
                "expected {}, found the negative number {v}",
                T::EXPECTING
            ))),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Vec<T>, E> {
        T::from_f64(v).map(|t| vec![t]).map_err(E::custom)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Vec<T>, E> {
        T::from_bool(v).map(|t| vec![t]).map_err(E::custom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        if !self.1 {
            return Err(de::Error::custom(format!(
                "expected {}, found a list",
                T::EXPECTING
            )));
        }
        let mut out = Vec::new();
        while let Some(One(t)) = seq.next_element::<One<T>>()? {
            out.push(t);
        }
        if out.is_empty() {
            return Err(de::Error::custom(format!(
                "empty list; give at least one item ({}) or leave the key out",
                T::EXPECTING
            )));
        }
        Ok(out)
    }
}

/// Exactly one item (a list element).
pub(crate) struct One<T>(pub(crate) T);

impl<'de, T: Item> Deserialize<'de> for One<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = d.deserialize_any(ItemVisitor::<T>(PhantomData, false))?;
        Ok(One(v.remove(0)))
    }
}

/// One item or a list of them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Many<T>(pub(crate) Vec<T>);

impl<'de, T: Item> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor::<T>(PhantomData, true))
            .map(Many)
    }
}

/// A protocol name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Proto(pub(crate) &'static str);
impl Item for Proto {
    const EXPECTING: &'static str = "a protocol name such as `modbus`";
    fn from_str(s: &str) -> Result<Self, String> {
        PROTOCOLS
            .iter()
            .find(|p| **p == s)
            .map(|p| Proto(p))
            .ok_or_else(|| unknown("protocol", s, PROTOCOLS))
    }
}

/// An operation class.
impl Item for OpClass {
    const EXPECTING: &'static str = "an operation class such as `write`";
    fn from_str(s: &str) -> Result<Self, String> {
        OpClass::from_name(s).ok_or_else(|| unknown("class", s, CLASSES))
    }
}

/// A device state change.
impl Item for Control {
    const EXPECTING: &'static str = "a control such as `stop`";
    fn from_str(s: &str) -> Result<Self, String> {
        CONTROLS.into_iter().find(|c| c.name() == s).ok_or_else(|| {
            let names: Vec<&str> = CONTROLS.iter().map(|c| c.name()).collect();
            unknown("control", s, &names)
        })
    }
}

/// Integer ranges with a maximum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ranges<const MAX: u32>(pub(crate) RangeSet);
impl<const MAX: u32> Item for Ranges<MAX> {
    const EXPECTING: &'static str = "a number, a range such as `1-4`, or a list such as `1-4, 6`";
    fn from_str(s: &str) -> Result<Self, String> {
        RangeSet::parse(s, MAX).map(Ranges)
    }
    fn from_u64(n: u64) -> Result<Self, String> {
        match u32::try_from(n) {
            Ok(v) if v <= MAX => Ok(Ranges(RangeSet::single(v))),
            _ => Err(format!(
                "{n} is out of range: the largest value here is {MAX}"
            )),
        }
    }
}

/// Merge ranges given as one item or a list.
pub(crate) fn ranges<const MAX: u32>(m: Many<Ranges<MAX>>) -> RangeSet {
    RangeSet::union(m.0.into_iter().map(|r| r.0))
}

/// A function: code ranges or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    /// Codes.
    Codes(RangeSet),
    /// An EVE function name.
    Name(Box<str>),
}
impl Item for Func {
    const EXPECTING: &'static str =
        "a function code, a range such as `1-4`, or a function name such as `write_single_register`";
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            return RangeSet::parse(s, u32::MAX).map(Func::Codes);
        }
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "bad function `{s}`: use a code, a range such as `1-4`, or an EVE function name (letters, digits and `_`)"
            ));
        }
        Ok(Func::Name(s.into()))
    }
    fn from_u64(n: u64) -> Result<Self, String> {
        u32::try_from(n)
            .map(|v| Func::Codes(RangeSet::single(v)))
            .map_err(|_| format!("function code {n} is out of range"))
    }
}

/// A plain string (address space names, references).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Str(pub(crate) String);
impl Item for Str {
    const EXPECTING: &'static str = "a string";
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("empty string; write a value or leave the key out".into());
        }
        Ok(Str(s.to_owned()))
    }
}

impl Item for NamePat {
    const EXPECTING: &'static str = "a name pattern such as `plant/control/#`";
    fn from_str(s: &str) -> Result<Self, String> {
        NamePat::parse(s)
    }
}

impl Item for Cidr {
    const EXPECTING: &'static str = "an IP address or a CIDR network such as `10.0.0.0/24`";
    fn from_str(s: &str) -> Result<Self, String> {
        Cidr::parse(s)
    }
}

/// A weekday, 0 (Monday) .. 6.
pub(crate) struct Day(pub(crate) u8);
impl Item for Day {
    const EXPECTING: &'static str = "a day such as `sat`";
    fn from_str(s: &str) -> Result<Self, String> {
        parse_day(s).map(Day)
    }
}

impl Item for Hours {
    const EXPECTING: &'static str = "a time window such as `22:00-06:00`";
    fn from_str(s: &str) -> Result<Self, String> {
        Hours::parse(s)
    }
}

/// An ATT&CK for ICS technique id.
pub(crate) struct Technique(pub(crate) String);
impl Item for Technique {
    const EXPECTING: &'static str = "an ATT&CK for ICS technique id such as `T0836`";
    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        if b.len() == 5 && s.starts_with("T0") && b[2..].iter().all(u8::is_ascii_digit) {
            Ok(Technique(s.to_owned()))
        } else {
            Err(format!(
                "bad technique id `{s}`: ATT&CK for ICS ids are `T0` and three digits, e.g. `T0836`"
            ))
        }
    }
}

/// `exception`: `true`, `false`, or exception codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exception {
    /// The response was (`true`) or was not (`false`) an exception.
    Any(bool),
    /// The response was one of these exception codes.
    Codes(RangeSet),
}
impl Item for Exception {
    const EXPECTING: &'static str = "`true`, `false`, or exception codes such as `1-4`";
    fn from_str(s: &str) -> Result<Self, String> {
        RangeSet::parse(s, u32::MAX).map(Exception::Codes)
    }
    fn from_u64(n: u64) -> Result<Self, String> {
        Ranges::<{ u32::MAX }>::from_u64(n).map(|r| Exception::Codes(r.0))
    }
    fn from_bool(b: bool) -> Result<Self, String> {
        Ok(Exception::Any(b))
    }
}

/// The rule id: an integer outside the built-in range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RuleId(pub(crate) u32);
impl Item for RuleId {
    const EXPECTING: &'static str = "a positive integer rule id";
    fn from_str(s: &str) -> Result<Self, String> {
        Err(format!(
            "rule id `{s}` is not a number; ids are positive integers, e.g. `9000001`"
        ))
    }
    fn from_u64(n: u64) -> Result<Self, String> {
        if (8_200_000..=8_299_999).contains(&n) {
            return Err(format!(
                "rule id {n} is in the range of the built-in detections (8200000-8299999); choose another, e.g. 9000001"
            ));
        }
        match u32::try_from(n) {
            Ok(v) if v > 0 => Ok(RuleId(v)),
            _ => Err(format!(
                "rule id {n} is out of range; use an integer from 1 to {}",
                u32::MAX
            )),
        }
    }
}

/// The rule name: `snake_case`.
pub(crate) struct RuleName(pub(crate) String);
impl Item for RuleName {
    const EXPECTING: &'static str = "a snake_case rule name";
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(RuleName(s.to_owned()))
        } else {
            let fix: String = s
                .trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            Err(format!(
                "rule name `{s}` is not snake_case (lower-case letters, digits and `_`, starting with a letter); e.g. `{fix}`"
            ))
        }
    }
}

/// Severity 1..3.
pub(crate) struct Severity(pub(crate) u8);
impl Item for Severity {
    const EXPECTING: &'static str = "a severity 1, 2 or 3";
    fn from_str(s: &str) -> Result<Self, String> {
        Err(format!(
            "severity `{s}` is not a number; use 1 (high), 2 (medium) or 3 (low)"
        ))
    }
    fn from_u64(n: u64) -> Result<Self, String> {
        if (1..=3).contains(&n) {
            Ok(Severity(n as u8))
        } else {
            Err(format!(
                "severity {n} is out of range; use 1 (high), 2 (medium) or 3 (low)"
            ))
        }
    }
}

/// A number for value comparisons.
struct Num(f64);
impl Item for Num {
    const EXPECTING: &'static str = "a number";
    fn from_str(s: &str) -> Result<Self, String> {
        s.trim()
            .parse::<f64>()
            .map(Num)
            .map_err(|_| format!("`{s}` is not a number"))
    }
    #[allow(clippy::cast_precision_loss)]
    fn from_u64(n: u64) -> Result<Self, String> {
        Ok(Num(n as f64))
    }
    fn from_f64(f: f64) -> Result<Self, String> {
        Ok(Num(f))
    }
}

/// A one-word choice from a fixed list.
pub(crate) struct Word<const K: usize>(pub(crate) &'static str);
const WORD_LISTS: [(&str, &[&str]); 2] = [("event", EVENTS), ("threshold grouping", BY)];
impl<const K: usize> Item for Word<K> {
    const EXPECTING: &'static str = "a word";
    fn from_str(s: &str) -> Result<Self, String> {
        let (what, list) = WORD_LISTS[K];
        list.iter()
            .find(|w| **w == s)
            .map(|w| Word(w))
            .ok_or_else(|| unknown(what, s, list))
    }
}

/// Deserialise a scalar-only item.
fn one<'de, D: Deserializer<'de>, T: Item>(d: D) -> Result<T, D::Error> {
    One::<T>::deserialize(d).map(|o| o.0)
}

/// Marks an error of a whole mapping as being about one of its keys, so that the error's
/// position can be moved from the mapping to that key (see `RuleSet::parse`).
pub(crate) const KEY_MARK: char = '\u{1}';

/// An error about `key` of the mapping being checked.
pub(crate) fn at_key(key: &str, msg: &str) -> String {
    format!("{KEY_MARK}{key}{KEY_MARK}{msg}")
}

/// A mapping validated as a whole, inside its own mapping visitor.
pub(crate) trait Checked: Sized {
    /// The mapping as written.
    type Raw: DeserializeOwned;
    /// What the mapping is, for type errors.
    const WHAT: &'static str;
    /// Validate it.
    fn check(raw: Self::Raw) -> Result<Self, String>;
}

struct CheckedVisitor<T>(PhantomData<T>);

impl<'de, T: Checked> Visitor<'de> for CheckedVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a mapping ({})", T::WHAT)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let raw = T::Raw::deserialize(de::value::MapAccessDeserializer::new(map))?;
        T::check(raw).map_err(de::Error::custom)
    }
}

/// Deserialise a [`Checked`] mapping.
fn checked<'de, D: Deserializer<'de>, T: Checked>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(CheckedVisitor::<T>(PhantomData))
}

macro_rules! checked_de {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                checked(d)
            }
        }
    };
}

/// The file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    /// The rules.
    pub(crate) rules: Vec<Rule>,
}

/// One rule as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rule {
    #[serde(deserialize_with = "one")]
    pub(crate) id: RuleId,
    #[serde(deserialize_with = "one")]
    pub(crate) name: RuleName,
    #[serde(deserialize_with = "one")]
    pub(crate) signature: Str,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(deserialize_with = "one")]
    pub(crate) severity: Severity,
    #[serde(default, deserialize_with = "opt_one")]
    pub(crate) category: Option<Str>,
    #[serde(default)]
    pub(crate) mitre: Option<Many<Technique>>,
    #[serde(default)]
    pub(crate) etsi: Option<Many<Str>>,
    #[serde(default)]
    pub(crate) iec: Option<Many<Str>>,
    #[serde(rename = "match")]
    pub(crate) matches: Match,
    #[serde(default)]
    pub(crate) time: Option<Time>,
    #[serde(default)]
    pub(crate) threshold: Option<Threshold>,
}

fn opt_one<'de, D: Deserializer<'de>, T: Item>(d: D) -> Result<Option<T>, D::Error> {
    one(d).map(Some)
}

/// Keys of `match` that only make sense for requests (`event: op`).
pub(crate) const OP_KEYS: &[&str] = &[
    "class",
    "control",
    "function",
    "unit",
    "space",
    "address",
    "value",
    "exception",
    "broadcast",
];

/// `match` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMatch {
    #[serde(default, deserialize_with = "opt_one")]
    event: Option<Word<0>>,
    #[serde(default)]
    protocol: Option<Many<Proto>>,
    #[serde(default)]
    class: Option<Many<OpClass>>,
    #[serde(default)]
    control: Option<Many<Control>>,
    #[serde(default)]
    function: Option<Many<Func>>,
    #[serde(default)]
    unit: Option<Many<Ranges<{ u32::MAX }>>>,
    #[serde(default)]
    space: Option<Many<Str>>,
    #[serde(default)]
    address: Option<Many<Ranges<{ u32::MAX }>>>,
    #[serde(default)]
    value: Option<ValueCond>,
    #[serde(default)]
    name: Option<Many<NamePat>>,
    #[serde(default)]
    src: Option<Many<Cidr>>,
    #[serde(default)]
    dst: Option<Many<Cidr>>,
    #[serde(default)]
    not_src: Option<Many<Cidr>>,
    #[serde(default)]
    not_dst: Option<Many<Cidr>>,
    #[serde(default)]
    src_port: Option<Many<Ranges<65535>>>,
    #[serde(default)]
    dst_port: Option<Many<Ranges<65535>>>,
    #[serde(default, deserialize_with = "opt_one")]
    exception: Option<Exception>,
    #[serde(default)]
    broadcast: Option<bool>,
}

/// `match`, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Match {
    pub(crate) event: &'static str,
    pub(crate) protocol: Option<Vec<&'static str>>,
    pub(crate) class: Option<Vec<OpClass>>,
    pub(crate) control: Option<Vec<Control>>,
    pub(crate) function: Option<(RangeSet, Vec<Box<str>>)>,
    pub(crate) unit: Option<RangeSet>,
    pub(crate) space: Option<Vec<String>>,
    pub(crate) address: Option<RangeSet>,
    pub(crate) value: Option<ValueCond>,
    pub(crate) name: Option<Vec<NamePat>>,
    pub(crate) src: Option<Vec<Cidr>>,
    pub(crate) dst: Option<Vec<Cidr>>,
    pub(crate) not_src: Option<Vec<Cidr>>,
    pub(crate) not_dst: Option<Vec<Cidr>>,
    pub(crate) src_port: Option<RangeSet>,
    pub(crate) dst_port: Option<RangeSet>,
    pub(crate) exception: Option<Exception>,
    pub(crate) broadcast: Option<bool>,
}

impl Checked for Match {
    type Raw = RawMatch;
    const WHAT: &'static str = "the conditions of the rule";
    fn check(r: RawMatch) -> Result<Match, String> {
        let event = r.event.as_ref().map_or("op", |w| w.0);
        let given: Vec<&str> = [
            ("event", r.event.is_some()),
            ("protocol", r.protocol.is_some()),
            ("class", r.class.is_some()),
            ("control", r.control.is_some()),
            ("function", r.function.is_some()),
            ("unit", r.unit.is_some()),
            ("space", r.space.is_some()),
            ("address", r.address.is_some()),
            ("value", r.value.is_some()),
            ("name", r.name.is_some()),
            ("src", r.src.is_some()),
            ("dst", r.dst.is_some()),
            ("not_src", r.not_src.is_some()),
            ("not_dst", r.not_dst.is_some()),
            ("src_port", r.src_port.is_some()),
            ("dst_port", r.dst_port.is_some()),
            ("exception", r.exception.is_some()),
            ("broadcast", r.broadcast.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, g)| g.then_some(k))
        .collect();
        if given.is_empty() {
            return Err(
                "`match` is empty: say what the rule matches (to match every request, write `event: op`)"
                    .into(),
            );
        }
        if event != "op" {
            if let Some(k) = given.iter().find(|k| OP_KEYS.contains(k)) {
                return Err(at_key(
                    k,
                    &format!("`{k}` applies only to requests (`event: op`), not to `event: {event}`; remove it or change `event`"),
                ));
            }
            if r.name.is_some() && !matches!(event, "credentials" | "tls" | "anomaly") {
                return Err(at_key(
                    "name",
                    &format!("`name` applies to `event: op`, `credentials`, `tls` and `anomaly`, not to `event: {event}`"),
                ));
            }
            if event == "arp" && (r.src_port.is_some() || r.dst_port.is_some()) {
                let k = if r.src_port.is_some() {
                    "src_port"
                } else {
                    "dst_port"
                };
                return Err(at_key(
                    k,
                    "ARP has no ports: remove `src_port`/`dst_port` or change `event`",
                ));
            }
        }
        Ok(Match {
            event,
            protocol: r.protocol.map(|m| m.0.into_iter().map(|p| p.0).collect()),
            class: r.class.map(|m| m.0),
            control: r.control.map(|m| m.0),
            function: r.function.map(|m| {
                let mut codes = RangeSet::default();
                let mut names = Vec::new();
                for f in m.0 {
                    match f {
                        Func::Codes(c) => codes = RangeSet::union([codes, c]),
                        Func::Name(n) => names.push(n),
                    }
                }
                (codes, names)
            }),
            unit: r.unit.map(ranges),
            space: r.space.map(|m| m.0.into_iter().map(|s| s.0).collect()),
            address: r.address.map(ranges),
            value: r.value,
            name: r.name.map(|m| m.0),
            src: r.src.map(|m| m.0),
            dst: r.dst.map(|m| m.0),
            not_src: r.not_src.map(|m| m.0),
            not_dst: r.not_dst.map(|m| m.0),
            src_port: r.src_port.map(ranges),
            dst_port: r.dst_port.map(ranges),
            exception: r.exception,
            broadcast: r.broadcast,
        })
    }
}
checked_de!(Match);

/// `value` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawValue {
    #[serde(default, deserialize_with = "opt_num")]
    eq: Option<f64>,
    #[serde(default, deserialize_with = "opt_num")]
    ne: Option<f64>,
    #[serde(default, deserialize_with = "opt_num")]
    gt: Option<f64>,
    #[serde(default, deserialize_with = "opt_num")]
    ge: Option<f64>,
    #[serde(default, deserialize_with = "opt_num")]
    lt: Option<f64>,
    #[serde(default, deserialize_with = "opt_num")]
    le: Option<f64>,
    #[serde(default)]
    between: Option<Many<Num>>,
    #[serde(default)]
    outside: Option<Many<Num>>,
    #[serde(default, rename = "in")]
    in_: Option<Many<Num>>,
    #[serde(default)]
    not_in: Option<Many<Num>>,
}

fn opt_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    one::<D, Num>(d).map(|n| Some(n.0))
}

fn pair(key: &str, m: Option<Many<Num>>) -> Result<Option<(f64, f64)>, String> {
    let Some(m) = m else { return Ok(None) };
    match m.0.as_slice() {
        [a, b] if a.0 <= b.0 => Ok(Some((a.0, b.0))),
        [a, b] => Err(at_key(
            key,
            &format!(
                "bad `{key}: [{}, {}]`: the low bound is above the high bound; write `[{}, {}]`",
                a.0, b.0, b.0, a.0
            ),
        )),
        _ => Err(at_key(
            key,
            &format!("`{key}` takes two numbers, low and high, e.g. `{key}: [10, 20]`"),
        )),
    }
}

impl Checked for ValueCond {
    type Raw = RawValue;
    const WHAT: &'static str = "value comparisons such as `{gt: 120}`";
    fn check(r: RawValue) -> Result<ValueCond, String> {
        let v = ValueCond {
            eq: r.eq,
            ne: r.ne,
            gt: r.gt,
            ge: r.ge,
            lt: r.lt,
            le: r.le,
            between: pair("between", r.between)?,
            outside: pair("outside", r.outside)?,
            in_: r.in_.map(|m| m.0.into_iter().map(|n| n.0).collect()),
            not_in: r.not_in.map(|m| m.0.into_iter().map(|n| n.0).collect()),
        };
        if v == ValueCond::default() {
            return Err("`value` is empty; give a comparison: eq, ne, gt, ge, lt, le, between, outside, in or not_in".into());
        }
        Ok(v)
    }
}
checked_de!(ValueCond);

/// `time` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTime {
    #[serde(default)]
    hours: Option<Many<Hours>>,
    #[serde(default)]
    days: Option<Many<Day>>,
}

/// `time`, validated: capture time in UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Time {
    /// Windows of the day (any may hold); empty for the whole day.
    pub(crate) hours: Vec<Hours>,
    /// Bit `d` set for weekday `d` (0 Monday); 0 for every day.
    pub(crate) days: u8,
}

impl Checked for Time {
    type Raw = RawTime;
    const WHAT: &'static str = "`hours` and/or `days`";
    fn check(r: RawTime) -> Result<Time, String> {
        if r.hours.is_none() && r.days.is_none() {
            return Err("`time` is empty; give `hours` (e.g. `22:00-06:00`) and/or `days` (e.g. `[sat, sun]`), or leave it out".into());
        }
        Ok(Time {
            hours: r.hours.map(|m| m.0).unwrap_or_default(),
            days: r
                .days
                .map_or(0, |m| m.0.iter().fold(0, |acc, d| acc | (1 << d.0))),
        })
    }
}
checked_de!(Time);

/// `threshold` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThreshold {
    count: u64,
    seconds: u64,
    #[serde(default, deserialize_with = "opt_one")]
    by: Option<Word<1>>,
}

/// Largest `threshold.count`.
pub(crate) const MAX_COUNT: u64 = 10_000;
/// Largest `threshold.seconds` (one day).
pub(crate) const MAX_SECONDS: u64 = 86_400;

/// `threshold`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Threshold {
    pub(crate) count: u32,
    pub(crate) seconds: u32,
    pub(crate) by: &'static str,
}

impl Checked for Threshold {
    type Raw = RawThreshold;
    const WHAT: &'static str = "`count`, `seconds` and `by`";
    fn check(r: RawThreshold) -> Result<Threshold, String> {
        if r.count == 0 || r.count > MAX_COUNT {
            return Err(at_key(
                "count",
                &format!(
                    "threshold `count: {}` is out of range; use 1 to {MAX_COUNT} (1 alerts on every match)",
                    r.count
                ),
            ));
        }
        if r.seconds == 0 || r.seconds > MAX_SECONDS {
            return Err(at_key(
                "seconds",
                &format!(
                    "threshold `seconds: {}` is out of range; use 1 to {MAX_SECONDS}",
                    r.seconds
                ),
            ));
        }
        Ok(Threshold {
            count: r.count as u32,
            seconds: r.seconds as u32,
            by: r.by.map_or("src", |w| w.0),
        })
    }
}
checked_de!(Threshold);
