//! The scan engine: TCP connect scanning with bounded concurrency and an optional rate limit,
//! identification of every open port, UDP probes, results collected as they arrive so an
//! interrupted scan still yields a report.

use crate::creds::Credential;
use crate::model::{Host, ProbeStatus, ScanReport, Service, Stats, Transport};
use crate::probe::{self, Ctx, Proto};
use crate::target::Target;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// One port to scan, with the protocol to speak on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    /// Port.
    pub port: u16,
    /// Protocol.
    pub proto: Proto,
}

/// Parses `--ports`: `502,1883`, ranges `8000-8010`, protocol hints `5020/modbus`, `default`.
pub fn parse_ports(s: &str) -> Result<Vec<PortSpec>, String> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "default" {
            v.extend(default_ports());
            continue;
        }
        let (range, hint) = match part.split_once('/') {
            Some((r, h)) => (
                r,
                Some(
                    Proto::from_name(h)
                        .ok_or_else(|| format!("--ports: unknown protocol '{h}'"))?,
                ),
            ),
            None => (part, None),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (a, b),
            None => (range, range),
        };
        let a: u16 = a
            .parse()
            .map_err(|_| format!("--ports: '{part}' is not a port"))?;
        let b: u16 = b
            .parse()
            .map_err(|_| format!("--ports: '{part}' is not a port"))?;
        if a == 0 || b < a {
            return Err(format!("--ports: bad range '{part}'"));
        }
        for p in a..=b {
            v.push(PortSpec {
                port: p,
                proto: hint.unwrap_or_else(|| probe::tcp_proto(p)),
            });
        }
    }
    if v.is_empty() {
        return Err("--ports: empty list".into());
    }
    v.sort_by_key(|p| p.port);
    v.dedup_by_key(|p| p.port);
    Ok(v)
}

/// The default TCP port list.
pub fn default_ports() -> Vec<PortSpec> {
    probe::DEFAULT_TCP
        .iter()
        .map(|(port, proto)| PortSpec {
            port: *port,
            proto: *proto,
        })
        .collect()
}

/// Scan settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Targets as given (for the report).
    pub target_specs: Vec<String>,
    /// Expanded targets.
    pub targets: Vec<Target>,
    /// TCP ports.
    pub ports: Vec<PortSpec>,
    /// UDP ports probed (empty without `--udp`).
    pub udp: Vec<PortSpec>,
    /// `--intrusive`.
    pub intrusive: bool,
    /// Credentials (user's then bundled); used only when intrusive.
    pub creds: Vec<Credential>,
    /// Parallel connections.
    pub concurrency: usize,
    /// New connections per second (None: unlimited).
    pub rate: Option<f64>,
    /// Timeout of one connect or exchange.
    pub timeout: Duration,
}

impl Config {
    /// Default UDP probes (`--udp`); SNMP only when intrusive.
    pub fn default_udp(intrusive: bool) -> Vec<PortSpec> {
        probe::DEFAULT_UDP
            .iter()
            .filter(|(_, p)| intrusive || *p != Proto::Snmp)
            .map(|(port, proto)| PortSpec {
                port: *port,
                proto: *proto,
            })
            .collect()
    }
}

/// Results gathered so far; shared with the caller for progress and interruption.
/// Services found per address, with the host name the address came from.
type ByHost = BTreeMap<IpAddr, (Option<String>, Vec<Service>)>;
/// Open ports being identified: (address, port) to (host name, protocol).
type InFlight = BTreeMap<(IpAddr, u16), (Option<String>, Proto)>;

#[derive(Debug, Default)]
pub struct Collector {
    services: Mutex<ByHost>,
    /// Open ports whose identification is still running.
    in_flight: Mutex<InFlight>,
    /// Probes planned (host x port, TCP and UDP).
    pub total: AtomicU64,
    /// Probes finished.
    pub done: AtomicU64,
    /// Credential attempts.
    pub attempts: Arc<AtomicU64>,
    tcp: AtomicU64,
    udp: AtomicU64,
}

impl Collector {
    /// A new, empty collector.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn opened(&self, t: &Target, port: u16, proto: Proto) {
        let mut m = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.insert((t.addr, port), (t.hostname.clone(), proto));
    }

    fn push(&self, t: &Target, svc: Service) {
        if svc.transport == Transport::Tcp {
            let mut m = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            m.remove(&(t.addr, svc.port));
        }
        let mut m = self
            .services
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = m
            .entry(t.addr)
            .or_insert_with(|| (t.hostname.clone(), Vec::new()));
        e.1.push(svc);
    }
}

/// A token-bucket-free rate limiter: each connection takes the next slot `1/rate` apart.
struct Rate {
    next: tokio::sync::Mutex<tokio::time::Instant>,
    gap: Duration,
}

impl Rate {
    async fn wait(&self) {
        let mut n = self.next.lock().await;
        let now = tokio::time::Instant::now();
        let at = (*n).max(now);
        *n = at + self.gap;
        drop(n);
        tokio::time::sleep_until(at).await;
    }
}

/// Runs the scan to completion, storing results in `col`.
pub async fn run(cfg: Arc<Config>, col: Arc<Collector>) {
    let creds = Arc::new(if cfg.intrusive {
        cfg.creds.clone()
    } else {
        Vec::new()
    });
    let per_host = (cfg.ports.len() + cfg.udp.len()) as u64;
    col.total
        .store(per_host * cfg.targets.len() as u64, Ordering::Relaxed);
    let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let rate = cfg.rate.filter(|r| *r > 0.0).map(|r| {
        Arc::new(Rate {
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
            gap: Duration::from_secs_f64(1.0 / r),
        })
    });
    let mut tasks = tokio::task::JoinSet::new();
    for t in &cfg.targets {
        let specs = cfg
            .ports
            .iter()
            .map(|p| (Transport::Tcp, *p))
            .chain(cfg.udp.iter().map(|p| (Transport::Udp, *p)));
        for (transport, spec) in specs {
            let Ok(permit) = sem.clone().acquire_owned().await else {
                return;
            };
            if let Some(r) = &rate {
                r.wait().await;
            }
            let ctx = Ctx {
                addr: SocketAddr::new(t.addr, spec.port),
                hostname: t.hostname.clone(),
                timeout: cfg.timeout,
                intrusive: cfg.intrusive,
                creds: creds.clone(),
                attempts: col.attempts.clone(),
            };
            let col = col.clone();
            let t = t.clone();
            tasks.spawn(async move {
                let svc = match transport {
                    Transport::Tcp => {
                        col.tcp.fetch_add(1, Ordering::Relaxed);
                        match crate::net::connect(ctx.addr, ctx.timeout).await {
                            Ok(s) => {
                                col.opened(&t, spec.port, spec.proto);
                                Some(Box::pin(probe::identify_tcp(&ctx, spec.proto, s)).await)
                            }
                            Err(_) => None,
                        }
                    }
                    Transport::Udp => {
                        col.udp.fetch_add(1, Ordering::Relaxed);
                        probe::identify_udp(&ctx, spec.proto).await
                    }
                };
                if let Some(s) = svc {
                    col.push(&t, s);
                }
                col.done.fetch_add(1, Ordering::Relaxed);
                drop(permit);
            });
            // Reap finished tasks so the set stays small on large scans.
            while tasks.try_join_next().is_some() {}
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// Builds the report from what the collector holds (complete or interrupted).
pub fn report(
    cfg: &Config,
    col: &Collector,
    started_unix: i64,
    elapsed: Duration,
    interrupted: bool,
) -> ScanReport {
    let mut m = col
        .services
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    // Open ports whose identification was cut short by an interruption.
    for ((addr, port), (name, proto)) in col
        .in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        let mut s = Service::new(*port, Transport::Tcp, proto.name());
        s.note = Some("identification interrupted".into());
        m.entry(*addr)
            .or_insert_with(|| (name.clone(), Vec::new()))
            .1
            .push(s);
    }
    let mut hosts: Vec<Host> = m
        .iter()
        .map(|(addr, (name, svcs))| {
            let mut services = svcs.clone();
            services.sort_by_key(|s| (s.transport, s.port));
            Host {
                address: addr.to_string(),
                hostname: name.clone(),
                services,
            }
        })
        .collect();
    hosts.sort_by_key(|h| h.address.parse::<IpAddr>().ok());
    let services = hosts.iter().map(|h| h.services.len() as u64).sum();
    let timeouts = hosts
        .iter()
        .flat_map(|h| &h.services)
        .filter(|s| s.status == ProbeStatus::Timeout)
        .count() as u64;
    let findings = crate::rules::evaluate(&hosts);
    ScanReport {
        tool: format!("skjold-scan {}", env!("CARGO_PKG_VERSION")),
        started: crate::time::rfc3339(started_unix),
        targets: cfg.target_specs.clone(),
        intrusive: cfg.intrusive,
        interrupted,
        stats: Stats {
            hosts_scanned: cfg.targets.len() as u64,
            hosts_up: hosts.len() as u64,
            tcp_probes: col.tcp.load(Ordering::Relaxed),
            udp_probes: col.udp.load(Ordering::Relaxed),
            services,
            timeouts,
            credential_attempts: col.attempts.load(Ordering::Relaxed),
            elapsed_s: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        },
        hosts,
        findings,
    }
}

/// Runs a whole scan on a new runtime and returns the report (for tests and library users).
pub fn scan_blocking(cfg: Config) -> std::io::Result<ScanReport> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cfg = Arc::new(cfg);
    let col = Collector::new();
    let started = crate::time::now_unix();
    let t0 = Instant::now();
    rt.block_on(run(cfg.clone(), col.clone()));
    Ok(report(&cfg, &col, started, t0.elapsed(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists() {
        let p = parse_ports("502,5020/modbus,8000-8002,502").unwrap();
        let got: Vec<(u16, &str)> = p.iter().map(|s| (s.port, s.proto.name())).collect();
        assert_eq!(
            got,
            [
                (502, "modbus"),
                (5020, "modbus"),
                (8000, "unknown"),
                (8001, "unknown"),
                (8002, "unknown")
            ]
        );
        assert_eq!(
            parse_ports("default").unwrap().len(),
            probe::DEFAULT_TCP.len()
        );
        assert_eq!(
            parse_ports("default,1102/s7").unwrap().len(),
            probe::DEFAULT_TCP.len() + 1
        );
        for bad in ["", "0", "9-1", "70000", "80/gopher", "a"] {
            assert!(parse_ports(bad).is_err(), "{bad}");
        }
        assert!(Config::default_udp(false)
            .iter()
            .all(|p| p.proto != Proto::Snmp));
        assert!(Config::default_udp(true)
            .iter()
            .any(|p| p.proto == Proto::Snmp));
    }
}
