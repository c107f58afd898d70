//! TeamViewer flow state: one EVE `teamviewer` event per flow (TCP or UDP 5938) when the first
//! message with TeamViewer's magic is seen, with `magic` (`0x1724` current, `0x1130` old
//! clients, as an integer `magic_raw` and a `generation` name), `command_raw` (the byte after
//! the magic) and `transport`. The protocol is proprietary and encrypted: Skjold recognises
//! it (an intruder's or vendor's remote-access tool on an OT network is itself the finding)
//! and does not decode it further.
//!
//! Grammar: `skjold_proto::remote::teamviewer` (magic bytes as used by public DPI engines).
//! Detection is by port only: two magic bytes are too weak to take a flow on another port.
//!
//! Anomaly kinds: `not_teamviewer` (traffic on 5938 without the magic; reported once).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use skjold_proto::remote::teamviewer::{self, Head};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[5938];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[5938];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("teamviewer_client", "teamviewer_peer");

/// No port-independent detection (see the module documentation).
pub(crate) fn probe(_dir: Dir, _l4: L4, _data: &[u8]) -> Probe {
    Probe::No
}

/// A new flow state.
pub(crate) fn new_state(l4: L4) -> Box<dyn AppState + Send> {
    Box::new(TeamViewerState {
        l4,
        logged: false,
        rejected: false,
    })
}

/// TeamViewer state of one flow.
#[derive(Debug)]
pub(crate) struct TeamViewerState {
    l4: L4,
    logged: bool,
    rejected: bool,
}

impl TeamViewerState {
    fn head(&mut self, dir: Dir, head: Head, ctx: &mut AppCtx<'_>) {
        if self.logged {
            return;
        }
        self.logged = true;
        if !ctx.log_enabled() {
            return;
        }
        let transport = match self.l4 {
            L4::Tcp => "tcp",
            L4::Udp => "udp",
        };
        ctx.event(dir, |w| {
            w.set_uint("magic_raw", u64::from(head.magic))
                .set_str(
                    "generation",
                    if head.magic == 0x1724 {
                        "current"
                    } else {
                        "old"
                    },
                )
                .set_uint("command_raw", u64::from(head.command))
                .set_str("transport", transport);
        });
    }
}

impl AppState for TeamViewerState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let res = match self.l4 {
            L4::Tcp if self.logged || self.rejected => return input.len(),
            L4::Tcp => teamviewer::parse_tcp(input),
            L4::Udp => teamviewer::parse_udp(input),
        };
        match res {
            Ok(h) => {
                ctx.count_pdu();
                self.head(dir, h, ctx);
                input.len()
            }
            Err(ParseError::Incomplete(_)) if self.l4 == L4::Tcp => 0,
            Err(_) => {
                if !self.rejected {
                    self.rejected = true;
                    ctx.anomaly(dir, "not_teamviewer");
                }
                input.len()
            }
        }
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {}

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;

    fn state(l4: L4) -> TeamViewerState {
        TeamViewerState {
            l4,
            logged: false,
            rejected: false,
        }
    }

    #[test]
    fn tcp_magic_is_logged_once() {
        let mut h = Harness::with(state(L4::Tcp), AppProto::TeamViewer);
        assert_eq!(h.feed(Dir::ToServer, &[0x17]), 0);
        assert_eq!(h.feed(Dir::ToServer, &[0x17, 0x24, 0x0a, 0, 0]), 5);
        h.feed(Dir::ToClient, &[0x17, 0x24, 0x0b]);
        let ev = h.events();
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["teamviewer"]["magic_raw"], 0x1724);
        assert_eq!(ev[0]["teamviewer"]["command_raw"], 10);
    }

    #[test]
    fn udp_magic_at_offset_11() {
        let mut h = Harness::with(state(L4::Udp), AppProto::TeamViewer);
        let mut d = vec![0u8; 11];
        d.extend_from_slice(&[0x17, 0x24, 0x03, 0]);
        h.feed(Dir::ToServer, &d);
        let ev = h.events();
        assert_eq!(ev[0]["teamviewer"]["transport"], "udp");
    }

    #[test]
    fn other_bytes_on_the_port_are_an_anomaly() {
        let mut h = Harness::with(state(L4::Tcp), AppProto::TeamViewer);
        h.feed(Dir::ToServer, b"GET / HTTP/1.1\r\n");
        let ev = h.events();
        assert_eq!(ev[0]["anomaly"]["event"], "not_teamviewer");
    }
}
