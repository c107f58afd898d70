//! `skjold scan`: flags, target and port parsing, progress bar, Ctrl-C (writes the partial
//! results), output and the exit code of SPEC §2.

// Doc comments here are the `--help` text.
#![allow(clippy::doc_markdown)]

use crate::UsageError;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use skjold_scan::engine::{self, Collector, Config};
use skjold_scan::report::{self, Format};
use skjold_scan::{creds, target, Severity};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Flags of `skjold scan`.
#[derive(Args, Debug)]
#[command(
    about = "Active, read-only audit of IoT/OT devices against ETSI EN 303 645 and IEC 62443-3-3",
    long_about = "Active, read-only audit of IoT and OT devices.\n\n\
        Finds open services with TCP connect scanning (and UDP probes with --udp), identifies them\n\
        with each protocol's own read-only identification request (Modbus 43/14, S7 SZL, EtherNet/IP\n\
        ListIdentity, BACnet Who-Is/ReadProperty, DNP3 link status, IEC-104 TESTFR, OPC UA\n\
        GetEndpoints, MQTT CONNECT, CoAP /.well-known/core, HTTP, TLS, SSH/Telnet/FTP banners) and\n\
        reports findings mapped to ETSI EN 303 645 provisions and IEC 62443-3-3 SRs. Never writes to\n\
        a device; logins are attempted only with --intrusive (at most 3 per service).",
    after_help = "Examples:\n  skjold scan 127.0.1.0/24\n  skjold scan plc1.plant.local 10.0.0.1-10.0.0.50 --udp --format html --out report.html\n  skjold scan 127.0.1.1-250 --ports default,5020/modbus --fail-on high --out scan.sarif\n  skjold scan 10.1.2.3 --intrusive --creds my-defaults.txt"
)]
pub(crate) struct ScanArgs {
    /// Targets: addresses, CIDRs (10.0.0.0/24), ranges (10.0.0.1-50, 10.0.0.1-10.0.0.9), host names.
    #[arg(value_name = "TARGET", required = true)]
    targets: Vec<String>,

    /// TCP ports: a comma list with ranges and protocol hints, e.g. `default,5020/modbus,8000-8010`.
    /// `default` is the built-in list (Telnet, SSH, FTP, HTTP/S, MQTT/S, Modbus, S7, EtherNet/IP,
    /// DNP3, IEC-104, OPC UA, CODESYS). Hints: ftp ssh telnet http https mqtt mqtts tls modbus s7
    /// enip dnp3 iec104 opcua codesys.
    #[arg(long, value_name = "LIST", default_value = "default")]
    ports: String,

    /// Also send UDP probes: BACnet Who-Is (47808), EtherNet/IP ListIdentity (44818), CoAP
    /// (5683); SNMP sysDescr with community `public` (161) only with --intrusive.
    #[arg(long)]
    udp: bool,

    /// UDP ports with protocol hints instead of the defaults, e.g. `47809/bacnet,5783/coap`.
    #[arg(long, value_name = "LIST", requires = "udp")]
    udp_ports: Option<String>,

    /// Allow credential checks: a few known default logins per service (MQTT, FTP including
    /// anonymous, HTTP Basic) and SNMP community `public`. Without it no login is attempted.
    #[arg(long)]
    intrusive: bool,

    /// Extra credentials tried first under --intrusive: lines `[service ]user:password`.
    #[arg(long, value_name = "FILE", requires = "intrusive")]
    creds: Option<PathBuf>,

    /// Connections in flight at once.
    #[arg(long, value_name = "N", default_value_t = 512)]
    concurrency: usize,

    /// New connections per second at most (default: unlimited).
    #[arg(long, value_name = "PER_S")]
    rate: Option<f64>,

    /// Timeout of one connect or request/answer exchange, milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    timeout: u64,

    /// Output file; default stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Output format; default from the --out extension, else json.
    #[arg(long, value_enum)]
    format: Option<OutFormat>,

    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<Level>,

    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutFormat {
    Json,
    Md,
    Html,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    fn severity(self) -> Severity {
        match self {
            Self::Info => Severity::Info,
            Self::Low => Severity::Low,
            Self::Medium => Severity::Medium,
            Self::High => Severity::High,
            Self::Critical => Severity::Critical,
        }
    }
}

fn config(a: &ScanArgs) -> Result<Config, UsageError> {
    let targets = target::expand(&a.targets).map_err(|e| UsageError(e.to_string()))?;
    let ports = engine::parse_ports(&a.ports).map_err(UsageError)?;
    let udp = match (&a.udp_ports, a.udp) {
        (_, false) => Vec::new(),
        (None, true) => Config::default_udp(a.intrusive),
        (Some(list), true) => {
            let mut v = Vec::new();
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (port, proto) = part.split_once('/').ok_or_else(|| {
                    UsageError(format!(
                        "--udp-ports: '{part}' needs a protocol hint (PORT/bacnet|enip|coap|snmp)"
                    ))
                })?;
                let port: u16 = port
                    .parse()
                    .map_err(|_| UsageError(format!("--udp-ports: '{part}' is not a port")))?;
                let proto = skjold_scan::probe::Proto::from_name(proto)
                    .filter(|p| p.udp() || *p == skjold_scan::probe::Proto::Enip)
                    .ok_or_else(|| {
                        UsageError(format!(
                            "--udp-ports: '{proto}' is not a UDP probe (bacnet, enip, coap, snmp)"
                        ))
                    })?;
                if proto == skjold_scan::probe::Proto::Snmp && !a.intrusive {
                    return Err(UsageError(
                        "--udp-ports: snmp needs --intrusive (community `public` is a credential)"
                            .into(),
                    ));
                }
                v.push(engine::PortSpec { port, proto });
            }
            v
        }
    };
    let mut cred_list = Vec::new();
    if let Some(p) = &a.creds {
        let text = std::fs::read_to_string(p)
            .map_err(|e| UsageError(format!("--creds {}: {e}", p.display())))?;
        cred_list =
            creds::parse(&text).map_err(|e| UsageError(format!("--creds {}: {e}", p.display())))?;
    }
    cred_list.extend(creds::bundled());
    if a.timeout == 0 {
        return Err(UsageError("--timeout must be above 0".into()));
    }
    if a.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(UsageError("--rate must be a positive number".into()));
    }
    Ok(Config {
        target_specs: a.targets.clone(),
        targets,
        ports,
        udp,
        intrusive: a.intrusive,
        creds: cred_list,
        concurrency: a.concurrency.max(1),
        rate: a.rate,
        timeout: Duration::from_millis(a.timeout),
    })
}

fn format_of(a: &ScanArgs) -> Format {
    match a.format {
        Some(OutFormat::Json) => Format::Json,
        Some(OutFormat::Md) => Format::Md,
        Some(OutFormat::Html) => Format::Html,
        Some(OutFormat::Sarif) => Format::Sarif,
        None => a
            .out
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| Format::parse(&e.to_string_lossy()))
            .unwrap_or(Format::Json),
    }
}

/// Runs `skjold scan` and returns the exit code.
pub(crate) fn run(a: &ScanArgs) -> anyhow::Result<u8> {
    let cfg = Arc::new(config(a)?);
    let format = format_of(a);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let col = Collector::new();
    let started = skjold_scan::time::now_unix();
    let t0 = Instant::now();
    let show = !a.quiet && std::io::stderr().is_terminal();
    let interrupted = rt.block_on(async {
        let bar = show.then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} probes {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        let ticker = bar.clone().map(|b| {
            let col = col.clone();
            tokio::spawn(async move {
                loop {
                    b.set_length(col.total.load(Ordering::Relaxed));
                    b.set_position(col.done.load(Ordering::Relaxed));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        let scan = engine::run(cfg.clone(), col.clone());
        let interrupted = tokio::select! {
            () = scan => false,
            _ = tokio::signal::ctrl_c() => true,
        };
        if let Some(t) = ticker {
            t.abort();
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        interrupted
    });
    // Pending probes of an interrupted scan are dropped with the runtime.
    rt.shutdown_background();
    let rep = engine::report(&cfg, &col, started, t0.elapsed(), interrupted);
    let text = report::render(&rep, format).map_err(anyhow::Error::msg)?;
    if let Some(p) = &a.out {
        std::fs::write(p, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
    } else {
        use std::io::Write as _;
        let mut o = std::io::stdout().lock();
        o.write_all(text.as_bytes())?;
        o.flush()?;
    }
    if !a.quiet {
        let mut by = [0usize; 5];
        for f in &rep.findings {
            by[f.severity as usize] += 1;
        }
        eprintln!(
            "skjold scan: {} addresses, {} up, {} services ({} timeouts), findings: {} critical, {} high, {} medium, {} low, {} info in {:.2} s{}",
            rep.stats.hosts_scanned,
            rep.stats.hosts_up,
            rep.stats.services,
            rep.stats.timeouts,
            by[4],
            by[3],
            by[2],
            by[1],
            by[0],
            rep.stats.elapsed_s,
            if interrupted { " (interrupted: partial results written)" } else { "" }
        );
    }
    let fail = a
        .fail_on
        .is_some_and(|l| rep.max_severity().is_some_and(|m| m >= l.severity()));
    Ok(u8::from(fail))
}
