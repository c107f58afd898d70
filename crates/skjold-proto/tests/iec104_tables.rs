//! Byte tables for `skjold_proto::iec104` (IEC 60870-5-104 APCI, IEC 60870-5-101 ASDU):
//! I/S/U frames, ASDU header fields, information objects and decoded element values.

use rstest::rstest;
use skjold_proto::iec104::{
    decode, element_size, objects, parse_apdu, parse_asdu, probe, Apci, Cot, Time, TypeId,
    UFunction, Value,
};
use skjold_proto::{ParseError, Probe};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// First I frame of iec104-diverse-090813.pcap:
// 68 start | 1a length 26 | 9a00 N(S) 77 | 2800 N(R) 20 |
// 0d M_ME_NC_1 | 02 SQ=0, 2 objects | 01 COT per/cyc | 00 OA | 0300 CA 3 |
// 140500 IOA 1300 | 000000f0 41 (30.0? no: f0 41 00 00 -> bytes 00 00 f0 41 = 30.0) | 00 QDS |
// 150500 IOA 1301 | 00003144 (708.0) | 00 QDS.
const MEASURED: &str = "681a9a0028000d02010003001405000000f041001505000000314400";

#[test]
fn i_frame_with_two_short_floats() {
    let bytes = hex(MEASURED);
    let (rest, apdu) = parse_apdu(&bytes).unwrap();
    assert!(rest.is_empty());
    assert_eq!(apdu.length, 26);
    assert_eq!(apdu.apci, Apci::I { send: 77, recv: 20 });
    assert_eq!(apdu.anomaly(), None);
    let asdu = parse_asdu(apdu.asdu).unwrap();
    let h = asdu.header;
    assert_eq!(h.type_id, TypeId::M_ME_NC_1);
    assert_eq!(h.type_id.name(), "M_ME_NC_1");
    assert!(!h.sq);
    assert_eq!(h.count, 2);
    assert_eq!((h.cot.cause(), h.cot.name()), (1, "per_cyc"));
    assert_eq!((h.originator, h.common_address), (0, 3));
    let (objs, ok) = objects(&asdu).unwrap();
    assert!(ok);
    let v: Vec<_> = objs.collect();
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].ioa, v[1].ioa), (1300, 1301));
    let e = decode(h.type_id, v[0].element).unwrap();
    assert_eq!(e.value, Value::Float(30.0));
    assert_eq!(e.qualifier, Some(0));
    assert_eq!(
        decode(h.type_id, v[1].element).unwrap().value,
        Value::Float(708.0)
    );
}

#[rstest]
#[case("680407000000", "startdt_act")]
#[case("68040b000000", "startdt_con")]
#[case("680413000000", "stopdt_act")]
#[case("680423000000", "stopdt_con")]
#[case("680443000000", "testfr_act")]
#[case("680483000000", "testfr_con")]
#[case("680417000000", "invalid")]
fn u_frames(#[case] bytes: &str, #[case] name: &str) {
    let b = hex(bytes);
    let (_, apdu) = parse_apdu(&b).unwrap();
    match apdu.apci {
        Apci::U(f) => assert_eq!(f.name(), name),
        other => panic!("{other:?}"),
    }
    assert_eq!(probe(&b) == Probe::Yes, name != "invalid");
}

#[test]
fn s_frame_and_its_receive_sequence() {
    let b = hex("680401000a01");
    let (_, apdu) = parse_apdu(&b).unwrap();
    assert_eq!(apdu.apci, Apci::S { recv: 0x010a >> 1 });
    assert_eq!(probe(&b), Probe::Yes);
    assert_eq!(UFunction::TESTFR_ACT.name(), "testfr_act");
}

#[rstest]
#[case(&[], Err(ParseError::Incomplete(6)))]
#[case(&[0x67, 4], Err(ParseError::Invalid("start")))]
#[case(&[0x68, 3, 0, 0, 0], Err(ParseError::Invalid("length")))]
#[case(&[0x68, 254], Err(ParseError::Invalid("length")))]
#[case(&[0x68, 4, 1, 0], Err(ParseError::Incomplete(2)))]
fn framing_errors(#[case] b: &[u8], #[case] want: Result<(), ParseError>) {
    assert_eq!(parse_apdu(b).map(|_| ()), want);
}

#[rstest]
#[case(&[0x68], Probe::NeedMore)]
#[case(&[0x68, 0x04, 0x07, 0x00], Probe::NeedMore)]
#[case(&[0x68, 0x04, 0x16, 0, 0, 0], Probe::No)] // I frame without room for an ASDU
#[case(&[0x68, 0x05, 0x07, 0, 0, 0], Probe::No)] // U frame with data
#[case(&[0x68, 0x04, 0x07, 1, 0, 0], Probe::No)] // U frame, octet 2 not zero
#[case(&[0x05, 0x64], Probe::No)]
#[case(&[0x68, 0x0e, 0, 0, 0, 0, 100, 1, 6, 0, 1, 0, 0, 0], Probe::NeedMore)] // ASDU incomplete
#[case(&[0x68, 0x0e, 0, 0, 0, 0, 100, 1, 6, 0, 1, 0, 0, 0, 0, 20], Probe::Yes)] // C_IC_NA_1 act
#[case(&[0x68, 0x0e, 0, 0, 0, 0, 99, 1, 6, 0, 1, 0, 0, 0, 0, 20], Probe::No)] // unknown type
#[case(&[0x68, 0x0e, 0, 0, 0, 0, 100, 1, 0, 0, 1, 0, 0, 0, 0, 20], Probe::No)] // cause 0
#[case(&[0x68, 0x0e, 0, 0, 0, 0, 100, 2, 6, 0, 1, 0, 0, 0, 0, 20], Probe::No)] // 2 objects announced
fn probe_table(#[case] b: &[u8], #[case] want: Probe) {
    assert_eq!(probe(b), want);
}

#[test]
fn cause_of_transmission_bits() {
    let c = Cot(0xc7);
    assert_eq!(
        (c.cause(), c.negative(), c.test(), c.name()),
        (7, true, true, "actcon")
    );
    assert_eq!(Cot(20).name(), "inrogen");
    assert_eq!(Cot(44).name(), "unknown_type_id");
    assert_eq!(Cot(63).name(), "unknown");
}

#[test]
fn sequence_asdu_addresses_increment() {
    // M_SP_NA_1, SQ=1, 3 elements from IOA 0x010203.
    let b = hex("018314000100030201010080");
    let asdu = parse_asdu(&b).unwrap();
    let (objs, ok) = objects(&asdu).unwrap();
    assert!(ok);
    let v: Vec<_> = objs.map(|o| (o.ioa, o.element[0])).collect();
    assert_eq!(v, [(0x01_0203, 1), (0x01_0204, 0), (0x01_0205, 0x80)]);
}

#[test]
fn length_mismatch_is_reported_and_objects_that_fit_are_returned() {
    // M_ME_NC_1 with 2 objects announced, one present.
    let b = hex("0d02030001000100000000000000");
    let asdu = parse_asdu(&b).unwrap();
    let (objs, ok) = objects(&asdu).unwrap();
    assert!(!ok);
    assert_eq!(objs.count(), 1);
    assert!(objects(&parse_asdu(&hex("63010300010001000000")).unwrap()).is_err());
    assert!(parse_asdu(&[1, 1, 3, 0, 1]).is_err());
}

#[test]
fn time_tags_and_command_values() {
    // C_SC_TA_1: SCO select on, QU 0, CP56 2021-03-04 05:06:07.890 (weekday 0).
    let e = decode(TypeId(58), &hex("81d21e0605040315")).unwrap();
    assert_eq!(e.value, Value::Single { on: true });
    assert_eq!(e.qualifier, Some(0x80));
    let t = e.time.unwrap();
    assert_eq!(t.text(), "2021-03-04T05:06:07.890");
    // M_DP_TA_1: DIQ on + BL, CP24 minute 2, 1.5 s.
    let e = decode(TypeId(4), &hex("12dc0502")).unwrap();
    assert_eq!(e.value, Value::Double { state: 2 });
    assert_eq!(e.qualifier, Some(0x10));
    assert_eq!(e.time.unwrap().text(), "02:01.500");
    // M_ST_NA_1: VTI -1 transient.
    let e = decode(TypeId(5), &[0xff, 0]).unwrap();
    assert_eq!(
        e.value,
        Value::Step {
            value: -1,
            transient: true
        }
    );
    // M_IT_NA_1: counter -2, seq 5, carry.
    let e = decode(TypeId(15), &hex("feffffff25")).unwrap();
    assert_eq!(
        e.value,
        Value::Counter {
            value: -2,
            seq: 5,
            flags: 0x20
        }
    );
    // C_SE_NB_1 scaled -300, QOS select.
    let e = decode(TypeId(49), &hex("d4fe80")).unwrap();
    assert_eq!(e.value, Value::Scaled(-300));
    // C_IC_NA_1 QOI 20, C_RD_NA_1 empty, C_CS_NA_1 clock.
    assert_eq!(
        decode(TypeId(100), &[20]).unwrap().value,
        Value::Qualifier(20)
    );
    assert_eq!(decode(TypeId(102), &[]).unwrap().value, Value::Empty);
    let c = decode(TypeId(103), &hex("d21e8605040315")).unwrap();
    assert!(c.time.unwrap().invalid);
    assert!(decode(TypeId(13), &[0, 0]).is_none());
    assert!(Time::parse(&[1, 2]).is_none());
}

#[rstest]
#[case(1, 1)]
#[case(3, 1)]
#[case(9, 3)]
#[case(11, 3)]
#[case(13, 5)]
#[case(15, 5)]
#[case(30, 8)]
#[case(31, 8)]
#[case(34, 10)]
#[case(36, 12)]
#[case(37, 12)]
#[case(45, 1)]
#[case(50, 5)]
#[case(58, 8)]
#[case(63, 12)]
#[case(100, 1)]
#[case(103, 7)]
#[case(107, 9)]
fn element_sizes(#[case] t: u8, #[case] size: usize) {
    assert_eq!(element_size(TypeId(t)), Some(size));
    assert_ne!(TypeId(t).name(), "unknown");
}
