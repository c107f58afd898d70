//! The system model: the types a `skjold model` YAML file deserialises into, with their JSON
//! Schema (`skjold model schema`). Elements, data assets, data flows, IEC 62443-3-2 zones and
//! conduits, controls in place and accepted risks. Field documentation here is the format's
//! reference documentation; it is copied into the published JSON Schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A threat model of one system.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Name of the system, shown in report titles.
    pub name: String,
    /// What the system does, for readers of the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who owns this model (a person or role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Security zones (IEC 62443-3-2): groups of elements with the same security requirements.
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// Conduits: the declared communication paths between two zones.
    #[serde(default)]
    pub conduits: Vec<Conduit>,
    /// Devices, software, services and people.
    #[serde(default)]
    pub elements: Vec<Element>,
    /// Data the system holds or moves, with its classification.
    #[serde(default)]
    pub data_assets: Vec<DataAsset>,
    /// Data flows between elements.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// Controls in place, by id from the control catalogue (`skjold model controls`).
    #[serde(default)]
    pub controls: Vec<ControlInPlace>,
    /// Risks the owner accepts, with reason and expiry.
    #[serde(default)]
    pub accepted_risks: Vec<AcceptedRisk>,
}

/// The kind of a zone, ordered roughly from the outside world inwards (Purdue levels).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// The public internet.
    Internet,
    /// A supplier's, integrator's or vendor's network.
    Vendor,
    /// A remote site or remote worker network (home office, satellite link, field site).
    Remote,
    /// Cloud services.
    Cloud,
    /// Enterprise IT (office network, Purdue level 4/5).
    Enterprise,
    /// Demilitarised zone between IT and OT (level 3.5).
    Dmz,
    /// Site operations: historians, SCADA servers, engineering (level 3).
    Operations,
    /// Supervisory and basic control: HMIs, PLCs (levels 1-2).
    Control,
    /// Safety instrumented systems.
    Safety,
    /// Field devices: sensors and actuators (level 0).
    Field,
}

impl ZoneKind {
    /// Lower-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internet => "internet",
            Self::Vendor => "vendor",
            Self::Remote => "remote",
            Self::Cloud => "cloud",
            Self::Enterprise => "enterprise",
            Self::Dmz => "dmz",
            Self::Operations => "operations",
            Self::Control => "control",
            Self::Safety => "safety",
            Self::Field => "field",
        }
    }

    /// Position from outside (0) to inside, used for layout and the "skips the DMZ" checks.
    pub fn depth(self) -> u8 {
        match self {
            Self::Internet => 0,
            Self::Vendor | Self::Remote => 1,
            Self::Cloud => 2,
            Self::Enterprise => 3,
            Self::Dmz => 4,
            Self::Operations => 5,
            Self::Control => 6,
            Self::Safety => 7,
            Self::Field => 8,
        }
    }

    /// Zones whose elements are not under the operator's physical and administrative control.
    pub fn is_untrusted(self) -> bool {
        matches!(
            self,
            Self::Internet | Self::Vendor | Self::Remote | Self::Cloud
        )
    }

    /// IT-side zones (anything outside the DMZ).
    pub fn is_it(self) -> bool {
        self.depth() <= 3
    }

    /// OT zones that run the process.
    pub fn is_ot(self) -> bool {
        matches!(
            self,
            Self::Operations | Self::Control | Self::Safety | Self::Field
        )
    }
}

/// A security zone (IEC 62443-3-2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Unique id, referenced by elements and conduits.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Kind of zone.
    pub kind: ZoneKind,
    /// Target security level SL-T (0 to 4) from the risk assessment.
    #[serde(default)]
    pub sl_target: u8,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A conduit: the declared path between two zones, with its own target security level.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Conduit {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The two zones it joins.
    pub zones: [String; 2],
    /// Target security level SL-T (0 to 4).
    #[serde(default)]
    pub sl_target: u8,
    /// Whether the conduit itself encrypts and authenticates traffic (VPN, IPsec, MACsec).
    #[serde(default)]
    pub encrypted: bool,
    /// Element ids of the boundary devices that enforce it (firewalls, data diodes).
    #[serde(default)]
    pub via: Vec<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What an element is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// A generic connected device (IoT device, smart meter, camera).
    Device,
    /// A sensor or transmitter.
    Sensor,
    /// An actuator, drive, valve or pump controller.
    Actuator,
    /// A programmable logic controller.
    Plc,
    /// A remote terminal unit.
    Rtu,
    /// A safety instrumented system controller.
    SafetyController,
    /// A human-machine interface or operator panel.
    Hmi,
    /// An engineering workstation with PLC programming tools.
    EngineeringWorkstation,
    /// A protocol gateway or IoT gateway.
    Gateway,
    /// An edge computer.
    Edge,
    /// A server (SCADA, historian, MES, jump host).
    Server,
    /// A cloud service.
    CloudService,
    /// A database or file store.
    Database,
    /// A mobile app.
    MobileApp,
    /// A person or role.
    Person,
    /// An external party (supplier, integrator, regulator).
    ExternalParty,
    /// A firewall, data diode or other boundary device.
    Firewall,
    /// A switch, router, modem or satellite terminal.
    NetworkDevice,
    /// A remote-access service (VPN concentrator, remote-desktop tool, jump host).
    RemoteAccess,
}

impl ElementKind {
    /// Snake-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Sensor => "sensor",
            Self::Actuator => "actuator",
            Self::Plc => "plc",
            Self::Rtu => "rtu",
            Self::SafetyController => "safety_controller",
            Self::Hmi => "hmi",
            Self::EngineeringWorkstation => "engineering_workstation",
            Self::Gateway => "gateway",
            Self::Edge => "edge",
            Self::Server => "server",
            Self::CloudService => "cloud_service",
            Self::Database => "database",
            Self::MobileApp => "mobile_app",
            Self::Person => "person",
            Self::ExternalParty => "external_party",
            Self::Firewall => "firewall",
            Self::NetworkDevice => "network_device",
            Self::RemoteAccess => "remote_access",
        }
    }
}

/// A level of criticality or classification.
#[derive(
    Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Not relevant.
    None,
    /// Low.
    #[default]
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Level {
    /// Rank 0 (none) to 3 (high).
    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// How critical an element is for each security objective.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Criticality {
    /// Harm to people or the environment if it fails or is manipulated.
    #[serde(default)]
    pub safety: Level,
    /// Harm if it is unavailable.
    #[serde(default)]
    pub availability: Level,
    /// Harm if it is manipulated.
    #[serde(default)]
    pub integrity: Level,
    /// Harm if its data is disclosed.
    #[serde(default)]
    pub confidentiality: Level,
}

impl Criticality {
    /// The highest of the four levels.
    pub fn max(&self) -> Level {
        self.safety
            .max(self.availability)
            .max(self.integrity)
            .max(self.confidentiality)
    }
}

/// Physical exposure of an element.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Locked room or cabinet with access control.
    LockedRoom,
    /// Data centre or cloud provider.
    Datacenter,
    /// Open plant floor, reachable by staff and contractors.
    PlantFloor,
    /// Unmanned remote site (pumping station, wind turbine, substation).
    RemoteSite,
    /// Publicly accessible place.
    Public,
}

impl Exposure {
    /// Snake-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LockedRoom => "locked_room",
            Self::Datacenter => "datacenter",
            Self::PlantFloor => "plant_floor",
            Self::RemoteSite => "remote_site",
            Self::Public => "public",
        }
    }
}

/// How software or firmware is updated.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMechanism {
    /// Not stated.
    #[default]
    Unknown,
    /// Cannot be updated.
    None,
    /// Updated by hand (USB stick, engineering tool).
    Manual,
    /// Updated automatically or over the air.
    Automatic,
}

impl UpdateMechanism {
    /// Snake-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::None => "none",
            Self::Manual => "manual",
            Self::Automatic => "automatic",
        }
    }
}

/// Software and firmware facts about an element.
#[allow(clippy::struct_excessive_bools)] // the facts are naturally yes/no questions
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Software {
    /// Product and version, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Update mechanism.
    #[serde(default)]
    pub update: UpdateMechanism,
    /// Updates are cryptographically signed and the signature is checked.
    #[serde(default)]
    pub signed_updates: bool,
    /// Default or hard-coded credentials are still in use.
    #[serde(default)]
    pub default_credentials: bool,
    /// One account or password is shared between people or devices.
    #[serde(default)]
    pub shared_credentials: bool,
    /// Debug or service interfaces left enabled (jtag, uart, telnet, usb, service port).
    #[serde(default)]
    pub debug_interfaces: Vec<String>,
    /// Keys and credentials are kept in a secure element, TPM or HSM.
    #[serde(default)]
    pub secure_element: bool,
    /// The element stores secrets (keys, passwords, tokens).
    #[serde(default)]
    pub stores_secrets: bool,
    /// The product is out of vendor support.
    #[serde(default)]
    pub end_of_life: bool,
    /// The element writes security logs that leave the device.
    #[serde(default)]
    pub logging: bool,
    /// Data at rest is encrypted.
    #[serde(default)]
    pub storage_encrypted: bool,
}

/// A device, service, application or person.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Element {
    /// Unique id, referenced by flows.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it is.
    pub kind: ElementKind,
    /// The zone it sits in.
    pub zone: String,
    /// IP addresses, used by `model verify` to match observed traffic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
    /// Criticality per security objective.
    #[serde(default)]
    pub criticality: Criticality,
    /// Physical exposure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    /// Software and firmware facts.
    #[serde(default)]
    pub software: Software,
    /// Data asset ids stored on this element.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
    /// Safety functions this element performs (an element that is the only one performing a
    /// function and is not redundant is a single point of failure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_functions: Vec<String>,
    /// A standby or redundant element takes over when this one fails.
    #[serde(default)]
    pub redundant: bool,
    /// Supplier or integrator that maintains it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Element {
    /// Display name, or the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// Classification of a data asset.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Personal data under the GDPR.
    Personal,
    /// Process values and telemetry.
    Process,
    /// Control commands and setpoints.
    Control,
    /// Recipes and other know-how.
    Recipe,
    /// Passwords, keys, tokens.
    Credentials,
    /// Configuration and PLC programs.
    Configuration,
    /// Firmware and software images.
    Firmware,
    /// Security logs.
    Logs,
    /// Public data.
    Public,
}

impl Classification {
    /// Snake-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Process => "process",
            Self::Control => "control",
            Self::Recipe => "recipe",
            Self::Credentials => "credentials",
            Self::Configuration => "configuration",
            Self::Firmware => "firmware",
            Self::Logs => "logs",
            Self::Public => "public",
        }
    }
}

/// A data asset.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataAsset {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Classification.
    pub classification: Classification,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Direction of a flow.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Data goes from `from` to `to` only (responses aside).
    #[default]
    Unidirectional,
    /// Both ends send data and commands.
    Bidirectional,
}

/// Why a flow exists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Process control (reads and writes).
    Control,
    /// Telemetry and monitoring.
    Telemetry,
    /// Engineering: programming, configuration.
    Engineering,
    /// Interactive remote access.
    RemoteAccess,
    /// Software or firmware update.
    Update,
    /// Supplier maintenance.
    Supplier,
    /// Backup.
    Backup,
    /// Security logging.
    Logging,
    /// Business data exchange.
    Business,
}

impl Purpose {
    /// Snake-case name as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Control => "control",
            Self::Telemetry => "telemetry",
            Self::Engineering => "engineering",
            Self::RemoteAccess => "remote_access",
            Self::Update => "update",
            Self::Supplier => "supplier",
            Self::Backup => "backup",
            Self::Logging => "logging",
            Self::Business => "business",
        }
    }
}

/// A data flow between two elements.
#[allow(clippy::struct_excessive_bools)] // protocol facts are yes/no questions
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Element id of the initiator (client).
    pub from: String,
    /// Element id of the responder (server).
    pub to: String,
    /// Application protocol, lower case (modbus, s7comm, dnp3, enip, opcua, mqtt, https, ssh,
    /// rdp, vnc, ...).
    pub protocol: String,
    /// Destination port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Encrypted in transit (TLS, SSH, OPC UA SignAndEncrypt, VPN end to end).
    #[serde(default)]
    pub encrypted: bool,
    /// The responder authenticates the initiator.
    #[serde(default)]
    pub authenticated: bool,
    /// Both ends authenticate each other with keys or certificates.
    #[serde(default)]
    pub mutual_auth: bool,
    /// The initiator can write: change values, setpoints, programs or configuration.
    #[serde(default)]
    pub write: bool,
    /// Direction.
    #[serde(default)]
    pub direction: Direction,
    /// Why the flow exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// Data asset ids carried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<String>,
    /// Conduit id; when absent, the conduit joining the two zones is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conduit: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A control in place, by catalogue id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ControlInPlace {
    /// Control id from the catalogue (for example `mfa`, `secure-channel`).
    pub control: String,
    /// Ids of the elements, flows, zones or conduits it covers; empty means the whole system.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<String>,
    /// How it is implemented, or where the evidence is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A risk the owner accepts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AcceptedRisk {
    /// Finding id (as printed by `model check`), or a rule id to accept it everywhere.
    pub finding: String,
    /// Who accepts it.
    pub owner: String,
    /// Why.
    pub reason: String,
    /// Expiry date, YYYY-MM-DD; an expired acceptance re-opens the finding.
    pub expires: String,
}
