//! Misbehaving services for the scanner's robustness tests: `garbage` sends 512 pseudo-random
//! bytes on connect and after every read; `silent` accepts and never sends anything (the
//! connection is held until the client closes or ten minutes pass); `close` closes at once;
//! `trickle` sends a banner one byte per second for as long as the client stays.

use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::{send, Ctx, Rng, Stream};
use crate::recorder::Transport;
use crate::spec::Protocol;

/// How long `silent` and `trickle` hold a connection at most.
pub const HOLD: Duration = Duration::from_secs(600);
/// What `trickle` sends, one byte per second, repeated.
pub const TRICKLE_TEXT: &[u8] = b"220 slow service ready\r\n";
/// Bytes `garbage` sends at once.
pub const GARBAGE_CHUNK: usize = 512;

/// Serve one connection of a robustness service.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx, protocol: Protocol) {
    ctx.rec(Transport::Tcp, protocol, 0, "connect", false, false);
    match protocol {
        Protocol::Garbage => {
            let mut rng = Rng::new(0x5EED ^ ((ctx.dev.index as u64) << 16) ^ u64::from(ctx.port));
            let mut chunk = [0u8; 4096];
            for _ in 0..64 {
                if !send(&mut s, &rng.bytes(GARBAGE_CHUNK)).await {
                    return;
                }
                match tokio::time::timeout(super::IDLE, s.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                }
            }
        }
        Protocol::Silent => {
            let mut chunk = [0u8; 4096];
            let _ = tokio::time::timeout(HOLD, async {
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        }
        Protocol::Trickle => {
            let _ = tokio::time::timeout(HOLD, async {
                for &b in TRICKLE_TEXT.iter().cycle() {
                    // A write fails soon after the client has closed.
                    if !send(&mut s, &[b]).await {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
            .await;
        }
        // Close: dropping the stream closes it.
        _ => {}
    }
}
