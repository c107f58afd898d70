//! Targets: addresses, CIDRs, ranges (`127.0.1.1-250`, `127.0.1.1-127.0.1.9`) and host names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// Most addresses one scan expands to (a /12 of IPv4).
pub const MAX_ADDRESSES: u64 = 1 << 20;

/// One address to scan, with the host name it came from if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// Address.
    pub addr: IpAddr,
    /// Host name given by the user (used for TLS SNI and the hostname check).
    pub hostname: Option<String>,
}

/// A target that cannot be parsed or resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("target '{target}': {reason}")]
pub struct TargetError {
    /// The target as given.
    pub target: String,
    /// Why.
    pub reason: String,
}

fn err(t: &str, reason: impl Into<String>) -> TargetError {
    TargetError {
        target: t.to_owned(),
        reason: reason.into(),
    }
}

/// Expands target specifications to a sorted, de-duplicated list of addresses.
pub fn expand(specs: &[String]) -> Result<Vec<Target>, TargetError> {
    let mut out: Vec<Target> = Vec::new();
    for spec in specs {
        expand_one(spec.trim(), &mut out)?;
        if out.len() as u64 > MAX_ADDRESSES {
            return Err(err(
                spec,
                format!("more than {MAX_ADDRESSES} addresses in all"),
            ));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.addr == b.addr);
    Ok(out)
}

fn push_v4_range(spec: &str, a: u32, b: u32, out: &mut Vec<Target>) -> Result<(), TargetError> {
    if b < a {
        return Err(err(spec, "range end before start"));
    }
    if u64::from(b - a) + 1 > MAX_ADDRESSES {
        return Err(err(spec, format!("more than {MAX_ADDRESSES} addresses")));
    }
    out.extend((a..=b).map(|x| Target {
        addr: IpAddr::V4(Ipv4Addr::from(x)),
        hostname: None,
    }));
    Ok(())
}

fn expand_one(spec: &str, out: &mut Vec<Target>) -> Result<(), TargetError> {
    if spec.is_empty() {
        return Err(err(spec, "empty target"));
    }
    if let Ok(ip) = spec.parse::<IpAddr>() {
        out.push(Target {
            addr: ip,
            hostname: None,
        });
        return Ok(());
    }
    if let Some((net, len)) = spec.split_once('/') {
        let len: u32 = len
            .parse()
            .map_err(|_| err(spec, "prefix length is not a number"))?;
        return match net.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => {
                if len > 32 {
                    return Err(err(spec, "IPv4 prefix length above 32"));
                }
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                let base = u32::from(a) & mask;
                push_v4_range(spec, base, base | !mask, out)
            }
            Ok(IpAddr::V6(a)) => {
                if len > 128 {
                    return Err(err(spec, "IPv6 prefix length above 128"));
                }
                if len < 108 {
                    return Err(err(spec, "IPv6 networks larger than /108 are not scanned"));
                }
                let mask = u128::MAX << (128 - len);
                let base = u128::from(a) & mask;
                for x in base..=(base | !mask) {
                    out.push(Target {
                        addr: IpAddr::V6(Ipv6Addr::from(x)),
                        hostname: None,
                    });
                }
                Ok(())
            }
            Err(_) => Err(err(spec, "not an address before '/'")),
        };
    }
    if let Some((a, b)) = spec.split_once('-') {
        if let Ok(start) = a.parse::<Ipv4Addr>() {
            let end = if let Ok(e) = b.parse::<Ipv4Addr>() {
                e
            } else if let Ok(last) = b.parse::<u8>() {
                let o = start.octets();
                Ipv4Addr::new(o[0], o[1], o[2], last)
            } else {
                return Err(err(
                    spec,
                    "range end is neither an address nor a last octet",
                ));
            };
            return push_v4_range(spec, u32::from(start), u32::from(end), out);
        }
    }
    if !spec
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(err(spec, "not an address, CIDR, range or host name"));
    }
    let addrs = (spec, 0u16)
        .to_socket_addrs()
        .map_err(|e| err(spec, format!("cannot resolve: {e}")))?;
    let mut n = 0;
    for a in addrs {
        n += 1;
        out.push(Target {
            addr: a.ip(),
            hostname: Some(spec.to_owned()),
        });
    }
    if n == 0 {
        return Err(err(spec, "host name resolves to no address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(s: &[&str]) -> Vec<String> {
        let v: Vec<String> = s.iter().map(|x| (*x).to_owned()).collect();
        expand(&v)
            .unwrap()
            .into_iter()
            .map(|t| t.addr.to_string())
            .collect()
    }

    #[test]
    fn forms() {
        assert_eq!(addrs(&["127.0.1.1"]), ["127.0.1.1"]);
        assert_eq!(
            addrs(&["127.0.1.1-3"]),
            ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
        );
        assert_eq!(addrs(&["127.0.1.254-127.0.2.1"]).len(), 4);
        assert_eq!(
            addrs(&["127.0.1.0/30"]),
            ["127.0.1.0", "127.0.1.1", "127.0.1.2", "127.0.1.3"]
        );
        assert_eq!(addrs(&["127.0.1.0/24", "127.0.1.7"]).len(), 256);
        assert_eq!(addrs(&["::1"]), ["::1"]);
        let l = expand(&["localhost".to_owned()]).unwrap();
        assert!(l
            .iter()
            .any(|t| t.addr.is_loopback() && t.hostname.as_deref() == Some("localhost")));
    }

    #[test]
    fn errors() {
        for bad in [
            "127.0.1.9-1",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "a b",
            "",
            "10.0.0.0/8x",
            "1.2.3.4-999",
        ] {
            assert!(expand(&[bad.to_owned()]).is_err(), "{bad}");
        }
        assert!(expand(&["0.0.0.0/0".to_owned()]).is_err());
    }
}
