//! CoAP over UDP, following RFC 7252 (*The Constrained Application Protocol*) §3 (message
//! format) and §12 (registries), with the options of RFC 7641 (Observe), RFC 7959 (Block1,
//! Block2, Size2) and RFC 8613 (OSCORE) named.
//!
//! One datagram is one message: a 4-byte header (version, type, token length, code, message
//! id), the token, options encoded as deltas with 4-bit nibbles and 1- or 2-byte extensions,
//! and an optional payload after the `0xFF` marker. [`parse_message`] checks the whole option
//! list once (at most [`MAX_OPTIONS`] options) and then [`Message::options`] walks it again
//! without failure. CoAP over TCP (RFC 8323) is not parsed here.

use crate::reader::Reader;
use crate::{ParseError, Probe};

/// The most options one message may carry before [`parse_message`] reports
/// [`ParseError::TooLarge`] (RFC 7252 sets no limit; real messages carry a handful).
pub const MAX_OPTIONS: usize = 64;

/// The 2-bit message type (RFC 7252 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgType(pub u8);

impl MsgType {
    /// Confirmable.
    pub const CON: MsgType = MsgType(0);
    /// Non-confirmable.
    pub const NON: MsgType = MsgType(1);
    /// Acknowledgement.
    pub const ACK: MsgType = MsgType(2);
    /// Reset.
    pub const RST: MsgType = MsgType(3);

    /// `CON`, `NON`, `ACK` or `RST`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self.0 & 3 {
            0 => "CON",
            1 => "NON",
            2 => "ACK",
            _ => "RST",
        }
    }
}

/// The 8-bit code: class (3 bits) and detail (5 bits), written `c.dd` (RFC 7252 §3, §12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(pub u8);

impl Code {
    /// 0.00, an empty message.
    pub const EMPTY: Code = Code(0);

    /// The class (0 request, 2 success, 4 client error, 5 server error, 7 signalling).
    #[must_use]
    pub fn class(self) -> u8 {
        self.0 >> 5
    }

    /// The detail.
    #[must_use]
    pub fn detail(self) -> u8 {
        self.0 & 0x1f
    }

    /// Whether this is a request method (class 0, detail not 0).
    #[must_use]
    pub fn is_request(self) -> bool {
        self.class() == 0 && self.detail() != 0
    }

    /// Whether this is a response (classes 2 to 5).
    #[must_use]
    pub fn is_response(self) -> bool {
        (2..=5).contains(&self.class())
    }

    /// The `c.dd` form, for example `2.05`.
    #[must_use]
    pub fn dotted(self) -> [u8; 4] {
        let d = self.detail();
        [b'0' + self.class(), b'.', b'0' + d / 10, b'0' + d % 10]
    }

    /// The registered method or response name (RFC 7252 §12.1, RFC 8132, RFC 7959, RFC 8516).
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match (self.class(), self.detail()) {
            (0, 0) => "Empty",
            (0, 1) => "GET",
            (0, 2) => "POST",
            (0, 3) => "PUT",
            (0, 4) => "DELETE",
            (0, 5) => "FETCH",
            (0, 6) => "PATCH",
            (0, 7) => "iPATCH",
            (2, 1) => "Created",
            (2, 2) => "Deleted",
            (2, 3) => "Valid",
            (2, 4) => "Changed",
            (2, 5) => "Content",
            (2, 31) => "Continue",
            (4, 0) => "Bad Request",
            (4, 1) => "Unauthorized",
            (4, 2) => "Bad Option",
            (4, 3) => "Forbidden",
            (4, 4) => "Not Found",
            (4, 5) => "Method Not Allowed",
            (4, 6) => "Not Acceptable",
            (4, 8) => "Request Entity Incomplete",
            (4, 9) => "Conflict",
            (4, 12) => "Precondition Failed",
            (4, 13) => "Request Entity Too Large",
            (4, 15) => "Unsupported Content-Format",
            (4, 22) => "Unprocessable Entity",
            (4, 29) => "Too Many Requests",
            (5, 0) => "Internal Server Error",
            (5, 1) => "Not Implemented",
            (5, 2) => "Bad Gateway",
            (5, 3) => "Service Unavailable",
            (5, 4) => "Gateway Timeout",
            (5, 5) => "Proxying Not Supported",
            (5, 8) => "Hop Limit Reached",
            _ => return None,
        })
    }
}

/// An option number (RFC 7252 §5.10, §12.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OptionNumber(pub u16);

impl OptionNumber {
    /// If-Match.
    pub const IF_MATCH: OptionNumber = OptionNumber(1);
    /// Uri-Host.
    pub const URI_HOST: OptionNumber = OptionNumber(3);
    /// ETag.
    pub const ETAG: OptionNumber = OptionNumber(4);
    /// If-None-Match.
    pub const IF_NONE_MATCH: OptionNumber = OptionNumber(5);
    /// Observe (RFC 7641).
    pub const OBSERVE: OptionNumber = OptionNumber(6);
    /// Uri-Port.
    pub const URI_PORT: OptionNumber = OptionNumber(7);
    /// Location-Path.
    pub const LOCATION_PATH: OptionNumber = OptionNumber(8);
    /// OSCORE (RFC 8613).
    pub const OSCORE: OptionNumber = OptionNumber(9);
    /// Uri-Path.
    pub const URI_PATH: OptionNumber = OptionNumber(11);
    /// Content-Format.
    pub const CONTENT_FORMAT: OptionNumber = OptionNumber(12);
    /// Max-Age.
    pub const MAX_AGE: OptionNumber = OptionNumber(14);
    /// Uri-Query.
    pub const URI_QUERY: OptionNumber = OptionNumber(15);
    /// Accept.
    pub const ACCEPT: OptionNumber = OptionNumber(17);
    /// Location-Query.
    pub const LOCATION_QUERY: OptionNumber = OptionNumber(20);
    /// Block2 (RFC 7959).
    pub const BLOCK2: OptionNumber = OptionNumber(23);
    /// Block1 (RFC 7959).
    pub const BLOCK1: OptionNumber = OptionNumber(27);
    /// Size2 (RFC 7959).
    pub const SIZE2: OptionNumber = OptionNumber(28);
    /// Proxy-Uri.
    pub const PROXY_URI: OptionNumber = OptionNumber(35);
    /// Proxy-Scheme.
    pub const PROXY_SCHEME: OptionNumber = OptionNumber(39);
    /// Size1.
    pub const SIZE1: OptionNumber = OptionNumber(60);

    /// The registered name, or `None`.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "If-Match",
            3 => "Uri-Host",
            4 => "ETag",
            5 => "If-None-Match",
            6 => "Observe",
            7 => "Uri-Port",
            8 => "Location-Path",
            9 => "OSCORE",
            11 => "Uri-Path",
            12 => "Content-Format",
            14 => "Max-Age",
            15 => "Uri-Query",
            16 => "Hop-Limit",
            17 => "Accept",
            19 => "Q-Block1",
            20 => "Location-Query",
            21 => "EDHOC",
            23 => "Block2",
            27 => "Block1",
            28 => "Size2",
            31 => "Q-Block2",
            35 => "Proxy-Uri",
            39 => "Proxy-Scheme",
            60 => "Size1",
            258 => "No-Response",
            _ => return None,
        })
    }

    /// Whether the option is critical (odd number, RFC 7252 §5.4.1).
    #[must_use]
    pub fn is_critical(self) -> bool {
        self.0 & 1 == 1
    }
}

/// A Content-Format identifier (RFC 7252 §12.3 and the IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentFormat(pub u16);

impl ContentFormat {
    /// `text/plain; charset=utf-8`.
    pub const TEXT_PLAIN: ContentFormat = ContentFormat(0);
    /// `application/link-format`.
    pub const LINK_FORMAT: ContentFormat = ContentFormat(40);

    /// The media type, or `None` when unregistered here.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "text/plain; charset=utf-8",
            16 => "application/cose; cose-type=\"cose-encrypt0\"",
            17 => "application/cose; cose-type=\"cose-mac0\"",
            18 => "application/cose; cose-type=\"cose-sign1\"",
            40 => "application/link-format",
            41 => "application/xml",
            42 => "application/octet-stream",
            47 => "application/exi",
            50 => "application/json",
            51 => "application/json-patch+json",
            52 => "application/merge-patch+json",
            60 => "application/cbor",
            61 => "application/cwt",
            62 => "application/multipart-core",
            63 => "application/cbor-seq",
            110 => "application/senml+json",
            111 => "application/sensml+json",
            112 => "application/senml+cbor",
            113 => "application/sensml+cbor",
            256 => "application/coap-group+json",
            11542 => "application/vnd.oma.lwm2m+tlv",
            11543 => "application/vnd.oma.lwm2m+json",
            11544 => "application/vnd.oma.lwm2m+cbor",
            _ => return None,
        })
    }
}

/// One option: its number (deltas summed) and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoapOption<'a> {
    /// The option number.
    pub number: OptionNumber,
    /// The raw value.
    pub value: &'a [u8],
}

impl CoapOption<'_> {
    /// The value as an unsigned integer (RFC 7252 §3.2 `uint`: big-endian, leading zeros
    /// dropped), or `None` when longer than 4 bytes.
    #[must_use]
    pub fn uint(&self) -> Option<u32> {
        if self.value.len() > 4 {
            return None;
        }
        Some(
            self.value
                .iter()
                .fold(0u32, |acc, b| (acc << 8) | u32::from(*b)),
        )
    }
}

/// A Block1/Block2 value (RFC 7959 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// Block number.
    pub num: u32,
    /// More blocks follow.
    pub more: bool,
    /// Size exponent (block size is `2^(szx + 4)`; 7 is reserved).
    pub szx: u8,
}

impl Block {
    /// Decode a Block option's uint value.
    #[must_use]
    pub fn from_uint(v: u32) -> Block {
        Block {
            num: v >> 4,
            more: v & 8 != 0,
            #[allow(clippy::cast_possible_truncation, reason = "masked to 3 bits")]
            szx: (v & 7) as u8,
        }
    }

    /// Block size in bytes (`None` for the reserved exponent 7).
    #[must_use]
    pub fn size(self) -> Option<u16> {
        (self.szx < 7).then(|| 1u16 << (self.szx + 4))
    }
}

/// Readable-but-wrong conditions found in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// Token length 9 to 15 (reserved, RFC 7252 §3: a message format error).
    pub bad_token_length: bool,
    /// A payload marker followed by no payload (RFC 7252 §3: a message format error).
    pub empty_payload_after_marker: bool,
    /// An Empty message (code 0.00) with a token, options or payload (RFC 7252 §4.1).
    pub non_empty_empty_message: bool,
}

/// One CoAP message, borrowed from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Version (1 in RFC 7252).
    pub version: u8,
    /// Message type.
    pub msg_type: MsgType,
    /// The token (0 to 8 bytes).
    pub token: &'a [u8],
    /// Code.
    pub code: Code,
    /// Message id.
    pub message_id: u16,
    /// The raw option bytes (walk them with [`Message::options`]).
    pub raw_options: &'a [u8],
    /// Number of options.
    pub option_count: usize,
    /// The payload (after the `0xFF` marker).
    pub payload: &'a [u8],
    /// Anomalies.
    pub flags: Flags,
}

impl<'a> Message<'a> {
    /// The options, in wire order.
    #[must_use]
    pub fn options(&self) -> Options<'a> {
        Options {
            r: Reader::new(self.raw_options),
            number: 0,
        }
    }

    /// The first option numbered `n`.
    #[must_use]
    pub fn option(&self, n: OptionNumber) -> Option<CoapOption<'a>> {
        self.options().find(|o| o.number == n)
    }
}

/// Iterator over a message's options (checked by [`parse_message`]; stops at the first
/// unreadable one or at the payload marker).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    r: Reader<'a>,
    number: u32,
}

/// One option header read: (delta, length), or `None` at the payload marker.
enum OptHead {
    Marker,
    Opt(u32, usize),
}

fn ext(r: &mut Reader<'_>, nibble: u8) -> Result<u32, ParseError> {
    match nibble {
        13 => r
            .u8()
            .map(|b| u32::from(b) + 13)
            .map_err(|_| ParseError::Invalid("coap option extension")),
        14 => r
            .be_u16()
            .map(|v| u32::from(v) + 269)
            .map_err(|_| ParseError::Invalid("coap option extension")),
        15 => Err(ParseError::Invalid("coap option nibble 15")),
        n => Ok(u32::from(n)),
    }
}

fn read_head(r: &mut Reader<'_>) -> Result<OptHead, ParseError> {
    let b = r.u8().map_err(|_| ParseError::Invalid("coap option"))?;
    if b == 0xff {
        return Ok(OptHead::Marker);
    }
    let delta = ext(r, b >> 4)?;
    let len = ext(r, b & 15)?;
    Ok(OptHead::Opt(delta, len as usize))
}

impl<'a> Iterator for Options<'a> {
    type Item = CoapOption<'a>;

    fn next(&mut self) -> Option<CoapOption<'a>> {
        if self.r.is_empty() {
            return None;
        }
        match read_head(&mut self.r).ok()? {
            OptHead::Marker => {
                let _ = self.r.take_rest();
                None
            }
            OptHead::Opt(delta, len) => {
                self.number = self.number.checked_add(delta)?;
                let value = self.r.take(len).ok()?;
                Some(CoapOption {
                    number: OptionNumber(u16::try_from(self.number).ok()?),
                    value,
                })
            }
        }
    }
}

/// Parse one CoAP message (a whole UDP datagram).
///
/// # Errors
/// [`ParseError::Invalid`] when the header or an option is unreadable (short datagram, token
/// past the end, nibble 15, option number above 65535, version not 1), and
/// [`ParseError::TooLarge`] when more than [`MAX_OPTIONS`] options are present.
pub fn parse_message(data: &[u8]) -> Result<Message<'_>, ParseError> {
    let mut r = Reader::new(data);
    let b0 = r.u8().map_err(|_| ParseError::Invalid("coap header"))?;
    let code = r.u8().map_err(|_| ParseError::Invalid("coap header"))?;
    let message_id = r.be_u16().map_err(|_| ParseError::Invalid("coap header"))?;
    let version = b0 >> 6;
    if version != 1 {
        return Err(ParseError::Invalid("coap version"));
    }
    let tkl = b0 & 15;
    let mut flags = Flags::default();
    if tkl > 8 {
        flags.bad_token_length = true;
    }
    let token = r
        .take(usize::from(tkl.min(8)))
        .map_err(|_| ParseError::Invalid("coap token"))?;
    let opts_start = r.rest();
    let mut number: u32 = 0;
    let mut count = 0usize;
    let mut payload: &[u8] = &[];
    let mut opts_len = opts_start.len();
    while !r.is_empty() {
        let before = r.remaining();
        match read_head(&mut r)? {
            OptHead::Marker => {
                opts_len = opts_start.len() - before;
                payload = r.take_rest();
                if payload.is_empty() {
                    flags.empty_payload_after_marker = true;
                }
                break;
            }
            OptHead::Opt(delta, len) => {
                number += delta;
                if number > u32::from(u16::MAX) {
                    return Err(ParseError::Invalid("coap option number"));
                }
                r.take(len)
                    .map_err(|_| ParseError::Invalid("coap option value"))?;
                count += 1;
                if count > MAX_OPTIONS {
                    return Err(ParseError::TooLarge {
                        len: data.len(),
                        limit: MAX_OPTIONS,
                    });
                }
            }
        }
    }
    let raw_options = opts_start.get(..opts_len).unwrap_or_default();
    if code == 0 && (!token.is_empty() || count > 0 || !payload.is_empty()) {
        flags.non_empty_empty_message = true;
    }
    Ok(Message {
        version,
        msg_type: MsgType(b0 >> 4 & 3),
        token,
        code: Code(code),
        message_id,
        raw_options,
        option_count: count,
        payload,
        flags,
    })
}

/// Port-independent detection on one datagram: version 1, a token length of at most 8, a
/// registered method or response code (or an Empty message of exactly 4 bytes), and options
/// that parse and are all registered (option 0 and unassigned numbers are not accepted, which
/// keeps DNS and other binary UDP payloads out).
#[must_use]
pub fn probe(data: &[u8]) -> Probe {
    match parse_message(data) {
        Ok(m)
            if !m.flags.bad_token_length
                && m.flags == Flags::default()
                && m.code.name().is_some()
                && (m.code.0 != 0 || data.len() == 4)
                && m.options().all(|o| o.number.name().is_some()) =>
        {
            Probe::Yes
        }
        _ => Probe::No,
    }
}
