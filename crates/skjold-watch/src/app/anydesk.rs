//! `AnyDesk` flow state. AnyDesk's client-to-relay and direct connections run TLS on TCP 7070
//! (its documented direct-connection port; relays also use 80/443/6568). Skjold recognises it
//! as a TLS handshake on port 7070 (the registry probes the server port's candidate first, so
//! a TLS ClientHello on 7070 is taken as AnyDesk; elsewhere the same bytes are plain TLS) and
//! logs the TLS summary of the `tls` event as an `anydesk` event: AnyDesk uses self-signed
//! certificates whose subject names the product (`CN=AnyDesk Client`), which
//! `anydesk_certificate: true` reports as a confirmation.
//!
//! Grammar and anomaly kinds: as the TLS state (`super::tls`).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::tls::TlsState;
use super::{AppState, Dir};
use crate::flow::L4;
use skjold_proto::Probe;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[7070];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("anydesk_client", "anydesk_peer");

/// Detection: a TLS hello (wins only on port 7070, where AnyDesk is the port's candidate).
pub(crate) fn probe(dir: Dir, l4: L4, data: &[u8]) -> Probe {
    super::tls::probe(dir, l4, data)
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(TlsState::anydesk())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::tls::tests::{client_hello, server_hello};
    use crate::app::AppProto;

    #[test]
    fn tls_on_7070_is_an_anydesk_event() {
        let mut h = Harness::with(TlsState::anydesk(), AppProto::AnyDesk);
        h.feed(Dir::ToServer, &client_hello());
        h.feed(Dir::ToClient, &server_hello());
        h.close();
        let ev = h.events();
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["event_type"], "anydesk");
        assert_eq!(ev[0]["anydesk"]["sni"], "plc.example");
        assert_eq!(ev[0]["anydesk"]["anydesk_certificate"], false);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &client_hello()), Probe::Yes);
    }
}

#[cfg(test)]
mod certificate_tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::tls::tests::{client_hello, server_hello};
    use crate::app::AppProto;

    /// A self-signed `CN=AnyDesk Client` EC certificate, as AnyDesk presents (generated for
    /// the test: AnyDesk cannot be installed here).
    const CERT: &[u8] = include_bytes!("../../../skjold-proto/tests/data/anydesk-client.der");

    #[test]
    fn anydesk_certificate_is_recognised() {
        let mut sh = server_hello();
        // TLS 1.2 ServerHello: drop the supported_versions extension (last 8 bytes of the
        // body, and the extensions block length) so the Certificate is cleartext.
        sh.truncate(sh.len() - 8);
        let n = sh.len() - 5;
        sh[3..5].copy_from_slice(&(n as u16).to_be_bytes());
        sh[7..9].copy_from_slice(&((n - 4) as u16).to_be_bytes());
        let mut body = ((CERT.len() + 3) as u32).to_be_bytes()[1..].to_vec();
        body.extend_from_slice(&(CERT.len() as u32).to_be_bytes()[1..]);
        body.extend_from_slice(CERT);
        let mut msg = vec![11];
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 3];
        rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        rec.extend_from_slice(&msg);
        let mut h = Harness::with(TlsState::anydesk(), AppProto::AnyDesk);
        h.feed(Dir::ToServer, &client_hello());
        h.feed(Dir::ToClient, &sh);
        h.feed(Dir::ToClient, &rec);
        h.close();
        let ev = h.events();
        let a = &ev.iter().find(|e| e["event_type"] == "anydesk").unwrap()["anydesk"];
        assert_eq!(a["subject"], "CN=AnyDesk Client", "{ev:?}");
        assert_eq!(a["anydesk_certificate"], true);
        assert_eq!(a["self_signed"], true);
        assert_eq!(a["key_type"], "EC");
        assert_eq!(a["version"], "TLS 1.2");
        // Detection sees the same handshake as a TLS observation on the AnyDesk flow.
        let tls: Vec<_> = h
            .out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Tls(t) => Some((o.flow.unwrap().proto, t.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(tls.len(), 1, "{:?}", h.out.obs);
        assert_eq!(tls[0].0, "anydesk");
        let c = tls[0].1.cert.as_ref().expect("certificate");
        assert_eq!(&*c.subject, "CN=AnyDesk Client");
        assert!(c.self_signed);
        assert_eq!(tls[0].1.version, Some(0x0303));
    }
}
