//! Byte tables for `skjold_proto::remote`: Telnet, FTP, HTTP/1.x, SSH, RDP, RFB and
//! TeamViewer, one test per message kind with a comment per field.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use skjold_proto::remote::{ftp, http, rdp, ssh, teamviewer, telnet, vnc};
use skjold_proto::{ParseError, Probe};

#[test]
fn telnet_tokens() {
    let s = [
        255, 253, 24, // IAC DO terminal-type
        255, 250, 24, 1, 255, 240, // IAC SB terminal-type SEND IAC SE
        b'h', b'i', // data
        255, 255, // escaped 0xff data byte
        255, 241, // IAC NOP
    ];
    let (r, t) = telnet::next_token(&s).unwrap();
    assert_eq!(
        t,
        telnet::Token::Negotiation(telnet::Command::DO, telnet::TelnetOption(24))
    );
    assert_eq!(telnet::TelnetOption(24).name(), "terminal_type");
    let (r, t) = telnet::next_token(r).unwrap();
    assert_eq!(
        t,
        telnet::Token::Subnegotiation(telnet::TelnetOption(24), &[1][..])
    );
    let (r, t) = telnet::next_token(r).unwrap();
    assert_eq!(t, telnet::Token::Data(b"hi"));
    let (r, t) = telnet::next_token(r).unwrap();
    assert_eq!(t, telnet::Token::Data(&[255]));
    let (r, t) = telnet::next_token(r).unwrap();
    assert_eq!(t, telnet::Token::Command(telnet::Command(241)));
    assert!(r.is_empty());
    assert!(matches!(
        telnet::next_token(&[255, 253]),
        Err(ParseError::Incomplete(_))
    ));
    assert!(matches!(
        telnet::next_token(&[255, 250, 24, 1]),
        Err(ParseError::Incomplete(_))
    ));
}

#[test]
fn telnet_prompts() {
    assert_eq!(
        telnet::prompt_kind(b"\r\nplc01 login: "),
        Some(telnet::Prompt::Login)
    );
    assert_eq!(
        telnet::prompt_kind(b"Password:"),
        Some(telnet::Prompt::Password)
    );
    assert_eq!(telnet::prompt_kind(b"$ "), None);
}

#[test]
fn ftp_commands_and_replies() {
    let c = ftp::parse_command(b"USER operator").unwrap();
    assert!(c.is("user"));
    assert_eq!(c.arg, Some(b"operator".as_slice()));
    assert!(ftp::parse_command(b"PASV").unwrap().arg.is_none());
    assert!(ftp::parse_command(b"\x16\x03\x01").is_err());
    assert_eq!(
        ftp::parse_reply(b"220-Welcome"),
        ftp::ReplyLine::Code {
            code: 220,
            more: true,
            text: b"Welcome"
        }
    );
    assert_eq!(
        ftp::parse_reply(b"230 ok"),
        ftp::ReplyLine::Code {
            code: 230,
            more: false,
            text: b"ok"
        }
    );
    assert_eq!(
        ftp::parse_reply(b" continued"),
        ftp::ReplyLine::Text(b" continued")
    );
    assert_eq!(
        ftp::next_line(b"NOOP\r\nX").unwrap(),
        (&b"X"[..], &b"NOOP"[..])
    );
    assert_eq!(ftp::probe(b"220 ProFTPD Server ready.\r\n"), Probe::Yes);
    assert_eq!(ftp::probe(b"220 smtp.example ESMTP\r\n"), Probe::No);
}

#[test]
fn http_request_and_response_heads() {
    let req = b"POST /api HTTP/1.1\r\nHost: plc\r\nUser-Agent: x/1\r\nContent-Length: 3\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\nabc";
    let (rest, r) = http::parse_request(req).unwrap();
    assert_eq!(rest, b"abc");
    assert_eq!(r.method, b"POST");
    assert_eq!(r.target, b"/api");
    assert_eq!(r.headers.host, Some(b"plc".as_slice()));
    assert_eq!(http::request_body(&r.headers), http::BodyLength::Length(3));
    let auth = r.headers.authorization.unwrap();
    assert_eq!(http::auth_scheme(auth), b"Basic");
    // admin:secret: only the user name comes out.
    assert_eq!(http::basic_user(auth), Some(b"admin".to_vec()));
    assert_eq!(http::basic_user(b"Bearer abc"), None);
    // The checker sees both halves; the password never comes back.
    let pair = http::with_basic_credentials(auth, |u, p| (u.to_vec(), p == b"secret"));
    assert_eq!(pair, Some((b"admin".to_vec(), true)));
    // A password holding a colon: only the first one separates (RFC 7617).
    let colon = http::with_basic_credentials(b"Basic YTpiOmM=", |u, p| (u.to_vec(), p.to_vec()));
    assert_eq!(colon, Some((b"a".to_vec(), b"b:c".to_vec())));
    assert_eq!(http::with_basic_credentials(b"Bearer abc", |_, _| ()), None);
    // No colon in the decoded text: not a Basic credential.
    assert_eq!(
        http::with_basic_credentials(b"Basic YWRtaW4=", |_, _| ()),
        None
    );

    let resp = b"HTTP/1.0 404 Not Found\nServer: Boa/0.94\n\n";
    let (rest, r) = http::parse_response(resp).unwrap();
    assert!(rest.is_empty());
    assert_eq!(r.status, 404);
    assert_eq!(r.headers.server, Some(b"Boa/0.94".as_slice()));
    assert_eq!(
        http::response_body(Some(b"GET"), 404, &r.headers),
        http::BodyLength::UntilClose
    );
    assert_eq!(
        http::response_body(Some(b"HEAD"), 200, &r.headers),
        http::BodyLength::None
    );
    assert_eq!(
        http::parse_chunk_size(b"1a;x=y\r\n").unwrap(),
        (&b""[..], 26)
    );
    assert!(matches!(
        http::parse_request(b"GET / HTTP/1.1\r\nHost"),
        Err(ParseError::Incomplete(_))
    ));
    assert!(matches!(
        http::parse_request(b"GET /\r\n\r\n"),
        Err(ParseError::Malformed { .. })
    ));
}

#[test]
fn ssh_identification() {
    let (rest, skipped, id) =
        ssh::find_ident(b"banner line\r\nSSH-2.0-dropbear_2022.83\r\n\0").unwrap();
    assert_eq!(skipped, 1);
    assert_eq!(rest, b"\0");
    assert_eq!(id.proto_version, b"2.0");
    assert_eq!(id.software, b"dropbear_2022.83");
    assert_eq!(id.comments, None);
    let id = ssh::parse_ident(b"SSH-1.99-Cisco-1.25").unwrap();
    assert_eq!(id.software, b"Cisco-1.25");
    assert!(ssh::parse_ident(b"SSH-2.0-").is_err());
    // packet_length 0x1c, padding 4, SSH_MSG_KEXINIT (20)
    let h = ssh::parse_packet_head(&[0, 0, 0, 0x1c, 4, 20]).unwrap();
    assert_eq!((h.packet_length, h.msg_type), (0x1c, 20));
    assert!(ssh::parse_packet_head(&[0xff, 0, 0, 0, 4, 20]).is_err());
}

#[test]
fn rdp_connection_request_and_confirm() {
    let cr = [
        3, 0, 0, 0x2a, // TPKT v3, length 42
        0x25, 0xe0, 0, 0, 0, 0, 0, // X.224 LI 37, CR, dst-ref, src-ref, class 0
        b'C', b'o', b'o', b'k', b'i', b'e', b':', b' ', b'm', b's', b't', b's', b'h', b'a', b's',
        b'h', b'=', b'e', b'n', b'g', b'1', b'\r', b'\n', // cookie
        1, 0, 8, 0, 0x0b, 0, 0, 0, // RDP_NEG_REQ: ssl | hybrid | hybrid_ex
    ];
    let (rest, t) = rdp::parse_tpkt(&cr).unwrap();
    assert!(rest.is_empty());
    assert_eq!(t.code, rdp::X224_CONNECTION_REQUEST);
    let r = rdp::parse_connection_request(t.data).unwrap();
    assert_eq!(r.cookie, Some(b"eng1".as_slice()));
    assert_eq!(
        r.requested.unwrap().names(),
        vec!["ssl", "hybrid", "hybrid_ex"]
    );
    assert_eq!(rdp::probe(&cr), Probe::Yes);
    let cc = [
        3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 3, 0, 8, 0, 5, 0, 0, 0,
    ];
    let (_, t) = rdp::parse_tpkt(&cc).unwrap();
    assert_eq!(t.code, rdp::X224_CONNECTION_CONFIRM);
    // RDP_NEG_FAILURE, code 5 (hybrid required)
    assert_eq!(
        rdp::parse_connection_confirm(t.data).unwrap(),
        rdp::ConnectionConfirm::Failure(5)
    );
    assert_eq!(rdp::failure_name(5), "hybrid_required_by_server");
    assert_eq!(rdp::Protocols(0).names(), vec!["rdp"]);
}

#[test]
fn rfb_handshake_messages() {
    assert_eq!(vnc::parse_version(b"RFB 003.008\n").unwrap().1, (3, 8));
    assert!(vnc::parse_version(b"RFB 003.00x\n").is_err());
    assert_eq!(vnc::probe(b"RFB 003.0"), Probe::NeedMore);
    assert_eq!(vnc::probe(b"RFB 004.000\n"), Probe::No);
    // 3.8: two types (none, vnc auth)
    let (_, o) = vnc::parse_security_offer(&[2, 1, 2], 8).unwrap();
    assert_eq!(o, vnc::SecurityOffer::Types(&[1, 2]));
    // 3.3: server decides type 2
    let (_, o) = vnc::parse_security_offer(&[0, 0, 0, 2], 3).unwrap();
    assert_eq!(o, vnc::SecurityOffer::Decided(2));
    // 3.8: zero types, reason "no"
    let (_, o) = vnc::parse_security_offer(&[0, 0, 0, 0, 2, b'n', b'o'], 8).unwrap();
    assert_eq!(o, vnc::SecurityOffer::Failed(b"no"));
    let mut init = vec![0, 0x40, 0, 0x30]; // 64 x 48
    init.extend_from_slice(&[0; 16]); // pixel format
    init.extend_from_slice(&[0, 0, 0, 2, b'p', b'c']);
    let (_, si) = vnc::parse_server_init(&init).unwrap();
    assert_eq!((si.width, si.height, si.name), (64, 48, &b"pc"[..]));
    assert_eq!(vnc::SecurityType(2).name(), "vnc_authentication");
}

#[test]
fn teamviewer_heads() {
    let h = teamviewer::parse_tcp(&[0x17, 0x24, 0x0a, 0x20]).unwrap();
    assert_eq!((h.magic, h.command), (0x1724, 0x0a));
    assert_eq!(
        teamviewer::parse_tcp(&[0x11, 0x30, 1]).unwrap().magic,
        0x1130
    );
    assert!(matches!(
        teamviewer::parse_tcp(&[0x17]),
        Err(ParseError::Incomplete(_))
    ));
    assert!(teamviewer::parse_tcp(b"GET").is_err());
    let mut d = vec![0; 11];
    d.extend_from_slice(&[0x17, 0x24, 0x10]);
    assert_eq!(teamviewer::parse_udp(&d).unwrap().command, 0x10);
}
