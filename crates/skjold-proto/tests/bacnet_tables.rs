//! Byte tables for `skjold_proto::bacnet` (ANSI/ASHRAE 135 Annex J, clauses 6, 20, 21), one
//! comment per field.

use skjold_proto::bacnet::{
    decode_service, parse_apdu, parse_bvlc, parse_npdu, probe, BvlcFunction, ErrorClass, ErrorCode,
    ObjectType, PduType, PropertyId, Service, TagKind, TagReader, Value, MAX_DEPTH,
};
use skjold_proto::Probe;

#[test]
fn forwarded_npdu_with_routing_and_who_is_range() {
    let d = [
        0x81, 0x04, 0x00, 0x18, // BVLC: type, Forwarded-NPDU, length 24
        10, 0, 0, 5, 0xba, 0xc0, // original source 10.0.0.5:47808
        0x01, // NPDU version
        0x28, // control: DNET and SNET present
        0x00, 0x07, 0x00, // DNET 7, DLEN 0 (broadcast)
        0x00, 0x02, 0x01, 0x09, // SNET 2, SLEN 1, SADR 9
        0xfe, // hop count 254
        0x10, 0x08, // unconfirmed who-Is
        0x09, 0x0a, // [0] low limit 10
              // (high limit absent)
    ];
    let b = parse_bvlc(&d).expect("bvlc");
    assert_eq!(b.function, BvlcFunction::FORWARDED_NPDU);
    assert_eq!(b.original_address, Some(&[10, 0, 0, 5, 0xba, 0xc0][..]));
    assert!(!b.length_mismatch);
    let n = parse_npdu(b.npdu.expect("npdu")).expect("npdu parses");
    assert_eq!(
        (n.dnet, n.dadr, n.snet, n.sadr, n.hop_count),
        (Some(7), &[][..], Some(2), &[9][..], Some(254))
    );
    let a = parse_apdu(n.payload).expect("apdu");
    assert_eq!(a.pdu_type, PduType::UNCONFIRMED_REQUEST);
    assert_eq!(
        decode_service(&a),
        Ok(Service::WhoIs {
            low: Some(10),
            high: None
        })
    );
    assert_eq!(probe(&d), Probe::Yes);
}

#[test]
fn network_layer_message_with_vendor() {
    let n = parse_npdu(&[0x01, 0x80, 0x81, 0x01, 0x04, 0xaa]).expect("npdu");
    assert!(n.is_network_message());
    assert_eq!(n.message_type.map(|m| m.0), Some(0x81));
    assert_eq!(n.vendor_id, Some(260));
    assert_eq!(n.payload, &[0xaa]);
}

#[test]
fn confirmed_request_header_segmented() {
    let a = parse_apdu(&[
        0x0e, // confirmed request, SEG + MOR + SA
        0x75, // max segments code 7, max APDU code 5 (1476)
        0x11, // invoke id
        0x02, // sequence number
        0x04, // proposed window size
        0x0f, // writeProperty
        0xaa,
    ])
    .expect("apdu");
    assert!(a.segmented() && a.more_follows() && a.segmented_response_accepted());
    assert_eq!(
        (a.invoke_id, a.sequence_number, a.window_size, a.service),
        (Some(0x11), Some(2), Some(4), Some(15))
    );
    assert_eq!(a.max_apdu_octets(), Some(1476));
    assert_eq!(
        decode_service(&a),
        Ok(Service::Other),
        "segments are not decoded"
    );
}

#[test]
fn write_property_with_priority() {
    let a = parse_apdu(&[
        0x00, 0x05, 0x01, 0x0f, // confirmed, invoke 1, writeProperty
        0x0c, 0x00, 0x40, 0x00, 0x02, // [0] analog-output,2
        0x19, 0x55, // [1] present-value
        0x3e, 0x44, 0x42, 0x28, 0x00, 0x00, 0x3f, // [3] { real 42.0 }
        0x49, 0x08, // [4] priority 8
    ])
    .expect("apdu");
    let Ok(Service::WriteProperty { value, priority }) = decode_service(&a) else {
        panic!("not a write");
    };
    assert_eq!(
        value.reference.object.object_type,
        ObjectType::ANALOG_OUTPUT
    );
    assert_eq!(value.reference.object.instance, 2);
    assert_eq!(value.reference.property, PropertyId::PRESENT_VALUE);
    assert_eq!(value.value, Some(Value::Real(42.0)));
    assert_eq!(priority, Some(8));
}

#[test]
fn device_communication_control_and_reinitialize() {
    let dcc = parse_apdu(&[
        0x00, 0x05, 0x02, 0x11, // confirmed, invoke 2, deviceCommunicationControl
        0x09, 0x3c, // [0] duration 60
        0x19, 0x01, // [1] disable
        0x2d, 0x04, 0x00, b'p', b'w', b'd', // [2] password "pwd" (extended length 4)
    ])
    .expect("apdu");
    assert_eq!(
        decode_service(&dcc),
        Ok(Service::DeviceCommunicationControl {
            duration: Some(60),
            enable_disable: 1,
            password: true
        })
    );
    let re = parse_apdu(&[0x00, 0x05, 0x03, 0x14, 0x09, 0x01]).expect("apdu");
    assert_eq!(
        decode_service(&re),
        Ok(Service::ReinitializeDevice {
            state: 1,
            password: false
        })
    );
}

#[test]
fn rpm_ack_with_value_and_error() {
    let a = parse_apdu(&[
        0x30, 0x09, 0x0e, // complex ack, invoke 9, readPropertyMultiple
        0x0c, 0x02, 0x00, 0x00, 0x05, // [0] device,5
        0x1e, // [1] {
        0x29, 0x46, 0x4e, 0x75, 0x03, 0x00, b'M', b'X', 0x4f, // [2] model-name [4] { "MX" }
        0x29, 0x3a, 0x5e, 0x91, 0x02, 0x91, 0x20,
        0x5f, // [2] location [5] { property, unknown-property }
        0x1f, // }
    ])
    .expect("apdu");
    let Ok(Service::ReadPropertyMultipleAck(v, false)) = decode_service(&a) else {
        panic!("not an RPM ack");
    };
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].reference.property, PropertyId::MODEL_NAME);
    assert_eq!(v[0].value.and_then(|x| x.text(10)).as_deref(), Some("MX"));
    assert_eq!(
        v[1].error,
        Some((ErrorClass::PROPERTY, ErrorCode::UNKNOWN_PROPERTY))
    );
}

#[test]
fn error_reject_abort() {
    let e = parse_apdu(&[0x50, 0x01, 0x0c, 0x91, 0x01, 0x91, 0x1f]).expect("apdu");
    assert_eq!(
        decode_service(&e),
        Ok(Service::Error {
            class: ErrorClass::OBJECT,
            code: ErrorCode::UNKNOWN_OBJECT
        })
    );
    let r = parse_apdu(&[0x60, 0x05, 0x09]).expect("apdu");
    assert_eq!((r.invoke_id, r.reason), (Some(5), Some(9)));
    let ab = parse_apdu(&[0x71, 0x06, 0x04]).expect("apdu");
    assert!(ab.server());
    assert_eq!(ab.reason, Some(4));
    assert!(parse_apdu(&[0x80]).is_err(), "PDU type 8 is not defined");
}

#[test]
fn tag_reader_is_strict_and_bounded() {
    // Closing tag without opening.
    assert!(TagReader::new(&[0x1f]).read().is_err());
    // Length past the end.
    assert!(TagReader::new(&[0x24, 1, 2]).read().is_err());
    // Extended tag number and extended length 254 (2 bytes).
    let mut d = vec![0xfd, 0x20, 0xfe, 0x00, 0x03, 7, 8, 9];
    let mut t = TagReader::new(&d);
    let tag = t.read().expect("ok").expect("tag");
    assert_eq!(
        (tag.number, tag.context, tag.kind),
        (0x20, true, TagKind::Value(&[7, 8, 9]))
    );
    // Nesting beyond the limit.
    d = vec![0x0e; MAX_DEPTH + 1];
    let mut t = TagReader::new(&d);
    let mut res = Ok(None);
    for _ in 0..=MAX_DEPTH {
        res = t.read();
    }
    assert!(res.is_err());
}

#[test]
fn bvlc_length_mismatch_is_flagged_and_probe_rejects_it() {
    let d = [0x81, 0x0a, 0x00, 0x20, 0x01, 0x00, 0x10, 0x08];
    let b = parse_bvlc(&d).expect("bvlc");
    assert!(b.length_mismatch);
    assert_eq!(probe(&d), Probe::No);
    assert!(parse_bvlc(&[0x81, 0x0a, 0x00, 0x03]).is_err());
    assert!(parse_bvlc(&[0x82, 0x0a, 0x00, 0x04]).is_err());
}
