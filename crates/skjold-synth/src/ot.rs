//! The other protocols of `--mix all`: OT protocols beside Modbus/MQTT and the
//! IT/remote-access protocols seen on plant networks.
//!
//! Every protocol is an [`OtApp`]: a client/server session that, once opened,
//! produces one exchange (a few application messages) per wake-up. The
//! encoders follow the public specifications (IEEE 1815 DNP3, IEC 60870-5-104,
//! S7comm as documented by the snap7 project, ODVA EtherNet/IP, ASHRAE 135
//! BACnet/IP, OPC UA Part 6 binary, RFC 7252/7641/7959 CoAP, RFC 5246 TLS 1.2,
//! RFC 4253 SSH, RFC 959 FTP, RFC 9112 HTTP/1.1, RFC 854 Telnet, MS-RDPBCGR
//! connection negotiation, RFC 6143 RFB) and are checked against tshark in
//! `tests/mixed.rs`.

use crate::rng::XorShift;

/// DER certificate (ECDSA P-256, CN=historian.plant.example) that the TLS and
/// RDP servers present; generated once with openssl for this crate.
const CERT_DER: &[u8] = include_bytes!("synth-cert.der");

/// A message of an exchange: `true` when the client sends it.
pub(crate) type Msg = (bool, Vec<u8>);

/// The protocols of `--mix all` besides Modbus and MQTT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Dnp3,
    Iec104,
    S7comm,
    S7commPlus,
    Enip,
    EnipUdp,
    Bacnet,
    Opcua,
    Coap,
    Tls,
    Ssh,
    Ftp,
    Http,
    Telnet,
    Rdp,
    Vnc,
}

impl Proto {
    /// Every protocol, in the order of `--mix all`.
    pub(crate) const ALL: [Proto; 16] = [
        Proto::Dnp3,
        Proto::Iec104,
        Proto::S7comm,
        Proto::S7commPlus,
        Proto::Enip,
        Proto::EnipUdp,
        Proto::Bacnet,
        Proto::Opcua,
        Proto::Coap,
        Proto::Tls,
        Proto::Ssh,
        Proto::Ftp,
        Proto::Http,
        Proto::Telnet,
        Proto::Rdp,
        Proto::Vnc,
    ];

    /// Name in `--mix`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Proto::Dnp3 => "dnp3",
            Proto::Iec104 => "iec104",
            Proto::S7comm => "s7comm",
            Proto::S7commPlus => "s7commplus",
            Proto::Enip => "enip",
            Proto::EnipUdp => "enip-udp",
            Proto::Bacnet => "bacnet",
            Proto::Opcua => "opcua",
            Proto::Coap => "coap",
            Proto::Tls => "tls",
            Proto::Ssh => "ssh",
            Proto::Ftp => "ftp",
            Proto::Http => "http",
            Proto::Telnet => "telnet",
            Proto::Rdp => "rdp",
            Proto::Vnc => "vnc",
        }
    }

    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Server port (TCP, or UDP when [`Proto::udp`]).
    pub(crate) fn port(self) -> u16 {
        match self {
            Proto::Dnp3 => 20000,
            Proto::Iec104 => 2404,
            Proto::S7comm | Proto::S7commPlus => 102,
            Proto::Enip | Proto::EnipUdp => 44818,
            Proto::Bacnet => 47808,
            Proto::Opcua => 4840,
            Proto::Coap => 5683,
            Proto::Tls => 443,
            Proto::Ssh => 22,
            Proto::Ftp => 21,
            Proto::Http => 80,
            Proto::Telnet => 23,
            Proto::Rdp => 3389,
            Proto::Vnc => 5900,
        }
    }

    pub(crate) fn udp(self) -> bool {
        matches!(self, Proto::EnipUdp | Proto::Bacnet | Proto::Coap)
    }

    /// Whether the server is a field device (PLC, RTU, controller) rather than an IT host.
    pub(crate) fn field_device(self) -> bool {
        !matches!(
            self,
            Proto::Tls | Proto::Ssh | Proto::Ftp | Proto::Http | Proto::Rdp | Proto::Vnc
        )
    }

    /// Milliseconds between exchanges: (low, high).
    pub(crate) fn period_ms(self) -> (u64, u64) {
        match self {
            Proto::Dnp3 | Proto::Iec104 | Proto::S7comm | Proto::S7commPlus | Proto::Enip => {
                (200, 1500)
            }
            Proto::Opcua | Proto::Bacnet | Proto::Coap => (500, 3000),
            Proto::EnipUdp => (5000, 20_000),
            Proto::Ssh | Proto::Rdp | Proto::Vnc | Proto::Telnet => (200, 2000),
            Proto::Tls | Proto::Http | Proto::Ftp => (1000, 6000),
        }
    }
}

fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}

fn len16(n: usize) -> u16 {
    u16::try_from(n).expect("PDU fits 16 bits")
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("PDU fits 32 bits")
}

fn random_bytes(rng: &mut XorShift, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u32() as u8).collect()
}

/// Session state of one protocol flow.
#[derive(Debug)]
pub(crate) struct OtApp {
    pub(crate) proto: Proto,
    /// Index of the device among those of its protocol.
    index: u32,
    /// Generic counters: sequence numbers, invoke ids, request ids.
    a: u32,
    b: u32,
    c: u32,
    d: u32,
    session: u32,
    observing: bool,
}

impl OtApp {
    pub(crate) fn new(proto: Proto, index: u32, rng: &mut XorShift) -> Self {
        Self {
            proto,
            index,
            a: rng.next_u32() & 0xFFFF,
            b: rng.next_u32() & 0xFFFF,
            c: 0,
            d: 0,
            session: rng.next_u32() | 1,
            observing: false,
        }
    }

    /// The application messages that open a session (after the TCP handshake).
    pub(crate) fn open(&mut self, rng: &mut XorShift) -> Vec<Msg> {
        match self.proto {
            Proto::Dnp3 => self.dnp3_exchange(rng, 0),
            Proto::Iec104 => self.iec104_open(),
            Proto::S7comm => self.s7_open(),
            Proto::S7commPlus => self.s7p_open(rng),
            Proto::Enip => self.enip_open(),
            Proto::EnipUdp => self.enip_list_identity(),
            Proto::Bacnet => self.bacnet_open(),
            Proto::Opcua => self.opcua_open(rng),
            Proto::Coap => self.coap_wellknown(),
            Proto::Tls => tls_handshake(rng, Some("historian.plant.example")),
            Proto::Ssh => ssh_open(rng),
            Proto::Ftp => Self::ftp_open(),
            Proto::Http => Vec::new(),
            Proto::Telnet => telnet_open(),
            Proto::Rdp => rdp_open(rng),
            Proto::Vnc => vnc_open(rng),
        }
    }

    /// One regular exchange; never empty.
    pub(crate) fn exchange(&mut self, rng: &mut XorShift) -> Vec<Msg> {
        let roll = rng.range(0, 99);
        match self.proto {
            Proto::Dnp3 => self.dnp3_exchange(rng, roll),
            Proto::Iec104 => self.iec104_exchange(rng, roll),
            Proto::S7comm => self.s7_exchange(rng, roll),
            Proto::S7commPlus => self.s7p_exchange(rng, roll),
            Proto::Enip => self.enip_exchange(rng, roll),
            Proto::EnipUdp => self.enip_list_identity(),
            Proto::Bacnet => self.bacnet_exchange(rng, roll),
            Proto::Opcua => self.opcua_exchange(rng, roll),
            Proto::Coap => self.coap_exchange(rng, roll),
            Proto::Tls | Proto::Rdp => {
                let (up, down) = (rng.range(60, 400) as usize, rng.range(100, 1200) as usize);
                vec![
                    (true, tls_record(23, &random_bytes(rng, up))),
                    (false, tls_record(23, &random_bytes(rng, down))),
                ]
            }
            Proto::Ssh => {
                let (up, down) = (rng.range(1, 4) as usize, rng.range(1, 40) as usize);
                vec![
                    (true, ssh_encrypted(rng, up)),
                    (false, ssh_encrypted(rng, down)),
                ]
            }
            Proto::Ftp => self.ftp_exchange(roll),
            Proto::Http => self.http_exchange(rng, roll),
            Proto::Telnet => telnet_exchange(rng, roll),
            Proto::Vnc => vnc_exchange(rng, roll),
        }
    }

    // ------------------------------------------------------------------ DNP3

    fn dnp3_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let master = 1u16;
        let outstation = 10 + (self.index as u16 % 1000);
        let seq = (self.a & 0x0F) as u8;
        self.a = self.a.wrapping_add(1);
        let (request, response) = if roll < 15 {
            // Direct operate of a CROB (g12v1, qualifier 0x28) echoed back.
            let index = rng.range(0, 7) as u16;
            let code = if rng.chance(50) { 0x03 } else { 0x04 }; // latch on / off
            let mut crob = vec![0x0C, 0x01, 0x28];
            crob.extend_from_slice(&le16(1));
            crob.extend_from_slice(&le16(index));
            crob.extend_from_slice(&[code, 1]);
            crob.extend_from_slice(&500u32.to_le_bytes());
            crob.extend_from_slice(&500u32.to_le_bytes());
            crob.push(0);
            let mut req = vec![0xC0 | seq, 0x05];
            req.extend_from_slice(&crob);
            let mut resp = vec![0xC0 | seq, 0x81, 0x00, 0x00];
            resp.extend_from_slice(&crob);
            (req, resp)
        } else if roll < 40 {
            // Event poll: class 1, 2, 3; answered with analog change events (g32v1).
            let mut req = vec![0xC0 | seq, 0x01];
            for class in 2..=4u8 {
                req.extend_from_slice(&[0x3C, class, 0x06]);
            }
            let mut resp = vec![0xC0 | seq, 0x81, 0x00, 0x00];
            let n = rng.range(1, 3) as u8;
            resp.extend_from_slice(&[0x20, 0x01, 0x17, n]);
            for _ in 0..n {
                resp.push(rng.range(0, 7) as u8);
                resp.push(0x01);
                resp.extend_from_slice(&(rng.range(0, 50_000) as i32).to_le_bytes());
            }
            (req, resp)
        } else {
            // Integrity poll (class 0) with binary inputs and float analog inputs.
            let mut req = vec![0xC0 | seq, 0x01];
            req.extend_from_slice(&[0x3C, 0x01, 0x06]);
            let mut resp = vec![0xC0 | seq, 0x81, 0x00, 0x00];
            resp.extend_from_slice(&[0x01, 0x02, 0x00, 0x00, 0x07]);
            for _ in 0..8 {
                resp.push(if rng.chance(50) { 0x81 } else { 0x01 });
            }
            resp.extend_from_slice(&[0x1E, 0x05, 0x00, 0x00, 0x07]);
            for _ in 0..8 {
                resp.push(0x01);
                resp.extend_from_slice(&(rng.range(0, 100_000) as f32 / 100.0).to_le_bytes());
            }
            (req, resp)
        };
        let tseq = (self.b & 0x3F) as u8;
        self.b = self.b.wrapping_add(1);
        vec![
            (true, dnp3_frame(0xC4, outstation, master, tseq, &request)),
            (false, dnp3_frame(0x44, master, outstation, tseq, &response)),
        ]
    }

    // ---------------------------------------------------------------- IEC-104

    fn iec104_open(&mut self) -> Vec<Msg> {
        self.c = 0; // client send sequence
        self.d = 0; // server send sequence
        let mut msgs = vec![
            (true, vec![0x68, 0x04, 0x07, 0, 0, 0]),
            (false, vec![0x68, 0x04, 0x0B, 0, 0, 0]),
        ];
        let ca = self.ca();
        let gi = |cot: u8| asdu(100, 1, cot, ca, &[(0, vec![20])]);
        msgs.push((true, self.iec104_i(true, &gi(6))));
        msgs.push((false, self.iec104_i(false, &gi(7))));
        let objects: Vec<(u32, Vec<u8>)> = (0..4)
            .map(|k| {
                let mut e = (20.0f32 + k as f32 * 1.5).to_le_bytes().to_vec();
                e.push(0);
                (1000 + k, e)
            })
            .collect();
        msgs.push((false, self.iec104_i(false, &asdu(13, 4, 20, ca, &objects))));
        msgs.push((false, self.iec104_i(false, &gi(10))));
        msgs.push((true, self.iec104_s(true)));
        msgs
    }

    fn ca(&self) -> u16 {
        1 + (self.index as u16 % 200)
    }

    fn iec104_i(&mut self, from_client: bool, asdu: &[u8]) -> Vec<u8> {
        let (send, recv) = if from_client {
            (&mut self.c, self.d)
        } else {
            (&mut self.d, self.c)
        };
        let ns = (*send & 0x7FFF) as u16;
        *send = send.wrapping_add(1);
        let mut out = vec![0x68, (4 + asdu.len()) as u8];
        out.extend_from_slice(&le16(ns << 1));
        out.extend_from_slice(&le16(((recv & 0x7FFF) as u16) << 1));
        out.extend_from_slice(asdu);
        out
    }

    fn iec104_s(&self, from_client: bool) -> Vec<u8> {
        let recv = if from_client { self.d } else { self.c };
        let mut out = vec![0x68, 0x04, 0x01, 0x00];
        out.extend_from_slice(&le16(((recv & 0x7FFF) as u16) << 1));
        out
    }

    fn iec104_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let ca = self.ca();
        if roll < 12 {
            return vec![
                (true, vec![0x68, 0x04, 0x43, 0, 0, 0]),
                (false, vec![0x68, 0x04, 0x83, 0, 0, 0]),
            ];
        }
        if roll < 24 {
            // Single command, select-less: act, actcon, actterm.
            let ioa = 2000 + rng.range(0, 9) as u32;
            let sco = u8::from(rng.chance(50));
            let act = self.iec104_i(true, &asdu(45, 1, 6, ca, &[(ioa, vec![sco])]));
            let con = self.iec104_i(false, &asdu(45, 1, 7, ca, &[(ioa, vec![sco])]));
            let term = self.iec104_i(false, &asdu(45, 1, 10, ca, &[(ioa, vec![sco])]));
            return vec![
                (true, act),
                (false, con),
                (false, term),
                (true, self.iec104_s(true)),
            ];
        }
        if roll < 32 {
            let ioa = 3000 + rng.range(0, 4) as u32;
            let mut e = (rng.range(0, 1000) as f32 / 10.0).to_le_bytes().to_vec();
            e.push(0);
            return vec![
                (
                    true,
                    self.iec104_i(true, &asdu(50, 1, 6, ca, &[(ioa, e.clone())])),
                ),
                (
                    false,
                    self.iec104_i(false, &asdu(50, 1, 7, ca, &[(ioa, e)])),
                ),
                (true, self.iec104_s(true)),
            ];
        }
        // Spontaneous measurements (short float) or a status change.
        let n = rng.range(1, 3) as u32;
        let a = if rng.chance(80) {
            let objects: Vec<(u32, Vec<u8>)> = (0..n)
                .map(|k| {
                    let mut e = (rng.range(0, 50_000) as f32 / 100.0).to_le_bytes().to_vec();
                    e.push(0);
                    (1000 + k * 3, e)
                })
                .collect();
            asdu(13, n as u8, 3, ca, &objects)
        } else {
            asdu(1, 1, 3, ca, &[(4000, vec![u8::from(rng.chance(50))])])
        };
        vec![
            (false, self.iec104_i(false, &a)),
            (true, self.iec104_s(true)),
        ]
    }

    // ---------------------------------------------------------------- S7comm

    fn s7_open(&mut self) -> Vec<Msg> {
        let cr = cotp_connect(0xE0, 0x0000, 0x0001, &be16(0x0100), &be16(0x0102));
        let cc = cotp_connect(0xD0, 0x0001, 0x4431, &be16(0x0100), &be16(0x0102));
        let mut setup = vec![0xF0, 0x00];
        setup.extend_from_slice(&be16(1));
        setup.extend_from_slice(&be16(1));
        setup.extend_from_slice(&be16(480));
        let (model, firmware) = match self.index % 3 {
            0 => ("6ES7 315-2EH14-0AB0 ", (3, 2, 6)),
            1 => ("6ES7 214-1AG40-0XB0 ", (4, 5, 2)),
            _ => ("6ES7 516-3AN01-0AB0 ", (2, 9, 4)),
        };
        let mut msgs = vec![
            (true, tpkt(&cr)),
            (false, tpkt(&cc)),
            (true, s7_job(1, self.s7_ref(), &setup, &[])),
            (false, s7_ack(3, self.s7_ref_same(), &setup, &[])),
        ];
        // SZL 0x0011 (module identification), 0x001C (component identification).
        let mut r11 = Vec::new();
        for (index, mlfb, ausbg, ausbe) in [
            (1u16, model, 0x0000u16, 0x0001u16),
            (6, model, 0x0000, 0x0001),
            (
                7,
                "",
                0x5600 | firmware.0,
                u16::from_be_bytes([firmware.1, firmware.2]),
            ),
        ] {
            r11.extend_from_slice(&be16(index));
            r11.extend_from_slice(format!("{mlfb:20}").as_bytes());
            r11.extend_from_slice(&be16(0x00C0));
            r11.extend_from_slice(&be16(ausbg));
            r11.extend_from_slice(&be16(ausbe));
        }
        let mut r1c = Vec::new();
        let serial = format!("S C-X{:07}2016", 4_000_000 + self.index);
        for (index, text) in [
            (1u16, format!("PLANT-S7-{:03}", self.index)),
            (2, "CPU 315-2 PN/DP".to_owned()),
            (3, format!("line{}", self.index % 4 + 1)),
            (4, "Original Siemens Equipment".to_owned()),
            (5, serial),
            (7, "CPU 315-2 PN/DP".to_owned()),
        ] {
            r1c.extend_from_slice(&be16(index));
            let mut t = text.into_bytes();
            t.resize(32, 0);
            r1c.extend_from_slice(&t);
        }
        for (id, reclen, records) in [(0x0011u16, 28u16, r11), (0x001C, 34, r1c)] {
            let seq = (self.b & 0xFF) as u8;
            self.b = self.b.wrapping_add(1);
            msgs.push((true, s7_szl_request(self.s7_ref(), id)));
            msgs.push((
                false,
                s7_szl_response(self.s7_ref_same(), seq, id, reclen, &records),
            ));
        }
        msgs
    }

    fn s7_ref(&mut self) -> u16 {
        self.a = (self.a + 1) & 0xFFFF;
        if self.a == 0 {
            self.a = 1;
        }
        self.a as u16
    }

    fn s7_ref_same(&self) -> u16 {
        self.a as u16
    }

    fn s7_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let db = 1 + rng.range(0, 9) as u16;
        let start = rng.range(0, 64) as u32 * 2;
        let len = rng.range(2, 32) as u16 * 2;
        let item = |db: u16, start: u32, len: u16| {
            let mut i = vec![0x12, 0x0A, 0x10, 0x02];
            i.extend_from_slice(&be16(len));
            i.extend_from_slice(&be16(db));
            i.push(0x84);
            i.extend_from_slice(&(start * 8).to_be_bytes()[1..]);
            i
        };
        if roll < 15 {
            let mut params = vec![0x05, 0x01];
            params.extend_from_slice(&item(db, start, len));
            let mut data = vec![0x00, 0x04];
            data.extend_from_slice(&be16(len * 8));
            data.extend_from_slice(&random_bytes(rng, len as usize));
            let r = self.s7_ref();
            return vec![
                (true, s7_job(1, r, &params, &data)),
                (false, s7_ack(3, r, &[0x05, 0x01], &[0xFF])),
            ];
        }
        let count = rng.range(1, 3) as u8;
        let mut params = vec![0x04, count];
        let mut data = Vec::new();
        for k in 0..count {
            let l = (len / u16::from(k + 1)) & !1;
            let l = l.max(2);
            params.extend_from_slice(&item(db + u16::from(k), start, l));
            data.extend_from_slice(&[0xFF, 0x04]);
            data.extend_from_slice(&be16(l * 8));
            data.extend_from_slice(&random_bytes(rng, l as usize));
        }
        let r = self.s7_ref();
        vec![
            (true, s7_job(1, r, &params, &[])),
            (false, s7_ack(3, r, &[0x04, count], &data)),
        ]
    }

    // ----------------------------------------------------------- S7comm-plus

    fn s7p_open(&mut self, rng: &mut XorShift) -> Vec<Msg> {
        let cr = cotp_connect(0xE0, 0x0000, 0x0001, &be16(0x0600), b"SIMATIC-ROOT-HMI");
        let cc = cotp_connect(0xD0, 0x0001, 0x0044, &be16(0x0600), b"SIMATIC-ROOT-HMI");
        // CreateObject (0x04CA) in protocol version 1, as a first contact.
        let mut create = vec![0x31, 0x00, 0x00, 0x04, 0xCA, 0x00, 0x00];
        create.extend_from_slice(&be16(1));
        create.extend_from_slice(&0x0000_0120u32.to_be_bytes());
        create.push(0x36);
        create.extend_from_slice(&random_bytes(rng, 40));
        let mut created = vec![0x32, 0x00, 0x00, 0x04, 0xCA, 0x00, 0x00];
        created.extend_from_slice(&be16(1));
        created.extend_from_slice(&self.session.to_be_bytes());
        created.push(0x00);
        created.extend_from_slice(&random_bytes(rng, 60));
        self.a = 2;
        vec![
            (true, tpkt(&cr)),
            (false, tpkt(&cc)),
            (true, tpkt(&cotp_dt(&s7p_pdu(0x01, &create)))),
            (false, tpkt(&cotp_dt(&s7p_pdu(0x01, &created)))),
        ]
    }

    fn s7p_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        // GetMultiVariables (0x054C) or SetMultiVariables (0x0542), version 3 with
        // a 32-byte integrity digest before the data.
        let function: u16 = if roll < 15 { 0x0542 } else { 0x054C };
        let seq = (self.a & 0xFFFF) as u16;
        self.a = self.a.wrapping_add(1);
        let body = |opcode: u8, extra: usize, rng: &mut XorShift| {
            let mut d = vec![0x20];
            d.extend_from_slice(&random_bytes(rng, 32));
            d.push(opcode);
            d.extend_from_slice(&[0x00, 0x00]);
            d.extend_from_slice(&be16(function));
            d.extend_from_slice(&[0x00, 0x00]);
            d.extend_from_slice(&be16(seq));
            d.extend_from_slice(&self.session.to_be_bytes());
            d.push(0x34);
            d.extend_from_slice(&random_bytes(rng, extra));
            d
        };
        let req = body(0x31, rng.range(20, 80) as usize, rng);
        let resp = body(0x32, rng.range(20, 200) as usize, rng);
        vec![
            (true, tpkt(&cotp_dt(&s7p_pdu(0x03, &req)))),
            (false, tpkt(&cotp_dt(&s7p_pdu(0x03, &resp)))),
        ]
    }

    // ----------------------------------------------------------- EtherNet/IP

    fn enip_open(&mut self) -> Vec<Msg> {
        let mut reg = Vec::new();
        reg.extend_from_slice(&le16(1));
        reg.extend_from_slice(&le16(0));
        let ctx = u64::from(self.index) + 1;
        let mut msgs = vec![
            (true, enip(0x65, 0, ctx, &reg)),
            (false, enip(0x65, self.session, ctx, &reg)),
        ];
        // Get_Attributes_All of the identity object.
        let req = cip_request(0x01, &[0x20, 0x01, 0x24, 0x01], &[]);
        let resp = cip_response(0x01, &self.identity_attributes());
        msgs.push((true, self.rr(&req)));
        msgs.push((false, self.rr(&resp)));
        msgs
    }

    fn identity_attributes(&self) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&le16(1)); // vendor: Rockwell Automation/Allen-Bradley
        d.extend_from_slice(&le16(0x0E)); // device type: PLC
        d.extend_from_slice(&le16(0x0036)); // product code
        d.extend_from_slice(&[20, 11]); // revision
        d.extend_from_slice(&le16(0x3060)); // status
        d.extend_from_slice(&(0x6000_0000u32 + self.index).to_le_bytes());
        let name = b"1756-L71/B LOGIX5571";
        d.push(name.len() as u8);
        d.extend_from_slice(name);
        d
    }

    fn rr(&self, cip: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&le16(10));
        d.extend_from_slice(&le16(2));
        d.extend_from_slice(&le16(0x0000));
        d.extend_from_slice(&le16(0));
        d.extend_from_slice(&le16(0x00B2));
        d.extend_from_slice(&le16(len16(cip.len())));
        d.extend_from_slice(cip);
        enip(0x6F, self.session, u64::from(self.b), &d)
    }

    fn enip_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        self.b = self.b.wrapping_add(1);
        if roll < 30 {
            // Get_Attribute_Single of identity attribute 7 (product name).
            let req = cip_request(0x0E, &[0x20, 0x01, 0x24, 0x01, 0x30, 0x07], &[]);
            let name = b"1756-L71/B LOGIX5571";
            let mut data = vec![name.len() as u8];
            data.extend_from_slice(name);
            let resp = cip_response(0x0E, &data);
            return vec![(true, self.rr(&req)), (false, self.rr(&resp))];
        }
        // Logix Read Tag of a DINT, or Write Tag (0x4D).
        let tags = ["Tank_Level", "Pump1_Speed", "Valve_Pos", "Line_Rate"];
        let tag = tags[rng.range(0, 3) as usize].as_bytes();
        let mut path = vec![0x91, tag.len() as u8];
        path.extend_from_slice(tag);
        if tag.len() % 2 == 1 {
            path.push(0);
        }
        let value = (rng.range(0, 10_000) as u32).to_le_bytes();
        if roll < 45 {
            let mut data = vec![0xC4, 0x00];
            data.extend_from_slice(&le16(1));
            data.extend_from_slice(&value);
            let req = cip_request(0x4D, &path, &data);
            return vec![
                (true, self.rr(&req)),
                (false, self.rr(&cip_response(0x4D, &[]))),
            ];
        }
        let req = cip_request(0x4C, &path, &le16(1));
        let mut data = vec![0xC4, 0x00];
        data.extend_from_slice(&value);
        vec![
            (true, self.rr(&req)),
            (false, self.rr(&cip_response(0x4C, &data))),
        ]
    }

    fn enip_list_identity(&mut self) -> Vec<Msg> {
        self.b = self.b.wrapping_add(1);
        let mut item = Vec::new();
        item.extend_from_slice(&le16(1)); // encapsulation version
        item.extend_from_slice(&be16(2)); // sin_family
        item.extend_from_slice(&be16(44818));
        item.extend_from_slice(&[0, 0, 0, 0]); // sin_addr: the device does not know it
        item.extend_from_slice(&[0; 8]);
        item.extend_from_slice(&self.identity_attributes());
        item.push(0x03); // state
        let mut d = Vec::new();
        d.extend_from_slice(&le16(1));
        d.extend_from_slice(&le16(0x000C));
        d.extend_from_slice(&le16(len16(item.len())));
        d.extend_from_slice(&item);
        vec![
            (true, enip(0x63, 0, u64::from(self.b), &[])),
            (false, enip(0x63, 0, u64::from(self.b), &d)),
        ]
    }

    // --------------------------------------------------------------- BACnet

    fn bacnet_open(&mut self) -> Vec<Msg> {
        let device = 100_000 + self.index;
        let mut i_am = vec![0x10, 0x00, 0xC4];
        i_am.extend_from_slice(&bacnet_objid(8, device));
        i_am.extend_from_slice(&[0x22, 0x05, 0xC4, 0x91, 0x03, 0x21, 0x05]);
        let mut msgs = vec![
            (true, bvlc(false, &[0x10, 0x08])),
            (false, bvlc(false, &i_am)),
        ];
        let texts = [
            (77u8, format!("AHU-{:03}", self.index)),
            (121, "Johnson Controls, Inc.".to_owned()),
            (70, "MS-NAE5510-2".to_owned()),
            (44, "9.0.7.2345".to_owned()),
        ];
        for (prop, text) in texts {
            let invoke = self.invoke();
            msgs.push((true, bvlc(true, &bacnet_rp(invoke, 8, device, prop))));
            let mut v = Vec::new();
            bacnet_string(&mut v, &text);
            msgs.push((
                false,
                bvlc(false, &bacnet_rp_ack(invoke, 8, device, prop, &v)),
            ));
        }
        msgs
    }

    fn invoke(&mut self) -> u8 {
        self.a = self.a.wrapping_add(1);
        (self.a & 0xFF) as u8
    }

    fn bacnet_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let invoke = self.invoke();
        let device = 100_000 + self.index;
        let instance = rng.range(1, 8) as u32;
        let real = |v: f32| {
            let mut r = vec![0x44];
            r.extend_from_slice(&v.to_be_bytes());
            r
        };
        if roll < 10 {
            // WriteProperty present-value of an analog value at priority 8.
            let mut apdu = vec![0x00, 0x05, invoke, 15, 0x0C];
            apdu.extend_from_slice(&bacnet_objid(2, instance));
            apdu.extend_from_slice(&[0x19, 85, 0x3E]);
            apdu.extend_from_slice(&real(rng.range(150, 260) as f32 / 10.0));
            apdu.extend_from_slice(&[0x3F, 0x49, 0x08]);
            return vec![
                (true, bvlc(true, &apdu)),
                (false, bvlc(false, &[0x20, invoke, 15])),
            ];
        }
        if roll < 25 {
            // ReadPropertyMultiple: device object-name + vendor-identifier; AI present-value.
            let mut apdu = vec![0x00, 0x05, invoke, 14, 0x0C];
            apdu.extend_from_slice(&bacnet_objid(8, device));
            apdu.extend_from_slice(&[0x1E, 0x09, 77, 0x09, 120, 0x1F, 0x0C]);
            apdu.extend_from_slice(&bacnet_objid(0, instance));
            apdu.extend_from_slice(&[0x1E, 0x09, 85, 0x1F]);
            let mut ack = vec![0x30, invoke, 14, 0x0C];
            ack.extend_from_slice(&bacnet_objid(8, device));
            ack.extend_from_slice(&[0x1E, 0x29, 77, 0x4E]);
            bacnet_string(&mut ack, &format!("AHU-{:03}", self.index));
            ack.extend_from_slice(&[0x4F, 0x29, 120, 0x4E, 0x21, 0x05, 0x4F, 0x1F, 0x0C]);
            ack.extend_from_slice(&bacnet_objid(0, instance));
            ack.extend_from_slice(&[0x1E, 0x29, 85, 0x4E]);
            ack.extend_from_slice(&real(rng.range(100, 300) as f32 / 10.0));
            ack.extend_from_slice(&[0x4F, 0x1F]);
            return vec![(true, bvlc(true, &apdu)), (false, bvlc(false, &ack))];
        }
        let v = real(rng.range(0, 1000) as f32 / 10.0);
        vec![
            (true, bvlc(true, &bacnet_rp(invoke, 0, instance, 85))),
            (
                false,
                bvlc(false, &bacnet_rp_ack(invoke, 0, instance, 85, &v)),
            ),
        ]
    }

    // ---------------------------------------------------------------- OPC UA

    fn opcua_open(&mut self, rng: &mut XorShift) -> Vec<Msg> {
        let url = format!("opc.tcp://10.10.0.{}:4840/", 100 + self.index % 100);
        let mut hel = Vec::new();
        for v in [0u32, 65536, 65536, 0, 0] {
            hel.extend_from_slice(&v.to_le_bytes());
        }
        ua_string(&mut hel, Some(&url));
        let mut ack = Vec::new();
        for v in [0u32, 65536, 65536, 16_777_216, 5000] {
            ack.extend_from_slice(&v.to_le_bytes());
        }
        self.c = 0; // request id
        self.d = 0; // channel id, set by OPN response
        let mut msgs = vec![
            (true, ua_chunk(*b"HEL", &hel)),
            (false, ua_chunk(*b"ACK", &ack)),
        ];
        // OpenSecureChannel, SecurityPolicy None.
        let policy = "http://opcfoundation.org/UA/SecurityPolicy#None";
        let asym = |channel: u32, seq: u32, req: u32, body: &[u8]| {
            let mut m = Vec::new();
            m.extend_from_slice(&channel.to_le_bytes());
            ua_string(&mut m, Some(policy));
            m.extend_from_slice(&(-1i32).to_le_bytes());
            m.extend_from_slice(&(-1i32).to_le_bytes());
            m.extend_from_slice(&seq.to_le_bytes());
            m.extend_from_slice(&req.to_le_bytes());
            m.extend_from_slice(body);
            ua_chunk(*b"OPN", &m)
        };
        let mut opn = ua_node(446);
        opn.extend_from_slice(&ua_request_header(1, &[0x00, 0x00]));
        for v in [0u32, 0, 1] {
            opn.extend_from_slice(&v.to_le_bytes());
        }
        opn.extend_from_slice(&0i32.to_le_bytes()); // empty client nonce
        opn.extend_from_slice(&3_600_000u32.to_le_bytes());
        self.c = 1;
        msgs.push((true, asym(0, 1, 1, &opn)));
        let channel = 1 + (self.session & 0xFFFF);
        self.d = channel;
        let mut opr = ua_node(449);
        opr.extend_from_slice(&ua_response_header(1));
        opr.extend_from_slice(&0u32.to_le_bytes());
        opr.extend_from_slice(&channel.to_le_bytes());
        opr.extend_from_slice(&1u32.to_le_bytes());
        opr.extend_from_slice(&UA_TIME.to_le_bytes());
        opr.extend_from_slice(&3_600_000u32.to_le_bytes());
        opr.extend_from_slice(&0i32.to_le_bytes());
        msgs.push((false, asym(channel, 1, 1, &opr)));
        // GetEndpoints.
        let mut ge = ua_request_header(2, &[0x00, 0x00]);
        ua_string(&mut ge, Some(&url));
        ge.extend_from_slice(&(-1i32).to_le_bytes());
        ge.extend_from_slice(&(-1i32).to_le_bytes());
        msgs.push((true, self.ua_msg(428, &ge)));
        let mut ep = ua_response_header(2);
        ep.extend_from_slice(&1i32.to_le_bytes());
        ua_string(&mut ep, Some(&url));
        ua_app_description(&mut ep, "urn:plant:opcua:server", 0);
        ep.extend_from_slice(&(-1i32).to_le_bytes()); // no certificate
        ep.extend_from_slice(&1u32.to_le_bytes()); // MessageSecurityMode None
        ua_string(&mut ep, Some(policy));
        ep.extend_from_slice(&1i32.to_le_bytes());
        ua_string(&mut ep, Some("anonymous"));
        ep.extend_from_slice(&0u32.to_le_bytes());
        for _ in 0..3 {
            ua_string(&mut ep, None);
        }
        ua_string(
            &mut ep,
            Some("http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary"),
        );
        ep.push(0);
        msgs.push((false, self.ua_msg_response(431, &ep)));
        // CreateSession / ActivateSession (anonymous).
        let mut cs = ua_request_header(3, &[0x00, 0x00]);
        ua_app_description(&mut cs, "urn:plant:hmi:client", 1);
        ua_string(&mut cs, None);
        ua_string(&mut cs, Some(&url));
        ua_string(&mut cs, Some("hmi-session"));
        cs.extend_from_slice(&32i32.to_le_bytes());
        cs.extend_from_slice(&random_bytes(rng, 32));
        cs.extend_from_slice(&(-1i32).to_le_bytes());
        cs.extend_from_slice(&1_200_000f64.to_le_bytes());
        cs.extend_from_slice(&0u32.to_le_bytes());
        msgs.push((true, self.ua_msg(461, &cs)));
        let token = [0x02, 0x00, 0x00];
        let mut csr = ua_response_header(3);
        csr.extend_from_slice(&[0x02, 0x01, 0x00]);
        csr.extend_from_slice(&self.session.to_le_bytes()); // session id ns=1;i=session
        csr.extend_from_slice(&token[..1]);
        csr.extend_from_slice(&le16(1));
        csr.extend_from_slice(&(self.session ^ 0x5A5A_5A5A).to_le_bytes());
        csr.extend_from_slice(&1_200_000f64.to_le_bytes());
        csr.extend_from_slice(&32i32.to_le_bytes());
        csr.extend_from_slice(&random_bytes(rng, 32));
        csr.extend_from_slice(&(-1i32).to_le_bytes()); // certificate
        csr.extend_from_slice(&0i32.to_le_bytes()); // endpoints
        csr.extend_from_slice(&0i32.to_le_bytes()); // software certificates
        ua_string(&mut csr, None);
        csr.extend_from_slice(&(-1i32).to_le_bytes());
        csr.extend_from_slice(&0u32.to_le_bytes());
        msgs.push((false, self.ua_msg_response(464, &csr)));
        let auth = self.ua_auth();
        let mut acts = ua_request_header(4, &auth);
        ua_string(&mut acts, None);
        acts.extend_from_slice(&(-1i32).to_le_bytes());
        acts.extend_from_slice(&(-1i32).to_le_bytes()); // software certificates
        acts.extend_from_slice(&1i32.to_le_bytes());
        ua_string(&mut acts, Some("en"));
        let mut anon = Vec::new();
        ua_string(&mut anon, Some("anonymous"));
        acts.extend_from_slice(&ua_node(321));
        acts.push(0x01);
        acts.extend_from_slice(&len32(anon.len()).to_le_bytes());
        acts.extend_from_slice(&anon);
        ua_string(&mut acts, None);
        acts.extend_from_slice(&(-1i32).to_le_bytes());
        msgs.push((true, self.ua_msg(467, &acts)));
        let mut actr = ua_response_header(4);
        actr.extend_from_slice(&32i32.to_le_bytes());
        actr.extend_from_slice(&random_bytes(rng, 32));
        actr.extend_from_slice(&(-1i32).to_le_bytes());
        actr.extend_from_slice(&(-1i32).to_le_bytes());
        msgs.push((false, self.ua_msg_response(470, &actr)));
        msgs
    }

    fn ua_auth(&self) -> Vec<u8> {
        let mut a = vec![0x02];
        a.extend_from_slice(&le16(1));
        a.extend_from_slice(&(self.session ^ 0x5A5A_5A5A).to_le_bytes());
        a
    }

    /// A request MSG: sequence number and request id advance together.
    fn ua_msg(&mut self, type_id: u16, body: &[u8]) -> Vec<u8> {
        self.c += 1;
        self.ua_symmetric(type_id, body)
    }

    fn ua_msg_response(&mut self, type_id: u16, body: &[u8]) -> Vec<u8> {
        self.ua_symmetric(type_id, body)
    }

    fn ua_symmetric(&self, type_id: u16, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&self.d.to_le_bytes());
        m.extend_from_slice(&1u32.to_le_bytes()); // token id
        m.extend_from_slice(&self.c.to_le_bytes()); // sequence number
        m.extend_from_slice(&self.c.to_le_bytes()); // request id
        m.extend_from_slice(&ua_node(type_id));
        m.extend_from_slice(body);
        ua_chunk(*b"MSG", &m)
    }

    fn opcua_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let handle = self.c + 1;
        let auth = self.ua_auth();
        let tags = [
            "Plant.Tank1.Level",
            "Plant.Pump1.Speed",
            "Plant.Line2.Rate",
            "Plant.Boiler.Temp",
        ];
        let node = |name: &str| {
            let mut n = vec![0x03];
            n.extend_from_slice(&le16(2));
            ua_string(&mut n, Some(name));
            n
        };
        if roll < 15 {
            let mut w = ua_request_header(handle, &auth);
            w.extend_from_slice(&1i32.to_le_bytes());
            w.extend_from_slice(&node(tags[rng.range(0, 3) as usize]));
            w.extend_from_slice(&13u32.to_le_bytes());
            ua_string(&mut w, None);
            w.extend_from_slice(&[0x01, 0x0B]);
            w.extend_from_slice(&(rng.range(0, 10_000) as f64 / 10.0).to_le_bytes());
            let req = self.ua_msg(673, &w);
            let mut r = ua_response_header(handle);
            r.extend_from_slice(&1i32.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&(-1i32).to_le_bytes());
            return vec![(true, req), (false, self.ua_msg_response(676, &r))];
        }
        let n = rng.range(1, 3) as i32;
        let mut rd = ua_request_header(handle, &auth);
        rd.extend_from_slice(&0f64.to_le_bytes());
        rd.extend_from_slice(&0u32.to_le_bytes()); // timestamps: source
        rd.extend_from_slice(&n.to_le_bytes());
        let mut rr = ua_response_header(handle);
        rr.extend_from_slice(&n.to_le_bytes());
        for k in 0..n {
            rd.extend_from_slice(&node(tags[k as usize]));
            rd.extend_from_slice(&13u32.to_le_bytes());
            ua_string(&mut rd, None);
            rd.extend_from_slice(&le16(0));
            ua_string(&mut rd, None);
            rr.extend_from_slice(&[0x05, 0x0B]);
            rr.extend_from_slice(&(rng.range(0, 100_000) as f64 / 100.0).to_le_bytes());
            rr.extend_from_slice(&UA_TIME.to_le_bytes());
        }
        rr.extend_from_slice(&(-1i32).to_le_bytes());
        let req = self.ua_msg(631, &rd);
        vec![(true, req), (false, self.ua_msg_response(634, &rr))]
    }

    // ------------------------------------------------------------------ CoAP

    fn coap_mid(&mut self) -> u16 {
        self.a = self.a.wrapping_add(1);
        (self.a & 0xFFFF) as u16
    }

    fn coap_token(&mut self) -> Vec<u8> {
        self.b = self.b.wrapping_add(1);
        (self.b as u16).to_be_bytes().to_vec()
    }

    fn coap_wellknown(&mut self) -> Vec<Msg> {
        let mid = self.coap_mid();
        let token = self.coap_token();
        let req = coap(
            0,
            1,
            mid,
            &token,
            &[(11, b".well-known".to_vec()), (11, b"core".to_vec())],
            b"",
        );
        let links = b"</sensors/temp>;rt=\"temperature\";obs,</sensors/humidity>;rt=\"humidity\",</actuators/valve>,</firmware>";
        let resp = coap(2, 0x45, mid, &token, &[(12, vec![40])], links);
        vec![(true, req), (false, resp)]
    }

    fn coap_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        if self.observing && roll < 40 {
            // A non-confirmable notification of the observed resource.
            self.c += 1;
            let mid = self.coap_mid();
            let observe = self.c.to_be_bytes()[1..].to_vec();
            let body = format!("{}.{}", rng.range(15, 30), rng.range(0, 9));
            let token = (self.d as u16).to_be_bytes().to_vec();
            return vec![(
                false,
                coap(
                    1,
                    0x45,
                    mid,
                    &token,
                    &[(6, observe), (12, vec![0])],
                    body.as_bytes(),
                ),
            )];
        }
        let mid = self.coap_mid();
        let token = self.coap_token();
        let temp = || vec![(11, b"sensors".to_vec()), (11, b"temp".to_vec())];
        if !self.observing && roll < 10 {
            self.observing = true;
            self.d = self.b;
            self.c = 1;
            let mut opts = vec![(6, Vec::new())];
            opts.extend(temp());
            let req = coap(0, 1, mid, &token, &opts, b"");
            let resp = coap(
                2,
                0x45,
                mid,
                &token,
                &[(6, vec![1]), (12, vec![0])],
                b"21.5",
            );
            return vec![(true, req), (false, resp)];
        }
        if roll < 20 {
            let state: &[u8] = if rng.chance(50) { b"open" } else { b"closed" };
            let req = coap(
                0,
                3,
                mid,
                &token,
                &[
                    (11, b"actuators".to_vec()),
                    (11, b"valve".to_vec()),
                    (12, vec![0]),
                ],
                state,
            );
            return vec![(true, req), (false, coap(2, 0x44, mid, &token, &[], b""))];
        }
        if roll < 28 {
            // Block-wise GET of /firmware: two 64-byte blocks (SZX 2).
            let mut msgs = Vec::new();
            for num in 0..2u8 {
                let mid = if num == 0 { mid } else { self.coap_mid() };
                let fw = || vec![(11, b"firmware".to_vec())];
                let mut ropts = fw();
                ropts.push((23, vec![(num << 4) | 0x02]));
                msgs.push((true, coap(0, 1, mid, &token, &ropts, b"")));
                let more = if num == 0 { 0x08 } else { 0 };
                msgs.push((
                    false,
                    coap(
                        2,
                        0x45,
                        mid,
                        &token,
                        &[(12, vec![42]), (23, vec![(num << 4) | more | 0x02])],
                        &random_bytes(rng, 64),
                    ),
                ));
            }
            return msgs;
        }
        let body = format!("{}.{}", rng.range(15, 30), rng.range(0, 9));
        vec![
            (true, coap(0, 1, mid, &token, &temp(), b"")),
            (
                false,
                coap(2, 0x45, mid, &token, &[(12, vec![0])], body.as_bytes()),
            ),
        ]
    }

    // ------------------------------------------------------------------- FTP

    fn ftp_open() -> Vec<Msg> {
        let lines: [(bool, &str); 7] = [
            (false, "220 ProFTPD Server (plant-ftp) [10.10.0.40]\r\n"),
            (true, "USER recipes\r\n"),
            (false, "331 Password required for recipes\r\n"),
            (true, "PASS Recipe2024!\r\n"),
            (false, "230 User recipes logged in\r\n"),
            (true, "SYST\r\n"),
            (false, "215 UNIX Type: L8\r\n"),
        ];
        lines
            .iter()
            .map(|(c, l)| (*c, l.as_bytes().to_vec()))
            .collect()
    }

    fn ftp_exchange(&mut self, roll: u64) -> Vec<Msg> {
        self.a = self.a.wrapping_add(1);
        let batch = self.a % 100;
        let (cmd, reply) = match roll % 5 {
            0 => (
                "PWD\r\n".to_owned(),
                "257 \"/recipes\" is the current directory\r\n".to_owned(),
            ),
            1 => (
                "NOOP\r\n".to_owned(),
                "200 NOOP command successful\r\n".to_owned(),
            ),
            2 => ("TYPE I\r\n".to_owned(), "200 Type set to I\r\n".to_owned()),
            3 => (
                format!("SIZE batch-{batch:02}.rcp\r\n"),
                format!("213 {}\r\n", 1000 + batch * 17),
            ),
            _ => (
                format!("MDTM batch-{batch:02}.rcp\r\n"),
                "213 20250101083000\r\n".to_owned(),
            ),
        };
        vec![(true, cmd.into_bytes()), (false, reply.into_bytes())]
    }

    // ------------------------------------------------------------------ HTTP

    fn http_exchange(&mut self, rng: &mut XorShift, roll: u64) -> Vec<Msg> {
        let host = format!("10.10.0.{}", 100 + self.index % 100);
        if roll < 15 {
            let body = format!("{{\"setpoint\":{}}}", rng.range(10, 90));
            let req = format!(
                "POST /api/v1/setpoint HTTP/1.1\r\nHost: {host}\r\nUser-Agent: plant-hmi/2.4\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let resp = "HTTP/1.1 204 No Content\r\nServer: lighttpd/1.4.59\r\n\r\n";
            return vec![(true, req.into_bytes()), (false, resp.as_bytes().to_vec())];
        }
        let body = format!(
            "{{\"line\":{},\"state\":\"running\",\"rate\":{}.{}}}",
            self.index % 4 + 1,
            rng.range(100, 900),
            rng.range(0, 9)
        );
        let req = format!(
            "GET /api/v1/status HTTP/1.1\r\nHost: {host}\r\nUser-Agent: plant-hmi/2.4\r\nAccept: application/json\r\n\r\n"
        );
        let resp = format!(
            "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.59\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        vec![(true, req.into_bytes()), (false, resp.into_bytes())]
    }
}

/// OPC UA `DateTime` of 2025-01-01T00:00:00Z (100 ns ticks since 1601).
const UA_TIME: i64 = 133_801_920_000_000_000;

// ------------------------------------------------------------------- encoders

/// CRC-16/DNP over `data` (reflected polynomial 0xA6BC, complemented).
pub(crate) fn dnp3_crc(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA6BC
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A DNP3 link frame with a one-segment transport header and its application fragment.
fn dnp3_frame(control: u8, dest: u16, src: u16, tseq: u8, app: &[u8]) -> Vec<u8> {
    let mut user = vec![0xC0 | (tseq & 0x3F)];
    user.extend_from_slice(app);
    let mut out = vec![0x05, 0x64, (5 + user.len()) as u8, control];
    out.extend_from_slice(&le16(dest));
    out.extend_from_slice(&le16(src));
    let crc = dnp3_crc(&out);
    out.extend_from_slice(&le16(crc));
    for block in user.chunks(16) {
        out.extend_from_slice(block);
        out.extend_from_slice(&le16(dnp3_crc(block)));
    }
    out
}

/// IEC 60870-5-101/104 ASDU: COT 2 octets, CA 2 octets, IOA 3 octets.
fn asdu(type_id: u8, vsq: u8, cot: u8, ca: u16, objects: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![type_id, vsq, cot, 0];
    out.extend_from_slice(&le16(ca));
    for (ioa, element) in objects {
        out.extend_from_slice(&ioa.to_le_bytes()[..3]);
        out.extend_from_slice(element);
    }
    out
}

fn tpkt(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x03, 0x00];
    out.extend_from_slice(&be16(len16(payload.len() + 4)));
    out.extend_from_slice(payload);
    out
}

fn cotp_dt(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02, 0xF0, 0x80];
    out.extend_from_slice(payload);
    out
}

fn cotp_connect(code: u8, dst_ref: u16, src_ref: u16, src_tsap: &[u8], dst_tsap: &[u8]) -> Vec<u8> {
    let mut body = vec![code];
    body.extend_from_slice(&be16(dst_ref));
    body.extend_from_slice(&be16(src_ref));
    body.push(0x00);
    body.extend_from_slice(&[0xC0, 0x01, 0x0A]);
    body.extend_from_slice(&[0xC1, src_tsap.len() as u8]);
    body.extend_from_slice(src_tsap);
    body.extend_from_slice(&[0xC2, dst_tsap.len() as u8]);
    body.extend_from_slice(dst_tsap);
    let mut out = vec![body.len() as u8];
    out.extend_from_slice(&body);
    out
}

fn s7_header(rosctr: u8, pdu_ref: u16, params: &[u8], data: &[u8], error: bool) -> Vec<u8> {
    let mut s7 = vec![0x32, rosctr, 0x00, 0x00];
    s7.extend_from_slice(&be16(pdu_ref));
    s7.extend_from_slice(&be16(len16(params.len())));
    s7.extend_from_slice(&be16(len16(data.len())));
    if error {
        s7.extend_from_slice(&[0x00, 0x00]);
    }
    s7.extend_from_slice(params);
    s7.extend_from_slice(data);
    tpkt(&cotp_dt(&s7))
}

fn s7_job(rosctr: u8, pdu_ref: u16, params: &[u8], data: &[u8]) -> Vec<u8> {
    s7_header(rosctr, pdu_ref, params, data, false)
}

fn s7_ack(rosctr: u8, pdu_ref: u16, params: &[u8], data: &[u8]) -> Vec<u8> {
    s7_header(rosctr, pdu_ref, params, data, true)
}

fn s7_szl_request(pdu_ref: u16, id: u16) -> Vec<u8> {
    let params = [0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00];
    let mut data = vec![0xFF, 0x09, 0x00, 0x04];
    data.extend_from_slice(&be16(id));
    data.extend_from_slice(&be16(0));
    s7_job(7, pdu_ref, &params, &data)
}

fn s7_szl_response(pdu_ref: u16, seq: u8, id: u16, reclen: u16, records: &[u8]) -> Vec<u8> {
    let params = [
        0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, seq, 0x00, 0x00, 0x00, 0x00,
    ];
    let mut szl = Vec::new();
    szl.extend_from_slice(&be16(id));
    szl.extend_from_slice(&be16(0));
    szl.extend_from_slice(&be16(reclen));
    szl.extend_from_slice(&be16(len16(records.len() / reclen as usize)));
    szl.extend_from_slice(records);
    let mut data = vec![0xFF, 0x09];
    data.extend_from_slice(&be16(len16(szl.len())));
    data.extend_from_slice(&szl);
    s7_job(7, pdu_ref, &params, &data)
}

/// S7comm-plus frame: header (0x72, version, length), data, trailer.
fn s7p_pdu(version: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x72, version];
    out.extend_from_slice(&be16(len16(data.len())));
    out.extend_from_slice(data);
    out.extend_from_slice(&[0x72, version, 0x00, 0x00]);
    out
}

fn enip(command: u16, session: u32, context: u64, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + data.len());
    out.extend_from_slice(&le16(command));
    out.extend_from_slice(&le16(len16(data.len())));
    out.extend_from_slice(&session.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&context.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn cip_request(service: u8, path: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = vec![service, (path.len() / 2) as u8];
    out.extend_from_slice(path);
    out.extend_from_slice(data);
    out
}

fn cip_response(service: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![service | 0x80, 0x00, 0x00, 0x00];
    out.extend_from_slice(data);
    out
}

fn bvlc(expect_reply: bool, apdu: &[u8]) -> Vec<u8> {
    let mut out = vec![0x81, 0x0A];
    out.extend_from_slice(&be16(len16(apdu.len() + 6)));
    out.push(0x01);
    out.push(if expect_reply { 0x04 } else { 0x00 });
    out.extend_from_slice(apdu);
    out
}

fn bacnet_objid(object_type: u32, instance: u32) -> [u8; 4] {
    ((object_type << 22) | (instance & 0x003F_FFFF)).to_be_bytes()
}

fn bacnet_string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&[0x75, (text.len() + 1) as u8, 0x00]);
    out.extend_from_slice(text.as_bytes());
}

fn bacnet_rp(invoke: u8, object_type: u32, instance: u32, prop: u8) -> Vec<u8> {
    let mut apdu = vec![0x00, 0x05, invoke, 12, 0x0C];
    apdu.extend_from_slice(&bacnet_objid(object_type, instance));
    apdu.extend_from_slice(&[0x19, prop]);
    apdu
}

fn bacnet_rp_ack(invoke: u8, object_type: u32, instance: u32, prop: u8, value: &[u8]) -> Vec<u8> {
    let mut apdu = vec![0x30, invoke, 12, 0x0C];
    apdu.extend_from_slice(&bacnet_objid(object_type, instance));
    apdu.extend_from_slice(&[0x19, prop, 0x3E]);
    apdu.extend_from_slice(value);
    apdu.push(0x3F);
    apdu
}

fn ua_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.extend_from_slice(&len32(s.len()).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&(-1i32).to_le_bytes()),
    }
}

/// Four-byte `NodeId` of a binary encoding id in namespace 0.
fn ua_node(id: u16) -> Vec<u8> {
    let mut n = vec![0x01, 0x00];
    n.extend_from_slice(&le16(id));
    n
}

fn ua_chunk(kind: [u8; 3], body: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.push(b'F');
    out.extend_from_slice(&len32(body.len() + 8).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn ua_request_header(handle: u32, auth: &[u8]) -> Vec<u8> {
    let mut h = auth.to_vec();
    h.extend_from_slice(&UA_TIME.to_le_bytes());
    h.extend_from_slice(&handle.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    ua_string(&mut h, None);
    h.extend_from_slice(&10_000u32.to_le_bytes());
    h.extend_from_slice(&[0x00, 0x00, 0x00]);
    h
}

fn ua_response_header(handle: u32) -> Vec<u8> {
    let mut h = UA_TIME.to_le_bytes().to_vec();
    h.extend_from_slice(&handle.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.push(0x00);
    h.extend_from_slice(&(-1i32).to_le_bytes());
    h.extend_from_slice(&[0x00, 0x00, 0x00]);
    h
}

fn ua_app_description(out: &mut Vec<u8>, uri: &str, app_type: u32) {
    ua_string(out, Some(uri));
    ua_string(out, Some("urn:plant:product"));
    out.push(0x02);
    ua_string(
        out,
        Some(if app_type == 0 {
            "Plant OPC UA Server"
        } else {
            "Plant HMI"
        }),
    );
    out.extend_from_slice(&app_type.to_le_bytes());
    ua_string(out, None);
    ua_string(out, None);
    out.extend_from_slice(&(-1i32).to_le_bytes());
}

fn coap(
    kind: u8,
    code: u8,
    mid: u16,
    token: &[u8],
    options: &[(u16, Vec<u8>)],
    payload: &[u8],
) -> Vec<u8> {
    let mut out = vec![0x40 | (kind << 4) | token.len() as u8, code];
    out.extend_from_slice(&be16(mid));
    out.extend_from_slice(token);
    let mut last = 0u16;
    let mut opts: Vec<&(u16, Vec<u8>)> = options.iter().collect();
    opts.sort_by_key(|o| o.0);
    for (number, value) in opts {
        let delta = number - last;
        last = *number;
        let nib = |v: usize| if v < 13 { v as u8 } else { 13 };
        out.push((nib(delta as usize) << 4) | nib(value.len()));
        if delta >= 13 {
            out.push((delta - 13) as u8);
        }
        if value.len() >= 13 {
            out.push((value.len() - 13) as u8);
        }
        out.extend_from_slice(value);
    }
    if !payload.is_empty() {
        out.push(0xFF);
        out.extend_from_slice(payload);
    }
    out
}

fn tls_record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 0x03, 0x03];
    out.extend_from_slice(&be16(len16(body.len())));
    out.extend_from_slice(body);
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&len32(body.len()).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    out.extend_from_slice(&be16(kind));
    out.extend_from_slice(&be16(len16(body.len())));
    out.extend_from_slice(body);
}

/// A full TLS 1.2 ECDHE-ECDSA handshake, as the server's certificate shows it.
fn tls_handshake(rng: &mut XorShift, sni: Option<&str>) -> Vec<Msg> {
    let mut ch = vec![0x03, 0x03];
    ch.extend_from_slice(&random_bytes(rng, 32));
    ch.push(32);
    let session = random_bytes(rng, 32);
    ch.extend_from_slice(&session);
    let suites: [u16; 6] = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0x009C, 0x00FF];
    ch.extend_from_slice(&be16(len16(suites.len() * 2)));
    for s in suites {
        ch.extend_from_slice(&be16(s));
    }
    ch.extend_from_slice(&[0x01, 0x00]);
    let mut ext = Vec::new();
    if let Some(name) = sni {
        let mut sn = Vec::new();
        sn.extend_from_slice(&be16(len16(name.len() + 3)));
        sn.push(0);
        sn.extend_from_slice(&be16(len16(name.len())));
        sn.extend_from_slice(name.as_bytes());
        extension(&mut ext, 0x0000, &sn);
    }
    extension(&mut ext, 0x000A, &[0x00, 0x04, 0x00, 0x17, 0x00, 0x18]);
    extension(&mut ext, 0x000B, &[0x01, 0x00]);
    extension(
        &mut ext,
        0x000D,
        &[0x00, 0x06, 0x04, 0x03, 0x05, 0x03, 0x04, 0x01],
    );
    extension(&mut ext, 0x0017, &[]);
    ch.extend_from_slice(&be16(len16(ext.len())));
    ch.extend_from_slice(&ext);
    let client_hello = tls_record(22, &handshake(1, &ch));

    let mut sh = vec![0x03, 0x03];
    sh.extend_from_slice(&random_bytes(rng, 32));
    sh.push(32);
    sh.extend_from_slice(&session);
    sh.extend_from_slice(&be16(0xC02B));
    sh.push(0);
    let mut sext = Vec::new();
    extension(&mut sext, 0xFF01, &[0x00]);
    extension(&mut sext, 0x000B, &[0x01, 0x00]);
    extension(&mut sext, 0x0017, &[]);
    sh.extend_from_slice(&be16(len16(sext.len())));
    sh.extend_from_slice(&sext);
    let mut certs = Vec::new();
    certs.extend_from_slice(&len32(CERT_DER.len() + 3).to_be_bytes()[1..]);
    certs.extend_from_slice(&len32(CERT_DER.len()).to_be_bytes()[1..]);
    certs.extend_from_slice(CERT_DER);
    let mut ske = vec![0x03, 0x00, 0x17, 65, 0x04];
    ske.extend_from_slice(&random_bytes(rng, 64));
    ske.extend_from_slice(&[0x04, 0x03]);
    let mut sig = vec![0x30, 0x44, 0x02, 0x20];
    sig.extend_from_slice(&random_bytes(rng, 32));
    sig.extend_from_slice(&[0x02, 0x20]);
    sig.extend_from_slice(&random_bytes(rng, 32));
    sig[4] &= 0x7F;
    sig[38] &= 0x7F;
    ske.extend_from_slice(&be16(len16(sig.len())));
    ske.extend_from_slice(&sig);
    let mut flight = Vec::new();
    flight.extend_from_slice(&handshake(2, &sh));
    flight.extend_from_slice(&handshake(11, &certs));
    flight.extend_from_slice(&handshake(12, &ske));
    flight.extend_from_slice(&handshake(14, &[]));
    let server_flight = tls_record(22, &flight);

    let mut cke = vec![65, 0x04];
    cke.extend_from_slice(&random_bytes(rng, 64));
    let mut client_finish = tls_record(22, &handshake(16, &cke));
    client_finish.extend_from_slice(&tls_record(20, &[0x01]));
    client_finish.extend_from_slice(&tls_record(22, &random_bytes(rng, 40)));
    let mut server_finish = tls_record(20, &[0x01]);
    server_finish.extend_from_slice(&tls_record(22, &random_bytes(rng, 40)));
    vec![
        (true, client_hello),
        (false, server_flight),
        (true, client_finish),
        (false, server_finish),
    ]
}

fn ssh_packet(rng: &mut XorShift, payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - (5 + payload.len()) % 8;
    if padding < 4 {
        padding += 8;
    }
    let mut out = len32(1 + payload.len() + padding).to_be_bytes().to_vec();
    out.push(padding as u8);
    out.extend_from_slice(payload);
    out.extend_from_slice(&random_bytes(rng, padding));
    out
}

fn ssh_string(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&len32(data.len()).to_be_bytes());
    out.extend_from_slice(data);
}

fn ssh_kexinit(rng: &mut XorShift) -> Vec<u8> {
    let mut p = vec![20];
    p.extend_from_slice(&random_bytes(rng, 16));
    for list in [
        "curve25519-sha256,ecdh-sha2-nistp256",
        "rsa-sha2-256,rsa-sha2-512",
        "chacha20-poly1305@openssh.com",
        "chacha20-poly1305@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ] {
        ssh_string(&mut p, list.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&[0, 0, 0, 0]);
    ssh_packet(rng, &p)
}

fn ssh_open(rng: &mut XorShift) -> Vec<Msg> {
    let mut init = vec![30];
    ssh_string(&mut init, &random_bytes(rng, 32));
    // RSA host key (e = 65537, 2048-bit n) and an rsa-sha2-256 signature.
    let mut host_key = Vec::new();
    ssh_string(&mut host_key, b"ssh-rsa");
    ssh_string(&mut host_key, &[0x01, 0x00, 0x01]);
    let mut n = vec![0x00, 0xC3];
    n.extend_from_slice(&random_bytes(rng, 255));
    ssh_string(&mut host_key, &n);
    let mut signature = Vec::new();
    ssh_string(&mut signature, b"rsa-sha2-256");
    ssh_string(&mut signature, &random_bytes(rng, 256));
    let mut reply = vec![31];
    ssh_string(&mut reply, &host_key);
    ssh_string(&mut reply, &random_bytes(rng, 32));
    ssh_string(&mut reply, &signature);
    let mut server_kex = ssh_packet(rng, &reply);
    server_kex.extend_from_slice(&ssh_packet(rng, &[21]));
    vec![
        (true, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".to_vec()),
        (false, b"SSH-2.0-dropbear_2020.81\r\n".to_vec()),
        (true, ssh_kexinit(rng)),
        (false, ssh_kexinit(rng)),
        (true, ssh_packet(rng, &init)),
        (false, server_kex),
        (true, ssh_packet(rng, &[21])),
    ]
}

/// A chacha20-poly1305 protected SSH packet: encrypted length, `blocks` 8-byte blocks, 16-byte tag.
fn ssh_encrypted(rng: &mut XorShift, blocks: usize) -> Vec<u8> {
    random_bytes(rng, 4 + blocks * 8 + 16)
}

fn telnet_open() -> Vec<Msg> {
    vec![
        (
            false,
            vec![0xFF, 0xFD, 0x18, 0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03],
        ),
        (
            true,
            vec![0xFF, 0xFB, 0x18, 0xFF, 0xFD, 0x01, 0xFF, 0xFD, 0x03],
        ),
        (false, b"\r\nRTU-7 (VxWorks 6.9)\r\nlogin: ".to_vec()),
        (true, b"admin\r\n".to_vec()),
        (false, b"Password: ".to_vec()),
        (true, b"rtu7admin\r\n".to_vec()),
        (false, b"\r\nWelcome to RTU-7\r\nrtu7> ".to_vec()),
    ]
}

fn telnet_exchange(rng: &mut XorShift, roll: u64) -> Vec<Msg> {
    let (cmd, out): (&[u8], String) = match roll % 4 {
        0 => (
            b"show status\r\n",
            format!(
                "\r\nfeeder 1: closed  load {} A\r\nrtu7> ",
                rng.range(10, 400)
            ),
        ),
        1 => (
            b"show alarms\r\n",
            "\r\nno active alarms\r\nrtu7> ".to_owned(),
        ),
        2 => (
            b"uptime\r\n",
            format!("\r\nup {} days\r\nrtu7> ", rng.range(1, 900)),
        ),
        _ => (
            b"show version\r\n",
            "\r\nRTU-7 firmware 4.2.1\r\nrtu7> ".to_owned(),
        ),
    };
    vec![(true, cmd.to_vec()), (false, out.into_bytes())]
}

fn rdp_open(rng: &mut XorShift) -> Vec<Msg> {
    let cookie = b"Cookie: mstshash=operator\r\n";
    let mut cr = vec![0xE0, 0x00, 0x00, 0x00, 0x00, 0x00];
    cr.extend_from_slice(cookie);
    cr.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
    let mut x224 = vec![cr.len() as u8];
    x224.extend_from_slice(&cr);
    let cc = [
        0x0E, 0xD0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x1F, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,
    ];
    let mut msgs = vec![(true, tpkt(&x224)), (false, tpkt(&cc))];
    msgs.extend(tls_handshake(rng, None));
    msgs
}

fn vnc_open(rng: &mut XorShift) -> Vec<Msg> {
    let mut server_init = Vec::new();
    server_init.extend_from_slice(&be16(1280));
    server_init.extend_from_slice(&be16(800));
    server_init.extend_from_slice(&[32, 24, 0, 1]);
    server_init.extend_from_slice(&be16(255));
    server_init.extend_from_slice(&be16(255));
    server_init.extend_from_slice(&be16(255));
    server_init.extend_from_slice(&[16, 8, 0, 0, 0, 0]);
    let name = b"HMI-Panel-3";
    server_init.extend_from_slice(&len32(name.len()).to_be_bytes());
    server_init.extend_from_slice(name);
    vec![
        (false, b"RFB 003.008\n".to_vec()),
        (true, b"RFB 003.008\n".to_vec()),
        (false, vec![1, 2]),
        (true, vec![2]),
        (false, random_bytes(rng, 16)),
        (true, random_bytes(rng, 16)),
        (false, vec![0, 0, 0, 0]),
        (true, vec![1]),
        (false, server_init),
        (true, vec![2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]),
    ]
}

fn vnc_exchange(rng: &mut XorShift, roll: u64) -> Vec<Msg> {
    if roll < 20 {
        let x = rng.range(0, 1279) as u16;
        let y = rng.range(0, 799) as u16;
        let mut m = vec![5, 0];
        m.extend_from_slice(&be16(x));
        m.extend_from_slice(&be16(y));
        return vec![(true, m)];
    }
    let (x, y) = (rng.range(0, 79) as u16 * 16, rng.range(0, 49) as u16 * 16);
    let mut req = vec![3, 1];
    for v in [0u16, 0, 1280, 800] {
        req.extend_from_slice(&be16(v));
    }
    let mut upd = vec![0, 0];
    upd.extend_from_slice(&be16(1));
    for v in [x, y, 16, 16] {
        upd.extend_from_slice(&be16(v));
    }
    upd.extend_from_slice(&0i32.to_be_bytes());
    upd.extend_from_slice(&random_bytes(rng, 16 * 16 * 4));
    vec![(true, req), (false, upd)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnp3_crc_matches_the_standard_check_value() {
        // CRC-16/DNP check value over "123456789".
        assert_eq!(dnp3_crc(b"123456789"), 0xEA82);
    }

    #[test]
    fn every_exchange_is_non_empty() {
        let mut rng = XorShift::new(7);
        for proto in Proto::ALL {
            let mut app = OtApp::new(proto, 3, &mut rng);
            let _ = app.open(&mut rng);
            for _ in 0..200 {
                assert!(!app.exchange(&mut rng).is_empty(), "{}", proto.name());
            }
        }
    }
}
