//! EtherNet/IP identification: the encapsulation command `ListIdentity` (0x0063), over TCP or UDP
//! 44818. It carries no CIP service at all. No EtherNet/IP parser had been merged into
//! `skjold-proto` when this was written: the identity item is read here.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};

/// `ListIdentity` request (24-byte encapsulation header, no data).
pub(crate) const LIST_IDENTITY: [u8; 24] = [
    0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b's', b'k', b'j', b'o', b'l', b'd', 0, 0, 0, 0, 0, 0,
];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![LIST_IDENTITY.to_vec()]
}

pub(crate) fn split(b: &[u8]) -> Frame {
    if b.len() < 24 {
        return Frame::NeedMore;
    }
    if b[0] != 0x63 || b[1] != 0 {
        return Frame::Invalid("not a ListIdentity reply".into());
    }
    Frame::Complete(24 + usize::from(u16::from_le_bytes([b[2], b[3]])))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Fills the identity from a `ListIdentity` reply; false when it has no identity item.
pub(crate) fn parse_reply(b: &[u8], svc: &mut Service) -> bool {
    if b.len() < 26 || b[0] != 0x63 {
        return false;
    }
    let items = le16(b, 24).unwrap_or(0);
    if items == 0 || le16(b, 26) != Some(0x000C) {
        return false;
    }
    let Some(d) = b.get(30..) else { return false };
    // version(2) sockaddr(16) vendor(2) type(2) product(2) rev(2) status(2) serial(4) name state
    let (Some(vendor), Some(dtype), Some(pcode)) = (le16(d, 18), le16(d, 20), le16(d, 22)) else {
        return false;
    };
    svc.ident("vendor_id", vendor.to_string());
    if let Some(v) = vendor_name(vendor) {
        svc.ident("vendor", v);
    }
    svc.ident("device_type", dtype.to_string());
    svc.ident("product_code", pcode.to_string());
    if let (Some(maj), Some(min)) = (d.get(24), d.get(25)) {
        svc.ident("version", format!("{maj}.{min}"));
    }
    if let Some(s) = d.get(28..32) {
        svc.ident(
            "serial",
            format!("{:#010x}", u32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        );
    }
    if let Some(&n) = d.get(32) {
        if let Some(name) = d.get(33..33 + usize::from(n)) {
            svc.ident("product", crate::net::printable(name));
        }
    }
    svc.fact("auth_required", false);
    true
}

/// A few CIP vendor ids (ODVA registry) for readable reports.
fn vendor_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1 => "Rockwell Automation/Allen-Bradley",
        5 => "Rockwell Automation/Reliance Electric",
        40 => "WAGO",
        44 => "Parker Hannifin",
        47 => "Omron",
        90 => "HMS Industrial Networks",
        243 => "Schneider Electric",
        283 => "Hilscher",
        674 => "Beckhoff",
        1251 => "Siemens",
        _ => return None,
    })
}

pub(crate) async fn probe(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let r = c.exchange(&LIST_IDENTITY, split).await?;
    c.close().await;
    if parse_reply(&r, svc) {
        Ok(())
    } else {
        Err(ProbeError::Garbage(
            "ListIdentity reply without an identity item".into(),
        ))
    }
}
