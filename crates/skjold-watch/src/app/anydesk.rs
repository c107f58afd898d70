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
