//! CoAP identification (UDP 5683): a confirmable GET of `/.well-known/core` (RFC 6690 resource
//! discovery). Only GET is ever sent. Answers are parsed with `skjold_proto::coap`.

use super::Ctx;
use crate::model::Service;
use crate::net::{udp_exchange, PResult, ProbeError};

/// GET /.well-known/core, CON, message id 0x5a17, token 0x5c.
pub(crate) const GET_CORE: [u8; 22] = [
    0x41, 0x01, 0x5A, 0x17, 0x5C, 0xBB, b'.', b'w', b'e', b'l', b'l', b'-', b'k', b'n', b'o', b'w',
    b'n', 0x04, b'c', b'o', b'r', b'e',
];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![GET_CORE.to_vec()]
}

/// (code class, code detail, payload) of a CoAP answer to [`GET_CORE`] (matched by message
/// id for ACKs, by token otherwise).
pub(crate) fn parse(d: &[u8]) -> Option<(u8, u8, &[u8])> {
    let m = skjold_proto::coap::parse_message(d).ok()?;
    if m.message_id != 0x5A17 && m.token != [0x5C] {
        return None;
    }
    Some((m.code.class(), m.code.detail(), m.payload))
}

pub(crate) async fn probe(ctx: &Ctx, svc: &mut Service) -> PResult<()> {
    let r = udp_exchange(ctx.addr, &GET_CORE, ctx.timeout).await?;
    let (class, detail, payload) =
        parse(&r).ok_or_else(|| ProbeError::Garbage("not a CoAP message".into()))?;
    svc.fact("response_code", format!("{class}.{detail:02}"));
    svc.fact("dtls", false);
    if class == 2 {
        let text = String::from_utf8_lossy(payload);
        let res: Vec<String> = text
            .split(',')
            .filter_map(|l| l.split(';').next())
            .map(|u| {
                u.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .filter(|u| !u.is_empty())
            .take(100)
            .collect();
        svc.fact("resources", res.clone());
        svc.fact("auth_required", false);
        svc.ident("resources", res.join(" "));
    } else {
        svc.fact("auth_required", class == 4 && (detail == 1 || detail == 3));
    }
    Ok(())
}
