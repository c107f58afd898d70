//! Byte tables for `skjold_proto::coap` (RFC 7252 §3, RFC 7959 §2.2), one comment per field.

use skjold_proto::coap::{
    parse_message, probe, Block, Code, ContentFormat, MsgType, OptionNumber, MAX_OPTIONS,
};
use skjold_proto::{ParseError, Probe};

#[test]
fn get_with_extended_option_delta_and_length() {
    let mut d = vec![
        0x42, // version 1, CON, token length 2
        0x01, // 0.01 GET
        0xab, 0xcd, // message id
        0x62, 0xda, // token
        0x3b, b'e', b'x', b'a', b'm', b'p', b'l', b'e', b'.', b'o', b'r',
        b'g', // Uri-Host (3), 11
        0x8d, 0x02, // delta 8 -> 11 Uri-Path, length 13 + 2 = 15
    ];
    d.extend_from_slice(b"abcdefghijklmno");
    d.extend_from_slice(&[
        0xd1, 0x05, 0x26, // delta 13 + 5 = 18 -> 29?  no: 11 + 18 = 29 (unregistered), len 1
    ]);
    let m = parse_message(&d).expect("parses");
    assert_eq!(m.msg_type, MsgType::CON);
    assert_eq!(m.code, Code(1));
    assert_eq!(m.code.name(), Some("GET"));
    assert_eq!(m.message_id, 0xabcd);
    assert_eq!(m.token, &[0x62, 0xda]);
    let opts: Vec<_> = m.options().map(|o| (o.number.0, o.value.len())).collect();
    assert_eq!(opts, [(3, 11), (11, 15), (29, 1)]);
    assert!(m.payload.is_empty());
    assert_eq!(
        probe(&d),
        Probe::No,
        "option 29 is unassigned: not port-independent CoAP"
    );
    d.truncate(d.len() - 3);
    assert_eq!(probe(&d), Probe::Yes);
}

#[test]
fn probe_rejects_a_dns_query() {
    // DNS query for example.com, id 0x4201: the header reads as CoAP CON GET with a token and
    // options numbered 0, which CoAP reserves.
    let mut d = vec![
        0x42, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    d.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
    assert_eq!(probe(&d), Probe::No);
}

#[test]
fn two_byte_extension_reaches_option_numbers_above_268() {
    // delta nibble 14: 269 + 0x0001 = 270; length 0.
    let d = [0x40, 0x01, 0, 1, 0xe0, 0x00, 0x01];
    let m = parse_message(&d).expect("parses");
    assert_eq!(m.options().next().map(|o| o.number.0), Some(270));
}

#[test]
fn response_code_content_format_and_block2() {
    let d = [
        0x60, // version 1, ACK, no token
        0x45, // 2.05 Content
        0x00, 0x07, // message id
        0xc1, 0x32, // Content-Format (12), 1 byte: 50 application/json
        0xb1, 0x1a, // delta 11 -> 23 Block2, 1 byte: num 1, more, szx 2
        0xff, b'{', b'}', // payload
    ];
    let m = parse_message(&d).expect("parses");
    assert_eq!(m.code.dotted(), *b"2.05");
    assert_eq!(m.code.name(), Some("Content"));
    let cf = m
        .option(OptionNumber::CONTENT_FORMAT)
        .and_then(|o| o.uint());
    assert_eq!(cf, Some(50));
    assert_eq!(ContentFormat(50).name(), Some("application/json"));
    let b = Block::from_uint(
        m.option(OptionNumber::BLOCK2)
            .and_then(|o| o.uint())
            .unwrap_or(0),
    );
    assert_eq!((b.num, b.more, b.szx, b.size()), (1, true, 2, Some(64)));
    assert_eq!(m.payload, b"{}");
}

#[test]
fn format_errors_are_rejected_or_flagged() {
    assert!(parse_message(&[0x40, 0x01, 0]).is_err(), "short header");
    assert_eq!(
        parse_message(&[0x80, 0x01, 0, 0]),
        Err(ParseError::Invalid("coap version"))
    );
    assert!(
        parse_message(&[0x42, 0x01, 0, 0, 1]).is_err(),
        "token past the end"
    );
    assert!(
        parse_message(&[0x40, 0x01, 0, 0, 0xf0]).is_err(),
        "delta nibble 15"
    );
    assert!(
        parse_message(&[0x40, 0x01, 0, 0, 0x12, 0]).is_err(),
        "value past the end"
    );
    let m = parse_message(&[0x49, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]).expect("reads");
    assert!(m.flags.bad_token_length);
    assert_eq!(
        probe(&[0x49, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
        Probe::No
    );
    assert!(
        parse_message(&[0x40, 0x01, 0, 0, 0xff])
            .expect("reads")
            .flags
            .empty_payload_after_marker
    );
    assert!(
        parse_message(&[0x40, 0x00, 0, 0, 0xff, 1])
            .expect("reads")
            .flags
            .non_empty_empty_message
    );
    assert_eq!(probe(&[0x40, 0x20, 0, 0]), Probe::No, "class 1 is reserved");
}

#[test]
fn option_count_is_bounded() {
    let mut d = vec![0x40, 0x01, 0, 0];
    d.extend(std::iter::repeat_n(0x00u8, MAX_OPTIONS + 1)); // If-Match... delta 0, length 0
    d[4] = 0x10;
    assert!(matches!(
        parse_message(&d),
        Err(ParseError::TooLarge { .. })
    ));
}
