//! BACnet/IP identification (UDP 47808): a unicast Who-Is, the I-Am answer (device instance,
//! vendor id), then confirmed `ReadProperty` requests on the device object (object-name,
//! vendor-name, model-name, firmware-revision, application-software-version). Only Who-Is and
//! `ReadProperty` are ever sent. No BACnet parser had been merged into `skjold-proto` when this
//! was written: BVLC, NPDU and the few APDU fields needed are read here.

use super::Ctx;
use crate::model::Service;
use crate::net::{udp_exchange, PResult, ProbeError};
use skjold_proto::bacnet::{self as bn, Service as BnService, Value};

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

/// The APDU of a BACnet/IP datagram (after BVLC and NPDU); None for network messages.
pub(crate) fn apdu(d: &[u8]) -> Option<&[u8]> {
    let b = bn::parse_bvlc(d).ok()?;
    let n = bn::parse_npdu(b.npdu?).ok()?;
    (!n.is_network_message()).then_some(n.payload)
}

/// Parses an I-Am: (device instance, vendor id).
pub(crate) fn parse_i_am(a: &[u8]) -> Option<(u32, u32)> {
    let apdu = bn::parse_apdu(a).ok()?;
    match bn::decode_service(&apdu).ok()? {
        BnService::IAm {
            device, vendor_id, ..
        } => Some((device.instance, vendor_id)),
        _ => None,
    }
}

/// The character-string value of a `ReadProperty` `ComplexACK` with this invoke id.
pub(crate) fn parse_string_ack(a: &[u8], invoke: u8) -> Option<String> {
    let apdu = bn::parse_apdu(a).ok()?;
    if apdu.invoke_id != Some(invoke) {
        return None;
    }
    match bn::decode_service(&apdu).ok()? {
        BnService::ReadPropertyAck(v) => match v.value? {
            Value::CharacterString(_, s) => Some(crate::net::printable(s)),
            _ => None,
        },
        _ => None,
    }
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
