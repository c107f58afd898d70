//! No-panic properties of `skjold_proto::tls` on arbitrary bytes.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use proptest::prelude::*;
use skjold_proto::tls::{self, Defragmenter, Ja4Transport};

proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = tls::probe(&data);
        let _ = tls::parse_record_header(&data);
        let _ = tls::parse_handshake_message(&data);
        if let Ok(ch) = tls::parse_client_hello(&data) {
            prop_assert_eq!(tls::ja4(&ch, Ja4Transport::Tcp).len(), 36);
        }
        let _ = tls::parse_server_hello(&data);
        let _ = tls::parse_certificate_list(&data);
        let _ = tls::certificate_summary(&data);
    }

    #[test]
    fn defragmenter_stays_bounded(parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)) {
        let mut d = Defragmenter::default();
        for p in parts {
            let _ = d.push(&p, |m| { let _ = tls::parse_client_hello(m.body); });
            prop_assert!(d.buffered() <= tls::MAX_HANDSHAKE_MESSAGE);
        }
    }

    #[test]
    fn hello_with_random_extensions_never_panics(ext in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0; 32]);
        b.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend_from_slice(&ext);
        if let Ok(ch) = tls::parse_client_hello(&b) {
            let _ = tls::ja4(&ch, Ja4Transport::Tcp);
        }
        let _ = tls::parse_server_hello(&b);
    }
}
