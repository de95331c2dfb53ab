//! Exponential backoff with full jitter: the wait before retry `n` is uniform in
//! `0..=min(cap, base * 2^n)`, so tasks that failed together do not retry together.

use std::time::Duration;

/// Longest single wait, however many retries came before.
const CAP: Duration = Duration::from_secs(30);

/// The upper bound of the wait before retry `attempt` (0 for the first retry).
pub fn ceiling(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(CAP)
}

/// A random wait before retry `attempt`.
pub fn delay(base: Duration, attempt: u32) -> Duration {
    let max = u64::try_from(ceiling(base, attempt).as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let base = Duration::from_millis(100);
        assert_eq!(ceiling(base, 0), Duration::from_millis(100));
        assert_eq!(ceiling(base, 3), Duration::from_millis(800));
        assert_eq!(ceiling(base, 40), CAP);
        for attempt in 0..10 {
            assert!(delay(base, attempt) <= ceiling(base, attempt));
        }
        assert_eq!(delay(Duration::ZERO, 5), Duration::ZERO);
    }
}
