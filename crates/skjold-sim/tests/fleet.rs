//! Integration tests: start a small fleet on a free loopback /24 and talk to every service with
//! a minimal raw-bytes client, asserting the exact identity answers, the recorder's log, and the
//! behaviour of the misbehaving robustness services.

#![allow(
    clippy::many_single_char_names,
    reason = "f: fleet, s: socket, r: reply in raw-bytes tests"
)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skjold_proto::{modbus, mqtt, Direction};
use skjold_sim::spec::profile;
use skjold_sim::{
    BlockingFleet, CertKind, Credential, FleetSpec, Protocol, ServiceSpec, Transport,
};

const WEAK: usize = 0;
const HARD: usize = 1;
const GARBAGE: usize = 2;
const SILENT: usize = 3;
const CLOSE: usize = 4;
const TRICKLE: usize = 5;

/// Device 0: every protocol, weak; device 1: every protocol, hardened with an expired
/// certificate; devices 2-5: garbage, silent, close and trickle on port 502.
fn fleet() -> BlockingFleet {
    let mut weak = profile("everything", 0, 0).unwrap();
    weak.weaknesses.default_credentials = Some(Credential::new("admin", "admin"));
    weak.weaknesses.anonymous_ftp = true;
    weak.weaknesses.anonymous_mqtt = true;
    weak.weaknesses.open_http = true;
    weak.weaknesses.opcua_security_none = true;
    weak.weaknesses.certificate = CertKind::Valid;
    weak.weaknesses.snmp_public = true;
    let mut hard = profile("everything", 1, 0).unwrap();
    hard.weaknesses = skjold_sim::Weaknesses {
        certificate: CertKind::Expired,
        ..Default::default()
    };
    let mut devices = vec![weak, hard];
    for p in [
        Protocol::Garbage,
        Protocol::Silent,
        Protocol::Close,
        Protocol::Trickle,
    ] {
        let mut d = profile("robust-garbage", 0, 0).unwrap();
        d.services = vec![ServiceSpec::new(p).on(502)];
        devices.push(d);
    }
    let spec = FleetSpec {
        base: "127.0.1.1".parse().unwrap(),
        port_offset: 0,
        devices,
    };
    BlockingFleet::start_anywhere(spec).expect("fleet starts")
}

fn addr(f: &BlockingFleet, dev: usize, p: Protocol) -> SocketAddr {
    f.service_addr(dev, p).expect("service exists")
}

fn connect(a: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&a, Duration::from_secs(3)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s
}

fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut v = vec![0; n];
    s.read_exact(&mut v).expect("reads");
    v
}

/// Send `req` and read one length-prefixed reply: `head` bytes, then `len(head)` more.
fn xfer(s: &mut TcpStream, req: &[u8], head: usize, len: impl Fn(&[u8]) -> usize) -> Vec<u8> {
    s.write_all(req).unwrap();
    let mut v = read_n(s, head);
    let more = len(&v);
    v.extend(read_n(s, more));
    v
}

fn mbap(s: &mut TcpStream, req: &[u8]) -> Vec<u8> {
    xfer(s, req, 7, |h| {
        usize::from(u16::from_be_bytes([h[4], h[5]])) - 1
    })
}

fn tpkt(s: &mut TcpStream, req: &[u8]) -> Vec<u8> {
    xfer(s, req, 4, |h| {
        usize::from(u16::from_be_bytes([h[2], h[3]])) - 4
    })
}

fn udp(a: SocketAddr, req: &[u8]) -> Vec<u8> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.send_to(req, a).unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = s.recv_from(&mut buf).expect("udp reply");
    buf[..n].to_vec()
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn modbus_identification_matches_the_identity_and_is_recorded() {
    let f = fleet();
    let id = f.spec().devices[WEAK].identity.clone();
    let mut s = connect(addr(&f, WEAK, Protocol::Modbus));
    // 43/14, read code 2 (regular), from object 0.
    let r = mbap(&mut s, &[0, 1, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x02, 0x00]);
    let (_, adu) = modbus::parse_adu(&r, Direction::Response).unwrap();
    assert_eq!(adu.flags, modbus::Flags::NONE);
    let modbus::Data::DeviceIdResponse(di) = adu.data else {
        panic!("{adu:?}")
    };
    assert_eq!(
        (di.read_code, di.conformity_level, di.more_follows),
        (2, 0x82, 0)
    );
    let objs: Vec<(u8, String)> = di
        .objects()
        .map(|(i, v)| (i, String::from_utf8(v.to_vec()).unwrap()))
        .collect();
    let want = [
        &id.vendor,
        &id.product_code,
        &id.firmware,
        &id.vendor_url,
        &id.product,
        &id.model,
        &id.plant_id,
    ];
    assert_eq!(objs.len(), 7);
    for (i, (oid, v)) in objs.iter().enumerate() {
        assert_eq!((*oid as usize, v), (i, want[i]));
    }
    // Basic (code 1) stops at object 2; individual (code 4) returns just one object.
    let r = mbap(&mut s, &[0, 2, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x01, 0x00]);
    let (_, adu) = modbus::parse_adu(&r, Direction::Response).unwrap();
    let modbus::Data::DeviceIdResponse(di) = adu.data else {
        panic!()
    };
    assert_eq!(di.objects().count(), 3);
    let r = mbap(&mut s, &[0, 3, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x04, 0x05]);
    let (_, adu) = modbus::parse_adu(&r, Direction::Response).unwrap();
    let modbus::Data::DeviceIdResponse(di) = adu.data else {
        panic!()
    };
    assert_eq!(
        di.objects().collect::<Vec<_>>(),
        vec![(5, id.model.as_bytes())]
    );
    // 17 Report Server ID: server id 1, run indicator ON, then "vendor product firmware".
    let r = mbap(&mut s, &[0, 4, 0, 0, 0, 2, 1, 0x11]);
    let (_, adu) = modbus::parse_adu(&r, Direction::Response).unwrap();
    let modbus::Data::ReportServerId { data, .. } = adu.data else {
        panic!("{adu:?}")
    };
    assert_eq!(
        data,
        [
            &[1u8, 0xFF][..],
            format!("{} {} {}", id.vendor, id.product, id.firmware).as_bytes()
        ]
        .concat()
    );
    // Holding registers: register n holds n.
    let r = mbap(&mut s, &[0, 5, 0, 0, 0, 6, 1, 3, 0, 10, 0, 3]);
    assert_eq!(&r[7..], [3, 6, 0, 10, 0, 11, 0, 12]);
    // Out of range address → exception 2.
    let r = mbap(&mut s, &[0, 6, 0, 0, 0, 6, 1, 3, 0x27, 0x0F, 0, 3]);
    assert_eq!(&r[7..], [0x83, 2]);
    // A write is answered (echo) and recorded as a write.
    let r = mbap(&mut s, &[0, 7, 0, 0, 0, 6, 1, 6, 0, 1, 0, 42]);
    assert_eq!(&r[7..], [6, 0, 1, 0, 42]);
    let reqs: Vec<_> = f
        .requests()
        .into_iter()
        .filter(|r| r.protocol == Protocol::Modbus)
        .collect();
    let summary: Vec<(u32, bool)> = reqs.iter().map(|r| (r.code, r.write)).collect();
    assert_eq!(
        summary,
        [
            (43, false),
            (43, false),
            (43, false),
            (17, false),
            (3, false),
            (3, false),
            (6, true)
        ]
    );
    assert_eq!(reqs[0].service, "read_device_identification 2");
    assert_eq!(reqs[0].addr, f.addr(WEAK));
}

#[test]
fn s7_szl_module_and_component_identification() {
    let f = fleet();
    let id = f.spec().devices[WEAK].identity.clone();
    let mut s = connect(addr(&f, WEAK, Protocol::S7));
    // COTP CR with src-ref 0x0014, TPDU size 1024, src TSAP 0x0100, dst TSAP 0x0102.
    let cr = hex("0300001611e00000001400c1020100c2020102c0010a");
    let cc = tpkt(&mut s, &cr);
    assert_eq!(cc, hex("0300001611d00014000100c1020100c2020102c0010a"));
    let setup = hex("0300001902f08032010000000000080000f0000001000101e0");
    let r = tpkt(&mut s, &setup);
    assert_eq!(
        r,
        hex("0300001b02f080320300000000000800000000f0000001000100f0")
    );
    let szl11 = hex("0300002102f080320700000000000800080001120411440100ff09000400110000");
    let r = tpkt(&mut s, &szl11);
    // Records start after TPKT(4) COTP(3) header(10) param(12) data header(12).
    assert_eq!(r.len(), 41 + 3 * 28);
    assert_eq!(&r[29..41], hex("ff09005c00110000001c0003"));
    assert_eq!(&r[41..43], [0, 1]);
    assert_eq!(&r[43..63], format!("{:<20}", id.order_number).as_bytes());
    let fw = &r[41 + 56..41 + 84];
    let (maj, min, patch) = id.firmware_parts();
    assert_eq!(&fw[..2], [0, 7]);
    assert_eq!(&fw[24..], [b'V', maj, min, patch]);
    let szl1c = hex("0300002102f080320700000000000800080001120411440100ff090004001c0000");
    let r = tpkt(&mut s, &szl1c);
    let text = |k: usize| {
        let rec = &r[41 + k * 34..41 + (k + 1) * 34];
        let t = &rec[2..];
        String::from_utf8(t[..t.iter().position(|&b| b == 0).unwrap_or(32)].to_vec()).unwrap()
    };
    assert_eq!(
        [text(0), text(1), text(2), text(3), text(4), text(5)],
        [
            id.hostname.clone(),
            id.module_name.clone(),
            id.plant_id.clone(),
            "Original Siemens Equipment".to_string(),
            id.serial.clone(),
            id.model.clone()
        ]
    );
    // A write var job is recorded as a write and refused.
    let write =
        hex("03000024 02f080 3201 0000 0100 000e 0005 0501120a100200010001840000 00 0004 0008 2a");
    let r = tpkt(&mut s, &write);
    assert_eq!(&r[7..9], [0x32, 0x03]);
    let log: Vec<(String, bool)> = f
        .requests()
        .into_iter()
        .filter(|r| r.protocol == Protocol::S7)
        .map(|r| (r.service, r.write))
        .collect();
    assert_eq!(
        log,
        [
            ("cotp_connect".to_string(), false),
            ("setup_communication".into(), false),
            ("szl_read 0x0011".into(), false),
            ("szl_read 0x001C".into(), false),
            ("write_var".into(), true)
        ]
    );
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn enip_list_identity_over_tcp_and_udp() {
    let f = fleet();
    let a = addr(&f, WEAK, Protocol::Enip);
    let req = hex("63000000000000000000000000000000c1debed100000000");
    let mut s = connect(a);
    let tcp = xfer(&mut s, &req, 24, |h| {
        usize::from(u16::from_le_bytes([h[2], h[3]]))
    });
    let udp_reply = udp(a, &req);
    assert_eq!(tcp, udp_reply);
    let id = &f.spec().devices[WEAK].identity;
    let item = &tcp[24..];
    assert_eq!(&item[..4], [1, 0, 0x0C, 0]);
    let body = &item[6..];
    assert_eq!(
        &body[2..8],
        [
            0,
            2,
            0xAF,
            0x12,
            127,
            a.ip()
                .to_string()
                .split('.')
                .nth(1)
                .unwrap()
                .parse::<u8>()
                .unwrap()
        ]
    );
    assert_eq!(u16::from_le_bytes([body[18], body[19]]), id.vendor_id);
    assert_eq!(u16::from_le_bytes([body[20], body[21]]), id.device_type);
    let name_len = usize::from(body[32]);
    assert_eq!(&body[33..33 + name_len], id.product.as_bytes());
    assert_eq!(body[33 + name_len], 0x03);
    // RegisterSession assigns a handle.
    let reg = hex("650004000000000000000000000000000000000000000000 01000000");
    let r = xfer(&mut s, &reg, 24, |h| {
        usize::from(u16::from_le_bytes([h[2], h[3]]))
    });
    assert_ne!(&r[4..8], [0, 0, 0, 0]);
    assert_eq!(&r[8..12], [0, 0, 0, 0]);
    let transports: Vec<Transport> = f
        .requests()
        .iter()
        .filter(|r| r.protocol == Protocol::Enip)
        .map(|r| r.transport)
        .collect();
    assert_eq!(transports.len(), 3);
    assert!(transports.contains(&Transport::Udp));
}

#[test]
fn bacnet_who_is_and_read_property() {
    let f = fleet();
    let a = addr(&f, WEAK, Protocol::Bacnet);
    let id = f.spec().devices[WEAK].identity.clone();
    // Who-Is broadcast (global DNET) → I-Am.
    let r = udp(a, &hex("810b000c0120ffff00ff1008"));
    let inst = (8u32 << 22) | id.device_instance;
    let mut want = hex("810a0014 0100 1000 c4");
    want.extend(inst.to_be_bytes());
    want.extend(hex("2205c4 9103"));
    want.extend([0x22]);
    want.extend(id.vendor_id.to_be_bytes());
    want[3] = want.len() as u8;
    assert_eq!(r, want);
    // ReadProperty vendor-name (121) of the wildcard device.
    let r = udp(a, &hex("810a001101040005070c0c023fffff1979"));
    let mut want = hex("810a0000 0100 30070c 0c");
    want.extend(inst.to_be_bytes());
    want.extend(hex("1979 3e 75"));
    want.push((id.vendor.len() + 1) as u8);
    want.push(0);
    want.extend(id.vendor.as_bytes());
    want.push(0x3F);
    want[3] = want.len() as u8;
    assert_eq!(r, want);
    // Unknown property → Error property/unknown-property.
    let r = udp(a, &hex("810a001101040005080c0c023fffff1901"));
    assert_eq!(&r[6..], hex("50080c 9102 9120"));
    // WriteProperty → Error write-access-denied, recorded as write.
    let r = udp(
        a,
        &hex("810a001a01040005090f0c023fffff194d3e750500746573743f"),
    );
    assert_eq!(&r[6..], [0x50, 9, 15, 0x91, 2, 0x91, 40]);
    let log: Vec<(u32, bool)> = f
        .requests()
        .iter()
        .filter(|r| r.protocol == Protocol::Bacnet)
        .map(|r| (r.code, r.write))
        .collect();
    assert_eq!(log, [(0x108, false), (12, false), (12, false), (15, true)]);
}

#[test]
fn dnp3_link_status_and_iec104_testfr() {
    let f = fleet();
    let mut s = connect(addr(&f, WEAK, Protocol::Dnp3));
    s.write_all(&hex("056405c90a000100fEda")).unwrap();
    // Link status from 10 to 1, DIR=0 PRM=0 function 11, CRC as tshark computes.
    let r = read_n(&mut s, 10);
    assert_eq!(&r[..8], hex("0564050b01000a00"));
    assert_eq!(r[8..], skjold_sim::proto::dnp3::crc(&r[..8]).to_le_bytes());
    let mut s = connect(addr(&f, WEAK, Protocol::Iec104));
    s.write_all(&hex("680443000000")).unwrap();
    assert_eq!(read_n(&mut s, 6), hex("680483000000"));
    s.write_all(&hex("680407000000")).unwrap();
    assert_eq!(read_n(&mut s, 6), hex("68040b000000"));
    let log: Vec<(Protocol, String, bool)> = f
        .requests()
        .into_iter()
        .map(|r| (r.protocol, r.service, r.write))
        .collect();
    assert_eq!(
        log,
        [
            (Protocol::Dnp3, "request_link_status".to_string(), false),
            (Protocol::Iec104, "testfr_act".into(), false),
            (Protocol::Iec104, "startdt_act".into(), true)
        ]
    );
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

/// HEL, OPN (None), `GetEndpoints`; returns the `GetEndpoints` response.
fn opcua_endpoints(a: SocketAddr) -> Vec<u8> {
    let mut s = connect(a);
    let url = format!("opc.tcp://{a}");
    let mut hel = Vec::new();
    for v in [0u32, 65536, 65536, 0, 0] {
        hel.extend(v.to_le_bytes());
    }
    hel.extend(ua_string(&url));
    let len = |h: &[u8]| u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize - 8;
    let ack = xfer(&mut s, &ua(b"HELF", &hel), 8, len);
    assert_eq!(&ack[..8], b"ACKF\x1c\x00\x00\x00");
    let header = |handle: u32| {
        let mut h = vec![0, 0];
        h.extend(0i64.to_le_bytes());
        h.extend(handle.to_le_bytes());
        h.extend(0u32.to_le_bytes());
        h.extend((-1i32).to_le_bytes());
        h.extend(10_000u32.to_le_bytes());
        h.extend([0, 0, 0]);
        h
    };
    let mut opn = 0u32.to_le_bytes().to_vec();
    opn.extend(ua_string("http://opcfoundation.org/UA/SecurityPolicy#None"));
    opn.extend((-1i32).to_le_bytes());
    opn.extend((-1i32).to_le_bytes());
    opn.extend(1u32.to_le_bytes());
    opn.extend(1u32.to_le_bytes());
    opn.extend([1, 0, 0xBE, 1]);
    opn.extend(header(1));
    for v in [0u32, 0, 1] {
        opn.extend(v.to_le_bytes());
    }
    opn.extend(0i32.to_le_bytes());
    opn.extend(3_600_000u32.to_le_bytes());
    let r = xfer(&mut s, &ua(b"OPNF", &opn), 8, len);
    assert_eq!(&r[..4], b"OPNF");
    let channel = r[8..12].to_vec();
    let mut msg = channel;
    for v in [1u32, 2, 2] {
        msg.extend(v.to_le_bytes());
    }
    msg.extend([1, 0, 0xAC, 1]);
    msg.extend(header(2));
    msg.extend(ua_string(&url));
    msg.extend(0i32.to_le_bytes());
    msg.extend(0i32.to_le_bytes());
    let r = xfer(&mut s, &ua(b"MSGF", &msg), 8, len);
    assert_eq!(&r[24..28], [1, 0, 0xAF, 1], "GetEndpointsResponse");
    r
}

#[test]
fn opcua_get_endpoints_offers_none_only_on_the_weak_device() {
    let f = fleet();
    let weak = opcua_endpoints(addr(&f, WEAK, Protocol::Opcua));
    let hard = opcua_endpoints(addr(&f, HARD, Protocol::Opcua));
    let none = b"SecurityPolicy#None";
    assert!(find(&weak, none));
    assert!(!find(&hard, none));
    assert!(find(&hard, b"SecurityPolicy#Basic256Sha256"));
    // Endpoint count: 3 on the weak device, 2 on the hardened one (right after the header).
    let count =
        |r: &[u8]| i32::from_le_bytes(r[28 + 8 + 4 + 4 + 1 + 4 + 3..][..4].try_into().unwrap());
    assert_eq!((count(&weak), count(&hard)), (3, 2));
    assert!(find(
        &weak,
        f.spec().devices[WEAK].identity.product.as_bytes()
    ));
    assert!(f.requests().iter().all(|r| !r.write));
    assert!(f.requests().iter().any(|r| r.service == "get_endpoints"));
}

fn mqtt_packet(s: &mut TcpStream) -> Vec<u8> {
    let mut v = read_n(s, 2);
    let len = usize::from(v[1]);
    assert!(len < 128);
    v.extend(read_n(s, len));
    v
}

#[test]
fn mqtt_anonymous_access_and_sys_version() {
    let f = fleet();
    let connect_pkt = |user: Option<(&str, &str)>| {
        let mut b = hex("00044d5154540400003c");
        b.extend(hex("0004"));
        b.extend(b"scan");
        if let Some((u, p)) = user {
            b[7] = 0xC2;
            b.extend((u.len() as u16).to_be_bytes());
            b.extend(u.as_bytes());
            b.extend((p.len() as u16).to_be_bytes());
            b.extend(p.as_bytes());
        } else {
            b[7] = 0x02;
        }
        let mut p = vec![0x10, b.len() as u8];
        p.extend(b);
        p
    };
    let conn_rc = |dev: usize, user| {
        let mut s = connect(addr(&f, dev, Protocol::Mqtt));
        s.write_all(&connect_pkt(user)).unwrap();
        let r = mqtt_packet(&mut s);
        let (_, p) = mqtt::parse_packet(&r, 4, 1024).unwrap();
        let mqtt::Body::ConnAck(ack) = p.body else {
            panic!()
        };
        (ack.return_code, s)
    };
    assert_eq!(conn_rc(HARD, None).0, 5);
    assert_eq!(conn_rc(HARD, Some(("admin", "admin"))).0, 4);
    assert_eq!(conn_rc(WEAK, Some(("admin", "admin"))).0, 0);
    let (rc, mut s) = conn_rc(WEAK, None);
    assert_eq!(rc, 0);
    let mut sub = vec![0x82, 0];
    sub.extend(hex("0001"));
    sub.extend(hex("0013"));
    sub.extend(b"$SYS/broker/version");
    sub.push(0);
    sub[1] = (sub.len() - 2) as u8;
    s.write_all(&sub).unwrap();
    let ack = mqtt_packet(&mut s);
    assert_eq!(ack, [0x90, 3, 0, 1, 0]);
    let publ = mqtt_packet(&mut s);
    let (_, p) = mqtt::parse_packet(&publ, 4, 1024).unwrap();
    let mqtt::Body::Publish(pb) = p.body else {
        panic!()
    };
    assert_eq!(pb.topic, b"$SYS/broker/version");
    let fw = &f.spec().devices[WEAK].identity.firmware;
    assert_eq!(pb.payload, format!("mosquitto version {fw}").as_bytes());
    let logins = f.requests().iter().filter(|r| r.login).count();
    assert_eq!(logins, 2);
}

#[test]
fn coap_well_known_core() {
    let f = fleet();
    let a = addr(&f, WEAK, Protocol::Coap);
    let mut req = hex("4201 1234 abcd");
    req.push(0xBB);
    req.extend(b".well-known");
    req.push(0x04);
    req.extend(b"core");
    let r = udp(a, &req);
    // ACK, token length 2, 2.05 Content, same message id and token, Content-Format 40.
    assert_eq!(&r[..9], hex("6245 1234 abcd c1 28 ff"));
    let want = skjold_sim::proto::coap::link_format(&f.spec().devices[WEAK].identity);
    assert_eq!(&r[9..], want.as_bytes());
    // PUT is refused with 4.05 and recorded as a write.
    let r = udp(a, &hex("4003 2222 b7 73656e736f7273"));
    assert_eq!(r[1], 0x85);
    let log: Vec<bool> = f.requests().iter().map(|r| r.write).collect();
    assert_eq!(log, [false, true]);
}

fn http_get(s: &mut impl ReadWrite, auth: Option<&str>) -> String {
    let mut req = "GET / HTTP/1.1\r\nHost: device\r\n".to_string();
    if let Some(a) = auth {
        req = req + "Authorization: Basic " + a + "\r\n";
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[test]
fn http_basic_auth_title_and_server() {
    let f = fleet();
    let hard = &f.spec().devices[HARD];
    let r = http_get(&mut connect(addr(&f, HARD, Protocol::Http)), None);
    assert!(r.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{r}");
    assert!(r.contains(&format!(
        "WWW-Authenticate: Basic realm=\"{}\"\r\n",
        hard.identity.product
    )));
    // admin:admin is refused on the hardened device...
    let r = http_get(
        &mut connect(addr(&f, HARD, Protocol::Http)),
        Some("YWRtaW46YWRtaW4="),
    );
    assert!(r.starts_with("HTTP/1.1 401"));
    // ...the weak device is open.
    let weak = &f.spec().devices[WEAK];
    let r = http_get(&mut connect(addr(&f, WEAK, Protocol::Http)), None);
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    let (maj, min, _) = weak.identity.firmware_parts();
    assert!(r.contains(&format!(
        "Server: {}-httpd/{maj}.{min}\r\n",
        weak.identity.model
    )));
    assert!(r.contains(&format!(
        "<title>{} {} - Web Management</title>",
        weak.identity.vendor, weak.identity.product
    )));
    let logins: Vec<bool> = f.requests().iter().map(|r| r.login).collect();
    assert_eq!(logins, [false, true, false]);
}

fn tls_connect(f: &BlockingFleet, dev: usize, server_name: &str) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(f.ca_der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let mut sock = connect(addr(f, dev, Protocol::Https));
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: device\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn https_certificate_variants() {
    let mut spec = FleetSpec {
        base: "127.0.1.1".parse().unwrap(),
        port_offset: 0,
        devices: vec![],
    };
    for kind in [
        CertKind::Valid,
        CertKind::SelfSigned,
        CertKind::Expired,
        CertKind::HostnameMismatch,
    ] {
        let mut d = profile("https-admin", spec.devices.len(), 0).unwrap();
        d.weaknesses.certificate = kind;
        d.weaknesses.open_http = true;
        spec.devices.push(d);
    }
    let f = BlockingFleet::start_anywhere(spec).unwrap();
    let host = |i: usize| f.spec().devices[i].identity.hostname.clone();
    let ok = tls_connect(&f, 0, &host(0)).expect("valid certificate verifies");
    assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
    // The valid certificate also names the address.
    tls_connect(&f, 0, &f.addr(0).to_string()).expect("IP SAN");
    let e = tls_connect(&f, 1, &host(1)).unwrap_err().to_lowercase();
    assert!(
        e.contains("unknownissuer") || e.contains("unknown issuer"),
        "{e}"
    );
    let e = tls_connect(&f, 2, &host(2)).unwrap_err().to_lowercase();
    assert!(e.contains("expired"), "{e}");
    let e = tls_connect(&f, 3, &host(3)).unwrap_err().to_lowercase();
    assert!(
        e.contains("notvalidforname") || e.contains("not valid for name"),
        "{e}"
    );
}

fn read_until(s: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = [0u8; 512];
    while !find(&out, needle) {
        let n = s.read(&mut b).expect("reads");
        assert!(
            n > 0,
            "closed before {:?}: {:?}",
            String::from_utf8_lossy(needle),
            String::from_utf8_lossy(&out)
        );
        out.extend(&b[..n]);
    }
    out
}

#[test]
fn ssh_telnet_ftp_banners_and_logins() {
    let f = fleet();
    let mut s = connect(addr(&f, WEAK, Protocol::Ssh));
    assert_eq!(read_until(&mut s, b"\r\n"), b"SSH-2.0-dropbear_2019.78\r\n");
    // Telnet: IAC WILL ECHO, IAC WILL SGA, greeting, login prompt; default credentials work.
    let mut s = connect(addr(&f, WEAK, Protocol::Telnet));
    let g = read_until(&mut s, b"login: ");
    assert_eq!(&g[..6], [0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03]);
    let id = &f.spec().devices[WEAK].identity;
    assert!(find(
        &g,
        format!("{} {} (firmware {})", id.vendor, id.product, id.firmware).as_bytes()
    ));
    s.write_all(b"admin\r\n").unwrap();
    read_until(&mut s, b"Password: ");
    s.write_all(b"admin\r\n").unwrap();
    read_until(&mut s, b":~# ");
    // FTP: anonymous accepted on the weak device, refused on the hardened one.
    for (dev, want) in [(WEAK, "230 "), (HARD, "530 ")] {
        let mut s = connect(addr(&f, dev, Protocol::Ftp));
        let banner = read_until(&mut s, b"\r\n");
        let d = &f.spec().devices[dev].identity;
        assert_eq!(
            banner,
            format!("220 {} FTP server ({}) ready.\r\n", d.model, d.firmware).as_bytes()
        );
        s.write_all(b"USER anonymous\r\n").unwrap();
        assert_eq!(
            read_until(&mut s, b"\r\n"),
            b"331 Please specify the password.\r\n"
        );
        s.write_all(b"PASS scan@example.invalid\r\n").unwrap();
        let r = read_until(&mut s, b"\r\n");
        assert!(
            r.starts_with(want.as_bytes()),
            "{}",
            String::from_utf8_lossy(&r)
        );
    }
    let logins: Vec<(Protocol, bool)> = f
        .requests()
        .into_iter()
        .filter(|r| r.login)
        .map(|r| (r.protocol, r.write))
        .collect();
    assert_eq!(
        logins,
        [
            (Protocol::Telnet, false),
            (Protocol::Ftp, false),
            (Protocol::Ftp, false)
        ]
    );
}

#[test]
fn robustness_devices_misbehave_as_specified() {
    let f = fleet();
    // Garbage: 512 bytes at once, more after each read.
    let mut s = connect(addr(&f, GARBAGE, Protocol::Garbage));
    let first = read_n(&mut s, 512);
    s.write_all(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]).unwrap();
    let second = read_n(&mut s, 512);
    assert_ne!(first, second);
    assert!(
        first.iter().filter(|&&b| b == first[0]).take(64).count() < 64,
        "not random-looking"
    );
    // Silent: connection stays open, nothing arrives.
    let mut s = connect(addr(&f, SILENT, Protocol::Silent));
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    s.write_all(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]).unwrap();
    let mut b = [0u8; 16];
    let e = s.read(&mut b).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{e}"
    );
    // Close: end of stream (or reset) at once.
    let mut s = connect(addr(&f, CLOSE, Protocol::Close));
    let t = Instant::now();
    let r = s.read(&mut b);
    assert!(matches!(r, Ok(0)) || r.is_err(), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(1));
    // Trickle: about one byte per second.
    let mut s = connect(addr(&f, TRICKLE, Protocol::Trickle));
    let t = Instant::now();
    let mut got: Vec<u8> = Vec::new();
    while t.elapsed() < Duration::from_millis(2500) {
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut one = [0u8; 8];
        if let Ok(n) = s.read(&mut one) {
            got.extend(&one[..n]);
        }
    }
    assert!((2..=4).contains(&got.len()), "{got:?}");
    assert_eq!(got, skjold_sim::proto::robust::TRICKLE_TEXT[..got.len()]);
    let recorded: Vec<Protocol> = f.requests().iter().map(|r| r.protocol).collect();
    assert_eq!(
        recorded,
        [
            Protocol::Garbage,
            Protocol::Silent,
            Protocol::Close,
            Protocol::Trickle
        ]
    );
}

#[test]
fn listing_and_yaml_spec() {
    let yaml = r#"
base: 127.0.1.1
devices:
  - profile: custom
    identity: { vendor: "Example Vendor", product: "Example PLC", firmware: "1.2.3" }
    services:
      - { protocol: modbus }
      - { protocol: http, port: 8080, banner: "lighttpd/1.4.35", title: "Example" }
    weaknesses: { open_http: true, default_credentials: { user: admin, password: admin } }
"#;
    let spec = FleetSpec::from_yaml(yaml).unwrap();
    let l = skjold_sim::listing(&spec);
    assert_eq!(l[0].addr.to_string(), "127.0.1.1");
    assert_eq!(l[0].services[1].port, 8080);
    assert_eq!(l[0].services[1].expected["server"], "lighttpd/1.4.35");
    assert_eq!(l[0].services[1].expected["title"], "Example");
    assert_eq!(l[0].services[0].expected["vendor_name"], "Example Vendor");
    assert!(FleetSpec::from_yaml("devices: [{services: [{protocol: nope}]}]").is_err());
    // The mixed fleet: 250 distinct addresses, every standard profile present.
    let m = FleetSpec::from_profile("mixed", 250, "127.0.1.1".parse().unwrap(), 7).unwrap();
    let l = skjold_sim::listing(&m);
    assert_eq!(l[249].addr.to_string(), "127.0.1.250");
    assert_eq!(l.iter().filter(|d| d.profile == "plc-s7").count(), 21);
    // Same seed, same fleet; another seed, other weaknesses.
    assert_eq!(
        m,
        FleetSpec::from_profile("mixed", 250, "127.0.1.1".parse().unwrap(), 7).unwrap()
    );
    assert_ne!(
        m,
        FleetSpec::from_profile("mixed", 250, "127.0.1.1".parse().unwrap(), 8).unwrap()
    );
    // Non-loopback addresses are refused.
    let mut bad = FleetSpec::from_profile("http-admin", 1, "10.0.0.1".parse().unwrap(), 1).unwrap();
    bad.port_offset = 20000;
    let e = BlockingFleet::start(bad).err().expect("refused");
    assert!(e.to_string().contains("outside 127.0.0.0/8"));
}

/// SNMP `GetRequest` (v2c) of `sysDescr.0` with `community`.
fn snmp_get(community: &str, pdu: u8) -> Vec<u8> {
    let vb = hex("300c 0608 2b06010201010100 0500");
    let mut binds = vec![0x30, vb.len() as u8];
    binds.extend(vb);
    let mut p = hex("020107 020100 020100");
    p.extend(binds);
    let mut m = hex("020101");
    m.push(0x04);
    m.push(community.len() as u8);
    m.extend(community.as_bytes());
    m.push(pdu);
    m.push(p.len() as u8);
    m.extend(p);
    let mut out = vec![0x30, m.len() as u8];
    out.extend(m);
    out
}

#[test]
fn snmp_answers_public_only_on_the_weak_device() {
    let f = fleet();
    let weak = addr(&f, WEAK, Protocol::Snmp);
    let r = udp(weak, &snmp_get("public", 0xA0));
    let descr = skjold_sim::proto::snmp::sys_descr(&f.spec().devices[WEAK].identity);
    // Response: version 1 (v2c), community, GetResponse with request id 7, no error, the
    // varbind sysDescr.0 = OCTET STRING.
    let mut body = hex("020107 020100 020100");
    let mut vb = hex("0608 2b06010201010100");
    vb.push(0x04);
    vb.push(descr.len() as u8);
    vb.extend(descr.as_bytes());
    let mut list = vec![0x30, vb.len() as u8];
    list.extend(vb);
    body.push(0x30);
    body.push(list.len() as u8);
    body.extend(list);
    let mut m = hex("020101 0406 7075626c6963 a2");
    m.push(body.len() as u8);
    m.extend(body);
    let mut want = vec![0x30, m.len() as u8];
    want.extend(m);
    assert_eq!(r, want);
    // Other communities and the hardened device: silence.
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    s.send_to(&snmp_get("private", 0xA0), weak).unwrap();
    s.send_to(&snmp_get("public", 0xA0), addr(&f, HARD, Protocol::Snmp))
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(s.recv_from(&mut buf).is_err());
    // A Set is refused (notWritable) and recorded as a write.
    let r = udp(weak, &snmp_get("public", 0xA3));
    assert!(find(&r, &hex("020111 020101")), "{r:02x?}");
    let log: Vec<(bool, bool)> = f.requests().iter().map(|r| (r.write, r.login)).collect();
    assert_eq!(
        log,
        [(false, true), (false, true), (false, true), (true, true)]
    );
}

#[test]
fn mqtts_serves_the_broker_over_tls_with_the_device_certificate() {
    let f = fleet();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(f.ca_der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let host = f.spec().devices[WEAK].identity.hostname.clone();
    let name = rustls::pki_types::ServerName::try_from(host).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let mut sock = connect(addr(&f, WEAK, Protocol::Mqtts));
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(&hex("1010 00044d5154540402003c 000473636e6e"))
        .unwrap();
    let mut ack = [0u8; 4];
    tls.read_exact(&mut ack).unwrap();
    assert_eq!(ack, [0x20, 2, 0, 0]);
    let log: Vec<(Protocol, String)> = f
        .requests()
        .into_iter()
        .map(|r| (r.protocol, r.service))
        .collect();
    assert_eq!(log, [(Protocol::Mqtts, "connect".to_string())]);
    assert_eq!(
        f.listing()[WEAK]
            .services
            .iter()
            .find(|s| s.protocol == Protocol::Mqtts)
            .unwrap()
            .expected["certificate"],
        "valid"
    );
}
