//! Byte-table tests for the TPKT (RFC 1006), COTP (ISO 8073) and S7comm / S7comm-plus parsers:
//! one case per PDU kind with a comment per field (bytes taken from the shared captures'
//! layouts), plus framing errors, limits and the RDP connection-request check.

use rstest::rstest;
use skjold_proto::s7comm::{
    block_type_name, data_items, mode_name, parse_block_name, parse_component_id, parse_cotp,
    parse_module_id, parse_s7, parse_s7plus, parse_szl, parse_tpkt, parse_userdata_data, szl_text,
    CotpType, Function, Param, Rosctr, MAX_ITEMS,
};
use skjold_proto::ParseError;

#[test]
fn tpkt_frames_and_reports_incomplete_and_invalid() {
    let pkt = [
        0x03, 0x00, // version 3, reserved
        0x00, 0x07, // length 7
        0x02, 0xf0, 0x80, // COTP DT, EOT
        0xaa, // next TPKT starts here
    ];
    let (rest, tpdu) = parse_tpkt(&pkt).unwrap();
    assert_eq!(rest, &[0xaa]);
    assert_eq!(tpdu, &[0x02, 0xf0, 0x80]);
    assert_eq!(parse_tpkt(&pkt[..3]), Err(ParseError::Incomplete(1)));
    assert_eq!(
        parse_tpkt(&[3, 0, 0, 20, 2]),
        Err(ParseError::Incomplete(15))
    );
    assert!(matches!(
        parse_tpkt(&[4, 0, 0, 7]),
        Err(ParseError::Invalid(_))
    ));
    assert!(matches!(
        parse_tpkt(&[3, 0, 0, 6]),
        Err(ParseError::Invalid(_))
    ));
}

#[test]
fn cotp_connection_request_with_tsaps() {
    let cr = [
        0x11, // LI 17
        0xe0, // CR, credit 0
        0x00, 0x00, // dst ref
        0x00, 0x0f, // src ref 15
        0x00, // class 0
        0xc1, 0x02, 0x01, 0x00, // calling TSAP 0100
        0xc2, 0x02, 0x01, 0x02, // called TSAP 0102
        0xc0, 0x01, 0x0a, // TPDU size 1024
    ];
    let c = parse_cotp(&cr).unwrap();
    assert_eq!(c.kind, CotpType::CR);
    assert_eq!(c.kind.name(), "CR");
    assert_eq!(c.src_ref, 15);
    assert_eq!(c.param(0xc1), Some(&[1, 0][..]));
    assert_eq!(c.param(0xc2), Some(&[1, 2][..]));
    assert_eq!(c.param(0xc0), Some(&[0x0a][..]));
    assert!(!skjold_proto::s7comm::is_rdp_connection_request(&c));
    assert!(c.data.is_empty());
}

#[test]
fn cotp_dt_fragment_flags_and_bad_length() {
    let c = parse_cotp(&[0x02, 0xf0, 0x05, 0x32]).unwrap();
    assert_eq!(c.kind, CotpType::DT);
    assert!(!c.eot);
    assert_eq!(c.tpdu_nr, 5);
    assert_eq!(c.data, &[0x32]);
    assert!(parse_cotp(&[0x09, 0xf0, 0x80]).is_err());
    assert!(parse_cotp(&[]).is_err());
}

#[test]
fn rdp_cookie_and_negotiation_request_are_recognised() {
    let mut cr = vec![0u8, 0xe0, 0, 0, 0, 0, 0];
    cr.extend_from_slice(b"Cookie: mstshash=user\r\n");
    cr.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0, 0, 0]);
    cr[0] = (cr.len() - 1) as u8;
    let c = parse_cotp(&cr).unwrap();
    assert!(skjold_proto::s7comm::is_rdp_connection_request(&c));
    let mut neg = vec![
        14u8, 0xe0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x08, 0x00, 0x01, 0, 0, 0,
    ];
    neg[0] = (neg.len() - 1) as u8;
    assert!(skjold_proto::s7comm::is_rdp_connection_request(
        &parse_cotp(&neg).unwrap()
    ));
}

#[test]
fn setup_communication_job() {
    let s7 = [
        0x32, // protocol id
        0x01, // ROSCTR job
        0x00, 0x00, // redundancy id
        0x02, 0x00, // PDU reference 512
        0x00, 0x08, // parameter length 8
        0x00, 0x00, // data length 0
        0xf0, // function: setup communication
        0x00, // reserved
        0x00, 0x01, // max AmQ calling 1
        0x00, 0x01, // max AmQ called 1
        0x01, 0xe0, // PDU length 480
    ];
    let p = parse_s7(&s7).unwrap();
    assert_eq!(p.rosctr, Rosctr::JOB);
    assert_eq!(p.pdu_ref, 512);
    assert_eq!(p.function, Some(Function::SETUP));
    assert_eq!(
        p.param,
        Param::Setup {
            max_amq_calling: 1,
            max_amq_called: 1,
            pdu_length: 480
        }
    );
}

#[test]
fn read_var_job_items_and_ack_data() {
    let job = [
        0x32, 0x01, 0x00, 0x00, 0x00, 0x05, // header: job, PDU ref 5
        0x00, 0x1a, 0x00, 0x00, // parameter length 26, data length 0
        0x04, 0x02, // read var, 2 items
        0x12, 0x0a, 0x10, // item 1: var spec, length 10, S7ANY
        0x02, // transport size BYTE
        0x00, 0x04, // length 4
        0x00, 0x01, // DB 1
        0x84, // area DB
        0x00, 0x00, 0x13, // address byte 2 bit 3
        0x12, 0x0a, 0x10, // item 2
        0x01, // BIT
        0x00, 0x01, // length 1
        0x00, 0x00, // DB 0
        0x83, // area flags (M)
        0x00, 0x00, 0x08, // address byte 1 bit 0
    ];
    let p = parse_s7(&job).unwrap();
    let Param::ReadWrite { count, items } = &p.param else {
        panic!("{:?}", p.param)
    };
    assert_eq!(*count, 2);
    assert_eq!(items.len(), 2);
    assert_eq!((items[0].db, items[0].area, items[0].length), (1, 0x84, 4));
    assert_eq!((items[0].byte(), items[0].bit()), (2, 3));
    assert_eq!((items[1].area, items[1].transport_size), (0x83, 1));
    let ack = [
        0x32, 0x03, 0x00, 0x00, 0x00, 0x05, // ack-data, PDU ref 5
        0x00, 0x02, 0x00, 0x0e, // parameter length 2, data length 14
        0x00, 0x00, // error class 0, code 0
        0x04, 0x02, // read var, 2 items
        0xff, 0x04, 0x00, 0x18, 0x01, 0x02, 0x03, // item 1: success, BYTE, 24 bits
        0x00, // fill byte (odd length, not last)
        0x0a, 0x00, 0x00, 0x00, // item 2: object does not exist, no data
        0x00, 0x00, // trailing bytes beyond the items
    ];
    let p = parse_s7(&ack).unwrap();
    assert_eq!(p.error_class, Some(0));
    let (d, trunc) = data_items(p.data, 2);
    assert!(!trunc);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].data, &[1, 2, 3]);
    assert_eq!(d[1].return_code, 0x0a);
}

#[test]
fn item_count_is_capped() {
    let mut job = vec![0x32, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x04, 200];
    for _ in 0..200 {
        job.extend_from_slice(&[0x12, 0x0a, 0x10, 2, 0, 1, 0, 1, 0x84, 0, 0, 0]);
    }
    let plen = (job.len() - 10) as u16;
    job[6..8].copy_from_slice(&plen.to_be_bytes());
    let p = parse_s7(&job).unwrap();
    assert!(p.items_truncated);
    let Param::ReadWrite { items, .. } = &p.param else {
        panic!()
    };
    assert_eq!(items.len(), MAX_ITEMS);
}

#[rstest]
#[case::plc_stop(&[
    0x32, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, // job, parameter length 16
    0x29, // PLC stop
    0x00, 0x00, 0x00, 0x00, 0x00, // unknown
    0x09, b'P', b'_', b'P', b'R', b'O', b'G', b'R', b'A', b'M', // service name
], "P_PROGRAM", &[])]
#[case::pi_insert(&[
    0x32, 0x01, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x1a, 0x00, 0x00, // job, parameter length 26
    0x28, // PI service
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, // unknown
    0x00, 0x0a, // parameter block length 10
    0x01, 0x00, // 1 block, unknown byte
    b'0', b'A', b'0', b'0', b'0', b'0', b'1', b'P', // DB 1, passive
    0x05, b'_', b'I', b'N', b'S', b'E', // service
], "_INSE", &[&b"0A00001P"[..]])]
fn pi_services(#[case] s7: &[u8], #[case] service: &str, #[case] blocks: &[&[u8]]) {
    let p = parse_s7(s7).unwrap();
    let Param::Pi {
        service: s,
        blocks: b,
        ..
    } = &p.param
    else {
        panic!("{:?}", p.param)
    };
    assert_eq!(*s, service.as_bytes());
    assert_eq!(b.as_slice(), blocks);
}

#[test]
fn download_block_job_names_the_block() {
    let job = [
        0x32, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00,
        0x00, // job, parameter length 18
        0x1b, // download block
        0x00, // function status
        0x00, 0x00, // unknown
        0x00, 0x00, 0x00, 0x00, // unknown
        0x09, b'_', b'0', b'A', b'0', b'0', b'0', b'0', b'1', b'P', // filename
    ];
    let p = parse_s7(&job).unwrap();
    let Param::Block { filename, .. } = p.param else {
        panic!()
    };
    let b = parse_block_name(filename.unwrap()).unwrap();
    assert_eq!(block_type_name(b.kind), "DB");
    assert_eq!(b.number, Some(1));
    assert_eq!(b.filesystem, b'P');
}

#[test]
fn userdata_szl_request_and_response_records() {
    let req = [
        0x32, 0x07, 0x00, 0x00, 0x11, 0x00, // userdata, PDU ref 0x1100
        0x00, 0x08, 0x00, 0x08, // parameter length 8, data length 8
        0x00, 0x01, 0x12, // parameter head
        0x04, // parameter length 4
        0x11, // method request
        0x44, // type request (4), group CPU functions (4)
        0x01, // subfunction read SZL
        0x00, // sequence
        0xff, 0x09, 0x00, 0x04, // return code success, octet string, length 4
        0x00, 0x11, 0x00, 0x00, // SZL id 0x0011, index 0
    ];
    let p = parse_s7(&req).unwrap();
    let Param::Userdata(u) = p.param else {
        panic!()
    };
    assert_eq!((u.kind, u.group, u.subfunction), (4, 4, 1));
    let d = parse_userdata_data(p.data).unwrap();
    assert_eq!(d.return_code, 0xff);
    let szl = parse_szl(d.payload).unwrap();
    assert_eq!((szl.id, szl.index), (0x11, 0));

    // SZL 0x0011 response records (28 bytes each).
    let mut recs = Vec::new();
    recs.extend_from_slice(&[0x00, 0x01]); // index 1
    recs.extend_from_slice(b"6ES7 151-8AB01-0AB0 "); // order number
    recs.extend_from_slice(&[0x00, 0xc0, 0x00, 0x03, 0x00, 0x01]); // type, ausbg, ausbe
    recs.extend_from_slice(&[0x00, 0x07]); // index 7
    recs.extend_from_slice(&[b' '; 20]);
    recs.extend_from_slice(&[0x00, 0xc0, 0x56, 0x03, 0x02, 0x06]); // 'V' 3, 2 6
    let mut payload = vec![0x00, 0x11, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x02];
    payload.extend_from_slice(&recs);
    let szl = parse_szl(&payload).unwrap();
    let m: Vec<_> = szl.iter().filter_map(parse_module_id).collect();
    assert_eq!(m.len(), 2);
    assert_eq!(szl_text(m[0].order_number), b"6ES7 151-8AB01-0AB0");
    assert_eq!((m[1].ausbg, m[1].ausbe), (Some(0x5603), Some(0x0206)));
    // A 26-byte record (Snap7's server): order number read, versions partly absent.
    let mut short = vec![0x00, 0x01];
    short.extend_from_slice(b"6ES7 315-2EH14-0AB0\0");
    short.extend_from_slice(&[0x00, 0x00, 0x03, 0x03]);
    let m = parse_module_id(&short).unwrap();
    assert_eq!(szl_text(m.order_number), b"6ES7 315-2EH14-0AB0");
    assert_eq!(
        (m.module_type, m.ausbg, m.ausbe),
        (Some(0), Some(0x0303), None)
    );
}

#[test]
fn szl_component_identification_text() {
    let mut rec = vec![0x00, 0x05]; // index 5: serial number
    rec.extend_from_slice(b"S C-C6TW74882012");
    rec.resize(34, 0);
    let (i, t) = parse_component_id(&rec).unwrap();
    assert_eq!(i, 5);
    assert_eq!(szl_text(t), b"S C-C6TW74882012");
}

#[test]
fn mode_transition_push_has_no_standard_head() {
    let push = [
        0x32, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, // userdata, param 8
        0x01, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, // head 010010, push, group 0, mode 0
    ];
    let p = parse_s7(&push).unwrap();
    let Param::Userdata(u) = p.param else {
        panic!()
    };
    assert_eq!((u.kind, u.group), (0, 0));
    assert_eq!(mode_name(u.subfunction), "STOP");
}

#[test]
fn s7_lengths_beyond_the_pdu_are_malformed() {
    let bad = [0x32, 0x01, 0, 0, 0, 1, 0x00, 0x40, 0, 0, 0xf0];
    assert!(matches!(parse_s7(&bad), Err(ParseError::Malformed { .. })));
    assert!(matches!(parse_s7(&[0x33, 1]), Err(ParseError::Invalid(_))));
    assert!(
        parse_s7(&[0x32, 3, 0, 0, 0, 0, 0, 0, 0, 0]).is_err(),
        "ack-data needs 12 bytes"
    );
}

#[rstest]
#[case::v1_create_object(&[
    0x72, 0x01, 0x00, 0xca, // protocol id, version 1, data length
    0x31, // opcode request
    0x00, 0x00, // reserved
    0x04, 0xca, // function CreateObject
    0x00, 0x00, // reserved
    0x00, 0x01, // sequence number 1
], 1, Some(0x31), Some(0x04ca), Some(1))]
#[case::v2_response(&[
    0x72, 0x02, 0x00, 0x10, 0x32, 0x00, 0x00, 0x05, 0x42, 0x00, 0x00, 0x00, 0x02, 0x34,
    0x00, 0x00, 0x72, 0x02, 0x00, 0x00, // trailer
], 2, Some(0x32), Some(0x0542), Some(2))]
#[case::keep_alive(&[0x72, 0xfe, 0x00, 0x00], 0xfe, None, None, None)]
fn s7comm_plus_headers(
    #[case] b: &[u8],
    #[case] version: u8,
    #[case] opcode: Option<u8>,
    #[case] function: Option<u16>,
    #[case] seq: Option<u16>,
) {
    let p = parse_s7plus(b).unwrap();
    assert_eq!(p.version, version);
    assert_eq!(p.opcode.map(|o| o.0), opcode);
    assert_eq!(p.function.map(|f| f.0), function);
    assert_eq!(p.sequence, seq);
    assert!(parse_s7plus(&[0x32]).is_err());
}

#[test]
fn names_of_codes() {
    assert_eq!(Rosctr(3).name(), "Ack_Data");
    assert_eq!(Rosctr(9).name(), "unknown");
    assert_eq!(Function(0x1d).name(), "start_upload");
    assert_eq!(CotpType(0x80).name(), "DR");
}
