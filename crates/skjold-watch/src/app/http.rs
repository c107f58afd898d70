//! HTTP/1.x flow state: one EVE `http` event per request/response transaction, with
//! Suricata's `http` key names (`hostname`, `url`, `http_user_agent`, `http_content_type`,
//! `http_method`, `protocol`, `status`, `length`) plus Skjold's `server` (the `Server`
//! header), `authorization` (the scheme of an `Authorization` header: `Basic`, `Digest`,
//! `Bearer`, `NTLM`...), `basic_user` (the user name of Basic credentials, never the
//! password), `credentials_in_clear` (Basic credentials over cleartext HTTP),
//! `www_authenticate` and `status_raw`-free integers (Suricata's `status` is already an
//! integer).
//!
//! Grammar: `skjold_proto::remote::http` (RFC 9112 heads and body framing, RFC 7617). Bodies
//! are skipped by `Content-Length` or chunked framing; a response without either lasts until
//! the connection closes. `Server` becomes the server's `software` identity, `User-Agent` the
//! client's. After a `101 Switching Protocols` or a successful `CONNECT` the rest is skipped.
//!
//! Detection: a request with `Authorization: Basic` reports `Credentials` (method
//! `http_basic`, cleartext, the user, whether the pair is a known default) with its response
//! (`accepted` when the status is below 400) or, unanswered, at the flow's end. The password
//! is decoded, compared with the default list and zeroed while the head is read.
//!
//! Anomaly kinds: `head_too_large` (no end of head within 16 KiB), `malformed_request`,
//! `malformed_response`, `malformed_chunk`, `too_many_headers`, `malformed_header`,
//! `unsolicited_response`, `too_many_pending_requests` (over 32 pipelined requests).

#![allow(
    clippy::doc_markdown,
    reason = "protocol vocabulary (ClientHello, TeamViewer, AnyDesk, X.224) reads as words"
)]

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use skjold_proto::remote::http::{self, BodyLength};
use skjold_proto::{ParseError, Probe};
use std::collections::VecDeque;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[80, 8080, 8000];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("http_client", "http_server");
/// Requests awaiting a response.
const MAX_PENDING: usize = 32;

/// Port-independent detection: a request line ending in `HTTP/1.x`, or a status line.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Tcp => http::probe(data),
        L4::Udp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(HttpState::default())
}

#[derive(Debug, Clone)]
struct Req {
    /// Direction the request travelled (flows picked up mid-stream may be oriented backwards).
    dir: Dir,
    method: String,
    url: String,
    protocol: String,
    host: Option<String>,
    user_agent: Option<String>,
    content_type: Option<String>,
    auth_scheme: Option<String>,
    basic_user: Option<String>,
    /// While detecting, for Basic credentials: whether the pair is a known default.
    basic_default: Option<bool>,
}

/// Body framing state of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Body {
    /// Expecting a head.
    #[default]
    Head,
    /// Skipping this many body bytes.
    Bytes(u64),
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Skipping chunk data then its CRLF (count includes the CRLF).
    ChunkData(u64),
    /// Trailer lines after the last chunk.
    Trailer,
    /// Skip everything (until close, or not HTTP any more).
    Rest,
}

/// HTTP state of one flow.
#[derive(Debug, Default)]
pub(crate) struct HttpState {
    pending: VecDeque<Req>,
    body: [Body; 2],
}

fn s(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

fn idx(dir: Dir) -> usize {
    match dir {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn framing(b: BodyLength) -> Body {
    match b {
        BodyLength::None | BodyLength::Length(0) => Body::Head,
        BodyLength::Length(n) => Body::Bytes(n),
        BodyLength::Chunked => Body::ChunkSize,
        BodyLength::UntilClose => Body::Rest,
    }
}

impl HttpState {
    fn log(
        ctx: &mut AppCtx<'_>,
        req: Option<&Req>,
        resp: Option<&http::Response<'_>>,
        resp_dir: Dir,
    ) {
        if let Some(r) = req {
            Self::observe_credentials(ctx, r, resp.map(|p| p.status));
        }
        if !ctx.log_enabled() {
            return;
        }
        let from = req.map_or(resp_dir, |r| r.dir);
        ctx.event(from, |w| {
            if let Some(r) = req {
                if let Some(h) = &r.host {
                    w.set_str("hostname", h);
                }
                w.set_str("url", &r.url);
                if let Some(u) = &r.user_agent {
                    w.set_str("http_user_agent", u);
                }
                w.set_str("http_method", &r.method)
                    .set_str("protocol", &r.protocol);
                if let Some(a) = &r.auth_scheme {
                    w.set_str("authorization", a);
                    let basic = a.eq_ignore_ascii_case("basic");
                    w.set_bool("credentials_in_clear", basic);
                }
                if let Some(u) = &r.basic_user {
                    w.set_str("basic_user", u);
                }
                if let Some(c) = &r.content_type {
                    w.set_str("http_request_content_type", c);
                }
            }
            if let Some(p) = resp {
                if req.is_none() {
                    w.set_bytes_str("protocol", p.version);
                }
                w.set_uint("status", u64::from(p.status));
                if let Some(v) = p.headers.server {
                    w.set_bytes_str("server", v);
                }
                if let Some(v) = p.headers.content_type {
                    w.set_bytes_str("http_content_type", v);
                }
                if let Some(n) = p.headers.content_length {
                    w.set_uint("length", n);
                }
                if let Some(v) = p.headers.www_authenticate {
                    w.set_bytes_str("www_authenticate", v);
                }
            }
        });
    }

    /// Report a request's Basic credentials with the response status, when there was one.
    fn observe_credentials(ctx: &mut AppCtx<'_>, req: &Req, status: Option<u16>) {
        let Some(default) = req.basic_default else {
            return;
        };
        if !ctx.detecting() {
            return;
        }
        let what = skjold_detect::What::Credentials(skjold_detect::obs::Credentials {
            user: req.basic_user.as_deref().map(Into::into),
            cleartext: true,
            default,
            accepted: status.map(|s| s < 400),
            method: "http_basic",
        });
        ctx.observe(req.dir, what);
    }

    fn head_flags(dir: Dir, h: &http::Headers<'_>, ctx: &mut AppCtx<'_>) {
        if h.too_many {
            ctx.anomaly(dir, "too_many_headers");
        }
        if h.malformed {
            ctx.anomaly(dir, "malformed_header");
        }
    }

    /// Parse one head at the front of `input`: bytes consumed, or `None` for "need more".
    /// Requests and responses are told apart by content (a status line starts with `HTTP/`),
    /// not by direction: a flow picked up mid-stream may be oriented backwards.
    fn head(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> Option<usize> {
        let i = idx(dir);
        let is_response =
            input.starts_with(b"HTTP/") || (input.len() < 5 && b"HTTP/".starts_with(input));
        let sender = if dir == Dir::ToServer {
            Endpoint::Client
        } else {
            Endpoint::Server
        };
        let res = if is_response {
            http::parse_response(input).map(|(rest, r)| {
                Self::head_flags(dir, &r.headers, ctx);
                if let Some(v) = r.headers.server {
                    ctx.identity(sender, "software", &s(v));
                }
                if (100..200).contains(&r.status) && r.status != 101 {
                    // Interim response: the request waits for its final one.
                    return input.len() - rest.len();
                }
                let req = self.pending.pop_front();
                if req.is_none() {
                    ctx.anomaly(dir, "unsolicited_response");
                }
                let method = req.as_ref().map(|q| q.method.as_bytes());
                self.body[i] = if r.status == 101 {
                    Body::Rest
                } else {
                    framing(http::response_body(method, r.status, &r.headers))
                };
                if r.status == 101 || (method == Some(b"CONNECT") && (200..300).contains(&r.status))
                {
                    self.body[1 - i] = Body::Rest;
                }
                ctx.count_pdu();
                Self::log(ctx, req.as_ref(), Some(&r), dir);
                input.len() - rest.len()
            })
        } else {
            http::parse_request(input).map(|(rest, r)| {
                Self::head_flags(dir, &r.headers, ctx);
                let auth = r.headers.authorization;
                let req = Req {
                    dir,
                    method: s(r.method),
                    url: s(r.target),
                    protocol: s(r.version),
                    host: r.headers.host.map(s),
                    user_agent: r.headers.user_agent.map(s),
                    content_type: r.headers.content_type.map(s),
                    auth_scheme: auth.map(|a| s(http::auth_scheme(a))),
                    basic_user: auth.and_then(http::basic_user).map(|u| s(&u)),
                    basic_default: auth.filter(|_| ctx.detecting()).and_then(|a| {
                        http::with_basic_credentials(a, |user, password| {
                            skjold_detect::defaults::is_default(&s(user), password)
                        })
                    }),
                };
                if let Some(ua) = &req.user_agent {
                    ctx.identity(sender, "software", ua);
                }
                self.body[i] = framing(http::request_body(&r.headers));
                if self.pending.len() == MAX_PENDING {
                    ctx.anomaly(dir, "too_many_pending_requests");
                    if let Some(old) = self.pending.pop_front() {
                        ctx.count_pdu();
                        Self::log(ctx, Some(&old), None, dir);
                    }
                }
                self.pending.push_back(req);
                input.len() - rest.len()
            })
        };
        match res {
            Ok(n) => Some(n),
            Err(ParseError::Incomplete(_)) => None,
            Err(ParseError::TooLarge { .. }) => {
                ctx.anomaly(dir, "head_too_large");
                self.body[i] = Body::Rest;
                Some(input.len())
            }
            Err(_) => {
                let kind = if is_response {
                    "malformed_response"
                } else {
                    "malformed_request"
                };
                ctx.anomaly(dir, kind);
                self.body[i] = Body::Rest;
                Some(input.len())
            }
        }
    }
}

impl AppState for HttpState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let i = idx(dir);
        let mut pos = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            match self.body[i] {
                Body::Rest => return input.len(),
                Body::Head => match self.head(dir, rest, ctx) {
                    Some(n) => pos += n,
                    None => return pos,
                },
                Body::Bytes(n) | Body::ChunkData(n) => {
                    let take = n.min(rest.len() as u64);
                    pos += take as usize;
                    let left = n - take;
                    self.body[i] = match (self.body[i], left) {
                        (Body::Bytes(_), 0) => Body::Head,
                        (Body::Bytes(_), l) => Body::Bytes(l),
                        (_, 0) => Body::ChunkSize,
                        (_, l) => Body::ChunkData(l),
                    };
                }
                Body::ChunkSize => match http::parse_chunk_size(rest) {
                    Ok((r, 0)) => {
                        pos += rest.len() - r.len();
                        self.body[i] = Body::Trailer;
                    }
                    Ok((r, n)) => {
                        pos += rest.len() - r.len();
                        self.body[i] = Body::ChunkData(n.saturating_add(2));
                    }
                    Err(ParseError::Incomplete(_)) => return pos,
                    Err(_) => {
                        ctx.anomaly(dir, "malformed_chunk");
                        self.body[i] = Body::Rest;
                    }
                },
                Body::Trailer => match skjold_proto::remote::split_line(rest) {
                    Ok((r, line)) => {
                        pos += rest.len() - r.len();
                        if line.is_empty() {
                            self.body[i] = Body::Head;
                        }
                    }
                    Err(ParseError::Incomplete(_)) => return pos,
                    Err(_) => self.body[i] = Body::Rest,
                },
            }
        }
        pos
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        // Framing is lost in this direction: skip it from now on.
        self.body[idx(dir)] = Body::Rest;
    }

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        while let Some(r) = self.pending.pop_front() {
            ctx.count_pdu();
            let d = r.dir;
            Self::log(ctx, Some(&r), None, d);
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
    fn transaction_with_basic_auth_logs_user_not_password() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        // operator:hunter2
        let req = b"GET /status HTTP/1.1\r\nHost: hmi\r\nUser-Agent: curl/8\r\nAuthorization: Basic b3BlcmF0b3I6aHVudGVyMg==\r\n\r\n";
        assert_eq!(h.feed(Dir::ToServer, req), req.len());
        let resp = b"HTTP/1.1 200 OK\r\nServer: lighttpd/1.4\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(h.feed(Dir::ToClient, resp), resp.len());
        h.close();
        let ev = h.events();
        let text = serde_json::to_string(&ev).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        let e: Vec<_> = ev.iter().filter(|e| e["event_type"] == "http").collect();
        assert_eq!(e.len(), 2, "{ev:?}");
        let t = &e[0]["http"];
        assert_eq!(t["http_method"], "GET");
        assert_eq!(t["hostname"], "hmi");
        assert_eq!(t["url"], "/status");
        assert_eq!(t["status"], 200);
        assert_eq!(t["server"], "lighttpd/1.4");
        assert_eq!(t["authorization"], "Basic");
        assert_eq!(t["basic_user"], "operator");
        assert_eq!(t["credentials_in_clear"], true);
        assert_eq!(e[1]["http"]["status"], 204);
        assert!(e[1]["http"].get("http_method").is_none());
        assert!(ev
            .iter()
            .any(|e| e["anomaly"]["event"] == "unsolicited_response"));
    }

    fn credentials(h: &Harness<HttpState>) -> Vec<skjold_detect::obs::Credentials> {
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

    /// `GET /` with `Authorization: Basic admin:admin`.
    const ADMIN_ADMIN: &[u8] =
        b"GET / HTTP/1.1\r\nHost: plc\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n";

    #[test]
    fn basic_default_credentials_accepted_with_200() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        h.feed(Dir::ToServer, ADMIN_ADMIN);
        assert!(credentials(&h).is_empty(), "reported before the response");
        h.feed(
            Dir::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("admin"));
        assert!(c[0].cleartext);
        assert!(c[0].default);
        assert_eq!(c[0].accepted, Some(true));
        assert_eq!(c[0].method, "http_basic");
    }

    #[test]
    fn basic_credentials_refused_with_401_and_unanswered_at_close() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        h.feed(Dir::ToServer, ADMIN_ADMIN);
        h.feed(
            Dir::ToClient,
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
        );
        // operator:hunter2, never answered.
        h.feed(
            Dir::ToServer,
            b"GET /x HTTP/1.1\r\nAuthorization: Basic b3BlcmF0b3I6aHVudGVyMg==\r\n\r\n",
        );
        h.close();
        let c = credentials(&h);
        assert_eq!(c.len(), 2, "{:?}", h.out.obs);
        assert_eq!(c[0].accepted, Some(false));
        assert!(c[0].default);
        assert_eq!(c[1].user.as_deref(), Some("operator"));
        assert!(!c[1].default);
        assert_eq!(c[1].accepted, None);
    }

    #[test]
    fn other_schemes_report_no_credentials() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        h.feed(
            Dir::ToServer,
            b"GET / HTTP/1.1\r\nAuthorization: Bearer abc.def\r\n\r\n",
        );
        h.feed(
            Dir::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(credentials(&h).is_empty(), "{:?}", h.out.obs);
    }

    #[test]
    fn no_credentials_observation_when_detection_is_off() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        h.out.detect = false;
        h.feed(Dir::ToServer, ADMIN_ADMIN);
        h.feed(
            Dir::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        h.close();
        assert!(h.out.obs.is_empty(), "{:?}", h.out.obs);
    }

    /// The `http-basic-auth` capture: a first connection without credentials, a second with
    /// `operator`'s, accepted.
    #[test]
    fn real_basic_auth_capture_is_observed() {
        use crate::app::tls::tests::{feed_stream, peer_stream};
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        feed_stream(&mut h, peer_stream("http-basic-auth.pcap", 80, 0));
        assert!(credentials(&h).is_empty(), "{:?}", h.out.obs);
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        feed_stream(&mut h, peer_stream("http-basic-auth.pcap", 80, 1));
        let c = credentials(&h);
        assert_eq!(c.len(), 1, "{:?}", h.out.obs);
        assert_eq!(c[0].user.as_deref(), Some("operator"));
        assert_eq!(c[0].accepted, Some(true));
        assert!(!c[0].default);
    }

    #[test]
    fn backwards_oriented_flow_is_still_paired() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        h.feed(Dir::ToClient, b"GET /api HTTP/1.1\r\nHost: x\r\n\r\n");
        h.feed(
            Dir::ToServer,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        let ev = h.events();
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["http"]["url"], "/api");
        assert_eq!(ev[0]["http"]["status"], 200);
    }

    #[test]
    fn content_length_body_is_skipped() {
        let mut h = Harness::with(HttpState::default(), AppProto::Http);
        let req = b"POST /x HTTP/1.0\r\nContent-Length: 4\r\n\r\nGET HEAD /y HTTP/1.0\r\n\r\n";
        assert_eq!(h.feed(Dir::ToServer, req), req.len());
        h.close();
        let ev = h.events();
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(ev[1]["http"]["http_method"], "HEAD");
    }

    #[test]
    fn probe_is_strict() {
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, b"GET / HTTP/1.1\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(Dir::ToServer, L4::Tcp, b"GET / HT"), Probe::NeedMore);
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, b"GET / RTSP/1.0\r\n"),
            Probe::No
        );
        assert_eq!(
            probe(Dir::ToClient, L4::Tcp, b"HTTP/1.1 200 OK\r\n"),
            Probe::Yes
        );
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &[0, 1, 0, 0, 0, 6, 1, 3]),
            Probe::No
        );
    }

    proptest! {
        #[test]
        fn stream_contract_holds(chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<bool>(), proptest::bool::weighted(0.05)), 0..24)) {
            let mut h = Harness::with(HttpState::default(), AppProto::Http);
            h.drive(chunks, http::MAX_HEAD).map_err(TestCaseError::fail)?;
        }
    }
}
