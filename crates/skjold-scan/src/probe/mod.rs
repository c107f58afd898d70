//! Identification probes, one module per protocol, and the port table that picks them.
//!
//! Every probe sends only the protocol's own read-only identification requests; each module's
//! `requests()` lists every byte sequence it can send, and `tests/safety` checks that none of
//! them writes or changes state.

pub mod bacnet;
pub(crate) mod banner;
pub(crate) mod coap;
pub(crate) mod dnp3;
pub(crate) mod enip;
pub(crate) mod http;
pub(crate) mod iec104;
pub(crate) mod modbus;
pub(crate) mod mqtt;
pub(crate) mod opcua;
pub(crate) mod s7;
pub(crate) mod snmp;
pub(crate) mod tls;

use crate::creds::Credential;
use crate::model::{ProbeStatus, Service, Transport};
use crate::net::{Conn, ProbeError};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Most credential pairs tried per service under `--intrusive` (SPEC §8: "a few").
pub const MAX_CREDENTIAL_TRIES: usize = 3;

/// Protocols the scanner identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    /// FTP banner (anonymous login under `--intrusive`).
    Ftp,
    /// SSH identification string.
    Ssh,
    /// Telnet negotiation and prompt.
    Telnet,
    /// HTTP.
    Http,
    /// HTTPS (TLS audit).
    Https,
    /// MQTT.
    Mqtt,
    /// MQTT over TLS (TLS audit).
    Mqtts,
    /// Other TLS service (TLS audit).
    Tls,
    /// Modbus/TCP.
    Modbus,
    /// S7comm (ISO-on-TCP).
    S7,
    /// EtherNet/IP (TCP or UDP).
    Enip,
    /// DNP3.
    Dnp3,
    /// IEC 60870-5-104.
    Iec104,
    /// OPC UA binary.
    OpcUa,
    /// BACnet/IP (UDP).
    Bacnet,
    /// CoAP (UDP).
    Coap,
    /// SNMP (UDP, `--intrusive`).
    Snmp,
    /// CODESYS runtime (engineering; open port only).
    Codesys,
    /// Unknown: banner grab.
    Generic,
}

impl Proto {
    /// Name used in reports and in `--ports PORT/NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ftp => "ftp",
            Self::Ssh => "ssh",
            Self::Telnet => "telnet",
            Self::Http => "http",
            Self::Https => "https",
            Self::Mqtt => "mqtt",
            Self::Mqtts => "mqtts",
            Self::Tls => "tls",
            Self::Modbus => "modbus",
            Self::S7 => "s7comm",
            Self::Enip => "enip",
            Self::Dnp3 => "dnp3",
            Self::Iec104 => "iec104",
            Self::OpcUa => "opcua",
            Self::Bacnet => "bacnet",
            Self::Coap => "coap",
            Self::Snmp => "snmp",
            Self::Codesys => "codesys",
            Self::Generic => "unknown",
        }
    }

    /// All protocols.
    pub const ALL: [Proto; 19] = [
        Self::Ftp,
        Self::Ssh,
        Self::Telnet,
        Self::Http,
        Self::Https,
        Self::Mqtt,
        Self::Mqtts,
        Self::Tls,
        Self::Modbus,
        Self::S7,
        Self::Enip,
        Self::Dnp3,
        Self::Iec104,
        Self::OpcUa,
        Self::Bacnet,
        Self::Coap,
        Self::Snmp,
        Self::Codesys,
        Self::Generic,
    ];

    /// Parses a name.
    pub fn from_name(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s || (s == "s7" && *p == Self::S7))
    }

    /// Whether the protocol runs over UDP in this scanner.
    pub fn udp(self) -> bool {
        matches!(self, Self::Bacnet | Self::Coap | Self::Snmp)
    }
}

/// Default TCP ports (SPEC §4): IT management and industrial services.
pub const DEFAULT_TCP: [(u16, Proto); 18] = [
    (21, Proto::Ftp),
    (22, Proto::Ssh),
    (23, Proto::Telnet),
    (80, Proto::Http),
    (102, Proto::S7),
    (443, Proto::Https),
    (502, Proto::Modbus),
    (1217, Proto::Codesys),
    (1883, Proto::Mqtt),
    (2404, Proto::Iec104),
    (2455, Proto::Codesys),
    (4840, Proto::OpcUa),
    (4843, Proto::Tls),
    (8080, Proto::Http),
    (8443, Proto::Https),
    (8883, Proto::Mqtts),
    (20000, Proto::Dnp3),
    (44818, Proto::Enip),
];

/// UDP probes sent with `--udp` (SNMP only with `--intrusive`).
pub const DEFAULT_UDP: [(u16, Proto); 4] = [
    (47808, Proto::Bacnet),
    (44818, Proto::Enip),
    (5683, Proto::Coap),
    (161, Proto::Snmp),
];

/// The protocol of a well-known TCP port.
pub fn tcp_proto(port: u16) -> Proto {
    DEFAULT_TCP
        .iter()
        .find(|(p, _)| *p == port)
        .map_or(Proto::Generic, |x| x.1)
}

/// The protocol of a well-known UDP port, if probed.
pub fn udp_proto(port: u16) -> Option<Proto> {
    DEFAULT_UDP.iter().find(|(p, _)| *p == port).map(|x| x.1)
}

/// What a probe needs to know.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Peer.
    pub addr: SocketAddr,
    /// Host name given by the user, if any.
    pub hostname: Option<String>,
    /// Timeout of one exchange.
    pub timeout: Duration,
    /// `--intrusive`.
    pub intrusive: bool,
    /// Credentials to try (user's first, then the bundled list).
    pub creds: Arc<Vec<Credential>>,
    /// Credential attempts counter.
    pub attempts: Arc<AtomicU64>,
}

impl Ctx {
    /// The credentials to try on `service`, at most [`MAX_CREDENTIAL_TRIES`].
    pub(crate) fn credentials(&self, service: &str) -> Vec<(String, String)> {
        self.creds
            .iter()
            .filter(|c| c.service.as_deref().is_none_or(|s| s == service))
            .take(MAX_CREDENTIAL_TRIES)
            .map(|c| (c.user.clone(), c.password.clone()))
            .collect()
    }

    pub(crate) fn count_attempt(&self) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// `Host` header value.
    pub(crate) fn host_header(&self) -> String {
        match (&self.hostname, self.addr.port()) {
            (Some(h), 80) => h.clone(),
            (Some(h), p) => format!("{h}:{p}"),
            (None, 80) => self.host_header_bare(),
            (None, p) => format!("{}:{p}", self.host_header_bare()),
        }
    }

    /// Host name or address (IPv6 in brackets).
    pub(crate) fn host_header_bare(&self) -> String {
        match &self.hostname {
            Some(h) => h.clone(),
            None if self.addr.is_ipv6() => format!("[{}]", self.addr.ip()),
            None => self.addr.ip().to_string(),
        }
    }
}

fn finish(svc: &mut Service, r: Result<(), ProbeError>) {
    match r {
        Ok(()) => {
            if svc.status == ProbeStatus::OpenOnly {
                svc.status = ProbeStatus::Identified;
            }
        }
        Err(e) => {
            svc.status = match e {
                ProbeError::Timeout => ProbeStatus::Timeout,
                ProbeError::Closed | ProbeError::Io(_) => ProbeStatus::Closed,
                ProbeError::Garbage(_) => ProbeStatus::Unrecognised,
            };
            svc.note = Some(e.to_string());
        }
    }
}

/// Generic probe of an unknown port: wait briefly for a banner, else send an HTTP request.
async fn generic(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> Result<(), ProbeError> {
    c.peek_banner(ctx.timeout.min(Duration::from_secs(1)))
        .await?;
    if c.buf.is_empty() {
        c.close().await;
        let c2 = Conn::open(ctx.addr, ctx.timeout).await?;
        http::probe(ctx, c2, svc).await?;
        svc.protocol = "http".into();
        return Ok(());
    }
    let b = crate::net::printable(&c.buf);
    c.close().await;
    if b.starts_with("SSH-") {
        svc.protocol = "ssh".into();
    } else if b.starts_with("220") {
        svc.protocol = "ftp".into();
    }
    svc.ident("banner", b);
    Ok(())
}

/// Identifies a TCP service on a connected stream.
pub(crate) async fn identify_tcp(
    ctx: &Ctx,
    proto: Proto,
    stream: tokio::net::TcpStream,
) -> Service {
    let t0 = std::time::Instant::now();
    let mut svc = Service::new(ctx.addr.port(), Transport::Tcp, proto.name());
    let c = Conn::new(stream, ctx.timeout);
    let r = match proto {
        Proto::Ftp => banner::ftp(ctx, c, &mut svc).await,
        Proto::Ssh => banner::ssh(ctx, c, &mut svc).await,
        Proto::Telnet => banner::telnet(ctx, c, &mut svc).await,
        Proto::Http => http::probe(ctx, c, &mut svc).await,
        Proto::Mqtt => mqtt::probe(ctx, c, &mut svc).await,
        Proto::Modbus => modbus::probe(ctx, c, &mut svc).await,
        Proto::S7 => s7::probe(ctx, c, &mut svc).await,
        Proto::Enip => enip::probe(ctx, c, &mut svc).await,
        Proto::Dnp3 => dnp3::probe(ctx, c, &mut svc).await,
        Proto::Iec104 => iec104::probe(ctx, c, &mut svc).await,
        Proto::OpcUa => opcua::probe(ctx, c, &mut svc).await,
        Proto::Https | Proto::Mqtts | Proto::Tls => {
            c.close().await;
            Box::pin(tls::audit(ctx, &mut svc)).await
        }
        Proto::Codesys => {
            c.close().await;
            svc.fact("engineering", true);
            Ok(())
        }
        Proto::Generic | Proto::Bacnet | Proto::Coap | Proto::Snmp => {
            generic(ctx, c, &mut svc).await
        }
    };
    finish(&mut svc, r);
    if proto == Proto::Codesys {
        svc.status = ProbeStatus::OpenOnly;
    }
    svc.elapsed_ms = t0.elapsed().as_millis() as u64;
    svc
}

/// Runs a UDP probe; None when nothing answered (closed or filtered).
pub(crate) async fn identify_udp(ctx: &Ctx, proto: Proto) -> Option<Service> {
    let t0 = std::time::Instant::now();
    let mut svc = Service::new(ctx.addr.port(), Transport::Udp, proto.name());
    let r = match proto {
        Proto::Bacnet => bacnet::probe(ctx, &mut svc).await,
        Proto::Coap => coap::probe(ctx, &mut svc).await,
        Proto::Snmp => snmp::probe(ctx, &mut svc).await,
        Proto::Enip => {
            match crate::net::udp_exchange(ctx.addr, &enip::LIST_IDENTITY, ctx.timeout).await {
                Ok(r) if enip::parse_reply(&r, &mut svc) => Ok(()),
                Ok(_) => Err(ProbeError::Garbage("not a ListIdentity reply".into())),
                Err(e) => Err(e),
            }
        }
        _ => return None,
    };
    match r {
        // UDP: silence or ICMP unreachable mean "no service".
        Err(ProbeError::Timeout | ProbeError::Closed | ProbeError::Io(_)) => None,
        r => {
            finish(&mut svc, r);
            svc.elapsed_ms = t0.elapsed().as_millis() as u64;
            Some(svc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    /// Deterministic xorshift bytes, biased towards the protocols' magic values so inputs get
    /// past the first checks.
    fn inputs() -> Vec<Vec<u8>> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let prefixes: [&[u8]; 8] = [
            b"",
            &[3, 0, 0, 40, 2, 0xF0, 0x80, 0x32, 7],
            &[0x63, 0, 40, 0, 0, 0, 0, 0],
            &[0x81, 0x0A, 0, 30, 1, 0],
            &[0x30, 40, 2, 1, 1, 4, 6],
            &[0x16, 3, 3, 0, 60, 2, 0, 0, 56, 3, 3],
            b"HTTP/1.1 200 OK\r\n",
            &[0x60, 0x45, 0x5A, 0x17],
        ];
        let mut v = Vec::new();
        for i in 0..20_000 {
            let p = prefixes[i % prefixes.len()];
            let n = (next() % 96) as usize;
            let mut b = p.to_vec();
            b.extend((0..n).map(|_| next() as u8));
            v.push(b);
        }
        v
    }

    #[test]
    fn own_response_parsers_never_panic() {
        for b in inputs() {
            let _ = s7::szl_records(&b);
            let mut s = Service::new(1, Transport::Tcp, "x");
            let _ = enip::parse_reply(&b, &mut s);
            let _ = snmp::parse(&b);
            let _ =
                bacnet::apdu(&b).map(|a| (bacnet::parse_i_am(a), bacnet::parse_string_ack(a, 1)));
            let _ = coap::parse(&b);
            let _ = http::parse(&b);
            let _ = tls::cert_info(&b, Some("a.b"), 0);
            let _ = crate::safety::is_read_only("s7comm", &b);
            let _ = crate::safety::is_read_only("opcua", &b);
            let _ = crate::safety::is_read_only("bacnet", &b);
        }
    }
}
