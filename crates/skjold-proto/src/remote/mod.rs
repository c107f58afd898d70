//! Remote-access and plaintext management protocols, the usual ways into an OT network:
//! Telnet, FTP, HTTP/1.x, SSH, RDP, VNC (RFB), TeamViewer and AnyDesk.
//!
//! One submodule per protocol, each with the specification it follows. All are pure
//! functions over `&[u8]` with the crate's progress contract ([`crate::ParseError`]), bounded
//! line and header lengths, and strict probes.

pub mod ftp;
pub mod http;
pub mod rdp;
pub mod ssh;
pub mod teamviewer;
pub mod telnet;
pub mod vnc;

use crate::ParseError;

/// Longest text line read by the line-based parsers (FTP, HTTP request/status lines).
pub const MAX_LINE: usize = 4096;

/// Split one line (ending in LF, CR LF accepted) off `input`: `(rest, line without EOL)`.
/// `Incomplete` until a LF arrives; `TooLarge` when no LF is found within [`MAX_LINE`] bytes.
pub fn split_line(input: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let window = &input[..input.len().min(MAX_LINE)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let line = &input[..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            Ok((&input[i + 1..], line))
        }
        None if input.len() >= MAX_LINE => Err(ParseError::TooLarge {
            len: input.len(),
            limit: MAX_LINE,
        }),
        None => Err(ParseError::Incomplete(1)),
    }
}

/// `true` when every byte is printable ASCII or a tab.
pub fn is_text(b: &[u8]) -> bool {
    b.iter().all(|&c| c == b'\t' || (0x20..0x7f).contains(&c))
}
