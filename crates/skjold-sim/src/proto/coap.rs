//! CoAP server (RFC 7252, link format RFC 6690) on UDP 5683: GET `/.well-known/core` → 2.05
//! with the device's resources in link format, GET of a listed resource → 2.05 text, unknown
//! path → 4.04; POST/PUT/DELETE → 4.05, recorded as writes. Confirmable requests get a
//! piggybacked ACK, non-confirmable ones a NON response; CoAP pings (empty CON) get a RST.

use super::Ctx;
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// The `/.well-known/core` payload of a device.
pub fn link_format(id: &Identity) -> String {
    format!(
        "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0,</sensors/hum>;rt=\"humidity\";if=\"sensor\";ct=0,</device>;title=\"{} {}\";ct=0,</firmware>;title=\"{}\";ct=0",
        id.vendor, id.model, id.firmware
    )
}

fn resource(id: &Identity, path: &str) -> Option<String> {
    Some(match path {
        "sensors/temp" => "21.5".into(),
        "sensors/hum" => "40".into(),
        "device" => format!("{} {} {}", id.vendor, id.product, id.model),
        "firmware" => id.firmware.clone(),
        _ => return None,
    })
}

/// Push option `number` after `prev` with `value`.
fn option(out: &mut Vec<u8>, prev: u16, number: u16, value: &[u8]) {
    let nib = |v: usize| -> (u8, Vec<u8>) {
        if v < 13 {
            (v as u8, vec![])
        } else if v < 269 {
            (13, vec![(v - 13) as u8])
        } else {
            (14, ((v - 269) as u16).to_be_bytes().to_vec())
        }
    };
    let (d, dx) = nib(usize::from(number - prev));
    let (l, lx) = nib(value.len());
    out.push((d << 4) | l);
    out.extend(dx);
    out.extend(lx);
    out.extend_from_slice(value);
}

fn method(code: u8) -> (&'static str, bool) {
    match code {
        1 => ("GET", false),
        2 => ("POST", true),
        3 => ("PUT", true),
        4 => ("DELETE", true),
        5 => ("FETCH", false),
        6 => ("PATCH", true),
        7 => ("iPATCH", true),
        _ => ("unknown", true),
    }
}

/// Answer one datagram.
pub(crate) fn datagram(ctx: &Ctx, d: &[u8]) -> Option<Vec<u8>> {
    if d.len() < 4 || d[0] >> 6 != 1 {
        return None;
    }
    let ty = (d[0] >> 4) & 0x03;
    let tkl = usize::from(d[0] & 0x0F);
    let code = d[1];
    let mid = [d[2], d[3]];
    if tkl > 8 || ty >= 2 {
        return None;
    }
    let token = d.get(4..4 + tkl)?;
    if code == 0 {
        // Ping: reset.
        ctx.rec(Transport::Udp, Protocol::Coap, 0, "ping", false, false);
        return Some(vec![0x70, 0x00, mid[0], mid[1]]);
    }
    // Options: collect Uri-Path (11) segments.
    let mut at = 4 + tkl;
    let mut number = 0u16;
    let mut path: Vec<String> = Vec::new();
    while at < d.len() && d[at] != 0xFF {
        let b = d[at];
        at += 1;
        let mut ext = |n: u8| -> Option<usize> {
            match n {
                0..=12 => Some(usize::from(n)),
                13 => {
                    let v = *d.get(at)?;
                    at += 1;
                    Some(usize::from(v) + 13)
                }
                14 => {
                    let v = super::be16(d.get(at..at + 2)?, 0);
                    at += 2;
                    Some(usize::from(v) + 269)
                }
                _ => None,
            }
        };
        let delta = ext(b >> 4)?;
        let len = ext(b & 0x0F)?;
        number = number.checked_add(u16::try_from(delta).ok()?)?;
        let value = d.get(at..at + len)?;
        at += len;
        if number == 11 {
            path.push(String::from_utf8_lossy(value).into_owned());
        }
    }
    let path = path.join("/");
    let (name, write) = method(code);
    ctx.rec(
        Transport::Udp,
        Protocol::Coap,
        u32::from(code),
        format!("{name} /{path}"),
        write,
        false,
    );
    let id = &ctx.dev.spec.identity;
    let (resp_code, format, payload) = match (code, path.as_str()) {
        (1, ".well-known/core") => (0x45, Some(40u8), link_format(id)),
        (1, p) => match resource(id, p) {
            Some(v) => (0x45, Some(0), v),
            None => (0x84, None, String::new()),
        },
        _ => (0x85, None, String::new()),
    };
    // ACK (piggybacked) for CON, NON with a new message id for NON.
    let (rty, rmid) = if ty == 0 {
        (2u8, mid)
    } else {
        let m = u16::from_be_bytes(mid).wrapping_add(0x4000).to_be_bytes();
        (1u8, m)
    };
    let mut out = vec![0x40 | (rty << 4) | tkl as u8, resp_code, rmid[0], rmid[1]];
    out.extend_from_slice(token);
    if let Some(f) = format {
        if f == 0 {
            option(&mut out, 0, 12, &[]);
        } else {
            option(&mut out, 0, 12, &[f]);
        }
    }
    if !payload.is_empty() {
        out.push(0xFF);
        out.extend_from_slice(payload.as_bytes());
    }
    Some(out)
}
