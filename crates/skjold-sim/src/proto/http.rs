//! HTTP/1.1 admin page (RFC 9110/9112), over TCP or TLS: a `Server:` header, an HTML page with
//! a `<title>`, and HTTP Basic authentication (RFC 7617) unless the device has `open_http`.
//! Only the device's default credentials (if any) are accepted. GET and HEAD are reads; other
//! methods are recorded as writes and answered 405.

use super::{base64_decode, read_more, send, Ctx, Stream};
use crate::recorder::Transport;
use crate::spec::{DeviceSpec, Protocol, ServiceSpec};

/// The `Server:` header value of a service.
pub fn server_header(dev: &DeviceSpec, svc: &ServiceSpec) -> String {
    svc.banner.clone().unwrap_or_else(|| {
        let (maj, min, _) = dev.identity.firmware_parts();
        format!("{}-httpd/{maj}.{min}", dev.identity.model.replace(' ', "-"))
    })
}

/// The page title of a service.
pub fn title(dev: &DeviceSpec, svc: &ServiceSpec) -> String {
    svc.title.clone().unwrap_or_else(|| {
        format!(
            "{} {} - Web Management",
            dev.identity.vendor, dev.identity.product
        )
    })
}

/// The Basic realm.
pub fn realm(dev: &DeviceSpec) -> String {
    dev.identity.product.clone()
}

fn response(status: &str, server: &str, extra: &str, body: &str, head: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nServer: {server}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// Serve one connection (one request, then close).
pub(crate) async fn serve<S: Stream>(mut s: S, ctx: Ctx, protocol: Protocol) {
    let dev = &ctx.dev.spec;
    let mut buf = Vec::new();
    let end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if buf.len() > 16 * 1024 || !read_more(&mut s, &mut buf).await {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let auth = lines.find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("authorization")
            .then(|| v.trim().to_string())
    });
    let creds = auth.as_deref().and_then(|a| {
        let (scheme, b64) = a.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let text = String::from_utf8(base64_decode(b64.trim())?).ok()?;
        let (u, p) = text.split_once(':')?;
        Some((u.to_string(), p.to_string()))
    });
    let write = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS");
    let code = match method.as_str() {
        "GET" => 1,
        "HEAD" => 2,
        "POST" => 3,
        "PUT" => 4,
        "DELETE" => 5,
        _ => 0,
    };
    ctx.rec(
        Transport::Tcp,
        protocol,
        code,
        format!("{method} {path}"),
        write,
        creds.is_some(),
    );
    let server = server_header(dev, &ctx.svc);
    let title = title(dev, &ctx.svc);
    let is_head = method == "HEAD";
    let authorised = dev.weaknesses.open_http
        || matches!((&creds, &dev.weaknesses.default_credentials),
            (Some((u, p)), Some(c)) if *u == c.user && *p == c.password);
    let reply = if write {
        response(
            "405 Method Not Allowed",
            &server,
            "Allow: GET, HEAD\r\n",
            "",
            is_head,
        )
    } else if !authorised {
        let body = format!("<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1><p>{title}</p></body></html>\n");
        let extra = format!("WWW-Authenticate: Basic realm=\"{}\"\r\n", realm(dev));
        response("401 Unauthorized", &server, &extra, &body, is_head)
    } else if path == "/" || path == "/index.html" {
        let id = &dev.identity;
        let body = format!(
            "<!DOCTYPE html>\n<html><head><title>{title}</title></head><body><h1>{}</h1><table><tr><td>Model</td><td>{}</td></tr><tr><td>Firmware</td><td>{}</td></tr><tr><td>Serial</td><td>{}</td></tr></table></body></html>\n",
            id.product, id.model, id.firmware, id.serial
        );
        response("200 OK", &server, "", &body, is_head)
    } else {
        let body = "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n";
        response("404 Not Found", &server, "", body, is_head)
    };
    let _ = send(&mut s, &reply).await;
}
