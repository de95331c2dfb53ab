//! What a plugin may ask of the host: log lines and counters.
//!
//! In a component these call the `sluice:transform/host` imports. In a native build (a plugin's
//! unit tests) there is no host, so log lines go to stderr and both are recorded per thread for
//! [`crate::testing`] to inspect; the test harness runs each test on its own thread, so tests do
//! not see each other's records.

/// Severity of a log line; the host emits it at the matching level of its own log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Emits a log line in the task's log context, tagged with the transform alias.
///
/// Logging per record is costly (each line crosses into the host); prefer counters for things
/// that happen per record.
pub fn log(level: Level, message: &str) {
    imp::log(level, message);
}

/// Adds `delta` to the counter `name`, which the host exports as a Prometheus counter.
pub fn counter_add(name: &str, delta: u64) {
    imp::counter_add(name, delta);
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::Level;
    use crate::bindings::sluice::transform::host;

    pub fn log(level: Level, message: &str) {
        let level = match level {
            Level::Trace => host::Level::Trace,
            Level::Debug => host::Level::Debug,
            Level::Info => host::Level::Info,
            Level::Warn => host::Level::Warn,
            Level::Error => host::Level::Error,
        };
        host::log(level, message);
    }

    pub fn counter_add(name: &str, delta: u64) {
        host::counter_add(name, delta);
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::Level;

    thread_local! {
        pub(crate) static LOGS: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
        pub(crate) static COUNTERS: RefCell<BTreeMap<String, u64>> =
            const { RefCell::new(BTreeMap::new()) };
    }

    pub fn log(level: Level, message: &str) {
        eprintln!("[{level:?}] {message}");
        LOGS.with_borrow_mut(|logs| logs.push((level, message.to_owned())));
    }

    pub fn counter_add(name: &str, delta: u64) {
        COUNTERS.with_borrow_mut(|counters| {
            let total = counters.entry(name.to_owned()).or_default();
            *total = total.saturating_add(delta);
        });
    }
}
