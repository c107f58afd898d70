//! Byte-table tests for the EtherNet/IP encapsulation and CIP parsers (ODVA CIP Networks
//! Library Vol. 1 and 2): one case per message kind with a comment per field, the path segment
//! formats, Multiple Service Packet and Unconnected Send, limits and names.

use rstest::rstest;
use skjold_proto::enip::{
    class_name, device_type_name, general_status_name, parse_cip, parse_cpf, parse_encap,
    parse_identity, parse_path, parse_send_data, parse_service_info, plausible_header, vendor_name,
    Command, ItemType, Segment, Service, MAX_DEPTH, MAX_SEGMENTS,
};
use skjold_proto::ParseError;

fn header(cmd: u16, len: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&cmd.to_le_bytes()); // command
    v.extend_from_slice(&len.to_le_bytes()); // length
    v.extend_from_slice(&0x1102_0100u32.to_le_bytes()); // session handle
    v.extend_from_slice(&0u32.to_le_bytes()); // status
    v.extend_from_slice(&[0, 0, 0xc1, 0xde, 0xbe, 0xd1, 0, 0]); // sender context
    v.extend_from_slice(&0u32.to_le_bytes()); // options
    v
}

#[test]
fn encapsulation_header_fields_and_framing() {
    let mut m = header(0x65, 4);
    m.extend_from_slice(&[0x01, 0x00, 0x00, 0x00]); // protocol version 1, options 0
    m.push(0xaa); // next message
    let (rest, e) = parse_encap(&m).unwrap();
    assert_eq!(rest, &[0xaa]);
    assert_eq!(e.header.command, Command::REGISTER_SESSION);
    assert_eq!(e.header.command.name(), "register_session");
    assert_eq!(e.header.session, 0x1102_0100);
    assert_eq!(e.header.status.name(), "success");
    assert_eq!(e.header.context, &[0, 0, 0xc1, 0xde, 0xbe, 0xd1, 0, 0]);
    assert_eq!(e.data, &[1, 0, 0, 0]);
    assert_eq!(parse_encap(&m[..10]), Err(ParseError::Incomplete(14)));
    assert_eq!(parse_encap(&m[..26]), Err(ParseError::Incomplete(2)));
    assert_eq!(plausible_header(&m), Some(true));
    assert_eq!(plausible_header(&m[..23]), None);
    let mut bad = header(0x65, 6);
    bad.extend_from_slice(&[0; 6]);
    assert_eq!(
        plausible_header(&bad),
        Some(false),
        "RegisterSession is 4 bytes"
    );
    assert_eq!(plausible_header(&header(0x1234, 0)), Some(false));
}

#[test]
fn list_identity_reply_item() {
    let item = [
        0x01, 0x00, // encapsulation protocol version 1
        0x00, 0x02, // sin_family 2 (big-endian)
        0xaf, 0x12, // sin_port 44818 (big-endian)
        0x0a, 0x01, 0x01, 0xa4, // sin_addr 10.1.1.164
        0, 0, 0, 0, 0, 0, 0, 0, // sin_zero
        0x01, 0x00, // vendor 1
        0x0c, 0x00, // device type 12
        0x3a, 0x00, // product code 58
        0x04, 0x03, // revision 4.03
        0x30, 0x00, // status
        0x8e, 0x4d, 0x52, 0x00, // serial 0x00524d8e
        0x0b, // name length 11
        b'1', b'7', b'5', b'6', b'-', b'E', b'N', b'B', b'T', b'/', b'A', // product name
        0x03, // state
    ];
    let mut cpf = vec![0x01, 0x00, 0x0c, 0x00]; // 1 item, type identity
    cpf.extend_from_slice(&(item.len() as u16).to_le_bytes());
    cpf.extend_from_slice(&item);
    let c = parse_cpf(&cpf).unwrap();
    let id = parse_identity(c.item(ItemType::IDENTITY).unwrap()).unwrap();
    assert_eq!(id.sin_port, 44818);
    assert_eq!(id.sin_addr, [10, 1, 1, 164]);
    assert_eq!(
        vendor_name(id.vendor_id),
        Some("Rockwell Automation/Allen-Bradley")
    );
    assert_eq!(device_type_name(id.device_type), "Communications Adapter");
    assert_eq!((id.revision_major, id.revision_minor), (4, 3));
    assert_eq!(id.serial, 0x0052_4d8e);
    assert_eq!(id.product_name, b"1756-ENBT/A");
    assert_eq!(id.state, Some(3));
}

#[test]
fn list_services_item() {
    let item = [
        0x01, 0x00, // version
        0x20, 0x01, // capabilities: CIP over TCP, class 0/1 over UDP
        b'C', b'o', b'm', b'm', b'u', b'n', b'i', b'c', b'a', b't', b'i', b'o', b'n', b's', 0,
        0, // name
    ];
    let s = parse_service_info(&item).unwrap();
    assert_eq!(s.capabilities, 0x0120);
    assert_eq!(s.name, b"Communications");
}

#[test]
fn send_rr_data_with_unconnected_get_attribute_single() {
    let data = [
        0x00, 0x00, 0x00, 0x00, // interface handle
        0x0a, 0x00, // timeout
        0x02, 0x00, // 2 items
        0x00, 0x00, 0x00, 0x00, // null address item
        0xb2, 0x00, 0x08, 0x00, // unconnected data, 8 bytes
        0x0e, // Get Attribute Single
        0x03, // path size 3 words
        0x20, 0xf5, // class TCP/IP interface
        0x24, 0x01, // instance 1
        0x30, 0x05, // attribute 5
    ];
    let (_, timeout, cpf) = parse_send_data(&data).unwrap();
    assert_eq!(timeout, 10);
    let msg = cpf.item(ItemType::UNCONNECTED_DATA).unwrap();
    let c = parse_cip(msg).unwrap();
    assert_eq!(c.service.name(), "Get Attribute Single");
    assert!(!c.response);
    assert_eq!(c.path.logical(0), Some(0xf5));
    assert_eq!(class_name(0xf5), "TCP/IP Interface");
    assert_eq!(c.path.logical(1), Some(1));
    assert_eq!(c.path.logical(4), Some(5));
}

#[rstest]
#[case::class8(&[0x20, 0x06], 0, 6)]
#[case::class16(&[0x21, 0x00, 0x34, 0x12], 0, 0x1234)]
#[case::instance32(&[0x26, 0x00, 0x78, 0x56, 0x34, 0x12], 1, 0x1234_5678)]
#[case::member8(&[0x28, 0x02], 2, 2)]
#[case::attribute16(&[0x31, 0x00, 0x00, 0x01], 4, 0x100)]
fn logical_segments(#[case] p: &[u8], #[case] kind: u8, #[case] value: u32) {
    let path = parse_path(p);
    assert!(!path.malformed);
    assert_eq!(path.logical(kind), Some(value));
}

#[test]
fn symbolic_and_port_segments() {
    let p = [
        0x91, 0x05, b'T', b'a', b'g', b'_', b'1', 0x00, // symbolic "Tag_1", pad
        0x01, 0x00, // port 1 (backplane), link address 0
        0x12, 0x02, 0x0a, 0x01, // port 2, extended link address of 2 bytes
    ];
    let path = parse_path(&p);
    assert!(!path.malformed, "{path:?}");
    assert_eq!(path.segments[0], Segment::Symbolic(b"Tag_1"));
    assert_eq!(
        path.segments[1],
        Segment::Port {
            port: 1,
            link: &[0]
        }
    );
    assert_eq!(
        path.segments[2],
        Segment::Port {
            port: 2,
            link: &[0x0a, 0x01]
        }
    );
    assert!(parse_path(&[0xe0, 1]).malformed);
    let many: Vec<u8> = [0x20u8, 1].repeat(MAX_SEGMENTS + 4);
    assert!(parse_path(&many).too_many);
}

#[test]
fn multiple_service_packet_request_and_response() {
    let req = [
        0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, // MSP to Message Router instance 1
        0x02, 0x00, // 2 services
        0x06, 0x00, 0x0c, 0x00, // offsets 6, 12
        0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // Get Attributes All, Identity 1
        0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07, // Get Attribute Single 1/1/7
    ];
    let c = parse_cip(&req).unwrap();
    assert_eq!(c.service, Service::MULTIPLE);
    assert_eq!(c.embedded.len(), 2);
    assert_eq!(c.embedded[1].path.logical(4), Some(7));
    let resp = [
        0x8a, 0x00, 0x1e, 0x00, // MSP reply, embedded service error
        0x02, 0x00, 0x06, 0x00, 0x0a, 0x00, // 2 replies at 6 and 10
        0x81, 0x00, 0x00, 0x00, // Get Attributes All: success
        0x8e, 0x00, 0x14, 0x01, 0x07, 0x00, // Get Attribute Single: 0x14, ext 0x0007
    ];
    let c = parse_cip(&resp).unwrap();
    assert!(c.response);
    assert_eq!(c.general_status, Some(0x1e));
    assert_eq!(general_status_name(0x1e), "Embedded service error");
    assert_eq!(c.embedded[1].general_status, Some(0x14));
    assert_eq!(c.embedded[1].ext_status, &[0x07, 0x00]);
}

#[test]
fn unconnected_send_embeds_the_target_request() {
    let ucs = [
        0x52, 0x02, 0x20, 0x06, 0x24, 0x01, // Unconnected Send to Connection Manager
        0x07, 0xe9, // priority/tick, timeout ticks
        0x06, 0x00, // embedded size 6
        0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // Get Attributes All, Identity 1
        0x01, 0x00, 0x01, 0x00, // route path: 1 word, reserved, port 1 address 0
    ];
    let c = parse_cip(&ucs).unwrap();
    assert_eq!(c.embedded.len(), 1);
    assert_eq!(c.embedded[0].service.0, 0x01);
    assert_eq!(c.embedded[0].path.logical(0), Some(1));
}

#[test]
fn nesting_is_bounded() {
    // MSP containing MSP containing ... deeper than MAX_DEPTH.
    let mut m: Vec<u8> = vec![0x01, 0x02, 0x20, 0x01, 0x24, 0x01];
    for _ in 0..MAX_DEPTH + 2 {
        let mut outer = vec![0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 0x01, 0x00, 0x04, 0x00];
        outer.extend_from_slice(&m);
        m = outer;
    }
    let mut c = parse_cip(&m).unwrap();
    let mut depth = 0;
    while let Some(e) = c.embedded.pop() {
        c = e;
        depth += 1;
    }
    assert_eq!(depth, MAX_DEPTH);
    assert!(c.limit_hit);
}

#[test]
fn cpf_truncated_item_is_flagged() {
    let cpf = [0x02, 0x00, 0xb2, 0x00, 0x10, 0x00, 0x01];
    let c = parse_cpf(&cpf).unwrap();
    assert!(c.truncated);
    assert!(c.items.is_empty());
}

#[test]
fn vendor_table_is_sorted_and_has_common_vendors() {
    assert_eq!(vendor_name(1), Some("Rockwell Automation/Allen-Bradley"));
    assert_eq!(vendor_name(283), Some("Hilscher GmbH"));
    assert!(vendor_name(0xfffe).is_none());
    assert_eq!(device_type_name(14), "Programmable Logic Controller");
    assert_eq!(device_type_name(999), "unknown");
}
