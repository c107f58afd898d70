//! BACnet/IP identification (UDP 47808): a unicast Who-Is, the I-Am answer (device instance,
//! vendor id), then confirmed `ReadProperty` requests on the device object (object-name,
//! vendor-name, model-name, firmware-revision, application-software-version). Only Who-Is and
//! `ReadProperty` are ever sent. No BACnet parser had been merged into `skjold-proto` when this
//! was written: BVLC, NPDU and the few APDU fields needed are read here.

use super::Ctx;
use crate::model::Service;
use crate::net::{udp_exchange, PResult, ProbeError};

/// Who-Is, BVLC original-unicast, no range.
pub(crate) const WHO_IS: [u8; 8] = [0x81, 0x0A, 0, 8, 1, 0, 0x10, 0x08];

/// Properties read on the device object, with the identity key they fill.
pub(crate) const PROPERTIES: [(u8, &str); 5] = [
    (77, "name"),
    (121, "vendor"),
    (70, "model"),
    (44, "version"),
    (12, "application_version"),
];

/// Confirmed `ReadProperty` of `property` of device `instance`.
pub(crate) fn read_property(invoke: u8, instance: u32, property: u8) -> Vec<u8> {
    let oid = ((8u32 << 22) | (instance & 0x3F_FFFF)).to_be_bytes();
    let mut v = vec![0x81, 0x0A, 0, 0, 1, 0x04, 0x00, 0x05, invoke, 0x0C, 0x0C];
    v.extend_from_slice(&oid);
    v.extend_from_slice(&[0x19, property]);
    let len = (v.len() as u16).to_be_bytes();
    v[2] = len[0];
    v[3] = len[1];
    v
}

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    let mut v = vec![WHO_IS.to_vec()];
    for (p, _) in PROPERTIES {
        v.push(read_property(1, 4_194_302, p));
    }
    v
}

/// The APDU of a BACnet/IP datagram (after BVLC and NPDU).
pub(crate) fn apdu(d: &[u8]) -> Option<&[u8]> {
    if d.first() != Some(&0x81) || d.len() < 6 {
        return None;
    }
    let n = d.get(4..)?;
    if n.first() != Some(&1) {
        return None;
    }
    let ctrl = *n.get(1)?;
    if ctrl & 0x80 != 0 {
        return None; // network layer message
    }
    let mut p = 2;
    if ctrl & 0x20 != 0 {
        p += 3 + usize::from(*n.get(p + 2)?);
    }
    if ctrl & 0x08 != 0 {
        p += 3 + usize::from(*n.get(p + 2)?);
    }
    if ctrl & 0x20 != 0 {
        p += 1;
    }
    n.get(p..)
}

/// Parses an I-Am: (device instance, vendor id).
pub(crate) fn parse_i_am(a: &[u8]) -> Option<(u32, u32)> {
    if a.first() != Some(&0x10) || a.get(1) != Some(&0x00) || a.get(2) != Some(&0xC4) {
        return None;
    }
    let oid = u32::from_be_bytes([*a.get(3)?, *a.get(4)?, *a.get(5)?, *a.get(6)?]);
    let instance = oid & 0x3F_FFFF;
    // max-APDU (unsigned), segmentation (enumerated), vendor id (unsigned)
    let mut p = 7;
    let mut vendor = 0;
    for i in 0..3 {
        let tag = *a.get(p)?;
        let len = usize::from(tag & 7);
        let mut x = 0u32;
        for b in a.get(p + 1..p + 1 + len)? {
            x = (x << 8) | u32::from(*b);
        }
        if i == 2 {
            vendor = x;
        }
        p += 1 + len;
    }
    Some((instance, vendor))
}

/// The character-string value of a `ReadProperty` `ComplexACK`.
pub(crate) fn parse_string_ack(a: &[u8], invoke: u8) -> Option<String> {
    if a.first()? & 0xF0 != 0x30 || a.get(1) != Some(&invoke) || a.get(2) != Some(&0x0C) {
        return None;
    }
    let open = a.iter().position(|b| *b == 0x3E)?;
    let tag = *a.get(open + 1)?;
    if tag >> 4 != 7 {
        return None;
    }
    let (len, start) = match tag & 7 {
        5 => (usize::from(*a.get(open + 2)?), open + 3),
        l => (usize::from(l), open + 2),
    };
    let s = a.get(start..start + len)?;
    // first byte: character set (0 = UTF-8)
    Some(crate::net::printable(s.get(1..)?))
}

pub(crate) async fn probe(ctx: &Ctx, svc: &mut Service) -> PResult<()> {
    let r = udp_exchange(ctx.addr, &WHO_IS, ctx.timeout).await?;
    let a = apdu(&r).ok_or_else(|| ProbeError::Garbage("not a BACnet/IP answer".into()))?;
    let (instance, vendor) =
        parse_i_am(a).ok_or_else(|| ProbeError::Garbage("answer to Who-Is is not I-Am".into()))?;
    svc.ident("device_instance", instance.to_string());
    svc.ident("vendor_id", vendor.to_string());
    svc.fact("auth_required", false);
    for (i, (prop, key)) in PROPERTIES.iter().enumerate() {
        let invoke = i as u8 + 1;
        let Ok(r) = udp_exchange(
            ctx.addr,
            &read_property(invoke, instance, *prop),
            ctx.timeout,
        )
        .await
        else {
            break;
        };
        if let Some(s) = apdu(&r).and_then(|a| parse_string_ack(a, invoke)) {
            svc.ident(key, s);
        }
    }
    Ok(())
}
