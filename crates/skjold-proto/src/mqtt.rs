//! MQTT parser: fixed header and every control packet of MQTT 3.1, 3.1.1 and 5.0.
//!
//! Follows *MQTT Version 3.1.1* (OASIS Standard, 2014; §2 fixed header, §3 control packets),
//! *MQTT Version 5.0* (OASIS Standard, 2019; §2.2.2 properties, §3 packets with reason codes and
//! properties) and the IBM *MQTT V3.1 Protocol Specification* (protocol name `MQIsdp`, level 3).
//! The layout of most packets depends on the protocol level, which only the CONNECT packet
//! carries, so [`parse_packet`] takes the level of the connection ([`DEFAULT_LEVEL`] when it is
//! not known).
//!
//! Packets are framed by the remaining length. A packet larger than the caller's limit is not
//! read whole: [`parse_packet`] reports [`ParseError::TooLarge`] and, for a PUBLISH,
//! [`parse_publish_head`] still returns its topic, packet id, properties and total payload
//! length from the first bytes so a stream can log it and skip the rest. Content that breaks a
//! rule but can be read sets [`Flags`]; content that cannot be read inside a well-framed packet
//! is [`ParseError::Malformed`] with the packet length to skip. The CONNECT password is never
//! exposed: only whether it is present and its length.

use crate::reader::{Reader, Short};
use crate::{ParseError, Probe};
use std::fmt;

/// Protocol level assumed when the CONNECT packet was not seen (MQTT 3.1.1).
pub const DEFAULT_LEVEL: u8 = 4;
/// Largest remaining length the variable byte integer can encode (MQTT 3.1.1 §2.2.3).
pub const MAX_REMAINING_LENGTH: u32 = 268_435_455;
/// Default largest packet (header included) read in one piece.
pub const DEFAULT_MAX_PACKET: usize = 256 * 1024;
/// Most MQTT 5.0 properties read from one property list; more set [`Flags::TOO_MANY_PROPERTIES`].
pub const MAX_PROPERTIES: usize = 64;

/// Control packet type (high nibble of the first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketType(pub u8);

impl PacketType {
    /// 0: reserved.
    pub const RESERVED: PacketType = PacketType(0);
    /// 1: client request to connect.
    pub const CONNECT: PacketType = PacketType(1);
    /// 2: connect acknowledgement.
    pub const CONNACK: PacketType = PacketType(2);
    /// 3: publish message.
    pub const PUBLISH: PacketType = PacketType(3);
    /// 4: publish acknowledgement (QoS 1).
    pub const PUBACK: PacketType = PacketType(4);
    /// 5: publish received (QoS 2, part 1).
    pub const PUBREC: PacketType = PacketType(5);
    /// 6: publish release (QoS 2, part 2).
    pub const PUBREL: PacketType = PacketType(6);
    /// 7: publish complete (QoS 2, part 3).
    pub const PUBCOMP: PacketType = PacketType(7);
    /// 8: subscribe request.
    pub const SUBSCRIBE: PacketType = PacketType(8);
    /// 9: subscribe acknowledgement.
    pub const SUBACK: PacketType = PacketType(9);
    /// 10: unsubscribe request.
    pub const UNSUBSCRIBE: PacketType = PacketType(10);
    /// 11: unsubscribe acknowledgement.
    pub const UNSUBACK: PacketType = PacketType(11);
    /// 12: ping request.
    pub const PINGREQ: PacketType = PacketType(12);
    /// 13: ping response.
    pub const PINGRESP: PacketType = PacketType(13);
    /// 14: disconnect notification.
    pub const DISCONNECT: PacketType = PacketType(14);
    /// 15: authentication exchange (MQTT 5.0; reserved before).
    pub const AUTH: PacketType = PacketType(15);

    /// Lower-case name, as Suricata's EVE `mqtt` object keys (`"reserved"` for 0).
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "connect",
            2 => "connack",
            3 => "publish",
            4 => "puback",
            5 => "pubrec",
            6 => "pubrel",
            7 => "pubcomp",
            8 => "subscribe",
            9 => "suback",
            10 => "unsubscribe",
            11 => "unsuback",
            12 => "pingreq",
            13 => "pingresp",
            14 => "disconnect",
            15 => "auth",
            _ => "reserved",
        }
    }

    /// The fixed-header flags the specification requires for this type, or `None` for PUBLISH
    /// (whose flags carry dup/qos/retain).
    fn required_flags(self) -> Option<u8> {
        match self.0 {
            3 => None,
            6 | 8 | 10 => Some(0b0010),
            _ => Some(0),
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    /// Packet type.
    pub packet_type: PacketType,
    /// Low nibble of the first byte.
    pub flags: u8,
    /// Remaining length (bytes after the fixed header).
    pub remaining_length: u32,
    /// Length of the fixed header itself (2 to 5 bytes).
    pub header_len: u8,
}

impl FixedHeader {
    /// PUBLISH duplicate delivery flag.
    pub fn dup(&self) -> bool {
        self.flags & 0b1000 != 0
    }

    /// PUBLISH QoS (0-3; 3 is invalid).
    pub fn qos(&self) -> u8 {
        (self.flags >> 1) & 0b11
    }

    /// PUBLISH retain flag.
    pub fn retain(&self) -> bool {
        self.flags & 1 != 0
    }

    /// Length of the whole packet, header included.
    pub fn packet_len(&self) -> usize {
        usize::from(self.header_len) + self.remaining_length as usize
    }
}

/// Anomalies found in a readable packet (bit flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// No anomaly.
    pub const NONE: Flags = Flags(0);
    /// Fixed-header flags differ from those the packet type requires.
    pub const RESERVED_FLAGS: Flags = Flags(1);
    /// QoS 3 in a PUBLISH, in a CONNECT will or in a subscription.
    pub const INVALID_QOS: Flags = Flags(1 << 1);
    /// CONNECT protocol name is neither `MQTT` nor `MQIsdp`, or does not match the level.
    pub const BAD_PROTOCOL_NAME: Flags = Flags(1 << 2);
    /// CONNECT reserved flag set, will qos/retain without will, or password without user
    /// name before 5.0; CONNACK reserved acknowledge flags set.
    pub const BAD_CONNECT_FLAGS: Flags = Flags(1 << 3);
    /// An unknown MQTT 5.0 property id (property parsing stopped there).
    pub const UNKNOWN_PROPERTY: Flags = Flags(1 << 4);
    /// More than [`MAX_PROPERTIES`] properties.
    pub const TOO_MANY_PROPERTIES: Flags = Flags(1 << 5);
    /// A property value overruns its property list.
    pub const MALFORMED_PROPERTY: Flags = Flags(1 << 6);
    /// Bytes left after the packet's last field.
    pub const TRAILING_DATA: Flags = Flags(1 << 7);
    /// A topic or string that is not valid UTF-8.
    pub const INVALID_UTF8: Flags = Flags(1 << 8);
    /// SUBSCRIBE or UNSUBSCRIBE without any topic.
    pub const EMPTY_TOPIC_LIST: Flags = Flags(1 << 9);
    /// Packet identifier 0 where a non-zero one is required.
    pub const ZERO_PACKET_ID: Flags = Flags(1 << 10);
    /// Reserved packet type (0, or 15 before MQTT 5.0).
    pub const RESERVED_TYPE: Flags = Flags(1 << 11);
    /// Unknown protocol level in CONNECT.
    pub const UNKNOWN_LEVEL: Flags = Flags(1 << 12);

    const NAMED: [(Flags, &'static str); 13] = [
        (Flags::RESERVED_FLAGS, "reserved_flags"),
        (Flags::INVALID_QOS, "invalid_qos"),
        (Flags::BAD_PROTOCOL_NAME, "bad_protocol_name"),
        (Flags::BAD_CONNECT_FLAGS, "bad_connect_flags"),
        (Flags::UNKNOWN_PROPERTY, "unknown_property"),
        (Flags::TOO_MANY_PROPERTIES, "too_many_properties"),
        (Flags::MALFORMED_PROPERTY, "malformed_property"),
        (Flags::TRAILING_DATA, "trailing_data"),
        (Flags::INVALID_UTF8, "invalid_utf8"),
        (Flags::EMPTY_TOPIC_LIST, "empty_topic_list"),
        (Flags::ZERO_PACKET_ID, "zero_packet_id"),
        (Flags::RESERVED_TYPE, "reserved_type"),
        (Flags::UNKNOWN_LEVEL, "unknown_protocol_level"),
    ];

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Set the bits of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Stable snake_case names of the flags set (for anomaly events).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMED
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

/// MQTT 5.0 property identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertyId(pub u8);

/// How a property value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropKind {
    Byte,
    U16,
    U32,
    VarInt,
    Str,
    Bin,
    Pair,
}

impl PropertyId {
    /// 0x01 Payload Format Indicator.
    pub const PAYLOAD_FORMAT_INDICATOR: PropertyId = PropertyId(0x01);
    /// 0x11 Session Expiry Interval.
    pub const SESSION_EXPIRY_INTERVAL: PropertyId = PropertyId(0x11);
    /// 0x15 Authentication Method.
    pub const AUTHENTICATION_METHOD: PropertyId = PropertyId(0x15);
    /// 0x1F Reason String.
    pub const REASON_STRING: PropertyId = PropertyId(0x1f);
    /// 0x26 User Property.
    pub const USER_PROPERTY: PropertyId = PropertyId(0x26);

    fn kind(self) -> Option<PropKind> {
        Some(match self.0 {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2a => PropKind::Byte,
            0x13 | 0x21 | 0x22 | 0x23 => PropKind::U16,
            0x02 | 0x11 | 0x18 | 0x27 => PropKind::U32,
            0x0b => PropKind::VarInt,
            0x03 | 0x08 | 0x12 | 0x15 | 0x1a | 0x1c | 0x1f => PropKind::Str,
            0x09 | 0x16 => PropKind::Bin,
            0x26 => PropKind::Pair,
            _ => return None,
        })
    }

    /// Suricata's EVE key for the property (`"unknown"` for unknown ids).
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "payload_format_indicator",
            0x02 => "message_expiry_interval",
            0x03 => "content_type",
            0x08 => "response_topic",
            0x09 => "correlation_data",
            0x0b => "subscription_identifier",
            0x11 => "session_expiry_interval",
            0x12 => "assigned_client_identifier",
            0x13 => "server_keep_alive",
            0x15 => "authentication_method",
            0x16 => "authentication_data",
            0x17 => "request_problem_information",
            0x18 => "will_delay_interval",
            0x19 => "request_response_information",
            0x1a => "response_information",
            0x1c => "server_reference",
            0x1f => "reason_string",
            0x21 => "receive_maximum",
            0x22 => "topic_alias_maximum",
            0x23 => "topic_alias",
            0x24 => "maximum_qos",
            0x25 => "retain_available",
            0x26 => "user_property",
            0x27 => "maximum_packet_size",
            0x28 => "wildcard_subscription_available",
            0x29 => "subscription_identifier_available",
            0x2a => "shared_subscription_available",
            _ => "unknown",
        }
    }
}

/// A property value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropValue<'a> {
    /// Byte, two-byte, four-byte or variable byte integer.
    Int(u32),
    /// UTF-8 string (bytes as sent).
    Str(&'a [u8]),
    /// Binary data.
    Bin(&'a [u8]),
    /// UTF-8 string pair (user property name and value).
    Pair(&'a [u8], &'a [u8]),
}

/// One MQTT 5.0 property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property<'a> {
    /// Identifier.
    pub id: PropertyId,
    /// Value.
    pub value: PropValue<'a>,
}

/// A property list (empty before MQTT 5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Properties<'a> {
    /// The property bytes (after the property length).
    pub raw: &'a [u8],
}

impl<'a> Properties<'a> {
    /// Whether no property bytes were sent.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The readable properties, at most [`MAX_PROPERTIES`]; stops at an unknown id or a
    /// truncated value.
    pub fn iter(&self) -> PropertyIter<'a> {
        PropertyIter {
            r: Reader::new(self.raw),
            n: 0,
        }
    }

    fn check(&self, flags: &mut Flags) {
        let mut it = self.iter();
        while it.next().is_some() {}
        if !it.r.is_empty() {
            match it.stop_reason() {
                Some(f) => flags.insert(f),
                None => flags.insert(Flags::MALFORMED_PROPERTY),
            }
        }
    }
}

impl<'a> IntoIterator for &Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = PropertyIter<'a>;
    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = PropertyIter<'a>;
    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Properties`] list.
#[derive(Debug, Clone)]
pub struct PropertyIter<'a> {
    r: Reader<'a>,
    n: usize,
}

impl PropertyIter<'_> {
    /// Why iteration stopped before the end (called once `next` returned `None`).
    fn stop_reason(&self) -> Option<Flags> {
        if self.n >= MAX_PROPERTIES {
            return Some(Flags::TOO_MANY_PROPERTIES);
        }
        let mut r = self.r;
        let id = read_varint(&mut r).ok()?;
        let known = u8::try_from(id).ok().and_then(|b| PropertyId(b).kind());
        if known.is_none() {
            Some(Flags::UNKNOWN_PROPERTY)
        } else {
            Some(Flags::MALFORMED_PROPERTY)
        }
    }
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = Property<'a>;
    fn next(&mut self) -> Option<Property<'a>> {
        if self.n >= MAX_PROPERTIES || self.r.is_empty() {
            return None;
        }
        let mut r = self.r;
        let id = PropertyId(u8::try_from(read_varint(&mut r).ok()?).ok()?);
        let value = match id.kind()? {
            PropKind::Byte => PropValue::Int(u32::from(r.u8().ok()?)),
            PropKind::U16 => PropValue::Int(u32::from(r.be_u16().ok()?)),
            PropKind::U32 => PropValue::Int(r.be_u32().ok()?),
            PropKind::VarInt => PropValue::Int(read_varint(&mut r).ok()?),
            PropKind::Str => PropValue::Str(read_bytes(&mut r).ok()?),
            PropKind::Bin => PropValue::Bin(read_bytes(&mut r).ok()?),
            PropKind::Pair => {
                let k = read_bytes(&mut r).ok()?;
                let v = read_bytes(&mut r).ok()?;
                PropValue::Pair(k, v)
            }
        };
        self.r = r;
        self.n += 1;
        Some(Property { id, value })
    }
}

/// A variable byte integer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VarIntError {
    Short,
    TooLong,
}

fn read_varint(r: &mut Reader<'_>) -> Result<u32, VarIntError> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let b = r.u8().map_err(|_| VarIntError::Short)?;
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(VarIntError::TooLong)
}

fn read_bytes<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Short> {
    let len = r.be_u16()?;
    r.take(usize::from(len))
}

/// Parse the fixed header at the start of `input`.
pub fn parse_fixed_header(input: &[u8]) -> Result<(&[u8], FixedHeader), ParseError> {
    let mut r = Reader::new(input);
    let first = r.u8().map_err(|s| ParseError::Incomplete(s.0))?;
    let start = r.remaining();
    let remaining_length = match read_varint(&mut r) {
        Ok(v) => v,
        Err(VarIntError::Short) => return Err(ParseError::Incomplete(1)),
        Err(VarIntError::TooLong) => return Err(ParseError::Invalid("remaining length")),
    };
    let header_len = (1 + start - r.remaining()) as u8;
    Ok((
        r.rest(),
        FixedHeader {
            packet_type: PacketType(first >> 4),
            flags: first & 0x0f,
            remaining_length,
            header_len,
        },
    ))
}

/// CONNECT flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectFlags(pub u8);

impl ConnectFlags {
    /// A user name follows.
    pub fn username(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// A password follows.
    pub fn password(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// The will message is retained.
    pub fn will_retain(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// Will QoS.
    pub fn will_qos(self) -> u8 {
        (self.0 >> 3) & 0b11
    }
    /// A will topic and message follow.
    pub fn will(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Clean session (3.1.1) / clean start (5.0).
    pub fn clean_session(self) -> bool {
        self.0 & 0x02 != 0
    }
}

/// The will of a CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// Will properties (5.0).
    pub properties: Properties<'a>,
    /// Will topic.
    pub topic: &'a [u8],
    /// Will message.
    pub message: &'a [u8],
}

/// CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Protocol name (`MQTT` or `MQIsdp`).
    pub protocol_name: &'a [u8],
    /// Protocol level (3, 4 or 5).
    pub level: u8,
    /// Connect flags.
    pub flags: ConnectFlags,
    /// Keep alive in seconds.
    pub keepalive: u16,
    /// Properties (5.0).
    pub properties: Properties<'a>,
    /// Client identifier.
    pub client_id: &'a [u8],
    /// Will, when the will flag is set.
    pub will: Option<Will<'a>>,
    /// User name, when its flag is set.
    pub username: Option<&'a [u8]>,
    /// Length of the password, when one is present. The password itself is never exposed.
    pub password_len: Option<u16>,
}

/// CONNACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnAck<'a> {
    /// Session present flag.
    pub session_present: bool,
    /// Return code (3.x) or reason code (5.0).
    pub return_code: u8,
    /// Properties (5.0).
    pub properties: Properties<'a>,
}

/// PUBLISH (the payload may be a prefix, see [`PublishHead`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Topic name.
    pub topic: &'a [u8],
    /// Packet identifier (QoS 1 and 2).
    pub packet_id: Option<u16>,
    /// Properties (5.0).
    pub properties: Properties<'a>,
    /// Payload.
    pub payload: &'a [u8],
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Reason code (5.0, when sent).
    pub reason_code: Option<u8>,
    /// Properties (5.0).
    pub properties: Properties<'a>,
}

/// Topic filters of a SUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicFilters<'a> {
    /// The payload bytes.
    pub raw: &'a [u8],
}

/// One subscription: topic filter and options (QoS in the low two bits; 5.0 adds no-local,
/// retain-as-published and retain handling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription<'a> {
    /// Topic filter.
    pub topic: &'a [u8],
    /// Options byte.
    pub options: u8,
}

impl Subscription<'_> {
    /// Requested maximum QoS.
    pub fn qos(&self) -> u8 {
        self.options & 0b11
    }
}

impl<'a> IntoIterator for TopicFilters<'a> {
    type Item = Subscription<'a>;
    type IntoIter = SubscriptionIter<'a>;
    fn into_iter(self) -> SubscriptionIter<'a> {
        SubscriptionIter {
            r: Reader::new(self.raw),
        }
    }
}

/// Iterator over [`Subscription`]s.
#[derive(Debug, Clone)]
pub struct SubscriptionIter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for SubscriptionIter<'a> {
    type Item = Subscription<'a>;
    fn next(&mut self) -> Option<Subscription<'a>> {
        let mut r = self.r;
        let topic = read_bytes(&mut r).ok()?;
        let options = r.u8().ok()?;
        self.r = r;
        Some(Subscription { topic, options })
    }
}

/// Topic filters of an UNSUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicList<'a> {
    /// The payload bytes.
    pub raw: &'a [u8],
}

impl<'a> IntoIterator for TopicList<'a> {
    type Item = &'a [u8];
    type IntoIter = TopicIter<'a>;
    fn into_iter(self) -> TopicIter<'a> {
        TopicIter {
            r: Reader::new(self.raw),
        }
    }
}

/// Iterator over the topics of a [`TopicList`].
#[derive(Debug, Clone)]
pub struct TopicIter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for TopicIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        read_bytes(&mut self.r).ok()
    }
}

/// SUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (5.0).
    pub properties: Properties<'a>,
    /// Subscriptions.
    pub filters: TopicFilters<'a>,
}

/// SUBACK and UNSUBACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubAck<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (5.0).
    pub properties: Properties<'a>,
    /// Return codes (granted QoS or failure 0x80; 5.0 reason codes). Empty for a 3.x UNSUBACK.
    pub codes: &'a [u8],
}

/// UNSUBSCRIBE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (5.0).
    pub properties: Properties<'a>,
    /// Topic filters.
    pub topics: TopicList<'a>,
}

/// DISCONNECT and AUTH (5.0 reason code and properties; both absent before 5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    /// Reason code, when sent.
    pub reason_code: Option<u8>,
    /// Properties.
    pub properties: Properties<'a>,
}

/// Packet-specific content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// CONNECT.
    Connect(Connect<'a>),
    /// CONNACK.
    ConnAck(ConnAck<'a>),
    /// PUBLISH.
    Publish(Publish<'a>),
    /// PUBACK.
    PubAck(Ack<'a>),
    /// PUBREC.
    PubRec(Ack<'a>),
    /// PUBREL.
    PubRel(Ack<'a>),
    /// PUBCOMP.
    PubComp(Ack<'a>),
    /// SUBSCRIBE.
    Subscribe(Subscribe<'a>),
    /// SUBACK.
    SubAck(SubAck<'a>),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe<'a>),
    /// UNSUBACK.
    UnsubAck(SubAck<'a>),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Reason<'a>),
    /// AUTH (5.0).
    Auth(Reason<'a>),
    /// Reserved packet type: the remaining bytes.
    Reserved(&'a [u8]),
}

/// One control packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Fixed header.
    pub header: FixedHeader,
    /// Content.
    pub body: Body<'a>,
    /// Anomalies found.
    pub flags: Flags,
}

/// The head of a PUBLISH: everything but the payload, which may be only partly buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishHead<'a> {
    /// Fixed header.
    pub header: FixedHeader,
    /// Topic, packet id, properties, and as much payload as `input` held.
    pub publish: Publish<'a>,
    /// Total payload length.
    pub payload_len: usize,
    /// Bytes before the payload (fixed header included).
    pub head_len: usize,
    /// Anomalies found in the head.
    pub flags: Flags,
}

fn check_utf8(s: &[u8], flags: &mut Flags) {
    if std::str::from_utf8(s).is_err() {
        flags.insert(Flags::INVALID_UTF8);
    }
}

fn check_header_flags(h: FixedHeader, flags: &mut Flags) {
    match h.packet_type.required_flags() {
        Some(req) if h.flags != req => flags.insert(Flags::RESERVED_FLAGS),
        Some(_) => {}
        None => {
            if h.qos() == 3 {
                flags.insert(Flags::INVALID_QOS);
            }
        }
    }
}

/// Parse the head of a PUBLISH packet from `input`, which needs to hold the fixed header, topic,
/// packet id and (5.0) properties but not the payload. Used to log and skip a PUBLISH larger
/// than the parser's limit.
pub fn parse_publish_head(input: &[u8], level: u8) -> Result<PublishHead<'_>, ParseError> {
    let (after, header) = parse_fixed_header(input)?;
    if header.packet_type != PacketType::PUBLISH {
        return Err(ParseError::Invalid("not a publish"));
    }
    let packet_len = header.packet_len();
    let malformed = ParseError::Malformed {
        what: "publish",
        len: packet_len,
    };
    let remaining = header.remaining_length as usize;
    // The head is read from what is buffered, but never past the packet's end.
    let avail = &after[..after.len().min(remaining)];
    let complete = after.len() >= remaining;
    let missing = |s: Short| {
        if complete {
            malformed
        } else {
            ParseError::Incomplete(s.0)
        }
    };
    let mut r = Reader::new(avail);
    let mut flags = Flags::NONE;
    check_header_flags(header, &mut flags);
    let topic = read_bytes(&mut r).map_err(missing)?;
    check_utf8(topic, &mut flags);
    let packet_id = if header.qos() > 0 {
        let id = r.be_u16().map_err(missing)?;
        if id == 0 {
            flags.insert(Flags::ZERO_PACKET_ID);
        }
        Some(id)
    } else {
        None
    };
    let properties = if level >= 5 {
        read_properties(&mut r, &mut flags).map_err(|e| match e {
            PropsError::Short(s) => missing(s),
            PropsError::Bad => malformed,
        })?
    } else {
        Properties::default()
    };
    let head_len = usize::from(header.header_len) + (avail.len() - r.remaining());
    let payload_len = packet_len - head_len;
    Ok(PublishHead {
        header,
        publish: Publish {
            topic,
            packet_id,
            properties,
            payload: r.take_rest(),
        },
        payload_len,
        head_len,
        flags,
    })
}

enum PropsError {
    Short(Short),
    Bad,
}

fn read_properties<'a>(
    r: &mut Reader<'a>,
    flags: &mut Flags,
) -> Result<Properties<'a>, PropsError> {
    let len = match read_varint(r) {
        Ok(l) => l,
        Err(VarIntError::Short) => return Err(PropsError::Short(Short(1))),
        Err(VarIntError::TooLong) => return Err(PropsError::Bad),
    };
    let raw = r.take(len as usize).map_err(PropsError::Short)?;
    let p = Properties { raw };
    p.check(flags);
    Ok(p)
}

/// Parse one control packet from the start of `input`.
///
/// `level` is the connection's protocol level (3, 4 or 5; CONNECT uses its own). `max_len`
/// bounds the packet size read whole: a larger packet is [`ParseError::TooLarge`] (see
/// [`parse_publish_head`]). An unreadable field inside a framed packet is
/// [`ParseError::Malformed`] with the packet length; a remaining length longer than four bytes
/// is [`ParseError::Invalid`].
pub fn parse_packet(
    input: &[u8],
    level: u8,
    max_len: usize,
) -> Result<(&[u8], Packet<'_>), ParseError> {
    let (after, header) = parse_fixed_header(input)?;
    let packet_len = header.packet_len();
    if packet_len > max_len {
        return Err(ParseError::TooLarge {
            len: packet_len,
            limit: max_len,
        });
    }
    let remaining = header.remaining_length as usize;
    if after.len() < remaining {
        return Err(ParseError::Incomplete(remaining - after.len()));
    }
    let (body_bytes, rest) = after.split_at(remaining);
    let mut flags = Flags::NONE;
    check_header_flags(header, &mut flags);
    let mut r = Reader::new(body_bytes);
    let body = parse_body(header, &mut r, level, &mut flags).ok_or(ParseError::Malformed {
        what: header.packet_type.name(),
        len: packet_len,
    })?;
    if !r.is_empty() {
        flags.insert(Flags::TRAILING_DATA);
    }
    Ok((
        rest,
        Packet {
            header,
            body,
            flags,
        },
    ))
}

fn props_opt<'a>(r: &mut Reader<'a>, level: u8, flags: &mut Flags) -> Option<Properties<'a>> {
    if level >= 5 {
        read_properties(r, flags).ok()
    } else {
        Some(Properties::default())
    }
}

fn packet_id(r: &mut Reader<'_>, flags: &mut Flags) -> Option<u16> {
    let id = r.be_u16().ok()?;
    if id == 0 {
        flags.insert(Flags::ZERO_PACKET_ID);
    }
    Some(id)
}

fn parse_body<'a>(
    h: FixedHeader,
    r: &mut Reader<'a>,
    level: u8,
    flags: &mut Flags,
) -> Option<Body<'a>> {
    Some(match h.packet_type.0 {
        1 => Body::Connect(parse_connect(r, flags)?),
        2 => {
            let ack = r.u8().ok()?;
            if ack & 0xfe != 0 {
                flags.insert(Flags::BAD_CONNECT_FLAGS);
            }
            let return_code = r.u8().ok()?;
            // A 5.0 CONNACK always has properties, but tolerate their absence.
            let properties = if level >= 5 && !r.is_empty() {
                read_properties(r, flags).ok()?
            } else {
                Properties::default()
            };
            Body::ConnAck(ConnAck {
                session_present: ack & 1 != 0,
                return_code,
                properties,
            })
        }
        3 => {
            let topic = read_bytes(r).ok()?;
            check_utf8(topic, flags);
            let packet_id = if h.qos() > 0 {
                Some(packet_id(r, flags)?)
            } else {
                None
            };
            let properties = props_opt(r, level, flags)?;
            Body::Publish(Publish {
                topic,
                packet_id,
                properties,
                payload: r.take_rest(),
            })
        }
        4..=7 => {
            let id = packet_id(r, flags)?;
            let mut ack = Ack {
                packet_id: id,
                reason_code: None,
                properties: Properties::default(),
            };
            if level >= 5 && !r.is_empty() {
                ack.reason_code = Some(r.u8().ok()?);
                if !r.is_empty() {
                    ack.properties = read_properties(r, flags).ok()?;
                }
            }
            match h.packet_type.0 {
                4 => Body::PubAck(ack),
                5 => Body::PubRec(ack),
                6 => Body::PubRel(ack),
                _ => Body::PubComp(ack),
            }
        }
        8 => {
            let id = packet_id(r, flags)?;
            let properties = props_opt(r, level, flags)?;
            let filters = TopicFilters { raw: r.take_rest() };
            let mut used = 0usize;
            let mut n = 0usize;
            for s in filters {
                used += 3 + s.topic.len();
                n += 1;
                check_utf8(s.topic, flags);
                if s.qos() == 3 {
                    flags.insert(Flags::INVALID_QOS);
                }
            }
            if n == 0 {
                flags.insert(Flags::EMPTY_TOPIC_LIST);
            }
            if used != filters.raw.len() {
                flags.insert(Flags::TRAILING_DATA);
            }
            Body::Subscribe(Subscribe {
                packet_id: id,
                properties,
                filters,
            })
        }
        9 | 11 => {
            let id = r.be_u16().ok()?;
            let properties = props_opt(r, level, flags)?;
            let ack = SubAck {
                packet_id: id,
                properties,
                codes: r.take_rest(),
            };
            if h.packet_type.0 == 9 {
                Body::SubAck(ack)
            } else {
                Body::UnsubAck(ack)
            }
        }
        10 => {
            let id = packet_id(r, flags)?;
            let properties = props_opt(r, level, flags)?;
            let topics = TopicList { raw: r.take_rest() };
            let mut used = 0usize;
            let mut n = 0usize;
            for t in topics {
                used += 2 + t.len();
                n += 1;
                check_utf8(t, flags);
            }
            if n == 0 {
                flags.insert(Flags::EMPTY_TOPIC_LIST);
            }
            if used != topics.raw.len() {
                flags.insert(Flags::TRAILING_DATA);
            }
            Body::Unsubscribe(Unsubscribe {
                packet_id: id,
                properties,
                topics,
            })
        }
        12 => Body::PingReq,
        13 => Body::PingResp,
        14 | 15 if level >= 5 || h.packet_type.0 == 14 => {
            let mut reason = Reason {
                reason_code: None,
                properties: Properties::default(),
            };
            if level >= 5 && !r.is_empty() {
                reason.reason_code = Some(r.u8().ok()?);
                if !r.is_empty() {
                    reason.properties = read_properties(r, flags).ok()?;
                }
            }
            if h.packet_type.0 == 14 {
                Body::Disconnect(reason)
            } else {
                Body::Auth(reason)
            }
        }
        _ => {
            flags.insert(Flags::RESERVED_TYPE);
            Body::Reserved(r.take_rest())
        }
    })
}

fn parse_connect<'a>(r: &mut Reader<'a>, flags: &mut Flags) -> Option<Connect<'a>> {
    let protocol_name = read_bytes(r).ok()?;
    let level = r.u8().ok()?;
    match (protocol_name, level) {
        (b"MQTT", 4 | 5) | (b"MQIsdp", 3) => {}
        (b"MQTT" | b"MQIsdp", _) => {
            if (3..=5).contains(&level) {
                flags.insert(Flags::BAD_PROTOCOL_NAME);
            } else {
                flags.insert(Flags::UNKNOWN_LEVEL);
            }
        }
        _ => flags.insert(Flags::BAD_PROTOCOL_NAME),
    }
    let cf = ConnectFlags(r.u8().ok()?);
    if cf.0 & 1 != 0
        || (!cf.will() && (cf.will_qos() != 0 || cf.will_retain()))
        || (level < 5 && cf.password() && !cf.username())
    {
        flags.insert(Flags::BAD_CONNECT_FLAGS);
    }
    if cf.will_qos() == 3 {
        flags.insert(Flags::INVALID_QOS);
    }
    let keepalive = r.be_u16().ok()?;
    let properties = props_opt(r, level, flags)?;
    let client_id = read_bytes(r).ok()?;
    check_utf8(client_id, flags);
    let will = if cf.will() {
        let properties = props_opt(r, level, flags)?;
        let topic = read_bytes(r).ok()?;
        check_utf8(topic, flags);
        let message = read_bytes(r).ok()?;
        Some(Will {
            properties,
            topic,
            message,
        })
    } else {
        None
    };
    let username = if cf.username() {
        Some(read_bytes(r).ok()?)
    } else {
        None
    };
    let password_len = if cf.password() {
        let p = read_bytes(r).ok()?;
        Some(p.len() as u16)
    } else {
        None
    };
    Some(Connect {
        protocol_name,
        level,
        flags: cf,
        keepalive,
        properties,
        client_id,
        will,
        username,
        password_len,
    })
}

/// Port-independent detection: does `input` (the first client bytes of a connection) start
/// with an MQTT CONNECT (first byte 0x10, protocol name `MQTT` or `MQIsdp`, level 3-5)?
pub fn probe(input: &[u8]) -> Probe {
    let mut r = Reader::new(input);
    match r.u8() {
        Ok(0x10) => {}
        Ok(_) => return Probe::No,
        Err(_) => return Probe::NeedMore,
    }
    match read_varint(&mut r) {
        Ok(len) if len >= 10 => {}
        Ok(_) | Err(VarIntError::TooLong) => return Probe::No,
        Err(VarIntError::Short) => return Probe::NeedMore,
    }
    // Compare the protocol name (with its length prefix) as far as the input goes.
    let rest = r.rest();
    let candidates: [&[u8]; 2] = [b"\x00\x04MQTT", b"\x00\x06MQIsdp"];
    for (cand, levels) in candidates.iter().zip([4u8..=5, 3u8..=3]) {
        let n = rest.len().min(cand.len());
        if rest[..n] != cand[..n] {
            continue;
        }
        if rest.len() <= cand.len() {
            return Probe::NeedMore;
        }
        let level = rest[cand.len()];
        return if levels.contains(&level) {
            Probe::Yes
        } else {
            Probe::No
        };
    }
    Probe::No
}
