//! EtherNet/IP identification: the encapsulation command `ListIdentity` (0x0063), over TCP or UDP
//! 44818. It carries no CIP service at all. Replies are parsed with `skjold_proto::enip`
//! (encapsulation, common packet format, identity item, vendor names).

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::enip as ep;
use skjold_proto::ParseError;

/// `ListIdentity` request (24-byte encapsulation header, no data).
pub(crate) const LIST_IDENTITY: [u8; 24] = [
    0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b's', b'k', b'j', b'o', b'l', b'd', 0, 0, 0, 0, 0, 0,
];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![LIST_IDENTITY.to_vec()]
}

pub(crate) fn split(b: &[u8]) -> Frame {
    match ep::parse_encap(b) {
        Ok((rest, _)) => Frame::Complete(b.len() - rest.len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("EtherNet/IP: {e}")),
    }
}

/// Fills the identity from a `ListIdentity` reply; false when it has no identity item.
pub(crate) fn parse_reply(b: &[u8], svc: &mut Service) -> bool {
    let Ok((_, e)) = ep::parse_encap(b) else {
        return false;
    };
    if e.header.command.0 != 0x63 {
        return false;
    }
    let Some(id) = ep::parse_cpf(e.data)
        .and_then(|c| c.item(ep::ItemType(0x000C)))
        .and_then(ep::parse_identity)
    else {
        return false;
    };
    svc.ident("vendor_id", id.vendor_id.to_string());
    if let Some(v) = ep::vendor_name(id.vendor_id) {
        svc.ident("vendor", v);
    }
    svc.ident("device_type", id.device_type.to_string());
    svc.ident("device_type_name", ep::device_type_name(id.device_type));
    svc.ident("product_code", id.product_code.to_string());
    svc.ident(
        "version",
        format!("{}.{}", id.revision_major, id.revision_minor),
    );
    svc.ident("serial", format!("{:#010x}", id.serial));
    svc.ident("product", crate::net::printable(id.product_name));
    svc.fact("auth_required", false);
    true
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

#[cfg(test)]
mod tests {
    use crate::model::{Service, Transport};

    /// A `ListIdentity` reply as a 1756-EN2T sends it.
    fn reply() -> Vec<u8> {
        let mut id = vec![1, 0, 0, 2, 0xAF, 0x12, 127, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0];
        id.extend_from_slice(&1u16.to_le_bytes()); // vendor
        id.extend_from_slice(&12u16.to_le_bytes()); // device type
        id.extend_from_slice(&166u16.to_le_bytes()); // product code
        id.extend_from_slice(&[11, 8, 0x60, 0x00]); // revision, status
        id.extend_from_slice(&0x6000_0003u32.to_le_bytes());
        id.push(11);
        id.extend_from_slice(b"1756-EN2T/D");
        id.push(3);
        let mut data = vec![1, 0, 0x0C, 0];
        data.extend_from_slice(&(id.len() as u16).to_le_bytes());
        data.extend_from_slice(&id);
        let mut r = super::LIST_IDENTITY.to_vec();
        r[2..4].copy_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(&data);
        r
    }

    #[test]
    fn list_identity_reply() {
        let mut s = Service::new(44818, Transport::Tcp, "enip");
        let r = reply();
        assert!(matches!(super::split(&r), crate::net::Frame::Complete(n) if n == r.len()));
        assert!(super::parse_reply(&r, &mut s));
        let get = |k: &str| s.identity.get(k).cloned().unwrap_or_default();
        assert_eq!(get("vendor_id"), "1");
        assert!(get("vendor").contains("Rockwell"), "{:?}", s.identity);
        assert_eq!(get("product_code"), "166");
        assert_eq!(get("version"), "11.8");
        assert_eq!(get("serial"), "0x60000003");
        assert_eq!(get("product"), "1756-EN2T/D");
        // Truncated or other commands are refused.
        let mut s2 = Service::new(44818, Transport::Tcp, "enip");
        assert!(!super::parse_reply(&r[..40], &mut s2));
        let mut other = r.clone();
        other[0] = 0x64;
        assert!(!super::parse_reply(&other, &mut s2));
    }
}
