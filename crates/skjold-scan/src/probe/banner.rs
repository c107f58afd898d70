//! Banner identification for SSH, Telnet and FTP (read what the server sends first), plus
//! anonymous FTP and FTP default credentials under `--intrusive` only: a login attempt is a
//! credential attempt (SPEC §8), so without `--intrusive` no USER command is ever sent. SSH
//! identification lines and FTP replies are parsed with `skjold_proto::remote`.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::remote::ftp::{self, ReplyLine};
use skjold_proto::remote::ssh;
use skjold_proto::ParseError;
use std::time::Duration;

fn split_ssh(b: &[u8]) -> Frame {
    match ssh::find_ident(b) {
        Ok((rest, _, _)) => Frame::Complete(b.len() - rest.len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("SSH: {e}")),
    }
}

/// SSH: the server's identification string `SSH-2.0-software comment` (parsed with
/// `skjold_proto::remote::ssh`, which skips the lines RFC 4253 allows before it).
pub(crate) async fn ssh(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let raw = c.frame(split_ssh).await?;
    c.close().await;
    let (_, _, id) = ssh::find_ident(&raw).map_err(|e| ProbeError::Garbage(format!("SSH: {e}")))?;
    let software = crate::net::printable(id.software);
    svc.ident(
        "banner",
        format!(
            "SSH-{}-{software}{}",
            crate::net::printable(id.proto_version),
            id.comments
                .map(|c| format!(" {}", crate::net::printable(c)))
                .unwrap_or_default()
        ),
    );
    svc.fact("ssh_protocol", crate::net::printable(id.proto_version));
    svc.ident(
        "comment",
        id.comments.map(crate::net::printable).unwrap_or_default(),
    );
    if let Some((p, v)) = software.split_once('_') {
        svc.ident("product", p);
        svc.ident("version", v);
    }
    svc.ident("software", software);
    Ok(())
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

/// Reads a (possibly multi-line) FTP reply (lines parsed with `skjold_proto::remote::ftp`);
/// returns code and text.
async fn ftp_reply(c: &mut Conn) -> PResult<(u16, String)> {
    let first = c.line().await?;
    let ReplyLine::Code { code, more, text } = ftp::parse_reply(first.as_bytes()) else {
        return Err(ProbeError::Garbage(format!("not an FTP reply: {first}")));
    };
    let mut all = crate::net::printable(text);
    if more {
        for _ in 0..50 {
            let l = c.line().await?;
            if let ReplyLine::Code {
                code: c2,
                more: false,
                text,
            } = ftp::parse_reply(l.as_bytes())
            {
                if c2 == code {
                    all.push(' ');
                    all.push_str(&crate::net::printable(text));
                    break;
                }
            }
            all.push(' ');
            all.push_str(&l);
        }
    }
    Ok((code, all))
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
    svc.ident("banner", text);
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
