//! A small, allocation-free JSON writer for EVE lines.
//!
//! Serialising through `serde_json::Value` would allocate a tree per event; EVE output is the hot
//! path when per-PDU logging is on, so events are written straight into a reusable byte buffer
//! with the same open/set/close shape as Suricata's `JsonBuilder`. The writer tracks nesting so
//! commas are placed correctly; keys are trusted `&'static str`-like identifiers, values are
//! escaped.

use skjold_net::Ts;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Writes one JSON document (an EVE line) into a byte buffer.
#[derive(Debug, Default)]
pub struct JsonWriter {
    buf: Vec<u8>,
    /// One entry per open container: whether a member has been written yet.
    first: Vec<bool>,
}

impl JsonWriter {
    /// A new, empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clear the buffer for reuse, keeping its capacity.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.first.clear();
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Open the top-level object.
    pub fn start(&mut self) -> &mut Self {
        self.buf.push(b'{');
        self.first.push(true);
        self
    }

    fn sep(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if *first {
                *first = false;
            } else {
                self.buf.push(b',');
            }
        }
    }

    fn key(&mut self, key: &str) {
        self.sep();
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// Open a nested object under `key`.
    pub fn open_object(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.buf.push(b'{');
        self.first.push(true);
        self
    }

    /// Open a nested array under `key`.
    pub fn open_array(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.buf.push(b'[');
        self.first.push(true);
        self
    }

    /// Start an anonymous object inside an array.
    pub fn start_object(&mut self) -> &mut Self {
        self.sep();
        self.buf.push(b'{');
        self.first.push(true);
        self
    }

    /// Close the innermost object.
    pub fn close(&mut self) -> &mut Self {
        self.first.pop();
        self.buf.push(b'}');
        self
    }

    /// Close the innermost array.
    pub fn close_array(&mut self) -> &mut Self {
        self.first.pop();
        self.buf.push(b']');
        self
    }

    /// `"key": n`.
    pub fn set_uint(&mut self, key: &str, v: u64) -> &mut Self {
        self.key(key);
        self.push_uint(v);
        self
    }

    /// `"key": n` for a signed integer.
    pub fn set_int(&mut self, key: &str, v: i64) -> &mut Self {
        self.key(key);
        if v < 0 {
            self.buf.push(b'-');
        }
        self.push_uint(v.unsigned_abs());
        self
    }

    /// `"key": x` for a float (non-finite values become `null`).
    pub fn set_float(&mut self, key: &str, v: f64) -> &mut Self {
        self.key(key);
        if v.is_finite() {
            let mut s = String::new();
            let _ = write!(s, "{v}");
            self.buf.extend_from_slice(s.as_bytes());
        } else {
            self.buf.extend_from_slice(b"null");
        }
        self
    }

    /// `"key": true|false`.
    pub fn set_bool(&mut self, key: &str, v: bool) -> &mut Self {
        self.key(key);
        self.buf
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        self
    }

    /// `"key": "escaped string"`.
    pub fn set_str(&mut self, key: &str, v: &str) -> &mut Self {
        self.key(key);
        self.push_str(v.as_bytes());
        self
    }

    /// `"key": "..."` from raw bytes: valid UTF-8 is kept, other bytes are written as `\u00XX`
    /// escapes of their byte value (lossless, never panics on binary data).
    pub fn set_bytes_str(&mut self, key: &str, v: &[u8]) -> &mut Self {
        self.key(key);
        self.push_str(v);
        self
    }

    /// `"key": "hex"` (lowercase hex of the bytes).
    pub fn set_hex(&mut self, key: &str, v: &[u8]) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.key(key);
        self.buf.push(b'"');
        for b in v {
            self.buf.push(HEX[(b >> 4) as usize]);
            self.buf.push(HEX[(b & 15) as usize]);
        }
        self.buf.push(b'"');
        self
    }

    /// `"key": "2021-02-05T13:00:00.000000Z"`.
    pub fn set_ts(&mut self, key: &str, ts: Ts) -> &mut Self {
        self.key(key);
        self.buf.push(b'"');
        ts.write_rfc3339(&mut self.buf);
        self.buf.push(b'"');
        self
    }

    /// `"key": "192.0.2.1"` (IPv6 in its canonical text form).
    pub fn set_ip(&mut self, key: &str, ip: IpAddr) -> &mut Self {
        self.key(key);
        self.buf.push(b'"');
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                for (i, b) in o.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(b'.');
                    }
                    self.push_uint(u64::from(*b));
                }
            }
            IpAddr::V6(v6) => {
                let mut tmp = [0u8; 48];
                let mut cur = std::io::Cursor::new(&mut tmp[..]);
                // 48 bytes hold any textual IPv6 address.
                let _ = std::io::Write::write_fmt(&mut cur, format_args!("{v6}"));
                let n = cur.position() as usize;
                self.buf.extend_from_slice(&tmp[..n]);
            }
        }
        self.buf.push(b'"');
        self
    }

    /// `"key": null`.
    pub fn set_null(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.buf.extend_from_slice(b"null");
        self
    }

    /// Append an unsigned integer to the innermost array.
    pub fn append_uint(&mut self, v: u64) -> &mut Self {
        self.sep();
        self.push_uint(v);
        self
    }

    /// Append a string to the innermost array.
    pub fn append_str(&mut self, v: &str) -> &mut Self {
        self.sep();
        self.push_str(v.as_bytes());
        self
    }

    /// Append a boolean to the innermost array.
    pub fn append_bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        self
    }

    /// Write a pre-rendered JSON value (trusted to be valid JSON) under `key`.
    pub fn set_raw(&mut self, key: &str, json: &[u8]) -> &mut Self {
        self.key(key);
        self.buf.extend_from_slice(json);
        self
    }

    fn push_uint(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    fn push_str(&mut self, v: &[u8]) {
        self.buf.push(b'"');
        let mut i = 0;
        let mut start = 0;
        while i < v.len() {
            let b = v[i];
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                i += 1;
                continue;
            }
            self.buf.extend_from_slice(&v[start..i]);
            if b >= 0x80 {
                // Keep one valid UTF-8 sequence as is; escape a byte that does not start one.
                let width = match b {
                    0xc2..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf4 => 4,
                    _ => 0,
                };
                match v.get(i..i + width) {
                    Some(seq) if width > 0 && std::str::from_utf8(seq).is_ok() => {
                        self.buf.extend_from_slice(seq);
                        i += width;
                    }
                    _ => {
                        self.escape_byte(b);
                        i += 1;
                    }
                }
            } else {
                match b {
                    b'"' => self.buf.extend_from_slice(b"\\\""),
                    b'\\' => self.buf.extend_from_slice(b"\\\\"),
                    b'\n' => self.buf.extend_from_slice(b"\\n"),
                    b'\r' => self.buf.extend_from_slice(b"\\r"),
                    b'\t' => self.buf.extend_from_slice(b"\\t"),
                    _ => self.escape_byte(b),
                }
                i += 1;
            }
            start = i;
        }
        self.buf.extend_from_slice(&v[start..]);
        self.buf.push(b'"');
    }

    /// `\u00XX` for one byte (control characters, and bytes that are not UTF-8).
    fn escape_byte(&mut self, b: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.buf.extend_from_slice(b"\\u00");
        self.buf.push(HEX[(b >> 4) as usize]);
        self.buf.push(HEX[(b & 15) as usize]);
    }

    /// Start a new line in the same buffer (EVE lines are appended without a reset).
    pub fn start_line(&mut self) -> &mut Self {
        self.first.clear();
        self.start()
    }

    /// End the current line with a newline.
    pub fn end_line(&mut self) {
        self.buf.push(b'\n');
    }

    /// Bytes in the buffer.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Take the buffer's bytes out, leaving it empty with its capacity.
    pub fn drain_to(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Forget the current, unfinished line back to `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        self.first.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::JsonWriter;

    #[test]
    fn nested_objects_arrays_and_escapes_are_valid_json() {
        let mut w = JsonWriter::new();
        w.start()
            .set_uint("a", 0)
            .set_int("neg", -12)
            .set_str("s", "q\"\\\n\u{1}é")
            .open_object("o")
            .set_bool("t", true)
            .open_array("arr")
            .append_uint(1)
            .append_str("x")
            .start_object()
            .set_null("n")
            .close()
            .close_array()
            .close()
            .set_bytes_str("b", &[b'o', b'k', 0xff, b'!'])
            .set_hex("h", &[0xde, 0xad])
            .close();
        let v: serde_json::Value = serde_json::from_slice(w.as_bytes()).expect("valid json");
        assert_eq!(v["a"], 0);
        assert_eq!(v["neg"], -12);
        assert_eq!(v["s"], "q\"\\\n\u{1}é");
        assert_eq!(v["o"]["arr"][1], "x");
        assert!(v["o"]["arr"][2]["n"].is_null());
        assert_eq!(v["b"], "ok\u{ff}!");
        assert_eq!(v["h"], "dead");
    }
}
