//! HTTP identification: `GET /`, then the status, `Server`, `WWW-Authenticate`
//! (authentication scheme; head parsed with `skjold_proto::remote::http`) and the page title.
//! Under `--intrusive` a `401 Basic` page gets a few default credentials.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::remote::http as phttp;
use std::fmt::Write as _;

const MAX_PAGE: usize = 32 * 1024;

/// The request sent (`auth`: a Basic credential, base64).
pub(crate) fn request(host: &str, auth: Option<&str>) -> Vec<u8> {
    let mut s = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: skjold-scan/{}\r\nAccept: */*\r\nConnection: close\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(a) = auth {
        let _ = write!(s, "Authorization: Basic {a}\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Every request this probe sends (credentials shown with a sample).
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![
        request("127.0.0.1", None),
        request("127.0.0.1", Some("YWRtaW46YWRtaW4=")),
    ]
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn split(b: &[u8]) -> Frame {
    if b.len() >= 5 && !b.starts_with(b"HTTP/") {
        return Frame::Invalid("not an HTTP status line".into());
    }
    let Some(end) = find(b, b"\r\n\r\n") else {
        return if b.len() >= MAX_PAGE {
            Frame::Complete(b.len())
        } else {
            Frame::NeedMore
        };
    };
    let head = String::from_utf8_lossy(&b[..end]).to_ascii_lowercase();
    let len = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    match len {
        Some(n) if b.len() >= end + 4 + n => Frame::Complete(end + 4 + n),
        _ if b.len() >= MAX_PAGE => Frame::Complete(b.len()),
        _ => Frame::NeedMore,
    }
}

/// Sends `GET /` and reads the answer (till close, Content-Length or 32 KiB).
async fn fetch(c: &mut Conn, host: &str, auth: Option<&str>) -> PResult<Vec<u8>> {
    c.send(&request(host, auth)).await?;
    match c.frame(split).await {
        Ok(r) => Ok(r),
        Err(ProbeError::Closed) if c.buf.starts_with(b"HTTP/") => Ok(std::mem::take(&mut c.buf)),
        Err(e) => Err(e),
    }
}

/// Parsed answer.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) server: Option<String>,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) title: Option<String>,
}

/// Parses an answer: the head with `skjold_proto::remote::http`, the title from the body.
pub(crate) fn parse(raw: &[u8]) -> Option<Answer> {
    let (body, resp) = phttp::parse_response(raw).ok()?;
    let text = |v: Option<&[u8]>| v.map(crate::net::printable);
    let mut a = Answer {
        status: resp.status,
        server: text(resp.headers.server),
        www_authenticate: text(resp.headers.www_authenticate),
        title: None,
    };
    let body = String::from_utf8_lossy(body);
    let lower = body.to_ascii_lowercase();
    if let Some(s) = lower.find("<title") {
        if let Some(gt) = lower[s..].find('>') {
            let from = s + gt + 1;
            if let Some(e) = lower[from..].find("</title") {
                a.title = Some(crate::net::printable(body[from..from + e].as_bytes()));
            }
        }
    }
    Some(a)
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::new();
    for ch in data.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= ch.len() {
                o.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

pub(crate) async fn probe(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let host = ctx.host_header();
    let raw = fetch(&mut c, &host, None).await?;
    c.close().await;
    let a = parse(&raw).ok_or_else(|| ProbeError::Garbage("unreadable HTTP answer".into()))?;
    svc.fact("status", a.status);
    svc.fact("tls", false);
    if let Some(s) = &a.server {
        svc.ident("server", s.clone());
    }
    if let Some(t) = &a.title {
        svc.ident("title", t.clone());
    }
    let scheme = a
        .www_authenticate
        .as_deref()
        .map(|w| crate::net::printable(phttp::auth_scheme(w.as_bytes())))
        .filter(|s| !s.is_empty());
    if let Some(s) = &scheme {
        svc.fact("auth_scheme", s.clone());
    }
    svc.fact("auth_required", a.status == 401);
    if ctx.intrusive
        && a.status == 401
        && scheme
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
    {
        for (user, pass) in ctx.credentials("http") {
            ctx.count_attempt();
            let Ok(mut c2) = Conn::open(ctx.addr, ctx.timeout).await else {
                break;
            };
            let auth = base64(format!("{user}:{pass}").as_bytes());
            let ok = fetch(&mut c2, &host, Some(&auth))
                .await
                .ok()
                .and_then(|r| parse(&r))
                .is_some_and(|x| (200..400).contains(&x.status));
            c2.close().await;
            if ok {
                svc.fact("default_credentials", format!("{user}:{pass}"));
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_and_parse() {
        assert_eq!(super::base64(b"admin:admin"), "YWRtaW46YWRtaW4=");
        assert_eq!(super::base64(b"ab"), "YWI=");
        let a = super::parse(b"HTTP/1.0 401 Unauthorized\r\nServer: lighttpd/1.4\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n<html><TITLE> PLC  web</title>").unwrap();
        assert_eq!(a.status, 401);
        assert_eq!(a.server.as_deref(), Some("lighttpd/1.4"));
        assert_eq!(a.title.as_deref(), Some("PLC web"));
        assert!(a.www_authenticate.unwrap().starts_with("Basic"));
    }
}
