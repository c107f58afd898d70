//! OPC UA binary (UA TCP, UA Secure Conversation and UA Binary encoding), following OPC 10000-6
//! (*OPC Unified Architecture Part 6: Mappings*) §7.1 (OPC UA Connection Protocol: HEL, ACK,
//! ERR, RHE), §6.7 (secure conversation: OPN, MSG, CLO chunks with their asymmetric and
//! symmetric security headers and sequence header) and §5.2 (binary encoding of built-in
//! types), and OPC 10000-4 (*Services*) for the request/response structures decoded.
//!
//! [`parse_chunk`] frames one message chunk (at most [`MAX_CHUNK`] bytes) from a stream.
//! [`parse_hello`], [`parse_ack`], [`parse_error`], [`parse_opn_header`] and
//! [`parse_symmetric_header`] read the connection and secure-channel headers. For channels
//! whose security policy is None the body is plain UA Binary: [`parse_body`] reads the
//! service type NodeId and the request or response header, and the few services Skjold looks
//! into (OpenSecureChannel, Read and Write node ids, GetEndpoints). Everything is bounded:
//! strings and arrays are length-checked against the chunk, arrays keep at most [`MAX_ITEMS`]
//! entries, and nested Variants/DiagnosticInfos at most [`MAX_DEPTH`] levels. UA Binary is
//! little-endian.

use crate::reader::Reader;
use crate::{ParseError, Probe};

/// Largest chunk read in one piece (the specification lets peers negotiate up to 4 GiB; common
/// stacks use 64 KiB to 16 MiB).
pub const MAX_CHUNK: usize = 16 * 1024 * 1024;
/// Most array entries kept per decoded array.
pub const MAX_ITEMS: usize = 16;
/// Deepest nesting of Variants and DiagnosticInfos.
pub const MAX_DEPTH: usize = 8;

/// The 3-byte message type of a UA TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType(pub [u8; 3]);

impl MessageType {
    /// Hello.
    pub const HEL: MessageType = MessageType(*b"HEL");
    /// Acknowledge.
    pub const ACK: MessageType = MessageType(*b"ACK");
    /// Error.
    pub const ERR: MessageType = MessageType(*b"ERR");
    /// ReverseHello.
    pub const RHE: MessageType = MessageType(*b"RHE");
    /// OpenSecureChannel.
    pub const OPN: MessageType = MessageType(*b"OPN");
    /// Secure message.
    pub const MSG: MessageType = MessageType(*b"MSG");
    /// CloseSecureChannel.
    pub const CLO: MessageType = MessageType(*b"CLO");

    /// The three letters, or `None` when not one of the seven types.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match &self.0 {
            b"HEL" => "HEL",
            b"ACK" => "ACK",
            b"ERR" => "ERR",
            b"RHE" => "RHE",
            b"OPN" => "OPN",
            b"MSG" => "MSG",
            b"CLO" => "CLO",
            _ => return None,
        })
    }

    /// Whether this is a secure-conversation message (OPN, MSG, CLO).
    #[must_use]
    pub fn is_secure(self) -> bool {
        matches!(&self.0, b"OPN" | b"MSG" | b"CLO")
    }
}

/// One framed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Message type.
    pub msg_type: MessageType,
    /// Chunk type: `F` final, `C` intermediate, `A` abort.
    pub chunk_type: u8,
    /// Message size from the header (whole chunk).
    pub size: u32,
    /// The bytes after the 8-byte header.
    pub body: &'a [u8],
}

/// Whether `b` is a plausible UA TCP header: a known message type and the chunk type its
/// type allows (`F` for HEL/ACK/ERR/RHE; `F`, `C` or `A` for OPN/MSG/CLO).
fn plausible(mt: MessageType, chunk: u8) -> bool {
    match mt.name() {
        None => false,
        Some(_) if mt.is_secure() => matches!(chunk, b'F' | b'C' | b'A'),
        Some(_) => chunk == b'F',
    }
}

/// Frame one chunk from the start of a stream.
///
/// # Errors
/// [`ParseError::Incomplete`] when more bytes are needed; [`ParseError::Invalid`] when the
/// header is not a UA TCP header (unknown type, bad chunk type, size below the header);
/// [`ParseError::TooLarge`] when the size is above [`MAX_CHUNK`].
pub fn parse_chunk(data: &[u8]) -> Result<(&[u8], Chunk<'_>), ParseError> {
    let mut r = Reader::new(data);
    let head = r.take(8).map_err(|s| ParseError::Incomplete(s.0))?;
    let msg_type = MessageType([head[0], head[1], head[2]]);
    let chunk_type = head[3];
    if !plausible(msg_type, chunk_type) {
        return Err(ParseError::Invalid("opcua message header"));
    }
    let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let len = size as usize;
    let min = if msg_type.is_secure() { 12 } else { 8 };
    if len < min {
        return Err(ParseError::Invalid("opcua message size"));
    }
    if len > MAX_CHUNK {
        return Err(ParseError::TooLarge {
            len,
            limit: MAX_CHUNK,
        });
    }
    let body = r.take(len - 8).map_err(|s| ParseError::Incomplete(s.0))?;
    Ok((
        r.rest(),
        Chunk {
            msg_type,
            chunk_type,
            size,
            body,
        },
    ))
}

/// Port-independent detection on the first bytes of a stream: a HEL (client) or ACK/ERR/RHE
/// (server) header of a plausible size, with protocol version 0 for HEL and ACK.
#[must_use]
pub fn probe(data: &[u8]) -> Probe {
    if data.len() < 12 {
        let known: [&[u8]; 4] = [b"HELF", b"ACKF", b"ERRF", b"RHEF"];
        return if known
            .iter()
            .any(|k| k.starts_with(data) || data.starts_with(k))
        {
            Probe::NeedMore
        } else {
            Probe::No
        };
    }
    let mt = MessageType([data[0], data[1], data[2]]);
    if !matches!(&mt.0, b"HEL" | b"ACK" | b"ERR" | b"RHE") || data[3] != b'F' {
        return Probe::No;
    }
    let size = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    let min = match &mt.0 {
        b"HEL" => 32,
        b"ACK" => 28,
        _ => 16,
    };
    if size < min || size > 65536 || (matches!(&mt.0, b"HEL" | b"ACK") && version > 16) {
        return Probe::No;
    }
    Probe::Yes
}

// ---------------------------------------------------------------------------------------------
// Little-endian reads and UA Binary built-in types

fn short(what: &'static str) -> impl Fn(crate::reader::Short) -> ParseError {
    move |_| ParseError::Invalid(what)
}

fn u16le(r: &mut Reader<'_>) -> Result<u16, ParseError> {
    let b = r.take(2).map_err(short("opcua uint16"))?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32le(r: &mut Reader<'_>) -> Result<u32, ParseError> {
    let b = r.take(4).map_err(short("opcua uint32"))?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn i32le(r: &mut Reader<'_>) -> Result<i32, ParseError> {
    let b = r.take(4).map_err(short("opcua int32"))?;
    Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn skip(r: &mut Reader<'_>, n: usize) -> Result<(), ParseError> {
    r.take(n).map(|_| ()).map_err(short("opcua value"))
}

/// A String or ByteString: `None` for the null value (length -1).
fn bytes<'a>(r: &mut Reader<'a>) -> Result<Option<&'a [u8]>, ParseError> {
    let n = i32le(r)?;
    if n < 0 {
        return Ok(None);
    }
    r.take(n as usize)
        .map(Some)
        .map_err(short("opcua string length"))
}

/// An array length: `None` for a null array.
fn array_len(r: &Reader<'_>, n: i32, min_item: usize) -> Result<usize, ParseError> {
    if n < 0 {
        return Ok(0);
    }
    let n = n as usize;
    if n.saturating_mul(min_item) > r.remaining() {
        return Err(ParseError::Invalid("opcua array length"));
    }
    Ok(n)
}

/// A NodeId (§5.2.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeId<'a> {
    /// Namespace index.
    pub namespace: u16,
    /// Identifier.
    pub id: Identifier<'a>,
}

/// A NodeId identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier<'a> {
    /// Numeric.
    Numeric(u32),
    /// String (UTF-8 bytes; `None` is the null string).
    String(Option<&'a [u8]>),
    /// Guid (16 bytes as on the wire).
    Guid(&'a [u8]),
    /// Opaque (ByteString).
    Opaque(Option<&'a [u8]>),
}

impl NodeId<'_> {
    /// The numeric identifier in namespace 0, if that is what this is.
    #[must_use]
    pub fn ns0_numeric(&self) -> Option<u32> {
        match self.id {
            Identifier::Numeric(n) if self.namespace == 0 => Some(n),
            _ => None,
        }
    }

    /// Append the standard string form (`ns=2;s=Name`, `i=2258`, `ns=1;g=...`, `b=...`).
    pub fn write_to(&self, out: &mut String) {
        use std::fmt::Write as _;
        if self.namespace != 0 {
            let _ = write!(out, "ns={};", self.namespace);
        }
        match self.id {
            Identifier::Numeric(n) => {
                let _ = write!(out, "i={n}");
            }
            Identifier::String(s) => {
                out.push_str("s=");
                out.push_str(&String::from_utf8_lossy(s.unwrap_or_default()));
            }
            Identifier::Guid(g) => {
                out.push_str("g=");
                // Data1 (LE u32), Data2 (LE u16), Data3 (LE u16), Data4 (8 bytes).
                let le = |i: usize, n: usize, out: &mut String| {
                    for j in (0..n).rev() {
                        let _ = write!(out, "{:02x}", g.get(i + j).copied().unwrap_or(0));
                    }
                };
                le(0, 4, out);
                out.push('-');
                le(4, 2, out);
                out.push('-');
                le(6, 2, out);
                out.push('-');
                for (k, b) in g.iter().enumerate().skip(8) {
                    if k == 10 {
                        out.push('-');
                    }
                    let _ = write!(out, "{b:02x}");
                }
            }
            Identifier::Opaque(b) => {
                out.push_str("b=");
                for x in b.unwrap_or_default() {
                    let _ = write!(out, "{x:02x}");
                }
            }
        }
    }
}

/// Read a NodeId (or the NodeId part of an ExpandedNodeId when `expanded`).
fn node_id_inner<'a>(r: &mut Reader<'a>, expanded: bool) -> Result<NodeId<'a>, ParseError> {
    let enc = r.u8().map_err(short("opcua nodeid"))?;
    let id = match enc & 0x0f {
        0 => NodeId {
            namespace: 0,
            id: Identifier::Numeric(u32::from(r.u8().map_err(short("opcua nodeid"))?)),
        },
        1 => {
            let ns = r.u8().map_err(short("opcua nodeid"))?;
            NodeId {
                namespace: u16::from(ns),
                id: Identifier::Numeric(u32::from(u16le(r)?)),
            }
        }
        2 => NodeId {
            namespace: u16le(r)?,
            id: Identifier::Numeric(u32le(r)?),
        },
        3 => NodeId {
            namespace: u16le(r)?,
            id: Identifier::String(bytes(r)?),
        },
        4 => NodeId {
            namespace: u16le(r)?,
            id: Identifier::Guid(r.take(16).map_err(short("opcua guid"))?),
        },
        5 => NodeId {
            namespace: u16le(r)?,
            id: Identifier::Opaque(bytes(r)?),
        },
        _ => return Err(ParseError::Invalid("opcua nodeid encoding")),
    };
    if expanded {
        if enc & 0x80 != 0 {
            bytes(r)?;
        }
        if enc & 0x40 != 0 {
            u32le(r)?;
        }
    } else if enc & 0xc0 != 0 {
        return Err(ParseError::Invalid("opcua nodeid flags"));
    }
    Ok(id)
}

/// Read a NodeId.
///
/// # Errors
/// [`ParseError::Invalid`] when it is truncated or its encoding byte is unknown.
pub fn node_id<'a>(r_data: &mut &'a [u8]) -> Result<NodeId<'a>, ParseError> {
    let mut r = Reader::new(r_data);
    let n = node_id_inner(&mut r, false)?;
    *r_data = r.rest();
    Ok(n)
}

fn skip_localized_text(r: &mut Reader<'_>) -> Result<(), ParseError> {
    let m = r.u8().map_err(short("opcua localizedtext"))?;
    if m & 1 != 0 {
        bytes(r)?;
    }
    if m & 2 != 0 {
        bytes(r)?;
    }
    Ok(())
}

/// The text of a LocalizedText.
fn localized_text<'a>(r: &mut Reader<'a>) -> Result<Option<&'a [u8]>, ParseError> {
    let m = r.u8().map_err(short("opcua localizedtext"))?;
    if m & 1 != 0 {
        bytes(r)?;
    }
    if m & 2 != 0 {
        return bytes(r);
    }
    Ok(None)
}

fn skip_extension_object(r: &mut Reader<'_>) -> Result<(), ParseError> {
    node_id_inner(r, false)?;
    let enc = r.u8().map_err(short("opcua extensionobject"))?;
    if enc & 3 != 0 {
        bytes(r)?;
    }
    Ok(())
}

fn skip_diagnostic_info(r: &mut Reader<'_>, depth: usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::Invalid("opcua diagnosticinfo depth"));
    }
    let m = r.u8().map_err(short("opcua diagnosticinfo"))?;
    for bit in [0x01u8, 0x02, 0x04, 0x08] {
        if m & bit != 0 {
            skip(r, 4)?;
        }
    }
    if m & 0x10 != 0 {
        bytes(r)?;
    }
    if m & 0x20 != 0 {
        skip(r, 4)?;
    }
    if m & 0x40 != 0 {
        skip_diagnostic_info(r, depth + 1)?;
    }
    Ok(())
}

/// Skip one value of built-in type `ty`.
fn skip_builtin(r: &mut Reader<'_>, ty: u8, depth: usize) -> Result<(), ParseError> {
    match ty {
        1..=3 => skip(r, 1),
        4 | 5 => skip(r, 2),
        6 | 7 | 10 | 19 => skip(r, 4),
        8 | 9 | 11 | 13 => skip(r, 8),
        14 => skip(r, 16),
        12 | 15 | 16 => bytes(r).map(|_| ()),
        17 => node_id_inner(r, false).map(|_| ()),
        18 => node_id_inner(r, true).map(|_| ()),
        20 => {
            skip(r, 2)?;
            bytes(r).map(|_| ())
        }
        21 => skip_localized_text(r),
        22 => skip_extension_object(r),
        23 => skip_data_value(r, depth + 1),
        24 => skip_variant(r, depth + 1),
        25 => skip_diagnostic_info(r, depth + 1),
        _ => Err(ParseError::Invalid("opcua builtin type")),
    }
}

fn skip_variant(r: &mut Reader<'_>, depth: usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::Invalid("opcua variant depth"));
    }
    let m = r.u8().map_err(short("opcua variant"))?;
    let ty = m & 0x3f;
    if ty == 0 {
        return Ok(());
    }
    if m & 0x80 != 0 {
        let n = i32le(r)?;
        let n = array_len(r, n, 1)?;
        for _ in 0..n {
            skip_builtin(r, ty, depth)?;
        }
        if m & 0x40 != 0 {
            let d = i32le(r)?;
            let d = array_len(r, d, 4)?;
            skip(r, d * 4)?;
        }
        Ok(())
    } else {
        skip_builtin(r, ty, depth)
    }
}

fn skip_data_value(r: &mut Reader<'_>, depth: usize) -> Result<(), ParseError> {
    let m = r.u8().map_err(short("opcua datavalue"))?;
    if m & 0x01 != 0 {
        skip_variant(r, depth)?;
    }
    if m & 0x02 != 0 {
        skip(r, 4)?;
    }
    if m & 0x04 != 0 {
        skip(r, 8)?;
    }
    if m & 0x10 != 0 {
        skip(r, 2)?;
    }
    if m & 0x08 != 0 {
        skip(r, 8)?;
    }
    if m & 0x20 != 0 {
        skip(r, 2)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Connection protocol

/// Hello (§7.1.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello<'a> {
    /// Protocol version.
    pub protocol_version: u32,
    /// Receive buffer size.
    pub receive_buffer_size: u32,
    /// Send buffer size.
    pub send_buffer_size: u32,
    /// Max message size (0: no limit).
    pub max_message_size: u32,
    /// Max chunk count (0: no limit).
    pub max_chunk_count: u32,
    /// Endpoint URL.
    pub endpoint_url: Option<&'a [u8]>,
}

/// Parse a Hello body.
///
/// # Errors
/// [`ParseError::Invalid`] when truncated.
pub fn parse_hello(body: &[u8]) -> Result<Hello<'_>, ParseError> {
    let mut r = Reader::new(body);
    Ok(Hello {
        protocol_version: u32le(&mut r)?,
        receive_buffer_size: u32le(&mut r)?,
        send_buffer_size: u32le(&mut r)?,
        max_message_size: u32le(&mut r)?,
        max_chunk_count: u32le(&mut r)?,
        endpoint_url: bytes(&mut r)?,
    })
}

/// Parse an Acknowledge body (the Hello fields without the endpoint URL).
///
/// # Errors
/// [`ParseError::Invalid`] when truncated.
pub fn parse_ack(body: &[u8]) -> Result<Hello<'_>, ParseError> {
    let mut r = Reader::new(body);
    Ok(Hello {
        protocol_version: u32le(&mut r)?,
        receive_buffer_size: u32le(&mut r)?,
        send_buffer_size: u32le(&mut r)?,
        max_message_size: u32le(&mut r)?,
        max_chunk_count: u32le(&mut r)?,
        endpoint_url: None,
    })
}

/// Parse an Error body: status code and reason.
///
/// # Errors
/// [`ParseError::Invalid`] when truncated.
pub fn parse_error(body: &[u8]) -> Result<(StatusCode, Option<&[u8]>), ParseError> {
    let mut r = Reader::new(body);
    Ok((StatusCode(u32le(&mut r)?), bytes(&mut r)?))
}

/// Parse a ReverseHello body: server URI and endpoint URL.
///
/// # Errors
/// [`ParseError::Invalid`] when truncated.
#[allow(clippy::type_complexity, reason = "two optional strings")]
pub fn parse_reverse_hello(body: &[u8]) -> Result<(Option<&[u8]>, Option<&[u8]>), ParseError> {
    let mut r = Reader::new(body);
    Ok((bytes(&mut r)?, bytes(&mut r)?))
}

/// A StatusCode (OPC 10000-6 §5.2.2.11; names from the standard's StatusCodes table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusCode(pub u32);

impl StatusCode {
    /// Good.
    pub const GOOD: StatusCode = StatusCode(0);

    /// The symbolic name of common codes.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Good",
            0x8001_0000 => "BadUnexpectedError",
            0x8002_0000 => "BadInternalError",
            0x8003_0000 => "BadOutOfMemory",
            0x8004_0000 => "BadResourceUnavailable",
            0x8005_0000 => "BadCommunicationError",
            0x8006_0000 => "BadEncodingError",
            0x8007_0000 => "BadDecodingError",
            0x8008_0000 => "BadEncodingLimitsExceeded",
            0x800A_0000 => "BadTimeout",
            0x800B_0000 => "BadServiceUnsupported",
            0x800C_0000 => "BadShutdown",
            0x800D_0000 => "BadServerNotConnected",
            0x800E_0000 => "BadServerHalted",
            0x800F_0000 => "BadNothingToDo",
            0x8010_0000 => "BadTooManyOperations",
            0x8011_0000 => "BadDataTypeIdUnknown",
            0x8012_0000 => "BadCertificateInvalid",
            0x8013_0000 => "BadSecurityChecksFailed",
            0x801F_0000 => "BadUserAccessDenied",
            0x8020_0000 => "BadIdentityTokenInvalid",
            0x8021_0000 => "BadIdentityTokenRejected",
            0x8022_0000 => "BadSecureChannelIdInvalid",
            0x8023_0000 => "BadInvalidTimestamp",
            0x8024_0000 => "BadNonceInvalid",
            0x8025_0000 => "BadSessionIdInvalid",
            0x8026_0000 => "BadSessionClosed",
            0x8027_0000 => "BadSessionNotActivated",
            0x8028_0000 => "BadSubscriptionIdInvalid",
            0x802A_0000 => "BadRequestHeaderInvalid",
            0x802B_0000 => "BadTimestampsToReturnInvalid",
            0x8033_0000 => "BadNodeIdInvalid",
            0x8034_0000 => "BadNodeIdUnknown",
            0x8035_0000 => "BadAttributeIdInvalid",
            0x803A_0000 => "BadNotReadable",
            0x803B_0000 => "BadNotWritable",
            0x803C_0000 => "BadOutOfRange",
            0x803D_0000 => "BadNotSupported",
            0x803E_0000 => "BadNotFound",
            0x8074_0000 => "BadTypeMismatch",
            0x8075_0000 => "BadMethodInvalid",
            0x8076_0000 => "BadArgumentsMissing",
            0x8077_0000 => "BadTooManySubscriptions",
            0x8078_0000 => "BadTooManyPublishRequests",
            0x8079_0000 => "BadNoSubscription",
            0x807C_0000 => "BadTcpServerTooBusy",
            0x807D_0000 => "BadTcpMessageTypeInvalid",
            0x807E_0000 => "BadTcpSecureChannelUnknown",
            0x807F_0000 => "BadTcpMessageTooLarge",
            0x8080_0000 => "BadTcpNotEnoughResources",
            0x8081_0000 => "BadTcpInternalError",
            0x8082_0000 => "BadTcpEndpointUrlInvalid",
            0x8083_0000 => "BadRequestInterrupted",
            0x8084_0000 => "BadRequestTimeout",
            0x8085_0000 => "BadSecureChannelClosed",
            0x8086_0000 => "BadSecureChannelTokenUnknown",
            0x8087_0000 => "BadSequenceNumberInvalid",
            0x80AB_0000 => "BadInvalidArgument",
            0x80AC_0000 => "BadConnectionRejected",
            0x80AD_0000 => "BadDisconnect",
            0x80AE_0000 => "BadConnectionClosed",
            0x80AF_0000 => "BadInvalidState",
            0x80B0_0000 => "BadEndOfStream",
            0x80B8_0000 => "BadRequestTooLarge",
            0x80B9_0000 => "BadResponseTooLarge",
            0x80BE_0000 => "BadProtocolVersionUnsupported",
            0x8055_0000 => "BadSecurityPolicyRejected",
            0x8054_0000 => "BadSecurityModeRejected",
            _ => return None,
        })
    }

    /// The severity: `good`, `uncertain` or `bad` (top two bits).
    #[must_use]
    pub fn severity(self) -> &'static str {
        match self.0 >> 30 {
            0 => "good",
            1 => "uncertain",
            _ => "bad",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Secure conversation

/// Security policy named by its URI (OPC 10000-7 security policy profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityPolicy {
    /// `...#None`.
    None,
    /// `...#Basic128Rsa15`.
    Basic128Rsa15,
    /// `...#Basic256`.
    Basic256,
    /// `...#Basic256Sha256`.
    Basic256Sha256,
    /// `...#Aes128_Sha256_RsaOaep`.
    Aes128Sha256RsaOaep,
    /// `...#Aes256_Sha256_RsaPss`.
    Aes256Sha256RsaPss,
    /// Another URI.
    Other,
}

impl SecurityPolicy {
    /// From the policy URI.
    #[must_use]
    pub fn from_uri(uri: &[u8]) -> SecurityPolicy {
        let frag = uri
            .iter()
            .rposition(|b| *b == b'#')
            .and_then(|i| uri.get(i + 1..))
            .unwrap_or_default();
        if !uri.starts_with(b"http://opcfoundation.org/UA/SecurityPolicy#") {
            return SecurityPolicy::Other;
        }
        match frag {
            b"None" => SecurityPolicy::None,
            b"Basic128Rsa15" => SecurityPolicy::Basic128Rsa15,
            b"Basic256" => SecurityPolicy::Basic256,
            b"Basic256Sha256" => SecurityPolicy::Basic256Sha256,
            b"Aes128_Sha256_RsaOaep" => SecurityPolicy::Aes128Sha256RsaOaep,
            b"Aes256_Sha256_RsaPss" => SecurityPolicy::Aes256Sha256RsaPss,
            _ => SecurityPolicy::Other,
        }
    }

    /// Short name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SecurityPolicy::None => "None",
            SecurityPolicy::Basic128Rsa15 => "Basic128Rsa15",
            SecurityPolicy::Basic256 => "Basic256",
            SecurityPolicy::Basic256Sha256 => "Basic256Sha256",
            SecurityPolicy::Aes128Sha256RsaOaep => "Aes128_Sha256_RsaOaep",
            SecurityPolicy::Aes256Sha256RsaPss => "Aes256_Sha256_RsaPss",
            SecurityPolicy::Other => "other",
        }
    }
}

/// MessageSecurityMode (OPC 10000-4 §7.20).
#[must_use]
pub fn security_mode_name(v: u32) -> Option<&'static str> {
    Some(match v {
        0 => "Invalid",
        1 => "None",
        2 => "Sign",
        3 => "SignAndEncrypt",
        _ => return None,
    })
}

/// UserTokenType (OPC 10000-4 §7.43).
#[must_use]
pub fn user_token_type_name(v: u32) -> Option<&'static str> {
    Some(match v {
        0 => "Anonymous",
        1 => "UserName",
        2 => "Certificate",
        3 => "IssuedToken",
        _ => return None,
    })
}

/// The asymmetric security header of an OPN chunk (§6.7.2.3) and the sequence header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpnHeader<'a> {
    /// Secure channel id (0 in the first request).
    pub channel_id: u32,
    /// Security policy URI.
    pub policy_uri: Option<&'a [u8]>,
    /// Length of the sender certificate (`None`: absent).
    pub sender_certificate_len: Option<usize>,
    /// Length of the receiver certificate thumbprint (`None`: absent).
    pub receiver_thumbprint_len: Option<usize>,
    /// Sequence number and request id; only readable when the policy is None (otherwise
    /// encrypted).
    pub sequence: Option<(u32, u32)>,
    /// The body after the sequence header (policy None), or after the security header.
    pub body: &'a [u8],
}

impl OpnHeader<'_> {
    /// The policy named by the URI.
    #[must_use]
    pub fn policy(&self) -> SecurityPolicy {
        SecurityPolicy::from_uri(self.policy_uri.unwrap_or_default())
    }
}

/// Parse the asymmetric security header of an OPN chunk body.
///
/// # Errors
/// [`ParseError::Invalid`] when truncated.
pub fn parse_opn_header(body: &[u8]) -> Result<OpnHeader<'_>, ParseError> {
    let mut r = Reader::new(body);
    let channel_id = u32le(&mut r)?;
    let policy_uri = bytes(&mut r)?;
    let sender_certificate_len = bytes(&mut r)?.map(<[u8]>::len);
    let receiver_thumbprint_len = bytes(&mut r)?.map(<[u8]>::len);
    let mut h = OpnHeader {
        channel_id,
        policy_uri,
        sender_certificate_len,
        receiver_thumbprint_len,
        sequence: None,
        body: &[],
    };
    if h.policy() == SecurityPolicy::None {
        h.sequence = Some((u32le(&mut r)?, u32le(&mut r)?));
    }
    h.body = r.rest();
    Ok(h)
}

/// The symmetric security header and sequence header of a MSG or CLO chunk (§6.7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymmetricHeader<'a> {
    /// Secure channel id.
    pub channel_id: u32,
    /// Token id.
    pub token_id: u32,
    /// Sequence number (meaningful only when not encrypted).
    pub sequence_number: u32,
    /// Request id (meaningful only when not encrypted).
    pub request_id: u32,
    /// The body after the sequence header.
    pub body: &'a [u8],
}

/// Parse a MSG/CLO chunk body's headers.
///
/// # Errors
/// [`ParseError::Invalid`] when shorter than 16 bytes.
pub fn parse_symmetric_header(body: &[u8]) -> Result<SymmetricHeader<'_>, ParseError> {
    let mut r = Reader::new(body);
    Ok(SymmetricHeader {
        channel_id: u32le(&mut r)?,
        token_id: u32le(&mut r)?,
        sequence_number: u32le(&mut r)?,
        request_id: u32le(&mut r)?,
        body: r.rest(),
    })
}

// ---------------------------------------------------------------------------------------------
// Services

/// A service, named by the numeric id of its binary encoding NodeId (namespace 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceId(pub u32);

impl ServiceId {
    /// OpenSecureChannelRequest.
    pub const OPEN_SECURE_CHANNEL_REQUEST: ServiceId = ServiceId(446);
    /// OpenSecureChannelResponse.
    pub const OPEN_SECURE_CHANNEL_RESPONSE: ServiceId = ServiceId(449);
    /// GetEndpointsResponse.
    pub const GET_ENDPOINTS_RESPONSE: ServiceId = ServiceId(431);
    /// ReadRequest.
    pub const READ_REQUEST: ServiceId = ServiceId(631);
    /// WriteRequest.
    pub const WRITE_REQUEST: ServiceId = ServiceId(673);
    /// ServiceFault.
    pub const SERVICE_FAULT: ServiceId = ServiceId(397);

    /// (service name, is a request) for a known encoding id.
    #[must_use]
    pub fn info(self) -> Option<(&'static str, bool)> {
        Some(match self.0 {
            397 => ("ServiceFault", false),
            422 => ("FindServers", true),
            425 => ("FindServers", false),
            428 => ("GetEndpoints", true),
            431 => ("GetEndpoints", false),
            437 => ("RegisterServer", true),
            440 => ("RegisterServer", false),
            446 => ("OpenSecureChannel", true),
            449 => ("OpenSecureChannel", false),
            452 => ("CloseSecureChannel", true),
            455 => ("CloseSecureChannel", false),
            461 => ("CreateSession", true),
            464 => ("CreateSession", false),
            467 => ("ActivateSession", true),
            470 => ("ActivateSession", false),
            473 => ("CloseSession", true),
            476 => ("CloseSession", false),
            479 => ("Cancel", true),
            482 => ("Cancel", false),
            488 => ("AddNodes", true),
            491 => ("AddNodes", false),
            494 => ("AddReferences", true),
            497 => ("AddReferences", false),
            500 => ("DeleteNodes", true),
            503 => ("DeleteNodes", false),
            506 => ("DeleteReferences", true),
            509 => ("DeleteReferences", false),
            527 => ("Browse", true),
            530 => ("Browse", false),
            533 => ("BrowseNext", true),
            536 => ("BrowseNext", false),
            554 => ("TranslateBrowsePathsToNodeIds", true),
            557 => ("TranslateBrowsePathsToNodeIds", false),
            560 => ("RegisterNodes", true),
            563 => ("RegisterNodes", false),
            566 => ("UnregisterNodes", true),
            569 => ("UnregisterNodes", false),
            615 => ("QueryFirst", true),
            618 => ("QueryFirst", false),
            621 => ("QueryNext", true),
            624 => ("QueryNext", false),
            631 => ("Read", true),
            634 => ("Read", false),
            664 => ("HistoryRead", true),
            667 => ("HistoryRead", false),
            673 => ("Write", true),
            676 => ("Write", false),
            700 => ("HistoryUpdate", true),
            703 => ("HistoryUpdate", false),
            712 => ("Call", true),
            715 => ("Call", false),
            751 => ("CreateMonitoredItems", true),
            754 => ("CreateMonitoredItems", false),
            763 => ("ModifyMonitoredItems", true),
            766 => ("ModifyMonitoredItems", false),
            769 => ("SetMonitoringMode", true),
            772 => ("SetMonitoringMode", false),
            775 => ("SetTriggering", true),
            778 => ("SetTriggering", false),
            781 => ("DeleteMonitoredItems", true),
            784 => ("DeleteMonitoredItems", false),
            787 => ("CreateSubscription", true),
            790 => ("CreateSubscription", false),
            793 => ("ModifySubscription", true),
            796 => ("ModifySubscription", false),
            799 => ("SetPublishingMode", true),
            802 => ("SetPublishingMode", false),
            826 => ("Publish", true),
            829 => ("Publish", false),
            832 => ("Republish", true),
            835 => ("Republish", false),
            841 => ("TransferSubscriptions", true),
            844 => ("TransferSubscriptions", false),
            847 => ("DeleteSubscriptions", true),
            850 => ("DeleteSubscriptions", false),
            12208 => ("FindServersOnNetwork", true),
            12209 => ("FindServersOnNetwork", false),
            12211 => ("RegisterServer2", true),
            12212 => ("RegisterServer2", false),
            _ => return None,
        })
    }
}

/// One endpoint of a GetEndpoints response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint<'a> {
    /// Endpoint URL.
    pub url: Option<&'a [u8]>,
    /// The server's application URI.
    pub application_uri: Option<&'a [u8]>,
    /// The server's product URI.
    pub product_uri: Option<&'a [u8]>,
    /// The server's application name (LocalizedText text).
    pub application_name: Option<&'a [u8]>,
    /// Application type (0 server, 1 client, 2 both, 3 discovery server).
    pub application_type: u32,
    /// Security mode.
    pub security_mode: u32,
    /// Security policy URI.
    pub policy_uri: Option<&'a [u8]>,
    /// User token types (first [`MAX_ITEMS`]), as a bit set: bit `n` for token type `n`.
    pub user_token_types: u32,
    /// Security level.
    pub security_level: u8,
}

/// A decoded body of a None-policy chunk: the service type and the headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Body<'a> {
    /// The type NodeId.
    pub type_id: NodeId<'a>,
    /// Request handle (request or response header).
    pub request_handle: Option<u32>,
    /// Service result (response header).
    pub service_result: Option<StatusCode>,
    /// What follows, for the services decoded further.
    pub detail: Detail<'a>,
}

/// Service-specific content.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail<'a> {
    /// Not decoded (or not reached).
    None,
    /// OpenSecureChannelRequest: request type (0 issue, 1 renew), security mode, lifetime.
    OpenRequest {
        /// 0 issue, 1 renew.
        request_type: u32,
        /// Security mode.
        security_mode: u32,
        /// Requested lifetime (ms).
        lifetime: u32,
    },
    /// OpenSecureChannelResponse: channel id, token id, revised lifetime.
    OpenResponse {
        /// Channel id.
        channel_id: u32,
        /// Token id.
        token_id: u32,
        /// Revised lifetime (ms).
        lifetime: u32,
    },
    /// Node ids of a Read or Write request (first [`MAX_ITEMS`]) and the total count.
    Nodes(Vec<NodeId<'a>>, usize),
    /// Endpoints of a GetEndpoints response (first [`MAX_ITEMS`]) and the total count.
    Endpoints(Vec<Endpoint<'a>>, usize),
}

fn request_header(r: &mut Reader<'_>) -> Result<u32, ParseError> {
    node_id_inner(r, false)?; // authentication token
    skip(r, 8)?; // timestamp
    let handle = u32le(r)?;
    skip(r, 4)?; // return diagnostics
    bytes(r)?; // audit entry id
    skip(r, 4)?; // timeout hint
    skip_extension_object(r)?;
    Ok(handle)
}

fn response_header(r: &mut Reader<'_>) -> Result<(u32, StatusCode), ParseError> {
    skip(r, 8)?; // timestamp
    let handle = u32le(r)?;
    let result = StatusCode(u32le(r)?);
    skip_diagnostic_info(r, 0)?;
    let n = i32le(r)?;
    let n = array_len(r, n, 4)?;
    for _ in 0..n {
        bytes(r)?;
    }
    skip_extension_object(r)?;
    Ok((handle, result))
}

fn endpoint<'a>(r: &mut Reader<'a>) -> Result<Endpoint<'a>, ParseError> {
    let url = bytes(r)?;
    let application_uri = bytes(r)?;
    let product_uri = bytes(r)?;
    let application_name = localized_text(r)?;
    let application_type = u32le(r)?;
    bytes(r)?; // gateway server uri
    bytes(r)?; // discovery profile uri
    let n = i32le(r)?;
    let n = array_len(r, n, 4)?;
    for _ in 0..n {
        bytes(r)?;
    }
    bytes(r)?; // server certificate
    let security_mode = u32le(r)?;
    let policy_uri = bytes(r)?;
    let n = i32le(r)?;
    let n = array_len(r, n, 20)?;
    let mut user_token_types = 0u32;
    for _ in 0..n {
        bytes(r)?; // policy id
        let t = u32le(r)?;
        if t < 32 {
            user_token_types |= 1 << t;
        }
        bytes(r)?; // issued token type
        bytes(r)?; // issuer endpoint url
        bytes(r)?; // security policy uri
    }
    bytes(r)?; // transport profile uri
    let security_level = r.u8().map_err(short("opcua endpoint"))?;
    Ok(Endpoint {
        url,
        application_uri,
        product_uri,
        application_name,
        application_type,
        security_mode,
        policy_uri,
        user_token_types,
        security_level,
    })
}

/// Decode the body of a plaintext (policy None) message: the type NodeId, then the request or
/// response header and the decoded services' content. A body that ends early (the first chunk
/// of a multi-chunk message) yields what was read before the end.
///
/// # Errors
/// [`ParseError::Invalid`] when the type NodeId itself is unreadable.
pub fn parse_body(body: &[u8]) -> Result<Body<'_>, ParseError> {
    let mut r = Reader::new(body);
    let type_id = node_id_inner(&mut r, false)?;
    let mut b = Body {
        type_id,
        request_handle: None,
        service_result: None,
        detail: Detail::None,
    };
    let Some(svc) = type_id.ns0_numeric() else {
        return Ok(b);
    };
    let Some((_, is_request)) = ServiceId(svc).info() else {
        return Ok(b);
    };
    // Anything past the headers is best-effort: a truncated first chunk keeps what was read.
    let _ = body_rest(&mut r, &mut b, svc, is_request);
    Ok(b)
}

fn body_rest<'a>(
    r: &mut Reader<'a>,
    b: &mut Body<'a>,
    svc: u32,
    is_request: bool,
) -> Result<(), ParseError> {
    if is_request {
        b.request_handle = Some(request_header(r)?);
    } else {
        let (h, s) = response_header(r)?;
        b.request_handle = Some(h);
        b.service_result = Some(s);
    }
    match svc {
        446 => {
            skip(r, 4)?; // client protocol version
            let request_type = u32le(r)?;
            let security_mode = u32le(r)?;
            bytes(r)?; // client nonce
            let lifetime = u32le(r)?;
            b.detail = Detail::OpenRequest {
                request_type,
                security_mode,
                lifetime,
            };
        }
        449 => {
            skip(r, 4)?; // server protocol version
            let channel_id = u32le(r)?;
            let token_id = u32le(r)?;
            skip(r, 8)?; // created at
            let lifetime = u32le(r)?;
            b.detail = Detail::OpenResponse {
                channel_id,
                token_id,
                lifetime,
            };
        }
        631 | 673 => {
            if svc == 631 {
                skip(r, 12)?; // max age, timestamps to return
            }
            let n = i32le(r)?;
            let n = array_len(r, n, 7)?;
            let mut v = Vec::new();
            b.detail = Detail::Nodes(Vec::new(), n);
            for _ in 0..n.min(MAX_ITEMS) {
                let id = node_id_inner(r, false)?;
                v.push(id);
                b.detail = Detail::Nodes(v.clone(), n);
                skip(r, 4)?; // attribute id
                bytes(r)?; // index range
                if svc == 631 {
                    skip(r, 2)?; // data encoding: namespace
                    bytes(r)?; // and name
                } else {
                    skip_data_value(r, 0)?;
                }
            }
        }
        431 => {
            let n = i32le(r)?;
            let n = array_len(r, n, 40)?;
            let mut v = Vec::new();
            b.detail = Detail::Endpoints(Vec::new(), n);
            for _ in 0..n.min(MAX_ITEMS) {
                v.push(endpoint(r)?);
                b.detail = Detail::Endpoints(v.clone(), n);
            }
        }
        _ => {}
    }
    Ok(())
}
