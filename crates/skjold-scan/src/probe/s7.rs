//! S7comm identification: COTP connection request, S7 setup communication, then two userdata
//! "read SZL" requests: 0x0011 (module identification: order number, hardware and firmware
//! versions) and 0x001C (component identification: PLC name, module name, serial number). No
//! other S7 function (no read/write variable, no download, no start/stop) is ever sent.
//!
//! No S7comm parser had been merged into `skjold-proto` when this was written: the minimal
//! response fields are read here.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};

/// COTP connection request to destination TSAP `dst` (0x0102: rack 0 slot 2; 0x0101: slot 1).
pub(crate) fn cotp_cr(dst: u16) -> Vec<u8> {
    let d = dst.to_be_bytes();
    vec![
        3, 0, 0, 22, 17, 0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0A, 0xC1, 2, 1, 0, 0xC2, 2, d[0], d[1],
    ]
}

/// S7 setup communication (function 0xF0), PDU size 480.
pub(crate) const SETUP: [u8; 25] = [
    3, 0, 0, 25, 2, 0xF0, 0x80, 0x32, 1, 0, 0, 0, 1, 0, 8, 0, 0, 0xF0, 0, 0, 1, 0, 1, 1, 0xE0,
];

/// Userdata request "CPU functions / read SZL" for `id` and `index`.
pub(crate) fn read_szl(pdu_ref: u16, id: u16, index: u16) -> Vec<u8> {
    let r = pdu_ref.to_be_bytes();
    let i = id.to_be_bytes();
    let x = index.to_be_bytes();
    vec![
        3, 0, 0, 33, 2, 0xF0, 0x80, // TPKT, COTP DT
        0x32, 7, 0, 0, r[0], r[1], 0, 8, 0, 8, // S7 header: userdata, param 8, data 8
        0, 1, 0x12, 4, 0x11, 0x44, 1,
        0, // param: request, type 4 group 4 (CPU), subfunction 1
        0xFF, 9, 0, 4, i[0], i[1], x[0], x[1], // data: SZL id and index
    ]
}

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![
        cotp_cr(0x0102),
        cotp_cr(0x0101),
        SETUP.to_vec(),
        read_szl(2, 0x0011, 0),
        read_szl(3, 0x001C, 0),
    ]
}

fn split_tpkt(b: &[u8]) -> Frame {
    if b.len() < 4 {
        return Frame::NeedMore;
    }
    if b[0] != 3 || b[1] != 0 {
        return Frame::Invalid("not a TPKT header".into());
    }
    let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    if len < 7 {
        return Frame::Invalid("TPKT length below 7".into());
    }
    Frame::Complete(len)
}

/// The data part of an S7 userdata response with its SZL records: (record length, records).
pub(crate) fn szl_records(pdu: &[u8]) -> Option<(usize, &[u8])> {
    // TPKT 4 + COTP DT 3, then the S7 header.
    let s7 = pdu.get(7..)?;
    if s7.first() != Some(&0x32) || s7.get(1) != Some(&7) {
        return None;
    }
    let plen = usize::from(u16::from_be_bytes([*s7.get(6)?, *s7.get(7)?]));
    let data = s7.get(10 + plen..)?;
    if data.first() != Some(&0xFF) {
        return None;
    }
    // return code, transport size, length(2), SZL id(2), index(2), record length(2), count(2)
    let rec_len = usize::from(u16::from_be_bytes([*data.get(8)?, *data.get(9)?]));
    let count = usize::from(u16::from_be_bytes([*data.get(10)?, *data.get(11)?]));
    let recs = data.get(12..)?;
    let n = (rec_len * count).min(recs.len());
    Some((rec_len, &recs[..n]))
}

fn text(b: &[u8]) -> String {
    crate::net::printable(b.split(|c| *c == 0).next().unwrap_or_default())
}

pub(crate) async fn probe(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let mut cc = c.exchange(&cotp_cr(0x0102), split_tpkt).await?;
    if cc.get(5) != Some(&0xD0) {
        c.close().await;
        c = Conn::open(ctx.addr, ctx.timeout).await?;
        cc = c.exchange(&cotp_cr(0x0101), split_tpkt).await?;
    }
    if cc.get(5) != Some(&0xD0) {
        return Err(ProbeError::Garbage("COTP connection not confirmed".into()));
    }
    let setup = c.exchange(&SETUP, split_tpkt).await?;
    if setup.get(7) != Some(&0x32) || setup.get(8) != Some(&3) {
        return Err(ProbeError::Garbage(
            "S7 setup communication not acknowledged".into(),
        ));
    }
    if let (Some(a), Some(b)) = (setup.get(25), setup.get(26)) {
        svc.fact("pdu_size", u16::from_be_bytes([*a, *b]));
    }
    svc.fact("setup_accepted", true);
    svc.fact("auth_required", false);
    if let Ok(r) = c.exchange(&read_szl(2, 0x0011, 0), split_tpkt).await {
        if let Some((len, recs)) = szl_records(&r) {
            for rec in recs.chunks(len.max(1)).filter(|x| x.len() >= 28) {
                let idx = u16::from_be_bytes([rec[0], rec[1]]);
                match idx {
                    1 => svc.ident("order_number", text(&rec[2..22])),
                    6 => svc.ident(
                        "hardware_version",
                        u16::from_be_bytes([rec[26], rec[27]]).to_string(),
                    ),
                    7 => svc.ident("version", format!("V{}.{}.{}", rec[25], rec[26], rec[27])),
                    _ => {}
                }
            }
        }
    }
    if let Ok(r) = c.exchange(&read_szl(3, 0x001C, 0), split_tpkt).await {
        if let Some((len, recs)) = szl_records(&r) {
            for rec in recs.chunks(len.max(1)).filter(|x| x.len() >= 2) {
                let idx = u16::from_be_bytes([rec[0], rec[1]]);
                let t = text(&rec[2..]);
                match idx {
                    1 => svc.ident("name", t),
                    2 => svc.ident("module", t),
                    3 => svc.ident("plant_id", t),
                    4 => svc.ident("copyright", t),
                    5 => svc.ident("serial", t),
                    7 => svc.ident("product", t),
                    _ => {}
                }
            }
        }
    }
    if svc
        .identity
        .get("copyright")
        .is_some_and(|c| c.contains("Siemens"))
        || svc.identity.contains_key("order_number")
    {
        svc.ident("vendor", "Siemens");
    }
    c.close().await;
    Ok(())
}
