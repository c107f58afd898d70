//! VNC (RFB) flow state: one EVE `vnc` event per session with `server_version` and
//! `client_version` (`003.008`), `security_types` offered (`[{id, name}]`) or the type a
//! 3.3 server decided, `security_type` chosen (`name` and `_raw`), `auth_result` (`ok`,
//! `failed`) and `auth_failure_reason`, and from `ServerInit` the `desktop_name`, `width` and
//! `height`. `none` security means anyone reaching the port gets the desktop:
//! `no_authentication: true` is set then. Written at `ServerInit`, a failure, or flow end.
//!
//! Grammar: `skjold_proto::remote::vnc` (RFC 6143 §7.1-7.3). The desktop name becomes the
//! server's `name` identity (servers default it to the host name or a configured label).
//! Handshakes with other security types (VeNCrypt, Tight...) are followed up to the choice.
//!
//! Detection: one `Session` observation per session whose security type is None (1:
//! `anonymous`, security mode `None`) or VNC authentication (2: mode `VncAuth`), with
//! `accepted` from the SecurityResult (RFB 3.8), `true` at once for None before 3.8 (there is
//! no SecurityResult then), unknown when the flow ends first. A server offering None to a
//! client that never chose reports an anonymous session with `accepted` unknown.
//!
//! Anomaly kinds: `malformed_version`, `reason_too_long`.

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use skjold_proto::remote::vnc::{self, SecurityOffer, SecurityType};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[5900, 5901];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("vnc_viewer", "vnc_server");

/// Port-independent detection: a complete `RFB 003.xxx\n` version message.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => vnc::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(VncState::default())
}

/// Next message expected from the server.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Srv {
    #[default]
    Version,
    Offer,
    /// Waiting for the client's choice before knowing what comes next.
    AwaitChoice,
    Challenge,
    Result,
    Init,
    Done,
}

/// Next message expected from the client.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Cli {
    #[default]
    Version,
    /// Waiting for the server's security offer.
    Wait,
    Choice,
    Response,
    Init,
    Done,
}

/// VNC state of one flow.
#[derive(Debug, Default)]
pub(crate) struct VncState {
    srv: Srv,
    cli: Cli,
    server_version: Option<(u16, u16)>,
    client_version: Option<(u16, u16)>,
    offered: Vec<u8>,
    decided: Option<u32>,
    chosen: Option<u8>,
    result: Option<u32>,
    reason: Option<String>,
    init: Option<(u16, u16, String)>,
    logged: bool,
    /// The `Session` observation was made.
    observed: bool,
}

impl VncState {
    fn minor(&self) -> u16 {
        let a = self.server_version.map_or(3, |v| v.1);
        let b = self.client_version.map_or(a, |v| v.1);
        a.min(b)
    }

    /// Report the session's security to detection, once: security type None or VNC
    /// authentication, with the server's verdict when known.
    fn observe(&mut self, ctx: &mut AppCtx<'_>, t: u32, accepted: Option<bool>) {
        if self.observed || !ctx.detecting() {
            return;
        }
        let (anonymous, mode) = match t {
            1 => (true, "None"),
            2 => (false, "VncAuth"),
            _ => return,
        };
        self.observed = true;
        let what = skjold_detect::What::Session(skjold_detect::obs::Session {
            anonymous,
            accepted,
            security_mode: Some(mode),
            security_policy: None,
        });
        ctx.observe(Dir::ToClient, what);
    }

    /// The security type in force: chosen by the client, or decided by a 3.3 server.
    fn security_type(&self) -> Option<u32> {
        self.chosen.map(u32::from).or(self.decided)
    }

    /// What the server sends after the security type is settled.
    fn after_choice(&mut self, t: u32) {
        self.srv = match t {
            2 => Srv::Challenge,
            1 if self.minor() >= 8 => Srv::Result,
            1 => Srv::Init,
            _ => Srv::Done,
        };
        self.cli = match t {
            2 => Cli::Response,
            1 => Cli::Init,
            _ => Cli::Done,
        };
    }

    fn emit(&mut self, ctx: &mut AppCtx<'_>) {
        if self.logged || self.server_version.is_none() && self.client_version.is_none() {
            return;
        }
        self.logged = true;
        if !ctx.log_enabled() {
            return;
        }
        let s = &*self;
        let ver = |v: (u16, u16)| format!("{:03}.{:03}", v.0, v.1);
        ctx.event(Dir::ToClient, |w| {
            if let Some(v) = s.server_version {
                w.set_str("server_version", &ver(v));
            }
            if let Some(v) = s.client_version {
                w.set_str("client_version", &ver(v));
            }
            if !s.offered.is_empty() {
                w.open_array("security_types");
                for t in &s.offered {
                    w.start_object()
                        .set_uint("id", u64::from(*t))
                        .set_str("name", SecurityType(*t).name())
                        .close();
                }
                w.close_array();
            }
            let chosen = s.chosen.map(u32::from).or(s.decided);
            if let Some(c) = chosen {
                let name = u8::try_from(c).map_or("unknown", |c| SecurityType(c).name());
                w.set_str("security_type", name)
                    .set_uint("security_type_raw", u64::from(c))
                    .set_bool("no_authentication", c == 1);
            }
            if let Some(r) = s.result {
                w.set_str("auth_result", if r == 0 { "ok" } else { "failed" })
                    .set_uint("auth_result_raw", u64::from(r));
            }
            if let Some(r) = &s.reason {
                w.set_str("auth_failure_reason", r);
            }
            if let Some((wd, ht, name)) = &s.init {
                w.set_str("desktop_name", name)
                    .set_uint("width", u64::from(*wd))
                    .set_uint("height", u64::from(*ht));
            }
        });
    }

    fn server(&mut self, input: &[u8], ctx: &mut AppCtx<'_>) -> Result<usize, ParseError> {
        let used = match self.srv {
            Srv::Version => {
                let (rest, v) = vnc::parse_version(input)?;
                self.server_version = Some(v);
                self.srv = Srv::Offer;
                input.len() - rest.len()
            }
            Srv::Offer => {
                if self.client_version.is_none() {
                    return Err(ParseError::Incomplete(1));
                }
                let (rest, offer) = vnc::parse_security_offer(input, self.minor())?;
                match offer {
                    SecurityOffer::Types(t) => {
                        self.offered = t.to_vec();
                        self.srv = Srv::AwaitChoice;
                        self.cli = Cli::Choice;
                    }
                    SecurityOffer::Decided(t) => {
                        self.decided = Some(t);
                        self.after_choice(t);
                        if t == 1 && self.srv == Srv::Init {
                            self.observe(ctx, t, Some(true));
                        }
                    }
                    SecurityOffer::Failed(r) => {
                        self.reason = Some(String::from_utf8_lossy(r).into_owned());
                        self.srv = Srv::Done;
                        self.emit(ctx);
                    }
                }
                input.len() - rest.len()
            }
            Srv::AwaitChoice => return Err(ParseError::Incomplete(1)),
            Srv::Challenge => {
                if input.len() < 16 {
                    return Err(ParseError::Incomplete(16 - input.len()));
                }
                self.srv = Srv::Result;
                16
            }
            Srv::Result => {
                let Some(b) = input.get(..4) else {
                    return Err(ParseError::Incomplete(4 - input.len()));
                };
                let r = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                self.result = Some(r);
                if let Some(t) = self.security_type() {
                    self.observe(ctx, t, Some(r == 0));
                }
                if r == 0 {
                    self.srv = Srv::Init;
                    4
                } else {
                    // 3.8 sends a reason string after a failure.
                    let mut used = 4;
                    if self.minor() >= 8 {
                        let Some(l) = input.get(4..8) else {
                            return Err(ParseError::Incomplete(8 - input.len()));
                        };
                        let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                        if len > vnc::MAX_TEXT {
                            ctx.anomaly(Dir::ToClient, "reason_too_long");
                        } else {
                            let Some(r) = input.get(8..8 + len) else {
                                return Err(ParseError::Incomplete(8 + len - input.len()));
                            };
                            self.reason = Some(String::from_utf8_lossy(r).into_owned());
                            used = 8 + len;
                        }
                    }
                    self.srv = Srv::Done;
                    self.emit(ctx);
                    used
                }
            }
            Srv::Init => {
                let (rest, init) = vnc::parse_server_init(input)?;
                let name = String::from_utf8_lossy(init.name).into_owned();
                if !name.is_empty() {
                    ctx.identity(Endpoint::Server, "name", &name);
                }
                self.init = Some((init.width, init.height, name));
                self.srv = Srv::Done;
                self.emit(ctx);
                input.len() - rest.len()
            }
            Srv::Done => input.len(),
        };
        Ok(used)
    }

    fn client(&mut self, input: &[u8], ctx: &mut AppCtx<'_>) -> Result<usize, ParseError> {
        let used = match self.cli {
            Cli::Version => {
                let (rest, v) = vnc::parse_version(input)?;
                self.client_version = Some(v);
                if self.cli == Cli::Version {
                    self.cli = Cli::Wait;
                }
                input.len() - rest.len()
            }
            Cli::Wait => return Err(ParseError::Incomplete(1)),
            Cli::Choice => {
                let Some(&c) = input.first() else {
                    return Err(ParseError::Incomplete(1));
                };
                self.chosen = Some(c);
                self.after_choice(u32::from(c));
                if c == 1 && self.srv == Srv::Init {
                    self.observe(ctx, 1, Some(true));
                }
                1
            }
            Cli::Response => {
                if input.len() < 16 {
                    return Err(ParseError::Incomplete(16 - input.len()));
                }
                self.cli = Cli::Init;
                16
            }
            Cli::Init => {
                if input.is_empty() {
                    return Err(ParseError::Incomplete(1));
                }
                self.cli = Cli::Done;
                1
            }
            Cli::Done => input.len(),
        };
        Ok(used)
    }
}

impl AppState for VncState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let mut pos = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            let r = match dir {
                Dir::ToClient => self.server(rest, ctx),
                Dir::ToServer => self.client(rest, ctx),
            };
            match r {
                Ok(n) => {
                    ctx.count_pdu();
                    pos += n;
                }
                // The other side's message decides how to read this one: keep the bytes while
                // they are few; past that, give up on this direction.
                Err(ParseError::Incomplete(_)) if rest.len() < 4096 => return pos,
                Err(_) => {
                    if pos == 0 && (self.srv == Srv::Version || self.cli == Cli::Version) {
                        ctx.anomaly(dir, "malformed_version");
                    }
                    match dir {
                        Dir::ToClient => self.srv = Srv::Done,
                        Dir::ToServer => self.cli = Cli::Done,
                    }
                    return input.len();
                }
            }
        }
        pos
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        match dir {
            Dir::ToClient => self.srv = Srv::Done,
            Dir::ToServer => self.cli = Cli::Done,
        }
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        if let Some(t) = self.security_type() {
            self.observe(ctx, t, None);
        } else if self.offered.contains(&1) {
            self.observe(ctx, 1, None);
        }
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
    fn none_security_handshake_to_server_init() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        h.feed(Dir::ToClient, b"RFB 003.008\n");
        h.feed(Dir::ToServer, b"RFB 003.008\n");
        h.feed(Dir::ToClient, &[2, 1, 2]);
        h.feed(Dir::ToServer, &[1]);
        h.feed(Dir::ToClient, &[0, 0, 0, 0]);
        h.feed(Dir::ToServer, &[1]);
        let mut init = vec![2, 0x80, 1, 0xe0];
        init.extend_from_slice(&[0; 16]);
        init.extend_from_slice(&[0, 0, 0, 6]);
        init.extend_from_slice(b"Line 3");
        assert_eq!(h.feed(Dir::ToClient, &init), init.len());
        let ev = h.events();
        let v = &ev.iter().find(|e| e["event_type"] == "vnc").unwrap()["vnc"];
        assert_eq!(v["server_version"], "003.008");
        assert_eq!(v["security_types"][1]["name"], "vnc_authentication");
        assert_eq!(v["security_type"], "none");
        assert_eq!(v["no_authentication"], true);
        assert_eq!(v["auth_result"], "ok");
        assert_eq!(v["desktop_name"], "Line 3");
        assert_eq!(v["width"], 640);
    }

    #[test]
    fn vnc_auth_failure_with_reason() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        h.feed(Dir::ToClient, b"RFB 003.008\n");
        h.feed(Dir::ToServer, b"RFB 003.008\n");
        h.feed(Dir::ToClient, &[1, 2]);
        h.feed(Dir::ToServer, &[2]);
        h.feed(Dir::ToClient, &[7; 16]);
        h.feed(Dir::ToServer, &[9; 16]);
        let mut r = vec![0, 0, 0, 1, 0, 0, 0, 3];
        r.extend_from_slice(b"bad");
        h.feed(Dir::ToClient, &r);
        let ev = h.events();
        let v = &ev.iter().find(|e| e["event_type"] == "vnc").unwrap()["vnc"];
        assert_eq!(v["auth_result"], "failed");
        assert_eq!(v["auth_failure_reason"], "bad");
    }

    fn sessions(h: &Harness<VncState>) -> Vec<skjold_detect::obs::Session> {
        h.out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Session(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// RFB 3.8 up to the SecurityResult: the server offers `offer`, the client picks `choice`
    /// (VNC authentication: challenge and response follow), the server answers `result`.
    fn handshake_38(h: &mut Harness<VncState>, offer: &[u8], choice: u8, result: u32) {
        h.feed(Dir::ToClient, b"RFB 003.008\n");
        h.feed(Dir::ToServer, b"RFB 003.008\n");
        h.feed(Dir::ToClient, &[&[offer.len() as u8], offer].concat());
        h.feed(Dir::ToServer, &[choice]);
        if choice == 2 {
            h.feed(Dir::ToClient, &[7; 16]); // challenge
            h.feed(Dir::ToServer, &[9; 16]); // response
        }
        let mut r = result.to_be_bytes().to_vec();
        if result != 0 {
            r.extend_from_slice(&[0, 0, 0, 3]);
            r.extend_from_slice(b"bad");
        }
        h.feed(Dir::ToClient, &r);
    }

    #[test]
    fn none_security_reports_an_anonymous_accepted_session() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        handshake_38(&mut h, &[1, 2], 1, 0);
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(s[0].anonymous);
        assert_eq!(s[0].accepted, Some(true));
        assert_eq!(s[0].security_mode, Some("None"));
        assert_eq!(s[0].security_policy, None);
        h.close();
        assert_eq!(sessions(&h).len(), 1);
    }

    /// x11vnc without a password and a viewer: an anonymous session, accepted.
    #[test]
    fn real_x11vnc_session_without_password_is_observed() {
        use crate::app::tls::tests::{feed_stream, peer_stream};
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        feed_stream(&mut h, peer_stream("vnc-x11vnc.pcap", 5900, 0));
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(s[0].anonymous);
        assert_eq!(s[0].accepted, Some(true));
        assert_eq!(s[0].security_mode, Some("None"));
    }

    #[test]
    fn rfb33_server_deciding_none_is_accepted_at_once() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        h.feed(Dir::ToClient, b"RFB 003.003\n");
        h.feed(Dir::ToServer, b"RFB 003.003\n");
        h.feed(Dir::ToClient, &[0, 0, 0, 1]); // security type decided: None
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(s[0].anonymous);
        assert_eq!(s[0].accepted, Some(true));
    }

    #[test]
    fn vnc_authentication_failure_reports_a_refused_session() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        handshake_38(&mut h, &[2], 2, 1);
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(!s[0].anonymous);
        assert_eq!(s[0].accepted, Some(false));
        assert_eq!(s[0].security_mode, Some("VncAuth"));
    }

    #[test]
    fn offer_of_none_without_a_choice_is_reported_at_close() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        h.feed(Dir::ToClient, b"RFB 003.008\n");
        h.feed(Dir::ToServer, b"RFB 003.008\n");
        h.feed(Dir::ToClient, &[2, 2, 1]);
        assert!(sessions(&h).is_empty());
        h.close();
        let s = sessions(&h);
        assert_eq!(s.len(), 1, "{:?}", h.out.obs);
        assert!(s[0].anonymous);
        assert_eq!(s[0].accepted, None);
    }

    #[test]
    fn no_session_observation_when_detection_is_off() {
        let mut h = Harness::with(VncState::default(), AppProto::Vnc);
        h.out.detect = false;
        handshake_38(&mut h, &[1], 1, 0);
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(VncState::default(), AppProto::Vnc);
            h.drive(chunks, 4096 + 80).map_err(TestCaseError::fail)?;
        }
    }
}
