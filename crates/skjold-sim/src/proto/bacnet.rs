//! BACnet/IP device (ASHRAE 135 Annex J BVLL, clause 6 NPDU, clause 20 APDU encoding) on UDP
//! 47808: Who-Is (with or without range) → I-Am; ReadProperty of the device object
//! (object-identifier, object-name, vendor-name, vendor-identifier, model-name,
//! firmware-revision, application-software-version, description, location, ...) → ComplexACK;
//! unknown properties and objects → Error; WriteProperty(Multiple) → Error write-access-denied;
//! every other confirmed service → Reject (unrecognized service); recorded as a write unless
//! read-only.

use super::Ctx;
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// Object type number of the device object.
const DEVICE: u32 = 8;
/// The "this device" wildcard instance.
const WILDCARD: u32 = 0x3F_FFFF;

/// BVLC Original-Unicast-NPDU around an NPDU without routing information.
fn bvlc(apdu: &[u8]) -> Vec<u8> {
    let mut out = vec![0x81, 0x0A, 0, 0, 0x01, 0x00];
    out.extend_from_slice(apdu);
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    out
}

/// Application-tagged unsigned integer.
fn app_unsigned(v: u32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    let mut out = vec![0x20 | (4 - skip) as u8];
    out.extend_from_slice(&bytes[skip..]);
    out
}

/// Application-tagged enumerated.
fn app_enum(v: u8) -> Vec<u8> {
    vec![0x91, v]
}

/// Application-tagged character string (UTF-8 encoding 0).
fn app_string(s: &str) -> Vec<u8> {
    let bytes = &s.as_bytes()[..s.len().min(250)];
    let len = bytes.len() + 1;
    let mut out = if len <= 4 {
        vec![0x70 | len as u8]
    } else {
        vec![0x75, len as u8]
    };
    out.push(0);
    out.extend_from_slice(bytes);
    out
}

/// Application-tagged object identifier.
fn app_object(ty: u32, instance: u32) -> Vec<u8> {
    let mut out = vec![0xC4];
    out.extend_from_slice(&((ty << 22) | (instance & WILDCARD)).to_be_bytes());
    out
}

/// The I-Am APDU of a device.
pub(crate) fn i_am(id: &Identity) -> Vec<u8> {
    let mut a = vec![0x10, 0x00];
    a.extend_from_slice(&app_object(DEVICE, id.device_instance));
    a.extend_from_slice(&app_unsigned(1476));
    a.extend_from_slice(&app_enum(3)); // no-segmentation
    a.extend_from_slice(&app_unsigned(u32::from(id.vendor_id)));
    a
}

/// Application-tagged value of a device property, or `None` when unknown.
pub(crate) fn property(id: &Identity, prop: u32) -> Option<Vec<u8>> {
    Some(match prop {
        75 => app_object(DEVICE, id.device_instance),
        77 => app_string(&id.module_name),
        79 => app_enum(8),
        121 => app_string(&id.vendor),
        120 => app_unsigned(u32::from(id.vendor_id)),
        70 => app_string(&id.model),
        // firmware-revision and application-software-version
        44 | 12 => app_string(&id.firmware),
        28 => app_string(&id.product),
        58 => app_string(&id.plant_id),
        112 => app_enum(0), // system-status: operational
        98 => app_unsigned(1),
        139 => app_unsigned(14),
        62 => app_unsigned(1476),
        107 => app_enum(3),
        _ => return None,
    })
}

/// Read a context tag `n` header at `at`: returns (length, value offset).
fn context(apdu: &[u8], at: usize, n: u8) -> Option<(usize, usize)> {
    let t = *apdu.get(at)?;
    if t >> 4 != n || t & 0x08 == 0 {
        return None;
    }
    let lvt = usize::from(t & 0x07);
    if lvt > 4 {
        return None;
    }
    Some((lvt, at + 1))
}

fn uint(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, &x| (a << 8) | u32::from(x))
}

fn confirmed_name(svc: u8) -> (&'static str, bool) {
    match svc {
        12 => ("read_property", false),
        14 => ("read_property_multiple", false),
        26 => ("read_range", false),
        6 => ("atomic_read_file", false),
        15 => ("write_property", true),
        16 => ("write_property_multiple", true),
        17 => ("device_communication_control", true),
        20 => ("reinitialize_device", true),
        10 => ("create_object", true),
        11 => ("delete_object", true),
        7 => ("atomic_write_file", true),
        _ => ("confirmed_service", true),
    }
}

/// Answer one datagram.
pub(crate) fn datagram(ctx: &Ctx, d: &[u8]) -> Option<Vec<u8>> {
    let id = &ctx.dev.spec.identity;
    if d.len() < 6 || d[0] != 0x81 || usize::from(super::be16(d, 2)) != d.len() {
        return None;
    }
    // Original-Unicast (0x0A) or Original-Broadcast (0x0B) NPDU only.
    if !matches!(d[1], 0x0A | 0x0B) {
        return None;
    }
    let npdu = &d[4..];
    if npdu.len() < 2 || npdu[0] != 0x01 {
        return None;
    }
    let control = npdu[1];
    if control & 0x80 != 0 {
        return None; // network layer message
    }
    let mut at = 2;
    if control & 0x20 != 0 {
        // DNET, DLEN, DADR
        let dlen = usize::from(*npdu.get(at + 2)?);
        at += 3 + dlen;
    }
    if control & 0x08 != 0 {
        let slen = usize::from(*npdu.get(at + 2)?);
        at += 3 + slen;
    }
    if control & 0x20 != 0 {
        at += 1; // hop count
    }
    let apdu = npdu.get(at..)?;
    let pdu_type = *apdu.first()? >> 4;
    match pdu_type {
        1 => {
            let svc = *apdu.get(1)?;
            if svc == 8 {
                ctx.rec(
                    Transport::Udp,
                    Protocol::Bacnet,
                    0x100 | 8,
                    "who_is",
                    false,
                    false,
                );
                // Optional range: context 0 low limit, context 1 high limit.
                if apdu.len() > 2 {
                    let (l0, o0) = context(apdu, 2, 0)?;
                    let low = uint(apdu.get(o0..o0 + l0)?);
                    let (l1, o1) = context(apdu, o0 + l0, 1)?;
                    let high = uint(apdu.get(o1..o1 + l1)?);
                    if id.device_instance < low || id.device_instance > high {
                        return None;
                    }
                }
                Some(bvlc(&i_am(id)))
            } else {
                // Who-Has (7) is a read; the rest (time synchronisation, private transfer...)
                // may change state.
                ctx.rec(
                    Transport::Udp,
                    Protocol::Bacnet,
                    0x100 | u32::from(svc),
                    "unconfirmed_service",
                    svc != 7,
                    false,
                );
                None
            }
        }
        0 => {
            if apdu[0] & 0x08 != 0 {
                // Segmented requests are not supported: Abort (segmentation not supported).
                let invoke = *apdu.get(2)?;
                return Some(bvlc(&[0x71, invoke, 4]));
            }
            let invoke = *apdu.get(2)?;
            let svc = *apdu.get(3)?;
            let (name, write) = confirmed_name(svc);
            ctx.rec(
                Transport::Udp,
                Protocol::Bacnet,
                u32::from(svc),
                name,
                write,
                false,
            );
            if matches!(svc, 15 | 16) {
                // Error: class property (2), code write-access-denied (40).
                return Some(bvlc(&[0x50, invoke, svc, 0x91, 2, 0x91, 40]));
            }
            if svc != 12 {
                // Reject, reason unrecognized-service (9).
                return Some(bvlc(&[0x60, invoke, 9]));
            }
            let (l0, o0) = context(apdu, 4, 0)?;
            if l0 != 4 {
                return Some(bvlc(&[0x60, invoke, 4])); // invalid-parameter-data-type
            }
            let oid = uint(apdu.get(o0..o0 + 4)?);
            let (l1, o1) = context(apdu, o0 + 4, 1)?;
            let prop = uint(apdu.get(o1..o1 + l1)?);
            let (ty, inst) = (oid >> 22, oid & WILDCARD);
            let mut a = vec![0x30, invoke, 12];
            let echo_prop = apdu.get(o0 - 1..o1 + l1)?;
            if ty != DEVICE || (inst != id.device_instance && inst != WILDCARD) {
                // Error: class object (1), code unknown-object (31).
                return Some(bvlc(&[0x50, invoke, 12, 0x91, 1, 0x91, 31]));
            }
            let Some(value) = property(id, prop) else {
                // Error: class property (2), code unknown-property (32).
                return Some(bvlc(&[0x50, invoke, 12, 0x91, 2, 0x91, 32]));
            };
            // Object identifier as the device's own (even when asked with the wildcard).
            a.push(0x0C);
            a.extend_from_slice(&((DEVICE << 22) | id.device_instance).to_be_bytes());
            a.extend_from_slice(&echo_prop[5..]);
            a.push(0x3E);
            a.extend_from_slice(&value);
            a.push(0x3F);
            Some(bvlc(&a))
        }
        _ => None,
    }
}
