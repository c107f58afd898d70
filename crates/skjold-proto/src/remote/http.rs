//! HTTP/1.x message heads (RFC 9112: request line, status line, header fields, message body
//! length; RFC 9110 semantics; RFC 7617 Basic authentication). Only heads are parsed; bodies
//! are framed (`Content-Length`, `chunked`) so the flow state can skip them.

use super::is_text;
use crate::{ParseError, Probe};

/// Longest message head (start line and headers) read whole.
pub const MAX_HEAD: usize = 16 * 1024;
/// Header fields read from one head; more are counted as a limit hit.
pub const MAX_HEADERS: usize = 100;

/// Request methods recognised by the probe (RFC 9110 §9 plus WebDAV's common ones).
pub const METHODS: [&str; 14] = [
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PATCH",
    "CONNECT",
    "TRACE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
];

/// How the body after a head is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes (a response without length).
    UntilClose,
}

/// Header fields Skjold keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    /// `Host`.
    pub host: Option<&'a [u8]>,
    /// `User-Agent`.
    pub user_agent: Option<&'a [u8]>,
    /// `Server`.
    pub server: Option<&'a [u8]>,
    /// `Content-Type`.
    pub content_type: Option<&'a [u8]>,
    /// `Content-Length` value, when a valid number.
    pub content_length: Option<u64>,
    /// `Transfer-Encoding` ends in `chunked`.
    pub chunked: bool,
    /// `Authorization` value.
    pub authorization: Option<&'a [u8]>,
    /// `WWW-Authenticate` value (first).
    pub www_authenticate: Option<&'a [u8]>,
    /// `Upgrade` value.
    pub upgrade: Option<&'a [u8]>,
    /// Number of header fields.
    pub count: usize,
    /// More than [`MAX_HEADERS`] fields.
    pub too_many: bool,
    /// A line that is not `name: value`.
    pub malformed: bool,
}

/// A request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// Method token.
    pub method: &'a [u8],
    /// Request target (path, absolute URI, authority or `*`).
    pub target: &'a [u8],
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: &'a [u8],
    /// Header fields.
    pub headers: Headers<'a>,
}

/// A response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// `HTTP/1.x`.
    pub version: &'a [u8],
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: &'a [u8],
    /// Header fields.
    pub headers: Headers<'a>,
}

/// Find the end of the head: `(head without the blank line, rest)`.
fn split_head(input: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let window = &input[..input.len().min(MAX_HEAD)];
    let crlf = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let lf = window.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match end {
        Some((i, n)) => Ok((&input[..i], &input[i + n..])),
        None if input.len() >= MAX_HEAD => Err(ParseError::TooLarge {
            len: input.len(),
            limit: MAX_HEAD,
        }),
        None => Err(ParseError::Incomplete(1)),
    }
}

fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn trim(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &v[s..e.max(s)]
}

fn parse_headers<'a>(it: impl Iterator<Item = &'a [u8]>) -> Headers<'a> {
    let mut h = Headers::default();
    for line in it {
        if h.count == MAX_HEADERS {
            h.too_many = true;
            break;
        }
        h.count += 1;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            h.malformed = true;
            continue;
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("host") {
            h.host = Some(value);
        } else if is("user-agent") {
            h.user_agent = Some(value);
        } else if is("server") {
            h.server = Some(value);
        } else if is("content-type") {
            h.content_type = Some(value);
        } else if is("content-length") {
            h.content_length = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
            h.malformed |= h.content_length.is_none();
        } else if is("transfer-encoding") {
            h.chunked = value.to_ascii_lowercase().ends_with(b"chunked");
        } else if is("authorization") {
            h.authorization = Some(value);
        } else if is("www-authenticate") {
            h.www_authenticate.get_or_insert(value);
        } else if is("upgrade") {
            h.upgrade = Some(value);
        }
    }
    h
}

/// Parse a request head from the front of `input`: `(rest, request)`.
pub fn parse_request(input: &[u8]) -> Result<(&[u8], Request<'_>), ParseError> {
    let (head, rest) = split_head(input)?;
    let mut it = lines(head);
    let first = it.next().unwrap_or_default();
    let mut parts = first.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::Malformed {
            what: "http request line",
            len: input.len() - rest.len(),
        });
    };
    if method.is_empty()
        || !method
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
        || !version.starts_with(b"HTTP/1.")
        || !is_text(target)
    {
        return Err(ParseError::Malformed {
            what: "http request line",
            len: input.len() - rest.len(),
        });
    }
    Ok((
        rest,
        Request {
            method,
            target,
            version,
            headers: parse_headers(it),
        },
    ))
}

/// Parse a response head from the front of `input`: `(rest, response)`.
pub fn parse_response(input: &[u8]) -> Result<(&[u8], Response<'_>), ParseError> {
    let (head, rest) = split_head(input)?;
    let mut it = lines(head);
    let first = it.next().unwrap_or_default();
    let bad = || ParseError::Malformed {
        what: "http status line",
        len: input.len() - rest.len(),
    };
    let mut parts = first.splitn(3, |&b| b == b' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(bad());
    };
    let reason = parts.next().unwrap_or_default();
    if !version.starts_with(b"HTTP/1.") || code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let status = code.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
    Ok((
        rest,
        Response {
            version,
            status,
            reason,
            headers: parse_headers(it),
        },
    ))
}

/// Body length of a request (RFC 9112 §6.3: chunked, else Content-Length, else none).
pub fn request_body(h: &Headers<'_>) -> BodyLength {
    if h.chunked {
        BodyLength::Chunked
    } else {
        h.content_length
            .map_or(BodyLength::None, BodyLength::Length)
    }
}

/// Body length of a response to `method` with `status` (RFC 9112 §6.3).
pub fn response_body(method: Option<&[u8]>, status: u16, h: &Headers<'_>) -> BodyLength {
    if method == Some(b"HEAD".as_slice())
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        return BodyLength::None;
    }
    if method == Some(b"CONNECT".as_slice()) && (200..300).contains(&status) {
        return BodyLength::UntilClose;
    }
    if h.chunked {
        BodyLength::Chunked
    } else {
        h.content_length
            .map_or(BodyLength::UntilClose, BodyLength::Length)
    }
}

/// Read a chunk-size line (`hex[;ext] CRLF`): `(rest, size)`. Size 0 is the last chunk
/// (its trailer section follows, ending in an empty line).
pub fn parse_chunk_size(input: &[u8]) -> Result<(&[u8], u64), ParseError> {
    let (rest, line) = super::split_line(input)?;
    let hex = line.split(|&b| b == b';').next().unwrap_or_default();
    let hex = trim(hex);
    if hex.is_empty() || hex.len() > 15 {
        return Err(ParseError::Invalid("http chunk size"));
    }
    let mut v = 0u64;
    for &c in hex {
        let d = (c as char)
            .to_digit(16)
            .ok_or(ParseError::Invalid("http chunk size"))?;
        v = (v << 4) | u64::from(d);
    }
    Ok((rest, v))
}

/// The scheme of an `Authorization` value (`Basic`, `Bearer`, `Digest`, `NTLM`...).
pub fn auth_scheme(value: &[u8]) -> &[u8] {
    value.split(|&b| b == b' ').next().unwrap_or_default()
}

/// The user name of a `Basic` credential (RFC 7617), never the password: the base64 text
/// decoded up to the first `:`. `None` for other schemes or undecodable values.
pub fn basic_user(value: &[u8]) -> Option<Vec<u8>> {
    let (scheme, b64) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let b64 = trim(b64);
    if b64.len() > 1024 {
        return None;
    }
    let decoded = base64_decode(b64)?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some(decoded[..colon].to_vec())
}

/// Run `check` on the user name and password of a `Basic` credential (RFC 7617) and return
/// its result; `None` for other schemes or undecodable values. The decoded password lives only
/// for the call (its buffer is zeroed afterwards), so callers can test it (against a list of
/// default passwords) without keeping it.
pub fn with_basic_credentials<R>(value: &[u8], check: impl FnOnce(&[u8], &[u8]) -> R) -> Option<R> {
    let (scheme, b64) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let b64 = trim(b64);
    if b64.len() > 1024 {
        return None;
    }
    let mut decoded = base64_decode(b64)?;
    let result = decoded
        .iter()
        .position(|&b| b == b':')
        .map(|colon| check(&decoded[..colon], &decoded[colon + 1..]));
    decoded.fill(0);
    result
}

fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Detection. Client side: a known method, a space, and a request line ending in
/// `HTTP/1.0` or `HTTP/1.1`. Server side (flow picked up late): `HTTP/1.x NNN `.
pub fn probe(data: &[u8]) -> Probe {
    if data.starts_with(b"HTTP/1.") || b"HTTP/1.".starts_with(data) {
        return match data.get(..13) {
            None => Probe::NeedMore,
            Some(s)
                if (s[7] == b'0' || s[7] == b'1')
                    && s[8] == b' '
                    && s[9..12].iter().all(u8::is_ascii_digit)
                    && s[12] == b' ' =>
            {
                Probe::Yes
            }
            Some(_) => Probe::No,
        };
    }
    let mut any_prefix = false;
    for m in METHODS {
        let m = m.as_bytes();
        if data.len() <= m.len() {
            any_prefix |= m.starts_with(data);
            continue;
        }
        if data.starts_with(m) && data[m.len()] == b' ' {
            let window = &data[..data.len().min(super::MAX_LINE)];
            return match window.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let line = &data[..i];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if (line.ends_with(b" HTTP/1.1") || line.ends_with(b" HTTP/1.0"))
                        && is_text(line)
                    {
                        Probe::Yes
                    } else {
                        Probe::No
                    }
                }
                None if window.len() < super::MAX_LINE && is_text(window) => Probe::NeedMore,
                None => Probe::No,
            };
        }
    }
    if any_prefix {
        Probe::NeedMore
    } else {
        Probe::No
    }
}
