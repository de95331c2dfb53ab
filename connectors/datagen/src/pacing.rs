//! Rate limiting without drift: the due time of every record is computed from the start of the
//! run, so time lost to slow polls is caught up instead of accumulating.

use std::time::Duration;

use tokio::time::Instant;

/// Due times of the records of one run at a fixed rate.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    /// Records per second; `None` = no limit.
    rate: Option<f64>,
    emitted: u64,
}

/// Beyond any real run; used when a due time does not fit in an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

impl Pacer {
    pub fn new(start: Instant, rate: Option<f64>) -> Self {
        Pacer {
            start,
            rate,
            emitted: 0,
        }
    }

    /// When record number `n` of this run (0-based) is due.
    fn due(&self, n: u64) -> Instant {
        let Some(rate) = self.rate else {
            return self.start;
        };
        let offset = Duration::try_from_secs_f64(n as f64 / rate).unwrap_or(FAR_FUTURE);
        self.start
            .checked_add(offset)
            .or_else(|| self.start.checked_add(FAR_FUTURE))
            .unwrap_or(self.start)
    }

    /// When the next record is due.
    pub fn next_due(&self) -> Instant {
        self.due(self.emitted)
    }

    /// How many records are due at `now` and not yet emitted.
    pub fn allowance(&self, now: Instant) -> u64 {
        let Some(rate) = self.rate else {
            return u64::MAX;
        };
        if now < self.next_due() {
            return 0;
        }
        let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
        // Records 0..=floor(elapsed * rate) are due; float rounding may put the count one short
        // of what `next_due` promised, hence at least one.
        let due = (elapsed * rate).floor() as u64 + 1;
        due.saturating_sub(self.emitted).max(1)
    }

    pub fn emitted(&mut self, count: u64) {
        self.emitted = self.emitted.saturating_add(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_has_no_wait() {
        let start = Instant::now();
        let pacer = Pacer::new(start, None);
        assert_eq!(pacer.allowance(start), u64::MAX);
        assert_eq!(pacer.next_due(), start);
    }

    #[test]
    fn due_times_follow_the_rate_from_start() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, Some(10.0));
        assert_eq!(pacer.allowance(start), 1);
        pacer.emitted(1);
        assert_eq!(pacer.next_due(), start + Duration::from_millis(100));
        assert_eq!(pacer.allowance(start + Duration::from_millis(99)), 0);
        assert_eq!(pacer.allowance(start + Duration::from_millis(100)), 1);
        // A late poll catches up on everything due meanwhile: no drift.
        assert_eq!(pacer.allowance(start + Duration::from_millis(1050)), 10);
        pacer.emitted(10);
        assert_eq!(pacer.next_due(), start + Duration::from_millis(1100));
    }

    #[test]
    fn tiny_rates_do_not_overflow() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, Some(1e-300));
        pacer.emitted(1);
        assert!(pacer.next_due() > start);
        assert_eq!(pacer.allowance(start + Duration::from_secs(3600)), 0);
    }
}
