//! EtherNet/IP encapsulation server (ODVA CIP Vol. 2, chapter 2) on TCP and UDP 44818:
//! ListIdentity (CIP Identity item 0x0C), ListServices, ListInterfaces, RegisterSession and
//! UnRegisterSession. SendRRData / SendUnitData are recorded with their CIP service and answered
//! with CIP general status 0x08 (service not supported).

use std::net::Ipv4Addr;

use super::{fill, le16, le32, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// Device state byte of the identity item (0x03: operational).
pub(crate) const STATE: u8 = 0x03;
/// Status word of the identity item (owned, configured).
pub(crate) const STATUS: u16 = 0x0030;

/// Encapsulation header with `data`, echoing the request's session and context.
fn encap(cmd: u16, session: u32, status: u32, context: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + data.len());
    out.extend_from_slice(&cmd.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(&session.to_le_bytes());
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(context);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// (major, minor) revision from the firmware string.
pub(crate) fn revision(id: &Identity) -> (u8, u8) {
    let (a, b, _) = id.firmware_parts();
    (a, b)
}

/// Serial number as the 32-bit value (the identity's `serial` read as hex, else a hash).
pub(crate) fn serial(id: &Identity) -> u32 {
    u32::from_str_radix(id.serial.trim_start_matches("0x"), 16).unwrap_or_else(|_| {
        id.serial.bytes().fold(0x811C_9DC5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        })
    })
}

/// Product code as a number (the identity's `product_code` if numeric, else 1).
pub(crate) fn product_code(id: &Identity) -> u16 {
    id.product_code.parse().unwrap_or(1)
}

/// The ListIdentity reply data (item count and the CIP Identity item).
pub(crate) fn list_identity(id: &Identity, addr: Ipv4Addr) -> Vec<u8> {
    let mut item = Vec::new();
    item.extend_from_slice(&1u16.to_le_bytes()); // encapsulation protocol version
                                                 // Socket address: sin_family, sin_port, sin_addr (big-endian), sin_zero.
    item.extend_from_slice(&2u16.to_be_bytes());
    item.extend_from_slice(&44818u16.to_be_bytes());
    item.extend_from_slice(&addr.octets());
    item.extend_from_slice(&[0; 8]);
    item.extend_from_slice(&id.vendor_id.to_le_bytes());
    item.extend_from_slice(&id.device_type.to_le_bytes());
    item.extend_from_slice(&product_code(id).to_le_bytes());
    let (maj, min) = revision(id);
    item.extend_from_slice(&[maj, min]);
    item.extend_from_slice(&STATUS.to_le_bytes());
    item.extend_from_slice(&serial(id).to_le_bytes());
    let name = &id.product.as_bytes()[..id.product.len().min(32)];
    item.push(name.len() as u8);
    item.extend_from_slice(name);
    item.push(STATE);
    let mut data = 1u16.to_le_bytes().to_vec();
    data.extend_from_slice(&0x000Cu16.to_le_bytes());
    data.extend_from_slice(&(item.len() as u16).to_le_bytes());
    data.extend_from_slice(&item);
    data
}

fn list_services() -> Vec<u8> {
    let mut data = 1u16.to_le_bytes().to_vec();
    data.extend_from_slice(&0x0100u16.to_le_bytes());
    data.extend_from_slice(&20u16.to_le_bytes());
    data.extend_from_slice(&1u16.to_le_bytes());
    // Capability flags: CIP encapsulation over TCP (bit 5) and class 0/1 over UDP (bit 8).
    data.extend_from_slice(&0x0120u16.to_le_bytes());
    data.extend_from_slice(b"Communications\0\0");
    data
}

/// CIP service code carried by a SendRRData / SendUnitData request, if readable.
fn cip_service(data: &[u8]) -> Option<u8> {
    // Interface handle (4), timeout (2), item count (2), items: type (2), length (2), data.
    let count = usize::from(le16(data.get(..8)?, 6));
    let mut at = 8;
    for _ in 0..count.min(4) {
        let head = data.get(at..at + 4)?;
        let (ty, len) = (le16(head, 0), usize::from(le16(head, 2)));
        let body = data.get(at + 4..at + 4 + len)?;
        match ty {
            0x00B2 => return body.first().copied(),
            // Connected data item: sequence count (2) then the CIP message.
            0x00B1 => return body.get(2).copied(),
            _ => {}
        }
        at += 4 + len;
    }
    None
}

/// Whether a CIP service is read-only (Get_Attributes_All/List/Single, Get_Member, ...).
fn cip_read_only(svc: u8) -> bool {
    matches!(svc, 0x01 | 0x03 | 0x0E | 0x18 | 0x4C | 0x52)
}

/// Handle one encapsulation message; `None` means no reply (or close on TCP).
fn handle(ctx: &Ctx, t: Transport, msg: &[u8], session: &mut u32) -> Option<Vec<u8>> {
    let cmd = le16(msg, 0);
    let len = usize::from(le16(msg, 2));
    let req_session = le32(msg, 4);
    let context = &msg[12..20];
    let data = &msg[24..24 + len];
    let id = &ctx.dev.spec.identity;
    let (name, write) = match cmd {
        0x0000 => ("nop", false),
        0x0004 => ("list_services", false),
        0x0063 => ("list_identity", false),
        0x0064 => ("list_interfaces", false),
        0x0065 => ("register_session", false),
        0x0066 => ("unregister_session", false),
        0x006F => ("send_rr_data", true),
        0x0070 => ("send_unit_data", true),
        _ => ("unknown_command", true),
    };
    let mut code = u32::from(cmd);
    let mut service = name.to_string();
    let mut write = write;
    if matches!(cmd, 0x006F | 0x0070) {
        if let Some(svc) = cip_service(data) {
            code = (code << 8) | u32::from(svc);
            service = format!("{name} cip_service 0x{svc:02X}");
            write = !cip_read_only(svc);
        }
    }
    ctx.rec(t, Protocol::Enip, code, service, write, false);
    match cmd {
        0x0004 => Some(encap(cmd, req_session, 0, context, &list_services())),
        0x0063 => Some(encap(
            cmd,
            req_session,
            0,
            context,
            &list_identity(id, ctx.dev.addr),
        )),
        0x0064 => Some(encap(cmd, req_session, 0, context, &0u16.to_le_bytes())),
        0x0065 if t == Transport::Tcp => {
            if len != 4 || le16(data, 0) != 1 {
                // Unsupported protocol revision.
                return Some(encap(cmd, 0, 0x0069, context, data));
            }
            *session = 0x1000_0000 | (ctx.dev.index as u32);
            Some(encap(cmd, *session, 0, context, data))
        }
        0x0000 | 0x0066 => None,
        0x006F | 0x0070 if t == Transport::Tcp => {
            if req_session != *session || *session == 0 {
                return Some(encap(cmd, req_session, 0x0064, context, &[]));
            }
            // Reply with the same interface handle/timeout, one null address item and an
            // unconnected data item: service | 0x80, reserved, status 0x08, no extra status.
            let svc = cip_service(data).unwrap_or(0);
            let mut d = vec![0; 6];
            d.extend_from_slice(&2u16.to_le_bytes());
            d.extend_from_slice(&[0, 0, 0, 0]);
            d.extend_from_slice(&0x00B2u16.to_le_bytes());
            d.extend_from_slice(&4u16.to_le_bytes());
            d.extend_from_slice(&[svc | 0x80, 0, 0x08, 0]);
            Some(encap(cmd, req_session, 0, context, &d))
        }
        // Invalid or unsupported command.
        _ => Some(encap(cmd, req_session, 0x0001, context, &[])),
    }
}

/// Serve one TCP connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let mut buf = Vec::new();
    let mut session = 0u32;
    loop {
        if !fill(&mut s, &mut buf, 24).await {
            return;
        }
        let len = usize::from(le16(&buf, 2));
        if !fill(&mut s, &mut buf, 24 + len).await {
            return;
        }
        let msg: Vec<u8> = buf.drain(..24 + len).collect();
        let cmd = le16(&msg, 0);
        match handle(&ctx, Transport::Tcp, &msg, &mut session) {
            Some(reply) if !send(&mut s, &reply).await => return,
            None if cmd == 0x0066 => return,
            _ => {}
        }
    }
}

/// Answer one UDP datagram.
pub(crate) fn datagram(ctx: &Ctx, d: &[u8]) -> Option<Vec<u8>> {
    if d.len() < 24 || d.len() != 24 + usize::from(le16(d, 2)) {
        return None;
    }
    let mut session = 0;
    let cmd = le16(d, 0);
    // Over UDP only the list commands are defined.
    if !matches!(cmd, 0x0004 | 0x0063 | 0x0064) {
        ctx.rec(
            Transport::Udp,
            Protocol::Enip,
            u32::from(cmd),
            "udp_command",
            true,
            false,
        );
        return None;
    }
    handle(ctx, Transport::Udp, d, &mut session)
}
