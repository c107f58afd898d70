//! SSH flow state: one EVE `ssh` event per session in Suricata's layout (`ssh.client` and
//! `ssh.server`, each with `proto_version`, `software_version`), plus Skjold's `comments`.
//! Written when both identification strings are known, or when the flow ends.
//!
//! Grammar: `skjold_proto::remote::ssh` (RFC 4253 §4.2). Each identification's software
//! (with comments, e.g. `OpenSSH_9.2p1 Debian-2+deb12u3`) becomes that end's `software`
//! identity. Everything after the identification (binary packets, then encrypted traffic) is
//! counted and skipped.
//!
//! Detection: a peer speaking only SSH protocol 1 (`SSH-1.x` other than `1.99`) reports one
//! `Session` observation per flow with security mode `SSH-1` (a broken protocol).
//!
//! Anomaly kinds: `malformed_identification` (no valid `SSH-` line within 16 lines or 255
//! bytes); `ssh_protocol_1` (an SSH-1 only peer: `SSH-1.x` other than `1.99`).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use skjold_proto::remote::ssh;
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[22];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("ssh_client", "ssh_server");

/// Port-independent detection: `SSH-1.` or `SSH-2.` at the start of either direction.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => ssh::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(SshState::default())
}

#[derive(Debug, Clone, Default)]
struct IdentOwned {
    proto_version: String,
    software: String,
    comments: Option<String>,
}

/// SSH state of one flow.
#[derive(Debug, Default)]
pub(crate) struct SshState {
    idents: [Option<IdentOwned>; 2],
    /// Identification read (or given up on) in this direction.
    done: [bool; 2],
    logged: bool,
    /// The SSH-1 `Session` observation was made.
    observed: bool,
}

fn idx(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl SshState {
    fn emit(&mut self, ctx: &mut AppCtx<'_>) {
        if self.logged || self.idents.iter().all(Option::is_none) {
            return;
        }
        self.logged = true;
        if !ctx.log_enabled() {
            return;
        }
        let idents = self.idents.clone();
        ctx.event(Dir::ToServer, |w| {
            for (key, id) in ["client", "server"].iter().zip(idents.iter()) {
                if let Some(id) = id {
                    w.open_object(key)
                        .set_str("proto_version", &id.proto_version)
                        .set_str("software_version", &id.software);
                    if let Some(c) = &id.comments {
                        w.set_str("comments", c);
                    }
                    w.close();
                }
            }
        });
    }
}

impl AppState for SshState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let i = idx(dir);
        if self.done[i] {
            return input.len();
        }
        match ssh::find_ident(input) {
            Ok((rest, _, id)) => {
                ctx.count_pdu();
                let owned = IdentOwned {
                    proto_version: String::from_utf8_lossy(id.proto_version).into_owned(),
                    software: String::from_utf8_lossy(id.software).into_owned(),
                    comments: id.comments.map(|c| String::from_utf8_lossy(c).into_owned()),
                };
                if owned.proto_version.starts_with("1.") && owned.proto_version != "1.99" {
                    ctx.anomaly(dir, "ssh_protocol_1");
                    if ctx.detecting() && !self.observed {
                        self.observed = true;
                        let what = skjold_detect::What::Session(skjold_detect::obs::Session {
                            anonymous: false,
                            accepted: None,
                            security_mode: Some("SSH-1"),
                            security_policy: None,
                        });
                        ctx.observe(dir, what);
                    }
                }
                let who = if dir == Dir::ToServer {
                    Endpoint::Client
                } else {
                    Endpoint::Server
                };
                let sw = match &owned.comments {
                    Some(c) => format!("{} {c}", owned.software),
                    None => owned.software.clone(),
                };
                ctx.identity(who, "software", &sw);
                self.idents[i] = Some(owned);
                self.done[i] = true;
                if self.done == [true, true] {
                    self.emit(ctx);
                }
                let _ = rest;
                input.len()
            }
            Err(ParseError::Incomplete(_)) if input.len() < ssh::MAX_IDENT * 4 => 0,
            Err(_) => {
                ctx.anomaly(dir, "malformed_identification");
                self.done[i] = true;
                input.len()
            }
        }
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        self.done[idx(dir)] = true;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        self.emit(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;
    use proptest::prelude::*;

    #[test]
    fn both_banners_make_one_event_and_identities() {
        let mut h = Harness::with(SshState::default(), AppProto::Ssh);
        let s = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\0\0\0\x14";
        assert_eq!(h.feed(Dir::ToClient, s), s.len());
        assert_eq!(
            h.feed(Dir::ToServer, b"SSH-2.0-Go"),
            0,
            "waits for the line end"
        );
        assert_eq!(h.feed(Dir::ToServer, b"SSH-2.0-Go\r\n"), 12);
        h.close();
        let ev = h.events();
        let e: Vec<_> = ev.iter().filter(|e| e["event_type"] == "ssh").collect();
        assert_eq!(e.len(), 1, "{ev:?}");
        assert_eq!(e[0]["ssh"]["server"]["software_version"], "OpenSSH_9.2p1");
        assert_eq!(e[0]["ssh"]["server"]["comments"], "Debian-2+deb12u3");
        assert_eq!(e[0]["ssh"]["client"]["proto_version"], "2.0");
    }

    #[test]
    fn ssh1_peer_is_flagged() {
        let mut h = Harness::with(SshState::default(), AppProto::Ssh);
        h.feed(Dir::ToClient, b"SSH-1.5-old\r\n");
        let ev = h.events();
        assert!(
            ev.iter().any(|e| e["anomaly"]["event"] == "ssh_protocol_1"),
            "{ev:?}"
        );
    }

    fn sessions(h: &Harness<SshState>) -> Vec<skjold_detect::obs::Session> {
        h.out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Session(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ssh1_only_peers_report_one_ssh1_session() {
        let mut h = Harness::with(SshState::default(), AppProto::Ssh);
        h.feed(Dir::ToClient, b"SSH-1.5-old\r\n");
        h.feed(Dir::ToServer, b"SSH-1.5-older\r\n");
        h.close();
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(!s[0].anonymous);
        assert_eq!(s[0].accepted, None);
        assert_eq!(s[0].security_mode, Some("SSH-1"));
    }

    #[test]
    fn ssh2_and_compatible_1_99_report_no_session() {
        let mut h = Harness::with(SshState::default(), AppProto::Ssh);
        h.feed(Dir::ToClient, b"SSH-1.99-OpenSSH_3.9\r\n");
        h.feed(Dir::ToServer, b"SSH-2.0-Go\r\n");
        h.close();
        assert!(sessions(&h).is_empty(), "{:?}", h.out.obs);
    }

    #[test]
    fn no_session_observation_when_detection_is_off() {
        let mut h = Harness::with(SshState::default(), AppProto::Ssh);
        h.out.detect = false;
        h.feed(Dir::ToClient, b"SSH-1.5-old\r\n");
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
    }

    #[test]
    fn probe_needs_ssh_prefix() {
        assert_eq!(probe(Dir::ToClient, L4::Tcp, b"SSH-2.0-x"), Probe::Yes);
        assert_eq!(probe(Dir::ToClient, L4::Tcp, b"SS"), Probe::NeedMore);
        assert_eq!(probe(Dir::ToClient, L4::Tcp, b"SSH-3.0"), Probe::No);
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, b"\x00\x01\x00\x00"),
            Probe::No
        );
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(SshState::default(), AppProto::Ssh);
            h.drive(chunks, ssh::MAX_IDENT * 4).map_err(TestCaseError::fail)?;
        }
    }
}
