//! Credential checks: tiny recording FTP and HTTP Basic servers on 127.0.77.4x. Without
//! `--intrusive` no login command or Authorization header is ever sent; with it, anonymous FTP
//! and default credentials are found within the per-service budget.

use skjold_scan::engine::{self, Config};
use skjold_scan::target;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Log = Arc<Mutex<Vec<String>>>;

/// FTP: 220 greeting; `anonymous` (any password) and `admin:admin` log in when `open`.
fn ftp(addr: &str, open: bool) -> Log {
    let log: Log = Arc::default();
    let l = TcpListener::bind(addr).unwrap();
    let lg = log.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let lg = lg.clone();
            std::thread::spawn(move || {
                let _ = s.write_all(b"220 (vsFTPd 3.0.3)\r\n");
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut user = String::new();
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let cmd = line.trim_end().to_owned();
                    lg.lock().unwrap().push(cmd.clone());
                    let reply: &[u8] = if let Some(u) = cmd.strip_prefix("USER ") {
                        u.clone_into(&mut user);
                        b"331 Please specify the password.\r\n"
                    } else if let Some(p) = cmd.strip_prefix("PASS ") {
                        if open && (user == "anonymous" || (user == "admin" && p == "admin")) {
                            b"230 Login successful.\r\n"
                        } else {
                            b"530 Login incorrect.\r\n"
                        }
                    } else if cmd == "QUIT" {
                        let _ = s.write_all(b"221 Goodbye.\r\n");
                        return;
                    } else {
                        b"500 Unknown command.\r\n"
                    };
                    let _ = s.write_all(reply);
                    line.clear();
                }
            });
        }
    });
    log
}

/// HTTP: 401 Basic unless `Authorization: Basic <ok>` (admin:password).
fn http_basic(addr: &str) -> Log {
    let log: Log = Arc::default();
    let l = TcpListener::bind(addr).unwrap();
    let lg = log.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf[n..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let auth = req
                .lines()
                .find_map(|l| l.strip_prefix("Authorization: ").map(str::to_owned));
            lg.lock().unwrap().push(auth.clone().unwrap_or_default());
            let resp = if auth.as_deref() == Some("Basic YWRtaW46cGFzc3dvcmQ=") {
                "HTTP/1.1 200 OK\r\nServer: micro_httpd\r\nContent-Length: 29\r\n\r\n<title>PLC admin</title>ok!!!"
            } else {
                "HTTP/1.1 401 Unauthorized\r\nServer: micro_httpd\r\nWWW-Authenticate: Basic realm=\"plc\"\r\nContent-Length: 0\r\n\r\n"
            };
            let _ = s.write_all(resp.as_bytes());
        }
    });
    log
}

fn scan(addr: &str, ports: &str, intrusive: bool) -> skjold_scan::ScanReport {
    engine::scan_blocking(Config {
        target_specs: vec![addr.into()],
        targets: target::expand(&[addr.into()]).unwrap(),
        ports: engine::parse_ports(ports).unwrap(),
        udp: vec![],
        intrusive,
        creds: skjold_scan::creds::bundled(),
        concurrency: 8,
        rate: None,
        timeout: Duration::from_millis(1500),
    })
    .unwrap()
}

fn ids(r: &skjold_scan::ScanReport) -> Vec<String> {
    let mut v: Vec<String> = r.findings.iter().map(|f| f.id.clone()).collect();
    v.sort();
    v
}

#[test]
fn ftp_without_intrusive_sends_no_login() {
    let log = ftp("127.0.77.40:2121", true);
    let r = scan("127.0.77.40", "2121/ftp", false);
    assert_eq!(ids(&r), ["SCAN-007@127.0.77.40:2121/tcp"]);
    assert_eq!(r.hosts[0].services[0].identity["banner"], "(vsFTPd 3.0.3)");
    assert_eq!(*log.lock().unwrap(), ["QUIT"]);
    assert_eq!(r.stats.credential_attempts, 0);
}

#[test]
fn ftp_anonymous_with_intrusive() {
    let log = ftp("127.0.77.41:2121", true);
    let r = scan("127.0.77.41", "2121/ftp", true);
    assert_eq!(
        ids(&r),
        [
            "SCAN-007@127.0.77.41:2121/tcp",
            "SCAN-021@127.0.77.41:2121/tcp"
        ]
    );
    assert_eq!(
        r.stats.credential_attempts, 1,
        "anonymous worked: no default tried"
    );
    assert!(log.lock().unwrap().iter().any(|c| c == "USER anonymous"));
}

#[test]
fn ftp_closed_tries_at_most_four_logins() {
    let log = ftp("127.0.77.42:2121", false);
    let r = scan("127.0.77.42", "2121/ftp", true);
    assert_eq!(ids(&r), ["SCAN-007@127.0.77.42:2121/tcp"]);
    let users = log
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.starts_with("USER "))
        .count();
    assert_eq!(users, 4, "anonymous + 3 defaults");
    assert_eq!(r.stats.credential_attempts, 4);
}

#[test]
fn http_basic_default_credentials() {
    let log = http_basic("127.0.77.43:8081");
    let r = scan("127.0.77.43", "8081/http", false);
    assert_eq!(ids(&r), ["SCAN-008@127.0.77.43:8081/tcp"]);
    assert_eq!(
        r.findings[0].severity,
        skjold_scan::Severity::High,
        "Basic over clear text"
    );
    assert_eq!(
        *log.lock().unwrap(),
        [""],
        "no Authorization header without --intrusive"
    );
    let s = &r.hosts[0].services[0];
    assert_eq!(s.fact_str("auth_scheme"), Some("Basic"));
    assert_eq!(s.identity["server"], "micro_httpd");
    // admin:password is the second bundled pair.
    let r = scan("127.0.77.43", "8081/http", true);
    assert_eq!(
        ids(&r),
        [
            "SCAN-008@127.0.77.43:8081/tcp",
            "SCAN-020@127.0.77.43:8081/tcp"
        ]
    );
    assert_eq!(r.stats.credential_attempts, 2);
    let f = r.findings.iter().find(|f| f.rule == "SCAN-020").unwrap();
    assert_eq!(f.evidence["user"], "admin");
}
