//! RDP connection initiation ([MS-RDPBCGR] §2.2.1.1 and §2.2.1.2): a TPKT header (RFC 1006),
//! an X.224 Connection Request (ITU-T X.224 / ISO 8073 class 0) carrying an optional
//! `Cookie: mstshash=USER` line (or routing token) and an optional `RDP_NEG_REQ`; the server's
//! X.224 Connection Confirm carrying `RDP_NEG_RSP` (selected protocol) or `RDP_NEG_FAILURE`.

use crate::{ParseError, Probe};

/// Largest TPKT accepted (RFC 1006 allows 65535).
pub const MAX_TPKT: usize = 65_535;

/// X.224 TPDU codes.
pub const X224_CONNECTION_REQUEST: u8 = 0xe0;
/// X.224 Connection Confirm.
pub const X224_CONNECTION_CONFIRM: u8 = 0xd0;
/// X.224 Data.
pub const X224_DATA: u8 = 0xf0;

/// Security protocols of `RDP_NEG_REQ.requestedProtocols` / `RDP_NEG_RSP.selectedProtocol`
/// (a bit set; 0 is standard RDP security).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Protocols(pub u32);

impl Protocols {
    /// Names of the set bits (`rdp` when none is set).
    pub fn names(self) -> Vec<&'static str> {
        if self.0 == 0 {
            return vec!["rdp"];
        }
        let table = [
            (0x1, "ssl"),
            (0x2, "hybrid"),
            (0x4, "rdstls"),
            (0x8, "hybrid_ex"),
            (0x10, "rdsaad"),
        ];
        let mut v: Vec<&'static str> = table
            .iter()
            .filter(|(b, _)| self.0 & b != 0)
            .map(|(_, n)| *n)
            .collect();
        if self.0 & !0x1f != 0 {
            v.push("unknown");
        }
        v
    }
}

/// A TPKT-framed X.224 TPDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tpdu<'a> {
    /// TPDU code (high nibble of the second X.224 byte; low nibble is credit).
    pub code: u8,
    /// Bytes after the X.224 fixed header (variable part and user data).
    pub data: &'a [u8],
}

/// Split one TPKT off the stream and read its X.224 header: `(rest, tpdu)`.
pub fn parse_tpkt(input: &[u8]) -> Result<(&[u8], Tpdu<'_>), ParseError> {
    let Some(h) = input.get(..4) else {
        return Err(ParseError::Incomplete(4 - input.len()));
    };
    if h[0] != 3 || h[1] != 0 {
        return Err(ParseError::Invalid("tpkt header"));
    }
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if len < 7 {
        return Err(ParseError::Invalid("tpkt length"));
    }
    let Some(pkt) = input.get(..len) else {
        return Err(ParseError::Incomplete(len - input.len()));
    };
    let rest = &input[len..];
    let li = usize::from(pkt[4]);
    let code = pkt[5] & 0xf0;
    // LI counts the header bytes after itself; data follows the fixed part (7 bytes for CR/CC,
    // 3 for DT).
    let fixed = if code == X224_DATA { 3 } else { 7 };
    if li + 5 > len || li + 1 < fixed - 1 {
        return Err(ParseError::Malformed {
            what: "x224 header",
            len,
        });
    }
    let data = pkt.get(4 + fixed..).unwrap_or_default();
    Ok((rest, Tpdu { code, data }))
}

/// What a Connection Request carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionRequest<'a> {
    /// User name of `Cookie: mstshash=USER`.
    pub cookie: Option<&'a [u8]>,
    /// A routing token line (`Cookie: msts=...`) when that is what was sent.
    pub routing_token: Option<&'a [u8]>,
    /// `RDP_NEG_REQ.requestedProtocols`, when present.
    pub requested: Option<Protocols>,
    /// `RDP_NEG_REQ.flags`.
    pub flags: u8,
}

/// Parse the user data of a Connection Request.
pub fn parse_connection_request(data: &[u8]) -> Result<ConnectionRequest<'_>, ParseError> {
    let mut cr = ConnectionRequest::default();
    let mut rest = data;
    if rest.starts_with(b"Cookie: ") {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(ParseError::Invalid("rdp cookie"))?;
        let line = &rest[8..end];
        if let Some(user) = line.strip_prefix(b"mstshash=") {
            cr.cookie = Some(user);
        } else {
            cr.routing_token = Some(line);
        }
        rest = &rest[end + 2..];
    }
    if let [1, flags, 8, 0, a, b, c, d, ..] = rest {
        cr.flags = *flags;
        cr.requested = Some(Protocols(u32::from_le_bytes([*a, *b, *c, *d])));
    } else if !rest.is_empty() && rest.len() < 8 {
        return Err(ParseError::Invalid("rdp negotiation request"));
    }
    Ok(cr)
}

/// What a Connection Confirm carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionConfirm {
    /// No negotiation response (old servers: standard RDP security).
    Plain,
    /// `RDP_NEG_RSP`.
    Selected {
        /// Selected protocol.
        protocol: Protocols,
        /// Flags.
        flags: u8,
    },
    /// `RDP_NEG_FAILURE` with its failure code.
    Failure(u32),
}

/// Parse the user data of a Connection Confirm.
pub fn parse_connection_confirm(data: &[u8]) -> Result<ConnectionConfirm, ParseError> {
    match data {
        [] => Ok(ConnectionConfirm::Plain),
        [2, flags, 8, 0, a, b, c, d, ..] => Ok(ConnectionConfirm::Selected {
            protocol: Protocols(u32::from_le_bytes([*a, *b, *c, *d])),
            flags: *flags,
        }),
        [3, _, 8, 0, a, b, c, d, ..] => Ok(ConnectionConfirm::Failure(u32::from_le_bytes([
            *a, *b, *c, *d,
        ]))),
        _ => Err(ParseError::Invalid("rdp negotiation response")),
    }
}

/// Name of an `RDP_NEG_FAILURE` code.
pub fn failure_name(code: u32) -> &'static str {
    match code {
        1 => "ssl_required_by_server",
        2 => "ssl_not_allowed_by_server",
        3 => "ssl_cert_not_on_server",
        4 => "inconsistent_flags",
        5 => "hybrid_required_by_server",
        6 => "ssl_with_user_auth_required_by_server",
        _ => "unknown",
    }
}

/// Detection: TPKT version 3, an X.224 Connection Request, and as user data either a
/// `Cookie: ` line or an `RDP_NEG_REQ` (S7comm and other ISO-on-TCP requests carry TSAP
/// parameters `0xc0..0xc2` there instead, so they are not taken).
pub fn probe(data: &[u8]) -> Probe {
    let Some(h) = data.get(..11) else {
        return if data.first().is_none_or(|&b| b == 3) {
            Probe::NeedMore
        } else {
            Probe::No
        };
    };
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if h[0] != 3 || h[1] != 0 || h[5] != X224_CONNECTION_REQUEST || len < 11 {
        return Probe::No;
    }
    let Ok((_, tpdu)) = parse_tpkt(data) else {
        return if data.len() < len {
            Probe::NeedMore
        } else {
            Probe::No
        };
    };
    let d = tpdu.data;
    if d.starts_with(b"Cookie: ") || matches!(d, [1, _, 8, 0, ..]) {
        Probe::Yes
    } else {
        Probe::No
    }
}
