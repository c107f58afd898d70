//! SNMP agent (SNMPv1 RFC 1157, SNMPv2c RFC 1901/3416, BER per X.690) on UDP 161: Get,
//! GetNext and GetBulk of the system group (sysDescr, sysObjectID, sysUpTime, sysContact,
//! sysName, sysLocation) answered only for community `public` when the device has
//! `snmp_public`; any other community is dropped silently (as agents do). Every request is
//! recorded as a login attempt (the community is a password); Set is a write and answered
//! noAccess / readOnly.

use super::Ctx;
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// The community the weak agents accept.
pub const COMMUNITY: &str = "public";

/// sysDescr of a device.
pub fn sys_descr(id: &Identity) -> String {
    format!(
        "{} {} {} firmware {}",
        id.vendor, id.product, id.model, id.firmware
    )
}

/// (OID arcs, value TLV) of the system group, in OID order.
fn system(id: &Identity) -> Vec<(Vec<u32>, Vec<u8>)> {
    let base = [1u32, 3, 6, 1, 2, 1, 1];
    let arcs = |n: u32| {
        let mut v = base.to_vec();
        v.extend([n, 0]);
        v
    };
    let text = |s: &str| tlv(0x04, s.as_bytes());
    vec![
        (arcs(1), text(&sys_descr(id))),
        // sysObjectID: the enterprise arc of the vendor id under 1.3.6.1.4.1.
        (
            arcs(2),
            tlv(
                0x06,
                &encode_oid(&[1, 3, 6, 1, 4, 1, u32::from(id.vendor_id), 1]),
            ),
        ),
        (arcs(3), tlv(0x43, &[0x01, 0x07, 0xAC, 0x00])), // TimeTicks 17280000 (2 days)
        (arcs(4), text("support@example.invalid")),
        (arcs(5), text(&id.hostname)),
        (arcs(6), text(&id.plant_id)),
    ]
}

fn len_bytes(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else if n < 0x100 {
        vec![0x81, n as u8]
    } else {
        vec![0x82, (n >> 8) as u8, n as u8]
    }
}

fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(len_bytes(v.len()));
    out.extend_from_slice(v);
    out
}

fn encode_int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

fn encode_oid(arcs: &[u32]) -> Vec<u8> {
    let mut out = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut tmp = vec![(a & 0x7F) as u8];
        let mut x = a >> 7;
        while x > 0 {
            tmp.push(0x80 | (x & 0x7F) as u8);
            x >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    }
    out
}

fn decode_oid(b: &[u8]) -> Option<Vec<u32>> {
    let first = *b.first()?;
    let mut arcs = vec![u32::from(first / 40), u32::from(first % 40)];
    let mut acc: u32 = 0;
    for &x in &b[1..] {
        acc = acc.checked_mul(128)? | u32::from(x & 0x7F);
        if x & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    Some(arcs)
}

/// Read one TLV at `at`: (tag, value, next offset).
fn read(b: &[u8], at: usize) -> Option<(u8, &[u8], usize)> {
    let tag = *b.get(at)?;
    let l0 = *b.get(at + 1)?;
    let (len, hdr) = match l0 {
        0..=0x7F => (usize::from(l0), 2),
        0x81 => (usize::from(*b.get(at + 2)?), 3),
        0x82 => (
            usize::from(u16::from_be_bytes([*b.get(at + 2)?, *b.get(at + 3)?])),
            4,
        ),
        _ => return None,
    };
    let v = b.get(at + hdr..at + hdr + len)?;
    Some((tag, v, at + hdr + len))
}

fn int(v: &[u8]) -> i64 {
    v.iter().fold(
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            -1
        } else {
            0
        },
        |a, &x| (a << 8) | i64::from(x),
    )
}

/// Answer one datagram.
pub(crate) fn datagram(ctx: &Ctx, datagram: &[u8]) -> Option<Vec<u8>> {
    let (tag, msg, _) = read(datagram, 0)?;
    if tag != 0x30 {
        return None;
    }
    let (t, ver, at) = read(msg, 0)?;
    let version = int(ver);
    if t != 0x02 || !(0..=1).contains(&version) {
        return None;
    }
    let (t, community, at) = read(msg, at)?;
    if t != 0x04 {
        return None;
    }
    let (pdu_tag, pdu, _) = read(msg, at)?;
    let (name, write) = match pdu_tag {
        0xA0 => ("get", false),
        0xA1 => ("get_next", false),
        0xA5 => ("get_bulk", false),
        0xA3 => ("set", true),
        _ => ("pdu", true),
    };
    let community_text = String::from_utf8_lossy(community).into_owned();
    ctx.rec(
        Transport::Udp,
        Protocol::Snmp,
        u32::from(pdu_tag),
        format!("{name} community {community_text}"),
        write,
        true,
    );
    if !(ctx.dev.spec.weaknesses.snmp_public && community == COMMUNITY.as_bytes()) {
        return None;
    }
    let (_, req_id, at) = read(pdu, 0)?;
    let (_, _, at) = read(pdu, at)?; // error-status / non-repeaters
    let (_, max_rep, at) = read(pdu, at)?; // error-index / max-repetitions
    let (_, binds, _) = read(pdu, at)?;
    let mut oids = Vec::new();
    let mut p = 0;
    while p < binds.len() {
        let (_, vb, next) = read(binds, p)?;
        let (t, oid, _) = read(vb, 0)?;
        if t != 0x06 {
            return None;
        }
        oids.push(decode_oid(oid)?);
        p = next;
        if oids.len() > 32 {
            return None;
        }
    }
    let table = system(&ctx.dev.spec.identity);
    let mut out_binds = Vec::new();
    let mut error: (i64, i64) = (0, 0);
    let reps = if pdu_tag == 0xA5 {
        int(max_rep).clamp(1, 10)
    } else {
        1
    };
    for (i, oid) in oids.iter().enumerate() {
        let mut cur = oid.clone();
        for _ in 0..reps {
            let found = match pdu_tag {
                0xA0 => table.iter().find(|(o, _)| *o == cur),
                0xA1 | 0xA5 => table.iter().find(|(o, _)| *o > cur),
                _ => None,
            };
            let value = match (found, pdu_tag) {
                (Some((o, v)), _) => {
                    cur.clone_from(o);
                    v.clone()
                }
                (None, 0xA3) => {
                    // v1 readOnly (4) / v2c notWritable (17).
                    error = (if version == 0 { 4 } else { 17 }, i as i64 + 1);
                    vec![0x05, 0x00]
                }
                (None, _) if version == 0 => {
                    error = (2, i as i64 + 1); // noSuchName
                    vec![0x05, 0x00]
                }
                (None, 0xA0) => vec![0x80, 0x00], // noSuchObject
                (None, _) => vec![0x82, 0x00],    // endOfMibView
            };
            let mut vb = tlv(0x06, &encode_oid(&cur));
            vb.extend(value);
            out_binds.extend(tlv(0x30, &vb));
            if found.is_none() {
                break;
            }
        }
    }
    if error.0 != 0 && version == 0 {
        // v1 errors echo the request's variable bindings.
        out_binds = binds.to_vec();
    }
    let mut body = tlv(0x02, req_id);
    body.extend(encode_int(error.0));
    body.extend(encode_int(error.1));
    body.extend(tlv(0x30, &out_binds));
    let mut m = encode_int(version);
    m.extend(tlv(0x04, community));
    m.extend(tlv(0xA2, &body));
    Some(tlv(0x30, &m))
}

#[cfg(test)]
mod tests {
    use super::{decode_oid, encode_int, encode_oid};

    #[test]
    fn ber_integers_and_oids_round_trip() {
        assert_eq!(encode_int(0), [2, 1, 0]);
        assert_eq!(encode_int(128), [2, 2, 0, 128]);
        assert_eq!(encode_int(-1), [2, 1, 0xFF]);
        let oid = [1, 3, 6, 1, 4, 1, 999, 1];
        assert_eq!(encode_oid(&oid), [0x2B, 6, 1, 4, 1, 0x87, 0x67, 1]);
        assert_eq!(decode_oid(&encode_oid(&oid)).unwrap(), oid);
    }
}
