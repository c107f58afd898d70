//! Protocol servers of the simulated devices, one module per protocol, and the small I/O helpers
//! they share. Every TCP server is generic over the stream so HTTP also runs over TLS.

pub mod bacnet;
pub mod banners;
pub mod coap;
pub mod dnp3;
pub mod enip;
pub mod http;
pub mod iec104;
pub mod modbus;
pub mod mqtt;
pub mod opcua;
pub mod robust;
pub mod s7;
pub mod snmp;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::recorder::{Request, Transport};
use crate::spec::{Protocol, ServiceSpec};
use crate::Device;

/// How long a connection may stay idle before the device drops it.
pub(crate) const IDLE: Duration = Duration::from_secs(30);
/// Largest buffered request; a client sending more without a complete PDU is dropped.
pub(crate) const MAX_BUF: usize = 64 * 1024;

/// Where a handler runs: the device, the service and its port.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) dev: Arc<Device>,
    pub(crate) svc: ServiceSpec,
    pub(crate) port: u16,
}

impl Ctx {
    /// Record one request.
    pub(crate) fn rec(
        &self,
        transport: Transport,
        protocol: Protocol,
        code: u32,
        service: impl Into<String>,
        write: bool,
        login: bool,
    ) {
        self.dev.recorder.push(Request {
            device: self.dev.index,
            addr: self.dev.addr,
            port: self.port,
            transport,
            protocol,
            code,
            service: service.into(),
            write,
            login,
        });
    }
}

/// A byte stream a TCP service runs on (plain TCP or TLS).
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Read more bytes into `buf`. `false` on end of stream, error, idle timeout or overflow.
pub(crate) async fn read_more<S: Stream>(s: &mut S, buf: &mut Vec<u8>) -> bool {
    if buf.len() >= MAX_BUF {
        return false;
    }
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(IDLE, s.read(&mut chunk)).await {
        Ok(Ok(n)) if n > 0 => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
        _ => false,
    }
}

/// Make `buf` hold at least `n` bytes. `false` if the stream ended first.
pub(crate) async fn fill<S: Stream>(s: &mut S, buf: &mut Vec<u8>, n: usize) -> bool {
    if n > MAX_BUF {
        return false;
    }
    while buf.len() < n {
        if !read_more(s, buf).await {
            return false;
        }
    }
    true
}

/// Write all of `data`; `false` on error.
pub(crate) async fn send<S: Stream>(s: &mut S, data: &[u8]) -> bool {
    s.write_all(data).await.is_ok() && s.flush().await.is_ok()
}

/// Read one CR LF (or LF) terminated line, without the terminator; `None` on end of stream.
pub(crate) async fn read_line<S: Stream>(s: &mut S, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line);
            return Some(text.trim_end_matches(['\r', '\n']).to_string());
        }
        if buf.len() > 4096 || !read_more(s, buf).await {
            return None;
        }
    }
}

/// Big-endian u16 at `at` (caller checked the length).
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Little-endian u16 at `at` (caller checked the length).
pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Little-endian u32 at `at` (caller checked the length).
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Standard base64 decoding (RFC 4648, padding optional); `None` on a bad character.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Small deterministic generator (xorshift64*) for garbage bytes and ids.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 32) as u8).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_decodes_basic_auth() {
        assert_eq!(base64_decode("YWRtaW46YWRtaW4=").unwrap(), b"admin:admin");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert!(base64_decode("a b").is_none());
    }
}
