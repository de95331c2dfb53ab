//! A tiny deterministic generator: every value is a pure function of its inputs, so a record can
//! be regenerated from `(seed, task, seq)` alone, which is what makes resuming exact.

/// SplitMix64's finaliser: a bijective mix with good avalanche, enough for synthetic data.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream of pseudo-random numbers derived from a list of inputs.
#[derive(Debug, Clone)]
pub struct Draw {
    state: u64,
}

impl Draw {
    /// A stream determined by `inputs`; different inputs give unrelated streams.
    pub fn new(inputs: &[u64]) -> Self {
        let state = inputs
            .iter()
            .fold(0u64, |acc, input| mix(acc ^ mix(*input)));
        Draw { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(1);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`, with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[low, high)`.
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant for synthetic data.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_stream() {
        let (mut a, mut b) = (Draw::new(&[1, 2, 3]), Draw::new(&[1, 2, 3]));
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(
            Draw::new(&[1, 2, 3]).next_u64(),
            Draw::new(&[1, 2, 4]).next_u64()
        );
    }

    #[test]
    fn unit_is_in_range() {
        let mut draw = Draw::new(&[42]);
        for _ in 0..1000 {
            let x = draw.unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
