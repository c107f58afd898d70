//! Banner services: SSH identification string (RFC 4253 §4.2, no key exchange), Telnet login
//! (RFC 854 with WILL ECHO / WILL SUPPRESS-GO-AHEAD, login and password prompts) and FTP
//! (RFC 959 control connection: USER/PASS, anonymous login, SYST, FEAT, PWD, QUIT; no data
//! connections). Logins accept only the device's default credentials (and `anonymous` on FTP
//! when `anonymous_ftp`).

use super::{read_line, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{DeviceSpec, Protocol, ServiceSpec};

/// SSH identification string of a service (without CR LF).
pub fn ssh_banner(dev: &DeviceSpec, svc: &ServiceSpec) -> String {
    let _ = dev;
    svc.banner
        .clone()
        .unwrap_or_else(|| "SSH-2.0-dropbear_2019.78".into())
}

/// First line of the Telnet greeting.
pub fn telnet_banner(dev: &DeviceSpec, svc: &ServiceSpec) -> String {
    svc.banner.clone().unwrap_or_else(|| {
        format!(
            "{} {} (firmware {})",
            dev.identity.vendor, dev.identity.product, dev.identity.firmware
        )
    })
}

/// FTP 220 greeting text.
pub fn ftp_banner(dev: &DeviceSpec, svc: &ServiceSpec) -> String {
    svc.banner.clone().unwrap_or_else(|| {
        format!(
            "{} FTP server ({}) ready.",
            dev.identity.model, dev.identity.firmware
        )
    })
}

fn accepts(dev: &DeviceSpec, user: &str, pass: &str) -> bool {
    dev.weaknesses
        .default_credentials
        .as_ref()
        .is_some_and(|c| c.user == user && c.password == pass)
}

/// SSH: send the identification string, read the client's, close.
pub(crate) async fn ssh<S: Stream>(mut s: S, ctx: Ctx) {
    let banner = ssh_banner(&ctx.dev.spec, &ctx.svc);
    if !send(&mut s, format!("{banner}\r\n").as_bytes()).await {
        return;
    }
    let mut buf = Vec::new();
    if let Some(line) = read_line(&mut s, &mut buf).await {
        ctx.rec(
            Transport::Tcp,
            Protocol::Ssh,
            0,
            format!("identification {line}"),
            false,
            false,
        );
    }
}

/// Remove Telnet IAC sequences from a line of input.
fn strip_iac(line: &str) -> String {
    line.chars().filter(|c| (' '..='~').contains(c)).collect()
}

/// Telnet: negotiate, greet, ask for login and password (three tries).
pub(crate) async fn telnet<S: Stream>(mut s: S, ctx: Ctx) {
    let dev = &ctx.dev.spec;
    let mut greeting = vec![0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03];
    greeting.extend_from_slice(
        format!(
            "\r\n{}\r\n\r\n{} login: ",
            telnet_banner(dev, &ctx.svc),
            dev.identity.hostname
        )
        .as_bytes(),
    );
    if !send(&mut s, &greeting).await {
        return;
    }
    let mut buf = Vec::new();
    for _ in 0..3 {
        let Some(user) = read_line(&mut s, &mut buf).await else {
            return;
        };
        let user = strip_iac(&user);
        if user.is_empty() {
            if !send(&mut s, b"login: ").await {
                return;
            }
            continue;
        }
        if !send(&mut s, b"Password: ").await {
            return;
        }
        let Some(pass) = read_line(&mut s, &mut buf).await else {
            return;
        };
        let pass = strip_iac(&pass);
        ctx.rec(
            Transport::Tcp,
            Protocol::Telnet,
            0,
            format!("login {user}"),
            false,
            true,
        );
        if accepts(dev, &user, &pass) {
            let _ = send(
                &mut s,
                format!(
                    "\r\nBusyBox v1.22.1 built-in shell (ash)\r\n{user}@{}:~# ",
                    dev.identity.hostname
                )
                .as_bytes(),
            )
            .await;
            // Any further line ends the session.
            let _ = read_line(&mut s, &mut buf).await;
            return;
        }
        if !send(&mut s, b"\r\nLogin incorrect\r\nlogin: ").await {
            return;
        }
    }
}

/// FTP control connection.
pub(crate) async fn ftp<S: Stream>(mut s: S, ctx: Ctx) {
    let dev = &ctx.dev.spec;
    if !send(
        &mut s,
        format!("220 {}\r\n", ftp_banner(dev, &ctx.svc)).as_bytes(),
    )
    .await
    {
        return;
    }
    let mut buf = Vec::new();
    let mut user: Option<String> = None;
    let mut logged_in = false;
    while let Some(line) = read_line(&mut s, &mut buf).await {
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let cmd = cmd.to_ascii_uppercase();
        let write = matches!(
            cmd.as_str(),
            "STOR"
                | "STOU"
                | "APPE"
                | "DELE"
                | "MKD"
                | "XMKD"
                | "RMD"
                | "XRMD"
                | "RNFR"
                | "RNTO"
                | "SITE"
        );
        ctx.rec(
            Transport::Tcp,
            Protocol::Ftp,
            0,
            cmd.clone(),
            write,
            cmd == "PASS",
        );
        let reply: String = match cmd.as_str() {
            "USER" => {
                user = Some(arg.to_string());
                logged_in = false;
                if arg.eq_ignore_ascii_case("anonymous") || arg.eq_ignore_ascii_case("ftp") {
                    "331 Please specify the password.".into()
                } else {
                    "331 Password required.".into()
                }
            }
            "PASS" => match &user {
                None => "503 Login with USER first.".into(),
                Some(u) => {
                    let anon = u.eq_ignore_ascii_case("anonymous") || u.eq_ignore_ascii_case("ftp");
                    logged_in = if anon {
                        dev.weaknesses.anonymous_ftp
                    } else {
                        accepts(dev, u, arg)
                    };
                    if logged_in {
                        "230 Login successful.".into()
                    } else {
                        "530 Login incorrect.".into()
                    }
                }
            },
            "QUIT" => {
                let _ = send(&mut s, b"221 Goodbye.\r\n").await;
                return;
            }
            "SYST" => "215 UNIX Type: L8".into(),
            "FEAT" => "211-Features:\r\n PASV\r\n SIZE\r\n UTF8\r\n211 End".into(),
            "NOOP" => "200 NOOP ok.".into(),
            "AUTH" => "530 Please login with USER and PASS.".into(),
            _ if !logged_in => "530 Please login with USER and PASS.".into(),
            "PWD" | "XPWD" => "257 \"/\" is the current directory".into(),
            "TYPE" => "200 Switching to Binary mode.".into(),
            "CWD" => "250 Directory successfully changed.".into(),
            _ if write => "550 Permission denied.".into(),
            _ => "502 Command not implemented.".into(),
        };
        if !send(&mut s, format!("{reply}\r\n").as_bytes()).await {
            return;
        }
    }
}
