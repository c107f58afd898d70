//! Fleet description: devices, their services, identity and weaknesses, as serde data (YAML or
//! JSON), plus the built-in profiles (`plc-modbus`, `plc-s7`, ...) and the `mixed` fleet.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// A whole fleet: where it lives and its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    /// Address of device 0; device `i` without an explicit `addr` gets `base + i`.
    #[serde(default = "default_base")]
    pub base: Ipv4Addr,
    /// Added to every port below 1024 (0 = none), for running without the right to bind them.
    #[serde(default)]
    pub port_offset: u16,
    /// The devices.
    pub devices: Vec<DeviceSpec>,
}

fn default_base() -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1, 1)
}

/// One simulated device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Fixed address (must be in 127.0.0.0/8); default `base + index`.
    #[serde(default)]
    pub addr: Option<Ipv4Addr>,
    /// Profile name this device was built from (informational).
    #[serde(default)]
    pub profile: String,
    /// What the device says it is.
    #[serde(default)]
    pub identity: Identity,
    /// Services it serves.
    pub services: Vec<ServiceSpec>,
    /// Weaknesses a scanner should find.
    #[serde(default)]
    pub weaknesses: Weaknesses,
}

/// Identity answered by every identification request of the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Identity {
    /// Vendor name (Modbus object 0, BACnet vendor-name, OPC UA, MQTT...).
    pub vendor: String,
    /// Vendor URL (Modbus object 3).
    pub vendor_url: String,
    /// Product name (Modbus object 4, EtherNet/IP product name, HTTP title, ...).
    pub product: String,
    /// Product code (Modbus object 1).
    pub product_code: String,
    /// Model name (Modbus object 5, BACnet model-name).
    pub model: String,
    /// Firmware version `major.minor[.patch]` (Modbus object 2, S7, ENIP revision, BACnet).
    pub firmware: String,
    /// Serial number (S7 0x001C index 5, EtherNet/IP serial as hex).
    pub serial: String,
    /// Order number / MLFB (S7 0x0011).
    pub order_number: String,
    /// S7 module name (0x001C index 2) and BACnet object-name.
    pub module_name: String,
    /// Plant identification (S7 0x001C index 3) and Modbus user application name.
    pub plant_id: String,
    /// Host name (TLS certificate, SSH/Telnet banner).
    pub hostname: String,
    /// EtherNet/IP (ODVA) and BACnet (ASHRAE) vendor id.
    pub vendor_id: u16,
    /// EtherNet/IP device type / product code.
    pub device_type: u16,
    /// BACnet device instance number (22 bits).
    pub device_instance: u32,
    /// DNP3 outstation link address (frames to other addresses are not answered).
    pub dnp3_address: u16,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            vendor: "Skjold Sim Automation".into(),
            vendor_url: "https://sim.example.invalid".into(),
            product: "SimDevice".into(),
            product_code: "SIM-0".into(),
            model: "SIM-0".into(),
            firmware: "1.0.0".into(),
            serial: "S0000000".into(),
            order_number: "SIM 000-0AA00-0AB0".into(),
            module_name: "sim-device".into(),
            plant_id: "PLANT-0".into(),
            hostname: "sim-device.plant.invalid".into(),
            vendor_id: 999,
            device_type: 12,
            device_instance: 1,
            dnp3_address: 10,
        }
    }
}

impl Identity {
    /// Firmware split into (major, minor, patch), missing parts as 0.
    pub fn firmware_parts(&self) -> (u8, u8, u8) {
        let mut it = self
            .firmware
            .split('.')
            .map(|p| p.trim().parse::<u8>().unwrap_or(0));
        (
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
        )
    }
}

/// Protocols a simulated service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Modbus/TCP (TCP 502).
    Modbus,
    /// S7comm over ISO-on-TCP (TCP 102).
    S7,
    /// EtherNet/IP encapsulation (TCP and UDP 44818).
    Enip,
    /// BACnet/IP (UDP 47808).
    Bacnet,
    /// DNP3 over TCP (TCP 20000).
    Dnp3,
    /// IEC 60870-5-104 (TCP 2404).
    Iec104,
    /// OPC UA binary (TCP 4840).
    Opcua,
    /// MQTT 3.1/3.1.1/5 broker (TCP 1883).
    Mqtt,
    /// The same broker over TLS (TCP 8883).
    Mqtts,
    /// CoAP (UDP 5683).
    Coap,
    /// HTTP admin page (TCP 80).
    Http,
    /// HTTPS admin page (TCP 443).
    Https,
    /// SSH banner (TCP 22).
    Ssh,
    /// Telnet login (TCP 23).
    Telnet,
    /// FTP (TCP 21).
    Ftp,
    /// SNMP v1/v2c agent (UDP 161).
    Snmp,
    /// Robustness: answers every connection and read with pseudo-random bytes.
    Garbage,
    /// Robustness: accepts and never answers.
    Silent,
    /// Robustness: accepts and closes at once.
    Close,
    /// Robustness: sends a banner one byte per second.
    Trickle,
}

impl Protocol {
    /// Every protocol, in declaration order.
    pub const ALL: [Protocol; 20] = [
        Protocol::Modbus,
        Protocol::S7,
        Protocol::Enip,
        Protocol::Bacnet,
        Protocol::Dnp3,
        Protocol::Iec104,
        Protocol::Opcua,
        Protocol::Mqtt,
        Protocol::Mqtts,
        Protocol::Coap,
        Protocol::Http,
        Protocol::Https,
        Protocol::Ssh,
        Protocol::Telnet,
        Protocol::Ftp,
        Protocol::Snmp,
        Protocol::Garbage,
        Protocol::Silent,
        Protocol::Close,
        Protocol::Trickle,
    ];

    /// The spec name (`modbus`, `s7`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Modbus => "modbus",
            Protocol::S7 => "s7",
            Protocol::Enip => "enip",
            Protocol::Bacnet => "bacnet",
            Protocol::Dnp3 => "dnp3",
            Protocol::Iec104 => "iec104",
            Protocol::Opcua => "opcua",
            Protocol::Mqtt => "mqtt",
            Protocol::Mqtts => "mqtts",
            Protocol::Coap => "coap",
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Ssh => "ssh",
            Protocol::Telnet => "telnet",
            Protocol::Ftp => "ftp",
            Protocol::Snmp => "snmp",
            Protocol::Garbage => "garbage",
            Protocol::Silent => "silent",
            Protocol::Close => "close",
            Protocol::Trickle => "trickle",
        }
    }

    /// The standard port (robustness services default to 502).
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Modbus | Protocol::Garbage | Protocol::Silent | Protocol::Close => 502,
            Protocol::S7 => 102,
            Protocol::Enip => 44818,
            Protocol::Bacnet => 47808,
            Protocol::Dnp3 => 20000,
            Protocol::Iec104 => 2404,
            Protocol::Opcua => 4840,
            Protocol::Mqtt => 1883,
            Protocol::Mqtts => 8883,
            Protocol::Coap => 5683,
            Protocol::Snmp => 161,
            Protocol::Http => 80,
            Protocol::Https => 443,
            Protocol::Ssh => 22,
            Protocol::Telnet => 23,
            Protocol::Ftp | Protocol::Trickle => 21,
        }
    }

    /// Whether it listens on TCP.
    pub fn tcp(self) -> bool {
        !matches!(self, Protocol::Bacnet | Protocol::Coap | Protocol::Snmp)
    }

    /// Whether it listens on UDP.
    pub fn udp(self) -> bool {
        matches!(
            self,
            Protocol::Bacnet | Protocol::Coap | Protocol::Enip | Protocol::Snmp
        )
    }

    /// Whether it is an industrial protocol (subject to the read-only safety rule).
    pub fn industrial(self) -> bool {
        matches!(
            self,
            Protocol::Modbus
                | Protocol::S7
                | Protocol::Enip
                | Protocol::Bacnet
                | Protocol::Dnp3
                | Protocol::Iec104
                | Protocol::Opcua
                | Protocol::Mqtt
                | Protocol::Mqtts
                | Protocol::Coap
        )
    }
}

/// One service of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Protocol spoken.
    pub protocol: Protocol,
    /// Port; default [`Protocol::default_port`].
    #[serde(default)]
    pub port: Option<u16>,
    /// Banner override: SSH identification string, FTP 220 text, Telnet greeting, HTTP `Server:`
    /// header, MQTT `$SYS/broker/version` payload.
    #[serde(default)]
    pub banner: Option<String>,
    /// HTTP(S) page title override.
    #[serde(default)]
    pub title: Option<String>,
}

impl ServiceSpec {
    /// A service on its default port with default banner.
    pub fn new(protocol: Protocol) -> Self {
        ServiceSpec {
            protocol,
            port: None,
            banner: None,
            title: None,
        }
    }

    /// The same on `port`.
    #[must_use]
    pub fn on(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The port (explicit or default), before any fleet port offset.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.protocol.default_port())
    }
}

/// A user name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

impl Credential {
    /// Build one.
    pub fn new(user: &str, password: &str) -> Self {
        Credential {
            user: user.into(),
            password: password.into(),
        }
    }
}

/// The small list of well-known default credentials the fleet picks from.
pub const DEFAULT_CREDENTIALS: [(&str, &str); 5] = [
    ("admin", "admin"),
    ("admin", "1234"),
    ("root", "root"),
    ("admin", "password"),
    ("user", "user"),
];

/// TLS certificate variants of `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// Signed by the fleet CA ([`crate::Fleet::ca_pem`]), valid now, names the device address
    /// and host name.
    #[default]
    Valid,
    /// Self-signed, valid now, right names.
    SelfSigned,
    /// Signed by the fleet CA, right names, expired (2020-01-01 to 2021-01-01).
    Expired,
    /// Signed by the fleet CA, valid now, but only for `other-host.invalid`.
    HostnameMismatch,
}

/// Weaknesses a scanner should find on the device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weaknesses {
    /// Credentials accepted by HTTP(S) Basic, FTP, MQTT and Telnet logins (anything else is
    /// refused). `None`: no login ever succeeds.
    pub default_credentials: Option<Credential>,
    /// FTP accepts `anonymous`/`ftp` with any password.
    pub anonymous_ftp: bool,
    /// MQTT accepts CONNECT without credentials.
    pub anonymous_mqtt: bool,
    /// HTTP(S) admin page served without authentication (otherwise Basic auth, 401).
    pub open_http: bool,
    /// OPC UA offers an endpoint with SecurityMode None (otherwise only Basic256Sha256
    /// Sign and SignAndEncrypt).
    pub opcua_security_none: bool,
    /// HTTPS and MQTTS certificate variant.
    pub certificate: CertKind,
    /// SNMP answers community `public` (otherwise it answers no community).
    pub snmp_public: bool,
}

/// Names of the built-in device profiles.
pub const PROFILES: [&str; 17] = [
    "plc-modbus",
    "plc-s7",
    "enip-adapter",
    "bacnet-device",
    "dnp3-outstation",
    "iec104-rtu",
    "opcua-server",
    "mqtt-broker",
    "coap-device",
    "http-admin",
    "https-admin",
    "it-gateway",
    "everything",
    "robust-garbage",
    "robust-silent",
    "robust-close",
    "robust-trickle",
];

/// Profiles the `mixed` fleet cycles through (no robustness devices).
pub const MIXED: [&str; 12] = [
    "plc-modbus",
    "plc-s7",
    "enip-adapter",
    "bacnet-device",
    "dnp3-outstation",
    "iec104-rtu",
    "opcua-server",
    "mqtt-broker",
    "coap-device",
    "http-admin",
    "https-admin",
    "it-gateway",
];

/// Ports the robustness devices serve their misbehaviour on.
pub const ROBUST_PORTS: [u16; 12] = [
    21, 22, 23, 80, 102, 443, 502, 1883, 2404, 4840, 20000, 44818,
];

/// splitmix64: the deterministic generator for per-device choices.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn svc(p: Protocol) -> ServiceSpec {
    ServiceSpec::new(p)
}

/// Build device `index` of `profile` (identity numbered by `index`, weaknesses drawn from
/// `seed`). `None` for an unknown profile name.
pub fn profile(name: &str, index: usize, seed: u64) -> Option<DeviceSpec> {
    use Protocol as P;
    let n = index + 1;
    let r = mix(seed ^ (index as u64).wrapping_mul(0x0100_0000_01b3));
    let bit = |k: u32| (r >> k) & 1 == 1;
    let cred = {
        let (u, p) = DEFAULT_CREDENTIALS[((r >> 8) % DEFAULT_CREDENTIALS.len() as u64) as usize];
        Credential::new(u, p)
    };
    let weak_creds = if bit(0) { Some(cred) } else { None };
    let mut w = Weaknesses {
        default_credentials: weak_creds,
        anonymous_ftp: bit(1),
        anonymous_mqtt: bit(2),
        open_http: bit(3),
        opcua_security_none: bit(4),
        certificate: match (r >> 5) % 4 {
            0 => CertKind::Valid,
            1 => CertKind::SelfSigned,
            2 => CertKind::Expired,
            _ => CertKind::HostnameMismatch,
        },
        snmp_public: bit(9),
    };
    let fw_minor = (r >> 16) % 10;
    let mut id = Identity {
        hostname: format!("{name}-{n:03}.plant.invalid"),
        serial: format!("SIM{n:05}"),
        plant_id: format!("PLANT-A/LINE-{}", n % 7 + 1),
        module_name: format!("{name}-{n:03}"),
        device_instance: 100_000 + n as u32,
        ..Identity::default()
    };
    let services = match name {
        "plc-modbus" => {
            id.vendor = "Acme Automation".into();
            id.vendor_url = "https://acme-automation.example".into();
            id.product = "AX-3000 PLC".into();
            id.product_code = "AX3000".into();
            id.model = "AX-3000-M".into();
            id.firmware = format!("2.{fw_minor}.1");
            vec![svc(P::Modbus), svc(P::Http), svc(P::Telnet)]
        }
        "plc-s7" => {
            id.vendor = "Siemens".into();
            id.product = "SIMATIC S7-300 (simulated)".into();
            id.product_code = "CPU 315-2 PN/DP".into();
            id.model = "CPU 315-2 PN/DP".into();
            id.order_number = "6ES7 315-2EH14-0AB0".into();
            id.firmware = format!("3.{fw_minor}.2");
            id.serial = format!("S C-X{n:07}");
            id.module_name = format!("CPU 315-2 PN/DP {n:03}");
            vec![svc(P::S7), svc(P::Http)]
        }
        "enip-adapter" => {
            id.vendor = "Rockwell Automation/Allen-Bradley".into();
            id.vendor_id = 1;
            id.device_type = 12;
            id.product = "1756-EN2T/D (simulated)".into();
            id.product_code = "166".into();
            id.model = "1756-EN2T".into();
            id.firmware = format!("11.{fw_minor:03}");
            id.serial = format!("{:08X}", 0x6000_0000 + n as u32);
            vec![svc(P::Enip), svc(P::Http)]
        }
        "bacnet-device" => {
            id.vendor = "Acme Building Controls".into();
            id.vendor_id = 260;
            id.product = "ABC-200 Controller".into();
            id.model = "ABC-200".into();
            id.firmware = format!("4.{fw_minor}.0");
            vec![svc(P::Bacnet), svc(P::Http)]
        }
        "dnp3-outstation" => {
            id.vendor = "Acme Grid".into();
            id.product = "GRX-10 Outstation".into();
            id.model = "GRX-10".into();
            vec![svc(P::Dnp3), svc(P::Ssh)]
        }
        "iec104-rtu" => {
            id.vendor = "Acme Grid".into();
            id.product = "RTU-104 Substation Controller".into();
            id.model = "RTU-104".into();
            vec![svc(P::Iec104), svc(P::Ssh), svc(P::Https)]
        }
        "opcua-server" => {
            id.vendor = "Acme Software".into();
            id.product = "Acme OPC UA Server".into();
            id.model = "UA-GW".into();
            id.firmware = format!("1.{fw_minor}.4");
            vec![svc(P::Opcua), svc(P::Https)]
        }
        "mqtt-broker" => {
            id.vendor = "Acme IoT".into();
            id.product = "Edge MQTT Gateway".into();
            id.model = "EMG-100".into();
            id.firmware = format!("1.6.{fw_minor}");
            vec![svc(P::Mqtt), svc(P::Http)]
        }
        "coap-device" => {
            id.vendor = "Acme Sensors".into();
            id.product = "CS-1 Constrained Sensor".into();
            id.model = "CS-1".into();
            vec![svc(P::Coap), svc(P::Telnet)]
        }
        "http-admin" => {
            id.vendor = "Acme Networks".into();
            id.product = "IoT Gateway IG-5".into();
            id.model = "IG-5".into();
            vec![svc(P::Http), svc(P::Snmp)]
        }
        "https-admin" => {
            id.vendor = "Acme Networks".into();
            id.product = "Secure Router SR-9".into();
            id.model = "SR-9".into();
            vec![svc(P::Https), svc(P::Ssh)]
        }
        "it-gateway" => {
            id.vendor = "Acme Networks".into();
            id.product = "Serial Device Server SDS-2".into();
            id.model = "SDS-2".into();
            vec![
                svc(P::Ftp),
                svc(P::Ssh),
                svc(P::Telnet),
                svc(P::Http),
                svc(P::Snmp),
            ]
        }
        "everything" => {
            id.vendor = "Acme Automation".into();
            id.product = "Omni Controller".into();
            id.model = "OMNI-1".into();
            P::ALL
                .iter()
                .take_while(|&&p| p != P::Garbage)
                .map(|&p| svc(p))
                .collect()
        }
        "robust-garbage" | "robust-silent" | "robust-close" | "robust-trickle" => {
            let p = match name {
                "robust-garbage" => P::Garbage,
                "robust-silent" => P::Silent,
                "robust-close" => P::Close,
                _ => P::Trickle,
            };
            w = Weaknesses::default();
            ROBUST_PORTS.iter().map(|&port| svc(p).on(port)).collect()
        }
        _ => return None,
    };
    // Keep only the weaknesses of services the device has, so the listing states exactly what
    // a scanner can find.
    let has = |ps: &[Protocol]| services.iter().any(|s| ps.contains(&s.protocol));
    if !has(&[P::Http, P::Https, P::Ftp, P::Mqtt, P::Mqtts, P::Telnet]) {
        w.default_credentials = None;
    }
    w.anonymous_ftp &= has(&[P::Ftp]);
    w.anonymous_mqtt &= has(&[P::Mqtt, P::Mqtts]);
    w.open_http &= has(&[P::Http, P::Https]);
    w.opcua_security_none &= has(&[P::Opcua]);
    w.snmp_public &= has(&[P::Snmp]);
    if !has(&[P::Https, P::Mqtts]) {
        w.certificate = CertKind::Valid;
    }
    Some(DeviceSpec {
        addr: None,
        profile: name.into(),
        identity: id,
        services,
        weaknesses: w,
    })
}

impl FleetSpec {
    /// `count` devices of `profile` (`mixed` cycles through [`MIXED`]) from `base`.
    /// `None` for an unknown profile name.
    pub fn from_profile(
        profile_name: &str,
        count: usize,
        base: Ipv4Addr,
        seed: u64,
    ) -> Option<Self> {
        let mut devices = Vec::with_capacity(count);
        for i in 0..count {
            let name = if profile_name == "mixed" {
                MIXED[i % MIXED.len()]
            } else {
                profile_name
            };
            devices.push(profile(name, i, seed)?);
        }
        Some(FleetSpec {
            base,
            port_offset: 0,
            devices,
        })
    }

    /// Parse a spec written in YAML (JSON is YAML too).
    pub fn from_yaml(text: &str) -> Result<Self, serde_norway::Error> {
        serde_norway::from_str(text)
    }

    /// Address of device `i`.
    pub fn addr(&self, i: usize) -> Ipv4Addr {
        self.devices
            .get(i)
            .and_then(|d| d.addr)
            .unwrap_or_else(|| Ipv4Addr::from(u32::from(self.base).wrapping_add(i as u32)))
    }

    /// A port after the fleet's port offset.
    pub fn map_port(&self, port: u16) -> u16 {
        if port < 1024 {
            port.saturating_add(self.port_offset)
        } else {
            port
        }
    }
}
