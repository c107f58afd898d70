//! Telnet flow state: one EVE `telnet` event per session (written when the flow ends) with
//! the options negotiated (`options: [{from, command, command_raw, option, option_raw}]`,
//! first 64), whether the server printed a login prompt (`login_prompt`) and a password
//! prompt (`password_prompt`), the user name typed after the login prompt (`user`), and
//! `credentials_in_clear: true` when the client typed something after a password prompt. The
//! password itself is never logged nor kept.
//!
//! Detection: each line typed after a password prompt reports `Credentials` (method
//! `telnet_login`, the user typed after the last login prompt, `accepted` unknown): `cleartext`
//! when the line is not blank, `default` when the pair is a known default. While detection is
//! on, the typed line is buffered (64 bytes at most) until its end, compared with the default
//! list, then zeroed.
//!
//! Grammar: `skjold_proto::remote::telnet` (RFC 854, RFC 855, IANA option codes).
//!
//! Anomaly kinds: `subnegotiation_too_large` (over 1024 bytes; skipped).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use skjold_proto::remote::telnet::{self, Command, Prompt, TelnetOption, Token};
use skjold_proto::{ParseError, Probe};

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[23];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("telnet_client", "telnet_server");
/// Negotiations kept for the event.
const MAX_OPTIONS: usize = 64;
/// Server text kept to recognise prompts; client bytes kept for the user name.
const TAIL: usize = 64;

/// Port-independent detection: two option negotiations in a row.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => telnet::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(TelnetState::default())
}

/// What the client is typing, judged from the last server prompt.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Typing {
    #[default]
    Other,
    User,
    Password,
}

/// Telnet state of one flow.
#[derive(Debug, Default)]
pub(crate) struct TelnetState {
    options: Vec<(Dir, Command, TelnetOption)>,
    options_total: usize,
    server_tail: Vec<u8>,
    user_buf: Vec<u8>,
    user: Option<String>,
    typing: Typing,
    login_prompt: bool,
    password_prompt: bool,
    credentials: bool,
    seen: bool,
    /// The password line being typed, only while detecting; zeroed once checked.
    password: Vec<u8>,
}

impl TelnetState {
    fn server_text(&mut self, d: &[u8]) {
        self.server_tail.extend_from_slice(d);
        if self.server_tail.len() > TAIL {
            let cut = self.server_tail.len() - TAIL;
            self.server_tail.drain(..cut);
        }
        match telnet::prompt_kind(&self.server_tail) {
            Some(Prompt::Login) => {
                self.login_prompt = true;
                self.typing = Typing::User;
                self.user_buf.clear();
            }
            Some(Prompt::Password) => {
                self.password_prompt = true;
                self.typing = Typing::Password;
            }
            None => {}
        }
    }

    fn client_text(&mut self, d: &[u8], ctx: &mut AppCtx<'_>) {
        match self.typing {
            Typing::Password => {
                if d.iter().any(|b| !b.is_ascii_whitespace()) {
                    self.credentials = true;
                }
                let end = d.iter().position(|&b| b == b'\r' || b == b'\n');
                if ctx.detecting() {
                    for &b in &d[..end.unwrap_or(d.len())] {
                        match b {
                            // Backspace and DEL erase the last character.
                            8 | 127 => {
                                self.password.pop();
                            }
                            0 => {}
                            _ if self.password.len() < TAIL => self.password.push(b),
                            _ => {}
                        }
                    }
                }
                if end.is_some() {
                    self.password_typed(ctx);
                    self.typing = Typing::Other;
                    self.server_tail.clear();
                }
            }
            Typing::User => {
                for &b in d {
                    if b == b'\r' || b == b'\n' || b == 0 {
                        if !self.user_buf.is_empty() {
                            self.user = Some(String::from_utf8_lossy(&self.user_buf).into_owned());
                            self.typing = Typing::Other;
                            self.server_tail.clear();
                        }
                    } else if self.user_buf.len() < TAIL {
                        self.user_buf.push(b);
                    }
                }
            }
            Typing::Other => {}
        }
    }

    /// A password line was typed (or the flow ended in one): report it, forget the password.
    fn password_typed(&mut self, ctx: &mut AppCtx<'_>) {
        if ctx.detecting() {
            let user = self.user.as_deref().unwrap_or("");
            let default = skjold_detect::defaults::is_default(user, &self.password);
            let cleartext = self.password.iter().any(|b| !b.is_ascii_whitespace());
            let what = skjold_detect::What::Credentials(skjold_detect::obs::Credentials {
                user: self.user.as_deref().map(Into::into),
                cleartext,
                default,
                accepted: None,
                method: "telnet_login",
            });
            ctx.observe(Dir::ToServer, what);
        }
        self.password.fill(0);
        self.password.clear();
    }
}

impl AppState for TelnetState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let mut rest = input;
        loop {
            match telnet::next_token(rest) {
                Ok((r, tok)) => {
                    self.seen = true;
                    match tok {
                        Token::Negotiation(c, o) => {
                            ctx.count_pdu();
                            self.options_total += 1;
                            if self.options.len() < MAX_OPTIONS {
                                self.options.push((dir, c, o));
                            }
                        }
                        Token::Data(d) => match dir {
                            Dir::ToClient => self.server_text(d),
                            Dir::ToServer => self.client_text(d, ctx),
                        },
                        Token::Subnegotiation(..) | Token::Command(_) => ctx.count_pdu(),
                    }
                    rest = r;
                }
                Err(ParseError::Incomplete(_)) => return input.len() - rest.len(),
                Err(_) => {
                    ctx.anomaly(dir, "subnegotiation_too_large");
                    return input.len();
                }
            }
        }
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        self.server_tail.clear();
        self.user_buf.clear();
        self.password.fill(0);
        self.password.clear();
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        if self.typing == Typing::Password && !self.password.is_empty() {
            self.password_typed(ctx);
        }
        if !self.seen || !ctx.log_enabled() {
            return;
        }
        let s = &*self;
        ctx.event(Dir::ToServer, |w| {
            w.open_array("options");
            for (dir, c, o) in &s.options {
                w.start_object()
                    .set_str(
                        "from",
                        if *dir == Dir::ToServer {
                            "client"
                        } else {
                            "server"
                        },
                    )
                    .set_str("command", c.name())
                    .set_uint("command_raw", u64::from(c.0))
                    .set_str("option", o.name())
                    .set_uint("option_raw", u64::from(o.0))
                    .close();
            }
            w.close_array();
            w.set_uint("negotiations", s.options_total as u64)
                .set_bool("login_prompt", s.login_prompt)
                .set_bool("password_prompt", s.password_prompt)
                .set_bool("credentials_in_clear", s.credentials);
            if let Some(u) = &s.user {
                w.set_str("user", u);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;
    use proptest::prelude::*;

    #[test]
    fn negotiation_prompts_and_credentials_without_password() {
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        h.feed(Dir::ToClient, &[255, 253, 24, 255, 251, 1]);
        h.feed(Dir::ToServer, &[255, 251, 24]);
        h.feed(Dir::ToClient, b"\r\nplc login: ");
        for c in b"admin\r\n" {
            h.feed(Dir::ToServer, &[*c]);
        }
        h.feed(Dir::ToClient, b"Password: ");
        h.feed(Dir::ToServer, b"s3cret\r\n");
        h.close();
        let ev = h.events();
        let text = serde_json::to_string(&ev).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        let t = &ev.iter().find(|e| e["event_type"] == "telnet").unwrap()["telnet"];
        assert_eq!(t["options"][0]["command"], "DO");
        assert_eq!(t["options"][0]["option"], "terminal_type");
        assert_eq!(t["options"][1]["option"], "echo");
        assert_eq!(t["options"][2]["from"], "client");
        assert_eq!(t["login_prompt"], true);
        assert_eq!(t["password_prompt"], true);
        assert_eq!(t["credentials_in_clear"], true);
        assert_eq!(t["user"], "admin");
    }

    fn credentials(h: &Harness<TelnetState>) -> Vec<skjold_detect::obs::Credentials> {
        h.out
            .obs
            .iter()
            .filter_map(|o| match &o.what {
                skjold_detect::What::Credentials(c) => {
                    assert!(o.flow.unwrap().from_client);
                    Some(c.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// A login typed one character per segment, as Telnet clients do.
    fn login(h: &mut Harness<TelnetState>, user: &[u8], password: &[u8]) {
        h.feed(Dir::ToClient, &[255, 253, 24, 255, 251, 1]);
        h.feed(Dir::ToClient, b"\r\nplc login: ");
        for c in [user, b"\r\n"].concat() {
            h.feed(Dir::ToServer, &[c]);
        }
        h.feed(Dir::ToClient, b"Password: ");
        for c in [password, b"\r\0"].concat() {
            h.feed(Dir::ToServer, &[c]);
        }
    }

    #[test]
    fn login_with_default_pair_reports_credentials() {
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        login(&mut h, b"root", b"root");
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("root"));
        assert!(c[0].cleartext);
        assert!(c[0].default);
        assert_eq!(c[0].accepted, None);
        assert_eq!(c[0].method, "telnet_login");
        // The password is forgotten once checked.
        assert!(h.st.password.is_empty());
        h.close();
        assert_eq!(credentials(&h).len(), 1);
    }

    #[test]
    fn corrected_typing_and_other_passwords_are_not_default() {
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        // "rooX", backspace, "t" gives "root"... but the user is admin: not a default pair.
        login(&mut h, b"admin", b"rooX\x7ft");
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert!(!c[0].default);
        assert!(c[0].cleartext);
        // A second attempt with a default password, the backspace making it one.
        h.feed(Dir::ToClient, b"\r\nLogin incorrect\r\nplc login: ");
        h.feed(Dir::ToServer, b"admin\r\n");
        h.feed(Dir::ToClient, b"Password: ");
        h.feed(Dir::ToServer, b"adminn\x08\r\n");
        let c = credentials(&h);
        assert_eq!(c.len(), 2, "{:?}", h.out.obs);
        assert!(c[1].default);
    }

    #[test]
    fn password_cut_by_the_end_of_the_flow_is_reported_at_close() {
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        h.feed(Dir::ToClient, b"Password: ");
        h.feed(Dir::ToServer, b"sec");
        assert!(credentials(&h).is_empty());
        h.close();
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user, None);
        assert!(c[0].cleartext);
        assert!(!c[0].default);
    }

    #[test]
    fn no_credentials_observation_when_detection_is_off() {
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        h.out.detect = false;
        login(&mut h, b"root", b"root");
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
        assert!(h.st.password.is_empty());
    }

    /// inetutils `telnetd` and client: `operator` logs in.
    #[test]
    fn real_inetutils_login_is_observed() {
        use crate::app::tls::tests::{feed_stream, peer_stream};
        let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
        feed_stream(&mut h, peer_stream("telnet-inetutils.pcap", 23, 0));
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("operator"));
        assert!(c[0].cleartext);
        assert!(!c[0].default);
    }

    #[test]
    fn probe_needs_two_negotiations() {
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, &[255, 253, 24, 255, 253, 32]),
            Probe::Yes
        );
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, &[255, 253, 24]),
            Probe::NeedMore
        );
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, &[255, 253, 0, 0, 0, 6]),
            Probe::No
        );
        assert_eq!(probe(Dir::ToClient, L4::Tcp, b"login:"), Probe::No);
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(TelnetState::default(), AppProto::Telnet);
            h.drive(chunks, telnet::MAX_SUBNEGOTIATION + 3).map_err(TestCaseError::fail)?;
        }
    }
}
