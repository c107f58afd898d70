//! A tiny deterministic PRNG (xorshift64*), so that a seed always yields the same capture.
//!
//! Not for anything secret: it only has to be fast, reproducible across
//! platforms and free of dependencies.

/// xorshift64* generator (Vigna 2014): 64-bit state, never zero.
#[derive(Debug, Clone)]
pub(crate) struct XorShift {
    state: u64,
}

impl XorShift {
    /// A generator for `seed`; the seed is mixed (splitmix64) so that small and
    /// neighbouring seeds give unrelated streams, and zero is a valid seed.
    pub(crate) fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub(crate) fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// Uniform in `lo..=hi` (multiply-shift; the tiny bias is irrelevant here).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi);
        let span = hi - lo + 1;
        lo + ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u64
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 99) < percent
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_seeds_differ() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = XorShift::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = XorShift::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let c = XorShift::new(8).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_ne!(XorShift::new(0).next_u64(), 0);
    }

    #[test]
    fn range_stays_inside_bounds_and_reaches_both_ends() {
        let mut r = XorShift::new(1);
        let mut seen = [false; 4];
        for _ in 0..1000 {
            let v = r.range(10, 13);
            assert!((10..=13).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 4]);
    }
}
