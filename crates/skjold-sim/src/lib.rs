//! A simulated fleet of IoT/OT devices on loopback addresses (127.0.1.x), for testing and
//! benchmarking `skjold scan`.
//!
//! Each device has its own address, a set of services (Modbus/TCP, S7comm, EtherNet/IP,
//! BACnet/IP, DNP3, IEC 60870-5-104, OPC UA, MQTT, CoAP, HTTP, HTTPS, SSH, Telnet, FTP, SNMP and the
//! misbehaving `garbage`/`silent`/`close`/`trickle` services), an [`Identity`] that every
//! identification request answers, and [`Weaknesses`] a scanner should find. Every request a
//! service receives is recorded ([`Fleet::requests`]) with whether it writes or changes state,
//! so a test can prove a scan read-only.
//!
//! ```no_run
//! use skjold_sim::{BlockingFleet, FleetSpec};
//! let spec = FleetSpec::from_profile("mixed", 12, "127.0.1.1".parse().unwrap(), 1).unwrap();
//! let fleet = BlockingFleet::start(spec).unwrap();
//! println!("{}", fleet.addr(0));
//! assert!(fleet.requests().iter().all(|r| !r.write));
//! ```

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (BACnet, OPC UA, EtherNet/IP, CoAP) reads as words, not code"
)]

pub mod proto;
pub mod recorder;
pub mod spec;
mod tls;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use recorder::{Recorder, Request, Transport};
pub use spec::{
    CertKind, Credential, DeviceSpec, FleetSpec, Identity, Protocol, ServiceSpec, Weaknesses,
};

use proto::Ctx;

/// Why a fleet could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A device address outside 127.0.0.0/8 (the safety rule: loopback only).
    #[error("device {0} address {1} is outside 127.0.0.0/8")]
    NotLoopback(usize, Ipv4Addr),
    /// Binding a socket failed.
    #[error("binding {transport} {addr}: {source}")]
    Bind {
        /// `tcp` or `udp`.
        transport: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// Generating TLS material failed.
    #[error("tls: {0}")]
    Tls(String),
    /// The runtime could not be built.
    #[error("runtime: {0}")]
    Runtime(std::io::Error),
}

/// One running device, shared by its service tasks.
pub(crate) struct Device {
    pub(crate) index: usize,
    pub(crate) addr: Ipv4Addr,
    pub(crate) spec: DeviceSpec,
    pub(crate) recorder: Recorder,
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

/// One service of the listing.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceListing {
    /// Protocol.
    pub protocol: Protocol,
    /// Port (after the fleet's port offset).
    pub port: u16,
    /// Transports it listens on.
    pub transports: Vec<Transport>,
    /// What a scanner should identify on it (protocol-specific keys, values as strings).
    pub expected: BTreeMap<String, String>,
}

/// One device of the listing (`skjold-sim --list`).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceListing {
    /// Index in the fleet.
    pub index: usize,
    /// Address.
    pub addr: Ipv4Addr,
    /// Profile name.
    pub profile: String,
    /// Identity.
    pub identity: Identity,
    /// Weaknesses.
    pub weaknesses: Weaknesses,
    /// Services.
    pub services: Vec<ServiceListing>,
}

/// What a scanner should identify on service `svc` of `dev` at `addr` and `port`.
pub fn expected(
    dev: &DeviceSpec,
    svc: &ServiceSpec,
    addr: Ipv4Addr,
    port: u16,
) -> BTreeMap<String, String> {
    let id = &dev.identity;
    let weak = &dev.weaknesses;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    match svc.protocol {
        Protocol::Modbus => {
            for (i, v) in proto::modbus::objects(id) {
                put(skjold_object_name(i), v);
            }
            put("server_id_data", proto::modbus::server_id_data(id));
        }
        Protocol::S7 => {
            put("order_number", id.order_number.clone());
            let (a, b, c) = id.firmware_parts();
            put("firmware", format!("{a}.{b}.{c}"));
            put("system_name", id.hostname.clone());
            put("module_name", id.module_name.clone());
            put("plant_id", id.plant_id.clone());
            put("copyright", "Original Siemens Equipment".into());
            put("serial", id.serial.clone());
            put("module_type", id.model.clone());
        }
        Protocol::Enip => {
            put("vendor_id", id.vendor_id.to_string());
            put("device_type", id.device_type.to_string());
            put("product_code", proto::enip::product_code(id).to_string());
            let (a, b) = proto::enip::revision(id);
            put("revision", format!("{a}.{b}"));
            put("serial", format!("0x{:08x}", proto::enip::serial(id)));
            put("product_name", id.product.clone());
            put("state", format!("0x{:02x}", proto::enip::STATE));
            put("status", format!("0x{:04x}", proto::enip::STATUS));
        }
        Protocol::Bacnet => {
            put("instance", id.device_instance.to_string());
            put("vendor_id", id.vendor_id.to_string());
            put("vendor_name", id.vendor.clone());
            put("model_name", id.model.clone());
            put("firmware_revision", id.firmware.clone());
            put("application_software_version", id.firmware.clone());
            put("object_name", id.module_name.clone());
            put("description", id.product.clone());
            put("location", id.plant_id.clone());
        }
        Protocol::Dnp3 => {
            put("link_address", id.dnp3_address.to_string());
            put("link_status", "response".into());
        }
        Protocol::Iec104 => put("testfr", "con".into()),
        Protocol::Opcua => {
            put("application_uri", proto::opcua::application_uri(id));
            put("product_uri", proto::opcua::product_uri(id));
            put("application_name", id.product.clone());
            let eps = proto::opcua::endpoints(weak.opcua_security_none);
            let modes: Vec<&str> = eps
                .iter()
                .map(|(m, _, _)| match m {
                    1 => "None",
                    2 => "Sign",
                    _ => "SignAndEncrypt",
                })
                .collect();
            put("security_modes", modes.join(","));
            let mut pols: Vec<&str> = eps
                .iter()
                .map(|(_, p, _)| p.rsplit('#').next().unwrap_or(p))
                .collect();
            pols.dedup();
            put("security_policies", pols.join(","));
        }
        Protocol::Mqtt | Protocol::Mqtts => {
            put(
                "anonymous",
                if weak.anonymous_mqtt {
                    "accepted"
                } else {
                    "refused"
                }
                .into(),
            );
            put(
                "version",
                proto::mqtt::version(svc.banner.as_deref(), &id.firmware),
            );
        }
        Protocol::Coap => put("well_known_core", proto::coap::link_format(id)),
        Protocol::Http | Protocol::Https => {
            put("server", proto::http::server_header(dev, svc));
            if weak.open_http {
                put("title", proto::http::title(dev, svc));
                put("auth", "none".into());
            } else {
                put("title", "401 Unauthorized".into());
                put("auth", "basic".into());
                put("realm", proto::http::realm(dev));
            }
        }
        Protocol::Ssh => put("banner", proto::banners::ssh_banner(dev, svc)),
        Protocol::Telnet => put("banner", proto::banners::telnet_banner(dev, svc)),
        Protocol::Ftp => {
            put("banner", proto::banners::ftp_banner(dev, svc));
            put("anonymous", weak.anonymous_ftp.to_string());
        }
        Protocol::Snmp => {
            put(
                "community",
                if weak.snmp_public {
                    proto::snmp::COMMUNITY
                } else {
                    "none"
                }
                .into(),
            );
            if weak.snmp_public {
                put("sys_descr", proto::snmp::sys_descr(id));
                put("sys_name", id.hostname.clone());
            }
        }
        Protocol::Garbage | Protocol::Silent | Protocol::Close | Protocol::Trickle => {
            put("behaviour", svc.protocol.name().into());
        }
    }
    if matches!(svc.protocol, Protocol::Https | Protocol::Mqtts) {
        let kind = match weak.certificate {
            CertKind::Valid => "valid",
            CertKind::SelfSigned => "self-signed",
            CertKind::Expired => "expired",
            CertKind::HostnameMismatch => "hostname-mismatch",
        };
        m.insert("certificate".into(), kind.into());
    }
    let _ = (addr, port);
    m
}

/// Modbus object names as snake case keys.
fn skjold_object_name(i: u8) -> &'static str {
    match i {
        0 => "vendor_name",
        1 => "product_code",
        2 => "revision",
        3 => "vendor_url",
        4 => "product_name",
        5 => "model_name",
        _ => "user_application_name",
    }
}

/// The listing of a spec (what `--list` prints), without starting anything.
pub fn listing(spec: &FleetSpec) -> Vec<DeviceListing> {
    spec.devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let addr = spec.addr(i);
            DeviceListing {
                index: i,
                addr,
                profile: d.profile.clone(),
                identity: d.identity.clone(),
                weaknesses: d.weaknesses.clone(),
                services: d
                    .services
                    .iter()
                    .map(|s| {
                        let port = spec.map_port(s.port());
                        let mut transports = Vec::new();
                        if s.protocol.tcp() {
                            transports.push(Transport::Tcp);
                        }
                        if s.protocol.udp() {
                            transports.push(Transport::Udp);
                        }
                        ServiceListing {
                            protocol: s.protocol,
                            port,
                            transports,
                            expected: expected(d, s, addr, port),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A running fleet (async API). Dropping it without [`Fleet::stop`] aborts the listeners.
pub struct Fleet {
    spec: FleetSpec,
    recorder: Recorder,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    ca_pem: String,
    ca_der: Vec<u8>,
}

async fn run_tcp(listener: TcpListener, ctx: Ctx, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or similar: back off briefly.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = serve_stream(stream, ctx) => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn serve_stream(stream: tokio::net::TcpStream, ctx: Ctx) {
    use proto::{banners, dnp3, enip, http, iec104, modbus, mqtt, opcua, robust, s7};
    let p = ctx.svc.protocol;
    match p {
        Protocol::Modbus => modbus::serve(stream, ctx).await,
        Protocol::S7 => s7::serve(stream, ctx).await,
        Protocol::Enip => enip::serve(stream, ctx).await,
        Protocol::Dnp3 => dnp3::serve(stream, ctx).await,
        Protocol::Iec104 => iec104::serve(stream, ctx).await,
        Protocol::Opcua => opcua::serve(stream, ctx).await,
        Protocol::Mqtt => mqtt::serve(stream, ctx).await,
        Protocol::Http => http::serve(stream, ctx, p).await,
        Protocol::Https | Protocol::Mqtts => {
            let Some(cfg) = ctx.dev.tls.clone() else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            let Ok(Ok(tls)) = tokio::time::timeout(proto::IDLE, acceptor.accept(stream)).await
            else {
                ctx.rec(Transport::Tcp, p, 0, "tls_handshake_failed", false, false);
                return;
            };
            if p == Protocol::Mqtts {
                mqtt::serve(tls, ctx).await;
            } else {
                http::serve(tls, ctx, p).await;
            }
        }
        Protocol::Ssh => banners::ssh(stream, ctx).await,
        Protocol::Telnet => banners::telnet(stream, ctx).await,
        Protocol::Ftp => banners::ftp(stream, ctx).await,
        Protocol::Garbage | Protocol::Silent | Protocol::Close | Protocol::Trickle => {
            robust::serve(stream, ctx, p).await;
        }
        Protocol::Bacnet | Protocol::Coap | Protocol::Snmp => {}
    }
}

async fn run_udp(sock: UdpSocket, ctx: Ctx, mut stop: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let r = tokio::select! {
            r = sock.recv_from(&mut buf) => r,
            _ = stop.changed() => return,
        };
        let Ok((n, peer)) = r else { continue };
        let d = &buf[..n];
        let reply = match ctx.svc.protocol {
            Protocol::Bacnet => proto::bacnet::datagram(&ctx, d),
            Protocol::Coap => proto::coap::datagram(&ctx, d),
            Protocol::Snmp => proto::snmp::datagram(&ctx, d),
            Protocol::Enip => proto::enip::datagram(&ctx, d),
            _ => None,
        };
        if let Some(r) = reply {
            let _ = sock.send_to(&r, peer).await;
        }
    }
}

impl Fleet {
    /// Bind every service of every device and start serving (on the current tokio runtime).
    pub async fn start(spec: FleetSpec) -> Result<Fleet, SimError> {
        let recorder = Recorder::default();
        let (shutdown, stop_rx) = watch::channel(false);
        let ca = tls::Ca::new()?;
        let mut tasks = Vec::new();
        let result: Result<(), SimError> = async {
            for (i, d) in spec.devices.iter().enumerate() {
                let addr = spec.addr(i);
                if addr.octets()[0] != 127 {
                    return Err(SimError::NotLoopback(i, addr));
                }
                let needs_tls = d
                    .services
                    .iter()
                    .any(|s| matches!(s.protocol, Protocol::Https | Protocol::Mqtts));
                let tls = if needs_tls {
                    Some(ca.server_config(
                        d.weaknesses.certificate,
                        addr,
                        &d.identity.hostname,
                        &d.identity.vendor,
                    )?)
                } else {
                    None
                };
                let dev = Arc::new(Device {
                    index: i,
                    addr,
                    spec: d.clone(),
                    recorder: recorder.clone(),
                    tls,
                });
                for s in &d.services {
                    let port = spec.map_port(s.port());
                    let sa = SocketAddr::from((addr, port));
                    let ctx = Ctx {
                        dev: dev.clone(),
                        svc: s.clone(),
                        port,
                    };
                    if s.protocol.tcp() {
                        let l = TcpListener::bind(sa)
                            .await
                            .map_err(|source| SimError::Bind {
                                transport: "tcp",
                                addr: sa,
                                source,
                            })?;
                        tasks.push(tokio::spawn(run_tcp(l, ctx.clone(), stop_rx.clone())));
                    }
                    if s.protocol.udp() {
                        let u = UdpSocket::bind(sa).await.map_err(|source| SimError::Bind {
                            transport: "udp",
                            addr: sa,
                            source,
                        })?;
                        tasks.push(tokio::spawn(run_udp(u, ctx, stop_rx.clone())));
                    }
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = shutdown.send(true);
            for t in &tasks {
                t.abort();
            }
            return Err(e);
        }
        Ok(Fleet {
            spec,
            recorder,
            shutdown,
            tasks,
            ca_pem: ca.pem(),
            ca_der: ca.der(),
        })
    }

    /// Start `spec` on the first free /24 among random ones in 127.64.0.0/10 (device addresses
    /// `127.X.Y.1..`), so concurrent test processes do not collide. Explicit device addresses
    /// are cleared.
    pub async fn start_anywhere(mut spec: FleetSpec) -> Result<Fleet, SimError> {
        for d in &mut spec.devices {
            d.addr = None;
        }
        let mut seed = u64::from(std::process::id())
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
        let mut last = None;
        for _ in 0..32 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let b = 64 + ((seed >> 33) % 190) as u8;
            let c = ((seed >> 45) % 256) as u8;
            spec.base = Ipv4Addr::new(127, b, c, 1);
            match Fleet::start(spec.clone()).await {
                Ok(f) => return Ok(f),
                Err(e @ SimError::Bind { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| SimError::Tls("no free address".into())))
    }

    /// Address of device `i`.
    pub fn addr(&self, i: usize) -> Ipv4Addr {
        self.spec.addr(i)
    }

    /// Socket address of service `protocol` of device `i` (first match), after the port offset.
    pub fn service_addr(&self, i: usize, protocol: Protocol) -> Option<SocketAddr> {
        let d = self.spec.devices.get(i)?;
        let s = d.services.iter().find(|s| s.protocol == protocol)?;
        Some(SocketAddr::from((
            self.addr(i),
            self.spec.map_port(s.port()),
        )))
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.spec.devices.len()
    }

    /// Whether the fleet has no device.
    pub fn is_empty(&self) -> bool {
        self.spec.devices.is_empty()
    }

    /// The spec it runs (with the base actually used).
    pub fn spec(&self) -> &FleetSpec {
        &self.spec
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.recorder.snapshot()
    }

    /// The recorder itself (cheap to clone, shared with the services).
    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    /// The fleet CA certificate (PEM) that signs `valid`, `expired` and `hostname-mismatch`
    /// HTTPS certificates.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The fleet CA certificate in DER.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// What each device serves and what a scanner should identify.
    pub fn listing(&self) -> Vec<DeviceListing> {
        listing(&self.spec)
    }

    /// Stop accepting and end every connection.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A fleet with its own multi-threaded tokio runtime, for synchronous callers (tests of a
/// blocking scanner). Dereferences to [`Fleet`]; dropping it stops everything.
pub struct BlockingFleet {
    fleet: Option<Fleet>,
    rt: Option<tokio::runtime::Runtime>,
}

impl BlockingFleet {
    fn runtime() -> Result<tokio::runtime::Runtime, SimError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("skjold-sim")
            .enable_all()
            .build()
            .map_err(SimError::Runtime)
    }

    /// Start `spec` at its own addresses.
    pub fn start(spec: FleetSpec) -> Result<Self, SimError> {
        let rt = Self::runtime()?;
        let fleet = rt.block_on(Fleet::start(spec))?;
        Ok(BlockingFleet {
            fleet: Some(fleet),
            rt: Some(rt),
        })
    }

    /// Start `spec` on a free random /24 of 127.64.0.0/10 ([`Fleet::start_anywhere`]).
    pub fn start_anywhere(spec: FleetSpec) -> Result<Self, SimError> {
        let rt = Self::runtime()?;
        let fleet = rt.block_on(Fleet::start_anywhere(spec))?;
        Ok(BlockingFleet {
            fleet: Some(fleet),
            rt: Some(rt),
        })
    }

    /// Stop the fleet and its runtime.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let (Some(f), Some(rt)) = (self.fleet.take(), self.rt.take()) {
            rt.block_on(f.stop());
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl std::ops::Deref for BlockingFleet {
    type Target = Fleet;
    fn deref(&self) -> &Fleet {
        self.fleet.as_ref().expect("fleet present until stopped")
    }
}

impl Drop for BlockingFleet {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}
