//! Default credentials tried under `--intrusive` only: the user's `--creds FILE` first, then a
//! small bundled list of factory defaults common on IoT and OT devices. At most
//! [`crate::probe::MAX_CREDENTIAL_TRIES`] are tried per service.

/// One credential pair, optionally for one service only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Service it applies to (`mqtt`, `ftp`, `http`), or all.
    pub service: Option<String>,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

/// The bundled list (`user:password`, most frequent factory defaults first).
pub const BUNDLED: &str = include_str!("default-credentials.txt");

/// Parses lines `[service ]user:password`; `#` starts a comment; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Credential>, String> {
    let mut v = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (service, pair) = match l.split_once(' ') {
            Some((s, p)) if !s.contains(':') => (Some(s.to_ascii_lowercase()), p.trim()),
            _ => (None, l),
        };
        let (user, password) = pair
            .split_once(':')
            .ok_or_else(|| format!("line {}: expected user:password", n + 1))?;
        v.push(Credential {
            service,
            user: user.to_owned(),
            password: password.to_owned(),
        });
    }
    Ok(v)
}

/// The bundled list, parsed.
pub fn bundled() -> Vec<Credential> {
    parse(BUNDLED).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let c = super::parse("# x\n\nadmin:admin\nmqtt user:pa:ss\n").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].service.as_deref(), Some("mqtt"));
        assert_eq!(c[1].password, "pa:ss");
        assert!(super::parse("nopair").is_err());
        assert!(super::bundled().len() >= 3);
    }
}
