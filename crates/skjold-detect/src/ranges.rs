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

    /// Parse `"0-9, 20"`. Returns what is wrong on error.
    pub fn parse(s: &str) -> Result<RangeSet, String> {
        let mut r = RangeSet::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (part, part),
            };
            let a: u32 = a
                .parse()
                .map_err(|_| format!("'{part}' is not a number or a range like 10-20"))?;
            let b: u32 = b
                .parse()
                .map_err(|_| format!("'{part}' is not a number or a range like 10-20"))?;
            if b < a {
                return Err(format!("range '{part}' ends before it starts"));
            }
            r.insert(a, b);
        }
        Ok(r)
    }
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
        assert_eq!(RangeSet::parse("0-4, 10-20, 30").unwrap(), r);
    }

    #[test]
    fn a_backwards_range_and_text_are_errors() {
        assert!(RangeSet::parse("9-2").unwrap_err().contains("ends before"));
        assert!(RangeSet::parse("x").unwrap_err().contains("not a number"));
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
