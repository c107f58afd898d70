//! IEC 60870-5-104 controlled station (APCI per IEC 60870-5-104 §5) on TCP 2404: U-format
//! TESTFR act → TESTFR con, STARTDT act → con, STOPDT act → con; I-format ASDUs are recorded by
//! type identification (commands, clock synchronisation, reset and parameter loading are writes;
//! STARTDT and STOPDT change the connection state and count as writes too) and acknowledged with
//! an S-format frame.

use super::{fill, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::Protocol;

/// Whether an ASDU type identification is read-only (interrogation, counter interrogation,
/// read command, test command).
fn type_read_only(ti: u8) -> bool {
    matches!(ti, 100 | 101 | 102 | 104 | 107)
}

/// Serve one connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let mut buf = Vec::new();
    let mut recv_seq: u16 = 0;
    loop {
        if !fill(&mut s, &mut buf, 2).await {
            return;
        }
        let len = usize::from(buf[1]);
        if buf[0] != 0x68 || !(4..=253).contains(&len) {
            return;
        }
        if !fill(&mut s, &mut buf, 2 + len).await {
            return;
        }
        let apdu: Vec<u8> = buf.drain(..2 + len).collect();
        let c1 = apdu[2];
        let reply: Option<[u8; 6]> = if c1 & 0x03 == 0x03 {
            // U-format: exactly one function bit.
            let (name, write, con) = match c1 {
                0x43 => ("testfr_act", false, Some(0x83)),
                0x07 => ("startdt_act", true, Some(0x0B)),
                0x13 => ("stopdt_act", true, Some(0x23)),
                0x83 => ("testfr_con", false, None),
                _ => ("u_format", true, None),
            };
            ctx.rec(
                Transport::Tcp,
                Protocol::Iec104,
                u32::from(c1),
                name,
                write,
                false,
            );
            con.map(|c| [0x68, 0x04, c, 0x00, 0x00, 0x00])
        } else if c1 & 0x01 == 0x01 {
            ctx.rec(
                Transport::Tcp,
                Protocol::Iec104,
                0x01,
                "s_format",
                false,
                false,
            );
            None
        } else {
            let ti = apdu.get(6).copied().unwrap_or(0);
            ctx.rec(
                Transport::Tcp,
                Protocol::Iec104,
                0x100 | u32::from(ti),
                format!("asdu type {ti}"),
                !type_read_only(ti),
                false,
            );
            recv_seq = recv_seq.wrapping_add(1) & 0x7FFF;
            let n = (recv_seq << 1).to_le_bytes();
            Some([0x68, 0x04, 0x01, 0x00, n[0], n[1]])
        };
        if let Some(r) = reply {
            if !send(&mut s, &r).await {
                return;
            }
        }
    }
}
