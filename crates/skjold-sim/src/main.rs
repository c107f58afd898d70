//! `skjold-sim`: run a simulated fleet of IoT/OT devices on loopback addresses until Ctrl-C, or
//! print it as JSON (`--list`).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use skjold_sim::{listing, Fleet, FleetSpec};

/// Simulated fleet of IoT/OT devices for `skjold scan` tests and benchmarks.
#[derive(Parser, Debug)]
#[command(name = "skjold-sim", version)]
struct Args {
    /// Number of devices (ignored with --spec).
    #[arg(long, default_value_t = 250)]
    devices: usize,
    /// Address of the first device (127.0.0.0/8 only).
    #[arg(long, default_value = "127.0.1.1")]
    base: Ipv4Addr,
    /// Device profile, or `mixed` to cycle through the standard ones.
    #[arg(long, default_value = "mixed")]
    profile: String,
    /// Fleet spec file (YAML or JSON) instead of --devices/--profile.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Seed of the per-device weaknesses and versions.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Add this to every port below 1024 (to run without the right to bind them).
    #[arg(long, default_value_t = 0)]
    port_offset: u16,
    /// Print the fleet (addresses, ports, protocols, expected identity) as JSON to stdout and exit.
    #[arg(long)]
    list: bool,
    /// List the profile names and exit.
    #[arg(long)]
    profiles: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.profiles {
        for p in skjold_sim::spec::PROFILES {
            #[allow(clippy::print_stdout, reason = "the CLI's output")]
            {
                println!("{p}");
            }
        }
        return Ok(());
    }
    if args.base.octets()[0] != 127 {
        bail!("--base {} is outside 127.0.0.0/8", args.base);
    }
    let mut spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            FleetSpec::from_yaml(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => FleetSpec::from_profile(&args.profile, args.devices, args.base, args.seed)
            .with_context(|| format!("unknown profile {:?} (see --profiles)", args.profile))?,
    };
    if args.port_offset != 0 {
        spec.port_offset = args.port_offset;
    }
    if args.list {
        let json = serde_json::to_string_pretty(&listing(&spec))?;
        #[allow(clippy::print_stdout, reason = "the CLI's output")]
        {
            println!("{json}");
        }
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("building the runtime")?;
    rt.block_on(async move {
        let t0 = Instant::now();
        let n = spec.devices.len();
        let fleet = Fleet::start(spec).await.context("starting the fleet")?;
        let mut sockets = 0;
        for d in fleet.listing() {
            let services: Vec<String> = d
                .services
                .iter()
                .map(|s| format!("{}/{}", s.protocol.name(), s.port))
                .collect();
            sockets += d.services.iter().map(|s| s.transports.len()).sum::<usize>();
            eprintln!("{:<15} {:<16} {}", d.addr, d.profile, services.join(" "));
        }
        eprintln!(
            "skjold-sim: {n} devices, {sockets} sockets, started in {:.3} s; Ctrl-C to stop",
            t0.elapsed().as_secs_f64()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        let total = fleet.requests().len();
        let writes = fleet.requests().iter().filter(|r| r.write).count();
        eprintln!(
            "skjold-sim: stopping; {total} requests recorded, {writes} writes or state changes"
        );
        fleet.stop().await;
        Ok(())
    })
}
