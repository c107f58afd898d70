//! SNMP (UDP 161), `--intrusive` only: a v2c `GetRequest` of sysDescr.0 with community `public`
//! (a community string is a credential). Only `GetRequest` is ever sent.

use super::Ctx;
use crate::model::Service;
use crate::net::{udp_exchange, PResult, ProbeError};

/// sysDescr.0 = 1.3.6.1.2.1.1.1.0
const SYS_DESCR: [u8; 8] = [0x2B, 6, 1, 2, 1, 1, 1, 0];

/// `GetRequest` v2c, community `public`, request id 0x736b.
pub(crate) fn get_sysdescr() -> Vec<u8> {
    let mut vb = vec![0x06, 8];
    vb.extend_from_slice(&SYS_DESCR);
    vb.extend_from_slice(&[0x05, 0]);
    let mut vbl = vec![0x30, vb.len() as u8];
    vbl.extend_from_slice(&vb);
    let mut vbls = vec![0x30, vbl.len() as u8];
    vbls.extend_from_slice(&vbl);
    let mut pdu = vec![0x02, 2, 0x73, 0x6B, 0x02, 1, 0, 0x02, 1, 0];
    pdu.extend_from_slice(&vbls);
    let mut get = vec![0xA0, pdu.len() as u8];
    get.extend_from_slice(&pdu);
    let mut msg = vec![0x02, 1, 1, 0x04, 6];
    msg.extend_from_slice(b"public");
    msg.extend_from_slice(&get);
    let mut out = vec![0x30, msg.len() as u8];
    out.extend_from_slice(&msg);
    out
}

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![get_sysdescr()]
}

/// The sysDescr value of a `GetResponse`.
pub(crate) fn parse(d: &[u8]) -> Option<String> {
    if d.first() != Some(&0x30) {
        return None;
    }
    let at = d.windows(SYS_DESCR.len()).position(|w| w == SYS_DESCR)? + SYS_DESCR.len();
    if *d.get(at)? != 0x04 {
        return None;
    }
    let mut len = usize::from(*d.get(at + 1)?);
    let mut p = at + 2;
    if len == 0x81 {
        len = usize::from(*d.get(p)?);
        p += 1;
    } else if len == 0x82 {
        len = usize::from(u16::from_be_bytes([*d.get(p)?, *d.get(p + 1)?]));
        p += 2;
    }
    Some(crate::net::printable(d.get(p..p + len)?))
}

pub(crate) async fn probe(ctx: &Ctx, svc: &mut Service) -> PResult<()> {
    ctx.count_attempt();
    let r = udp_exchange(ctx.addr, &get_sysdescr(), ctx.timeout).await?;
    let descr = parse(&r).ok_or_else(|| ProbeError::Garbage("no sysDescr in the answer".into()))?;
    svc.ident("sys_descr", descr);
    svc.fact("community_public", true);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_sys_descr_from_a_get_response() {
        // The request turned into a GetResponse whose value is an OCTET STRING.
        let mut vb = vec![0x06, 8];
        vb.extend_from_slice(&super::SYS_DESCR);
        vb.extend_from_slice(&[0x04, 9]);
        vb.extend_from_slice(b"RTU-5 fw1");
        let mut resp = vec![0x30, 0x00, 0x02, 1, 1, 0x04, 6];
        resp.extend_from_slice(b"public");
        resp.extend_from_slice(&[0xA2, 0x00]);
        resp.extend_from_slice(&vb);
        assert_eq!(super::parse(&resp).as_deref(), Some("RTU-5 fw1"));
        assert_eq!(
            super::parse(&super::get_sysdescr()),
            None,
            "a request has no value"
        );
        assert_eq!(super::parse(&resp[..resp.len() - 3]), None, "truncated");
    }
}
