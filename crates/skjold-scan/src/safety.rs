//! Every byte sequence the scanner can send, per protocol, and the predicate that proves each
//! one read-only (SPEC §8: no write, no state change on any industrial device). The unit tests
//! below check every request; an end-to-end test with a recording server can use
//! [`all_requests`] and [`is_read_only`] too.

use crate::probe::{bacnet, coap, dnp3, enip, http, iec104, modbus, mqtt, opcua, s7, snmp, tls};
use skjold_proto::Direction;

/// `(protocol, request bytes)` for every request the probes can send (FTP commands are text
/// built from `USER`, `PASS` and `QUIT` and are listed with sample arguments).
pub fn all_requests() -> Vec<(&'static str, Vec<u8>)> {
    let mut v = Vec::new();
    let mut add = |p: &'static str, rs: Vec<Vec<u8>>| v.extend(rs.into_iter().map(|r| (p, r)));
    add("modbus", modbus::requests());
    add("s7comm", s7::requests());
    add("enip", enip::requests());
    add("dnp3", dnp3::requests());
    add("iec104", iec104::requests());
    add("bacnet", bacnet::requests());
    add("opcua", opcua::requests());
    add("coap", coap::requests());
    add("snmp", snmp::requests());
    add("mqtt", mqtt::requests());
    add("http", http::requests());
    add("tls", tls::requests());
    add(
        "ftp",
        vec![
            b"USER anonymous\r\n".to_vec(),
            b"PASS x\r\n".to_vec(),
            b"QUIT\r\n".to_vec(),
        ],
    );
    v
}

/// Whether a request of `protocol` is read-only by the protocol's own semantics: `Err` says why
/// not.
pub fn is_read_only(protocol: &str, r: &[u8]) -> Result<(), String> {
    let ok = match protocol {
        "modbus" => {
            let (_, adu) = skjold_proto::modbus::parse_adu(r, Direction::Request)
                .map_err(|e| format!("unparsable Modbus request: {e:?}"))?;
            let f = adu.function;
            let write = f.access().contains(skjold_proto::modbus::AccessType::WRITE);
            !write && (f.0 == 17 || (f.0 == 43 && r.get(8) == Some(&0x0E)))
        }
        "s7comm" => {
            let cotp = r.get(5).copied();
            match cotp {
                Some(0xE0) => true, // COTP connection request
                Some(0xF0) => {
                    let s7 = r.get(7..).unwrap_or_default();
                    match (s7.first(), s7.get(1)) {
                        // job: setup communication only
                        (Some(0x32), Some(1)) => s7.get(10) == Some(&0xF0),
                        // userdata: request, CPU functions group, read SZL
                        (Some(0x32), Some(7)) => {
                            s7.get(15) == Some(&0x44) && s7.get(16) == Some(&1)
                        }
                        _ => false,
                    }
                }
                _ => false,
            }
        }
        "enip" => r.len() == 24 && r[0] == 0x63 && r[1] == 0,
        "dnp3" => {
            // request link status (PRM, function 9), header only: no application layer
            r.len() == 10 && r[..3] == [0x05, 0x64, 5] && r[3] & 0x40 != 0 && r[3] & 0x0F == 9
        }
        "iec104" => r == [0x68, 4, 0x43, 0, 0, 0],
        "bacnet" => {
            let a = bacnet::apdu(r).unwrap_or_default();
            a.starts_with(&[0x10, 0x08]) || (a.first() == Some(&0x00) && a.get(3) == Some(&0x0C))
        }
        "opcua" => match r.get(..3) {
            Some(b"HEL" | b"OPN" | b"CLO") => true,
            // MSG: only GetEndpoints (i=428)
            Some(b"MSG") => r.get(24..28) == Some(&[1, 0, 0xAC, 0x01]),
            _ => false,
        },
        "coap" => r.get(1) == Some(&0x01),
        "snmp" => {
            // GetRequest PDU (0xA0) after version and community
            let c = usize::from(*r.get(6).unwrap_or(&0));
            r.get(7 + c) == Some(&0xA0)
        }
        "mqtt" => matches!(r.first().map(|b| b >> 4), Some(1 | 8 | 14)),
        "http" => r.starts_with(b"GET "),
        "tls" => r.first() == Some(&0x16) && r.get(5) == Some(&1),
        "ftp" => r.starts_with(b"USER ") || r.starts_with(b"PASS ") || r == b"QUIT\r\n",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{protocol} request is not on the read-only list: {r:02x?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_is_read_only() {
        let all = all_requests();
        assert!(all.len() > 500, "Modbus enumerates every object id");
        for (p, r) in &all {
            is_read_only(p, r).unwrap();
        }
        for p in [
            "modbus", "s7comm", "enip", "dnp3", "iec104", "bacnet", "opcua", "coap", "snmp", "mqtt",
        ] {
            assert!(
                all.iter().any(|(q, _)| *q == p),
                "{p} has no listed request"
            );
        }
    }

    #[test]
    #[allow(clippy::many_single_char_names)]
    fn the_predicates_reject_writes() {
        // Modbus write single register, write multiple coils.
        assert!(is_read_only("modbus", &[0, 1, 0, 0, 0, 6, 1, 6, 0, 1, 0, 3]).is_err());
        assert!(is_read_only("modbus", &[0, 1, 0, 0, 0, 8, 1, 15, 0, 0, 0, 1, 1, 1]).is_err());
        // S7 job write var (0x05), PLC stop (0x29).
        let mut w = s7::SETUP.to_vec();
        w[17] = 0x05;
        assert!(is_read_only("s7comm", &w).is_err());
        w[17] = 0x29;
        assert!(is_read_only("s7comm", &w).is_err());
        // DNP3 unconfirmed user data (function 4) and reset link (0).
        let mut d = dnp3::link_status_request(1);
        d[3] = 0xC4;
        assert!(is_read_only("dnp3", &d).is_err());
        // IEC-104 STARTDT act.
        assert!(is_read_only("iec104", &[0x68, 4, 0x07, 0, 0, 0]).is_err());
        // EtherNet/IP SendRRData.
        let mut e = enip::LIST_IDENTITY.to_vec();
        e[0] = 0x6F;
        assert!(is_read_only("enip", &e).is_err());
        // BACnet WriteProperty (15).
        let mut b = bacnet::read_property(1, 1, 77);
        b[9] = 0x0F;
        assert!(is_read_only("bacnet", &b).is_err());
        // CoAP PUT, SNMP SetRequest, MQTT PUBLISH, OPC UA CreateSession.
        let mut c = coap::GET_CORE.to_vec();
        c[1] = 0x03;
        assert!(is_read_only("coap", &c).is_err());
        let mut s = snmp::get_sysdescr();
        s[13] = 0xA3;
        assert!(is_read_only("snmp", &s).is_err());
        assert!(is_read_only("mqtt", &[0x30, 3, 0, 1, b'a']).is_err());
        let mut o = opcua::get_endpoints(1, 1, "opc.tcp://x");
        o[26] = 0xCD; // i=461 CreateSession
        assert!(is_read_only("opcua", &o).is_err());
    }
}
