//! Modbus/TCP server (Modbus Application Protocol V1.1b3, MBAP per the TCP/IP implementation
//! guide V1.0b): reads of coils, inputs and registers (register `n` holds `n`), 17 Report Server
//! ID, 43/14 Read Device Identification (basic and regular objects, stream and individual
//! access). Writes are answered as a PLC would (echo) but change nothing; everything is recorded.

use super::{fill, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{Identity, Protocol};

/// Number of coils, inputs and registers of each table.
const TABLE: u32 = 10_000;

/// Whether a request with this function code (and PDU) writes or changes state.
pub(crate) fn is_write(pdu: &[u8]) -> bool {
    match pdu.first().copied().unwrap_or(0) {
        1..=4 | 7 | 11 | 12 | 17 | 20 | 24 => false,
        // Diagnostics: only 00 Return Query Data is free of side effects.
        8 => !(pdu.len() >= 3 && pdu[1] == 0 && pdu[2] == 0),
        // Encapsulated interface: 14 Read Device Identification only.
        43 => pdu.get(1) != Some(&14),
        _ => true,
    }
}

fn function_name(code: u8) -> &'static str {
    match code {
        1 => "read_coils",
        2 => "read_discrete_inputs",
        3 => "read_holding_registers",
        4 => "read_input_registers",
        5 => "write_single_coil",
        6 => "write_single_register",
        7 => "read_exception_status",
        8 => "diagnostics",
        15 => "write_multiple_coils",
        16 => "write_multiple_registers",
        17 => "report_server_id",
        20 => "read_file_record",
        21 => "write_file_record",
        22 => "mask_write_register",
        23 => "read_write_multiple_registers",
        24 => "read_fifo_queue",
        43 => "encapsulated_interface_transport",
        _ => "unknown",
    }
}

/// Device identification objects 0-6 of `id`.
pub(crate) fn objects(id: &Identity) -> [(u8, String); 7] {
    [
        (0, id.vendor.clone()),
        (1, id.product_code.clone()),
        (2, id.firmware.clone()),
        (3, id.vendor_url.clone()),
        (4, id.product.clone()),
        (5, id.model.clone()),
        (6, id.plant_id.clone()),
    ]
}

/// The `additional data` of Report Server ID (function 17).
pub(crate) fn server_id_data(id: &Identity) -> String {
    format!("{} {} {}", id.vendor, id.product, id.firmware)
}

fn exception(fc: u8, code: u8) -> Vec<u8> {
    vec![fc | 0x80, code]
}

/// The response PDU to request `pdu` (non-empty).
pub(crate) fn respond(id: &Identity, pdu: &[u8]) -> Vec<u8> {
    let fc = pdu[0];
    let u16_at =
        |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*pdu.get(i)?, *pdu.get(i + 1)?])) };
    match fc {
        1..=4 => {
            let (Some(addr), Some(qty)) = (u16_at(1), u16_at(3)) else {
                return exception(fc, 3);
            };
            let max = if fc <= 2 { 2000 } else { 125 };
            if qty == 0 || qty > max || pdu.len() != 5 {
                return exception(fc, 3);
            }
            if u32::from(addr) + u32::from(qty) > TABLE {
                return exception(fc, 2);
            }
            let mut out = vec![fc];
            if fc <= 2 {
                let n = qty.div_ceil(8);
                out.push(n as u8);
                // Coil/input `a` is on when `a` is odd.
                for byte in 0..n {
                    let mut v = 0u8;
                    for bit in 0..8 {
                        let i = byte * 8 + bit;
                        if i < qty && (addr + i) % 2 == 1 {
                            v |= 1 << bit;
                        }
                    }
                    out.push(v);
                }
            } else {
                out.push((qty * 2) as u8);
                for a in addr..addr + qty {
                    out.extend_from_slice(&a.to_be_bytes());
                }
            }
            out
        }
        // Echo, as a device that accepted the write would (nothing is stored).
        5 | 6 if pdu.len() == 5 => pdu.to_vec(),
        15 | 16 if pdu.len() >= 6 => pdu[..5].to_vec(),
        7 => vec![7, 0],
        8 if pdu.len() >= 3 && pdu[1] == 0 && pdu[2] == 0 => pdu.to_vec(),
        17 => {
            let data = server_id_data(id);
            let data = &data.as_bytes()[..data.len().min(240)];
            // Byte count, server id, run indicator (0xFF = ON), additional data.
            let mut out = vec![17, (2 + data.len()) as u8, 0x01, 0xFF];
            out.extend_from_slice(data);
            out
        }
        43 if pdu.len() == 4 && pdu[1] == 14 => device_id(id, pdu[2], pdu[3]),
        _ => exception(fc, 1),
    }
}

/// Read Device Identification response for read code `code` from object `start`.
fn device_id(id: &Identity, code: u8, start: u8) -> Vec<u8> {
    let objs = objects(id);
    // Conformity level 0x82: regular identification, stream and individual access.
    let mut out = vec![43, 14, code, 0x82];
    let selected: Vec<&(u8, String)> = match code {
        1..=3 => {
            let last = if code == 1 { 2 } else { 6 };
            // An unknown start object restarts at object 0 (V1.1b3 §6.21).
            let start = if start > last { 0 } else { start };
            objs.iter()
                .filter(|(i, _)| *i >= start && *i <= last)
                .collect()
        }
        4 => match objs.iter().find(|(i, _)| *i == start) {
            Some(o) => vec![o],
            None => return exception(43, 2),
        },
        _ => return exception(43, 3),
    };
    out.extend_from_slice(&[0x00, 0x00, selected.len() as u8]);
    for (i, v) in selected {
        let v = &v.as_bytes()[..v.len().min(200)];
        out.push(*i);
        out.push(v.len() as u8);
        out.extend_from_slice(v);
    }
    out
}

/// Serve one Modbus/TCP connection.
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx) {
    let mut buf = Vec::new();
    loop {
        if !fill(&mut s, &mut buf, 7).await {
            return;
        }
        let len = usize::from(super::be16(&buf, 4));
        // MBAP length covers the unit id and the PDU: 2..=254.
        if !(2..=254).contains(&len) || super::be16(&buf, 2) != 0 {
            return;
        }
        if !fill(&mut s, &mut buf, 6 + len).await {
            return;
        }
        let adu: Vec<u8> = buf.drain(..6 + len).collect();
        let pdu = &adu[7..];
        let fc = pdu[0];
        let name = if fc == 43 && pdu.get(1) == Some(&14) {
            format!(
                "read_device_identification {}",
                pdu.get(2).copied().unwrap_or(0)
            )
        } else {
            function_name(fc).to_string()
        };
        ctx.rec(
            Transport::Tcp,
            Protocol::Modbus,
            u32::from(fc),
            name,
            is_write(pdu),
            false,
        );
        let resp = respond(&ctx.dev.spec.identity, pdu);
        let mut out = Vec::with_capacity(7 + resp.len());
        out.extend_from_slice(&adu[..4]);
        out.extend_from_slice(&((resp.len() + 1) as u16).to_be_bytes());
        out.push(adu[6]);
        out.extend_from_slice(&resp);
        if !send(&mut s, &out).await {
            return;
        }
    }
}
