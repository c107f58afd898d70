//! Socket helpers for probes: bounded reads with a deadline per exchange, so a peer that never
//! answers, trickles bytes or floods garbage cannot hold a probe past its timeout.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout_at, Instant};

/// Most bytes a probe keeps from one answer.
pub(crate) const MAX_ANSWER: usize = 64 * 1024;

/// Why a probe exchange ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProbeError {
    /// No (complete) answer before the deadline.
    Timeout,
    /// The peer closed the connection.
    Closed,
    /// The answer is not the expected protocol.
    Garbage(String),
    /// A socket error.
    Io(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer before the timeout"),
            Self::Closed => f.write_str("connection closed by the peer"),
            Self::Garbage(s) => write!(f, "unexpected answer: {s}"),
            Self::Io(s) => write!(f, "socket error: {s}"),
        }
    }
}

/// Result of a probe step.
pub(crate) type PResult<T> = Result<T, ProbeError>;

/// Opens a TCP connection with a timeout.
pub(crate) async fn connect(addr: SocketAddr, timeout: Duration) -> PResult<TcpStream> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(ProbeError::Timeout),
        Ok(Err(e)) => Err(ProbeError::Io(e.to_string())),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// A TCP connection with an input buffer.
pub(crate) struct Conn {
    s: TcpStream,
    /// Bytes received and not yet consumed.
    pub(crate) buf: Vec<u8>,
    timeout: Duration,
}

/// What a frame splitter says about the buffered bytes.
pub(crate) enum Frame {
    /// A complete frame of this many bytes is at the front.
    Complete(usize),
    /// More bytes are needed.
    NeedMore,
    /// The bytes cannot be this protocol.
    Invalid(String),
}

impl Conn {
    /// Wraps a connected stream; every exchange gets `timeout`.
    pub(crate) fn new(s: TcpStream, timeout: Duration) -> Self {
        Self {
            s,
            buf: Vec::new(),
            timeout,
        }
    }

    /// Connects to `addr`.
    pub(crate) async fn open(addr: SocketAddr, timeout: Duration) -> PResult<Self> {
        Ok(Self::new(connect(addr, timeout).await?, timeout))
    }

    /// Sends bytes (bounded by the timeout).
    pub(crate) async fn send(&mut self, data: &[u8]) -> PResult<()> {
        match tokio::time::timeout(self.timeout, self.s.write_all(data)).await {
            Err(_) => Err(ProbeError::Timeout),
            Ok(Err(e)) => Err(ProbeError::Io(e.to_string())),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn fill(&mut self, deadline: Instant) -> PResult<()> {
        let mut tmp = [0u8; 4096];
        match timeout_at(deadline, self.s.read(&mut tmp)).await {
            Err(_) => Err(ProbeError::Timeout),
            Ok(Err(e)) => Err(ProbeError::Io(e.to_string())),
            Ok(Ok(0)) => Err(ProbeError::Closed),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&tmp[..n]);
                if self.buf.len() > MAX_ANSWER {
                    return Err(ProbeError::Garbage(format!(
                        "answer longer than {MAX_ANSWER} bytes"
                    )));
                }
                Ok(())
            }
        }
    }

    /// Reads until `split` finds a complete frame, then removes and returns it. The whole
    /// exchange is bounded by the timeout.
    pub(crate) async fn frame(&mut self, split: impl Fn(&[u8]) -> Frame) -> PResult<Vec<u8>> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match split(&self.buf) {
                Frame::Complete(n) if n <= self.buf.len() => {
                    return Ok(self.buf.drain(..n).collect());
                }
                Frame::Invalid(why) => return Err(ProbeError::Garbage(why)),
                _ => {}
            }
            self.fill(deadline).await?;
        }
    }

    /// Sends a request and reads one framed answer.
    pub(crate) async fn exchange(
        &mut self,
        req: &[u8],
        split: impl Fn(&[u8]) -> Frame,
    ) -> PResult<Vec<u8>> {
        self.send(req).await?;
        self.frame(split).await
    }

    /// Reads a line (up to `\n`), for banners; at most 1024 bytes.
    pub(crate) async fn line(&mut self) -> PResult<String> {
        let raw = self
            .frame(|b| match b.iter().position(|&c| c == b'\n') {
                Some(i) => Frame::Complete(i + 1),
                None if b.len() >= 1024 => Frame::Complete(b.len()),
                None => Frame::NeedMore,
            })
            .await?;
        Ok(printable(&raw))
    }

    /// Reads whatever arrives within `wait` (for unsolicited banners); empty when nothing.
    pub(crate) async fn peek_banner(&mut self, wait: Duration) -> PResult<()> {
        let deadline = Instant::now() + wait;
        match self.fill(deadline).await {
            Ok(()) | Err(ProbeError::Timeout) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Shuts the connection down politely.
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.s.shutdown()).await;
    }
}

/// Text of a banner: printable ASCII kept, the rest dropped, trimmed, at most 200 characters.
pub(crate) fn printable(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                ' '
            }
        })
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.chars().take(200).collect()
}

/// Sends one UDP datagram and waits for one answer from the same peer.
pub(crate) async fn udp_exchange(
    addr: SocketAddr,
    req: &[u8],
    timeout: Duration,
) -> PResult<Vec<u8>> {
    let bind: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().unwrap_or_else(|_| unreachable!())
    } else {
        "[::]:0".parse().unwrap_or_else(|_| unreachable!())
    };
    let sock = UdpSocket::bind(bind)
        .await
        .map_err(|e| ProbeError::Io(e.to_string()))?;
    sock.connect(addr)
        .await
        .map_err(|e| ProbeError::Io(e.to_string()))?;
    sock.send(req)
        .await
        .map_err(|e| ProbeError::Io(e.to_string()))?;
    let mut buf = vec![0u8; 65_536];
    match tokio::time::timeout(timeout, sock.recv(&mut buf)).await {
        Err(_) => Err(ProbeError::Timeout),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(ProbeError::Closed),
        Ok(Err(e)) => Err(ProbeError::Io(e.to_string())),
        Ok(Ok(n)) => {
            buf.truncate(n);
            Ok(buf)
        }
    }
}
