//! FTP control connection (RFC 959 commands and replies, RFC 2228 `AUTH`, RFC 4217 `AUTH
//! TLS`): one command per line from the client, replies `NNN text` or multi-line
//! `NNN-text ... NNN text` from the server.

use super::{is_text, split_line};
use crate::{ParseError, Probe};

/// A client command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    /// Verb as sent (3-4 letters; compare with [`Command::is`]).
    pub verb: &'a [u8],
    /// Argument after the first space, if any.
    pub arg: Option<&'a [u8]>,
}

impl Command<'_> {
    /// Case-insensitive verb comparison.
    pub fn is(&self, verb: &str) -> bool {
        self.verb.eq_ignore_ascii_case(verb.as_bytes())
    }
}

/// A server reply line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyLine<'a> {
    /// `NNN text` (last line of a reply) or `NNN-text` (first line of a multi-line reply).
    Code {
        /// Reply code (100-599).
        code: u16,
        /// `true` for `NNN-`.
        more: bool,
        /// Text after the separator.
        text: &'a [u8],
    },
    /// A line inside a multi-line reply without a code.
    Text(&'a [u8]),
}

/// Split a line off the stream (see [`split_line`]).
pub fn next_line(input: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    split_line(input)
}

/// Parse a command line: an alphabetic verb of 3-4 letters, then an optional argument.
pub fn parse_command(line: &[u8]) -> Result<Command<'_>, ParseError> {
    let (verb, arg) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    if !(3..=4).contains(&verb.len()) || !verb.iter().all(u8::is_ascii_alphabetic) {
        return Err(ParseError::Invalid("ftp command"));
    }
    Ok(Command { verb, arg })
}

/// Parse a reply line.
pub fn parse_reply(line: &[u8]) -> ReplyLine<'_> {
    if let [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', sep, ..] = line {
        if *sep == b' ' || *sep == b'-' {
            let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            return ReplyLine::Code {
                code,
                more: *sep == b'-',
                text: &line[4..],
            };
        }
    }
    if let [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] = line {
        let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
        return ReplyLine::Code {
            code,
            more: false,
            text: &[],
        };
    }
    ReplyLine::Text(line)
}

/// Detection without a port: a `220` greeting line naming FTP (`220 ProFTPD`, `220 (vsFTPd
/// 3.0.3)`, `220 Microsoft FTP Service`). Greetings that do not say FTP are recognised by
/// port 21 only.
pub fn probe(data: &[u8]) -> Probe {
    let prefix = b"220";
    let n = data.len().min(prefix.len());
    if data[..n] != prefix[..n] {
        return Probe::No;
    }
    match split_line(data) {
        Ok((_, line)) => {
            let upper: Vec<u8> = line.iter().map(u8::to_ascii_uppercase).collect();
            if line.len() > 4
                && (line[3] == b' ' || line[3] == b'-')
                && is_text(line)
                && upper.windows(3).any(|w| w == b"FTP")
                && !upper.windows(4).any(|w| w == b"SMTP")
            {
                Probe::Yes
            } else {
                Probe::No
            }
        }
        Err(ParseError::Incomplete(_)) => Probe::NeedMore,
        Err(_) => Probe::No,
    }
}
