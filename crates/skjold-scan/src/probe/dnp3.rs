//! DNP3 identification: one data-link "request link status" frame (function 9, no application
//! layer, no user data). The outstation answers with "link status" (function 11) from its link
//! address. No DNP3 parser had been merged into `skjold-proto` when this was written: the
//! 10-byte link header and its CRC are checked here.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};

/// Master address used as source.
const MASTER: u16 = 3;

/// DNP3 CRC-16 (polynomial 0x3D65, reflected, complemented).
pub(crate) fn crc(data: &[u8]) -> u16 {
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

/// Request link status to `dest`.
pub(crate) fn link_status_request(dest: u16) -> Vec<u8> {
    let d = dest.to_le_bytes();
    let s = MASTER.to_le_bytes();
    let mut f = vec![0x05, 0x64, 5, 0xC9, d[0], d[1], s[0], s[1]];
    f.extend_from_slice(&crc(&f).to_le_bytes());
    f
}

/// Destinations asked at once: 10 and 1 (the usual outstation defaults, e.g. opendnp3's 10)
/// and 0xFFFC (the "self" address outstations may answer to).
pub(crate) const DESTINATIONS: [u16; 3] = [10, 1, 0xFFFC];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    DESTINATIONS
        .iter()
        .map(|d| link_status_request(*d))
        .collect()
}

fn split(b: &[u8]) -> Frame {
    if b.len() < 2 {
        return Frame::NeedMore;
    }
    if b[0] != 0x05 || b[1] != 0x64 {
        return Frame::Invalid("no DNP3 start bytes".into());
    }
    if b.len() < 3 {
        return Frame::NeedMore;
    }
    let user = usize::from(b[2]).saturating_sub(5);
    let blocks = user.div_ceil(16);
    Frame::Complete(10 + user + blocks * 2)
}

pub(crate) async fn probe(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    // The three requests go in one segment; the first valid link status answer wins.
    let req: Vec<u8> = DESTINATIONS
        .iter()
        .flat_map(|d| link_status_request(*d))
        .collect();
    let f = c.exchange(&req, split).await?;
    c.close().await;
    if f.len() < 10 || crc(&f[..8]) != u16::from_le_bytes([f[8], f[9]]) {
        return Err(ProbeError::Garbage("DNP3 link header CRC mismatch".into()));
    }
    let ctrl = f[3];
    svc.fact("link_function", ctrl & 0x0F);
    svc.ident("link_address", u16::from_le_bytes([f[6], f[7]]).to_string());
    svc.fact("auth_required", false);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_of_a_known_header() {
        // Link status request 1 -> from 3 as seen in public captures: 05 64 05 c9 01 00 03 00 + CRC.
        let f = super::link_status_request(1);
        assert_eq!(super::crc(&f[..8]), u16::from_le_bytes([f[8], f[9]]));
        // Reset link states 0x0400 -> 0x0001 (05 64 05 c0 00 04 01 00) has CRC bytes 0x6c 0xf8... checked by
        // recomputation against the reference algorithm: value must be stable.
        assert_eq!(
            super::crc(&[0x05, 0x64, 0x05, 0xC0, 0x01, 0x00, 0x00, 0x04]).to_le_bytes(),
            [0xE9, 0x21]
        );
    }
}
