//! The conformance harness shared by the `tshark_*` tests (CONVENTIONS.md, "Tests"): tshark
//! decodes a capture, the engine decodes it, both sides are reduced to one key string per PDU
//! and compared as multisets. Every difference must be listed in the test's table of
//! [`Expected`] differences (capture, side, frames, count, and why Skjold is right); the test
//! fails on a difference not in the table and on a table entry that no longer matches. Real
//! Skjold bugs are never listed: the test keeps failing until they are fixed.
//!
//! Without `tshark` a test prints a skip notice and passes, unless `CI=true`.

use super::{in_ci, run_engine, skip, Capture, Run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::process::Command;

/// Which side decoded a PDU the other did not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Side {
    /// tshark decodes it, Skjold does not log it (or logs it with other values).
    OnlyTshark,
    /// Skjold logs it, tshark does not decode it (or decodes it with other values).
    OnlySkjold,
}

/// One explained difference: `count` PDUs of `capture` seen only by `side`, in `frames` (for
/// tshark: the frame carrying the PDU; for Skjold: the event's `pcap_cnt`).
pub(crate) struct Expected {
    pub(crate) capture: &'static str,
    pub(crate) side: Side,
    pub(crate) frames: &'static [RangeInclusive<u64>],
    pub(crate) count: usize,
    pub(crate) why: &'static str,
}

/// One decoded PDU: its comparison key and the frame it was seen in.
#[derive(Debug, Clone)]
pub(crate) struct Pdu {
    pub(crate) key: String,
    pub(crate) frame: u64,
}

/// One unmatched PDU.
#[derive(Debug)]
pub(crate) struct Diff {
    pub(crate) side: Side,
    pub(crate) frame: u64,
    pub(crate) key: String,
}

/// A JSON layer that is an object for one PDU and an array for several.
pub(crate) fn each(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o) => vec![o],
    }
}

/// A tshark field as a string (the first one when repeated).
pub(crate) fn field<'a>(layer: &'a Value, name: &str) -> Option<&'a str> {
    match layer.get(name)? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first()?.as_str(),
        _ => None,
    }
}

/// A tshark field as a list of strings.
pub(crate) fn fields<'a>(layer: &'a Value, name: &str) -> Vec<&'a str> {
    match layer.get(name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every value of a field anywhere below `v` (tshark nests fields in subtrees named after
/// their labels), in document order.
pub(crate) fn find_all<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == name {
                    match x {
                        Value::String(s) => out.push(s),
                        Value::Array(a) => out.extend(a.iter().filter_map(Value::as_str)),
                        _ => find_all(x, name, out),
                    }
                } else {
                    find_all(x, name, out);
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                find_all(x, name, out);
            }
        }
        _ => {}
    }
}

/// A decimal or `0x` hexadecimal number.
pub(crate) fn num(s: Option<&str>) -> Option<u64> {
    let s = s?;
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A number or `-`.
pub(crate) fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// Whether `tshark` runs.
pub(crate) fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// tshark's first version line.
pub(crate) fn tshark_version() -> String {
    Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default()
}

/// Run `tshark -r PATH ARGS... -T json --no-duplicate-keys` and return its packets.
pub(crate) fn tshark_json(cap: &Capture, args: &[String]) -> Vec<Value> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&cap.path);
    cmd.args(args);
    cmd.args(["-T", "json", "--no-duplicate-keys"]);
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "{}: tshark failed: {}",
        cap.label,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: tshark JSON: {e}", cap.label));
    match doc {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

/// The frame number and layers of one tshark packet.
pub(crate) fn frame_and_layers(pkt: &Value) -> (u64, &Value) {
    let layers = &pkt["_source"]["layers"];
    let frame = num(field(&layers["frame"], "frame.number")).expect("frame.number");
    (frame, layers)
}

/// The server ports of the flows in which Skjold logged `event_type` events (`dest_port` of
/// events whose `direction` is `to_server`, `src_port` otherwise), split by transport.
pub(crate) fn server_ports(events: &[Value], event_type: &str) -> (BTreeSet<u16>, BTreeSet<u16>) {
    let (mut tcp, mut udp) = (BTreeSet::new(), BTreeSet::new());
    for e in events
        .iter()
        .filter(|e| e["event_type"].as_str() == Some(event_type))
    {
        let port = |k: &str| e[k].as_u64().unwrap_or(0) as u16;
        let p = if e["direction"].as_str() == Some("to_client") {
            port("src_port")
        } else {
            port("dest_port")
        };
        if e["proto"].as_str() == Some("UDP") {
            udp.insert(p);
        } else {
            tcp.insert(p);
        }
    }
    (tcp, udp)
}

/// Multiset difference, matching equal keys by frame: each Skjold PDU (frame = the event's
/// `pcap_cnt`, at or after the PDU's own frame) takes the tshark PDU of the same key with the
/// largest frame not after it, or else the next one.
pub(crate) fn compare(tshark: &[Pdu], skjold: &[Pdu]) -> Vec<Diff> {
    let mut t: BTreeMap<&str, BTreeMap<u64, usize>> = BTreeMap::new();
    for p in tshark {
        *t.entry(&p.key).or_default().entry(p.frame).or_default() += 1;
    }
    let mut s: Vec<&Pdu> = skjold.iter().collect();
    s.sort_by_key(|p| p.frame);
    let mut diffs = Vec::new();
    for p in s {
        let frames = t.get_mut(p.key.as_str());
        let hit = frames.and_then(|f| {
            let k = f
                .range(..=p.frame)
                .next_back()
                .or_else(|| f.range(p.frame..).next())
                .map(|(k, _)| *k)?;
            let n = f.get_mut(&k)?;
            *n -= 1;
            if *n == 0 {
                f.remove(&k);
            }
            Some(())
        });
        if hit.is_none() {
            diffs.push(Diff {
                side: Side::OnlySkjold,
                frame: p.frame,
                key: p.key.clone(),
            });
        }
    }
    for (key, frames) in t {
        for (frame, n) in frames {
            for _ in 0..n {
                diffs.push(Diff {
                    side: Side::OnlyTshark,
                    frame,
                    key: key.to_owned(),
                });
            }
        }
    }
    diffs.sort_by(|a, b| (a.frame, a.side, &a.key).cmp(&(b.frame, b.side, &b.key)));
    diffs
}

/// Frame numbers as compact ranges: `3..=5, 9`.
pub(crate) fn ranges(frames: &[u64]) -> String {
    let mut v = frames.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}..={}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Run the comparison over `caps`: `pdus(capture, engine run)` returns (tshark's PDUs,
/// Skjold's PDUs). Fails with a report of every unexplained difference and every stale
/// [`Expected`] entry. Returns the number of tshark PDUs compared.
pub(crate) fn check(
    what: &str,
    caps: &[Capture],
    expected: &[Expected],
    mut pdus: impl FnMut(&Capture, &Run) -> (Vec<Pdu>, Vec<Pdu>),
) -> usize {
    if !tshark_available() {
        skip("tshark is not installed");
        return 0;
    }
    assert!(!caps.is_empty() || !in_ci(), "{what}: no capture found");
    let mut report = String::new();
    let mut unexplained: BTreeMap<(String, Side), Vec<Diff>> = BTreeMap::new();
    let mut used = vec![0usize; expected.len()];
    let mut compared = 0usize;
    for cap in caps {
        let started = std::time::Instant::now();
        let run = run_engine(&cap.path);
        let (t, s) = pdus(cap, &run);
        compared += t.len();
        eprintln!(
            "{}: tshark {} PDUs, skjold {} PDUs ({:.1} s)",
            cap.label,
            t.len(),
            s.len(),
            started.elapsed().as_secs_f64()
        );
        for d in compare(&t, &s) {
            let known = expected.iter().position(|x| {
                x.capture == cap.label
                    && x.side == d.side
                    && x.frames.iter().any(|r| r.contains(&d.frame))
            });
            match known {
                Some(i) => used[i] += 1,
                None => unexplained
                    .entry((cap.label.clone(), d.side))
                    .or_default()
                    .push(d),
            }
        }
    }
    for ((label, side), diffs) in &unexplained {
        let frames: Vec<u64> = diffs.iter().map(|d| d.frame).collect();
        let _ = writeln!(
            report,
            "{label}: {side:?}: {} PDUs, frames {}",
            diffs.len(),
            ranges(&frames)
        );
        for d in diffs.iter().take(8) {
            let _ = writeln!(report, "    frame {}: {}", d.frame, d.key);
        }
        if diffs.len() > 8 {
            let _ = writeln!(report, "    ... {} more", diffs.len() - 8);
        }
    }
    let labels: BTreeSet<&str> = caps.iter().map(|c| c.label.as_str()).collect();
    for (x, n) in expected.iter().zip(&used) {
        if *n != x.count && (labels.contains(x.capture) || in_ci()) {
            let _ = writeln!(
                report,
                "stale expected entry: {} {:?} frames {:?}: expected {} differences, found {n} ({})",
                x.capture, x.side, x.frames, x.count, x.why
            );
        }
    }
    eprintln!(
        "{what}: {} captures, {compared} tshark PDUs compared ({})",
        caps.len(),
        tshark_version()
    );
    assert!(
        report.is_empty(),
        "{what}: differences between tshark ({}) and Skjold:\n{report}",
        tshark_version()
    );
    compared
}
