//! MQTT broker (MQTT 3.1, 3.1.1 and 5.0 OASIS standards) on TCP 1883: CONNECT accepted without
//! credentials when `anonymous_mqtt`, with the device's default credentials when it has them,
//! refused otherwise (3.1.1: 5 not authorized / 4 bad user name or password; 5.0: 0x87 / 0x86);
//! SUBSCRIBE → SUBACK and the retained messages matching the filters (`$SYS/broker/version`,
//! `$SYS/broker/uptime` and one plant topic); PINGREQ → PINGRESP; PUBLISH recorded as a write.

use super::{fill, send, Ctx, Stream};
use crate::recorder::Transport;

/// The `$SYS/broker/version` payload of a device's broker.
pub fn version(ctx_banner: Option<&str>, firmware: &str) -> String {
    ctx_banner.map_or_else(|| format!("mosquitto version {firmware}"), str::to_string)
}

/// Whether topic filter `filter` matches `topic` (MQTT 3.1.1 §4.7, `$` topics excluded from
/// leading wildcards).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('#') || filter.starts_with('+')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) | (None, None) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

fn varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    varint(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

fn u16_str(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = usize::from(super::be16(b.get(at..at + 2)?, 0));
    Some((b.get(at + 2..at + 2 + len)?, at + 2 + len))
}

/// Read a variable byte integer at `at`: (value, next offset).
fn read_varint(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for i in 0..4 {
        let byte = *b.get(at + i)?;
        v |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, at + i + 1));
        }
    }
    None
}

/// Parsed CONNECT: (protocol level, user name, password present).
fn parse_connect(b: &[u8]) -> Option<(u8, Option<String>, Option<String>)> {
    let (name, at) = u16_str(b, 0)?;
    if name != b"MQTT" && name != b"MQIsdp" {
        return None;
    }
    let level = *b.get(at)?;
    let flags = *b.get(at + 1)?;
    let mut at = at + 4;
    if level == 5 {
        let (plen, next) = read_varint(b, at)?;
        at = next + plen;
    }
    let (_client, next) = u16_str(b, at)?;
    at = next;
    if flags & 0x04 != 0 {
        if level == 5 {
            let (plen, next) = read_varint(b, at)?;
            at = next + plen;
        }
        at = u16_str(b, at)?.1;
        at = u16_str(b, at)?.1;
    }
    let mut user = None;
    let mut pass = None;
    if flags & 0x80 != 0 {
        let (u, next) = u16_str(b, at)?;
        user = Some(String::from_utf8_lossy(u).into_owned());
        at = next;
    }
    if flags & 0x40 != 0 {
        let (p, _) = u16_str(b, at)?;
        pass = Some(String::from_utf8_lossy(p).into_owned());
    }
    Some((level, user, pass))
}

/// Serve one connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let dev = &ctx.dev.spec;
    let retained: Vec<(String, String)> = vec![
        (
            "$SYS/broker/version".into(),
            version(ctx.svc.banner.as_deref(), &dev.identity.firmware),
        ),
        ("$SYS/broker/uptime".into(), "86400 seconds".into()),
        (
            format!("plant/{}/status", dev.identity.module_name),
            "running".into(),
        ),
    ];
    let mut buf = Vec::new();
    let mut level = 4u8;
    let mut connected = false;
    loop {
        if !fill(&mut s, &mut buf, 2).await {
            return;
        }
        let (len, hdr) = loop {
            if let Some(v) = read_varint(&buf, 1) {
                break v;
            }
            if buf.len() >= 5 || !super::read_more(&mut s, &mut buf).await {
                return;
            }
        };
        if !fill(&mut s, &mut buf, hdr + len).await {
            return;
        }
        let pkt: Vec<u8> = buf.drain(..hdr + len).collect();
        let first = pkt[0];
        let body = &pkt[hdr..];
        let ty = first >> 4;
        match ty {
            1 if !connected => {
                let Some((lvl, user, pass)) = parse_connect(body) else {
                    return;
                };
                level = lvl;
                let login = user.is_some() || pass.is_some();
                ctx.rec(Transport::Tcp, ctx.svc.protocol, 1, "connect", false, login);
                let ok = match (&user, &dev.weaknesses.default_credentials) {
                    (None, _) => dev.weaknesses.anonymous_mqtt,
                    (Some(u), Some(c)) => {
                        *u == c.user && pass.as_deref() == Some(c.password.as_str())
                    }
                    (Some(_), None) => false,
                };
                let code = match (ok, level == 5, user.is_some()) {
                    (true, _, _) => 0x00,
                    (false, true, true) => 0x86,
                    (false, true, false) => 0x87,
                    (false, false, true) => 0x04,
                    (false, false, false) => 0x05,
                };
                let ack = if level == 5 {
                    vec![0x00, code, 0x00]
                } else {
                    vec![0x00, code]
                };
                if !send(&mut s, &packet(0x20, &ack)).await || !ok {
                    return;
                }
                connected = true;
            }
            8 if connected && first == 0x82 && body.len() >= 2 => {
                let pid = [body[0], body[1]];
                let mut at = 2;
                if level == 5 {
                    let Some((plen, next)) = read_varint(body, at) else {
                        return;
                    };
                    at = next + plen;
                }
                let mut filters = Vec::new();
                while at < body.len() {
                    let Some((f, next)) = u16_str(body, at) else {
                        return;
                    };
                    filters.push(String::from_utf8_lossy(f).into_owned());
                    at = next + 1;
                }
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    8,
                    format!("subscribe {}", filters.join(",")),
                    false,
                    false,
                );
                let mut ack = pid.to_vec();
                if level == 5 {
                    ack.push(0);
                }
                ack.extend(std::iter::repeat_n(0u8, filters.len()));
                let mut out = packet(0x90, &ack);
                for (topic, payload) in &retained {
                    if filters.iter().any(|f| matches(f, topic)) {
                        let mut p = (topic.len() as u16).to_be_bytes().to_vec();
                        p.extend_from_slice(topic.as_bytes());
                        if level == 5 {
                            p.push(0);
                        }
                        p.extend_from_slice(payload.as_bytes());
                        // PUBLISH, QoS 0, retain.
                        out.extend(packet(0x31, &p));
                    }
                }
                if !send(&mut s, &out).await {
                    return;
                }
            }
            3 if connected => {
                let topic = u16_str(body, 0).map(|(t, _)| String::from_utf8_lossy(t).into_owned());
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    3,
                    format!("publish {}", topic.unwrap_or_default()),
                    true,
                    false,
                );
                let qos = (first >> 1) & 0x03;
                if qos > 0 {
                    let Some((_, at)) = u16_str(body, 0) else {
                        return;
                    };
                    let Some(pid) = body.get(at..at + 2) else {
                        return;
                    };
                    let kind = if qos == 1 { 0x40 } else { 0x50 };
                    if !send(&mut s, &packet(kind, pid)).await {
                        return;
                    }
                }
            }
            10 if connected => {
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    10,
                    "unsubscribe",
                    false,
                    false,
                );
                if body.len() >= 2 {
                    let mut ack = vec![body[0], body[1]];
                    if level == 5 {
                        ack.push(0);
                    }
                    if !send(&mut s, &packet(0xB0, &ack)).await {
                        return;
                    }
                }
            }
            12 => {
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    12,
                    "pingreq",
                    false,
                    false,
                );
                if !send(&mut s, &[0xD0, 0x00]).await {
                    return;
                }
            }
            14 => {
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    14,
                    "disconnect",
                    false,
                    false,
                );
                return;
            }
            _ => {
                ctx.rec(
                    Transport::Tcp,
                    ctx.svc.protocol,
                    u32::from(ty),
                    "unexpected",
                    true,
                    false,
                );
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn topic_filters_match_as_the_standard_says() {
        assert!(matches("$SYS/#", "$SYS/broker/version"));
        assert!(!matches("#", "$SYS/broker/version"));
        assert!(matches("plant/+/status", "plant/a/status"));
        assert!(!matches("plant/+", "plant/a/status"));
        assert!(matches("$SYS/broker/version", "$SYS/broker/version"));
    }
}
