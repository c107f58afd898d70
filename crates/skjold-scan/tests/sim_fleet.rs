//! The scanner against skjold-sim's recording fleet (mixed profile): every simulated service is
//! identified, and the simulator's recorder proves the scan read-only (no write or state
//! change on any device) and, without `--intrusive`, free of login attempts.

use skjold_scan::engine::{self, Config, PortSpec};
use skjold_scan::model::ProbeStatus;
use skjold_scan::probe::Proto;
use skjold_scan::target;
use skjold_sim::{BlockingFleet, FleetSpec, Protocol};
use std::collections::BTreeSet;
use std::time::Duration;

fn run(intrusive: bool) -> (skjold_scan::ScanReport, Vec<skjold_sim::Request>, usize) {
    let mut spec = FleetSpec::from_profile("mixed", 24, "127.0.1.1".parse().unwrap(), 7).unwrap();
    spec.port_offset = 30_000; // no privileged ports needed
    let fleet = BlockingFleet::start_anywhere(spec).unwrap();
    let mut tcp: BTreeSet<(u16, &str)> = BTreeSet::new();
    let mut udp: BTreeSet<(u16, &str)> = BTreeSet::new();
    let mut services = 0;
    let mut targets = Vec::new();
    for i in 0..fleet.len() {
        targets.push(fleet.addr(i).to_string());
        for p in Protocol::ALL {
            if matches!(
                p,
                Protocol::Garbage | Protocol::Silent | Protocol::Close | Protocol::Trickle
            ) {
                continue;
            }
            if p == Protocol::Snmp && !intrusive {
                continue;
            }
            let Some(a) = fleet.service_addr(i, p) else {
                continue;
            };
            services += 1;
            if p.udp() {
                udp.insert((a.port(), p.name()));
            } else {
                tcp.insert((a.port(), p.name()));
                if p == Protocol::Enip {
                    services += 1;
                    udp.insert((a.port(), "enip"));
                }
            }
        }
    }
    let ports = tcp
        .iter()
        .map(|(port, n)| format!("{port}/{n}"))
        .collect::<Vec<_>>()
        .join(",");
    let report = engine::scan_blocking(Config {
        targets: target::expand(&targets).unwrap(),
        target_specs: targets,
        ports: engine::parse_ports(&ports).unwrap(),
        udp: udp
            .iter()
            .map(|(port, n)| PortSpec {
                port: *port,
                proto: Proto::from_name(n).unwrap(),
            })
            .collect(),
        intrusive,
        creds: skjold_scan::creds::bundled(),
        concurrency: 256,
        rate: None,
        timeout: Duration::from_secs(3),
    })
    .unwrap();
    (report, fleet.requests(), services)
}

#[test]
fn read_only_and_complete_on_the_simulated_fleet() {
    let (r, requests, services) = run(false);
    let found: Vec<_> = r.hosts.iter().flat_map(|h| &h.services).collect();
    let bad: Vec<_> = found
        .iter()
        .filter(|s| s.status != ProbeStatus::Identified)
        .collect();
    assert!(bad.is_empty(), "not identified: {bad:#?}");
    assert_eq!(found.len(), services, "every simulated service found");
    assert!(!requests.is_empty());
    let writes: Vec<_> = requests.iter().filter(|q| q.write).collect();
    assert!(writes.is_empty(), "state-changing requests: {writes:#?}");
    let logins: Vec<_> = requests.iter().filter(|q| q.login).collect();
    assert!(
        logins.is_empty(),
        "login attempts without --intrusive: {logins:#?}"
    );
    assert!(!r.findings.is_empty());
}

#[test]
fn intrusive_scan_is_still_read_only() {
    let (r, requests, _) = run(true);
    let writes: Vec<_> = requests.iter().filter(|q| q.write).collect();
    assert!(writes.is_empty(), "state-changing requests: {writes:#?}");
    // A few logins per service at most (FTP: anonymous + 3 defaults).
    let mut per_service = std::collections::BTreeMap::new();
    for q in requests.iter().filter(|q| q.login) {
        *per_service.entry((q.addr, q.port)).or_insert(0) += 1;
    }
    assert!(per_service.values().all(|n| *n <= 4), "{per_service:?}");
    assert!(r.stats.credential_attempts > 0);
}
