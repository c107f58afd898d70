//! EtherNet/IP encapsulation and CIP messages, following *The CIP Networks Library, Volume 2:
//! EtherNet/IP Adaptation of CIP* (ODVA, chapter 2: encapsulation header, commands, Common Packet
//! Format items, ListIdentity/ListServices replies) and *Volume 1: Common Industrial Protocol*
//! (message router request/response format, Appendix C: padded EPATH segments, the Multiple
//! Service Packet service and the Connection Manager's Unconnected Send).
//!
//! All integers are little-endian except the socket address of a ListIdentity reply (network
//! order). Counts are capped ([`MAX_ITEMS`], [`MAX_SERVICES`], [`MAX_SEGMENTS`], [`MAX_DEPTH`])
//! and the caps hit are reported on the parsed values.

use crate::ParseError;

#[path = "enip_vendors.rs"]
mod vendors;

/// Encapsulation header length.
pub const HEADER_LEN: usize = 24;
/// Common Packet Format items read from one message.
pub const MAX_ITEMS: usize = 16;
/// Services read from one Multiple Service Packet.
pub const MAX_SERVICES: usize = 64;
/// Segments read from one path.
pub const MAX_SEGMENTS: usize = 16;
/// Nesting of embedded messages (Multiple Service Packet, Unconnected Send).
pub const MAX_DEPTH: usize = 3;

fn le16(s: &[u8], off: usize) -> Option<u16> {
    let b = s.get(off..off + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn le32(s: &[u8], off: usize) -> Option<u32> {
    let b = s.get(off..off + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Encapsulation command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Command(pub u16);

impl Command {
    /// NOP.
    pub const NOP: Command = Command(0x0000);
    /// ListServices.
    pub const LIST_SERVICES: Command = Command(0x0004);
    /// ListIdentity.
    pub const LIST_IDENTITY: Command = Command(0x0063);
    /// ListInterfaces.
    pub const LIST_INTERFACES: Command = Command(0x0064);
    /// RegisterSession.
    pub const REGISTER_SESSION: Command = Command(0x0065);
    /// UnRegisterSession.
    pub const UNREGISTER_SESSION: Command = Command(0x0066);
    /// SendRRData (unconnected).
    pub const SEND_RR_DATA: Command = Command(0x006f);
    /// SendUnitData (connected).
    pub const SEND_UNIT_DATA: Command = Command(0x0070);
    /// IndicateStatus.
    pub const INDICATE_STATUS: Command = Command(0x0072);
    /// Cancel.
    pub const CANCEL: Command = Command(0x0073);

    /// Suricata's name (`list_identity`, `send_rr_data`...), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0000 => "nop",
            0x0001 => "list_targets",
            0x0004 => "list_services",
            0x0063 => "list_identity",
            0x0064 => "list_interfaces",
            0x0065 => "register_session",
            0x0066 => "unregister_session",
            0x006f => "send_rr_data",
            0x0070 => "send_unit_data",
            0x0072 => "indicate_status",
            0x0073 => "cancel",
            _ => "unknown",
        }
    }

    /// Whether the command is one the specification defines (or a legacy `0x0001`).
    pub fn is_known(self) -> bool {
        self.name() != "unknown"
    }
}

/// Encapsulation status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u32);

impl Status {
    /// Suricata's name (`success`, `invalid_cmd`...), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "success",
            1 => "invalid_cmd",
            2 => "no_resources",
            3 => "incorrect_data",
            0x64 => "invalid_session",
            0x65 => "invalid_length",
            0x69 => "unsupported_prot_rev",
            0x6a => "encap_header_error",
            _ => "unknown",
        }
    }
}

/// Encapsulation header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Command.
    pub command: Command,
    /// Length of the data after the header.
    pub length: u16,
    /// Session handle.
    pub session: u32,
    /// Status.
    pub status: Status,
    /// Sender context (8 bytes).
    pub context: &'a [u8],
    /// Options.
    pub options: u32,
}

/// One encapsulation message: header and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap<'a> {
    /// Header.
    pub header: Header<'a>,
    /// Command-specific data.
    pub data: &'a [u8],
}

/// Split one encapsulation message from the front of `input`. `Incomplete` while short.
pub fn parse_encap(input: &[u8]) -> Result<(&[u8], Encap<'_>), ParseError> {
    if input.len() < HEADER_LEN {
        return Err(ParseError::Incomplete(HEADER_LEN - input.len()));
    }
    let length = le16(input, 2).unwrap_or(0);
    let total = HEADER_LEN + usize::from(length);
    if input.len() < total {
        return Err(ParseError::Incomplete(total - input.len()));
    }
    let header = Header {
        command: Command(le16(input, 0).unwrap_or(0)),
        length,
        session: le32(input, 4).unwrap_or(0),
        status: Status(le32(input, 8).unwrap_or(0)),
        context: input.get(12..20).unwrap_or_default(),
        options: le32(input, 20).unwrap_or(0),
    };
    let data = input.get(HEADER_LEN..total).unwrap_or_default();
    Ok((
        input.get(total..).unwrap_or_default(),
        Encap { header, data },
    ))
}

/// Whether the first bytes look like an encapsulation header: a known command, options zero, a
/// length consistent with the command, a known status.
///
/// With fewer bytes, the fields present are checked: `Some(false)` as soon as one is wrong,
/// `None` while all present fields are right (so a probe asks for more only while a match is
/// still possible).
pub fn plausible_header(input: &[u8]) -> Option<bool> {
    let cmd = Command(le16(input, 0)?);
    if !cmd.is_known() {
        return Some(false);
    }
    let len = le16(input, 2)?;
    let len_ok = match cmd.0 {
        0x0065 => len == 4,
        0x0066 => len == 0,
        0x006f | 0x0070 => len >= 8,
        _ => true,
    };
    if !len_ok {
        return Some(false);
    }
    let status = Status(le32(input, 8)?);
    if status.name() == "unknown" {
        return Some(false);
    }
    let options = le32(input, 20)?;
    Some(options == 0)
}

/// Common Packet Format item type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemType(pub u16);

impl ItemType {
    /// Null address.
    pub const NULL: ItemType = ItemType(0x0000);
    /// ListIdentity reply item.
    pub const IDENTITY: ItemType = ItemType(0x000c);
    /// Connected address (connection id).
    pub const CONNECTED_ADDRESS: ItemType = ItemType(0x00a1);
    /// Connected data (sequence count and CIP message).
    pub const CONNECTED_DATA: ItemType = ItemType(0x00b1);
    /// Unconnected data (CIP message).
    pub const UNCONNECTED_DATA: ItemType = ItemType(0x00b2);
    /// ListServices reply item.
    pub const SERVICES: ItemType = ItemType(0x0100);
    /// Socket address, originator to target.
    pub const SOCKADDR_O2T: ItemType = ItemType(0x8000);
    /// Socket address, target to originator.
    pub const SOCKADDR_T2O: ItemType = ItemType(0x8001);
    /// Sequenced address (connection id and sequence number).
    pub const SEQUENCED_ADDRESS: ItemType = ItemType(0x8002);

    /// `snake_case` name, `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0000 => "null_address",
            0x000c => "identity",
            0x0086 => "cip_security",
            0x00a1 => "connected_address",
            0x00b1 => "connected_data",
            0x00b2 => "unconnected_data",
            0x0100 => "list_services",
            0x8000 => "sockaddr_o2t",
            0x8001 => "sockaddr_t2o",
            0x8002 => "sequenced_address",
            _ => "unknown",
        }
    }
}

/// One Common Packet Format item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// Type id.
    pub kind: ItemType,
    /// Item data.
    pub data: &'a [u8],
}

/// A Common Packet Format: the items read and whether it was complete.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cpf<'a> {
    /// Item count as announced.
    pub count: u16,
    /// Items read (at most [`MAX_ITEMS`]).
    pub items: Vec<Item<'a>>,
    /// An item overran the data.
    pub truncated: bool,
    /// More than [`MAX_ITEMS`] items.
    pub too_many: bool,
}

impl<'a> Cpf<'a> {
    /// The first item of type `kind`.
    pub fn item(&self, kind: ItemType) -> Option<&'a [u8]> {
        self.items.iter().find(|i| i.kind == kind).map(|i| i.data)
    }
}

/// Parse a Common Packet Format (item count, then type/length/data items).
pub fn parse_cpf(data: &[u8]) -> Option<Cpf<'_>> {
    let count = le16(data, 0)?;
    let mut cpf = Cpf {
        count,
        ..Cpf::default()
    };
    let mut off = 2;
    for _ in 0..count {
        if cpf.items.len() >= MAX_ITEMS {
            cpf.too_many = true;
            break;
        }
        let (Some(t), Some(l)) = (le16(data, off), le16(data, off + 2)) else {
            cpf.truncated = true;
            break;
        };
        let Some(d) = data.get(off + 4..off + 4 + usize::from(l)) else {
            cpf.truncated = true;
            break;
        };
        cpf.items.push(Item {
            kind: ItemType(t),
            data: d,
        });
        off += 4 + usize::from(l);
    }
    Some(cpf)
}

/// The CPF of a SendRRData/SendUnitData message (after interface handle and timeout).
pub fn parse_send_data(data: &[u8]) -> Option<(u32, u16, Cpf<'_>)> {
    Some((le32(data, 0)?, le16(data, 4)?, parse_cpf(data.get(6..)?)?))
}

/// A ListIdentity reply item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// Encapsulation protocol version.
    pub protocol_version: u16,
    /// Socket address family (network order).
    pub sin_family: u16,
    /// Socket port (network order).
    pub sin_port: u16,
    /// Socket IPv4 address.
    pub sin_addr: [u8; 4],
    /// Vendor id.
    pub vendor_id: u16,
    /// Device type.
    pub device_type: u16,
    /// Product code.
    pub product_code: u16,
    /// Major revision.
    pub revision_major: u8,
    /// Minor revision.
    pub revision_minor: u8,
    /// Status word.
    pub status: u16,
    /// Serial number.
    pub serial: u32,
    /// Product name (short string).
    pub product_name: &'a [u8],
    /// State (absent in some short replies).
    pub state: Option<u8>,
}

/// Parse a ListIdentity item (type `0x0c`).
pub fn parse_identity(d: &[u8]) -> Option<Identity<'_>> {
    let a = d.get(6..10)?;
    let name_len = usize::from(*d.get(32)?);
    Some(Identity {
        protocol_version: le16(d, 0)?,
        sin_family: u16::from_be_bytes([*d.get(2)?, *d.get(3)?]),
        sin_port: u16::from_be_bytes([*d.get(4)?, *d.get(5)?]),
        sin_addr: [a[0], a[1], a[2], a[3]],
        vendor_id: le16(d, 18)?,
        device_type: le16(d, 20)?,
        product_code: le16(d, 22)?,
        revision_major: *d.get(24)?,
        revision_minor: *d.get(25)?,
        status: le16(d, 26)?,
        serial: le32(d, 28)?,
        product_name: d.get(33..33 + name_len)?,
        state: d.get(33 + name_len).copied(),
    })
}

/// A ListServices reply item (type `0x100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo<'a> {
    /// Encapsulation protocol version.
    pub protocol_version: u16,
    /// Capability flags.
    pub capabilities: u16,
    /// Service name (NUL padded to 16 bytes).
    pub name: &'a [u8],
}

/// Parse a ListServices item.
pub fn parse_service_info(d: &[u8]) -> Option<ServiceInfo<'_>> {
    let name = d.get(4..)?;
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    Some(ServiceInfo {
        protocol_version: le16(d, 0)?,
        capabilities: le16(d, 2)?,
        name: name.get(..end)?,
    })
}

/// Name of a vendor id as tshark shows it (ODVA list, see `enip_vendors.rs`).
pub fn vendor_name(id: u16) -> Option<&'static str> {
    vendors::VENDORS
        .binary_search_by_key(&id, |(k, _)| *k)
        .ok()
        .and_then(|i| vendors::VENDORS.get(i))
        .map(|(_, n)| *n)
}

/// Name of a CIP device type (profile) as tshark shows it.
pub fn device_type_name(t: u16) -> &'static str {
    match t {
        0 => "Generic Device (deprecated)",
        2 => "AC Drive",
        3 => "Motor Overload",
        4 => "Limit Switch",
        5 => "Inductive Proximity Switch",
        6 => "Photoelectric Sensor",
        7 => "General Purpose Discrete I/O",
        9 => "Resolver",
        12 => "Communications Adapter",
        14 => "Programmable Logic Controller",
        16 => "Position Controller",
        19 => "DC Drive",
        21 => "Contactor",
        22 => "Motor Starter",
        23 => "Soft Start",
        24 => "Human-Machine Interface",
        26 => "Mass Flow Controller",
        27 => "Pneumatic Valve",
        28 => "Vacuum Pressure Gauge",
        29 => "Process Control Value",
        30 => "Residual Gas Analyzer",
        31 => "DC Power Generator",
        32 => "RF Power Generator",
        33 => "Turbomolecular Vacuum Pump",
        34 => "Encoder",
        35 => "Safety Discrete I/O Device",
        36 => "Fluid Flow Controller",
        37 => "CIP Motion Drive",
        38 => "CompoNet Repeater",
        39 => "Mass Flow Controller, Enhanced",
        40 => "CIP Modbus Device",
        41 => "CIP Modbus Translator",
        42 => "Safety Analog I/O Device",
        43 => "Generic Device (keyable)",
        44 => "Managed Ethernet Switch",
        45 => "CIP Motion Safety Drive Device",
        46 => "Safety Drive Device",
        47 => "CIP Motion Encoder",
        48 => "CIP Motion Converter",
        49 => "CIP Motion I/O",
        50 => "ControlNet Physical Layer Component",
        51 => "Circuit Breaker",
        52 => "HART Device",
        53 => "CIP-HART Translator",
        200 => "Embedded Component",
        _ => "unknown",
    }
}

/// CIP service code (without the response bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Service(pub u8);

impl Service {
    /// Multiple Service Packet.
    pub const MULTIPLE: Service = Service(0x0a);
    /// Connection Manager Unconnected Send (class 6).
    pub const UNCONNECTED_SEND: Service = Service(0x52);

    /// Name of a common service as tshark shows it (class-specific codes 0x4b-0x55 are named
    /// as Logix controllers use them; see [`Service::name_for_class`]), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "Get Attributes All",
            0x02 => "Set Attributes All",
            0x03 => "Get Attribute List",
            0x04 => "Set Attribute List",
            0x05 => "Reset",
            0x06 => "Start",
            0x07 => "Stop",
            0x08 => "Create",
            0x09 => "Delete",
            0x0a => "Multiple Service Packet",
            0x0d => "Apply Attributes",
            0x0e => "Get Attribute Single",
            0x10 => "Set Attribute Single",
            0x11 => "Find Next Object Instance",
            0x15 => "Restore",
            0x16 => "Save",
            0x17 => "Nop",
            0x18 => "Get Member",
            0x19 => "Set Member",
            0x1a => "Insert Member",
            0x1b => "Remove Member",
            0x1c => "Group Sync",
            0x4b => "Execute PCCC",
            0x4c => "Read Tag",
            0x4d => "Write Tag",
            0x4e => "Read Modify Write Tag",
            0x52 => "Read Tag Fragmented",
            0x53 => "Write Tag Fragmented",
            0x55 => "Get Instance Attribute List",
            _ => "unknown",
        }
    }

    /// Name of the service as addressed to `class`: the Connection Manager's (class 6)
    /// class-specific codes are Forward Open/Close and Unconnected Send; elsewhere codes
    /// 0x4b-0x55 get the names Logix controllers use (see [`Service::name`]).
    pub fn name_for_class(self, class: Option<u32>) -> &'static str {
        match (class, self.0) {
            (Some(6), 0x4e) => "Forward Close",
            (Some(6), 0x52) => "Unconnected Send",
            (Some(6), 0x54) => "Forward Open",
            (Some(6), 0x5a) => "Get Connection Owner",
            (Some(6), 0x5b) => "Large Forward Open",
            _ => self.name(),
        }
    }
}

/// Name of a CIP object class (the ODVA classes, and Logix's Symbol 0x6b and Template 0x6c
/// objects), `unknown` otherwise.
pub fn class_name(c: u32) -> &'static str {
    match c {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x03 => "DeviceNet",
        0x04 => "Assembly",
        0x05 => "Connection",
        0x06 => "Connection Manager",
        0x07 => "Register",
        0x0f => "Parameter",
        0x37 => "File",
        0x43 => "Time Sync",
        0x47 => "Device Level Ring (DLR)",
        0x48 => "QoS",
        0x67 => "PCCC Class",
        0x6b => "Symbol",
        0x6c => "Template",
        0xf0 => "ControlNet",
        0xf4 => "Port",
        0xf5 => "TCP/IP Interface",
        0xf6 => "Ethernet Link",
        _ => "unknown",
    }
}

/// Name of a CIP general status as tshark shows it.
pub fn general_status_name(s: u8) -> &'static str {
    match s {
        0x00 => "Success",
        0x01 => "Connection failure",
        0x02 => "Resource unavailable",
        0x03 => "Invalid parameter value",
        0x04 => "Path segment error",
        0x05 => "Path destination unknown",
        0x06 => "Partial transfer",
        0x07 => "Connection lost",
        0x08 => "Service not supported",
        0x09 => "Invalid attribute value",
        0x0a => "Attribute list error",
        0x0b => "Already in requested mode/state",
        0x0c => "Object state conflict",
        0x0d => "Object already exists",
        0x0e => "Attribute not settable",
        0x0f => "Privilege violation",
        0x10 => "Device state conflict",
        0x11 => "Reply data too large",
        0x12 => "Fragmentation of a primitive value",
        0x13 => "Not enough data",
        0x14 => "Attribute not supported",
        0x15 => "Too much data",
        0x16 => "Object does not exist",
        0x17 => "Service fragmentation sequence not in progress",
        0x18 => "No stored attribute data",
        0x19 => "Store operation failure",
        0x1a => "Routing failure, request packet too large",
        0x1b => "Routing failure, response packet too large",
        0x1c => "Missing attribute list entry data",
        0x1d => "Invalid attribute value list",
        0x1e => "Embedded service error",
        0x1f => "Vendor specific error",
        0x20 => "Invalid parameter",
        0x21 => "Write-once value or medium already written",
        0x22 => "Invalid reply received",
        0x23 => "Buffer overflow",
        0x24 => "Invalid message format",
        0x25 => "Key failure in path",
        0x26 => "Path size invalid",
        0x27 => "Unexpected attribute in list",
        0x28 => "Invalid Member ID",
        0x29 => "Member not settable",
        0x2a => "Group 2 only server general failure",
        0x2b => "Unknown Modbus error",
        0x2c => "Attribute not gettable",
        _ => "unknown",
    }
}

/// Logical segment type (bits 4-2 of a `0x20`-`0x3f` segment byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogicalType(pub u8);

impl LogicalType {
    /// Suricata's / the specification's name (`class`, `instance`, `member`,
    /// `connection_point`, `attribute`, `special`, `service_id`).
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "class",
            1 => "instance",
            2 => "member",
            3 => "connection_point",
            4 => "attribute",
            5 => "special",
            6 => "service_id",
            _ => "unknown",
        }
    }
}

/// One EPATH segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Logical segment: type and value (8, 16 or 32-bit).
    Logical {
        /// The segment byte.
        raw: u8,
        /// Logical type.
        kind: LogicalType,
        /// Value.
        value: u32,
    },
    /// Port segment: port number and link address.
    Port {
        /// Port identifier.
        port: u16,
        /// Link address bytes.
        link: &'a [u8],
    },
    /// ANSI extended symbolic segment (`0x91`).
    Symbolic(&'a [u8]),
    /// Simple data segment (`0x80`).
    Data(&'a [u8]),
}

/// A parsed path: segments (at most [`MAX_SEGMENTS`]) and whether it was readable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path<'a> {
    /// Segments.
    pub segments: Vec<Segment<'a>>,
    /// A segment could not be read (unknown type or overrun).
    pub malformed: bool,
    /// More than [`MAX_SEGMENTS`] segments.
    pub too_many: bool,
}

impl Path<'_> {
    /// Value of the first logical segment of type `kind`.
    pub fn logical(&self, kind: u8) -> Option<u32> {
        self.segments.iter().find_map(|s| match s {
            Segment::Logical { kind: k, value, .. } if k.0 == kind => Some(*value),
            _ => None,
        })
    }
}

/// Parse a padded EPATH.
pub fn parse_path(mut p: &[u8]) -> Path<'_> {
    let mut path = Path::default();
    while !p.is_empty() {
        if path.segments.len() >= MAX_SEGMENTS {
            path.too_many = true;
            break;
        }
        let b = p[0];
        let seg = match b >> 5 {
            // Port segment.
            0 => {
                let ext_link = b & 0x10 != 0;
                let mut port = u16::from(b & 0x0f);
                let mut off = 1;
                let link_len = if ext_link {
                    off += 1;
                    usize::from(p.get(1).copied().unwrap_or(0))
                } else {
                    1
                };
                if port == 0x0f {
                    port = le16(p, off).unwrap_or(0);
                    off += 2;
                }
                let link = p.get(off..off + link_len);
                let total = off + link_len;
                link.map(|l| (Segment::Port { port, link: l }, total + total % 2))
            }
            // Logical segment.
            1 => {
                let kind = LogicalType((b >> 2) & 7);
                match b & 3 {
                    0 => p.get(1).map(|&v| {
                        (
                            Segment::Logical {
                                raw: b,
                                kind,
                                value: u32::from(v),
                            },
                            2,
                        )
                    }),
                    1 => le16(p, 2).map(|v| {
                        (
                            Segment::Logical {
                                raw: b,
                                kind,
                                value: u32::from(v),
                            },
                            4,
                        )
                    }),
                    2 => le32(p, 2).map(|v| {
                        (
                            Segment::Logical {
                                raw: b,
                                kind,
                                value: v,
                            },
                            6,
                        )
                    }),
                    _ => None,
                }
            }
            // Data segment.
            4 => {
                if b == 0x91 {
                    let n = usize::from(p.get(1).copied().unwrap_or(0));
                    p.get(2..2 + n)
                        .map(|s| (Segment::Symbolic(s), 2 + n + n % 2))
                } else if b == 0x80 {
                    let n = usize::from(p.get(1).copied().unwrap_or(0)) * 2;
                    p.get(2..2 + n).map(|s| (Segment::Data(s), 2 + n))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some((s, used)) = seg {
            path.segments.push(s);
            p = p.get(used..).unwrap_or_default();
        } else {
            path.malformed = true;
            break;
        }
    }
    path
}

/// A CIP message (message router request or response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cip<'a> {
    /// Service code without the response bit.
    pub service: Service,
    /// The response bit was set.
    pub response: bool,
    /// Request path (requests).
    pub path: Path<'a>,
    /// General status (responses).
    pub general_status: Option<u8>,
    /// Additional (extended) status words (responses).
    pub ext_status: &'a [u8],
    /// Service data after the path or status.
    pub data: &'a [u8],
    /// Embedded messages: the services of a Multiple Service Packet, or the request carried by
    /// an Unconnected Send.
    pub embedded: Vec<Cip<'a>>,
    /// The Multiple Service Packet announced more than [`MAX_SERVICES`] services, or nesting
    /// went past [`MAX_DEPTH`].
    pub limit_hit: bool,
    /// An embedded message or offset table could not be read.
    pub malformed: bool,
}

/// Parse a CIP message. `connection_manager` says the request path (or, for a response, the
/// request this answers) addresses the Connection Manager, for Unconnected Send.
pub fn parse_cip(msg: &[u8]) -> Option<Cip<'_>> {
    parse_cip_depth(msg, 0)
}

fn parse_cip_depth(msg: &[u8], depth: usize) -> Option<Cip<'_>> {
    let sc = *msg.first()?;
    let response = sc & 0x80 != 0;
    let mut cip = Cip {
        service: Service(sc & 0x7f),
        response,
        path: Path::default(),
        general_status: None,
        ext_status: &[],
        data: &[],
        embedded: Vec::new(),
        limit_hit: false,
        malformed: false,
    };
    if response {
        cip.general_status = Some(*msg.get(2)?);
        let n = usize::from(*msg.get(3)?) * 2;
        cip.ext_status = msg.get(4..4 + n)?;
        cip.data = msg.get(4 + n..).unwrap_or_default();
    } else {
        let n = usize::from(*msg.get(1)?) * 2;
        cip.path = parse_path(msg.get(2..2 + n)?);
        cip.data = msg.get(2 + n..).unwrap_or_default();
    }
    let is_msp = cip.service == Service::MULTIPLE && (response || cip.path.logical(0) == Some(2));
    let is_ucs =
        !response && cip.service == Service::UNCONNECTED_SEND && cip.path.logical(0) == Some(6);
    if (is_msp || is_ucs) && depth >= MAX_DEPTH {
        cip.limit_hit = true;
        return Some(cip);
    }
    if is_msp && (!response || cip.general_status.is_some_and(|s| s == 0 || s == 0x1e)) {
        let d = cip.data;
        match le16(d, 0) {
            Some(count) => {
                let count = usize::from(count);
                if count > MAX_SERVICES {
                    cip.limit_hit = true;
                }
                let n = count.min(MAX_SERVICES);
                for i in 0..n {
                    let start = le16(d, 2 + 2 * i).map(usize::from);
                    let end = if i + 1 < count {
                        le16(d, 4 + 2 * i).map(usize::from)
                    } else {
                        Some(d.len())
                    };
                    let sub = match (start, end) {
                        (Some(s), Some(e)) if s <= e => d.get(s..e),
                        _ => None,
                    };
                    if let Some(c) = sub.and_then(|s| parse_cip_depth(s, depth + 1)) {
                        cip.embedded.push(c);
                    } else {
                        cip.malformed = true;
                        break;
                    }
                }
            }
            None => cip.malformed = true,
        }
    } else if is_ucs {
        // priority/tick, timeout ticks, message size, message, pad, route path.
        let d = cip.data;
        let inner = le16(d, 2)
            .and_then(|n| d.get(4..4 + usize::from(n)))
            .and_then(|m| parse_cip_depth(m, depth + 1));
        match inner {
            Some(c) => cip.embedded.push(c),
            None => cip.malformed = true,
        }
    }
    Some(cip)
}
