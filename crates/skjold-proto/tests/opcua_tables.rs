//! Byte tables for `skjold_proto::opcua` (OPC 10000-6 §7.1, §6.7, §5.2), one comment per
//! field. UA Binary is little-endian.

use skjold_proto::opcua::{
    parse_body, parse_chunk, parse_hello, parse_opn_header, parse_symmetric_header, probe, Detail,
    Identifier, SecurityPolicy, StatusCode,
};
use skjold_proto::{ParseError, Probe};

fn s(v: &mut Vec<u8>, x: &[u8]) {
    v.extend_from_slice(&i32::try_from(x.len()).unwrap_or(0).to_le_bytes());
    v.extend_from_slice(x);
}

#[test]
fn hello_frames_and_parses() {
    let mut d = b"HELF".to_vec(); // message type, chunk type
    d.extend_from_slice(&[0; 4]); // size, patched below
    for x in [0u32, 8192, 8192, 0, 0] {
        d.extend_from_slice(&x.to_le_bytes()); // version, buffers, max message, max chunks
    }
    s(&mut d, b"opc.tcp://h:4840"); // endpoint URL
    let n = u32::try_from(d.len()).unwrap_or(0).to_le_bytes();
    d[4..8].copy_from_slice(&n);
    assert_eq!(probe(&d), Probe::Yes);
    let (rest, c) = parse_chunk(&d).expect("chunk");
    assert!(rest.is_empty());
    let h = parse_hello(c.body).expect("hello");
    assert_eq!(h.receive_buffer_size, 8192);
    assert_eq!(h.endpoint_url, Some(&b"opc.tcp://h:4840"[..]));
    assert_eq!(
        parse_chunk(&d[..10]),
        Err(ParseError::Incomplete(d.len() - 10))
    );
}

#[test]
fn framing_rejects_bad_headers() {
    assert!(matches!(
        parse_chunk(b"XYZF\x10\0\0\0"),
        Err(ParseError::Invalid(_))
    ));
    assert!(
        matches!(parse_chunk(b"HELC\x10\0\0\0"), Err(ParseError::Invalid(_))),
        "HEL is final only"
    );
    assert!(
        matches!(parse_chunk(b"MSGF\x08\0\0\0"), Err(ParseError::Invalid(_))),
        "below the secure header"
    );
    assert!(matches!(
        parse_chunk(b"MSGF\xff\xff\xff\x7f"),
        Err(ParseError::TooLarge { .. })
    ));
    assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Probe::No);
    assert_eq!(probe(b"HEL"), Probe::NeedMore);
}

#[test]
fn opn_security_header_policy_none_and_basic256() {
    let mut b = vec![0, 0, 0, 0]; // secure channel id 0
    s(&mut b, b"http://opcfoundation.org/UA/SecurityPolicy#None"); // policy
    b.extend_from_slice(&(-1i32).to_le_bytes()); // sender certificate: null
    b.extend_from_slice(&(-1i32).to_le_bytes()); // receiver thumbprint: null
    b.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0]); // sequence number 1, request id 2
    let h = parse_opn_header(&b).expect("opn");
    assert_eq!(h.policy(), SecurityPolicy::None);
    assert_eq!(h.sender_certificate_len, None);
    assert_eq!(h.sequence, Some((1, 2)));
    let mut e = vec![1, 0, 0, 0];
    s(
        &mut e,
        b"http://opcfoundation.org/UA/SecurityPolicy#Basic256",
    );
    s(&mut e, &[0x30; 20]); // a certificate
    s(&mut e, &[0; 20]); // thumbprint
    e.extend_from_slice(&[0xde; 32]); // encrypted
    let h = parse_opn_header(&e).expect("opn");
    assert_eq!(h.policy(), SecurityPolicy::Basic256);
    assert_eq!(h.sender_certificate_len, Some(20));
    assert_eq!(h.sequence, None);
    assert_eq!(h.body.len(), 32);
}

#[test]
fn read_request_body_node_ids() {
    let b = parse_symmetric_header(&[5, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0])
        .map(|h| (h.channel_id, h.token_id, h.sequence_number, h.request_id))
        .expect("header");
    assert_eq!(b, (5, 1, 9, 3));
    let mut d = vec![0x01, 0x00, 0x77, 0x02]; // NodeId four-byte ns 0 i=631 ReadRequest
    d.extend_from_slice(&[0x02, 0x01, 0x00, 0x10, 0, 0, 0]); // auth token: numeric ns=1 i=16
    d.extend_from_slice(&[0; 8]); // timestamp
    d.extend_from_slice(&7u32.to_le_bytes()); // request handle
    d.extend_from_slice(&[0; 4]); // return diagnostics
    d.extend_from_slice(&(-1i32).to_le_bytes()); // audit entry id
    d.extend_from_slice(&[0; 4]); // timeout hint
    d.extend_from_slice(&[0, 0, 0]); // additional header: null extension object
    d.extend_from_slice(&[0; 8]); // max age
    d.extend_from_slice(&[0; 4]); // timestamps to return
    d.extend_from_slice(&2i32.to_le_bytes()); // two ReadValueIds
    for n in [2258u16, 2259] {
        d.push(0x01); // four-byte NodeId
        d.push(0x00); // ns 0
        d.extend_from_slice(&n.to_le_bytes());
        d.extend_from_slice(&13u32.to_le_bytes()); // attribute Value
        d.extend_from_slice(&(-1i32).to_le_bytes()); // index range
        d.extend_from_slice(&[0, 0]); // data encoding ns
        d.extend_from_slice(&(-1i32).to_le_bytes()); // data encoding name
    }
    let body = parse_body(&d).expect("body");
    assert_eq!(body.type_id.ns0_numeric(), Some(631));
    assert_eq!(body.request_handle, Some(7));
    let Detail::Nodes(v, n) = body.detail else {
        panic!("no nodes")
    };
    assert_eq!(n, 2);
    assert_eq!(
        v.iter().map(|x| x.id).collect::<Vec<_>>(),
        [Identifier::Numeric(2258), Identifier::Numeric(2259)]
    );
}

#[test]
fn response_header_service_result() {
    let mut d = vec![0x01, 0x00, 0x7a, 0x02]; // i=634 ReadResponse
    d.extend_from_slice(&[0; 8]); // timestamp
    d.extend_from_slice(&7u32.to_le_bytes()); // request handle
    d.extend_from_slice(&0x8034_0000u32.to_le_bytes()); // BadNodeIdUnknown
    d.push(0); // diagnostic info: empty
    d.extend_from_slice(&(-1i32).to_le_bytes()); // string table: null
    d.extend_from_slice(&[0, 0, 0]); // additional header
    let b = parse_body(&d).expect("body");
    assert_eq!(b.service_result, Some(StatusCode(0x8034_0000)));
    assert_eq!(
        b.service_result.and_then(StatusCode::name),
        Some("BadNodeIdUnknown")
    );
}
