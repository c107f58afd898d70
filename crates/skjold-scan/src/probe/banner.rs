//! Banner identification for SSH, Telnet and FTP (read what the server sends first), plus
//! anonymous FTP and FTP default credentials under `--intrusive` only: a login attempt is a
//! credential attempt (SPEC §8), so without `--intrusive` no USER command is ever sent.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, PResult, ProbeError};
use std::time::Duration;

/// SSH: the server's identification string `SSH-2.0-software comment`.
pub(crate) async fn ssh(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    // RFC 4253 allows lines before the identification string.
    for _ in 0..5 {
        let line = c.line().await?;
        if let Some(rest) = line.strip_prefix("SSH-") {
            svc.ident("banner", line.clone());
            let mut parts = rest.splitn(2, '-');
            let proto = parts.next().unwrap_or_default();
            svc.fact("ssh_protocol", proto);
            let software = parts.next().unwrap_or_default();
            let (soft, comment) = software.split_once(' ').unwrap_or((software, ""));
            svc.ident("software", soft);
            svc.ident("comment", comment);
            if let Some((p, v)) = soft.split_once('_') {
                svc.ident("product", p);
                svc.ident("version", v);
            }
            c.close().await;
            return Ok(());
        }
    }
    Err(ProbeError::Garbage("no SSH identification string".into()))
}

/// Telnet: option negotiation (IAC sequences) and any login prompt. Nothing is sent.
pub(crate) async fn telnet(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    c.peek_banner(ctx.timeout.min(Duration::from_millis(1500)))
        .await?;
    // Read a little more: prompts often follow the negotiation.
    let _ = c.peek_banner(Duration::from_millis(50)).await;
    if c.buf.is_empty() {
        svc.note = Some("Telnet port open, nothing sent by the server".into());
        c.close().await;
        return Ok(());
    }
    let mut text = Vec::new();
    let mut i = 0;
    let mut iac = 0;
    let b = &c.buf;
    while i < b.len() {
        if b[i] == 0xFF && i + 1 < b.len() {
            iac += 1;
            i += if (0xFB..=0xFE).contains(&b[i + 1]) {
                3
            } else {
                2
            };
        } else {
            text.push(b[i]);
            i += 1;
        }
    }
    svc.fact("iac_sequences", iac);
    svc.ident("banner", crate::net::printable(&text));
    c.close().await;
    Ok(())
}

fn ftp_code(line: &str) -> Option<u16> {
    line.get(..3).and_then(|s| s.parse().ok())
}

/// Reads a (possibly multi-line) FTP reply; returns code and text.
async fn ftp_reply(c: &mut Conn) -> PResult<(u16, String)> {
    let first = c.line().await?;
    let code = ftp_code(&first)
        .ok_or_else(|| ProbeError::Garbage(format!("not an FTP reply: {first}")))?;
    let mut text = first.clone();
    if first.as_bytes().get(3) == Some(&b'-') {
        for _ in 0..50 {
            let l = c.line().await?;
            text.push(' ');
            text.push_str(&l);
            if ftp_code(&l) == Some(code) && l.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        }
    }
    Ok((code, text))
}

async fn ftp_login(ctx: &Ctx, user: &str, pass: &str) -> PResult<bool> {
    let mut c = Conn::open(ctx.addr, ctx.timeout).await?;
    let (code, _) = ftp_reply(&mut c).await?;
    if code != 220 {
        return Ok(false);
    }
    c.send(format!("USER {user}\r\n").as_bytes()).await?;
    let (code, _) = ftp_reply(&mut c).await?;
    let ok = match code {
        230 => true,
        331 => {
            c.send(format!("PASS {pass}\r\n").as_bytes()).await?;
            ftp_reply(&mut c).await?.0 == 230
        }
        _ => false,
    };
    let _ = c.send(b"QUIT\r\n").await;
    c.close().await;
    Ok(ok)
}

/// FTP: the 220 greeting; under `--intrusive` anonymous login and default credentials.
pub(crate) async fn ftp(ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let (code, text) = ftp_reply(&mut c).await?;
    svc.ident("banner", text.get(4..).unwrap_or_default().to_owned());
    svc.fact("greeting_code", code);
    let _ = c.send(b"QUIT\r\n").await;
    c.close().await;
    svc.fact("tls", false);
    if !ctx.intrusive || code != 220 {
        return Ok(());
    }
    ctx.count_attempt();
    let anon = ftp_login(ctx, "anonymous", "skjold@example.invalid")
        .await
        .unwrap_or(false);
    svc.fact("anonymous_login", anon);
    if !anon {
        for (user, pass) in ctx.credentials("ftp") {
            ctx.count_attempt();
            if ftp_login(ctx, &user, &pass).await.unwrap_or(false) {
                svc.fact("default_credentials", format!("{user}:{pass}"));
                break;
            }
        }
    }
    Ok(())
}
