//! `skjold watch`: flags, validation, progress display, and the run.

use crate::report;
use crate::UsageError;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
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

    /// Do not print the human summary on stderr.
    #[arg(long, short)]
    quiet: bool,
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
