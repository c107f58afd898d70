//! `skjold watch`: flags, validation, progress display, and the run.

use crate::report;
use crate::UsageError;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use skjold_detect::{Baseline, DetectConfig, RuleSet};
use skjold_watch::{AppProto, Config, LogMask};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Flags of `skjold watch`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  skjold watch capture.pcap\n  skjold watch day1.pcapng day2.pcapng --out out/ --log modbus,mqtt\n  sudo skjold watch --live eth1 --out /var/lib/skjold/live"
)]
pub(crate) struct WatchArgs {
    /// Capture files (pcap or pcapng), read in the order given as one timeline.
    #[arg(value_name = "PCAP")]
    pcaps: Vec<PathBuf>,

    /// Capture live from this interface (needs the capture privilege); Ctrl-C stops.
    #[arg(long, value_name = "IFACE", conflicts_with = "pcaps")]
    live: Option<String>,

    /// BPF filter for live capture, e.g. "tcp port 502".
    #[arg(long, value_name = "BPF", requires = "live")]
    filter: Option<String>,

    /// Output directory for eve.json, assets.json and summary.json.
    #[arg(long, value_name = "DIR", default_value = "skjold-out")]
    out: PathBuf,

    /// Protocol events written to eve.json: a comma list (modbus,mqtt), `all` or `none`.
    /// Assets and summary are always written.
    #[arg(long, value_name = "PROTO,...", default_value = "all")]
    log: String,

    /// Worker threads; flows are sharded by a hash of their addresses and ports.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,

    /// Flows kept in memory before the oldest is evicted (memory cap; shared by the threads).
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    max_flows: usize,

    /// Learn a baseline of normal traffic and write it to this YAML file (review and edit it,
    /// then detect with --baseline). Built-in detections that need no baseline still run.
    #[arg(long, value_name = "BASELINE.yaml", conflicts_with = "baseline")]
    learn: Option<PathBuf>,

    /// Learn only for this long (capture time: 90s, 30m, 1h, 2d), write the --learn file, then
    /// detect deviations from it for the rest of the run.
    #[arg(long, value_name = "DURATION", requires = "learn")]
    learn_for: Option<String>,

    /// Detect deviations from this baseline (new assets, pairs, protocols, functions, writers,
    /// addresses, values out of range, floods).
    #[arg(long, value_name = "BASELINE.yaml")]
    baseline: Option<PathBuf>,

    /// User rules (YAML, docs/rules.md); may be given several times.
    #[arg(long, value_name = "RULES.yaml")]
    rules: Vec<PathBuf>,

    /// Alerts of the same cause within this many seconds (capture time) are one alert with a
    /// count.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    alert_window: u64,

    /// Turn detection off (no alerts; protocol events, assets and summary only).
    #[arg(long, conflicts_with_all = ["learn", "baseline", "rules"])]
    no_detect: bool,

    /// Do not print the human summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Parse a duration such as `90s`, `30m`, `1h`, `2d` (a bare number is seconds) into µs.
fn parse_duration(s: &str) -> Result<u64, UsageError> {
    let bad = || {
        UsageError(format!(
            "--learn-for: '{s}' is not a duration (examples: 90s, 30m, 1h, 2d)"
        ))
    };
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let us = n
        .checked_mul(secs)
        .and_then(|v| v.checked_mul(1_000_000))
        .ok_or_else(bad)?;
    if us == 0 {
        return Err(bad());
    }
    Ok(us)
}

/// Build the detection settings from the flags: load the baseline and the rules (exit 2 with
/// `file:line:column: what` when one is invalid).
fn detect_config(a: &WatchArgs) -> Result<Option<DetectConfig>, UsageError> {
    if a.no_detect {
        return Ok(None);
    }
    if a.alert_window == 0 {
        return Err(UsageError(
            "--alert-window: must be at least 1 second".into(),
        ));
    }
    let baseline = match &a.baseline {
        Some(p) => Some(Baseline::load(p).map_err(|e| UsageError(format!("--baseline: {e}")))?),
        None => None,
    };
    let mut rules = Vec::new();
    for p in &a.rules {
        rules.push(RuleSet::load(p).map_err(|e| UsageError(format!("--rules: {e}")))?);
    }
    let learn_for_us = a.learn_for.as_deref().map(parse_duration).transpose()?;
    Ok(Some(DetectConfig {
        baseline,
        learn: a.learn.is_some() && learn_for_us.is_none(),
        learn_for_us,
        rules,
        window_us: a.alert_window.saturating_mul(1_000_000),
    }))
}

fn parse_log(s: &str) -> Result<LogMask, UsageError> {
    match s {
        "all" => return Ok(LogMask::all()),
        "none" => return Ok(LogMask::none()),
        _ => {}
    }
    let mut m = LogMask::none();
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let proto = AppProto::from_name(p).ok_or_else(|| {
            let known: Vec<&str> = AppProto::ALL.iter().map(|p| p.name()).collect();
            UsageError(format!(
                "--log: unknown protocol '{p}' (known: {}, or all, none)",
                known.join(", ")
            ))
        })?;
        m.enable(proto);
    }
    Ok(m)
}

struct Bar(Option<ProgressBar>);

impl skjold_watch::Progress for Bar {
    fn bytes(&mut self, done: u64, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
            b.set_position(done);
        }
    }
    fn damaged(&mut self, d: &skjold_capture::Damage) {
        match &self.0 {
            Some(b) => b.suspend(|| eprintln!("skjold: warning: {d}")),
            None => eprintln!("skjold: warning: {d}"),
        }
    }
}

/// Run `skjold watch`; returns the exit code.
pub(crate) fn run(a: &WatchArgs) -> anyhow::Result<u8> {
    let log = parse_log(&a.log)?;
    if a.threads == 0 || a.threads > 256 {
        return Err(UsageError("--threads: must be between 1 and 256".into()).into());
    }
    if a.max_flows == 0 {
        return Err(UsageError("--max-flows: must be at least 1".into()).into());
    }
    let cfg = Config {
        out_dir: a.out.clone(),
        log,
        threads: a.threads,
        max_flows: a.max_flows,
        detect: detect_config(a)?,
        learn_out: a.learn.clone(),
        ..Config::default()
    };
    let result = if let Some(iface) = &a.live {
        run_live(iface, a.filter.as_deref(), &cfg)?
    } else {
        if a.pcaps.is_empty() {
            return Err(UsageError(
                "watch: give one or more capture files, or --live IFACE (see skjold watch --help)"
                    .into(),
            )
            .into());
        }
        let bar = if std::io::stderr().is_terminal() && !a.quiet {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{spinner} reading {bytes}/{total_bytes} [{wide_bar}] {bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Some(b)
        } else {
            None
        };
        let mut progress = Bar(bar);
        let r = skjold_watch::run_files(&a.pcaps, &cfg, &mut progress);
        if let Some(b) = &progress.0 {
            b.finish_and_clear();
        }
        r?
    };
    if !a.quiet {
        report::print_summary(&result, &cfg.out_dir);
    }
    Ok(0)
}

#[cfg(not(feature = "live"))]
fn run_live(_: &str, _: Option<&str>, _: &Config) -> anyhow::Result<skjold_watch::RunResult> {
    Err(UsageError(
        "--live: this skjold was built without live capture; rebuild with \
         `cargo build --release --features live` (needs libpcap-dev)"
            .into(),
    )
    .into())
}

#[cfg(feature = "live")]
fn run_live(
    iface: &str,
    filter: Option<&str>,
    cfg: &Config,
) -> anyhow::Result<skjold_watch::RunResult> {
    use anyhow::Context as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    ctrlc::set_handler(move || s2.store(true, Ordering::Relaxed))
        .context("installing the Ctrl-C handler")?;
    eprintln!(
        "skjold: watching {iface}; writing {} every second; Ctrl-C stops",
        cfg.out_dir.display()
    );
    Ok(skjold_watch::run_live(iface, filter, cfg, &stop)?)
}
