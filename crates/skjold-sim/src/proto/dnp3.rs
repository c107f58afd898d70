//! DNP3 outstation over TCP 20000 (IEEE 1815 data link layer), at the identity's
//! `dnp3_address` (default 10): Request Link Status → Link
//! Status, Reset Link States → ACK, with correct CRCs. User data frames are reassembled from
//! their CRC-protected blocks so the application function is recorded (1 READ is read-only,
//! everything that writes, selects, operates, restarts or changes configuration is a write);
//! a READ is answered with a null response (no objects, IIN device restart cleared).

use super::{fill, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::Protocol;

/// DNP3 CRC-16 (polynomial 0x3D65, reflected, complemented).
pub fn crc(data: &[u8]) -> u16 {
    let mut c: u16 = 0;
    for &b in data {
        c ^= u16::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xA6BC
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A link frame with header `ctrl`, `dest`, `src` and user data (split in 16-byte blocks).
pub fn frame(ctrl: u8, dest: u16, src: u16, user: &[u8]) -> Vec<u8> {
    let mut h = vec![0x05, 0x64, (5 + user.len()) as u8, ctrl];
    h.extend_from_slice(&dest.to_le_bytes());
    h.extend_from_slice(&src.to_le_bytes());
    let c = crc(&h);
    h.extend_from_slice(&c.to_le_bytes());
    for block in user.chunks(16) {
        h.extend_from_slice(block);
        h.extend_from_slice(&crc(block).to_le_bytes());
    }
    h
}

fn app_name(f: u8) -> (&'static str, bool) {
    match f {
        0 => ("confirm", false),
        1 => ("read", false),
        2 => ("write", true),
        3 => ("select", true),
        4 => ("operate", true),
        5 => ("direct_operate", true),
        6 => ("direct_operate_nr", true),
        13 => ("cold_restart", true),
        14 => ("warm_restart", true),
        23 => ("delay_measure", false),
        _ => ("application_function", true),
    }
}

/// Serve one connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let mut buf = Vec::new();
    let mut app_seq = 0u8;
    loop {
        if !fill(&mut s, &mut buf, 10).await {
            return;
        }
        if buf[0] != 0x05 || buf[1] != 0x64 || buf[2] < 5 {
            return;
        }
        if crc(&buf[..8]) != super::le16(&buf, 8) {
            return;
        }
        let user_len = usize::from(buf[2]) - 5;
        let total = 10 + user_len + 2 * user_len.div_ceil(16);
        if !fill(&mut s, &mut buf, total).await {
            return;
        }
        let f: Vec<u8> = buf.drain(..total).collect();
        let ctrl = f[3];
        let dest = super::le16(&f, 4);
        let src = super::le16(&f, 6);
        // Only primary frames from a master (DIR=1, PRM=1) addressed to us are answered.
        if ctrl & 0xC0 != 0xC0 {
            continue;
        }
        let mut user = Vec::with_capacity(user_len);
        let mut ok = true;
        for block in f[10..].chunks(18) {
            let (data, c) = block.split_at(block.len() - 2);
            ok &= crc(data) == super::le16(c, 0);
            user.extend_from_slice(data);
        }
        let func = ctrl & 0x0F;
        match func {
            9 => ctx.rec(
                Transport::Tcp,
                Protocol::Dnp3,
                9,
                "request_link_status",
                false,
                false,
            ),
            0 => ctx.rec(
                Transport::Tcp,
                Protocol::Dnp3,
                0,
                "reset_link_states",
                true,
                false,
            ),
            2 => ctx.rec(
                Transport::Tcp,
                Protocol::Dnp3,
                2,
                "test_link_states",
                false,
                false,
            ),
            3 | 4 => {
                // Transport header, application control, function.
                let af = user.get(2).copied().unwrap_or(0xFF);
                let (name, write) = app_name(af);
                ctx.rec(
                    Transport::Tcp,
                    Protocol::Dnp3,
                    0x100 | u32::from(af),
                    name,
                    write,
                    false,
                );
            }
            _ => ctx.rec(
                Transport::Tcp,
                Protocol::Dnp3,
                u32::from(func),
                "link_function",
                true,
                false,
            ),
        }
        if dest != ctx.dev.spec.identity.dnp3_address || !ok {
            continue;
        }
        // Secondary frames from the outstation: DIR=0, PRM=0.
        let reply = match func {
            9 => frame(0x0B, src, dest, &[]),
            0 | 2 => frame(0x00, src, dest, &[]),
            3 | 4 => {
                let mut out = if func == 3 {
                    frame(0x00, src, dest, &[])
                } else {
                    Vec::new()
                };
                if user.get(2) == Some(&1) {
                    // Null response: transport FIR|FIN, application FIR|FIN with the request's
                    // sequence, function 129 RESPONSE, IIN 0x00 0x00.
                    let seq = user.get(1).map_or(0, |c| c & 0x0F);
                    let t = 0xC0 | (app_seq & 0x3F);
                    app_seq = app_seq.wrapping_add(1);
                    out.extend(frame(0x44, src, dest, &[t, 0xC0 | seq, 0x81, 0x00, 0x00]));
                }
                out
            }
            _ => Vec::new(),
        };
        if !reply.is_empty() && !send(&mut s, &reply).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{crc, frame};

    #[test]
    fn link_status_request_has_the_known_crc() {
        // Request Link Status from master 1 to outstation 10; tshark 4 reports this header
        // CRC (0xDAFE) as good, and the READ chunk c0c1013c0106 as 0x73F9.
        let f = frame(0xC9, 10, 1, &[]);
        assert_eq!(
            f,
            [0x05, 0x64, 0x05, 0xC9, 0x0A, 0x00, 0x01, 0x00, 0xFE, 0xDA]
        );
        assert_eq!(crc(&[0xC0, 0xC1, 0x01, 0x3C, 0x01, 0x06]), 0x73F9);
    }
}
