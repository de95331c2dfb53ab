//! Automatic restart of FAILED tasks with exponential backoff (`sluice.task.restart.*`), off by
//! default as in Kafka Connect, which never restarts a failed task by itself.

use std::collections::HashMap;
use std::time::Duration;

use sluice_api::Props;
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, Importance, Validator};

use crate::worker::status::TaskId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartPolicy {
    pub enabled: bool,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// `None`: no limit.
    pub max_attempts: Option<u32>,
}

impl RestartPolicy {
    pub fn config_def() -> ConfigDef {
        use ConfigType::*;
        use Importance::*;
        ConfigDef::new()
            .optional(
                "sluice.task.restart.enabled",
                Boolean,
                Some("false"),
                Medium,
                "Restart FAILED tasks automatically, with exponential backoff.",
            )
            .optional(
                "sluice.task.restart.initial.backoff.ms",
                Long,
                Some("1000"),
                Low,
                "Delay before the first automatic restart of a failed task.",
            )
            .validate(Validator::AtLeast(0))
            .optional(
                "sluice.task.restart.max.backoff.ms",
                Long,
                Some("60000"),
                Low,
                "Longest delay between automatic restarts; each failure doubles the delay up to \
                 this. A task that ran this long before failing starts over at the initial delay.",
            )
            .validate(Validator::AtLeast(0))
            .optional(
                "sluice.task.restart.max.attempts",
                Int,
                Some("-1"),
                Low,
                "Automatic restarts in a row before the task is left FAILED; -1 means no limit.",
            )
            .validate(Validator::AtLeast(-1))
    }

    pub fn from_worker(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = Self::config_def().parse(props)?;
        let millis = |key| Duration::from_millis(parsed.int(key).max(0) as u64);
        Ok(RestartPolicy {
            enabled: parsed.bool("sluice.task.restart.enabled"),
            initial_backoff: millis("sluice.task.restart.initial.backoff.ms"),
            max_backoff: millis("sluice.task.restart.max.backoff.ms"),
            max_attempts: u32::try_from(parsed.int("sluice.task.restart.max.attempts")).ok(),
        })
    }
}

/// Restart attempts in a row, per task.
#[derive(Debug, Default)]
pub struct Backoffs {
    attempts: HashMap<TaskId, u32>,
}

impl Backoffs {
    /// The delay before restarting a task that failed after running `ran_for`, or `None` when
    /// it should stay FAILED.
    pub fn next_delay(
        &mut self,
        policy: &RestartPolicy,
        id: &TaskId,
        ran_for: Duration,
    ) -> Option<Duration> {
        if !policy.enabled {
            return None;
        }
        let attempts = self.attempts.entry(id.clone()).or_default();
        if ran_for >= policy.max_backoff {
            *attempts = 0;
        }
        if policy.max_attempts.is_some_and(|max| *attempts >= max) {
            return None;
        }
        let delay = policy
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(*attempts))
            .min(policy.max_backoff.max(policy.initial_backoff));
        *attempts += 1;
        Some(delay)
    }

    /// Forgets a connector's tasks (deleted, reconfigured or restarted by hand).
    pub fn forget(&mut self, connector: &str) {
        self.attempts.retain(|id, _| id.connector != connector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: Option<u32>) -> RestartPolicy {
        RestartPolicy {
            enabled: true,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            max_attempts,
        }
    }

    #[test]
    fn doubles_up_to_the_cap_and_starts_over_after_a_long_run() {
        let id = TaskId {
            connector: "c".into(),
            task: 0,
        };
        let mut backoffs = Backoffs::default();
        let short = Duration::from_millis(10);
        let delays: Vec<_> = (0..5)
            .map(|_| {
                backoffs
                    .next_delay(&policy(None), &id, short)
                    .unwrap()
                    .as_secs()
            })
            .collect();
        assert_eq!(delays, [1, 2, 4, 5, 5]);
        let after_long_run = backoffs.next_delay(&policy(None), &id, Duration::from_secs(6));
        assert_eq!(after_long_run, Some(Duration::from_secs(1)));
    }

    #[test]
    fn stops_after_max_attempts_and_when_disabled() {
        let id = TaskId {
            connector: "c".into(),
            task: 1,
        };
        let mut backoffs = Backoffs::default();
        let short = Duration::ZERO;
        assert!(backoffs.next_delay(&policy(Some(2)), &id, short).is_some());
        assert!(backoffs.next_delay(&policy(Some(2)), &id, short).is_some());
        assert!(backoffs.next_delay(&policy(Some(2)), &id, short).is_none());
        backoffs.forget("c");
        assert!(backoffs.next_delay(&policy(Some(2)), &id, short).is_some());
        let off = RestartPolicy {
            enabled: false,
            ..policy(None)
        };
        assert!(backoffs.next_delay(&off, &id, short).is_none());
    }

    #[test]
    fn parses_worker_settings() {
        let props = sluice_api::config::props(&[
            ("sluice.task.restart.enabled", "true"),
            ("sluice.task.restart.max.attempts", "3"),
        ]);
        let policy = RestartPolicy::from_worker(&props).unwrap();
        assert!(policy.enabled);
        assert_eq!(policy.max_attempts, Some(3));
        let bad = sluice_api::config::props(&[("sluice.task.restart.max.attempts", "-2")]);
        let err = RestartPolicy::from_worker(&bad).unwrap_err().to_string();
        assert!(err.contains("sluice.task.restart.max.attempts"), "{err}");
    }
}
