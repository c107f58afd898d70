//! Pure, zero-copy, panic-free parsers for the industrial and IoT protocols Skjold watches.
//!
//! Each protocol module turns a borrowed `&[u8]` into borrowed structs without I/O, printing,
//! `unsafe` or allocation sized by the wire:
//!
//! - [`modbus`]: Modbus/TCP, following the *Modbus Application Protocol Specification V1.1b3*
//!   and *Modbus Messaging on TCP/IP Implementation Guide V1.0b* (MBAP header).
//! - [`mqtt`]: MQTT 3.1 (`MQIsdp`, level 3), 3.1.1 (OASIS Standard, level 4) and 5.0 (OASIS
//!   Standard, level 5).
//! - [`dnp3`]: DNP3 (IEEE 1815-2012) link, transport and application layers.
//! - [`iec104`]: IEC 60870-5-104 APCI and IEC 60870-5-101 ASDUs.
//! - [`bacnet`]: BACnet/IP (ASHRAE 135 Annex J): BVLC, NPDU, APDU and the tag grammar.
//! - [`opcua`]: OPC UA binary (UA TCP, OPC 10000-6): message headers, security headers, services.
//! - [`coap`]: CoAP (RFC 7252) messages and options.
//! - [`s7comm`]: TPKT (RFC 1006), COTP (ISO 8073), S7comm and the S7comm-plus header.
//! - [`enip`]: EtherNet/IP encapsulation, Common Packet Format and CIP (paths, services,
//!   Multiple Service Packet, Unconnected Send, identity).
//! - [`tls`]: TLS records and handshakes (through `tls-parser`), certificate summaries (through
//!   `x509-parser`) and the JA4 fingerprint.
//! - [`remote`]: remote access and plaintext management: Telnet, FTP, HTTP/1.x, SSH banners,
//!   RDP connection requests, VNC/RFB and TeamViewer handshakes.
//!
//! Every parser follows the same progress contract (as sawp's `Parse`): it returns the bytes left
//! over and the parsed unit, or a [`ParseError`] where [`ParseError::Incomplete`] only means
//! "give me more bytes". Input that can be read but breaks a rule of the specification still
//! yields a unit, with anomaly flags set on it, so a stream is never abandoned for one odd
//! field. Protocol codes are newtypes over the wire integer with named constants, so unknown
//! codes are kept and can be logged.

#![forbid(unsafe_code)]
#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (QoS, IoT, CANopen, MQIsdp) reads as words, not code"
)]

pub mod bacnet;
pub mod coap;
pub mod dnp3;
pub mod enip;
pub mod iec104;
pub mod modbus;
pub mod mqtt;
pub mod opcua;
mod reader;
pub mod remote;
pub mod s7comm;
pub mod tls;

/// Why a parser did not return a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not an error: at least this many more bytes are needed before the unit can be parsed.
    #[error("incomplete input: at least {0} more bytes needed")]
    Incomplete(usize),
    /// The bytes cannot be framed as this protocol (for example an impossible header): the
    /// caller must resynchronise, there is no length to skip.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A unit of `len` bytes (header included) was framed but its content is unreadable. The
    /// caller should skip exactly `len` bytes (possibly more than it has buffered) and go on.
    #[error("malformed {what} ({len} bytes)")]
    Malformed {
        /// Which part could not be read.
        what: &'static str,
        /// Length of the framed unit, header included.
        len: usize,
    },
    /// A unit of `len` bytes (header included) was framed but is larger than `limit`, the size
    /// this parser reads in one piece. The caller should skip `len` bytes.
    #[error("unit of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Length of the framed unit, header included.
        len: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// Result of port-independent protocol detection (sawp's `probe`: "try to parse").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The bytes start like this protocol.
    Yes,
    /// The bytes are not this protocol.
    No,
    /// Too few bytes to tell; ask again with more.
    NeedMore,
}

/// Which side sent a message, for protocols whose requests and responses differ in layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (Modbus client / master) to the server.
    Request,
    /// From the server to the client.
    Response,
}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
