//! Sets of integers written as ranges (`"0-9, 20, 40-49"`): the address sets of a baseline.

use std::fmt::Write as _;

/// Ranges kept at most; beyond it neighbouring ranges are merged (the set grows, never shrinks,
/// so learning stays bounded and errs towards allowing).
pub const MAX_RANGES: usize = 256;

/// A set of `u32` as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet(Vec<(u32, u32)>);

impl RangeSet {
    /// Add `lo..=hi`.
    pub fn insert(&mut self, lo: u32, hi: u32) {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        let v = &mut self.0;
        // First range that ends at or after lo - 1 (touching ranges merge).
        let i = v.partition_point(|&(_, e)| e.saturating_add(1) < lo);
        let mut j = i;
        let (mut nlo, mut nhi) = (lo, hi);
        while j < v.len() && v[j].0 <= hi.saturating_add(1) {
            nlo = nlo.min(v[j].0);
            nhi = nhi.max(v[j].1);
            j += 1;
        }
        v.splice(i..j, [(nlo, nhi)]);
        if v.len() > MAX_RANGES {
            // Merge the two closest neighbours.
            let k = (0..v.len() - 1)
                .min_by_key(|&k| v[k + 1].0 - v[k].1)
                .unwrap_or(0);
            v[k].1 = v[k + 1].1;
            v.remove(k + 1);
        }
    }

    /// Whether every address of `lo..=hi` is in the set.
    pub fn covers(&self, lo: u32, hi: u32) -> bool {
        let i = self.0.partition_point(|&(_, e)| e < lo);
        self.0.get(i).is_some_and(|&(s, e)| s <= lo && hi <= e)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `v` is in the set.
    pub fn contains(&self, v: u32) -> bool {
        self.covers(v, v)
    }

    /// Whether some member of `lo..=hi` is in the set.
    pub fn intersects(&self, lo: u32, hi: u32) -> bool {
        let i = self.0.partition_point(|&(_, e)| e < lo);
        self.0.get(i).is_some_and(|&(s, _)| s <= hi)
    }

    /// The set of the single value `v`.
    pub fn single(v: u32) -> RangeSet {
        RangeSet(vec![(v, v)])
    }

    /// The union of `sets`.
    pub fn union(sets: impl IntoIterator<Item = RangeSet>) -> RangeSet {
        let mut r = RangeSet::default();
        for s in sets {
            for (a, b) in s.0 {
                r.insert(a, b);
            }
        }
        r
    }

    /// Parse `"10-12, 20"` (decimal or `0x` hex), every value at most `max`. Returns what is
    /// wrong and how to write it on error.
    pub fn parse(s: &str, max: u32) -> Result<RangeSet, String> {
        let mut items: Vec<(u32, u32)> = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!(
                    "empty item in range list `{s}`; write numbers or ranges separated by commas, e.g. `10-12, 20`"
                ));
            }
            let (lo, hi) = if let Some((a, b)) = part.split_once('-') {
                (number(a.trim(), s)?, number(b.trim(), s)?)
            } else {
                let n = number(part, s)?;
                (n, n)
            };
            if lo > hi {
                return Err(format!(
                    "bad range `{part}`: the start is above the end; write `{hi}-{lo}`"
                ));
            }
            if hi > max {
                return Err(format!(
                    "`{part}` is out of range: the largest value here is {max}"
                ));
            }
            items.push((lo, hi));
        }
        // Sorted and joined here rather than by `insert`, which would widen a set past the
        // bound: a written set is taken exactly or refused.
        items.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(items.len());
        for (lo, hi) in items {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        if out.len() > MAX_RANGES {
            return Err(format!(
                "more than {MAX_RANGES} separate ranges in `{}...`; join them into wider ranges",
                s.chars().take(40).collect::<String>()
            ));
        }
        Ok(RangeSet(out))
    }
}

fn number(t: &str, whole: &str) -> Result<u32, String> {
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else {
        t.parse::<u32>()
    };
    r.map_err(|_| {
        format!(
            "bad range `{whole}`: `{t}` is not a non-negative integer; write numbers or ranges such as `1-4, 6`"
        )
    })
}

impl std::fmt::Display for RangeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            if a == b {
                let _ = write!(s, "{a}");
            } else {
                let _ = write!(s, "{a}-{b}");
            }
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::RangeSet;

    #[test]
    fn touching_and_overlapping_ranges_merge_and_print_compactly() {
        let mut r = RangeSet::default();
        r.insert(10, 12);
        r.insert(0, 3);
        r.insert(4, 4);
        r.insert(11, 20);
        r.insert(30, 30);
        assert_eq!(r.to_string(), "0-4, 10-20, 30");
        assert!(r.covers(12, 20));
        assert!(!r.covers(20, 21));
        assert!(!r.covers(5, 5));
        assert_eq!(RangeSet::parse("0-4, 10-20, 30", u32::MAX).unwrap(), r);
        assert!(r.contains(4) && !r.contains(5) && r.intersects(5, 10) && !r.intersects(5, 9));
    }

    #[test]
    fn a_backwards_range_and_text_are_errors() {
        assert!(RangeSet::parse("9-2", u32::MAX)
            .unwrap_err()
            .contains("the start is above the end"));
        assert!(RangeSet::parse("x", u32::MAX)
            .unwrap_err()
            .contains("not a non-negative integer"));
        assert!(RangeSet::parse("0x10", 15)
            .unwrap_err()
            .contains("out of range"));
    }

    #[test]
    fn a_written_set_is_never_widened_past_the_bound() {
        let many: Vec<String> = (0..300).map(|i| (i * 3).to_string()).collect();
        assert!(RangeSet::parse(&many.join(","), u32::MAX)
            .unwrap_err()
            .contains("separate ranges"));
    }

    #[test]
    fn the_number_of_ranges_stays_bounded() {
        let mut r = RangeSet::default();
        for i in 0..2000 {
            r.insert(i * 3, i * 3);
        }
        assert!(r.0.len() <= super::MAX_RANGES);
        assert!(r.covers(0, 0) && r.covers(5997, 5997));
    }
}
