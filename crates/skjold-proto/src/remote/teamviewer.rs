//! TeamViewer framing, as far as it is publicly known. TeamViewer does not publish its
//! protocol; the facts here are those used by open DPI engines (nDPI's `teamviewer.c`,
//! bettercap's TeamViewer parser): on TCP port 5938 every message starts with the magic
//! `0x17 0x24` (`0x11 0x30` for old clients) followed by a command byte; on UDP port 5938 the
//! same magic sits at offset 11 of the datagram, after a counter in byte 0.

use crate::ParseError;

/// Magic of current clients.
pub const MAGIC: [u8; 2] = [0x17, 0x24];
/// Magic of old clients.
pub const MAGIC_OLD: [u8; 2] = [0x11, 0x30];

/// A TeamViewer message head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The two magic bytes seen (`0x1724` or `0x1130`).
    pub magic: u16,
    /// Command byte after the magic.
    pub command: u8,
}

/// Read the head of a TCP message.
pub fn parse_tcp(input: &[u8]) -> Result<Head, ParseError> {
    match input {
        [a, b, c, ..] if [*a, *b] == MAGIC || [*a, *b] == MAGIC_OLD => Ok(Head {
            magic: u16::from_be_bytes([*a, *b]),
            command: *c,
        }),
        [a, b, ..] if [*a, *b] != MAGIC && [*a, *b] != MAGIC_OLD => {
            Err(ParseError::Invalid("teamviewer magic"))
        }
        [a] if *a != MAGIC[0] && *a != MAGIC_OLD[0] => Err(ParseError::Invalid("teamviewer magic")),
        _ => Err(ParseError::Incomplete(3 - input.len())),
    }
}

/// Read the head of a UDP datagram (magic at offset 11, command at 13).
pub fn parse_udp(datagram: &[u8]) -> Result<Head, ParseError> {
    match datagram.get(11..14) {
        Some([a, b, c]) if [*a, *b] == MAGIC => Ok(Head {
            magic: u16::from_be_bytes([*a, *b]),
            command: *c,
        }),
        _ => Err(ParseError::Invalid("teamviewer datagram")),
    }
}
