//! RDP flow state: one EVE `rdp` event for the connection request/confirm exchange
//! (`event: "connection"`, with `cookie` (the `mstshash` user name), `routing_token`,
//! `requested_protocols` (names) and `requested_protocols_raw`, `selected_protocol` /
//! `selected_protocol_raw`, or `failure` / `failure_raw`), then, when the server selected TLS
//! or CredSSP, one `rdp` event with `event: "tls"` and a `tls` object holding the TLS summary
//! (certificate subject, issuer, validity, `self_signed`, JA4...), as the `tls` event has it.
//!
//! Grammar: `skjold_proto::remote::rdp` ([MS-RDPBCGR] 2.2.1.1-2.2.1.2 over TPKT/X.224) and
//! `skjold_proto::tls`. A self-signed RDP certificate (Windows' default) names the host: its
//! common name becomes the server's `name` identity. Standard RDP security (protocol 0) is
//! not followed past the confirm.
//!
//! Anomaly kinds: `not_rdp` (not a TPKT), `malformed_connection_request`,
//! `malformed_connection_confirm`, plus the TLS state's kinds once TLS runs.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::tls::TlsState;
use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use skjold_proto::remote::rdp::{self, ConnectionConfirm, Protocols};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[3389];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("rdp_client", "rdp_server");

/// Port-independent detection: a TPKT X.224 Connection Request carrying an RDP cookie or
/// negotiation request.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => rdp::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(RdpState::default())
}

#[derive(Debug, Default, Clone)]
struct Request {
    cookie: Option<String>,
    routing_token: Option<String>,
    requested: Option<u32>,
}

/// RDP state of one flow.
#[derive(Debug, Default)]
pub(crate) struct RdpState {
    request: Option<Request>,
    /// Past the X.224 exchange in this direction.
    done: [bool; 2],
    logged: bool,
    tls: Option<Box<TlsState>>,
}

fn idx(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn names(w: &mut crate::json::JsonWriter, key: &str, p: u32) {
    w.open_array(key);
    for n in Protocols(p).names() {
        w.append_str(n);
    }
    w.close_array();
}

impl RdpState {
    fn log(&mut self, ctx: &mut AppCtx<'_>, cc: Option<ConnectionConfirm>) {
        if self.logged {
            return;
        }
        self.logged = true;
        if !ctx.log_enabled() {
            return;
        }
        let req = self.request.clone();
        ctx.event(Dir::ToServer, |w| {
            w.set_str("event", "connection");
            if let Some(r) = &req {
                if let Some(c) = &r.cookie {
                    w.set_str("cookie", c);
                }
                if let Some(t) = &r.routing_token {
                    w.set_str("routing_token", t);
                }
                if let Some(p) = r.requested {
                    names(w, "requested_protocols", p);
                    w.set_uint("requested_protocols_raw", u64::from(p));
                }
            }
            match cc {
                Some(ConnectionConfirm::Selected { protocol, .. }) => {
                    let n = protocol.names();
                    w.set_str("selected_protocol", n.first().copied().unwrap_or("unknown"))
                        .set_uint("selected_protocol_raw", u64::from(protocol.0));
                }
                Some(ConnectionConfirm::Plain) => {
                    w.set_str("selected_protocol", "rdp")
                        .set_uint("selected_protocol_raw", 0);
                }
                Some(ConnectionConfirm::Failure(code)) => {
                    w.set_str("failure", rdp::failure_name(code))
                        .set_uint("failure_raw", u64::from(code));
                }
                None => {}
            }
        });
    }

    fn x224(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let i = idx(dir);
        let (rest, tpdu) = match rdp::parse_tpkt(input) {
            Ok(v) => v,
            Err(ParseError::Incomplete(_)) => return 0,
            Err(e) => {
                ctx.anomaly(dir, "not_rdp");
                self.done[i] = true;
                return match e {
                    ParseError::Malformed { len, .. } => len.min(input.len()),
                    _ => input.len(),
                };
            }
        };
        ctx.count_pdu();
        let used = input.len() - rest.len();
        match (dir, tpdu.code) {
            (Dir::ToServer, rdp::X224_CONNECTION_REQUEST) => {
                match rdp::parse_connection_request(tpdu.data) {
                    Ok(cr) => {
                        self.request = Some(Request {
                            cookie: cr.cookie.map(|c| String::from_utf8_lossy(c).into_owned()),
                            routing_token: cr
                                .routing_token
                                .map(|c| String::from_utf8_lossy(c).into_owned()),
                            requested: cr.requested.map(|p| p.0),
                        });
                    }
                    Err(_) => ctx.anomaly(dir, "malformed_connection_request"),
                }
                self.done[i] = true;
            }
            (Dir::ToClient, rdp::X224_CONNECTION_CONFIRM) => {
                let cc = rdp::parse_connection_confirm(tpdu.data);
                if cc.is_err() {
                    ctx.anomaly(dir, "malformed_connection_confirm");
                }
                let cc = cc.ok();
                if let Some(ConnectionConfirm::Selected { protocol, .. }) = cc {
                    if protocol.0 != 0 {
                        self.tls = Some(Box::new(TlsState::nested("tls")));
                    }
                }
                self.log(ctx, cc);
                self.done[i] = true;
            }
            _ => self.done[i] = true,
        }
        used
    }
}

impl AppState for RdpState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let i = idx(dir);
        let mut used = 0;
        if !self.done[i] {
            used = self.x224(dir, input, ctx);
            if !self.done[i] {
                return used;
            }
        }
        let rest = &input[used..];
        match &mut self.tls {
            Some(t) if !rest.is_empty() => used + t.parse(dir, rest, ctx),
            _ => input.len(),
        }
    }

    fn gap(&mut self, dir: Dir, len: u64, ctx: &mut AppCtx<'_>) {
        self.done[idx(dir)] = true;
        if let Some(t) = &mut self.tls {
            t.gap(dir, len, ctx);
        }
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        if self.request.is_some() {
            self.log(ctx, None);
        }
        if let Some(t) = &mut self.tls {
            t.close(ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;
    use proptest::prelude::*;

    fn cr() -> Vec<u8> {
        let mut d = b"Cookie: mstshash=operator\r\n".to_vec();
        d.extend_from_slice(&[1, 0, 8, 0, 3, 0, 0, 0]); // ssl | hybrid
        let mut x = vec![(6 + d.len()) as u8, 0xe0, 0, 0, 0, 0, 0];
        x.extend_from_slice(&d);
        let mut t = vec![3, 0, 0, (4 + x.len()) as u8];
        t.extend_from_slice(&x);
        t
    }

    #[test]
    fn request_and_confirm_make_one_event() {
        let mut h = Harness::with(RdpState::default(), AppProto::Rdp);
        let req = cr();
        assert_eq!(h.feed(Dir::ToServer, &req), req.len());
        let cc = [
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0,
        ];
        assert_eq!(h.feed(Dir::ToClient, &cc), cc.len());
        h.close();
        let ev = h.events();
        let r = &ev.iter().find(|e| e["event_type"] == "rdp").unwrap()["rdp"];
        assert_eq!(r["cookie"], "operator");
        assert_eq!(r["requested_protocols"][0], "ssl");
        assert_eq!(r["requested_protocols"][1], "hybrid");
        assert_eq!(r["requested_protocols_raw"], 3);
        assert_eq!(r["selected_protocol"], "hybrid");
        assert_eq!(r["selected_protocol_raw"], 2);
    }

    #[test]
    fn tls_after_the_confirm_is_observed_on_the_rdp_flow() {
        use crate::app::tls::tests::{client_hello, server_hello};
        let mut h = Harness::with(RdpState::default(), AppProto::Rdp);
        h.feed(Dir::ToServer, &cr());
        let cc = [
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 1, 0, 0, 0,
        ]; // selected: ssl
        h.feed(Dir::ToClient, &cc);
        h.feed(Dir::ToServer, &client_hello());
        h.feed(Dir::ToClient, &server_hello());
        let tls: Vec<_> = h
            .out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Tls(t) => Some((o.flow.unwrap().proto, t.version)),
                _ => None,
            })
            .collect();
        assert_eq!(tls, [("rdp", Some(0x0304))], "{:?}", h.out.obs);
    }

    #[test]
    fn probe_rejects_s7comm_connection_request() {
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &cr()), Probe::Yes);
        // S7comm COTP CR with TSAP parameters.
        let s7 = [
            3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2,
        ];
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &s7), Probe::No);
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(RdpState::default(), AppProto::Rdp);
            let mut all = vec![(cr(), false, false)];
            all.extend(chunks);
            h.drive(all, rdp::MAX_TPKT + 18 * 1024).map_err(TestCaseError::fail)?;
        }
    }
}
