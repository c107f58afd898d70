//! Acceptance tests against real third-party servers started on loopback (127.0.77.x): mosquitto
//! (anonymous, password file, TLS), pymodbus with device identification, openssl `s_server`
//! (expired self-signed, TLS 1.0, weak key and SHA-1, hostname mismatch, hardened), asyncua
//! (`SecurityMode` None; `Basic256Sha256` only), aiocoap and python-snap7. Each finding is
//! asserted exactly, and the hardened variants have none. A missing peer skips its test with a
//! notice (fails under CI=true).

mod peers;

use peers::{
    finding_ids, have_program, have_python, missing, only_service, scan, spawn, tmp, wait_tcp,
};
use skjold_scan::model::ProbeStatus;
use skjold_scan::probe::Proto;

fn ids(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn mosquitto(addr: &str, port: u16, conf_extra: &str, d: &std::path::Path) -> peers::Peer {
    let conf = d.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("persistence false\nlog_dest stderr\nlistener {port} {addr}\nsys_interval 1\n{conf_extra}"),
    )
    .unwrap();
    let mut p = spawn("mosquitto", "mosquitto", &["-c", conf.to_str().unwrap()], d);
    wait_tcp(&format!("{addr}:{port}"), &mut p, d);
    p
}

#[test]
fn mosquitto_anonymous() {
    if !have_program("mosquitto") && missing("mosquitto") {
        return;
    }
    let d = tmp();
    let _p = mosquitto("127.0.77.1", 1883, "allow_anonymous true\n", d.path());
    let r = scan(&["127.0.77.1"], "1883", &[], false, "");
    assert_eq!(
        finding_ids(&r),
        ids(&[
            "SCAN-004@127.0.77.1:1883/tcp",
            "SCAN-005@127.0.77.1:1883/tcp"
        ])
    );
    let s = only_service(&r);
    assert_eq!(s.protocol, "mqtt");
    assert_eq!(
        s.identity.get("product").map(String::as_str),
        Some("mosquitto")
    );
    assert!(s.identity["version"].starts_with('2'), "{:?}", s.identity);
    assert_eq!(r.stats.credential_attempts, 0);
}

#[test]
fn mosquitto_password_file() {
    if (!have_program("mosquitto") && missing("mosquitto"))
        || (!have_program("mosquitto_passwd") && missing("mosquitto_passwd"))
    {
        return;
    }
    let d = tmp();
    let pw = d.path().join("passwd");
    let st = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c", pw.to_str().unwrap(), "operator", "s3cret-Pump"])
        .status()
        .unwrap();
    assert!(st.success());
    let _p = mosquitto(
        "127.0.77.3",
        1883,
        &format!("allow_anonymous false\npassword_file {}\n", pw.display()),
        d.path(),
    );
    // Read-only scan: authentication required, only the clear-text finding.
    let r = scan(&["127.0.77.3"], "1883", &[], false, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-005@127.0.77.3:1883/tcp"]));
    let s = only_service(&r);
    assert_eq!(s.fact_bool("auth_required"), Some(true));
    assert_eq!(s.fact_str("connack"), Some("not authorized"));
    assert_eq!(r.stats.credential_attempts, 0);
    // Intrusive with a credentials file that knows the password: default credentials found,
    // within the per-service budget.
    let r = scan(
        &["127.0.77.3"],
        "1883",
        &[],
        true,
        "mqtt operator:s3cret-Pump\n",
    );
    assert_eq!(
        finding_ids(&r),
        ids(&[
            "SCAN-005@127.0.77.3:1883/tcp",
            "SCAN-020@127.0.77.3:1883/tcp"
        ])
    );
    assert_eq!(r.stats.credential_attempts, 1);
    let f = r.findings.iter().find(|f| f.rule == "SCAN-020").unwrap();
    assert_eq!(f.evidence["user"], "operator");
    assert!(
        !f.evidence.to_string().contains("s3cret"),
        "password leaked into the report"
    );
    // Intrusive with a wrong list: at most 3 tries, no finding.
    let r = scan(&["127.0.77.3"], "1883", &[], true, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-005@127.0.77.3:1883/tcp"]));
    assert_eq!(r.stats.credential_attempts, 3);
}

#[test]
fn mosquitto_tls_hardened_has_no_finding() {
    if !have_program("mosquitto") && missing("mosquitto") {
        return;
    }
    let Some(certs) = peers::certs() else {
        assert!(missing(
            "python3 cryptography + openssl (test certificates)"
        ));
        return;
    };
    let d = tmp();
    let pw = d.path().join("passwd");
    std::fs::write(&pw, "").unwrap();
    let _p = mosquitto(
        "127.0.77.4",
        8883,
        &format!(
            "allow_anonymous false\npassword_file {}\ncafile {}\ncertfile {}\nkeyfile {}\n",
            pw.display(),
            certs.join("ca.pem").display(),
            certs.join("leaf.pem").display(),
            certs.join("leaf.key").display()
        ),
        d.path(),
    );
    let r = scan(&["127.0.77.4"], "8883", &[], false, "");
    assert_eq!(finding_ids(&r), Vec::<String>::new(), "{:#?}", r.hosts);
    let s = only_service(&r);
    assert_eq!(s.protocol, "mqtts");
    let t = s.tls.as_ref().unwrap();
    assert!(
        t.versions.iter().all(|v| v == "TLSv1.2" || v == "TLSv1.3"),
        "{t:?}"
    );
    let cert = t.certificate.as_ref().unwrap();
    assert_eq!(cert.issuer, "CN=Skjold Test CA");
    assert!(!cert.expired && !cert.self_signed && cert.key_bits == 2048);
}

#[test]
fn pymodbus_device_identification() {
    if !have_python("pymodbus") && missing("python3 pymodbus") {
        return;
    }
    let d = tmp();
    let rec = d.path().join("requests.txt");
    let mut p = spawn(
        "pymodbus",
        "python3",
        &[
            peers::dir().join("modbus_server.py").to_str().unwrap(),
            "127.0.77.2",
            "5020",
            rec.to_str().unwrap(),
        ],
        d.path(),
    );
    wait_tcp("127.0.77.2:5020", &mut p, d.path());
    let r = scan(&["127.0.77.2"], "5020/modbus", &[], true, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-001@127.0.77.2:5020/tcp"]));
    let s = only_service(&r);
    let want = [
        ("vendor", "Skjold Test Vendor"),
        ("product_code", "STV-PLC-1"),
        ("revision", "3.16.1"),
        ("vendor_url", "https://example.invalid"),
        ("product", "Test PLC"),
        ("model", "Model 7"),
        ("user_application", "pump station"),
    ];
    for (k, v) in want {
        assert_eq!(s.identity.get(k).map(String::as_str), Some(v), "{k}");
    }
    // Every function code the server received is read-only (43 here; 17 only as fallback).
    let got = std::fs::read_to_string(&rec).unwrap();
    let codes: Vec<u8> = got.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| *c == 43 || *c == 17), "{codes:?}");
}

fn s_server(
    name: &str,
    accept: &str,
    cert: &str,
    extra: &[&str],
    d: &std::path::Path,
) -> peers::Peer {
    let c = peers::certs().unwrap();
    let mut args = vec![
        "s_server".to_owned(),
        "-accept".into(),
        accept.into(),
        "-cert".into(),
        c.join(format!("{cert}.pem")).to_string_lossy().into_owned(),
        "-key".into(),
        c.join(format!("{cert}.key")).to_string_lossy().into_owned(),
        "-www".into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut p = spawn(name, "openssl", &a, d);
    wait_tcp(accept, &mut p, d);
    p
}

fn tls_peer_ready() -> bool {
    if peers::certs().is_none() {
        return !missing("python3 cryptography + openssl (test certificates)");
    }
    true
}

#[test]
fn openssl_expired_self_signed() {
    if !tls_peer_ready() {
        return;
    }
    let d = tmp();
    let _p = s_server("expired", "127.0.77.5:8443", "expired", &[], d.path());
    let r = scan(&["127.0.77.5"], "8443", &[], false, "");
    assert_eq!(
        finding_ids(&r),
        ids(&[
            "SCAN-012@127.0.77.5:8443/tcp",
            "SCAN-013@127.0.77.5:8443/tcp"
        ])
    );
    let cert = only_service(&r)
        .tls
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap();
    assert!(cert.expired && cert.self_signed);
    assert_eq!(cert.subject, "CN=expired.plc.example");
}

#[test]
fn openssl_tls10_enabled() {
    if !tls_peer_ready() {
        return;
    }
    let d = tmp();
    let _p = s_server(
        "tls10",
        "127.0.77.6:8443",
        "leaf",
        &["-min_protocol", "TLSv1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        d.path(),
    );
    let r = scan(&["127.0.77.6"], "8443/https", &[], false, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-010@127.0.77.6:8443/tcp"]));
    let f = &r.findings[0];
    assert_eq!(
        f.evidence["legacy_versions"],
        serde_json::json!(["TLSv1.0", "TLSv1.1"])
    );
    let t = only_service(&r).tls.as_ref().unwrap();
    assert_eq!(t.versions, ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
}

#[test]
fn openssl_weak_key_and_sha1_signature() {
    if !tls_peer_ready() {
        return;
    }
    let d = tmp();
    let _p = s_server(
        "weak",
        "127.0.77.8:8443",
        "weak",
        &["-min_protocol", "TLSv1.2", "-cipher", "DEFAULT:@SECLEVEL=0"],
        d.path(),
    );
    let r = scan(&["127.0.77.8"], "8443", &[], false, "");
    assert_eq!(
        finding_ids(&r),
        ids(&[
            "SCAN-015@127.0.77.8:8443/tcp",
            "SCAN-016@127.0.77.8:8443/tcp"
        ])
    );
    let cert = only_service(&r)
        .tls
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap();
    assert_eq!(
        (cert.key_bits, cert.signature_algorithm.as_str()),
        (1024, "sha1WithRSAEncryption")
    );
}

#[test]
fn openssl_hostname_mismatch_and_hardened() {
    if !tls_peer_ready() {
        return;
    }
    let d = tmp();
    let mismatch = s_server("mismatch", "127.0.0.1:18443", "mismatch", &[], d.path());
    let r = scan(&["localhost"], "18443/https", &[], false, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-014@127.0.0.1:18443/tcp"]));
    assert_eq!(
        r.findings[0].evidence["names"],
        serde_json::json!(["plc.example"])
    );
    // The same certificate scanned by address: no name to compare, no finding.
    let r = scan(&["127.0.0.1"], "18443/https", &[], false, "");
    assert_eq!(finding_ids(&r), Vec::<String>::new());
    drop(mismatch);
    // Hardened: CA-signed, RSA 2048, SHA-256, TLS 1.2+ (OpenSSL defaults), name matches.
    let _h = s_server("hardened", "127.0.77.7:8443", "leaf", &[], d.path());
    let r = scan(&["127.0.77.7"], "8443", &[], false, "");
    assert_eq!(finding_ids(&r), Vec::<String>::new(), "{:#?}", r.hosts);
    let cert = only_service(&r)
        .tls
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap();
    assert_eq!(cert.hostname_match, None);
}

fn opcua(addr: &str, mode: &str, d: &std::path::Path) -> Option<peers::Peer> {
    if !have_python("asyncua") {
        missing("python3 asyncua");
        return None;
    }
    let c = peers::certs()?;
    let mut p = spawn(
        &format!("opcua-{mode}"),
        "python3",
        &[
            peers::dir().join("opcua_server.py").to_str().unwrap(),
            addr,
            "4840",
            mode,
            c.to_str().unwrap(),
        ],
        d,
    );
    wait_tcp(&format!("{addr}:4840"), &mut p, d);
    Some(p)
}

#[test]
fn asyncua_security_mode_none() {
    let d = tmp();
    let Some(_p) = opcua("127.0.77.9", "none", d.path()) else {
        return;
    };
    let r = scan(&["127.0.77.9"], "4840", &[], false, "");
    assert_eq!(
        finding_ids(&r),
        ids(&[
            "SCAN-002@127.0.77.9:4840/tcp",
            "SCAN-003@127.0.77.9:4840/tcp"
        ])
    );
    let s = only_service(&r);
    assert_eq!(s.facts["security_modes"], serde_json::json!(["None"]));
    assert_eq!(s.facts["security_policies"], serde_json::json!(["None"]));
    assert_eq!(
        s.identity.get("application_uri").map(String::as_str),
        Some("urn:skjold:test:opcua")
    );
}

#[test]
fn asyncua_basic256sha256_only_has_no_finding() {
    let d = tmp();
    let Some(_p) = opcua("127.0.77.10", "secure", d.path()) else {
        return;
    };
    let r = scan(&["127.0.77.10"], "4840", &[], false, "");
    assert_eq!(finding_ids(&r), Vec::<String>::new(), "{:#?}", r.hosts);
    let s = only_service(&r);
    assert_eq!(s.status, ProbeStatus::Identified, "{s:#?}");
    assert_eq!(
        s.facts["security_modes"],
        serde_json::json!(["SignAndEncrypt"])
    );
    assert_eq!(
        s.facts["security_policies"],
        serde_json::json!(["Basic256Sha256"])
    );
    assert_eq!(s.facts["user_token_types"], serde_json::json!(["UserName"]));
}

#[test]
fn aiocoap_well_known_core() {
    if !have_python("aiocoap") && missing("python3 aiocoap") {
        return;
    }
    let d = tmp();
    let mut p = spawn(
        "aiocoap",
        "python3",
        &[
            peers::dir().join("coap_server.py").to_str().unwrap(),
            "127.0.77.11",
            "5683",
        ],
        d.path(),
    );
    // UDP: poll with the probe itself until the server answers (or exits).
    let t0 = std::time::Instant::now();
    let r = loop {
        let r = scan(&["127.0.77.11"], "1", &[(5683, Proto::Coap)], false, "");
        if !r.hosts.is_empty() || t0.elapsed().as_secs() > 20 {
            break r;
        }
        assert!(
            !p.exited(),
            "aiocoap exited: {}",
            std::fs::read_to_string(d.path().join("aiocoap.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(finding_ids(&r), ids(&["SCAN-009@127.0.77.11:5683/udp"]));
    let s = only_service(&r);
    let res = s.facts["resources"].as_array().unwrap();
    assert!(res.contains(&serde_json::json!("/sensors/temp")), "{res:?}");
    assert!(
        res.contains(&serde_json::json!("/actuators/valve")),
        "{res:?}"
    );
}

#[test]
fn snap7_server() {
    if !have_python("snap7") && missing("python3 python-snap7") {
        return;
    }
    let d = tmp();
    let mut p = spawn(
        "snap7",
        "python3",
        &[
            peers::dir().join("s7_server.py").to_str().unwrap(),
            "127.0.77.12",
            "1102",
        ],
        d.path(),
    );
    wait_tcp("127.0.77.12:1102", &mut p, d.path());
    let r = scan(&["127.0.77.12"], "1102/s7", &[], false, "");
    assert_eq!(finding_ids(&r), ids(&["SCAN-022@127.0.77.12:1102/tcp"]));
    let s = only_service(&r);
    assert_eq!(s.protocol, "s7comm");
    assert_eq!(s.fact_bool("setup_accepted"), Some(true));
    // SZL 0x0011 (module identification) as python-snap7 serves it.
    assert_eq!(
        s.identity.get("order_number").map(String::as_str),
        Some("6ES7 315-2EH14-0AB0")
    );
}
