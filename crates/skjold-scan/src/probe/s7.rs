//! S7comm identification: COTP connection request, S7 setup communication, then two userdata
//! "read SZL" requests: 0x0011 (module identification: order number, hardware and firmware
//! versions) and 0x001C (component identification: PLC name, module name, serial number). No
//! other S7 function (no read/write variable, no download, no start/stop) is ever sent.
//!
//! Answers are parsed with `skjold_proto::s7comm` (TPKT, COTP, S7 header and parameters,
//! userdata data, SZL records).

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::s7comm::{self as s7p, CotpType, Param};
use skjold_proto::ParseError;

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
    match s7p::parse_tpkt(b) {
        Ok((rest, _)) => Frame::Complete(b.len() - rest.len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("TPKT: {e}")),
    }
}

/// The COTP TPDU type of a framed TPKT packet.
fn cotp_kind(pkt: &[u8]) -> Option<CotpType> {
    let (_, tpdu) = s7p::parse_tpkt(pkt).ok()?;
    s7p::parse_cotp(tpdu).ok().map(|c| c.kind)
}

/// The S7 PDU carried by a framed TPKT/COTP DT packet.
fn s7_pdu(pkt: &[u8]) -> Option<s7p::S7Pdu<'_>> {
    let (_, tpdu) = s7p::parse_tpkt(pkt).ok()?;
    let c = s7p::parse_cotp(tpdu).ok()?;
    if c.kind != CotpType::DT {
        return None;
    }
    s7p::parse_s7(c.data).ok()
}

/// The SZL records of a userdata response.
pub(crate) fn szl_records(pkt: &[u8]) -> Option<Vec<&[u8]>> {
    let pdu = s7_pdu(pkt)?;
    let d = s7p::parse_userdata_data(pdu.data)?;
    if d.return_code != 0xFF {
        return None;
    }
    let szl = s7p::parse_szl(d.payload)?;
    Some(szl.iter().collect())
}

fn text(b: &[u8]) -> String {
    crate::net::printable(s7p::szl_text(b))
}

pub(crate) async fn probe(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let mut cc = c.exchange(&cotp_cr(0x0102), split_tpkt).await?;
    if cotp_kind(&cc) != Some(CotpType::CC) {
        c.close().await;
        c = Conn::open(ctx.addr, ctx.timeout).await?;
        cc = c.exchange(&cotp_cr(0x0101), split_tpkt).await?;
    }
    if cotp_kind(&cc) != Some(CotpType::CC) {
        return Err(ProbeError::Garbage("COTP connection not confirmed".into()));
    }
    let setup = c.exchange(&SETUP, split_tpkt).await?;
    let pdu = s7_pdu(&setup).ok_or_else(|| ProbeError::Garbage("not an S7 PDU".into()))?;
    match (pdu.rosctr.0, &pdu.param, pdu.error_class) {
        (3, Param::Setup { pdu_length, .. }, None | Some(0)) => svc.fact("pdu_size", *pdu_length),
        _ => {
            return Err(ProbeError::Garbage(
                "S7 setup communication not acknowledged".into(),
            ))
        }
    }
    svc.fact("setup_accepted", true);
    svc.fact("auth_required", false);
    if let Ok(r) = c.exchange(&read_szl(2, 0x0011, 0), split_tpkt).await {
        for rec in szl_records(&r).unwrap_or_default() {
            let Some(m) = s7p::parse_module_id(rec) else {
                continue;
            };
            match m.index {
                1 => svc.ident("order_number", text(m.order_number)),
                6 => svc.ident("hardware_version", m.ausbe.unwrap_or(0).to_string()),
                7 => {
                    // Firmware: 'V' and the major in Ausbg, minor and patch in Ausbe.
                    if let (Some(g), Some(e)) = (m.ausbg, m.ausbe) {
                        svc.ident("version", format!("V{}.{}.{}", g & 0xFF, e >> 8, e & 0xFF));
                    }
                }
                _ => {}
            }
        }
    }
    if let Ok(r) = c.exchange(&read_szl(3, 0x001C, 0), split_tpkt).await {
        for rec in szl_records(&r).unwrap_or_default() {
            let Some((idx, body)) = s7p::parse_component_id(rec) else {
                continue;
            };
            let t = text(body);
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
