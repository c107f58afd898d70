//! S7comm server over ISO-on-TCP (RFC 1006 TPKT, ISO 8073 COTP class 0): connection request →
//! connection confirm, S7 Setup Communication, and userdata Read SZL of 0x0011 (module
//! identification: order number, hardware and firmware version) and 0x001C (component
//! identification: system name, module name, plant id, copyright, serial number, module type).
//! Other jobs are answered with an error and recorded; jobs that write, download, start or stop
//! count as writes.

use super::{fill, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// Largest PDU the simulated CPU negotiates.
const PDU_SIZE: u16 = 240;

/// TPKT + COTP DT header in front of an S7 PDU.
fn dt(s7: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(7 + s7.len());
    out.extend_from_slice(&[3, 0]);
    out.extend_from_slice(&((7 + s7.len()) as u16).to_be_bytes());
    // COTP DT: length indicator 2, code 0xF0, last data unit, TPDU number 0.
    out.extend_from_slice(&[2, 0xF0, 0x80]);
    out.extend_from_slice(s7);
    out
}

/// COTP connection confirm for a connection request `cr` (the COTP part, from its LI).
fn connect_confirm(cr: &[u8]) -> Vec<u8> {
    // CR: LI, 0xE0, dst-ref(2), src-ref(2), class, parameters.
    let src_ref = [cr[4], cr[5]];
    let mut params = Vec::new();
    let mut i = 7;
    while i + 2 <= cr.len() {
        let (code, len) = (cr[i], usize::from(cr[i + 1]));
        if i + 2 + len > cr.len() {
            break;
        }
        if matches!(code, 0xC0..=0xC2) {
            params.extend_from_slice(&cr[i..i + 2 + len]);
        }
        i += 2 + len;
    }
    let mut cotp = vec![0, 0xD0, src_ref[0], src_ref[1], 0x00, 0x01, 0x00];
    cotp.extend_from_slice(&params);
    cotp[0] = (cotp.len() - 1) as u8;
    let mut out = vec![3, 0];
    out.extend_from_slice(&((4 + cotp.len()) as u16).to_be_bytes());
    out.extend_from_slice(&cotp);
    out
}

/// Space-padded fixed-width ASCII.
fn padded(s: &str, n: usize, pad: u8) -> Vec<u8> {
    let mut v: Vec<u8> = s.bytes().take(n).collect();
    v.resize(n, pad);
    v
}

/// SZL 0x0011 records (index 1 module, 6 basic hardware, 7 basic firmware), 28 bytes each.
pub(crate) fn szl_0011(id: &Identity) -> Vec<Vec<u8>> {
    let (maj, min, patch) = id.firmware_parts();
    let rec = |index: u16, mlfb: &str, bgtyp: u16, ausbg: [u8; 2], ausbe: [u8; 2]| {
        let mut r = index.to_be_bytes().to_vec();
        r.extend_from_slice(&padded(mlfb, 20, b' '));
        r.extend_from_slice(&bgtyp.to_be_bytes());
        r.extend_from_slice(&ausbg);
        r.extend_from_slice(&ausbe);
        r
    };
    vec![
        rec(0x0001, &id.order_number, 0, [0, 1], [0, 1]),
        rec(0x0006, &id.order_number, 0, [0, 1], [0, 1]),
        rec(0x0007, "", 0, [b'V', maj], [min, patch]),
    ]
}

/// SZL 0x001C records (index 1-5, 7), 34 bytes each: index and NUL-padded text.
pub(crate) fn szl_001c(id: &Identity) -> Vec<Vec<u8>> {
    let rec = |index: u16, text: &str| {
        let mut r = index.to_be_bytes().to_vec();
        r.extend_from_slice(&padded(text, 32, 0));
        r
    };
    vec![
        rec(1, &id.hostname),
        rec(2, &id.module_name),
        rec(3, &id.plant_id),
        rec(4, "Original Siemens Equipment"),
        rec(5, &id.serial),
        rec(7, &id.model),
    ]
}

/// Userdata response carrying SZL `szl_id`/`index` records (or an error when unknown).
fn szl_response(id: &Identity, pdu_ref: [u8; 2], seq: u8, szl_id: u16, index: u16) -> Vec<u8> {
    let (records, rec_len) = match szl_id {
        0x0011 => (szl_0011(id), 28u16),
        0x001C => (szl_001c(id), 34u16),
        _ => (Vec::new(), 0),
    };
    let mut data = Vec::new();
    let error: u16 = if records.is_empty() { 0xD401 } else { 0 };
    if records.is_empty() {
        // Return code 0x0A (object does not exist), transport size 0, no data.
        data.extend_from_slice(&[0x0A, 0x00, 0x00, 0x00]);
    } else {
        let mut body = Vec::new();
        body.extend_from_slice(&szl_id.to_be_bytes());
        body.extend_from_slice(&index.to_be_bytes());
        body.extend_from_slice(&rec_len.to_be_bytes());
        body.extend_from_slice(&(records.len() as u16).to_be_bytes());
        for r in &records {
            body.extend_from_slice(r);
        }
        data.extend_from_slice(&[0xFF, 0x09]);
        data.extend_from_slice(&(body.len() as u16).to_be_bytes());
        data.extend_from_slice(&body);
    }
    // Userdata parameter (response): head 00 01 12, length 8, method 0x12, type 8 group 4,
    // subfunction 1 (read SZL), sequence, data unit reference, last data unit, error code.
    let mut param = vec![0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, seq, 0x00, 0x00];
    param.extend_from_slice(&error.to_be_bytes());
    let mut s7 = vec![0x32, 0x07, 0x00, 0x00, pdu_ref[0], pdu_ref[1]];
    s7.extend_from_slice(&(param.len() as u16).to_be_bytes());
    s7.extend_from_slice(&(data.len() as u16).to_be_bytes());
    s7.extend_from_slice(&param);
    s7.extend_from_slice(&data);
    dt(&s7)
}

/// Ack-data header (ROSCTR 3) with error class/code and the given parameter and data.
fn ack_data(pdu_ref: [u8; 2], err: [u8; 2], param: &[u8], data: &[u8]) -> Vec<u8> {
    let mut s7 = vec![0x32, 0x03, 0x00, 0x00, pdu_ref[0], pdu_ref[1]];
    s7.extend_from_slice(&(param.len() as u16).to_be_bytes());
    s7.extend_from_slice(&(data.len() as u16).to_be_bytes());
    s7.extend_from_slice(&err);
    s7.extend_from_slice(param);
    s7.extend_from_slice(data);
    dt(&s7)
}

fn job_name(f: u8) -> (&'static str, bool) {
    match f {
        0x00 => ("cpu_services", true),
        0x04 => ("read_var", false),
        0x05 => ("write_var", true),
        0x1A => ("request_download", true),
        0x1B => ("download_block", true),
        0x1C => ("download_ended", true),
        0x1D => ("start_upload", false),
        0x1E => ("upload", false),
        0x1F => ("end_upload", false),
        0x28 => ("pi_service", true),
        0x29 => ("plc_stop", true),
        0xF0 => ("setup_communication", false),
        _ => ("unknown_job", true),
    }
}

/// Serve one ISO-on-TCP connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let id = &ctx.dev.spec.identity;
    let mut buf = Vec::new();
    loop {
        if !fill(&mut s, &mut buf, 4).await {
            return;
        }
        let len = usize::from(super::be16(&buf, 2));
        if buf[0] != 3 || !(7..=4096).contains(&len) {
            return;
        }
        if !fill(&mut s, &mut buf, len).await {
            return;
        }
        let tpkt: Vec<u8> = buf.drain(..len).collect();
        let cotp = &tpkt[4..];
        let li = usize::from(cotp[0]);
        if cotp.len() < li + 1 || li < 2 {
            return;
        }
        match cotp[1] & 0xF0 {
            0xE0 if li >= 6 => {
                ctx.rec(
                    Transport::Tcp,
                    Protocol::S7,
                    0xE0,
                    "cotp_connect",
                    false,
                    false,
                );
                if !send(&mut s, &connect_confirm(&cotp[..=li])).await {
                    return;
                }
                continue;
            }
            0xF0 => {}
            0x80 => {
                // Disconnect request.
                ctx.rec(
                    Transport::Tcp,
                    Protocol::S7,
                    0x80,
                    "cotp_disconnect",
                    false,
                    false,
                );
                return;
            }
            _ => return,
        }
        let s7 = &cotp[li + 1..];
        if s7.len() < 10 || s7[0] != 0x32 {
            return;
        }
        let rosctr = s7[1];
        let pdu_ref = [s7[4], s7[5]];
        let plen = usize::from(super::be16(s7, 6));
        let dlen = usize::from(super::be16(s7, 8));
        if s7.len() < 10 + plen + dlen || plen == 0 {
            return;
        }
        let param = &s7[10..10 + plen];
        let data = &s7[10 + plen..10 + plen + dlen];
        let reply = match rosctr {
            1 => {
                let f = param[0];
                let (name, write) = job_name(f);
                ctx.rec(
                    Transport::Tcp,
                    Protocol::S7,
                    u32::from(f),
                    name,
                    write,
                    false,
                );
                if f == 0xF0 && plen >= 8 {
                    let requested = super::be16(param, 6);
                    let size = requested.clamp(1, PDU_SIZE);
                    let mut p = vec![0xF0, 0x00, 0x00, 0x01, 0x00, 0x01];
                    p.extend_from_slice(&size.to_be_bytes());
                    ack_data(pdu_ref, [0, 0], &p, &[])
                } else {
                    // Error class 0x85 (error in parameters), code 0x00; parameter echoes
                    // the function with no items.
                    ack_data(pdu_ref, [0x85, 0x00], &[f, 0x00], &[])
                }
            }
            7 if plen >= 8 && param[..3] == [0x00, 0x01, 0x12] => {
                let type_group = param[5];
                let sub = param[6];
                let seq = param[7];
                let group = type_group & 0x0F;
                let is_szl = group == 4 && sub == 1;
                let (szl_id, index) = if is_szl && data.len() >= 8 {
                    (super::be16(data, 4), super::be16(data, 6))
                } else {
                    (0, 0)
                };
                let name = if is_szl {
                    format!("szl_read 0x{szl_id:04X}")
                } else {
                    format!("userdata group {group} subfunction {sub}")
                };
                // CPU functions (group 4) read SZL / message service, and clock read (group 7
                // subfunction 1) are read-only; every other userdata function may change state.
                let write = !((group == 4 && sub <= 2) || (group == 7 && sub == 1));
                ctx.rec(
                    Transport::Tcp,
                    Protocol::S7,
                    (u32::from(group) << 8) | u32::from(sub),
                    name,
                    write,
                    false,
                );
                if is_szl && data.len() >= 8 {
                    szl_response(id, pdu_ref, seq, szl_id, index)
                } else {
                    // Response with error code 0x8104 (function not implemented / context).
                    let mut p = vec![0x00, 0x01, 0x12, 0x08, 0x12];
                    p.extend_from_slice(&[0x80 | group, sub, seq, 0x00, 0x00, 0x81, 0x04]);
                    let d = [0x0A, 0x00, 0x00, 0x00];
                    let mut s7r = vec![0x32, 0x07, 0x00, 0x00, pdu_ref[0], pdu_ref[1]];
                    s7r.extend_from_slice(&(p.len() as u16).to_be_bytes());
                    s7r.extend_from_slice(&(d.len() as u16).to_be_bytes());
                    s7r.extend_from_slice(&p);
                    s7r.extend_from_slice(&d);
                    dt(&s7r)
                }
            }
            _ => {
                ctx.rec(
                    Transport::Tcp,
                    Protocol::S7,
                    u32::from(rosctr),
                    "unknown_rosctr",
                    true,
                    false,
                );
                return;
            }
        };
        if !send(&mut s, &reply).await {
            return;
        }
    }
}
