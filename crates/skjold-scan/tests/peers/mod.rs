//! Launch helpers for third-party peers started by the integration tests on loopback
//! (127.0.77.x). A missing peer (program or Python module) skips its test with a notice, and
//! fails it when `CI=true`.

#![allow(dead_code, unreachable_pub)]

use skjold_scan::engine::{self, Config, PortSpec};
use skjold_scan::probe::Proto;
use skjold_scan::{target, ScanReport};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A child process killed when dropped.
pub struct Peer {
    child: Child,
    pub name: String,
}

impl Peer {
    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reports a missing peer: false (skip) outside CI, panics under `CI=true`.
pub fn missing(what: &str) -> bool {
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "peer missing under CI: {what}"
    );
    eprintln!("SKIPPED: {what} is not installed");
    true
}

/// Whether a program runs (`prog -h` or `--version` starts).
pub fn have_program(prog: &str) -> bool {
    Command::new(prog)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Whether `python3 -c "import MODULE"` works.
pub fn have_python(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// This directory (the helper scripts).
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Starts a process; its output goes to `<tmp>/<name>.log`.
pub fn spawn(name: &str, prog: &str, args: &[&str], cwd: &Path) -> Peer {
    let log = std::fs::File::create(cwd.join(format!("{name}.log"))).unwrap();
    let child = Command::new(prog)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {prog}: {e}"));
    Peer {
        child,
        name: name.to_owned(),
    }
}

/// Waits until a TCP port accepts connections (at most 60 s).
pub fn wait_tcp(addr: &str, peer: &mut Peer, dir: &Path) {
    let a: SocketAddr = addr.parse().unwrap();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(60) {
        if TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(st)) = peer.child.try_wait() {
            let log =
                std::fs::read_to_string(dir.join(format!("{}.log", peer.name))).unwrap_or_default();
            panic!(
                "{} exited ({st}) before listening on {addr}:\n{log}",
                peer.name
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{} not listening on {addr} after 60 s", peer.name);
}

/// Test certificates (made once per test binary by certs.py).
pub fn certs() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if !have_python("cryptography") || !have_program("openssl") {
            return None;
        }
        let d = std::env::temp_dir().join(format!("skjold-scan-certs-{}", std::process::id()));
        let ok = Command::new("python3")
            .arg(dir().join("certs.py"))
            .arg(&d)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(d)
    })
    .clone()
}

/// Scans `targets` on `ports` (a `--ports` list) and UDP `udp`.
pub fn scan(
    targets: &[&str],
    ports: &str,
    udp: &[(u16, Proto)],
    intrusive: bool,
    creds: &str,
) -> ScanReport {
    let specs: Vec<String> = targets.iter().map(|s| (*s).to_owned()).collect();
    let mut c = skjold_scan::creds::parse(creds).unwrap();
    c.extend(skjold_scan::creds::bundled());
    engine::scan_blocking(Config {
        targets: target::expand(&specs).unwrap(),
        target_specs: specs,
        ports: engine::parse_ports(ports).unwrap(),
        udp: udp
            .iter()
            .map(|(port, proto)| PortSpec {
                port: *port,
                proto: *proto,
            })
            .collect(),
        intrusive,
        creds: c,
        concurrency: 64,
        rate: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap()
}

/// Finding ids of a report, sorted.
pub fn finding_ids(r: &ScanReport) -> Vec<String> {
    let mut v: Vec<String> = r.findings.iter().map(|f| f.id.clone()).collect();
    v.sort();
    v
}

/// The only service of the report.
pub fn only_service(r: &ScanReport) -> &skjold_scan::Service {
    assert_eq!(r.hosts.len(), 1, "{:#?}", r.hosts);
    assert_eq!(r.hosts[0].services.len(), 1, "{:#?}", r.hosts);
    &r.hosts[0].services[0]
}

/// A fresh temporary directory for a peer's files.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
