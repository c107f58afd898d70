//! FTP flow state: PLACEHOLDER scaffolding, replaced by the protocol's implementation.
//! Until then it recognises nothing and consumes what it is given.

use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use skjold_proto::Probe;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[21];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("ftp_client", "ftp_server");

/// Port-independent detection on the first bytes of one direction (a whole datagram on UDP).
pub(crate) fn probe(_dir: Dir, _l4: L4, _data: &[u8]) -> Probe {
    Probe::No
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(Placeholder)
}

struct Placeholder;

impl AppState for Placeholder {
    fn parse(&mut self, _dir: Dir, input: &[u8], _ctx: &mut AppCtx<'_>) -> usize {
        input.len()
    }
    fn gap(&mut self, _dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {}
    fn close(&mut self, _ctx: &mut AppCtx<'_>) {}
}
