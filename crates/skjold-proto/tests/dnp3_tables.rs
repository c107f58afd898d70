//! Byte tables for `skjold_proto::dnp3` (IEEE 1815-2012): link frames with their CRCs,
//! transport reassembly, application headers, internal indications and object headers.

use rstest::rstest;
use skjold_proto::dnp3::{
    build_frame, crc, object_size, objects, parse_app, parse_frame, parse_header, probe,
    DropReason, FunctionCode, Iin, ObjectError, ObjectSize, Push, Reassembler, MAX_FRAGMENT_LEN,
    MAX_FRAME_LEN, MAX_USER_DATA,
};
use skjold_proto::{ParseError, Probe};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// Cold restart request from dnp3-cold-restart.pcap (frame 4):
// 05 64 start | 08 length | c4 DIR PRM unconfirmed user data | 0a00 dst 10 | 0100 src 1 |
// fc42 header CRC | c0 transport FIN FIR seq 0 | c0 app FIR FIN seq 0 | 0d cold restart |
// 9c86 block CRC.
const COLD_RESTART: &str = "056408c40a000100fc42c0c00d9c86";
// Its response (frame 6): length 10, ctl 44, dst 1, src 10, transport c0, app c0, 81 response,
// IIN 00 01 (IIN2.0 no function code support), block CRC c2de.
const RESPONSE: &str = "05640a4401000a006e25c0c0810001c2de";

#[test]
fn cold_restart_request_frame() {
    let bytes = hex(COLD_RESTART);
    let (rest, f) = parse_frame(&bytes).unwrap();
    assert!(rest.is_empty());
    assert_eq!(f.header.length, 8);
    assert!(f.header.control.dir());
    assert!(f.header.control.primary());
    assert_eq!(f.header.control.function(), 4);
    assert_eq!(f.header.control.function_name(), "unconfirmed_user_data");
    assert_eq!((f.header.destination, f.header.source), (10, 1));
    assert_eq!(f.bad_crcs, 0);
    let mut user = [0u8; MAX_USER_DATA];
    let n = f.user_data(&mut user);
    assert_eq!(&user[..n], &[0xc0, 0xc0, 0x0d]);
    let (app, objs) = parse_app(&user[1..n]).unwrap();
    assert_eq!(app.function, FunctionCode::COLD_RESTART);
    assert_eq!(app.function.name(), "cold_restart");
    assert_eq!(app.function.category(), "restart");
    assert!(app.control.fir() && app.control.fin() && !app.control.con());
    assert!(app.iin.is_none());
    assert!(objs.is_empty());
}

#[test]
fn response_carries_iin() {
    let bytes = hex(RESPONSE);
    let (_, f) = parse_frame(&bytes).unwrap();
    assert!(!f.header.control.dir());
    let mut user = [0u8; MAX_USER_DATA];
    let n = f.user_data(&mut user);
    let (app, _) = parse_app(&user[1..n]).unwrap();
    assert_eq!(app.function, FunctionCode::RESPONSE);
    assert_eq!(app.iin, Some(Iin(0x0001)));
    assert_eq!(
        app.iin.unwrap().names().collect::<Vec<_>>(),
        ["no_func_code_support"]
    );
    assert_eq!(Iin(0x8000).names().collect::<Vec<_>>(), ["device_restart"]);
    assert_eq!(Iin(0x0200).names().collect::<Vec<_>>(), ["class_1_events"]);
}

#[test]
fn crc_matches_the_capture_and_build_frame_round_trips() {
    // Header CRC of the cold restart request, sent low octet first (fc 42).
    assert_eq!(crc(&hex("056408c40a000100")), 0x42fc);
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = build_frame(0xc4, 10, 1, &[0xc0, 0xc0, 0x0d], &mut out);
    assert_eq!(&out[..n], hex(COLD_RESTART).as_slice());
}

#[test]
fn bad_crcs_are_detected() {
    let mut bytes = hex(COLD_RESTART);
    bytes[14] ^= 1;
    assert_eq!(parse_frame(&bytes).unwrap().1.bad_crcs, 1);
    bytes[8] ^= 1;
    assert_eq!(parse_frame(&bytes), Err(ParseError::Invalid("header_crc")));
}

#[rstest]
#[case(&[], Probe::NeedMore)]
#[case(&[0x05], Probe::NeedMore)]
#[case(&[0x05, 0x64, 0x08], Probe::NeedMore)]
#[case(&[0x05, 0x65], Probe::No)]
#[case(&[0x68, 0x04], Probe::No)]
fn probe_table(#[case] bytes: &[u8], #[case] want: Probe) {
    assert_eq!(probe(bytes), want);
}

#[test]
fn probe_needs_a_valid_header_crc_and_length() {
    let bytes = hex(COLD_RESTART);
    assert_eq!(probe(&bytes[..10]), Probe::Yes);
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = build_frame(0xc4, 10, 1, &[], &mut out);
    assert_eq!(probe(&out[..n]), Probe::Yes);
    // Length 4 (below the 5 octets of control and addresses), CRC recomputed.
    let mut h = hex("056404c40a000100");
    let c = crc(&h).to_le_bytes();
    h.extend_from_slice(&c);
    assert_eq!(parse_header(&h), Err(ParseError::Invalid("length")));
    assert_eq!(probe(&h), Probe::No);
}

#[test]
fn frame_of_250_user_octets_has_16_blocks() {
    let user = [0xaau8; 250];
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = build_frame(0x44, 1, 2, &user, &mut out);
    assert_eq!(n, MAX_FRAME_LEN);
    let (_, f) = parse_frame(&out[..n]).unwrap();
    assert_eq!(f.header.length, 255);
    assert_eq!(f.user_data_len(), 250);
    assert_eq!(parse_frame(&out[..n - 1]), Err(ParseError::Incomplete(1)));
}

#[test]
fn reassembly_joins_segments_and_reports_errors() {
    let mut r = Reassembler::new();
    assert_eq!(r.push(&[0x40, 1, 2]), Push::Pending);
    assert_eq!(r.push(&[0x81, 3]), Push::Complete);
    assert_eq!(r.fragment(), &[1, 2, 3]);
    assert_eq!(r.segments(), 2);
    assert_eq!(r.push(&[0x85, 9]), Push::Dropped(DropReason::NoFirst));
    assert_eq!(r.push(&[0x40, 1]), Push::Pending);
    assert_eq!(r.push(&[0x03, 1]), Push::Dropped(DropReason::OutOfSequence));
    // Later segments of the dropped fragment are skipped until its FIN.
    assert_eq!(r.push(&[0x04, 1]), Push::Skipped);
    assert_eq!(r.push(&[0x85, 1]), Push::Skipped);
    assert_eq!(r.push(&[]), Push::Dropped(DropReason::Empty));
    // Sequence wraps from 63 to 0.
    assert_eq!(r.push(&[0x7f, 1]), Push::Pending);
    assert_eq!(r.push(&[0x80, 2]), Push::Complete);
    // A new FIR while a fragment is open abandons it.
    r.push(&[0x40, 1]);
    r.push(&[0x40, 1]);
    assert!(r.abandoned);
}

#[test]
fn reassembly_is_bounded() {
    let mut r = Reassembler::new();
    let mut seg = vec![0u8; 250];
    seg[0] = 0x40;
    let mut dropped = false;
    for i in 0..(MAX_FRAGMENT_LEN / 249 + 2) {
        if i > 0 {
            seg[0] = (i & 0x3f) as u8;
        }
        if r.push(&seg) == Push::Dropped(DropReason::TooLong) {
            dropped = true;
            break;
        }
    }
    assert!(dropped);
    assert!(!r.is_open());
}

#[test]
fn object_headers_of_a_read_request() {
    // Class 1, 2, 3 (qualifier 06) then g1v2 start/stop 8-bit 3..=7 and g30v1 count 16-bit 5.
    let objs = hex("3c02063c03063c040601020003071e01080500");
    let hs: Vec<_> = objects(FunctionCode::READ, &objs)
        .map(|o| o.unwrap().header)
        .collect();
    assert_eq!(hs.len(), 5);
    assert_eq!(
        (hs[0].group, hs[0].variation, hs[0].range_code()),
        (60, 2, 6)
    );
    assert_eq!(
        (hs[3].start, hs[3].stop, hs[3].quantity()),
        (Some(3), Some(7), 5)
    );
    assert_eq!(
        (hs[4].prefix_code(), hs[4].range_code(), hs[4].count),
        (0, 8, Some(5))
    );
}

#[test]
fn object_data_is_skipped_by_size() {
    // Response: g1v1 packed bits 0..=9 (2 octets), g30v1 (5 octets) 2..=3 with 1-octet index
    // prefix (qualifier 0x17 count 2: 2 * (1 + 5)), g32v3 count 1 (11 octets).
    let mut objs = hex("010100000903ff");
    objs.extend(hex("1e011702010000000000020000000000"));
    objs.extend(hex("20030701"));
    objs.extend([0u8; 11]);
    let hs: Vec<_> = objects(FunctionCode::RESPONSE, &objs).collect();
    assert_eq!(hs.len(), 3, "{hs:?}");
    assert!(hs.iter().all(Result::is_ok));
    let d = hs[1].unwrap();
    assert_eq!(d.data.len(), 12);
}

#[test]
fn size_prefixed_objects_walk_in_any_function() {
    // g70v5 qualifier 5b count 1, size 4, then g60v1.
    let objs = hex("46055b01040001020304");
    let mut v = objs.clone();
    v.extend(hex("3c0106"));
    let hs: Vec<_> = objects(FunctionCode::READ, &v)
        .map(|o| o.unwrap().header)
        .collect();
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[1].group, 60);
}

#[rstest]
#[case("630100000005", ObjectError::UnknownSize)] // g99v1: size unknown
#[case("0101000503", ObjectError::InvertedRange)] // stop < start
#[case("010200000300", ObjectError::TruncatedData)] // 4 octets announced, 0 present
#[case("01020a", ObjectError::ReservedRange)] // range code 10
#[case("010270", ObjectError::ReservedPrefix)] // prefix code 7
#[case("0102", ObjectError::TruncatedHeader)]
fn object_errors(#[case] bytes: &str, #[case] err: ObjectError) {
    let v = hex(bytes);
    let mut it = objects(FunctionCode::RESPONSE, &v);
    let got = it.find_map(Result::err);
    assert_eq!(got, Some(err));
    assert_eq!(it.next(), None);
}

#[test]
fn object_sizes_follow_the_standard() {
    assert_eq!(object_size(1, 1), ObjectSize::Bits(1));
    assert_eq!(object_size(3, 1), ObjectSize::Bits(2));
    assert_eq!(object_size(12, 1), ObjectSize::Octets(11));
    assert_eq!(object_size(32, 7), ObjectSize::Octets(11));
    assert_eq!(object_size(50, 1), ObjectSize::Octets(6));
    assert_eq!(object_size(110, 12), ObjectSize::Octets(12));
    assert_eq!(object_size(112, 0), ObjectSize::Unknown);
    assert_eq!(object_size(120, 3), ObjectSize::Octets(6));
    assert_eq!(object_size(120, 1), ObjectSize::Unknown);
    assert_eq!(object_size(60, 0), ObjectSize::Zero);
    assert_eq!(object_size(70, 5), ObjectSize::Unknown);
    assert_eq!(object_size(30, 0), ObjectSize::Unknown);
}

#[rstest]
#[case(0, "confirm")]
#[case(3, "select")]
#[case(4, "operate")]
#[case(5, "direct_operate")]
#[case(14, "warm_restart")]
#[case(20, "enable_unsolicited")]
#[case(21, "disable_unsolicited")]
#[case(25, "open_file")]
#[case(26, "close_file")]
#[case(27, "delete_file")]
#[case(28, "get_file_info")]
#[case(29, "authenticate_file")]
#[case(30, "abort_file")]
#[case(32, "authenticate_req")]
#[case(130, "unsolicited_response")]
#[case(131, "authenticate_resp")]
#[case(200, "unknown")]
fn function_names(#[case] code: u8, #[case] name: &str) {
    assert_eq!(FunctionCode(code).name(), name);
}

#[test]
fn short_application_headers_are_invalid() {
    assert!(parse_app(&[0xc0]).is_err());
    assert!(parse_app(&[0xc0, 0x81, 0x00]).is_err());
    assert!(parse_app(&[0xc0, 0x01]).is_ok());
}
