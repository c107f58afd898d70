//! Modbus/TCP identification: Read Device Identification (function 43, MEI 14, read codes 1 and
//! 2), falling back to Report Server ID (function 17). Both are read-only; responses are parsed
//! with `skjold_proto::modbus`.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::modbus::{self, Data};
use skjold_proto::Direction;

/// Unit identifier used (1: the usual default of devices and of gateways' first slave).
const UNIT: u8 = 1;

/// Read Device Identification request: `read_code` 1 basic / 2 regular, from `object`.
pub(crate) fn device_id_request(tid: u16, read_code: u8, object: u8) -> Vec<u8> {
    let t = tid.to_be_bytes();
    vec![t[0], t[1], 0, 0, 0, 5, UNIT, 0x2B, 0x0E, read_code, object]
}

/// Report Server ID request.
pub(crate) fn report_server_id_request(tid: u16) -> Vec<u8> {
    let t = tid.to_be_bytes();
    vec![t[0], t[1], 0, 0, 0, 2, UNIT, 0x11]
}

/// Every request this probe can send (for the safety test).
pub(crate) fn requests() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for obj in 0..=255u8 {
        v.push(device_id_request(1, 1, obj));
        v.push(device_id_request(1, 2, obj));
    }
    v.push(report_server_id_request(1));
    v
}

fn split(b: &[u8]) -> Frame {
    if b.len() < 6 {
        return Frame::NeedMore;
    }
    if b[2] != 0 || b[3] != 0 {
        return Frame::Invalid("Modbus protocol id is not 0".into());
    }
    let len = usize::from(u16::from_be_bytes([b[4], b[5]]));
    if !(2..=254).contains(&len) {
        return Frame::Invalid(format!("Modbus length {len} out of range"));
    }
    Frame::Complete(6 + len)
}

const OBJ_KEYS: [&str; 7] = [
    "vendor",
    "product_code",
    "revision",
    "vendor_url",
    "product",
    "model",
    "user_application",
];

pub(crate) async fn probe(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let mut tid = 1u16;
    let mut got_id = false;
    let mut exception = None;
    'codes: for read_code in [1u8, 2] {
        let mut object = if read_code == 1 { 0 } else { 3 };
        for _ in 0..4 {
            let raw = c
                .exchange(&device_id_request(tid, read_code, object), split)
                .await?;
            tid += 1;
            let (_, adu) = modbus::parse_adu(&raw, Direction::Response)
                .map_err(|e| ProbeError::Garbage(format!("Modbus: {e:?}")))?;
            match adu.data {
                Data::DeviceIdResponse(d) => {
                    got_id = true;
                    svc.fact("conformity_level", d.conformity_level);
                    for (id, value) in d.objects() {
                        let text = crate::net::printable(value);
                        match OBJ_KEYS.get(usize::from(id)) {
                            Some(k) => svc.ident(k, text),
                            None => svc.ident(&format!("object_{id:#04x}"), text),
                        }
                    }
                    if d.more_follows == 0xFF && d.next_object_id > object {
                        object = d.next_object_id;
                    } else {
                        continue 'codes;
                    }
                }
                Data::Exception { code } => {
                    exception = Some(code.0);
                    break 'codes;
                }
                _ => {
                    return Err(ProbeError::Garbage(
                        "Modbus answer is not function 43/14".into(),
                    ))
                }
            }
        }
    }
    if !got_id {
        if let Some(code) = exception {
            svc.fact("device_id_exception", code);
        }
        let raw = c.exchange(&report_server_id_request(tid), split).await?;
        let (_, adu) = modbus::parse_adu(&raw, Direction::Response)
            .map_err(|e| ProbeError::Garbage(format!("Modbus: {e:?}")))?;
        match adu.data {
            Data::ReportServerId { data, .. } => {
                svc.ident("server_id", crate::net::printable(data));
                if let Some(b) = data.first() {
                    svc.fact("server_id_raw", format!("{b:#04x}"));
                }
            }
            Data::Exception { code } => {
                svc.fact("report_server_id_exception", code.0);
            }
            _ => {
                return Err(ProbeError::Garbage(
                    "Modbus answer is not function 17".into(),
                ))
            }
        }
    }
    svc.fact("unit_id", UNIT);
    // Modbus/TCP has no authentication: any answer proves unauthenticated access.
    svc.fact("auth_required", false);
    c.close().await;
    Ok(())
}
