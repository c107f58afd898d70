//! Modbus/TCP application data units for the synthetic plant.
//!
//! Follows the MODBUS Application Protocol Specification V1.1b3 (function codes
//! 1, 2, 3, 4, 6, 16 and 43/14 Read Device Identification) and the MODBUS
//! Messaging on TCP/IP Implementation Guide V1.0b (the 7-byte MBAP header).

use crate::rng::XorShift;

pub(crate) const READ_COILS: u8 = 1;
pub(crate) const READ_DISCRETE_INPUTS: u8 = 2;
pub(crate) const READ_HOLDING_REGISTERS: u8 = 3;
pub(crate) const READ_INPUT_REGISTERS: u8 = 4;
pub(crate) const WRITE_SINGLE_REGISTER: u8 = 6;
pub(crate) const WRITE_MULTIPLE_REGISTERS: u8 = 16;
pub(crate) const ENCAPSULATED_INTERFACE: u8 = 43;
/// MEI type of Read Device Identification.
pub(crate) const MEI_READ_DEVICE_ID: u8 = 14;

/// A read that a master polls cyclically.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Read {
    pub(crate) function: u8,
    pub(crate) address: u16,
    pub(crate) quantity: u16,
}

impl Read {
    /// A plausible poll-list entry.
    pub(crate) fn random(rng: &mut XorShift) -> Self {
        match rng.range(0, 3) {
            0 => Self {
                function: READ_HOLDING_REGISTERS,
                address: *rng.pick(&[0, 100, 400, 1000, 4000]) + rng.range(0, 20) as u16,
                quantity: rng.range(1, 60) as u16,
            },
            1 => Self {
                function: READ_INPUT_REGISTERS,
                address: rng.range(0, 200) as u16,
                quantity: rng.range(1, 24) as u16,
            },
            2 => Self {
                function: READ_COILS,
                address: rng.range(0, 64) as u16,
                quantity: rng.range(8, 96) as u16,
            },
            _ => Self {
                function: READ_DISCRETE_INPUTS,
                address: rng.range(0, 64) as u16,
                quantity: rng.range(8, 48) as u16,
            },
        }
    }
}

/// Wraps `pdu` in an MBAP header.
pub(crate) fn adu(transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(7 + pdu.len());
    out.extend_from_slice(&transaction.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // protocol identifier: Modbus
    out.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes()); // unit id + PDU
    out.push(unit);
    out.extend_from_slice(pdu);
    out
}

/// Request PDU for a read.
pub(crate) fn read_request(r: Read) -> Vec<u8> {
    let mut p = vec![r.function];
    p.extend_from_slice(&r.address.to_be_bytes());
    p.extend_from_slice(&r.quantity.to_be_bytes());
    p
}

/// Response PDU for a read, with values from `rng` (bits past the quantity are zero).
pub(crate) fn read_response(r: Read, rng: &mut XorShift) -> Vec<u8> {
    let mut p = vec![r.function];
    match r.function {
        READ_COILS | READ_DISCRETE_INPUTS => {
            let n = usize::from(r.quantity).div_ceil(8);
            p.push(n as u8);
            for i in 0..n {
                let bits_here = (usize::from(r.quantity) - i * 8).min(8);
                let mask = if bits_here == 8 {
                    0xFF
                } else {
                    (1u8 << bits_here) - 1
                };
                p.push((rng.next_u32() as u8) & mask);
            }
        }
        _ => {
            p.push((r.quantity * 2) as u8);
            for i in 0..r.quantity {
                // Process values: mostly small analogue readings, some counters.
                let v = if i % 4 == 3 {
                    rng.next_u16()
                } else {
                    rng.range(0, 1000) as u16
                };
                p.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
    p
}

/// FC6 request; the normal response echoes it.
pub(crate) fn write_single_register(address: u16, value: u16) -> Vec<u8> {
    let mut p = vec![WRITE_SINGLE_REGISTER];
    p.extend_from_slice(&address.to_be_bytes());
    p.extend_from_slice(&value.to_be_bytes());
    p
}

/// FC16 request and its response.
pub(crate) fn write_multiple_registers(address: u16, values: &[u16]) -> (Vec<u8>, Vec<u8>) {
    let qty = values.len() as u16;
    let mut req = vec![WRITE_MULTIPLE_REGISTERS];
    req.extend_from_slice(&address.to_be_bytes());
    req.extend_from_slice(&qty.to_be_bytes());
    req.push((values.len() * 2) as u8);
    for v in values {
        req.extend_from_slice(&v.to_be_bytes());
    }
    let mut resp = vec![WRITE_MULTIPLE_REGISTERS];
    resp.extend_from_slice(&address.to_be_bytes());
    resp.extend_from_slice(&qty.to_be_bytes());
    (req, resp)
}

/// FC43/14 request: basic device identification (code 01), from object 0.
pub(crate) fn device_id_request() -> Vec<u8> {
    vec![ENCAPSULATED_INTERFACE, MEI_READ_DEVICE_ID, 0x01, 0x00]
}

/// FC43/14 response carrying objects `VendorName`, `ProductCode` and `MajorMinorRevision`.
pub(crate) fn device_id_response(vendor: &str, product: &str, revision: &str) -> Vec<u8> {
    let mut p = vec![
        ENCAPSULATED_INTERFACE,
        MEI_READ_DEVICE_ID,
        0x01, // read device id code: basic
        0x81, // conformity level: basic, stream and individual access
        0x00, // more follows: no
        0x00, // next object id
        0x03, // number of objects
    ];
    for (id, value) in [(0u8, vendor), (1, product), (2, revision)] {
        p.push(id);
        p.push(value.len() as u8);
        p.extend_from_slice(value.as_bytes());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_holding_registers_adu_layout() {
        let r = Read {
            function: READ_HOLDING_REGISTERS,
            address: 0x006B,
            quantity: 3,
        };
        // Spec example: 03 00 6B 00 03 inside an MBAP header.
        assert_eq!(
            adu(0x0001, 0x11, &read_request(r)),
            [
                0x00, 0x01, // transaction id
                0x00, 0x00, // protocol id
                0x00, 0x06, // length: unit + 5 PDU bytes
                0x11, // unit id
                0x03, 0x00, 0x6B, 0x00, 0x03,
            ]
        );
        let resp = read_response(r, &mut XorShift::new(1));
        assert_eq!(resp.len(), 2 + 6);
        assert_eq!(resp[1], 6);
    }

    #[test]
    fn coil_response_masks_unused_bits() {
        let r = Read {
            function: READ_COILS,
            address: 0,
            quantity: 10,
        };
        for seed in 0..50 {
            let resp = read_response(r, &mut XorShift::new(seed));
            assert_eq!(resp[1], 2);
            assert_eq!(resp[3] & !0x03, 0);
        }
    }

    #[test]
    fn device_id_response_layout() {
        let p = device_id_response("WAGO", "750-881", "01.09");
        assert_eq!(&p[..7], &[0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x03]);
        assert_eq!(&p[7..13], b"\x00\x04WAGO");
        assert_eq!(p.len(), 7 + 6 + 9 + 7);
    }
}
