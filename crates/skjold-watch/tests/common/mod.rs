//! Shared helpers of the capture-driven tests (`golden.rs`, `tshark_conformance.rs`): where the
//! captures are, which of them are Modbus or MQTT, and running the engine on one of them.

#![allow(dead_code)]

pub(crate) mod conformance;

use serde_json::Value;
use skjold_watch::{run_files, Config, LogMask, NoProgress};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One capture under test.
#[derive(Clone, Debug)]
pub(crate) struct Capture {
    /// Stable label: `modbus/NAME.pcap`, `mqtt/NAME.pcap` (shared corpus) or
    /// `tests/data/NAME.pcap` (workspace fixtures).
    pub(crate) label: String,
    /// Snapshot-safe name: the file stem with anything but `[A-Za-z0-9_-]` replaced.
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

/// `true` when running under CI (`CI=true`), where a missing input is a failure, not a skip.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Print a skip notice, or fail under CI.
pub(crate) fn skip(what: &str) {
    assert!(!in_ci(), "CI=true but {what}");
    // Straight to stderr, past the test harness's output capture, so the notice is seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIP: {what} (set CI=true to make this a failure)"
    );
}

/// The shared capture corpus (`../shared/pcaps` beside the workspace), if present.
pub(crate) fn shared_pcaps() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/pcaps");
    p.join("modbus").is_dir().then_some(p)
}

/// The workspace fixture directory `tests/data`.
pub(crate) fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn is_capture(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng" | "cap")
    )
}

fn sanitize(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file() && is_capture(p));
    v.sort();
    v
}

/// Deliberately broken fixtures that are not Modbus/MQTT conversations to compare.
const BROKEN: [&str; 3] = ["empty", "not-a-capture", "truncated"];

/// Every Modbus and MQTT capture: the shared corpus's `modbus/` and `mqtt/` (when present) and
/// the workspace fixtures whose names mention modbus, mqtt, pymodbus or mosquitto. Prints a
/// skip notice (fails under CI) when the shared corpus is missing.
pub(crate) fn captures() -> Vec<Capture> {
    captures_in(
        &["modbus", "mqtt"],
        &["modbus", "mqtt", "pymodbus", "mosquitto"],
    )
}

/// The captures of the shared corpus's `subdirs` (when present) and the workspace fixtures
/// (`tests/data`, recursively one level: `tests/data/peers/` too) whose file names contain one
/// of `keywords` (lowercase). Prints a skip notice (fails under CI) when the shared corpus is
/// missing.
pub(crate) fn captures_in(subdirs: &[&str], keywords: &[&str]) -> Vec<Capture> {
    let mut out = Vec::new();
    let name_of = |p: &Path| {
        (
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            p.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        )
    };
    match shared_pcaps() {
        Some(root) => {
            for sub in subdirs {
                for p in list(&root.join(sub)) {
                    let (file, stem) = name_of(&p);
                    out.push(Capture {
                        label: format!("{sub}/{file}"),
                        name: sanitize(&stem),
                        path: p,
                    });
                }
            }
        }
        None => skip("../shared/pcaps is missing: only tests/data fixtures are covered"),
    }
    let fixtures = fixture_dir();
    for (prefix, dir) in [("", fixtures.clone()), ("peers/", fixtures.join("peers"))] {
        for p in list(&dir) {
            let (file, stem) = name_of(&p);
            let lower = stem.to_ascii_lowercase();
            let relevant = keywords.iter().any(|k| lower.contains(k));
            if !relevant || BROKEN.iter().any(|b| lower == *b) {
                continue;
            }
            out.push(Capture {
                label: format!("tests/data/{prefix}{file}"),
                name: format!("data_{}", sanitize(&stem)),
                path: p,
            });
        }
    }
    out
}

/// What one engine run wrote.
#[derive(Debug)]
pub(crate) struct Run {
    /// `eve.json`, one value per line, in file order.
    pub(crate) events: Vec<Value>,
    /// `assets.json`.
    pub(crate) assets: Value,
    /// `summary.json`.
    pub(crate) summary: Value,
}

/// Run the engine (one thread, every protocol logged) on one capture.
pub(crate) fn run_engine(path: &Path) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config {
        out_dir: dir.path().to_owned(),
        log: LogMask::all(),
        threads: 1,
        ..Config::default()
    };
    run_files(&[path.to_owned()], &cfg, &mut NoProgress)
        .unwrap_or_else(|e| panic!("{}: engine failed: {e}", path.display()));
    let eve = std::fs::read_to_string(dir.path().join("eve.json")).expect("eve.json");
    let events = eve
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad eve line {l:?}: {e}")))
        .collect();
    let read = |n: &str| -> Value {
        let s = std::fs::read_to_string(dir.path().join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{n}: {e}"))
    };
    Run {
        events,
        assets: read("assets.json"),
        summary: read("summary.json"),
    }
}
