//! TLS flow state: one EVE `tls` event per session, in Suricata's layout (`tls.subject`,
//! `issuerdn`, `serial`, `fingerprint`, `sni`, `version`, `notbefore`, `notafter`, `ja4`,
//! `client_alpns`, `server_alpns`, `client_handshake`, `server_handshake`, `client`), plus
//! Skjold's additions (cipher names, chosen suite, key type and size, signature algorithm,
//! `self_signed`, `expired`, `chain_length`). The event is written when the handshake leaves
//! cleartext (a ChangeCipherSpec or application data from the server, or the client's first
//! application data), or when the flow ends.
//!
//! Grammar: `skjold_proto::tls` (records, handshake reassembly across records, hellos, JA4,
//! certificate summary). Records are framed on both sides; handshake records are buffered
//! whole (at most 18 KiB, [`tls::MAX_RECORD_LEN`]) and their messages reassembled across
//! records up to [`tls::MAX_HANDSHAKE_MESSAGE`] (64 KiB) per direction.
//!
//! Identity: when the server's leaf certificate is self-signed, its subject common name
//! becomes the server's `name` (a device's own certificate names the device; a CA-issued
//! certificate names a service or domain, which is not the device's name).
//!
//! Anomaly kinds: `not_tls` (bytes that are not a TLS record; the direction is then ignored),
//! `record_too_large`, `handshake_too_large` (a handshake message above the 64 KiB limit),
//! `malformed_client_hello`, `malformed_server_hello`, `malformed_certificate`,
//! `malformed_extension`, `too_many_extensions`.
//!
//! The same state serves `AnyDesk` (TLS on TCP 7070): its events are `anydesk` events with
//! the same body.
//!
//! Detection: one `Tls` observation per handshake (from the server), once the server's choice
//! is known: negotiated version, cipher suite and whether it is weak
//! ([`tls::weak_cipher`]), the client's SNI and, up to TLS 1.2, the leaf certificate (subject,
//! issuer, validity, self-signed, key size). TLS 1.3 reports at the ServerHello (the
//! certificate is encrypted); older versions after the server's Certificate message, or at
//! ServerHelloDone, the server's ChangeCipherSpec or the flow's end when none was seen.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_proto::tls::{
    self, CertSummary, ContentType, Defragmenter, HandshakeMessage, HandshakeType, Ja4Transport,
    Version,
};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[443, 8443, 8883, 4843];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("tls_client", "tls_server");

/// Port-independent detection on the first bytes of one direction: a handshake record
/// holding a ClientHello or ServerHello (`skjold_proto::tls::probe`).
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => tls::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(TlsState::default())
}

/// What the ClientHello said.
#[derive(Debug, Clone)]
struct ClientInfo {
    legacy_version: u16,
    supported_versions: Vec<u16>,
    ciphers: Vec<u16>,
    extensions: Vec<u16>,
    sig_algs: Vec<u16>,
    sni: Option<Vec<u8>>,
    alpn: Vec<Vec<u8>>,
    ja4: String,
}

/// What the ServerHello said.
#[derive(Debug, Clone)]
struct ServerInfo {
    version: u16,
    legacy_version: u16,
    cipher: u16,
    alpn: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Side {
    /// Bytes of the current non-handshake record still to skip.
    skip: usize,
    /// Not TLS (or lost): ignore this direction.
    lost: bool,
    /// Sent ChangeCipherSpec or application data: later handshake records are encrypted.
    encrypted: bool,
    hs: Defragmenter,
}

/// TLS state of one flow.
#[derive(Debug, Default)]
pub(crate) struct TlsState {
    sides: [Side; 2],
    client: Option<ClientInfo>,
    server: Option<ServerInfo>,
    cert: Option<CertSummary>,
    chain_length: usize,
    client_cert: Option<CertSummary>,
    logged: bool,
    /// The `Tls` observation was made.
    observed: bool,
    /// When set, the event body is nested in an object of this name (RDP's `tls`).
    nest: Option<&'static str>,
    /// AnyDesk flow: report whether the certificate names AnyDesk.
    anydesk: bool,
}

fn idx(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl TlsState {
    /// A state whose event body is written inside an object named `key` (for protocols that
    /// switch to TLS, such as RDP).
    pub(crate) fn nested(key: &'static str) -> Self {
        TlsState {
            nest: Some(key),
            ..TlsState::default()
        }
    }

    /// A state for AnyDesk flows (adds `anydesk_certificate`).
    pub(crate) fn anydesk() -> Self {
        TlsState {
            anydesk: true,
            ..TlsState::default()
        }
    }

    fn is_tls13(&self) -> bool {
        self.server
            .as_ref()
            .is_some_and(|s| s.version == Version::TLS13.0)
    }

    fn handshake(&mut self, dir: Dir, msg: HandshakeMessage<'_>, ctx: &mut AppCtx<'_>) {
        match (dir, msg.msg_type) {
            (Dir::ToServer, HandshakeType::CLIENT_HELLO) => {
                match tls::parse_client_hello(msg.body) {
                    Ok(ch) => {
                        Self::flags(dir, ch.flags, ctx);
                        self.client = Some(ClientInfo {
                            legacy_version: ch.legacy_version.0,
                            supported_versions: ch.supported_versions.clone(),
                            ciphers: ch.ciphers.clone(),
                            extensions: ch.extensions.clone(),
                            sig_algs: ch.signature_algorithms.clone(),
                            sni: ch.sni.map(<[u8]>::to_vec),
                            alpn: ch.alpn.iter().map(|a| a.to_vec()).collect(),
                            ja4: tls::ja4(&ch, Ja4Transport::Tcp),
                        });
                    }
                    Err(_) => ctx.anomaly(dir, "malformed_client_hello"),
                }
            }
            (Dir::ToClient, HandshakeType::SERVER_HELLO) => {
                match tls::parse_server_hello(msg.body) {
                    Ok(sh) => {
                        Self::flags(dir, sh.flags, ctx);
                        self.server = Some(ServerInfo {
                            version: sh.version().0,
                            legacy_version: sh.legacy_version.0,
                            cipher: sh.cipher,
                            alpn: sh.alpn.map(<[u8]>::to_vec),
                        });
                        if self.is_tls13() {
                            self.observe(ctx);
                        }
                    }
                    Err(_) => ctx.anomaly(dir, "malformed_server_hello"),
                }
            }
            (_, HandshakeType::CERTIFICATE) if !self.is_tls13() => {
                let leaf = tls::parse_certificate_list(msg.body)
                    .ok()
                    .and_then(|chain| {
                        let n = chain.len();
                        chain.first().map(|der| (n, tls::certificate_summary(der)))
                    });
                match leaf {
                    Some((n, Ok(summary))) => {
                        if dir == Dir::ToClient {
                            if summary.self_signed {
                                if let Some(cn) = &summary.subject_cn {
                                    ctx.identity(Endpoint::Server, "name", cn);
                                }
                            }
                            self.chain_length = n;
                            self.cert = Some(summary);
                            self.observe(ctx);
                        } else {
                            self.client_cert = Some(summary);
                        }
                    }
                    // An empty list is legal (a client without a certificate).
                    None if tls::parse_certificate_list(msg.body).is_ok() => {}
                    _ => ctx.anomaly(dir, "malformed_certificate"),
                }
            }
            (Dir::ToClient, HandshakeType::SERVER_HELLO_DONE) => self.observe(ctx),
            _ => {}
        }
    }

    /// Report the handshake to detection, once, when the server's choice is known.
    fn observe(&mut self, ctx: &mut AppCtx<'_>) {
        if self.observed || !ctx.detecting() {
            return;
        }
        let Some(server) = &self.server else {
            return;
        };
        self.observed = true;
        let cert = self.cert.as_ref().map(|c| skjold_detect::obs::Cert {
            subject: c.subject.as_str().into(),
            issuer: c.issuer.as_str().into(),
            not_before: c.not_before_unix,
            not_after: c.not_after_unix,
            self_signed: c.self_signed,
            key_bits: u32::try_from(c.key_bits).ok().filter(|&b| b > 0),
        });
        let sni = self
            .client
            .as_ref()
            .and_then(|c| c.sni.as_deref())
            .map(|s| String::from_utf8_lossy(s).into());
        let what = skjold_detect::What::Tls(skjold_detect::obs::Tls {
            version: Some(server.version),
            cipher: Some(server.cipher),
            weak_cipher: tls::weak_cipher(server.cipher),
            cert,
            sni,
        });
        ctx.observe(Dir::ToClient, what);
    }

    fn flags(dir: Dir, f: tls::HelloFlags, ctx: &mut AppCtx<'_>) {
        if f.malformed_extension {
            ctx.anomaly(dir, "malformed_extension");
        }
        if f.too_many_extensions {
            ctx.anomaly(dir, "too_many_extensions");
        }
    }

    fn emit(&mut self, ctx: &mut AppCtx<'_>) {
        self.observe(ctx);
        if self.logged || (self.client.is_none() && self.server.is_none()) {
            return;
        }
        self.logged = true;
        if !ctx.log_enabled() {
            return;
        }
        let now_s = (ctx.ts.0 / 1_000_000) as i64;
        let (client, server, cert, ccert, chain) = (
            self.client.as_ref(),
            self.server.as_ref(),
            self.cert.as_ref(),
            self.client_cert.as_ref(),
            self.chain_length,
        );
        let nest = self.nest;
        let anydesk = self.anydesk;
        ctx.event(Dir::ToServer, |w| {
            if let Some(k) = nest {
                w.open_object(k);
            }
            write_body(w, client, server, cert, ccert, chain, now_s);
            if anydesk {
                let named = cert.is_some_and(|c| c.subject.contains("AnyDesk"));
                w.set_bool("anydesk_certificate", named);
            }
            if nest.is_some() {
                w.close();
            }
        });
    }
}

fn write_cert(w: &mut JsonWriter, c: &CertSummary, now_s: i64) {
    w.set_str("subject", &c.subject)
        .set_str("issuerdn", &c.issuer)
        .set_str("serial", &c.serial)
        .set_str("fingerprint", &c.fingerprint)
        .set_str("notbefore", &c.not_before)
        .set_str("notafter", &c.not_after)
        .set_bool("self_signed", c.self_signed)
        .set_bool("expired", c.not_after_unix < now_s)
        .set_str("key_type", c.key_type)
        .set_uint("key_bits", c.key_bits as u64)
        .set_str("signature_algorithm", &c.signature_algorithm);
}

fn u16_array(w: &mut JsonWriter, key: &str, v: &[u16]) {
    w.open_array(key);
    for x in v {
        w.append_uint(u64::from(*x));
    }
    w.close_array();
}

fn write_body(
    w: &mut JsonWriter,
    client: Option<&ClientInfo>,
    server: Option<&ServerInfo>,
    cert: Option<&CertSummary>,
    client_cert: Option<&CertSummary>,
    chain_length: usize,
    now_s: i64,
) {
    if let Some(c) = cert {
        write_cert(w, c, now_s);
        w.set_uint("chain_length", chain_length as u64);
    }
    if let Some(sni) = client.and_then(|c| c.sni.as_deref()) {
        w.set_bytes_str("sni", sni);
    }
    let version = server
        .map(|s| s.version)
        .or_else(|| client.map(|c| c.legacy_version));
    if let Some(v) = version {
        w.set_str("version", Version(v).name())
            .set_uint("version_raw", u64::from(v));
    }
    if let Some(s) = server {
        w.set_uint("cipher_suite_raw", u64::from(s.cipher)).set_str(
            "cipher_suite",
            tls::cipher_name(s.cipher).unwrap_or("unknown"),
        );
    }
    if let Some(c) = client {
        w.set_str("ja4", &c.ja4);
        if !c.alpn.is_empty() {
            w.open_array("client_alpns");
            for a in &c.alpn {
                w.append_str(&String::from_utf8_lossy(a));
            }
            w.close_array();
        }
    }
    if let Some(a) = server.and_then(|s| s.alpn.as_deref()) {
        w.open_array("server_alpns")
            .append_str(&String::from_utf8_lossy(a))
            .close_array();
    }
    if let Some(c) = client {
        w.open_object("client_handshake");
        let offered = c
            .supported_versions
            .iter()
            .copied()
            .filter(|v| !tls::is_grease(*v))
            .max()
            .unwrap_or(c.legacy_version);
        w.set_str("version", Version(offered).name())
            .set_uint("legacy_version", u64::from(c.legacy_version));
        u16_array(w, "supported_versions", &c.supported_versions);
        u16_array(w, "ciphers", &c.ciphers);
        w.open_array("cipher_names");
        for id in &c.ciphers {
            w.append_str(tls::cipher_name(*id).unwrap_or("unknown"));
        }
        w.close_array();
        u16_array(w, "exts", &c.extensions);
        u16_array(w, "sig_algs", &c.sig_algs);
        w.close();
    }
    if let Some(s) = server {
        w.open_object("server_handshake")
            .set_str("version", Version(s.version).name())
            .set_uint("legacy_version", u64::from(s.legacy_version))
            .set_uint("chosen_cipher", u64::from(s.cipher))
            .close();
    }
    if let Some(c) = client_cert {
        w.open_object("client");
        write_cert(w, c, now_s);
        w.close();
    }
}

impl AppState for TlsState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let i = idx(dir);
        let mut pos = 0;
        while pos < input.len() {
            let side = &mut self.sides[i];
            if side.lost {
                return input.len();
            }
            if side.skip > 0 {
                let n = side.skip.min(input.len() - pos);
                side.skip -= n;
                pos += n;
                continue;
            }
            let rest = &input[pos..];
            let hdr = match tls::parse_record_header(rest) {
                Ok(h) => h,
                Err(ParseError::Incomplete(_)) => return pos,
                Err(ParseError::TooLarge { len, .. }) => {
                    ctx.anomaly(dir, "record_too_large");
                    side.skip = len;
                    continue;
                }
                Err(_) => {
                    side.lost = true;
                    ctx.anomaly(dir, "not_tls");
                    return input.len();
                }
            };
            ctx.count_pdu();
            let total = tls::RECORD_HEADER_LEN + hdr.len;
            match hdr.content_type {
                ContentType::HANDSHAKE if !side.encrypted => {
                    let Some(body) = rest.get(tls::RECORD_HEADER_LEN..total) else {
                        return pos;
                    };
                    let mut msgs: Vec<(HandshakeType, Vec<u8>)> = Vec::new();
                    let res = side
                        .hs
                        .push(body, |m| msgs.push((m.msg_type, m.body.to_vec())));
                    if res.is_err() {
                        ctx.anomaly(dir, "handshake_too_large");
                    }
                    for (t, b) in msgs {
                        self.handshake(
                            dir,
                            HandshakeMessage {
                                msg_type: t,
                                body: &b,
                            },
                            ctx,
                        );
                    }
                    pos += total;
                }
                ContentType::CHANGE_CIPHER_SPEC | ContentType::APPLICATION_DATA => {
                    side.encrypted = true;
                    side.skip = total;
                    if dir == Dir::ToClient || hdr.content_type == ContentType::APPLICATION_DATA {
                        self.emit(ctx);
                    }
                }
                _ => side.skip = total,
            }
        }
        pos
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        // Record boundaries are lost: this direction cannot be followed any more.
        let side = &mut self.sides[idx(dir)];
        side.hs.clear();
        side.lost = true;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        self.emit(ctx);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;
    use proptest::prelude::*;

    /// A record holding `msg` as one handshake message of type `t`.
    fn hs_record(t: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![t, 0, (body.len() >> 8) as u8, body.len() as u8];
        m.extend_from_slice(body);
        let mut r = vec![0x16, 3, 1, (m.len() >> 8) as u8, m.len() as u8];
        r.extend_from_slice(&m);
        r
    }

    pub(crate) fn client_hello() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[7; 32]); // random
        b.push(0); // session id
        b.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]); // two suites
        b.extend_from_slice(&[1, 0]); // null compression
        let sni = b"plc.example";
        let mut ext = vec![0, 0];
        let l = sni.len() as u8;
        ext.extend_from_slice(&[0, l + 5, 0, l + 3, 0, 0, l]);
        ext.extend_from_slice(sni);
        ext.extend_from_slice(&[0, 0x10, 0, 5, 0, 3, 2, b'h', b'2']); // ALPN h2
        ext.extend_from_slice(&[0, 0x2b, 0, 5, 4, 3, 4, 3, 3]); // supported_versions
        ext.extend_from_slice(&[0, 0x0d, 0, 4, 0, 2, 4, 3]); // sig algs
        b.extend_from_slice(&[0, ext.len() as u8]);
        b.extend_from_slice(&ext);
        hs_record(1, &b)
    }

    pub(crate) fn server_hello() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[9; 32]);
        b.push(0);
        b.extend_from_slice(&[0x13, 0x01, 0]);
        b.extend_from_slice(&[0, 6, 0, 0x2b, 0, 2, 3, 4]);
        hs_record(2, &b)
    }

    /// The TCP payloads of connection `conn` (0 for the first) to `server_port` in a capture of
    /// `tests/data/peers/` (real peers on loopback), in file order with the direction they
    /// travelled; retransmitted bytes dropped.
    pub(crate) fn peer_stream(file: &str, server_port: u16, conn: usize) -> Vec<(Dir, Vec<u8>)> {
        use skjold_net::decode::{decode, transport, Net, Transport};
        use std::ops::ControlFlow;
        let path = format!(
            "{}/../../tests/data/peers/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut cap = skjold_capture::CaptureFile::open(std::path::Path::new(&path)).unwrap();
        let mut out = Vec::new();
        let mut next_seq: [Option<u32>; 2] = [None, None];
        let mut clients: Vec<u16> = Vec::new();
        cap.for_each(|item, _| {
            let skjold_capture::Item::Packet(p) = item else {
                return ControlFlow::Continue(());
            };
            let Ok(d) = decode(p.linktype.0, p.data) else {
                return ControlFlow::Continue(());
            };
            let Net::Ip(ip) = d.net else {
                return ControlFlow::Continue(());
            };
            let Transport::Tcp {
                sport,
                dport,
                seq,
                payload,
                ..
            } = transport(ip.proto, ip.payload)
            else {
                return ControlFlow::Continue(());
            };
            let (dir, i, client) = if dport == server_port {
                (Dir::ToServer, 0, sport)
            } else {
                (Dir::ToClient, 1, dport)
            };
            if !clients.contains(&client) {
                clients.push(client);
            }
            if clients.iter().position(|&c| c == client) != Some(conn) {
                return ControlFlow::Continue(());
            }
            let skip = next_seq[i].map_or(0, |n| n.wrapping_sub(seq) as usize);
            if payload.len() > skip && skip < 1 << 30 {
                out.push((dir, payload[skip..].to_vec()));
                next_seq[i] = Some(seq.wrapping_add(payload.len() as u32));
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        out
    }

    /// Feed a real capture's stream as the TCP layer would (unconsumed bytes offered again).
    pub(crate) fn feed_stream<S: AppState>(h: &mut Harness<S>, stream: Vec<(Dir, Vec<u8>)>) {
        let mut bufs: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        for (dir, bytes) in stream {
            let b = &mut bufs[idx(dir)];
            b.extend_from_slice(&bytes);
            let n = h.feed(dir, b);
            b.drain(..n);
        }
        h.close();
    }

    fn harness() -> Harness<TlsState> {
        Harness::with(TlsState::default(), AppProto::Tls)
    }

    #[test]
    fn one_event_per_session_with_hello_fields() {
        let mut h = harness();
        let ch = client_hello();
        assert_eq!(h.feed(Dir::ToServer, &ch), ch.len());
        let mut sh = server_hello();
        sh.extend_from_slice(&[0x14, 3, 3, 0, 1, 1]); // CCS ends the cleartext part
        assert_eq!(h.feed(Dir::ToClient, &sh), sh.len());
        h.close();
        let ev = h.events();
        let tls: Vec<_> = ev.iter().filter(|e| e["event_type"] == "tls").collect();
        assert_eq!(tls.len(), 1, "{ev:?}");
        let t = &tls[0]["tls"];
        assert_eq!(t["sni"], "plc.example");
        assert_eq!(t["version"], "TLS 1.3");
        assert_eq!(t["cipher_suite"], "TLS_AES_128_GCM_SHA256");
        assert_eq!(t["client_alpns"][0], "h2");
        assert_eq!(t["client_handshake"]["ciphers"][1], 0xc02f);
        assert_eq!(t["server_handshake"]["chosen_cipher"], 0x1301);
        assert!(t["ja4"].as_str().unwrap().starts_with("t13d0204h2_"));
    }

    #[test]
    fn hello_split_across_records_and_segments_is_reassembled() {
        let rec = client_hello();
        let msg = &rec[5..];
        let (a, b) = msg.split_at(20);
        let mut stream = Vec::new();
        for part in [a, b] {
            stream.extend_from_slice(&[0x16, 3, 1, 0, part.len() as u8]);
            stream.extend_from_slice(part);
        }
        let mut h = harness();
        let mut fed = 0;
        // Feed as the TCP layer would: unconsumed bytes offered again.
        let mut pending = Vec::new();
        for chunk in stream.chunks(7) {
            pending.extend_from_slice(chunk);
            let n = h.feed(Dir::ToServer, &pending);
            pending.drain(..n);
            fed += n;
        }
        assert_eq!(fed, stream.len());
        h.close();
        let ev = h.events();
        assert_eq!(ev[0]["tls"]["sni"], "plc.example", "{ev:?}");
    }

    #[test]
    fn non_tls_bytes_raise_not_tls_once() {
        let mut h = harness();
        assert_eq!(h.feed(Dir::ToServer, b"GET / HTTP/1.1\r\n"), 16);
        assert_eq!(h.feed(Dir::ToServer, b"more"), 4);
        let ev = h.events();
        let n = ev
            .iter()
            .filter(|e| e["anomaly"]["event"] == "not_tls")
            .count();
        assert_eq!(n, 1, "{ev:?}");
    }

    #[test]
    fn oversized_handshake_message_is_reported() {
        let mut h = harness();
        // A certificate message announcing 100 000 bytes.
        let rec = [0x16, 3, 3, 0, 4, 11, 0x01, 0x86, 0xa0];
        h.feed(Dir::ToClient, &rec);
        let ev = h.events();
        assert!(
            ev.iter()
                .any(|e| e["anomaly"]["event"] == "handshake_too_large"),
            "{ev:?}"
        );
    }

    #[test]
    fn probe_is_strict() {
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &client_hello()), Probe::Yes);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &[0x16, 3]), Probe::NeedMore);
        // Modbus request bytes.
        assert_eq!(
            probe(
                Dir::ToServer,
                L4::Tcp,
                &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]
            ),
            Probe::No
        );
        // Handshake record with an unknown message type.
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &[0x16, 3, 1, 0, 50, 9, 0, 0, 46, 3]),
            Probe::No
        );
    }

    /// An expired (2020-01-01 to 2021-01-01) self-signed RSA-2048 certificate, `C=DE, O=Skjold
    /// Test Plant, CN=plc-01.plant.example`, made by openssl (the one the TLS peer captures use).
    const EXPIRED_CERT: &[u8] =
        include_bytes!("../../../skjold-proto/tests/data/selfsigned-expired.der");

    /// A TLS 1.2-style server flight: ServerHello with `version` and `cipher` (no extensions),
    /// Certificate holding [`EXPIRED_CERT`], ServerHelloDone, each in its own record.
    fn server_flight(version: u16, cipher: u16) -> Vec<u8> {
        let mut sh = version.to_be_bytes().to_vec(); // server_version
        sh.extend_from_slice(&[9; 32]); // random
        sh.push(0); // session id length
        sh.extend_from_slice(&cipher.to_be_bytes()); // cipher_suite
        sh.push(0); // compression: null
        let mut out = hs_record(2, &sh);
        let der_len = EXPIRED_CERT.len() as u32;
        let mut cert = (der_len + 3).to_be_bytes()[1..].to_vec(); // certificate_list length
        cert.extend_from_slice(&der_len.to_be_bytes()[1..]); // one certificate's length
        cert.extend_from_slice(EXPIRED_CERT);
        out.extend_from_slice(&hs_record(11, &cert));
        out.extend_from_slice(&hs_record(14, &[])); // ServerHelloDone, empty body
        out
    }

    fn tls_obs(h: &Harness<TlsState>) -> Vec<(bool, skjold_detect::obs::Tls)> {
        h.out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Tls(t) => Some((o.flow.unwrap().from_client, t.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn tls10_handshake_reports_version_cipher_sni_and_expired_self_signed_cert() {
        let mut h = harness();
        h.feed(Dir::ToServer, &client_hello());
        let flight = server_flight(0x0301, 0xc014);
        assert_eq!(h.feed(Dir::ToClient, &flight), flight.len());
        let obs = tls_obs(&h);
        assert_eq!(obs.len(), 1, "{:?}", h.out.obs);
        let (from_client, t) = &obs[0];
        assert!(!from_client, "reported from the server");
        assert_eq!(t.version, Some(0x0301));
        assert_eq!(t.cipher, Some(0xc014));
        assert!(!t.weak_cipher, "ECDHE-RSA-AES256-SHA is not weak");
        assert_eq!(t.sni.as_deref(), Some("plc.example"));
        let c = t.cert.as_ref().expect("certificate");
        assert_eq!(
            &*c.subject,
            "C=DE, O=Skjold Test Plant, CN=plc-01.plant.example"
        );
        assert_eq!(c.issuer, c.subject);
        assert!(c.self_signed);
        assert_eq!(c.not_before, 1_577_836_800); // 2020-01-01T00:00:00Z
        assert_eq!(c.not_after, 1_609_459_200); // 2021-01-01T00:00:00Z
        assert_eq!(c.key_bits, Some(2048));
        // Nothing more at the end of the flow.
        h.close();
        assert_eq!(tls_obs(&h).len(), 1);
    }

    /// The openssl `s_server`/`s_client` captures: TLS 1.0 and 1.2 with the expired self-signed
    /// certificate, TLS 1.3 (certificate encrypted).
    #[test]
    fn real_openssl_handshakes_are_observed() {
        let cases = [
            ("tls-openssl-tls10.pcap", 0x0301, 0xc014, None, true),
            (
                "tls-openssl-tls12-selfsigned-expired.pcap",
                0x0303,
                0xc030,
                Some("plc-01.plant.example"),
                true,
            ),
            (
                "tls-openssl-tls13.pcap",
                0x0304,
                0x1302,
                Some("hmi.plant.example"),
                false,
            ),
        ];
        for (file, version, cipher, sni, with_cert) in cases {
            let mut h = harness();
            feed_stream(&mut h, peer_stream(file, 443, 0));
            let obs = tls_obs(&h);
            assert_eq!(obs.len(), 1, "{file}: {:?}", h.out.obs);
            let t = &obs[0].1;
            assert_eq!(t.version, Some(version), "{file}");
            assert_eq!(t.cipher, Some(cipher), "{file}");
            assert!(!t.weak_cipher, "{file}");
            assert_eq!(t.sni.as_deref(), sni, "{file}");
            assert_eq!(t.cert.is_some(), with_cert, "{file}");
            if let Some(c) = &t.cert {
                assert!(c.self_signed, "{file}");
                assert_eq!(c.not_after, 1_609_459_200, "{file}: expired on 2021-01-01");
                assert_eq!(c.key_bits, Some(2048), "{file}");
            }
        }
    }

    #[test]
    fn weak_suite_chosen_by_the_server_is_flagged() {
        let mut h = harness();
        h.feed(Dir::ToServer, &client_hello());
        // TLS_RSA_WITH_3DES_EDE_CBC_SHA.
        h.feed(Dir::ToClient, &server_flight(0x0303, 0x000a));
        let obs = tls_obs(&h);
        assert_eq!(obs.len(), 1, "{:?}", h.out.obs);
        assert_eq!(obs[0].1.version, Some(0x0303));
        assert!(obs[0].1.weak_cipher);
    }

    #[test]
    fn tls12_resumption_without_certificate_reports_at_change_cipher_spec() {
        let mut h = harness();
        h.feed(Dir::ToServer, &client_hello());
        let flight = server_flight(0x0303, 0xc02f);
        // Only the ServerHello record, then ChangeCipherSpec.
        let sh_len = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
        let mut bytes = flight[..sh_len].to_vec();
        assert!(tls_obs(&h).is_empty());
        bytes.extend_from_slice(&[0x14, 3, 3, 0, 1, 1]);
        h.feed(Dir::ToClient, &bytes);
        let obs = tls_obs(&h);
        assert_eq!(obs.len(), 1, "{:?}", h.out.obs);
        assert_eq!(obs[0].1.cipher, Some(0xc02f));
        assert!(obs[0].1.cert.is_none());
    }

    #[test]
    fn tls13_reports_at_server_hello_without_certificate() {
        let mut h = harness();
        h.feed(Dir::ToServer, &client_hello());
        h.feed(Dir::ToClient, &server_hello());
        let obs = tls_obs(&h);
        assert_eq!(obs.len(), 1, "{:?}", h.out.obs);
        let t = &obs[0].1;
        assert_eq!(t.version, Some(0x0304));
        assert_eq!(t.cipher, Some(0x1301));
        assert!(!t.weak_cipher);
        assert!(t.cert.is_none());
        assert_eq!(t.sni.as_deref(), Some("plc.example"));
        h.close();
        assert_eq!(tls_obs(&h).len(), 1);
    }

    #[test]
    fn client_hello_alone_reports_nothing() {
        let mut h = harness();
        h.feed(Dir::ToServer, &client_hello());
        h.close();
        assert!(tls_obs(&h).is_empty(), "{:?}", h.out.obs);
    }

    #[test]
    fn no_observation_when_detection_is_off() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, &client_hello());
        h.feed(Dir::ToClient, &server_flight(0x0301, 0xc014));
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
        // The EVE event is still written.
        assert!(h.events().iter().any(|e| e["event_type"] == "tls"));
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..64), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = harness();
            let mut with_hello = vec![(client_hello(), false, false), (server_hello(), true, false)];
            with_hello.extend(chunks);
            // A full record may need 18 KiB + header buffered.
            h.drive(with_hello, tls::MAX_RECORD_LEN + 5).map_err(TestCaseError::fail)?;
        }
    }
}
