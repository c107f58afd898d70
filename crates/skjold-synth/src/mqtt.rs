//! MQTT 3.1.1 control packets for the synthetic sensors and broker.
//!
//! Follows OASIS MQTT Version 3.1.1 (2014): fixed header with the
//! variable-length "remaining length", CONNECT with username and password,
//! CONNACK, SUBSCRIBE/SUBACK, PUBLISH at quality of service 0 and 1, PUBACK, PINGREQ,
//! PINGRESP and DISCONNECT.

pub(crate) const CONNECT: u8 = 0x10;
pub(crate) const CONNACK: u8 = 0x20;
pub(crate) const PUBLISH: u8 = 0x30;
pub(crate) const PUBACK: u8 = 0x40;
pub(crate) const SUBSCRIBE: u8 = 0x82; // reserved flags 0b0010
pub(crate) const SUBACK: u8 = 0x90;
pub(crate) const PINGREQ: u8 = 0xC0;
pub(crate) const PINGRESP: u8 = 0xD0;
pub(crate) const DISCONNECT: u8 = 0xE0;

/// Fixed header + `body`.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(first);
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// CONNECT, clean session, with username and password.
pub(crate) fn connect(client_id: &str, user: &str, password: &str, keep_alive: u16) -> Vec<u8> {
    let mut b = Vec::new();
    push_str(&mut b, "MQTT");
    b.push(4); // protocol level 3.1.1
    b.push(0x80 | 0x40 | 0x02); // username, password, clean session
    b.extend_from_slice(&keep_alive.to_be_bytes());
    push_str(&mut b, client_id);
    push_str(&mut b, user);
    push_str(&mut b, password);
    packet(CONNECT, &b)
}

/// CONNACK, session not present, return code 0 (accepted).
pub(crate) fn connack() -> Vec<u8> {
    packet(CONNACK, &[0x00, 0x00])
}

/// SUBSCRIBE to one filter.
pub(crate) fn subscribe(packet_id: u16, filter: &str, qos: u8) -> Vec<u8> {
    let mut b = packet_id.to_be_bytes().to_vec();
    push_str(&mut b, filter);
    b.push(qos);
    packet(SUBSCRIBE, &b)
}

/// SUBACK granting `qos`.
pub(crate) fn suback(packet_id: u16, qos: u8) -> Vec<u8> {
    let mut b = packet_id.to_be_bytes().to_vec();
    b.push(qos);
    packet(SUBACK, &b)
}

/// PUBLISH; `packet_id` is used at `qos` 1 and ignored at `qos` 0.
pub(crate) fn publish(topic: &str, qos: u8, packet_id: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(topic.len() + payload.len() + 4);
    push_str(&mut b, topic);
    if qos > 0 {
        b.extend_from_slice(&packet_id.to_be_bytes());
    }
    b.extend_from_slice(payload);
    packet(PUBLISH | (qos << 1), &b)
}

pub(crate) fn puback(packet_id: u16) -> Vec<u8> {
    packet(PUBACK, &packet_id.to_be_bytes())
}

pub(crate) fn pingreq() -> Vec<u8> {
    packet(PINGREQ, &[])
}

pub(crate) fn pingresp() -> Vec<u8> {
    packet(PINGRESP, &[])
}

pub(crate) fn disconnect() -> Vec<u8> {
    packet(DISCONNECT, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_uses_continuation_bytes() {
        assert_eq!(packet(PINGREQ, &[]), [0xC0, 0x00]);
        let p = packet(PUBLISH, &[0u8; 200]);
        assert_eq!(&p[..3], &[0x30, 0xC8, 0x01]); // 200 = 0x48 | 0x80, 1
        assert_eq!(p.len(), 203);
    }

    #[test]
    fn connect_layout() {
        let p = connect("c", "u", "p", 60);
        assert_eq!(
            p,
            [
                0x10, 19, // CONNECT, remaining length
                0, 4, b'M', b'Q', b'T', b'T', // protocol name
                4,    // level
                0xC2, // flags
                0, 60, // keep alive
                0, 1, b'c', 0, 1, b'u', 0, 1, b'p',
            ]
        );
    }

    #[test]
    fn publish_qos1_has_packet_id() {
        let p = publish("a/b", 1, 0x1234, b"x");
        assert_eq!(p, [0x32, 8, 0, 3, b'a', b'/', b'b', 0x12, 0x34, b'x']);
        assert_eq!(
            publish("a/b", 0, 9, b"x"),
            [0x30, 6, 0, 3, b'a', b'/', b'b', b'x']
        );
    }
}
