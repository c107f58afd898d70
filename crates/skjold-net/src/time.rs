//! Packet timestamps: microseconds since the Unix epoch, formatted as RFC 3339 UTC.

use std::fmt;

/// A packet timestamp in microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(pub u64);

impl Ts {
    /// Build from seconds and microseconds.
    pub fn from_secs_micros(secs: u64, micros: u64) -> Ts {
        Ts(secs.saturating_mul(1_000_000).saturating_add(micros))
    }

    /// Whole seconds.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000
    }

    /// Seconds as a float (for durations in summaries).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Write `YYYY-MM-DDTHH:MM:SS.ffffffZ` into `out`.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let secs = self.0 / 1_000_000;
        let micros = self.0 % 1_000_000;
        let days = secs / 86_400;
        let sod = secs % 86_400;
        let (y, m, d) = civil_from_days(days as i64);
        let mut buf = [0u8; 27];
        put(&mut buf[0..4], y as u64);
        buf[4] = b'-';
        put(&mut buf[5..7], u64::from(m));
        buf[7] = b'-';
        put(&mut buf[8..10], u64::from(d));
        buf[10] = b'T';
        put(&mut buf[11..13], sod / 3600);
        buf[13] = b':';
        put(&mut buf[14..16], (sod / 60) % 60);
        buf[16] = b':';
        put(&mut buf[17..19], sod % 60);
        buf[19] = b'.';
        put(&mut buf[20..26], micros);
        buf[26] = b'Z';
        out.extend_from_slice(&buf);
    }
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(27);
        self.write_rfc3339(&mut v);
        f.write_str(std::str::from_utf8(&v).unwrap_or("?"))
    }
}

/// Write `v` as zero-padded decimal filling `dst` (years beyond 9999 keep their low digits).
fn put(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days` algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::Ts;

    #[test]
    fn formats_known_instants_as_rfc3339_utc_micros() {
        assert_eq!(Ts(0).to_string(), "1970-01-01T00:00:00.000000Z");
        // 2021-02-05T13:00:00.5Z: the Oldsmar water plant intrusion afternoon.
        assert_eq!(
            Ts::from_secs_micros(1_612_530_000, 500_000).to_string(),
            "2021-02-05T13:00:00.500000Z"
        );
        // Leap day.
        assert_eq!(
            Ts::from_secs_micros(951_782_400, 1).to_string(),
            "2000-02-29T00:00:00.000001Z"
        );
    }
}
