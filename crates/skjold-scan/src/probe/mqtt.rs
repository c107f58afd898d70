//! MQTT identification: CONNECT (3.1.1) without credentials; the CONNACK return code says whether
//! the broker requires authentication. When accepted, a `QoS` 0 SUBSCRIBE to
//! `$SYS/broker/version` reads the broker version if published, then DISCONNECT. Under
//! `--intrusive` a broker that refused the anonymous CONNECT gets a few default credentials.
//! Answers are parsed with `skjold_proto::mqtt`.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::mqtt::{self, Body};
use skjold_proto::ParseError;

const CLIENT_ID: &[u8] = b"skjold-scan";
const VERSION_TOPIC: &[u8] = b"$SYS/broker/version";

fn push_str(v: &mut Vec<u8>, s: &[u8]) {
    v.extend_from_slice(&(s.len() as u16).to_be_bytes());
    v.extend_from_slice(s);
}

fn with_header(first: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![first];
    let mut n = body.len();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        v.push(b);
        if n == 0 {
            break;
        }
    }
    v.extend_from_slice(body);
    v
}

/// CONNECT, protocol level 4, clean session, keep-alive 10 s, optional user name and password.
pub(crate) fn connect_request(cred: Option<(&str, &str)>) -> Vec<u8> {
    let mut b = Vec::new();
    push_str(&mut b, b"MQTT");
    b.push(4);
    let mut flags = 0x02;
    if cred.is_some() {
        flags |= 0xC0;
    }
    b.push(flags);
    b.extend_from_slice(&10u16.to_be_bytes());
    push_str(&mut b, CLIENT_ID);
    if let Some((u, p)) = cred {
        push_str(&mut b, u.as_bytes());
        push_str(&mut b, p.as_bytes());
    }
    with_header(0x10, &b)
}

/// SUBSCRIBE to `$SYS/broker/version` at `QoS` 0, packet id 1.
pub(crate) fn subscribe_request() -> Vec<u8> {
    let mut b = vec![0, 1];
    push_str(&mut b, VERSION_TOPIC);
    b.push(0);
    with_header(0x82, &b)
}

/// DISCONNECT.
pub(crate) const DISCONNECT: [u8; 2] = [0xE0, 0];

/// Every request this probe sends (credentials shown with a sample pair).
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![
        connect_request(None),
        connect_request(Some(("admin", "admin"))),
        subscribe_request(),
        DISCONNECT.to_vec(),
    ]
}

fn split(b: &[u8]) -> Frame {
    match mqtt::parse_fixed_header(b) {
        Ok((_, h)) => Frame::Complete(h.packet_len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("MQTT: {e}")),
    }
}

/// Name of a 3.1.1 CONNACK return code.
fn return_code_name(rc: u8) -> &'static str {
    match rc {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "unknown",
    }
}

/// Sends CONNECT and returns the CONNACK return code.
async fn connack(c: &mut Conn, cred: Option<(&str, &str)>) -> PResult<u8> {
    let raw = c.exchange(&connect_request(cred), split).await?;
    match mqtt::parse_packet(&raw, 4, crate::net::MAX_ANSWER) {
        Ok((_, p)) => match p.body {
            Body::ConnAck(a) => Ok(a.return_code),
            _ => Err(ProbeError::Garbage(
                "MQTT answer to CONNECT is not CONNACK".into(),
            )),
        },
        Err(e) => Err(ProbeError::Garbage(format!("MQTT: {e}"))),
    }
}

async fn broker_version(c: &mut Conn) -> Option<String> {
    c.send(&subscribe_request()).await.ok()?;
    for _ in 0..8 {
        let raw = c.frame(split).await.ok()?;
        if let Ok((_, p)) = mqtt::parse_packet(&raw, 4, crate::net::MAX_ANSWER) {
            if let Body::Publish(pb) = p.body {
                if pb.topic == VERSION_TOPIC {
                    return Some(crate::net::printable(pb.payload));
                }
            }
        }
    }
    None
}

pub(crate) async fn probe(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let rc = connack(&mut c, None).await?;
    svc.fact("connack_return_code", rc);
    svc.fact("connack", return_code_name(rc));
    svc.fact("tls", false);
    if rc == 0 {
        svc.fact("auth_required", false);
        if let Some(v) = broker_version(&mut c).await {
            // Mosquitto publishes "mosquitto version 2.0.11".
            let words: Vec<&str> = v.split_whitespace().collect();
            match words.as_slice() {
                [p, "version", ver] => {
                    svc.ident("product", *p);
                    svc.ident("version", *ver);
                }
                _ => svc.ident("version", v.clone()),
            }
        }
        let _ = c.send(&DISCONNECT).await;
        c.close().await;
        return Ok(());
    }
    c.close().await;
    svc.fact("auth_required", rc == 4 || rc == 5);
    if ctx.intrusive && (rc == 4 || rc == 5) {
        for (user, pass) in ctx.credentials("mqtt") {
            ctx.count_attempt();
            let Ok(mut c2) = Conn::open(ctx.addr, ctx.timeout).await else {
                break;
            };
            let r = connack(&mut c2, Some((&user, &pass))).await;
            if r == Ok(0) {
                let _ = c2.send(&DISCONNECT).await;
                svc.fact("default_credentials", format!("{user}:{pass}"));
                c2.close().await;
                break;
            }
            c2.close().await;
        }
    }
    Ok(())
}
