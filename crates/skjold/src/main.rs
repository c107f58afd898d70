//! `skjold`: the command-line entry point. Thin by design: parse flags (clap), build the
//! library objects, run, map the outcome to SPEC §2's exit codes (0 ok, 1 findings at or above
//! `--fail-on`, 2 bad usage or unreadable input, 3 internal error).

mod model_cmd;
mod report;
mod scan_cmd;
mod watch_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Skjold: security toolkit for industrial IoT and OT networks.
///
/// Passive monitoring of OT protocols (watch) and threat modelling as code (model). More
/// commands arrive as they are built: see README.md.
#[derive(Parser, Debug)]
#[command(name = "skjold", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Passive OT/IoT network monitor: protocols, asset inventory, anomalies.
    ///
    /// Example: skjold watch plant.pcap --out out/ --log modbus
    Watch(watch_cmd::WatchArgs),
    /// Threat modelling as code: check a YAML system model against the IoT/OT rule library.
    ///
    /// Example: skjold model check plant.yaml --format html --out report.html --fail-on high
    Model(model_cmd::ModelCommand),
    /// Active, read-only audit of IoT/OT devices against ETSI EN 303 645 and IEC 62443-3-3.
    ///
    /// Example: skjold scan 127.0.1.0/24 --udp --format html --out scan.html --fail-on high
    Scan(scan_cmd::ScanArgs),
}

/// An error that maps to exit code 2 (bad usage or unreadable input).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Watch(args) => watch_cmd::run(&args),
        Command::Model(cmd) => model_cmd::run(cmd).map(|c| u8::try_from(c).unwrap_or(3)),
        Command::Scan(args) => scan_cmd::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let usage = e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<skjold_watch::WatchError>()
                    .is_some_and(|w| matches!(w, skjold_watch::WatchError::Capture(_)));
            eprintln!("skjold: {e:#}");
            ExitCode::from(if usage { 2 } else { 3 })
        }
    }
}
