//! Byte-table tests for the Modbus/TCP parser: one case per PDU kind of the *Modbus Application
//! Protocol V1.1b3* (requests and responses), with a comment per field, plus the anomaly flags,
//! the MBAP framing errors, the sawp/Suricata names and probing.

use rstest::rstest;
use skjold_proto::modbus::{
    self, parse_adu, AccessType, Category, Data, DeviceId, ExceptionCode, FileRecordResponses,
    FileRecords, Flags, FunctionCode, MeiType,
};
use skjold_proto::{Direction, ParseError, Probe};

const REQ: Direction = Direction::Request;
const RESP: Direction = Direction::Response;

#[rstest]
#[case::read_coils_request(REQ, &[
    0x00, 0x01, // transaction id 1
    0x00, 0x00, // protocol id 0
    0x00, 0x06, // length 6
    0x01,       // unit id 1
    0x01,       // function: read coils
    0x00, 0x13, // starting address 19
    0x00, 0x13, // quantity 19
], Data::ReadRequest { address: 19, quantity: 19 }, Flags::NONE)]
#[case::read_coils_response(RESP, &[
    0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP, length 6, unit 1
    0x01,             // function: read coils
    0x03,             // byte count 3
    0xcd, 0x6b, 0x05, // coil status 27..20, 35..28, 38..36
], Data::ReadResponse { byte_count: 3, values: &[0xcd, 0x6b, 0x05] }, Flags::NONE)]
#[case::read_discrete_inputs_request(REQ, &[
    0x00, 0x02, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x02,       // function: read discrete inputs
    0x00, 0xc4, // starting address 196
    0x00, 0x16, // quantity 22
], Data::ReadRequest { address: 196, quantity: 22 }, Flags::NONE)]
#[case::read_holding_registers_request(REQ, &[
    0x00, 0x03, 0x00, 0x00, 0x00, 0x06, 0x11, // MBAP, unit 17
    0x03,       // function: read holding registers
    0x00, 0x6b, // starting address 107
    0x00, 0x03, // quantity 3
], Data::ReadRequest { address: 107, quantity: 3 }, Flags::NONE)]
#[case::read_holding_registers_response(RESP, &[
    0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 0x11, // MBAP, length 9
    0x03,       // function: read holding registers
    0x06,       // byte count 6
    0x02, 0x2b, // register 107 = 555
    0x00, 0x00, // register 108 = 0
    0x00, 0x64, // register 109 = 100
], Data::ReadResponse { byte_count: 6, values: &[0x02, 0x2b, 0, 0, 0, 0x64] }, Flags::NONE)]
#[case::read_input_registers_request(REQ, &[
    0x00, 0x04, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x04,       // function: read input registers
    0x00, 0x08, // starting address 8
    0x00, 0x01, // quantity 1
], Data::ReadRequest { address: 8, quantity: 1 }, Flags::NONE)]
#[case::write_single_coil_request(REQ, &[
    0x00, 0x05, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x05,       // function: write single coil
    0x00, 0xac, // output address 172
    0xff, 0x00, // ON
], Data::WriteSingle { address: 172, value: 0xff00 }, Flags::NONE)]
#[case::write_single_register_response(RESP, &[
    0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x06,       // function: write single register
    0x00, 0x01, // register address 1
    0x00, 0x03, // value 3
], Data::WriteSingle { address: 1, value: 3 }, Flags::NONE)]
#[case::read_exception_status_request(REQ, &[
    0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x01, // MBAP, length 2
    0x07, // function: read exception status (no data)
], Data::Empty, Flags::NONE)]
#[case::read_exception_status_response(RESP, &[
    0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x01, // MBAP
    0x07, // function
    0x6d, // output data
], Data::ExceptionStatus { status: 0x6d }, Flags::NONE)]
#[case::diagnostics_request(REQ, &[
    0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x08,       // function: diagnostics
    0x00, 0x00, // sub-function: return query data
    0xa5, 0x37, // data
], Data::Diagnostic { sub_function: modbus::DiagSubFunction(0), data: &[0xa5, 0x37] }, Flags::NONE)]
#[case::get_comm_event_counter_response(RESP, &[
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x0b,       // function: get comm event counter
    0xff, 0xff, // status: busy
    0x01, 0x08, // event count 264
], Data::CommEventCounter { status: 0xffff, event_count: 264 }, Flags::NONE)]
#[case::get_comm_event_log_response(RESP, &[
    0x00, 0x0c, 0x00, 0x00, 0x00, 0x0b, 0x01, // MBAP, length 11
    0x0c,       // function: get comm event log
    0x08,       // byte count 8
    0x00, 0x00, // status
    0x01, 0x08, // event count 264
    0x01, 0x21, // message count 289
    0x20, 0x00, // events
], Data::CommEventLog { byte_count: 8, status: 0, event_count: 264, message_count: 289, events: &[0x20, 0x00] }, Flags::NONE)]
#[case::write_multiple_coils_request(REQ, &[
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x09, 0x01, // MBAP, length 9
    0x0f,       // function: write multiple coils
    0x00, 0x13, // starting address 19
    0x00, 0x0a, // quantity 10
    0x02,       // byte count 2
    0xcd, 0x01, // outputs
], Data::WriteMultipleRequest { address: 19, quantity: 10, byte_count: 2, values: &[0xcd, 0x01] }, Flags::NONE)]
#[case::write_multiple_registers_request(REQ, &[
    0x00, 0x10, 0x00, 0x00, 0x00, 0x0b, 0x01, // MBAP, length 11
    0x10,       // function: write multiple registers
    0x00, 0x01, // starting address 1
    0x00, 0x02, // quantity 2
    0x04,       // byte count 4
    0x00, 0x0a, // register 1 = 10
    0x01, 0x02, // register 2 = 258
], Data::WriteMultipleRequest { address: 1, quantity: 2, byte_count: 4, values: &[0, 0x0a, 1, 2] }, Flags::NONE)]
#[case::write_multiple_registers_response(RESP, &[
    0x00, 0x10, 0x00, 0x00, 0x00, 0x06, 0x01, // MBAP
    0x10,       // function
    0x00, 0x01, // starting address 1
    0x00, 0x02, // quantity 2
], Data::WriteMultipleResponse { address: 1, quantity: 2 }, Flags::NONE)]
#[case::report_server_id_response(RESP, &[
    0x00, 0x11, 0x00, 0x00, 0x00, 0x05, 0x01, // MBAP
    0x11,       // function: report server id
    0x02,       // byte count 2
    0x42, 0xff, // server id, run indicator ON
], Data::ReportServerId { byte_count: 2, data: &[0x42, 0xff] }, Flags::NONE)]
#[case::read_file_record_request(REQ, &[
    0x00, 0x14, 0x00, 0x00, 0x00, 0x0a, 0x01, // MBAP, length 10
    0x14,       // function: read file record
    0x07,       // byte count 7
    0x06,       // reference type 6
    0x00, 0x04, // file number 4
    0x00, 0x01, // record number 1
    0x00, 0x02, // record length 2
], Data::FileRecords(FileRecords { byte_count: 7, with_data: false, raw: &[6, 0, 4, 0, 1, 0, 2] }), Flags::NONE)]
#[case::read_file_record_response(RESP, &[
    0x00, 0x14, 0x00, 0x00, 0x00, 0x09, 0x01, // MBAP, length 9
    0x14,       // function: read file record
    0x06,       // response data length 6 (below the 7 the request minimum implies: flagged)
    0x05,       // file response length 5 (reference type and 4 data bytes)
    0x06,       // reference type 6
    0x0d, 0xfe, // register data
    0x00, 0x20, // register data
], Data::FileRecordResponse(FileRecordResponses { byte_count: 6, raw: &[5, 6, 0x0d, 0xfe, 0, 0x20] }), Flags::BYTE_COUNT_MISMATCH)]
#[case::write_file_record_request(REQ, &[
    0x00, 0x15, 0x00, 0x00, 0x00, 0x0c, 0x01, // MBAP, length 12
    0x15,       // function: write file record
    0x09,       // byte count 9
    0x06,       // reference type 6
    0x00, 0x04, // file number 4
    0x00, 0x07, // record number 7
    0x00, 0x01, // record length 1
    0x06, 0xaf, // record data
], Data::FileRecords(FileRecords { byte_count: 9, with_data: true, raw: &[6, 0, 4, 0, 7, 0, 1, 6, 0xaf] }), Flags::NONE)]
#[case::mask_write_register_request(REQ, &[
    0x00, 0x16, 0x00, 0x00, 0x00, 0x08, 0x01, // MBAP
    0x16,       // function: mask write register
    0x00, 0x04, // reference address 4
    0x00, 0xf2, // AND mask
    0x00, 0x25, // OR mask
], Data::MaskWrite { address: 4, and_mask: 0xf2, or_mask: 0x25 }, Flags::NONE)]
#[case::read_write_multiple_registers_request(REQ, &[
    0x00, 0x17, 0x00, 0x00, 0x00, 0x11, 0x01, // MBAP, length 17
    0x17,       // function: read/write multiple registers
    0x00, 0x03, // read starting address 3
    0x00, 0x06, // quantity to read 6
    0x00, 0x0e, // write starting address 14
    0x00, 0x03, // quantity to write 3
    0x06,       // write byte count 6
    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, // write registers
], Data::ReadWriteRequest { read_address: 3, read_quantity: 6, write_address: 14, write_quantity: 3, byte_count: 6, values: &[0, 0xff, 0, 0xff, 0, 0xff] }, Flags::NONE)]
#[case::read_fifo_queue_request(REQ, &[
    0x00, 0x18, 0x00, 0x00, 0x00, 0x04, 0x01, // MBAP
    0x18,       // function: read FIFO queue
    0x04, 0xde, // FIFO pointer address 1246
], Data::FifoRequest { address: 1246 }, Flags::NONE)]
#[case::read_fifo_queue_response(RESP, &[
    0x00, 0x18, 0x00, 0x00, 0x00, 0x0a, 0x01, // MBAP, length 10
    0x18,       // function
    0x00, 0x06, // byte count 6
    0x00, 0x02, // FIFO count 2
    0x01, 0xb8, // FIFO value 440
    0x12, 0x84, // FIFO value 4740
], Data::FifoResponse { byte_count: 6, fifo_count: 2, values: &[0x01, 0xb8, 0x12, 0x84] }, Flags::NONE)]
#[case::read_device_id_request(REQ, &[
    0x00, 0x2b, 0x00, 0x00, 0x00, 0x05, 0x01, // MBAP
    0x2b, // function: encapsulated interface transport
    0x0e, // MEI type: read device identification
    0x01, // read device id code: basic
    0x00, // object id 0
], Data::DeviceIdRequest { read_code: 1, object_id: 0 }, Flags::NONE)]
#[case::read_device_id_response(RESP, &[
    0x00, 0x2b, 0x00, 0x00, 0x00, 0x0f, 0x01, // MBAP, length 15
    0x2b,       // function
    0x0e,       // MEI type 14
    0x01,       // read device id code 1
    0x01,       // conformity level 1 (basic, stream only)
    0x00,       // more follows: no
    0x00,       // next object id
    0x02,       // number of objects 2
    0x00, 0x02, b'A', b'B', // object 0 (vendor), length 2
    0x01, 0x01, b'X',       // object 1 (product code), length 1
], Data::DeviceIdResponse(DeviceId { read_code: 1, conformity_level: 1, more_follows: 0, next_object_id: 0, number_of_objects: 2, raw_objects: &[0, 2, b'A', b'B', 1, 1, b'X'] }), Flags::NONE)]
#[case::canopen_mei_request(REQ, &[
    0x00, 0x2b, 0x00, 0x00, 0x00, 0x05, 0x01, // MBAP
    0x2b,       // function
    0x0d,       // MEI type 13: CANopen
    0x01, 0x02, // CANopen data
], Data::Mei { mei_type: MeiType::CANOPEN, data: &[1, 2] }, Flags::NONE)]
#[case::exception_response(RESP, &[
    0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, // MBAP, length 3
    0x81, // function: read coils | 0x80
    0x02, // exception: illegal data address
], Data::Exception { code: ExceptionCode::ILLEGAL_DATA_ADDRESS }, Flags::NONE)]
#[case::umas_user_function(REQ, &[
    0x00, 0x5a, 0x00, 0x00, 0x00, 0x04, 0x00, // MBAP, length 4, unit 0
    0x5a,       // function 90: UMAS (Schneider)
    0x00, 0x02, // UMAS payload
], Data::Other(&[0x00, 0x02]), Flags::NONE)]
#[case::user_defined_function(RESP, &[
    0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, // MBAP
    0x41, // function 65: user defined
    0x99, // payload
], Data::Other(&[0x99]), Flags::NONE)]
fn pdu_table(
    #[case] dir: Direction,
    #[case] input: &[u8],
    #[case] data: Data<'_>,
    #[case] flags: Flags,
) {
    let (rest, adu) = parse_adu(input, dir).expect("parses");
    assert!(rest.is_empty());
    assert_eq!(adu.data, data);
    assert_eq!(
        adu.flags,
        flags,
        "flags {:?}",
        adu.flags.names().collect::<Vec<_>>()
    );
    assert_eq!(adu.header.protocol_id, 0);
    assert_eq!(usize::from(adu.header.length) + 6, input.len());
}

#[rstest]
#[case::quantity_zero(REQ, &[
    0, 1, 0, 0, 0, 6, 1, // MBAP
    0x03,       // read holding registers
    0x00, 0x00, // address 0
    0x00, 0x00, // quantity 0
], Flags::QUANTITY_OUT_OF_RANGE)]
#[case::read_too_many_registers(REQ, &[
    0, 1, 0, 0, 0, 6, 1, // MBAP
    0x03,       // read holding registers
    0x00, 0x00, // address 0
    0x00, 0x7e, // quantity 126 > 125
], Flags::QUANTITY_OUT_OF_RANGE)]
#[case::read_too_many_coils(REQ, &[
    0, 1, 0, 0, 0, 6, 1, // MBAP
    0x01,       // read coils
    0x00, 0x00, // address 0
    0x07, 0xd1, // quantity 2001 > 2000
], Flags::QUANTITY_OUT_OF_RANGE)]
#[case::byte_count_disagrees_with_quantity(REQ, &[
    0, 1, 0, 0, 0, 9, 1, // MBAP, length 9
    0x10,       // write multiple registers
    0x00, 0x00, // address
    0x00, 0x02, // quantity 2 (needs 4 bytes)
    0x02,       // byte count 2
    0x00, 0x01, // one register
], Flags::BYTE_COUNT_MISMATCH)]
#[case::mbap_length_longer_than_pdu(REQ, &[
    0, 1, 0, 0, 0, 7, 1, // MBAP, length 7: one byte too many
    0x03, 0x00, 0x00, 0x00, 0x01, // read holding registers
    0xee, // extra
], Flags::LENGTH_MISMATCH)]
#[case::mbap_length_shorter_than_pdu(REQ, &[
    0, 1, 0, 0, 0, 4, 1, // MBAP, length 4: quantity cut off
    0x03, 0x00, 0x00, // read holding registers, address only
], Flags::LENGTH_MISMATCH)]
#[case::bad_protocol_id(REQ, &[
    0, 1, 0x00, 0x01, 0, 6, 1, // MBAP, protocol id 1
    0x03, 0x00, 0x00, 0x00, 0x01,
], Flags::BAD_PROTOCOL_ID)]
#[case::unassigned_function(REQ, &[
    0, 1, 0, 0, 0, 2, 1, // MBAP
    0x28, // function 40: public, unassigned
], Flags::UNKNOWN_FUNCTION)]
#[case::invalid_exception_code(RESP, &[
    0, 1, 0, 0, 0, 3, 1, // MBAP
    0x83, // read holding registers exception
    0x09, // exception code 9: undefined
], Flags::INVALID_EXCEPTION_CODE)]
#[case::coil_value_not_on_or_off(REQ, &[
    0, 1, 0, 0, 0, 6, 1, // MBAP
    0x05,       // write single coil
    0x00, 0x01, // address
    0x12, 0x34, // neither 0xFF00 nor 0x0000
], Flags::INVALID_VALUE)]
#[case::odd_register_byte_count(RESP, &[
    0, 1, 0, 0, 0, 6, 1, // MBAP
    0x03, // read holding registers
    0x03, // byte count 3: odd
    0x00, 0x01, 0x02,
], Flags::BYTE_COUNT_MISMATCH)]
fn anomaly_table(#[case] dir: Direction, #[case] input: &[u8], #[case] expected: Flags) {
    let (rest, adu) = parse_adu(input, dir).expect("readable ADU is not an error");
    assert!(rest.is_empty());
    assert_eq!(
        adu.flags,
        expected,
        "{:?}",
        adu.flags.names().collect::<Vec<_>>()
    );
}

#[test]
fn mbap_length_out_of_range_is_malformed_with_the_claimed_length_to_skip() {
    // Length 1: cannot hold unit id and function.
    let r = parse_adu(&[0, 1, 0, 0, 0, 1, 1], REQ);
    assert_eq!(
        r.unwrap_err(),
        ParseError::Malformed {
            what: "mbap length",
            len: 7
        }
    );
    // Length 255 (tshark flags it too).
    let r = parse_adu(&[0, 1, 0, 0, 0, 0xff, 1, 3], REQ);
    assert_eq!(
        r.unwrap_err(),
        ParseError::Malformed {
            what: "mbap length",
            len: 261
        }
    );
}

#[test]
fn implausible_mbap_header_is_invalid() {
    // Protocol id 0x1234 and length 0xffff.
    let r = parse_adu(&[0, 1, 0x12, 0x34, 0xff, 0xff, 1, 3], REQ);
    assert_eq!(r.unwrap_err(), ParseError::Invalid("mbap header"));
}

#[test]
fn incomplete_adu_asks_for_exactly_the_missing_bytes() {
    let full = [0u8, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    assert_eq!(
        parse_adu(&full[..3], REQ).unwrap_err(),
        ParseError::Incomplete(3)
    );
    assert_eq!(
        parse_adu(&full[..9], REQ).unwrap_err(),
        ParseError::Incomplete(3)
    );
    let two = [&full[..], &full[..]].concat();
    let (rest, _) = parse_adu(&two, REQ).expect("first of two");
    assert_eq!(rest, &full[..]);
}

#[test]
fn device_objects_iterate_in_order() {
    let input = [
        0, 1, 0, 0, 0, 0x0f, 1, 0x2b, 0x0e, 1, 1, 0, 0, 2, 0, 2, b'A', b'B', 1, 1, b'X',
    ];
    let (_, adu) = parse_adu(&input, RESP).expect("parses");
    let Data::DeviceIdResponse(dev) = adu.data else {
        panic!("not a device id response: {:?}", adu.data);
    };
    let objs: Vec<_> = dev.objects().collect();
    assert_eq!(objs, vec![(0, &b"AB"[..]), (1, &b"X"[..])]);
    assert_eq!(modbus::device_object_name(2), "MajorMinorRevision");
}

#[test]
fn file_sub_requests_iterate_with_their_data() {
    let recs = FileRecords {
        byte_count: 9,
        with_data: true,
        raw: &[6, 0, 4, 0, 7, 0, 1, 6, 0xaf],
    };
    let subs: Vec<_> = recs.into_iter().collect();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].file_number, 4);
    assert_eq!(subs[0].record_number, 7);
    assert_eq!(subs[0].data, &[6, 0xaf]);
}

#[rstest]
#[case(FunctionCode::READ_COILS, "READ | COILS")]
#[case(FunctionCode::READ_DISCRETE_INPUTS, "READ | DISCRETES")]
#[case(FunctionCode::READ_INPUT_REGISTERS, "READ | INPUT")]
#[case(
    FunctionCode::WRITE_SINGLE_COIL,
    "WRITE | COILS | SINGLE | WRITE_SINGLE"
)]
#[case(
    FunctionCode::WRITE_SINGLE_REGISTER,
    "WRITE | HOLDING | SINGLE | WRITE_SINGLE"
)]
#[case(
    FunctionCode::WRITE_MULTIPLE_REGISTERS,
    "WRITE | HOLDING | MULTIPLE | WRITE_MULTIPLE"
)]
#[case(FunctionCode::MASK_WRITE_REGISTER, "WRITE | HOLDING")]
#[case(
    FunctionCode::READ_WRITE_MULTIPLE_REGISTERS,
    "READ | WRITE | HOLDING | MULTIPLE | WRITE_MULTIPLE"
)]
#[case(FunctionCode::DIAGNOSTICS, "NONE")]
#[case(FunctionCode(0x83), "READ | HOLDING")]
fn access_type_text_matches_sawp_flags_display(#[case] f: FunctionCode, #[case] text: &str) {
    assert_eq!(f.access().to_string(), text);
    assert!(f.access().contains(AccessType::NONE));
}

#[rstest]
#[case(1, "RdCoils", Category::PublicAssigned)]
#[case(24, "RdFIFOQueue", Category::PublicAssigned)]
#[case(43, "MEI", Category::PublicAssigned)]
#[case(40, "Unknown", Category::PublicUnassigned)]
#[case(66, "Unknown", Category::UserDefined)]
#[case(90, "Unknown", Category::Reserved)]
#[case(0, "Unknown", Category::None)]
fn function_names_and_categories(#[case] raw: u8, #[case] name: &str, #[case] cat: Category) {
    assert_eq!(FunctionCode(raw).sawp_name(), name);
    assert_eq!(FunctionCode(raw).category(), cat);
}

#[test]
fn error_flags_text_uses_sawp_names() {
    assert_eq!(Flags::NONE.sawp_text(), "NONE");
    let f = Flags(Flags::QUANTITY_OUT_OF_RANGE.0 | Flags::LENGTH_MISMATCH.0);
    assert_eq!(f.sawp_text(), "DATA_VALUE | DATA_LENGTH");
    assert_eq!(
        f.names().collect::<Vec<_>>(),
        vec!["length_mismatch", "quantity_out_of_range"]
    );
}

#[test]
fn exception_category_follows_suricata() {
    // Diagnostic exception: no sub-function, so no category in sawp.
    let (_, adu) = parse_adu(&[0, 0, 0, 0, 0, 3, 8, 0x88, 0x0b], RESP).expect("parses");
    assert_eq!(adu.category(), Category::None);
    assert_eq!(adu.function.sawp_name(), "Diagnostic");
    let (_, adu) = parse_adu(&[0, 0, 0, 0, 0, 3, 1, 0x81, 0x02], RESP).expect("parses");
    assert_eq!(adu.category(), Category::PublicAssigned);
}

#[rstest]
#[case::read_request_on_port_5020(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10], Probe::Yes)]
#[case::exception_response(&[0, 1, 0, 0, 0, 3, 1, 0x83, 2], Probe::Yes)]
#[case::too_short(&[0, 1, 0, 0], Probe::NeedMore)]
#[case::header_only(&[0, 1, 0, 0, 0, 6, 1, 3], Probe::NeedMore)]
#[case::http(b"GET / HTTP/1.1\r\n", Probe::No)]
#[case::protocol_id_not_zero(&[0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 10], Probe::No)]
#[case::length_out_of_range(&[0, 1, 0, 0, 1, 0, 1, 3, 0, 0, 0, 10], Probe::No)]
#[case::unassigned_function(&[0, 1, 0, 0, 0, 2, 1, 40], Probe::No)]
#[case::length_inconsistent_with_pdu(&[0, 1, 0, 0, 0, 8, 1, 3, 0, 0, 0, 10, 0, 0], Probe::No)]
fn probe_table(#[case] input: &[u8], #[case] expected: Probe) {
    assert_eq!(modbus::probe(input), expected);
}
