//! Byte-table tests for the MQTT parser: one case per control packet of MQTT 3.1.1 (OASIS
//! Standard) and MQTT 5.0 (OASIS Standard) plus MQTT 3.1 `MQIsdp`, with a comment per field,
//! the anomaly flags, large-PUBLISH handling and probing.

use rstest::rstest;
use skjold_proto::mqtt::{
    self, parse_fixed_header, parse_packet, parse_publish_head, Body, Flags, PacketType, PropValue,
    PropertyId, DEFAULT_MAX_PACKET, MAX_PROPERTIES,
};
use skjold_proto::{ParseError, Probe};

fn varint(mut len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        v.push(b);
        if len == 0 {
            return v;
        }
    }
}

fn parse(input: &[u8], level: u8) -> mqtt::Packet<'_> {
    let (rest, p) = parse_packet(input, level, DEFAULT_MAX_PACKET).expect("parses");
    assert!(rest.is_empty(), "left over: {rest:?}");
    p
}

#[test]
fn connect_v311_with_will_user_and_password() {
    let input = [
        0x10, 0x2c, // CONNECT, remaining length 44
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name "MQTT"
        0x04, // level 4 (3.1.1)
        0xee, // flags: user, password, will retain, will qos 1, will, clean session
        0x00, 0x3c, // keepalive 60
        0x00, 0x03, b'c', b'i', b'd', // client id "cid"
        0x00, 0x05, b'w', b'/', b't', b'o', b'p', // will topic "w/top"
        0x00, 0x04, b'g', b'o', b'n', b'e', // will message "gone"
        0x00, 0x04, b'u', b's', b'e', b'r', // user name "user"
        0x00, 0x08, b'p', b'a', b's', b's', b'w', b'o', b'r', b'd', // password
    ];
    let p = parse(&input, 4);
    assert_eq!(p.header.packet_type, PacketType::CONNECT);
    assert!(
        p.flags.is_empty(),
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
    let Body::Connect(c) = p.body else {
        panic!("not a connect: {:?}", p.body)
    };
    assert_eq!(c.protocol_name, b"MQTT");
    assert_eq!(c.level, 4);
    assert!(c.flags.username() && c.flags.password() && c.flags.will());
    assert!(c.flags.will_retain() && c.flags.clean_session());
    assert_eq!(c.flags.will_qos(), 1);
    assert_eq!(c.keepalive, 60);
    assert_eq!(c.client_id, b"cid");
    let will = c.will.expect("will");
    assert_eq!(will.topic, b"w/top");
    assert_eq!(will.message, b"gone");
    assert_eq!(c.username, Some(&b"user"[..]));
    assert_eq!(c.password_len, Some(8));
    // The password bytes are nowhere in the parsed value.
    assert!(!format!("{p:?}").contains("112, 97, 115, 115"));
}

#[test]
fn connect_v31_mqisdp() {
    let input = [
        0x10, 0x10, // CONNECT, remaining length 16
        0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', // protocol name "MQIsdp"
        0x03, // level 3 (3.1)
        0x02, // clean session
        0x00, 0x0a, // keepalive 10
        0x00, 0x02, b'i', b'd', // client id "id"
    ];
    let p = parse(&input, 4);
    let Body::Connect(c) = p.body else {
        panic!("not a connect")
    };
    assert_eq!(c.level, 3);
    assert_eq!(c.protocol_name, b"MQIsdp");
    assert!(p.flags.is_empty());
}

#[test]
fn connect_v5_with_properties_and_will_properties() {
    let input = [
        0x10, 0x1d, // CONNECT, remaining length 29
        0x00, 0x04, b'M', b'Q', b'T', b'T', // "MQTT"
        0x05, // level 5
        0x06, // will, clean start
        0x00, 0x1e, // keepalive 30
        0x05, // properties length 5
        0x11, 0x00, 0x00, 0x00, 0x78, // session expiry interval 120
        0x00, 0x01, b'c', // client id "c"
        0x02, // will properties length 2
        0x01, 0x01, // payload format indicator 1
        0x00, 0x01, b't', // will topic "t"
        0x00, 0x02, b'o', b'k', // will payload "ok"
    ];
    let p = parse(&input, 4);
    assert!(
        p.flags.is_empty(),
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
    let Body::Connect(c) = p.body else {
        panic!("not a connect")
    };
    let props: Vec<_> = c.properties.iter().collect();
    assert_eq!(props.len(), 1);
    assert_eq!(props[0].id, PropertyId::SESSION_EXPIRY_INTERVAL);
    assert_eq!(props[0].value, PropValue::Int(120));
    let will = c.will.expect("will");
    assert_eq!(will.properties.iter().count(), 1);
    assert_eq!(will.message, b"ok");
}

#[rstest]
#[case::connack_v311(4, &[
    0x20, 0x02, // CONNACK, remaining length 2
    0x01,       // session present
    0x00,       // return code: accepted
], true, 0)]
#[case::connack_v5_with_properties(5, &[
    0x20, 0x06, // CONNACK, remaining length 6
    0x00,       // no session
    0x87,       // reason: not authorized
    0x03,       // properties length 3
    0x21, 0x00, 0x0a, // receive maximum 10
], false, 0x87)]
fn connack_table(#[case] level: u8, #[case] input: &[u8], #[case] session: bool, #[case] code: u8) {
    let p = parse(input, level);
    assert!(p.flags.is_empty());
    let Body::ConnAck(c) = p.body else {
        panic!("not a connack")
    };
    assert_eq!(c.session_present, session);
    assert_eq!(c.return_code, code);
}

#[rstest]
#[case::qos0_v311(4, &[
    0x30, 0x07, // PUBLISH qos 0, remaining length 7
    0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
    b'h', b'i', // payload "hi"
], None, &b"hi"[..], 0)]
#[case::qos1_retain_v311(4, &[
    0x33, 0x09, // PUBLISH qos 1 retain, remaining length 9
    0x00, 0x03, b'a', b'/', b'b', // topic
    0x00, 0x0a, // packet id 10
    b'h', b'i', // payload
], Some(10), &b"hi"[..], 0)]
#[case::qos2_dup_v5_properties(5, &[
    0x3c, 0x0c, // PUBLISH dup qos 2, remaining length 12
    0x00, 0x01, b't', // topic "t"
    0x00, 0x02, // packet id 2
    0x05,       // properties length 5
    0x02, 0x00, 0x00, 0x00, 0x3c, // message expiry interval 60
    b'x', // payload
], Some(2), &b"x"[..], 1)]
fn publish_table(
    #[case] level: u8,
    #[case] input: &[u8],
    #[case] packet_id: Option<u16>,
    #[case] payload: &[u8],
    #[case] nprops: usize,
) {
    let p = parse(input, level);
    assert!(
        p.flags.is_empty(),
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
    let Body::Publish(pb) = p.body else {
        panic!("not a publish")
    };
    assert_eq!(pb.packet_id, packet_id);
    assert_eq!(pb.payload, payload);
    assert_eq!(pb.properties.iter().count(), nprops);
    assert_eq!(p.header.qos(), input[0] >> 1 & 3);
    assert_eq!(p.header.dup(), input[0] & 8 != 0);
    assert_eq!(p.header.retain(), input[0] & 1 != 0);
}

#[rstest]
#[case::puback_v311(4, &[0x40, 0x02, 0x00, 0x07], PacketType::PUBACK, 7, None)]
#[case::pubrec_v311(4, &[0x50, 0x02, 0x00, 0x08], PacketType::PUBREC, 8, None)]
#[case::pubrel_v311(4, &[0x62, 0x02, 0x00, 0x09], PacketType::PUBREL, 9, None)]
#[case::pubcomp_v311(4, &[0x70, 0x02, 0x00, 0x0a], PacketType::PUBCOMP, 10, None)]
#[case::puback_v5_reason(5, &[
    0x40, 0x03, // PUBACK, remaining length 3
    0x00, 0x07, // packet id 7
    0x10,       // reason: no matching subscribers
], PacketType::PUBACK, 7, Some(0x10))]
#[case::pubrec_v5_reason_and_properties(5, &[
    0x50, 0x08, // PUBREC, remaining length 8
    0x00, 0x07, // packet id 7
    0x80,       // reason: unspecified error
    0x04,       // properties length 4
    0x1f, 0x00, 0x01, b'e', // reason string "e"
], PacketType::PUBREC, 7, Some(0x80))]
fn ack_table(
    #[case] level: u8,
    #[case] input: &[u8],
    #[case] ty: PacketType,
    #[case] id: u16,
    #[case] reason: Option<u8>,
) {
    let p = parse(input, level);
    assert!(
        p.flags.is_empty(),
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
    assert_eq!(p.header.packet_type, ty);
    let (Body::PubAck(a) | Body::PubRec(a) | Body::PubRel(a) | Body::PubComp(a)) = p.body else {
        panic!("not an ack")
    };
    assert_eq!(a.packet_id, id);
    assert_eq!(a.reason_code, reason);
}

#[test]
fn subscribe_and_suback() {
    let sub = [
        0x82, 0x0e, // SUBSCRIBE (flags 0010), remaining length 14
        0x00, 0x01, // packet id 1
        0x00, 0x03, b'a', b'/', b'#', // filter "a/#"
        0x01, // qos 1
        0x00, 0x03, b'b', b'/', b'+', // filter "b/+"
        0x02, // qos 2
    ];
    let p = parse(&sub, 4);
    assert!(p.flags.is_empty());
    let Body::Subscribe(s) = p.body else {
        panic!("not a subscribe")
    };
    let subs: Vec<_> = s.filters.into_iter().map(|f| (f.topic, f.qos())).collect();
    assert_eq!(subs, vec![(&b"a/#"[..], 1), (&b"b/+"[..], 2)]);

    let ack = [
        0x90, 0x04, // SUBACK, remaining length 4
        0x00, 0x01, // packet id 1
        0x01, 0x80, // granted qos 1, failure
    ];
    let Body::SubAck(a) = parse(&ack, 4).body else {
        panic!("not a suback")
    };
    assert_eq!(a.codes, &[1, 0x80]);
}

#[test]
fn unsubscribe_and_unsuback_v5() {
    let unsub = [
        0xa2, 0x07, // UNSUBSCRIBE (flags 0010), remaining length 7
        0x00, 0x02, // packet id 2
        0x00, // properties length 0
        0x00, 0x02, b'a', b'b', // topic "ab"
    ];
    let p = parse(&unsub, 5);
    let Body::Unsubscribe(u) = p.body else {
        panic!("not an unsubscribe")
    };
    assert_eq!(u.topics.into_iter().collect::<Vec<_>>(), vec![&b"ab"[..]]);
    let ack = [
        0xb0, 0x04, // UNSUBACK, remaining length 4
        0x00, 0x02, // packet id 2
        0x00, // properties length 0
        0x11, // reason: no subscription existed
    ];
    let Body::UnsubAck(a) = parse(&ack, 5).body else {
        panic!("not an unsuback")
    };
    assert_eq!(a.codes, &[0x11]);
}

#[rstest]
#[case::pingreq(4, &[0xc0, 0x00], PacketType::PINGREQ)]
#[case::pingresp(4, &[0xd0, 0x00], PacketType::PINGRESP)]
#[case::disconnect_v311(4, &[0xe0, 0x00], PacketType::DISCONNECT)]
#[case::disconnect_v5_reason(5, &[
    0xe0, 0x01, // DISCONNECT, remaining length 1
    0x8e,       // reason: session taken over
], PacketType::DISCONNECT)]
#[case::auth_v5(5, &[
    0xf0, 0x05, // AUTH, remaining length 5
    0x18,       // reason: continue authentication
    0x03,       // properties length 3
    0x16, 0x00, 0x00, // authentication data (empty)
], PacketType::AUTH)]
fn small_packets(#[case] level: u8, #[case] input: &[u8], #[case] ty: PacketType) {
    let p = parse(input, level);
    assert!(
        p.flags.is_empty(),
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
    assert_eq!(p.header.packet_type, ty);
    if let Body::Disconnect(r) | Body::Auth(r) = p.body {
        assert_eq!(r.reason_code.is_some(), input.len() > 2);
    }
}

#[rstest]
#[case::subscribe_without_required_flags(4, &[0x80, 0x06, 0x00, 0x01, 0x00, 0x01, b'x', 0x00], Flags::RESERVED_FLAGS)]
#[case::publish_qos3(4, &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01], Flags::INVALID_QOS)]
#[case::pingreq_with_body(4, &[0xc0, 0x01, 0x00], Flags::TRAILING_DATA)]
#[case::auth_before_v5(4, &[0xf0, 0x00], Flags::RESERVED_TYPE)]
#[case::reserved_type_zero(4, &[0x00, 0x00], Flags::RESERVED_TYPE)]
#[case::zero_packet_id(4, &[0x40, 0x02, 0x00, 0x00], Flags::ZERO_PACKET_ID)]
#[case::empty_subscribe(4, &[0x82, 0x02, 0x00, 0x01], Flags::EMPTY_TOPIC_LIST)]
#[case::topic_not_utf8(4, &[0x30, 0x04, 0x00, 0x02, 0xff, 0xfe], Flags::INVALID_UTF8)]
#[case::unknown_property(5, &[
    0x30, 0x07, // PUBLISH, remaining length 7
    0x00, 0x01, b't', // topic
    0x02,       // properties length 2
    0x7f, 0x00, // unknown property id 0x7f
    b'x', // payload
], Flags::UNKNOWN_PROPERTY)]
#[case::connect_bad_protocol_name(4, &[
    0x10, 0x0e, // CONNECT
    0x00, 0x04, b'M', b'Q', b'X', b'X', // protocol name "MQXX"
    0x04, 0x02, 0x00, 0x3c, // level 4, clean, keepalive 60
    0x00, 0x02, b'i', b'd', // client id
], Flags::BAD_PROTOCOL_NAME)]
#[case::connect_reserved_flag(4, &[
    0x10, 0x0e, 0x00, 0x04, b'M', b'Q', b'T', b'T',
    0x04, 0x03, // level 4, flags: clean + reserved bit 0
    0x00, 0x3c, 0x00, 0x02, b'i', b'd',
], Flags::BAD_CONNECT_FLAGS)]
fn anomaly_table(#[case] level: u8, #[case] input: &[u8], #[case] expected: Flags) {
    let p = parse(input, level);
    assert_eq!(
        p.flags,
        expected,
        "{:?}",
        p.flags.names().collect::<Vec<_>>()
    );
}

#[test]
fn too_many_properties_stop_iteration_at_the_bound() {
    let n = MAX_PROPERTIES + 1;
    let mut body = vec![0x00, 0x01, b't'];
    // Each property: payload format indicator (2 bytes).
    body.extend(varint(2 * n));
    for _ in 0..n {
        body.extend_from_slice(&[0x01, 0x00]);
    }
    let mut input = vec![0x30];
    input.extend(varint(body.len()));
    input.extend_from_slice(&body);
    let p = parse(&input, 5);
    assert!(p.flags.contains(Flags::TOO_MANY_PROPERTIES));
    let Body::Publish(pb) = p.body else {
        panic!("not a publish")
    };
    assert_eq!(pb.properties.iter().count(), MAX_PROPERTIES);
}

#[test]
fn field_overrunning_the_packet_is_malformed_with_the_packet_length() {
    // PUBLISH remaining length 3 but topic length 10.
    let r = parse_packet(&[0x30, 0x03, 0x00, 0x0a, b'x'], 4, DEFAULT_MAX_PACKET);
    assert_eq!(
        r.unwrap_err(),
        ParseError::Malformed {
            what: "publish",
            len: 5
        }
    );
}

#[test]
fn five_byte_remaining_length_is_invalid() {
    let r = parse_fixed_header(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert_eq!(r.unwrap_err(), ParseError::Invalid("remaining length"));
}

#[test]
fn remaining_length_varint_boundaries() {
    for (bytes, value) in [
        (&[0x00][..], 0u32),
        (&[0x7f][..], 127),
        (&[0x80, 0x01][..], 128),
        (&[0xff, 0x7f][..], 16_383),
        (&[0x80, 0x80, 0x01][..], 16_384),
        (&[0xff, 0xff, 0xff, 0x7f][..], mqtt::MAX_REMAINING_LENGTH),
    ] {
        let mut input = vec![0x30];
        input.extend_from_slice(bytes);
        let (_, h) = parse_fixed_header(&input).expect("header");
        assert_eq!(h.remaining_length, value);
        assert_eq!(usize::from(h.header_len), 1 + bytes.len());
    }
    assert_eq!(
        parse_fixed_header(&[0x30, 0x80]).unwrap_err(),
        ParseError::Incomplete(1)
    );
}

#[test]
fn large_publish_is_too_large_but_its_head_is_readable() {
    // PUBLISH with a 1 MiB payload, only the first bytes buffered.
    let remaining: u32 = 5 + 2 + (1 << 20);
    let mut input = vec![0x32];
    input.extend(varint(remaining as usize));
    input.extend_from_slice(&[0x00, 0x03, b'b', b'i', b'g', 0x00, 0x05]); // topic, packet id
    input.extend_from_slice(b"first bytes");
    let packet_len = input.len() - 11 + (1 << 20);
    let err = parse_packet(&input, 4, DEFAULT_MAX_PACKET).unwrap_err();
    assert_eq!(
        err,
        ParseError::TooLarge {
            len: packet_len,
            limit: DEFAULT_MAX_PACKET
        }
    );
    let head = parse_publish_head(&input, 4).expect("head");
    assert_eq!(head.publish.topic, b"big");
    assert_eq!(head.publish.packet_id, Some(5));
    assert_eq!(head.payload_len, 1 << 20);
    assert_eq!(head.publish.payload, b"first bytes");
    assert_eq!(head.head_len + head.payload_len, packet_len);
}

#[test]
fn publish_head_waits_for_the_topic() {
    let input = [0x30, 0x80, 0x80, 0x04, 0x00, 0x10, b'a'];
    assert!(matches!(
        parse_publish_head(&input, 4),
        Err(ParseError::Incomplete(_))
    ));
}

#[rstest]
#[case::mqtt_311(&[0x10, 0x0e, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04], Probe::Yes)]
#[case::mqtt_5(&[0x10, 0x0e, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05], Probe::Yes)]
#[case::mqisdp(&[0x10, 0x12, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03], Probe::Yes)]
#[case::partial_name(&[0x10, 0x0e, 0x00, 0x04, b'M', b'Q'], Probe::NeedMore)]
#[case::empty(&[], Probe::NeedMore)]
#[case::wrong_level(&[0x10, 0x0e, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x09], Probe::No)]
#[case::not_connect(&[0x30, 0x05, 0x00, 0x01, b't', b'x', b'y'], Probe::No)]
#[case::http(b"GET / HTTP/1.1\r\n", Probe::No)]
fn probe_table(#[case] input: &[u8], #[case] expected: Probe) {
    assert_eq!(mqtt::probe(input), expected);
}
