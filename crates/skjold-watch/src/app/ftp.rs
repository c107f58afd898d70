//! FTP control-connection state: one EVE `ftp` event per command with its reply (and one for
//! the server greeting). Suricata's `ftp` event keys are used where they exist (`command`,
//! `command_data`, `completion_code`, `reply`, `reply_received`); Skjold adds `reply_code`
//! (the final code as an integer), `user` (the `USER` argument), `pass_in_clear: true` on a
//! `PASS` command (its argument is never logged: `command_data` is left out) and `auth_tls`
//! on `AUTH TLS`/`AUTH SSL`.
//!
//! Grammar: `skjold_proto::remote::ftp` (RFC 959, RFC 2228, RFC 4217). The greeting's text
//! becomes the server's `software` identity. After a `234` reply to `AUTH`, the control
//! connection is TLS: the rest is skipped.
//!
//! Detection: a `PASS` command reports `Credentials` (method `ftp_pass`, cleartext, the user
//! of the last `USER`, whether the pair is a known default) when its final reply arrives
//! (`accepted`: 2xx yes, 4xx/5xx no, 3xx unknown) or, unanswered, at the flow's end. The
//! password is compared with the default list when the command is read, then dropped.
//!
//! Anomaly kinds: `line_too_long` (no line end within 4096 bytes), `not_ftp_command`,
//! `unsolicited_reply` (a reply with no command outstanding, after the greeting),
//! `too_many_pending_commands` (more than 32 commands without reply; the oldest is logged
//! without reply).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use skjold_proto::remote::ftp::{self, ReplyLine};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[21];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("ftp_client", "ftp_server");
/// Commands awaiting a reply.
const MAX_PENDING: usize = 32;
/// Lines kept of one multi-line reply.
const MAX_REPLY_LINES: usize = 16;

/// Port-independent detection: a `220` greeting that names FTP (others by port 21).
pub(crate) fn probe(dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match (l4, dir) {
        (L4::Tcp, Dir::ToClient) => ftp::probe(data),
        _ => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(FtpState::default())
}

#[derive(Debug, Clone)]
struct Cmd {
    verb: String,
    /// The argument; never kept for `PASS`.
    data: Option<String>,
    /// For `PASS` while detecting: the user of the last `USER` and whether the pair is a known
    /// default.
    login: Option<(Option<Box<str>>, bool)>,
}

/// FTP state of one flow.
#[derive(Debug, Default)]
pub(crate) struct FtpState {
    pending: VecDeque<Cmd>,
    /// Lines of the reply being read (multi-line).
    reply: Vec<String>,
    codes: Vec<u16>,
    greeted: bool,
    auth_tls: bool,
    /// Encrypted after AUTH TLS: skip everything.
    tls: bool,
    /// Argument of the last `USER` command (for credentials observations).
    user: Option<Box<str>>,
}

impl FtpState {
    fn log(&mut self, ctx: &mut AppCtx<'_>, cmd: Option<&Cmd>, code: Option<u16>) {
        ctx.count_pdu();
        if let Some((user, default)) = cmd.and_then(|c| c.login.as_ref()) {
            if ctx.detecting() {
                let accepted = code.and_then(|c| match c / 100 {
                    2 => Some(true),
                    4 | 5 => Some(false),
                    _ => None,
                });
                let what = skjold_detect::What::Credentials(skjold_detect::obs::Credentials {
                    user: user.clone(),
                    cleartext: true,
                    default: *default,
                    accepted,
                    method: "ftp_pass",
                });
                ctx.observe(Dir::ToServer, what);
            }
        }
        if !ctx.log_enabled() {
            return;
        }
        let reply = std::mem::take(&mut self.reply);
        let codes = std::mem::take(&mut self.codes);
        let from = if cmd.is_some() {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        ctx.event(from, |w| {
            if let Some(c) = cmd {
                w.set_str("command", &c.verb);
                let upper = c.verb.to_ascii_uppercase();
                match upper.as_str() {
                    "PASS" => {
                        w.set_bool("pass_in_clear", true);
                    }
                    _ => {
                        if let Some(d) = &c.data {
                            w.set_str("command_data", d);
                            if upper == "USER" {
                                w.set_str("user", d);
                            }
                            if upper == "AUTH" {
                                let m = d.to_ascii_uppercase();
                                w.set_bool(
                                    "auth_tls",
                                    m.starts_with("TLS") || m.starts_with("SSL"),
                                );
                            }
                        }
                    }
                }
            } else {
                w.set_str("command", "greeting");
            }
            w.set_bool("reply_received", code.is_some());
            if let Some(code) = code {
                w.set_uint("reply_code", u64::from(code));
                w.open_array("completion_code");
                for c in &codes {
                    w.append_str(&c.to_string());
                }
                w.close_array();
                w.open_array("reply");
                for l in &reply {
                    w.append_str(l);
                }
                w.close_array();
            }
        });
    }

    fn command(&mut self, line: &[u8], ctx: &mut AppCtx<'_>) {
        let Ok(cmd) = ftp::parse_command(line) else {
            ctx.anomaly(Dir::ToServer, "not_ftp_command");
            return;
        };
        let verb = String::from_utf8_lossy(cmd.verb).into_owned();
        let mut login = None;
        let data = if cmd.is("PASS") {
            if ctx.detecting() {
                let user = self.user.as_deref().unwrap_or("");
                let default = skjold_detect::defaults::is_default(user, cmd.arg.unwrap_or(b""));
                login = Some((self.user.clone(), default));
            }
            None
        } else {
            cmd.arg.map(|a| String::from_utf8_lossy(a).into_owned())
        };
        if cmd.is("USER") && ctx.detecting() {
            self.user = data.as_deref().map(Into::into);
        }
        if cmd.is("AUTH") {
            self.auth_tls = true;
        }
        if self.pending.len() == MAX_PENDING {
            ctx.anomaly(Dir::ToServer, "too_many_pending_commands");
            let old = self.pending.pop_front();
            self.log(ctx, old.as_ref(), None);
        }
        self.pending.push_back(Cmd { verb, data, login });
    }

    fn reply_line(&mut self, line: &[u8], ctx: &mut AppCtx<'_>) {
        let text = String::from_utf8_lossy(line).into_owned();
        match ftp::parse_reply(line) {
            ReplyLine::Code {
                code,
                more,
                text: t,
            } => {
                if self.reply.len() < MAX_REPLY_LINES {
                    self.reply.push(String::from_utf8_lossy(t).into_owned());
                }
                if self.codes.last() != Some(&code) {
                    self.codes.push(code);
                }
                if more {
                    return;
                }
                if (100..200).contains(&code) {
                    // Preliminary reply: the command stays pending for its final reply.
                    return;
                }
                if !self.greeted && self.pending.is_empty() {
                    self.greeted = true;
                    if code == 220 {
                        let banner = self.reply.join(" ");
                        if !banner.is_empty() {
                            ctx.identity(Endpoint::Server, "software", banner.trim());
                        }
                    }
                    self.log(ctx, None, Some(code));
                    return;
                }
                let cmd = self.pending.pop_front();
                if cmd.is_none() {
                    ctx.anomaly(Dir::ToClient, "unsolicited_reply");
                }
                if code == 234
                    && cmd
                        .as_ref()
                        .is_some_and(|c| c.verb.eq_ignore_ascii_case("AUTH"))
                {
                    self.tls = true;
                }
                self.log(ctx, cmd.as_ref(), Some(code));
            }
            ReplyLine::Text(_) => {
                if self.reply.len() < MAX_REPLY_LINES {
                    self.reply.push(text);
                }
            }
        }
    }
}

impl AppState for FtpState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let mut rest = input;
        while !self.tls {
            match ftp::next_line(rest) {
                Ok((r, line)) => {
                    match dir {
                        Dir::ToServer => self.command(line, ctx),
                        Dir::ToClient => self.reply_line(line, ctx),
                    }
                    rest = r;
                }
                Err(ParseError::Incomplete(_)) => return input.len() - rest.len(),
                Err(_) => {
                    ctx.anomaly(dir, "line_too_long");
                    return input.len();
                }
            }
        }
        input.len()
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        if dir == Dir::ToClient {
            self.reply.clear();
            self.codes.clear();
        }
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        while let Some(c) = self.pending.pop_front() {
            self.log(ctx, Some(&c), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;
    use proptest::prelude::*;

    #[test]
    fn login_is_logged_without_password() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        h.feed(
            Dir::ToClient,
            b"220-Welcome\r\n220 ProFTPD 1.3.8 Server\r\n",
        );
        h.feed(Dir::ToServer, b"USER operator\r\n");
        h.feed(Dir::ToClient, b"331 Password required\r\n");
        h.feed(Dir::ToServer, b"PASS hunter2\r\n");
        h.feed(Dir::ToClient, b"530 Login incorrect.\r\n");
        h.close();
        let ev = h.events();
        let text = serde_json::to_string(&ev).unwrap();
        assert!(!text.contains("hunter2"), "password leaked: {text}");
        let f: Vec<_> = ev.iter().filter(|e| e["event_type"] == "ftp").collect();
        assert_eq!(f.len(), 3, "{ev:?}");
        assert_eq!(f[0]["ftp"]["command"], "greeting");
        assert_eq!(f[0]["ftp"]["reply"][1], "ProFTPD 1.3.8 Server");
        assert_eq!(f[1]["ftp"]["user"], "operator");
        assert_eq!(f[1]["ftp"]["reply_code"], 331);
        assert_eq!(f[2]["ftp"]["pass_in_clear"], true);
        assert_eq!(f[2]["ftp"]["completion_code"][0], "530");
    }

    fn credentials(h: &Harness<FtpState>) -> Vec<skjold_detect::obs::Credentials> {
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

    fn login(h: &mut Harness<FtpState>, user: &[u8], pass: &[u8]) {
        h.feed(Dir::ToClient, b"220 (vsFTPd 3.0.3)\r\n");
        h.feed(Dir::ToServer, &[b"USER ", user, b"\r\n"].concat());
        h.feed(Dir::ToClient, b"331 Please specify the password.\r\n");
        h.feed(Dir::ToServer, &[b"PASS ", pass, b"\r\n"].concat());
    }

    #[test]
    fn accepted_default_login_is_reported_at_230() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        login(&mut h, b"admin", b"admin");
        assert!(credentials(&h).is_empty(), "reported before the reply");
        h.feed(Dir::ToClient, b"230 Login successful.\r\n");
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("admin"));
        assert!(c[0].cleartext);
        assert!(c[0].default);
        assert_eq!(c[0].accepted, Some(true));
        assert_eq!(c[0].method, "ftp_pass");
        h.close();
        assert_eq!(credentials(&h).len(), 1);
    }

    #[test]
    fn refused_default_login_is_reported_at_530() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        login(&mut h, b"admin", b"admin");
        h.feed(Dir::ToClient, b"530 Login incorrect.\r\n");
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert!(c[0].default);
        assert_eq!(c[0].accepted, Some(false));
    }

    #[test]
    fn unanswered_login_is_reported_at_close_and_other_passwords_are_not_default() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        login(&mut h, b"admin", b"c0rrect-h0rse");
        // The password is not kept in the pending command.
        assert!(!format!("{:?}", h.st).contains("c0rrect"), "{:?}", h.st);
        h.close();
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert!(!c[0].default);
        assert_eq!(c[0].accepted, None);
    }

    #[test]
    fn no_credentials_observation_when_detection_is_off() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        h.out.detect = false;
        login(&mut h, b"admin", b"admin");
        h.feed(Dir::ToClient, b"230 Login successful.\r\n");
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
    }

    /// pyftpdlib server and `ftplib` client: a wrong password (530), then the right one (230).
    #[test]
    fn real_pyftpdlib_logins_are_observed() {
        use crate::app::tls::tests::{feed_stream, peer_stream};
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        feed_stream(&mut h, peer_stream("ftp-pyftpdlib.pcap", 21, 0));
        let c = credentials(&h);
        assert_eq!(c.len(), 2, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("operator"));
        assert_eq!(c[0].accepted, Some(false));
        assert_eq!(c[1].accepted, Some(true));
        assert!(c.iter().all(|c| c.cleartext && !c.default));
    }

    #[test]
    fn auth_tls_stops_parsing_after_234() {
        let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
        h.feed(Dir::ToClient, b"220 x\r\n");
        h.feed(Dir::ToServer, b"AUTH TLS\r\n");
        h.feed(Dir::ToClient, b"234 go ahead\r\n");
        let tls = b"\x16\x03\x01garbage\r\n";
        assert_eq!(h.feed(Dir::ToServer, tls), tls.len());
        let ev = h.events();
        assert!(ev.iter().any(|e| e["ftp"]["auth_tls"] == true), "{ev:?}");
        assert!(
            !ev.iter()
                .any(|e| e["anomaly"]["event"] == "not_ftp_command"),
            "{ev:?}"
        );
    }

    #[test]
    fn probe_requires_ftp_greeting() {
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, b"220 (vsFTPd 3.0.3)\r\n"),
            Probe::Yes
        );
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, b"220 mail ESMTP Postfix\r\n"),
            Probe::No
        );
        assert_eq!(probe(Dir::ToClient, L4::Tcp, b"220 (vsF"), Probe::NeedMore);
        assert_eq!(probe(Dir::ToServer, L4::Tcp, b"220 FTP\r\n"), Probe::No);
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(FtpState::default(), AppProto::Ftp);
            h.drive(chunks, skjold_proto::remote::MAX_LINE).map_err(TestCaseError::fail)?;
        }
    }
}
