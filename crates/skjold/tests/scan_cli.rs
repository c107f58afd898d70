//! `skjold scan` end to end through the binary: exit codes of SPEC §2 (0, 1 with --fail-on,
//! 2 on bad usage), output formats chosen by --format or the --out extension, and Ctrl-C writing
//! the partial results. Peers are tiny IEC-104 servers on 127.0.77.3x.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn skjold(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_skjold"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// An IEC-104 server answering TESTFR act with TESTFR con; `silent`: answers nothing.
fn iec104(addr: &str, silent: bool) {
    let l = TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut b = [0u8; 6];
                while s.read_exact(&mut b).is_ok() {
                    if !silent && b == [0x68, 4, 0x43, 0, 0, 0] {
                        let _ = s.write_all(&[0x68, 4, 0x83, 0, 0, 0]);
                    }
                }
            });
        }
    });
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    for args in [
        &["scan", "300.1.1.1/99"][..],
        &["scan", "127.0.0.1", "--ports", "70000"],
        &["scan", "127.0.0.1", "--ports", "502/nosuch"],
        &["scan", "127.0.0.1", "--timeout", "0"],
        &[
            "scan",
            "127.0.0.1",
            "--intrusive",
            "--creds",
            "/nonexistent/creds.txt",
        ],
        &["scan"],
    ] {
        let o = skjold(args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.trim().is_empty(), "{args:?}");
    }
    let o = skjold(&["scan", "127.0.0.1", "--creds", "x.txt"]);
    assert_eq!(o.status.code(), Some(2), "--creds needs --intrusive");
}

#[test]
fn fail_on_and_formats() {
    iec104("127.0.77.30:2404", false);
    let d = tempfile::tempdir().unwrap();
    let sarif = d.path().join("scan.sarif");
    let o = skjold(&[
        "scan",
        "127.0.77.30",
        "--ports",
        "2404",
        "--fail-on",
        "high",
        "--out",
        sarif.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "SCAN-001");
    // Below the threshold: 0; JSON on stdout by default.
    let o = skjold(&[
        "scan",
        "127.0.77.30",
        "--ports",
        "2404",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["id"], "SCAN-001@127.0.77.30:2404/tcp");
    assert_eq!(v["hosts"][0]["services"][0]["protocol"], "iec104");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("1 high"),
        "summary on stderr"
    );
    // Markdown and HTML by --format.
    let o = skjold(&[
        "scan",
        "127.0.77.30",
        "--ports",
        "2404",
        "--format",
        "md",
        "-q",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# Skjold scan report"));
    let html = d.path().join("r.html");
    let o = skjold(&[
        "scan",
        "127.0.77.30",
        "--ports",
        "2404",
        "--out",
        html.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .starts_with("<!doctype html>"));
}

#[test]
fn ctrl_c_writes_partial_results() {
    iec104("127.0.77.31:2404", false);
    iec104("127.0.77.32:2404", true);
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("partial.json");
    let child = Command::new(env!("CARGO_BIN_EXE_skjold"))
        .args([
            "scan",
            "127.0.77.31-32",
            "--ports",
            "2404",
            "--timeout",
            "60000",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let t0 = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "did not stop on SIGINT"
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["findings"][0]["id"], "SCAN-001@127.0.77.31:2404/tcp");
    assert_eq!(v["hosts"][1]["address"], "127.0.77.32");
    assert_eq!(
        v["hosts"][1]["services"][0]["note"],
        "identification interrupted"
    );
}
