//! SSH protocol version exchange (RFC 4253 §4.2): each side sends
//! `SSH-protoversion-softwareversion [SP comments] CR LF` (at most 255 bytes); a server may
//! send other lines before it. After it come binary packets (`uint32 packet_length`, `byte
//! padding_length`, payload), of which the first, `SSH_MSG_KEXINIT` (20), is cleartext.

use super::split_line;
use crate::{ParseError, Probe};

/// Longest identification line (RFC 4253: 255 bytes including CR LF).
pub const MAX_IDENT: usize = 255;
/// Lines a server may send before its identification that Skjold skips.
pub const MAX_PRE_LINES: usize = 16;

/// An identification string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident<'a> {
    /// Protocol version (`2.0`, `1.99`, `1.5`).
    pub proto_version: &'a [u8],
    /// Software version (`OpenSSH_9.2p1`).
    pub software: &'a [u8],
    /// Comments after the first space (`Debian-2+deb12u3`).
    pub comments: Option<&'a [u8]>,
}

/// Parse one line as an identification string (without the line end).
pub fn parse_ident(line: &[u8]) -> Result<Ident<'_>, ParseError> {
    let rest = line
        .strip_prefix(b"SSH-")
        .ok_or(ParseError::Invalid("ssh identification"))?;
    let dash = rest
        .iter()
        .position(|&b| b == b'-')
        .ok_or(ParseError::Invalid("ssh identification"))?;
    let proto_version = &rest[..dash];
    let tail = &rest[dash + 1..];
    let (software, comments) = match tail.iter().position(|&b| b == b' ') {
        Some(i) => (&tail[..i], Some(&tail[i + 1..])),
        None => (tail, None),
    };
    if proto_version.is_empty()
        || !proto_version
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.')
        || software.is_empty()
        || line.len() + 2 > MAX_IDENT
    {
        return Err(ParseError::Invalid("ssh identification"));
    }
    Ok(Ident {
        proto_version,
        software,
        comments,
    })
}

/// Read lines until the identification: `(rest, lines skipped, ident)`. `Incomplete` until
/// the line is complete; `Invalid` after [`MAX_PRE_LINES`] other lines.
pub fn find_ident(mut input: &[u8]) -> Result<(&[u8], usize, Ident<'_>), ParseError> {
    for skipped in 0..=MAX_PRE_LINES {
        let (rest, line) = split_line(input)?;
        if line.starts_with(b"SSH-") {
            return parse_ident(line).map(|id| (rest, skipped, id));
        }
        input = rest;
    }
    Err(ParseError::Invalid("ssh identification"))
}

/// An SSH binary packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketHead {
    /// Bytes after the 4-byte length field.
    pub packet_length: u32,
    /// Message number (first payload byte), meaningful before encryption.
    pub msg_type: u8,
}

/// Read the head of a cleartext binary packet (RFC 4253 §6). `Invalid` when the length is
/// outside 5..=35000 bytes (the RFC's minimum packet size all implementations must accept is
/// 35000) or the padding is shorter than 4 bytes.
pub fn parse_packet_head(input: &[u8]) -> Result<PacketHead, ParseError> {
    let (Some(l), Some(&pad), Some(&t)) = (input.get(..4), input.get(4), input.get(5)) else {
        return Err(ParseError::Incomplete(6 - input.len()));
    };
    let packet_length = u32::from_be_bytes([l[0], l[1], l[2], l[3]]);
    if !(5..=35_000).contains(&packet_length) || pad < 4 || u32::from(pad) >= packet_length {
        return Err(ParseError::Invalid("ssh packet"));
    }
    Ok(PacketHead {
        packet_length,
        msg_type: t,
    })
}

/// Detection: `SSH-1.` or `SSH-2.` at the start of the stream.
pub fn probe(data: &[u8]) -> Probe {
    let magic = b"SSH-";
    let n = data.len().min(magic.len());
    if data[..n] != magic[..n] {
        return Probe::No;
    }
    match data.get(4..6) {
        None => Probe::NeedMore,
        Some([b'1' | b'2', b'.']) => Probe::Yes,
        Some(_) => Probe::No,
    }
}
