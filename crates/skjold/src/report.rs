//! The human summary printed on stderr at the end of `skjold watch`: totals, protocols, top
//! talkers, assets, alerts and errors. Machine-readable results are in the output files.

use skjold_watch::RunResult;
use std::fmt::Write as _;
use std::path::Path;

fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// Print the summary of a run.
pub(crate) fn print_summary(r: &RunResult, out: &Path) {
    let s = &r.stats;
    let mut o = String::new();
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(
        o,
        "\n{} packets ({}), {} flows in {:.2} s ({:.0} packets/s)",
        s.packets,
        human_bytes(s.bytes),
        s.flows,
        secs,
        s.packets as f64 / secs
    );
    if let Some((a, b)) = r.span {
        let _ = writeln!(
            o,
            "capture time {} .. {}",
            skjold_net_ts(a),
            skjold_net_ts(b)
        );
    }
    let _ = writeln!(o, "\nProtocols (packets)");
    let mut protos: Vec<_> = s.by_app_proto.iter().collect();
    protos.sort_by(|a, b| b.1.cmp(a.1));
    let total = s.packets.max(1) as f64;
    for (p, n) in protos {
        let pdus = s
            .pdus
            .get(p)
            .map(|n| format!("  {n} PDUs"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {p:<12} {n:>10}  {:>5.1}%{pdus}",
            *n as f64 * 100.0 / total
        );
    }
    let mut talkers: Vec<_> = s.talkers.iter().collect();
    talkers.sort_by(|a, b| b.1.cmp(a.1));
    if !talkers.is_empty() {
        let _ = writeln!(o, "\nTop talkers (bytes sent)");
        for ((a, b), n) in talkers.into_iter().take(5) {
            let _ = writeln!(o, "  {a:>39} -> {b:<39} {}", human_bytes(*n));
        }
    }
    let records = r.assets.records();
    let _ = writeln!(o, "\nAssets: {}", records.len());
    let mut shown: Vec<_> = records.iter().filter(|a| !a.roles.is_empty()).collect();
    shown.sort_by(|a, b| {
        b.identity
            .len()
            .cmp(&a.identity.len())
            .then(a.ip.cmp(&b.ip))
    });
    for a in shown.iter().take(10) {
        let vendor = a.mac.and_then(skjold_oui::vendor).unwrap_or("-");
        let roles: Vec<&str> = a.roles.iter().copied().collect();
        let ident: Vec<String> = a
            .identity
            .iter()
            .map(|(k, v)| format!("{k}={}", v.value))
            .collect();
        let _ = writeln!(
            o,
            "  {:<15} {:<28.28} {:<28} {}",
            a.ip,
            vendor,
            roles.join(","),
            ident.join(" ")
        );
    }
    if shown.len() > 10 {
        let _ = writeln!(o, "  ... {} more in assets.json", shown.len() - 10);
    }
    alert_lines(&mut o, r);
    let errs: Vec<_> = s.errors.iter().filter(|(_, v)| **v > 0).collect();
    if !errs.is_empty() {
        let _ = writeln!(o, "\nErrors and limits");
        for (k, v) in errs {
            let _ = writeln!(o, "  {k:<40} {v}");
        }
    }
    let _ = writeln!(
        o,
        "\nEvents: {} written to {}",
        s.events,
        out.join("eve.json").display()
    );
    eprint!("{o}");
}

/// One plain-language line per alert, most severe first (at most 40; all are in eve.json).
fn alert_lines(o: &mut String, r: &RunResult) {
    let log = &r.alerts;
    let _ = writeln!(
        o,
        "\nAlerts: {} (high {}, medium {}, low {})",
        r.stats.alerts, log.by_severity[0], log.by_severity[1], log.by_severity[2]
    );
    let mut shown: Vec<_> = log.alerts.iter().collect();
    shown.sort_by_key(|a| (a.meta.severity, a.ts));
    for a in shown.iter().take(40) {
        let level = match a.meta.severity {
            1 => "HIGH",
            2 => "MED ",
            _ => "LOW ",
        };
        let times = if a.count > 1 {
            format!(" (x{})", a.count)
        } else {
            String::new()
        };
        let ts = skjold_net_ts(a.ts);
        let _ = writeln!(
            o,
            "  {level} {} [{}] {}{times}",
            ts.get(11..19).unwrap_or(&ts),
            a.meta.mitre.first().copied().unwrap_or(a.meta.name),
            a.message
        );
    }
    if log.total as usize > shown.len().min(40) {
        let _ = writeln!(
            o,
            "  ... {} more in eve.json",
            log.total as usize - shown.len().min(40)
        );
    }
    if let Some(p) = &log.baseline_written {
        let _ = writeln!(
            o,
            "Baseline written to {} (review it, then --baseline)",
            p.display()
        );
    }
}

fn skjold_net_ts(micros: u64) -> String {
    skjold_net::Ts(micros).to_string()
}
