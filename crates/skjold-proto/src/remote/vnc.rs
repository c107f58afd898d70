//! RFB (VNC) handshake, RFC 6143 §7.1-7.3: `ProtocolVersion` (`RFB 003.008\n`, 12 bytes,
//! both sides), security types (3.3: the server's `u32` choice; 3.7 and 3.8: the server's
//! list and the client's one-byte choice), VNC authentication challenge/response (16 bytes
//! each), `SecurityResult` (`u32`), `ClientInit` (1 byte) and `ServerInit` (size, pixel
//! format, desktop name).

use crate::{ParseError, Probe};

/// Longest reason string or desktop name read.
pub const MAX_TEXT: usize = 4096;

/// A security type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SecurityType(pub u8);

impl SecurityType {
    /// Name (IANA RFB security types), `unknown` for others.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "invalid",
            1 => "none",
            2 => "vnc_authentication",
            5 => "ra2",
            6 => "ra2ne",
            16 => "tight",
            17 => "ultra",
            18 => "tls",
            19 => "vencrypt",
            20 => "sasl",
            21 => "md5",
            22 => "xvp",
            30 => "apple_ard",
            113 => "ms_logon_ii",
            _ => "unknown",
        }
    }
}

/// A `ProtocolVersion` message: `(major, minor)`.
pub fn parse_version(input: &[u8]) -> Result<(&[u8], (u16, u16)), ParseError> {
    let Some(m) = input.get(..12) else {
        return Err(ParseError::Incomplete(12 - input.len()));
    };
    let digits = |s: &[u8]| -> Option<u16> {
        s.iter().try_fold(0u16, |a, &d| {
            d.is_ascii_digit().then(|| a * 10 + u16::from(d - b'0'))
        })
    };
    match (&m[..4], digits(&m[4..7]), m[7], digits(&m[8..11]), m[11]) {
        (b"RFB ", Some(maj), b'.', Some(min), b'\n') => Ok((&input[12..], (maj, min))),
        _ => Err(ParseError::Invalid("rfb protocol version")),
    }
}

/// The server's security offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityOffer<'a> {
    /// 3.7/3.8: the list of types.
    Types(&'a [u8]),
    /// 3.3: the type the server decided.
    Decided(u32),
    /// No type: the connection failed, with the reason.
    Failed(&'a [u8]),
}

/// Read the server's security offer for protocol minor version `minor` (3, 7 or 8).
pub fn parse_security_offer(
    input: &[u8],
    minor: u16,
) -> Result<(&[u8], SecurityOffer<'_>), ParseError> {
    let u32_at = |i: usize| -> Option<u32> {
        input
            .get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (failed_at, decided) = if minor < 7 {
        let Some(t) = u32_at(0) else {
            return Err(ParseError::Incomplete(4 - input.len()));
        };
        if t != 0 {
            return Ok((&input[4..], SecurityOffer::Decided(t)));
        }
        (4, true)
    } else {
        let Some(&n) = input.first() else {
            return Err(ParseError::Incomplete(1));
        };
        if n > 0 {
            let n = usize::from(n);
            return match input.get(1..=n) {
                Some(types) => Ok((&input[1 + n..], SecurityOffer::Types(types))),
                None => Err(ParseError::Incomplete(1 + n - input.len())),
            };
        }
        (1, false)
    };
    let _ = decided;
    let Some(len) = u32_at(failed_at) else {
        return Err(ParseError::Incomplete(failed_at + 4 - input.len()));
    };
    let len = len as usize;
    if len > MAX_TEXT {
        return Err(ParseError::TooLarge {
            len: failed_at + 4 + len,
            limit: MAX_TEXT,
        });
    }
    let start = failed_at + 4;
    match input.get(start..start + len) {
        Some(r) => Ok((&input[start + len..], SecurityOffer::Failed(r))),
        None => Err(ParseError::Incomplete(start + len - input.len())),
    }
}

/// `ServerInit`: framebuffer size and desktop name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerInit<'a> {
    /// Framebuffer width.
    pub width: u16,
    /// Framebuffer height.
    pub height: u16,
    /// Desktop name.
    pub name: &'a [u8],
}

/// Read a `ServerInit` message.
pub fn parse_server_init(input: &[u8]) -> Result<(&[u8], ServerInit<'_>), ParseError> {
    let Some(h) = input.get(..24) else {
        return Err(ParseError::Incomplete(24 - input.len()));
    };
    let len = u32::from_be_bytes([h[20], h[21], h[22], h[23]]) as usize;
    if len > MAX_TEXT {
        return Err(ParseError::TooLarge {
            len: 24 + len,
            limit: MAX_TEXT,
        });
    }
    let Some(name) = input.get(24..24 + len) else {
        return Err(ParseError::Incomplete(24 + len - input.len()));
    };
    Ok((
        &input[24 + len..],
        ServerInit {
            width: u16::from_be_bytes([h[0], h[1]]),
            height: u16::from_be_bytes([h[2], h[3]]),
            name,
        },
    ))
}

/// Detection: `RFB 003.` and a complete 12-byte version message.
pub fn probe(data: &[u8]) -> Probe {
    let magic = b"RFB 003.";
    let n = data.len().min(magic.len());
    if data[..n] != magic[..n] {
        return Probe::No;
    }
    match parse_version(data) {
        Ok(_) => Probe::Yes,
        Err(ParseError::Incomplete(_)) => Probe::NeedMore,
        Err(_) => Probe::No,
    }
}
