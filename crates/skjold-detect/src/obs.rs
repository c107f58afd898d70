//! Observations: what the protocol states of `skjold watch` tell detection. One observation is
//! one fact about the traffic (a flow started, a request was answered, credentials crossed the
//! wire, a TLS server showed a certificate, an ARP reply claimed an address), already parsed and
//! normalised across protocols, so detections and user rules never look at bytes.
//!
//! Observations are built only when detection is on, and are small: an [`Op`] allocates only
//! for the values it carries and an MQTT topic.

use std::net::IpAddr;

/// One observation, stamped with the capture time and the packet that produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct Obs {
    /// Capture time (µs since the Unix epoch).
    pub ts: u64,
    /// Packet number in the input (1-based), the order observations are processed in.
    pub pcap_cnt: u64,
    /// The flow, for everything but ARP.
    pub flow: Option<FlowRef>,
    /// What was observed.
    pub what: What,
}

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Host {
    /// IP address.
    pub ip: IpAddr,
    /// Transport port.
    pub port: u16,
    /// MAC address when the link layer has a usable one.
    pub mac: Option<[u8; 6]>,
}

/// The flow an observation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowRef {
    /// EVE `flow_id`.
    pub flow_id: u64,
    /// Initiator (Modbus client, MQTT client, DNP3 master...).
    pub client: Host,
    /// Responder (Modbus server, broker, outstation...).
    pub server: Host,
    /// `true` for TCP, `false` for UDP.
    pub tcp: bool,
    /// Application protocol (`modbus`, `mqtt`, ... as in EVE `app_proto`), or `tcp` / `udp`
    /// while it is not known.
    pub proto: &'static str,
    /// Whether the PDU (or the request of a transaction) went from the client to the server.
    pub from_client: bool,
}

impl FlowRef {
    /// Sender of the PDU (of the request, for a transaction).
    pub fn src(&self) -> &Host {
        if self.from_client {
            &self.client
        } else {
            &self.server
        }
    }
    /// Receiver of the PDU.
    pub fn dst(&self) -> &Host {
        if self.from_client {
            &self.server
        } else {
            &self.client
        }
    }
}

/// What was observed.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// The first packet of a flow (its protocol is not known yet: `proto` is `tcp`/`udp`).
    FlowStart,
    /// The flow's application protocol was recognised (`proto` names it). Once per flow.
    AppDetected,
    /// A request or a transaction (request with its response, when paired).
    Op(Op),
    /// Credentials crossed the wire (never the password itself).
    Credentials(Credentials),
    /// Session security as negotiated (MQTT CONNACK, OPC UA `OpenSecureChannel`...).
    Session(Session),
    /// A TLS handshake's outcome.
    Tls(Tls),
    /// A protocol anomaly reported by a parser (`layer` `app`, the flow's protocol in
    /// `FlowRef::proto`) or by TCP reassembly (`layer` `stream`); `kind` as in EVE `anomaly.event`
    /// (`length_mismatch`, `reassembly_gap`, `too_many_transactions`...).
    Anomaly {
        /// `app` or `stream`.
        layer: &'static str,
        /// The anomaly's name.
        kind: &'static str,
    },
    /// An ARP packet.
    Arp(Arp),
}

/// What a request does, across protocols.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpClass {
    /// Reads process data or configuration.
    Read,
    /// Writes process data (registers, coils, points, properties, variables).
    Write,
    /// Commands a process output or a device (DNP3 operate, IEC-104 command, S7 PI service...).
    /// [`Op::control`] says which, when it changes the device's state.
    Control,
    /// Asks a device who it is (Modbus 43/14 and 17, S7 SZL, CIP identity, BACnet Who-Is...).
    Identify,
    /// Diagnostics and maintenance (Modbus 8, counters...).
    Diagnostic,
    /// Session set-up (MQTT CONNECT, S7 setup communication, ENIP `RegisterSession`...).
    Connect,
    /// A publication (MQTT PUBLISH, CoAP POST/PUT of data).
    Publish,
    /// A subscription.
    Subscribe,
    /// Anything else (keep-alives, acknowledgements, unknown functions).
    #[default]
    Other,
}

impl OpClass {
    /// Lower-case name used in baselines, alerts and rules.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::Read => "read",
            OpClass::Write => "write",
            OpClass::Control => "control",
            OpClass::Identify => "identify",
            OpClass::Diagnostic => "diagnostic",
            OpClass::Connect => "connect",
            OpClass::Publish => "publish",
            OpClass::Subscribe => "subscribe",
            OpClass::Other => "other",
        }
    }
    /// Parse [`OpClass::name`].
    pub fn from_name(s: &str) -> Option<OpClass> {
        [
            OpClass::Read,
            OpClass::Write,
            OpClass::Control,
            OpClass::Identify,
            OpClass::Diagnostic,
            OpClass::Connect,
            OpClass::Publish,
            OpClass::Subscribe,
            OpClass::Other,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }
    /// Whether the request changes the process or the device (write or control).
    pub fn modifies(self) -> bool {
        matches!(self, OpClass::Write | OpClass::Control)
    }
}

/// Device state changes (ATT&CK for ICS T0816, T0843, T0845, T0857, T0858, T0814).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Control {
    /// CPU / program stop (S7 PI `_PROGRAM` stop, CIP stop, DNP3 ... ).
    Stop,
    /// CPU / program start or run.
    Start,
    /// Restart / reboot (DNP3 cold/warm restart, BACnet `ReinitializeDevice`, Modbus 8/1, CIP reset).
    Restart,
    /// Program or block download to the device (S7 download, CIP program download).
    ProgramDownload,
    /// Program or block upload from the device.
    ProgramUpload,
    /// Program or block deletion.
    ProgramDelete,
    /// Firmware operations (file transfer of firmware, update services).
    Firmware,
    /// Reset of process or device state (counters, memory reset, factory reset).
    ResetProcess,
    /// Communication control (BACnet `DeviceCommunicationControl`, S7 ...).
    CommControl,
    /// Modbus diagnostics sub-function 4: force listen-only mode.
    ListenOnly,
    /// DNP3 function 21: disable unsolicited responses.
    UnsolicitedDisable,
}

impl Control {
    /// Lower-case name used in alerts and rules.
    pub fn name(self) -> &'static str {
        match self {
            Control::Stop => "stop",
            Control::Start => "start",
            Control::Restart => "restart",
            Control::ProgramDownload => "program_download",
            Control::ProgramUpload => "program_upload",
            Control::ProgramDelete => "program_delete",
            Control::Firmware => "firmware",
            Control::ResetProcess => "reset_process",
            Control::CommControl => "communication_control",
            Control::ListenOnly => "listen_only",
            Control::UnsolicitedDisable => "unsolicited_disable",
        }
    }
}

/// A request (or transaction) in protocol-neutral terms.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Op {
    /// What it does.
    pub class: OpClass,
    /// The raw function / service / type code (Modbus function, DNP3 function, IEC-104 type id,
    /// S7 function, CIP service, BACnet service, OPC UA service type id...).
    pub function: u32,
    /// Its name as logged in EVE (`read_holding_registers`, `C_SE_NC_1`, ...).
    pub function_name: &'static str,
    /// Unit / station / device address inside the server (Modbus unit id, DNP3 destination,
    /// IEC-104 common address, BACnet device instance...).
    pub unit: Option<u32>,
    /// The address space of `address` (`coil`, `discrete_input`, `holding_register`,
    /// `input_register`, `g12`, `ioa`, `db1`, ...), empty when the request has no address.
    pub space: &'static str,
    /// First address (register, point index, information object address, byte offset...).
    pub address: Option<u32>,
    /// Number of addresses from `address` (0 when unknown).
    pub count: u32,
    /// Values: written values for a write, read values from the response for a read, in
    /// address order from `address`. Empty when not numeric or not decoded.
    pub values: Vec<f64>,
    /// MQTT topic, CoAP URI path, OPC UA node id: a name instead of a number, when the protocol
    /// addresses by name.
    pub name: Option<Box<str>>,
    /// Exception / error code of the response, when the server refused.
    pub exception: Option<u32>,
    /// Sent to a broadcast address (Modbus unit 0, DNP3 0xFFFx, IEC-104 common address 0xFFFF).
    pub broadcast: bool,
    /// The device state change this request asks for.
    pub control: Option<Control>,
}

impl Op {
    /// A request of `class` with its function code and name; set the other fields with struct
    /// update syntax.
    pub fn new(class: OpClass, function: u32, function_name: &'static str) -> Op {
        Op {
            class,
            function,
            function_name,
            ..Op::default()
        }
    }
}

/// Credentials seen on the wire. The password is never kept: the state reports whether one was
/// sent in clear and whether the pair is a known default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User name, when there is one.
    pub user: Option<Box<str>>,
    /// A password (or secret) was sent readable on the wire.
    pub cleartext: bool,
    /// The user/password pair is in the list of known default credentials
    /// ([`crate::defaults::is_default`]).
    pub default: bool,
    /// Whether the server accepted them, when its answer was seen.
    pub accepted: Option<bool>,
    /// How they were sent (`mqtt_connect`, `ftp_pass`, `telnet_login`, `http_basic`).
    pub method: &'static str,
}

/// Session security as negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// A session was opened without any credentials (MQTT CONNECT without user name).
    pub anonymous: bool,
    /// Whether the server accepted the session, when its answer was seen.
    pub accepted: Option<bool>,
    /// The security mode (`None`, `Sign`, `SignAndEncrypt` for OPC UA), when the protocol has
    /// one.
    pub security_mode: Option<&'static str>,
    /// The security policy (OPC UA policy URI's last part, e.g. `None`, `Basic256Sha256`).
    pub security_policy: Option<Box<str>>,
}

/// A TLS handshake's outcome, as far as it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Tls {
    /// Negotiated version (0x0301 TLS 1.0 ... 0x0304 TLS 1.3; 0x0300 SSL 3).
    pub version: Option<u16>,
    /// Negotiated cipher suite.
    pub cipher: Option<u16>,
    /// The cipher suite is weak (NULL, EXPORT, anonymous, RC4, DES/3DES, MD5 MAC).
    pub weak_cipher: bool,
    /// The server certificate, when it was readable (TLS 1.2 and older).
    pub cert: Option<Cert>,
    /// Server name the client asked for (SNI).
    pub sni: Option<Box<str>>,
}

/// A server certificate, reduced to what detection needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert {
    /// Subject distinguished name.
    pub subject: Box<str>,
    /// Issuer distinguished name.
    pub issuer: Box<str>,
    /// Validity start and end (seconds since the Unix epoch).
    pub not_before: i64,
    /// Validity end (seconds since the Unix epoch).
    pub not_after: i64,
    /// Issuer equals subject.
    pub self_signed: bool,
    /// Public key size in bits, when known.
    pub key_bits: Option<u32>,
}

/// An ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    /// Sender hardware address.
    pub sender_mac: [u8; 6],
    /// Sender protocol address.
    pub sender_ip: IpAddr,
    /// Target protocol address.
    pub target_ip: IpAddr,
    /// Gratuitous: sender and target address are the same.
    pub gratuitous: bool,
}
