//! The matchers rules are made of: integer range sets, IP/CIDR sets, name patterns (MQTT
//! wildcards and `*` globs), value comparisons and time windows. Each parses its text form and
//! returns a plain-language error that says how to fix it.

use std::net::IpAddr;

pub(crate) use crate::ranges::RangeSet;

/// An IP network (an address is a network of full length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse `127.0.1.20`, `127.0.1.0/24`, `fd00::/8`.
    pub(crate) fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a.trim(), Some(p.trim())),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().map_err(|_| {
            format!("bad address `{s}`: `{a}` is not an IPv4 or IPv6 address; write e.g. `192.168.1.10` or `192.168.1.0/24`")
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => {
                    return Err(format!(
                        "bad CIDR `{s}`: the prefix length must be a number from 0 to {max}"
                    ))
                }
            },
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the network.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// A name pattern: MQTT topic filters (`+` one level, `#` every remaining level, last only) and
/// `*` (any characters inside one level, `/` excepted). Without wildcards it is an exact match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NamePat(Box<str>);

impl NamePat {
    /// Validate a pattern.
    pub(crate) fn parse(s: &str) -> Result<NamePat, String> {
        if s.is_empty() {
            return Err("empty name pattern; write a topic or name, e.g. `plant/control/#`".into());
        }
        let levels: Vec<&str> = s.split('/').collect();
        for (i, l) in levels.iter().enumerate() {
            if l.contains('#') && (*l != "#" || i + 1 != levels.len()) {
                return Err(format!(
                    "bad pattern `{s}`: `#` must be a whole level and the last one, e.g. `plant/control/#`"
                ));
            }
            if l.contains('+') && *l != "+" {
                return Err(format!(
                    "bad pattern `{s}`: `+` must be a whole level, e.g. `plant/+/setpoint`; use `*` inside a level"
                ));
            }
        }
        Ok(NamePat(s.into()))
    }

    /// Whether `name` matches.
    pub(crate) fn matches(&self, name: &str) -> bool {
        let mut pat = self.0.split('/');
        let mut it = name.split('/');
        loop {
            match (pat.next(), it.next()) {
                (Some("#"), _) | (None, None) => return true,
                (Some(p), Some(n)) => {
                    if p != "+" && !glob(p.as_bytes(), n.as_bytes()) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
}

/// `*` glob on one level (iterative, linear backtracking).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A condition on one value: every operator given must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ValueCond {
    pub(crate) eq: Option<f64>,
    pub(crate) ne: Option<f64>,
    pub(crate) gt: Option<f64>,
    pub(crate) ge: Option<f64>,
    pub(crate) lt: Option<f64>,
    pub(crate) le: Option<f64>,
    pub(crate) between: Option<(f64, f64)>,
    pub(crate) outside: Option<(f64, f64)>,
    pub(crate) in_: Option<Vec<f64>>,
    pub(crate) not_in: Option<Vec<f64>>,
}

impl ValueCond {
    /// Whether `v` satisfies every operator.
    #[allow(clippy::float_cmp)] // `eq`/`in` compare decoded register values exactly, by design
    pub(crate) fn holds(&self, v: f64) -> bool {
        self.eq.is_none_or(|x| v == x)
            && self.ne.is_none_or(|x| v != x)
            && self.gt.is_none_or(|x| v > x)
            && self.ge.is_none_or(|x| v >= x)
            && self.lt.is_none_or(|x| v < x)
            && self.le.is_none_or(|x| v <= x)
            && self.between.is_none_or(|(a, b)| a <= v && v <= b)
            && self.outside.is_none_or(|(a, b)| v < a || v > b)
            && self.in_.as_ref().is_none_or(|l| l.contains(&v))
            && self.not_in.as_ref().is_none_or(|l| !l.contains(&v))
    }
}

/// Days of the week, Monday first.
pub(crate) const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Parse a day name (`mon` or `monday`, any case) into 0 (Monday) .. 6.
pub(crate) fn parse_day(s: &str) -> Result<u8, String> {
    let l = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|d| *d == l)
        .or_else(|| DAY_NAMES.iter().position(|d| *d == l))
        .map(|i| i as u8)
        .ok_or_else(|| {
            format!(
                "unknown day `{s}`; use one of {}",
                DAYS.iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A time-of-day window in minutes since midnight, start inclusive, end exclusive; wraps
/// midnight when `start > end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hours {
    pub(crate) start: u16,
    pub(crate) end: u16,
}

impl Hours {
    /// Parse `"22:00-06:00"`.
    pub(crate) fn parse(s: &str) -> Result<Hours, String> {
        let bad = || {
            format!("bad hours `{s}`; write `HH:MM-HH:MM` in UTC, e.g. `22:00-06:00` (may wrap midnight)")
        };
        let (from, to) = s.split_once('-').ok_or_else(bad)?;
        let hm = |t: &str| -> Option<u16> {
            let (hour, min) = t.trim().split_once(':')?;
            let (hour, min) = (hour.parse::<u16>().ok()?, min.parse::<u16>().ok()?);
            (min < 60 && (hour < 24 || (hour == 24 && min == 0))).then_some(hour * 60 + min)
        };
        let (start, end) = (hm(from).ok_or_else(bad)?, hm(to).ok_or_else(bad)?);
        if start == end {
            return Err(format!(
                "bad hours `{s}`: the window is empty; leave `hours` out to match the whole day"
            ));
        }
        Ok(Hours { start, end })
    }

    /// Whether `minute` (since midnight) is inside.
    pub(crate) fn contains(self, minute: u16) -> bool {
        if self.start < self.end {
            self.start <= minute && minute < self.end
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// Minute of the day (UTC) and weekday (0 Monday) of a capture time in µs.
pub(crate) fn clock(ts_us: u64) -> (u16, u8) {
    let secs = ts_us / 1_000_000;
    let minute = ((secs % 86_400) / 60) as u16;
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let day = ((secs / 86_400 + 3) % 7) as u8;
    (minute, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_stays_inside_a_level_and_mqtt_wildcards_follow_the_spec() {
        let p = NamePat::parse("plant/control/#").unwrap();
        assert!(p.matches("plant/control"));
        assert!(p.matches("plant/control/pump1/speed"));
        assert!(!p.matches("plant/telemetry/x"));
        let p = NamePat::parse("plant/+/set*").unwrap();
        assert!(p.matches("plant/pump1/setpoint"));
        assert!(!p.matches("plant/pump1/a/setpoint"));
        assert!(!p.matches("plant/pump1/speed"));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b*c", b"axxbyy"));
    }

    #[test]
    fn the_epoch_was_a_thursday_at_midnight() {
        assert_eq!(clock(0), (0, 3));
        // 2024-01-01 was a Monday.
        assert_eq!(clock(1_704_067_200 * 1_000_000 + 61_000_000), (1, 0));
    }

    #[test]
    fn cidr_masks_v4_and_v6() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        let c = Cidr::parse("fd00::/8").unwrap();
        assert!(c.contains("fd12::1".parse().unwrap()));
        assert!(!c.contains("10.1.0.1".parse().unwrap()));
    }
}
