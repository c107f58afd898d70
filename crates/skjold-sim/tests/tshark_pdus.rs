//! Wireshark conformance of every PDU the simulator sends: a client talks to each service of a
//! small fleet through a tap that records both directions; the exchanges are written as a pcap
//! (raw IPv4, with TCP handshakes) and dissected by `tshark -r`, which must report no malformed
//! packet and no error, and must decode the identification answers with the expected fields.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use skjold_sim::spec::profile;
use skjold_sim::{BlockingFleet, CertKind, Credential, FleetSpec, Protocol};

/// One recorded conversation: TCP or UDP, server address, segments (from client?, bytes).
struct Conv {
    tcp: bool,
    server: SocketAddr,
    segs: Vec<(bool, Vec<u8>)>,
}

/// A TCP stream that records what goes each way.
struct Tap {
    s: TcpStream,
    segs: Vec<(bool, Vec<u8>)>,
}

impl Tap {
    fn new(a: SocketAddr) -> Self {
        let s = TcpStream::connect_timeout(&a, Duration::from_secs(3)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        Tap {
            s,
            segs: Vec::new(),
        }
    }
    fn push(&mut self, client: bool, b: &[u8]) {
        match self.segs.last_mut() {
            Some((c, v)) if *c == client => v.extend_from_slice(b),
            _ => self.segs.push((client, b.to_vec())),
        }
    }
    /// Send `b`, then read everything that arrives within the timeout.
    fn say(&mut self, b: &[u8]) {
        self.write_all(b).unwrap();
        self.drain();
    }
    /// Read the reply: wait up to a second for its first bytes, then until 100 ms of quiet.
    fn drain(&mut self) {
        let mut buf = [0u8; 8192];
        self.s
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        while let Ok(n) = self.read(&mut buf) {
            if n == 0 {
                break;
            }
            self.s
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
        }
    }
    fn conv(self, server: SocketAddr) -> Conv {
        Conv {
            tcp: true,
            server,
            segs: self.segs,
        }
    }
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.s.read(buf)?;
        self.push(false, &buf[..n]);
        Ok(n)
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.s.write(buf)?;
        self.push(true, &buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.s.flush()
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn udp_conv(a: SocketAddr, reqs: &[Vec<u8>]) -> Conv {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut segs = Vec::new();
    for r in reqs {
        s.send_to(r, a).unwrap();
        segs.push((true, r.clone()));
        let mut buf = [0u8; 2048];
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            segs.push((false, buf[..n].to_vec()));
        }
    }
    Conv {
        tcp: false,
        server: a,
        segs,
    }
}

/// Classic pcap, link type 101 (raw IP).
fn pcap(convs: &[Conv]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xA1B2_C3D4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(65_535u32.to_le_bytes());
    out.extend(101u32.to_le_bytes());
    let mut t = 1_700_000_000u32;
    let mut us = 0u32;
    let mut packet = |out: &mut Vec<u8>, p: Vec<u8>| {
        us += 1000;
        if us >= 1_000_000 {
            us = 0;
            t += 1;
        }
        out.extend(t.to_le_bytes());
        out.extend(us.to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend(p);
    };
    let client_ip = Ipv4Addr::LOCALHOST;
    for (i, c) in convs.iter().enumerate() {
        let SocketAddr::V4(server) = c.server else {
            panic!()
        };
        let cport = 40_000 + i as u16;
        let ip = |from_client: bool, proto: u8, l4: Vec<u8>| {
            let (src, dst) = if from_client {
                (client_ip, *server.ip())
            } else {
                (*server.ip(), client_ip)
            };
            let mut h = vec![0x45, 0];
            h.extend(((20 + l4.len()) as u16).to_be_bytes());
            h.extend([0, 0, 0x40, 0, 64, proto, 0, 0]);
            h.extend(src.octets());
            h.extend(dst.octets());
            let mut sum = 0u32;
            for w in h.chunks(2) {
                sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
            }
            while sum > 0xFFFF {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }
            h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
            h.extend(l4);
            h
        };
        let ports = |from_client: bool| {
            if from_client {
                (cport, server.port())
            } else {
                (server.port(), cport)
            }
        };
        if !c.tcp {
            for (fc, data) in &c.segs {
                let (sp, dp) = ports(*fc);
                let mut u = sp.to_be_bytes().to_vec();
                u.extend(dp.to_be_bytes());
                u.extend(((8 + data.len()) as u16).to_be_bytes());
                u.extend([0, 0]);
                u.extend(data);
                packet(&mut out, ip(*fc, 17, u));
            }
            continue;
        }
        let (mut cseq, mut sseq) = (1000u32, 5000u32);
        let tcp = |fc: bool, seq: u32, ack: u32, flags: u8, data: &[u8]| {
            let (sp, dp) = ports(fc);
            let mut t = sp.to_be_bytes().to_vec();
            t.extend(dp.to_be_bytes());
            t.extend(seq.to_be_bytes());
            t.extend(ack.to_be_bytes());
            t.extend([0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
            t.extend(data);
            ip(fc, 6, t)
        };
        packet(&mut out, tcp(true, cseq, 0, 0x02, &[]));
        packet(&mut out, tcp(false, sseq, cseq + 1, 0x12, &[]));
        cseq += 1;
        sseq += 1;
        packet(&mut out, tcp(true, cseq, sseq, 0x10, &[]));
        for (fc, data) in &c.segs {
            for chunk in data.chunks(1400) {
                if *fc {
                    packet(&mut out, tcp(true, cseq, sseq, 0x18, chunk));
                    cseq += chunk.len() as u32;
                } else {
                    packet(&mut out, tcp(false, sseq, cseq, 0x18, chunk));
                    sseq += chunk.len() as u32;
                }
            }
        }
        packet(&mut out, tcp(true, cseq, sseq, 0x11, &[]));
        packet(&mut out, tcp(false, sseq, cseq + 1, 0x11, &[]));
        packet(&mut out, tcp(true, cseq + 1, sseq + 1, 0x10, &[]));
    }
    out
}

fn dnp3_crc(d: &[u8]) -> [u8; 2] {
    skjold_sim::proto::dnp3::crc(d).to_le_bytes()
}

fn ua_string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as i32).to_le_bytes().to_vec();
    v.extend(s.as_bytes());
    v
}

fn ua(kind: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = kind.to_vec();
    v.extend(((8 + body.len()) as u32).to_le_bytes());
    v.extend(body);
    v
}

fn ua_request_header(handle: u32) -> Vec<u8> {
    let mut h = vec![0, 0];
    h.extend(0i64.to_le_bytes());
    h.extend(handle.to_le_bytes());
    h.extend(0u32.to_le_bytes());
    h.extend((-1i32).to_le_bytes());
    h.extend(10_000u32.to_le_bytes());
    h.extend([0, 0, 0]);
    h
}

fn opcua(a: SocketAddr) -> Conv {
    let mut t = Tap::new(a);
    let url = format!("opc.tcp://{a}");
    let mut hel = Vec::new();
    for v in [0u32, 65536, 65536, 0, 0] {
        hel.extend(v.to_le_bytes());
    }
    hel.extend(ua_string(&url));
    t.say(&ua(b"HELF", &hel));
    let mut opn = 0u32.to_le_bytes().to_vec();
    opn.extend(ua_string("http://opcfoundation.org/UA/SecurityPolicy#None"));
    opn.extend((-1i32).to_le_bytes());
    opn.extend((-1i32).to_le_bytes());
    opn.extend(1u32.to_le_bytes());
    opn.extend(1u32.to_le_bytes());
    opn.extend([1, 0, 0xBE, 1]);
    opn.extend(ua_request_header(1));
    for v in [0u32, 0, 1] {
        opn.extend(v.to_le_bytes());
    }
    opn.extend(0i32.to_le_bytes());
    opn.extend(3_600_000u32.to_le_bytes());
    t.say(&ua(b"OPNF", &opn));
    let channel = t.segs.last().unwrap().1[8..12].to_vec();
    let mut msg = channel.clone();
    for v in [1u32, 2, 2] {
        msg.extend(v.to_le_bytes());
    }
    msg.extend([1, 0, 0xAC, 1]);
    msg.extend(ua_request_header(2));
    msg.extend(ua_string(&url));
    msg.extend(0i32.to_le_bytes());
    msg.extend(0i32.to_le_bytes());
    t.say(&ua(b"MSGF", &msg));
    // FindServers (422), then a Read (631) that the server refuses with a ServiceFault.
    let mut fs = channel.clone();
    for v in [1u32, 3, 3] {
        fs.extend(v.to_le_bytes());
    }
    fs.extend([1, 0, 0xA6, 1]);
    fs.extend(ua_request_header(3));
    fs.extend(ua_string(&url));
    fs.extend(0i32.to_le_bytes());
    fs.extend(0i32.to_le_bytes());
    t.say(&ua(b"MSGF", &fs));
    let mut rd = channel.clone();
    for v in [1u32, 4, 4] {
        rd.extend(v.to_le_bytes());
    }
    rd.extend([1, 0, 0x77, 2]);
    rd.extend(ua_request_header(4));
    rd.extend(0f64.to_le_bytes());
    rd.extend(0u32.to_le_bytes());
    rd.extend(0i32.to_le_bytes());
    t.say(&ua(b"MSGF", &rd));
    // CloseSecureChannel with its CloseSecureChannelRequest body (452).
    let mut clo = channel;
    for v in [1u32, 5, 5] {
        clo.extend(v.to_le_bytes());
    }
    clo.extend([1, 0, 0xC4, 1]);
    clo.extend(ua_request_header(5));
    t.say(&ua(b"CLOF", &clo));
    t.conv(a)
}

fn mqtt(a: SocketAddr, level: u8, user: Option<(&str, &str)>) -> Conv {
    let mut t = Tap::new(a);
    let mut b = vec![0, 4, b'M', b'Q', b'T', b'T', level, 0x02, 0, 60];
    if level == 5 {
        b.push(0);
    }
    b.extend([0, 4]);
    b.extend(b"scan");
    if let Some((u, p)) = user {
        b[7] = 0xC2;
        b.extend((u.len() as u16).to_be_bytes());
        b.extend(u.as_bytes());
        b.extend((p.len() as u16).to_be_bytes());
        b.extend(p.as_bytes());
    }
    let mut p = vec![0x10, b.len() as u8];
    p.extend(b);
    t.say(&p);
    let mut sub = vec![0x82, 0, 0, 1];
    if level == 5 {
        sub.push(0);
    }
    sub.extend([0, 6]);
    sub.extend(b"$SYS/#");
    sub.push(0);
    sub[1] = (sub.len() - 2) as u8;
    t.say(&sub);
    t.say(&[0xC0, 0]);
    t.say(&[0xE0, 0]);
    t.conv(a)
}

fn tls_http(f: &BlockingFleet, dev: usize) -> Conv {
    let a = f.service_addr(dev, Protocol::Https).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(f.ca_der().to_vec()))
        .unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let host = f.spec().devices[dev].identity.hostname.clone();
    let name = rustls::pki_types::ServerName::try_from(host).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let mut tap = Tap::new(a);
    {
        let mut s = rustls::Stream::new(&mut conn, &mut tap);
        s.write_all(b"GET / HTTP/1.1\r\nHost: device\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 401"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    tap.conv(a)
}

/// Run tshark over `file` with `args`, returning stdout.
fn tshark(file: &str, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(["-n", "-r", file])
        .args(args)
        .output()
        .expect("tshark runs (the CI installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_pdu_is_dissected_by_tshark_without_error() {
    let mut weak = profile("everything", 0, 0).unwrap();
    weak.weaknesses.default_credentials = Some(Credential::new("admin", "admin"));
    weak.weaknesses.anonymous_ftp = true;
    weak.weaknesses.anonymous_mqtt = true;
    weak.weaknesses.opcua_security_none = true;
    weak.weaknesses.certificate = CertKind::Valid;
    weak.weaknesses.open_http = false;
    weak.weaknesses.snmp_public = true;
    let spec = FleetSpec {
        base: "127.0.1.1".parse().unwrap(),
        port_offset: 0,
        devices: vec![weak],
    };
    let f = BlockingFleet::start_anywhere(spec).unwrap();
    let at = |p| f.service_addr(0, p).unwrap();
    let mut convs = Vec::new();

    let mut t = Tap::new(at(Protocol::Modbus));
    for req in [
        "0001 0000 0006 01 03 0000 000a",
        "0002 0000 0006 01 01 0000 0010",
        "0003 0000 0005 01 2b 0e 01 00",
        "0004 0000 0005 01 2b 0e 02 00",
        "0005 0000 0005 01 2b 0e 04 05",
        "0006 0000 0002 01 11",
        "0007 0000 0006 01 06 0001 002a",
        "0008 0000 0006 01 03 2710 0001",
        "0009 0000 0002 01 07",
    ] {
        t.say(&hex(req));
    }
    convs.push(t.conv(at(Protocol::Modbus)));

    let mut t = Tap::new(at(Protocol::S7));
    for req in [
        "0300001611e00000001400c1020100c2020102c0010a",
        "0300001902f08032010000000000080000f0000001000101e0",
        "0300002102f080320700000000000800080001120411440100ff09000400110000",
        "0300002102f080320700000000000800080001120411440100ff090004001c0000",
        "0300002102f080320700000000000800080001120411440100ff09000400990000",
        "03000024 02f080 3201 0000 0100 000e 0005 0501120a100200010001840000 00 0004 0008 2a",
    ] {
        t.say(&hex(req));
    }
    convs.push(t.conv(at(Protocol::S7)));

    let mut t = Tap::new(at(Protocol::Enip));
    t.say(&hex("63000000000000000000000000000000c1debed100000000"));
    t.say(&hex("04000000000000000000000000000000000000000000000000")[..24]);
    t.say(&hex(
        "650004000000000000000000000000000000000000000000 01000000",
    ));
    convs.push(t.conv(at(Protocol::Enip)));
    convs.push(udp_conv(
        at(Protocol::Enip),
        &[hex("63000000000000000000000000000000c1debed100000000")],
    ));

    let mut bac = vec![hex("810b000c0120ffff00ff1008"), hex("810a00080100 1008")];
    for (inv, prop) in [
        (1u8, 0x4D_u8),
        (2, 0x79),
        (3, 0x78),
        (4, 0x46),
        (5, 0x2C),
        (6, 0x0C),
        (7, 0x1C),
        (8, 0x3A),
        (9, 0x4B),
        (10, 0x01),
    ] {
        let mut r = hex("810a0011 0104 0005");
        r.extend([inv, 0x0C, 0x0C, 0x02, 0x3F, 0xFF, 0xFF, 0x19, prop]);
        bac.push(r);
    }
    bac.push(hex("810a001101040005100c0c000000011955"));
    bac.push(hex("810a001a01040005090f0c023fffff194d3e750500746573743f"));
    convs.push(udp_conv(at(Protocol::Bacnet), &bac));

    let mut t = Tap::new(at(Protocol::Dnp3));
    let h = hex("056405c90a000100");
    t.say(&[h.clone(), dnp3_crc(&h).to_vec()].concat());
    let h = hex("056405c00a000100");
    t.say(&[h.clone(), dnp3_crc(&h).to_vec()].concat());
    let u = hex("c0c1013c0106");
    let h = hex("05640bc40a000100");
    t.say(
        &[
            h.clone(),
            dnp3_crc(&h).to_vec(),
            u.clone(),
            dnp3_crc(&u).to_vec(),
        ]
        .concat(),
    );
    convs.push(t.conv(at(Protocol::Dnp3)));

    let mut t = Tap::new(at(Protocol::Iec104));
    t.say(&hex("680443000000"));
    t.say(&hex("680407000000"));
    t.say(&hex("680e0000000064010600010000000014"));
    t.say(&hex("680413000000"));
    convs.push(t.conv(at(Protocol::Iec104)));

    convs.push(opcua(at(Protocol::Opcua)));
    convs.push(mqtt(at(Protocol::Mqtt), 4, None));
    convs.push(mqtt(at(Protocol::Mqtt), 5, Some(("admin", "admin"))));
    convs.push(mqtt(at(Protocol::Mqtt), 3, None));

    let mut wk = hex("4001 0101 bb");
    wk.extend(b".well-known");
    wk.push(0x04);
    wk.extend(b"core");
    let mut non = hex("5101 0202 aa bb");
    non.extend(b".well-known");
    non.push(0x04);
    non.extend(b"core");
    convs.push(udp_conv(
        at(Protocol::Coap),
        &[
            wk,
            non,
            hex("4001 0303 b7 73656e736f7273 04 74656d70"),
            hex("4001 0404 b4 6e6f7065"),
            hex("4003 0505 b6 646576696365"),
            hex("4000 0606"),
        ],
    ));

    // SNMP v1 and v2c Get of sysDescr.0, v2c GetNext of system, v1 Get of an unknown OID.
    convs.push(udp_conv(
        at(Protocol::Snmp),
        &[
            hex("3026 020101 0406 7075626c6963 a019 020101 020100 020100 300e 300c 0608 2b06010201010100 0500"),
            hex("3026 020100 0406 7075626c6963 a019 020102 020100 020100 300e 300c 0608 2b06010201010100 0500"),
            hex("3025 020101 0406 7075626c6963 a118 020103 020100 020100 300d 300b 0607 2b060102010101 0500"),
            hex("3026 020100 0406 7075626c6963 a019 020104 020100 020100 300e 300c 0608 2b06010201010900 0500"),
        ],
    ));

    let mut t = Tap::new(at(Protocol::Http));
    t.say(b"GET / HTTP/1.1\r\nHost: device\r\n\r\n");
    convs.push(t.conv(at(Protocol::Http)));
    let mut t = Tap::new(at(Protocol::Http));
    t.say(b"GET / HTTP/1.1\r\nHost: device\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n");
    convs.push(t.conv(at(Protocol::Http)));
    convs.push(tls_http(&f, 0));

    let mut t = Tap::new(at(Protocol::Ssh));
    t.drain();
    t.say(b"SSH-2.0-skjold_test\r\n");
    convs.push(t.conv(at(Protocol::Ssh)));
    let mut t = Tap::new(at(Protocol::Telnet));
    t.drain();
    t.say(b"admin\r\n");
    t.say(b"admin\r\n");
    convs.push(t.conv(at(Protocol::Telnet)));
    let mut t = Tap::new(at(Protocol::Ftp));
    t.drain();
    for c in [
        "USER anonymous\r\n",
        "PASS a@b\r\n",
        "SYST\r\n",
        "FEAT\r\n",
        "PWD\r\n",
        "STOR x\r\n",
        "QUIT\r\n",
    ] {
        t.say(c.as_bytes());
    }
    convs.push(t.conv(at(Protocol::Ftp)));

    let dir = std::env::temp_dir().join(format!("skjold-sim-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fleet.pcap");
    std::fs::write(&file, pcap(&convs)).unwrap();
    let file = file.to_str().unwrap();

    // No malformed packet, no error or warning from any dissector.
    let expert = tshark(file, &["-q", "-z", "expert,warn"]);
    assert!(
        !expert.contains("Errors") && !expert.contains("Warns"),
        "{expert}"
    );
    let malformed = tshark(
        file,
        &["-Y", "_ws.malformed || _ws.expert.severity >= warning"],
    );
    assert_eq!(malformed, "", "malformed PDUs:\n{malformed}");

    // The identification answers decode with the expected fields.
    let id = &f.spec().devices[0].identity;
    let fields = |filter: &str, fs: &[&str]| {
        let mut args = vec!["-Y", filter, "-T", "fields", "-E", "separator=|"];
        for x in fs {
            args.push("-e");
            args.push(x);
        }
        tshark(file, &args)
    };
    let modbus = fields(
        "mbtcp && tcp.srcport == 502",
        &["modbus.func_code", "modbus.object_str_value"],
    );
    let mut want = String::new();
    for line in [
        "3|".to_string(),
        "1|".into(),
        format!("43|{},{},{}", id.vendor, id.product_code, id.firmware),
        format!(
            "43|{},{},{},{},{},{},{}",
            id.vendor,
            id.product_code,
            id.firmware,
            id.vendor_url,
            id.product,
            id.model,
            id.plant_id
        ),
        format!("43|{}", id.model),
        "17|".into(),
        "6|".into(),
        "3|".into(),
        "7|".into(),
    ] {
        writeln!(want, "{line}").unwrap();
    }
    assert_eq!(modbus, want);
    let s7 = fields(
        "s7comm.data.userdata.szl_id && tcp.srcport == 102",
        &[
            "s7comm.data.userdata.szl_id",
            "s7comm.szl.xy11.0001.anz",
            "s7comm.szl.001c.0002.name",
            "s7comm.szl.001c.0005.serialn",
        ],
    );
    let mlfb = format!("{:<20}", id.order_number);
    assert_eq!(
        s7.lines().collect::<Vec<_>>(),
        [
            format!("0x0011|{mlfb},{mlfb},{:20}||", ""),
            format!("0x001c||{}|{}", id.module_name, id.serial)
        ]
    );
    // The unknown SZL 0x0099 is refused with error 0xD401 and no data.
    let refused = fields("s7comm.param.errcod == 0xd401", &["s7comm.data.returncode"]);
    assert_eq!(refused, "0x0a\n");
    let enip = fields(
        "enip.lir.name",
        &[
            "enip.lir.name",
            "enip.lir.vendor",
            "enip.lir.devtype",
            "enip.lir.serial",
        ],
    );
    let line = format!("{}|0x{:04x}|{}|", id.product, id.vendor_id, id.device_type);
    assert_eq!(
        enip.lines().filter(|l| l.starts_with(&line)).count(),
        2,
        "{enip}"
    );
    let bacnet = tshark(file, &["-Y", "bacapp.type == 3", "-V"]);
    for (prop, v) in [
        ("object-name", &id.module_name),
        ("vendor-name", &id.vendor),
        ("model-name", &id.model),
        ("firmware-revision", &id.firmware),
        ("application-software-version", &id.firmware),
        ("description", &id.product),
        ("location", &id.plant_id),
    ] {
        // tshark labels object-name "Object Name: X" and the others "name: UTF-8 'X'".
        let quoted = format!("{prop}: UTF-8 '{v}'");
        let plain = format!("Object Name: {v}\n");
        assert!(
            bacnet.contains(&quoted) || (prop == "object-name" && bacnet.contains(&plain)),
            "{prop} {v} not in {bacnet}"
        );
    }
    let dnp3 = fields(
        "dnp3 && tcp.srcport != 20000 || dnp3 && tcp.srcport == 20000",
        &["dnp3.ctl.prifunc", "dnp3.ctl.secfunc", "dnp3.al.func"],
    );
    assert!(dnp3.contains("|11|"), "link status: {dnp3}");
    assert!(dnp3.contains("129"), "null response: {dnp3}");
    let iec = fields("iec60870_104", &["iec60870_104.utype"]);
    // TESTFR act/con, STARTDT act/con, I (interrogation) and S (ack), STOPDT act/con.
    assert_eq!(
        iec.lines().collect::<Vec<_>>(),
        [
            "0x00000010",
            "0x00000020",
            "0x00000001",
            "0x00000002",
            "",
            "",
            "0x00000004",
            "0x00000008"
        ]
    );
    let ua = fields(
        "opcua.servicenodeid.numeric",
        &["opcua.servicenodeid.numeric"],
    );
    let ids: Vec<&str> = ua.lines().collect();
    assert_eq!(
        ids,
        ["446", "449", "428", "431", "422", "425", "631", "397", "452"]
    );
    let mq = fields(
        "mqtt",
        &["mqtt.msgtype", "mqtt.conack.val", "mqtt.topic", "mqtt.msg"],
    );
    assert!(mq.contains("$SYS/broker/version"), "{mq}");
    let coap = fields(
        "coap && udp.srcport == 5683",
        &["coap.code", "coap.opt.ctype"],
    );
    // 2.05 link-format (CON, NON), 2.05 text, 4.04, 4.05, RST to the ping.
    assert_eq!(
        coap,
        "69|application/link-format\n69|application/link-format\n69|text/plain; charset=utf-8\n132|\n133|\n0|\n"
    );
    let tls = fields(
        "tls.handshake.type == 11",
        &["tls.handshake.certificate_length"],
    );
    assert!(!tls.is_empty(), "TLS 1.2 certificate message decoded");
    let ftp = fields("ftp.response.code", &["ftp.response.code"]);
    assert_eq!(
        ftp.lines().collect::<Vec<_>>(),
        ["220", "331", "230", "215", "211", "257", "550", "221"]
    );
    let ssh = fields("ssh.protocol", &["ssh.protocol"]);
    assert!(ssh.starts_with("SSH-2.0-dropbear_2019.78\n"), "{ssh}");
    let snmp = fields(
        "snmp.data == 2",
        &["snmp.error_status", "snmp.value.octets"],
    );
    let descr = skjold_sim::proto::snmp::sys_descr(id)
        .bytes()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    assert_eq!(snmp.lines().count(), 4, "{snmp}");
    assert!(
        snmp.lines()
            .take(3)
            .all(|l| l.starts_with("0|") && l.contains(&descr)),
        "{snmp}"
    );
    assert!(
        snmp.lines().nth(3).unwrap().starts_with("2|"),
        "noSuchName: {snmp}"
    );
    let http = fields("http.response.code", &["http.response.code", "http.server"]);
    assert_eq!(http.lines().count(), 2, "{http}");
    let _ = std::fs::remove_dir_all(dir);
}
