//! Property tests: arbitrary bytes never make a parser panic, a parser never claims to consume
//! more than its input, `Incomplete` always asks for at least one byte, and generated valid
//! units (Modbus/TCP per V1.1b3, MQTT per 3.1.1/5.0) round-trip and parse only once complete.

use proptest::prelude::*;
use skjold_proto::modbus::{self, parse_adu, Data};
use skjold_proto::mqtt::{self, parse_packet, parse_publish_head, Body};
use skjold_proto::{Direction, ParseError};

fn check_progress(input_len: usize, r: &Result<usize, ParseError>) {
    match r {
        Ok(rest_len) => assert!(*rest_len < input_len, "consumed nothing"),
        Err(ParseError::Incomplete(n)) => assert!(*n > 0),
        Err(ParseError::Malformed { len, .. } | ParseError::TooLarge { len, .. }) => {
            assert!(*len > 0);
        }
        Err(_) => {}
    }
}

fn walk_modbus(data: &Data<'_>) -> usize {
    match data {
        Data::DeviceIdResponse(d) => d.objects().map(|(_, v)| v.len()).sum(),
        Data::FileRecords(f) => f.into_iter().map(|s| s.data.len()).sum(),
        Data::FileRecordResponse(f) => f.into_iter().map(|s| s.data.len()).sum(),
        _ => 0,
    }
}

fn walk_mqtt(body: &Body<'_>) -> usize {
    let props = |p: mqtt::Properties<'_>| p.iter().count();
    match body {
        Body::Connect(c) => props(c.properties) + c.will.map_or(0, |w| props(w.properties)),
        Body::Publish(p) => props(p.properties),
        Body::Subscribe(s) => s.filters.into_iter().count() + props(s.properties),
        Body::Unsubscribe(u) => u.topics.into_iter().count(),
        Body::ConnAck(c) => props(c.properties),
        Body::Disconnect(r) | Body::Auth(r) => props(r.properties),
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn modbus_arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        for dir in [Direction::Request, Direction::Response] {
            let r = parse_adu(&input, dir);
            if let Ok((_, adu)) = &r {
                walk_modbus(&adu.data);
                let _ = adu.category();
                let _ = adu.flags.sawp_text();
                prop_assert_eq!(adu.raw.len() + 2, usize::from(adu.header.length));
            }
            check_progress(input.len(), &r.map(|(rest, _)| rest.len()));
        }
        let _ = modbus::probe(&input);
    }

    #[test]
    fn modbus_header_shaped_bytes_never_panic(
        tid in any::<u16>(),
        len in 0u16..300,
        unit in any::<u8>(),
        func in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..260),
    ) {
        // Well-formed MBAP prefixes reach the function-specific code far more often.
        let mut input = tid.to_be_bytes().to_vec();
        input.extend_from_slice(&[0, 0]);
        input.extend_from_slice(&len.to_be_bytes());
        input.push(unit);
        input.push(func);
        input.extend_from_slice(&body);
        for dir in [Direction::Request, Direction::Response] {
            let r = parse_adu(&input, dir);
            if let Ok((rest, adu)) = &r {
                walk_modbus(&adu.data);
                prop_assert_eq!(input.len() - rest.len(), 6 + usize::from(len));
            }
            check_progress(input.len(), &r.map(|(rest, _)| rest.len()));
        }
    }

    #[test]
    fn modbus_read_request_roundtrips_and_needs_every_byte(
        tid in any::<u16>(), unit in any::<u8>(), func in 1u8..=4,
        address in any::<u16>(), quantity in 1u16..=125,
    ) {
        let mut input = tid.to_be_bytes().to_vec();
        input.extend_from_slice(&[0, 0, 0, 6, unit, func]);
        input.extend_from_slice(&address.to_be_bytes());
        input.extend_from_slice(&quantity.to_be_bytes());
        for cut in 0..input.len() {
            prop_assert!(matches!(
                parse_adu(&input[..cut], Direction::Request),
                Err(ParseError::Incomplete(_))
            ));
        }
        let (rest, adu) = parse_adu(&input, Direction::Request).expect("valid");
        prop_assert!(rest.is_empty());
        prop_assert_eq!(adu.data, Data::ReadRequest { address, quantity });
        prop_assert!(adu.flags.is_empty());
        prop_assert_eq!(modbus::probe(&input), skjold_proto::Probe::Yes);
    }

    #[test]
    fn mqtt_arbitrary_bytes_never_panic(
        input in proptest::collection::vec(any::<u8>(), 0..300),
        level in 0u8..8,
        max in 0usize..400,
    ) {
        let r = parse_packet(&input, level, max);
        if let Ok((_, p)) = &r {
            walk_mqtt(&p.body);
            let _ = p.flags.names().count();
        }
        if let Err(ParseError::TooLarge { len, limit }) = &r {
            prop_assert!(len > limit);
        }
        check_progress(input.len(), &r.map(|(rest, _)| rest.len()));
        if let Ok(h) = parse_publish_head(&input, level) {
            prop_assert!(h.head_len <= input.len());
            prop_assert!(h.publish.payload.len() <= h.payload_len);
        }
        let _ = mqtt::probe(&input);
    }

    #[test]
    fn mqtt_type_shaped_bytes_never_panic(
        first in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
        level in 3u8..=5,
    ) {
        // A correct remaining length, so the packet-specific code always runs.
        let mut input = vec![first];
        let mut len = body.len();
        loop {
            let mut b = (len % 128) as u8;
            len /= 128;
            if len > 0 { b |= 0x80; }
            input.push(b);
            if len == 0 { break; }
        }
        input.extend_from_slice(&body);
        let r = parse_packet(&input, level, mqtt::DEFAULT_MAX_PACKET);
        match &r {
            Ok((rest, p)) => {
                prop_assert!(rest.is_empty());
                walk_mqtt(&p.body);
            }
            Err(ParseError::Malformed { len, .. }) => prop_assert_eq!(*len, input.len()),
            Err(e) => prop_assert!(false, "framed packet gave {:?}", e),
        }
    }

    #[test]
    fn mqtt_publish_roundtrips_and_needs_every_byte(
        topic in "[a-z/]{0,20}",
        payload in proptest::collection::vec(any::<u8>(), 0..100),
        qos in 0u8..=2,
        id in 1u16..,
    ) {
        let mut body = (topic.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(topic.as_bytes());
        if qos > 0 {
            body.extend_from_slice(&id.to_be_bytes());
        }
        body.extend_from_slice(&payload);
        let mut input = vec![0x30 | (qos << 1)];
        let mut len = body.len();
        loop {
            let mut b = (len % 128) as u8;
            len /= 128;
            if len > 0 { b |= 0x80; }
            input.push(b);
            if len == 0 { break; }
        }
        input.extend_from_slice(&body);
        for cut in 0..input.len() {
            prop_assert!(matches!(
                parse_packet(&input[..cut], 4, mqtt::DEFAULT_MAX_PACKET),
                Err(ParseError::Incomplete(_))
            ));
        }
        let (_, p) = parse_packet(&input, 4, mqtt::DEFAULT_MAX_PACKET).expect("valid");
        let Body::Publish(pb) = p.body else { panic!("not a publish") };
        prop_assert_eq!(pb.topic, topic.as_bytes());
        prop_assert_eq!(pb.payload, &payload[..]);
        prop_assert_eq!(pb.packet_id, (qos > 0).then_some(id));
        prop_assert!(p.flags.is_empty());
    }
}
