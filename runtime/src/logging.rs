//! Runtime control of the log filter, behind `/admin/loggers`.
//!
//! A logger is a `tracing` target (`sluice_runtime::worker::sink_task`, `rdkafka`), with `::` as the
//! hierarchy separator, plus `root` for the default level. The filter is an `EnvFilter` behind a
//! reload layer; every change rebuilds it from the explicit levels and swaps it in live.
//!
//! `EnvFilter` matches a target directive by string prefix, so a level set on `sluice` also reaches
//! `sluice_runtime` unless that has its own level; the levels reported here follow the `::`
//! hierarchy only.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::Subscriber;
use tracing_subscriber::filter::{LevelFilter, ParseError};
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::config::worker::LogFormat;

/// The logger that holds the default level.
pub const ROOT_LOGGER: &str = "root";

/// Used when `RUST_LOG` is unset, blank or invalid.
const DEFAULT_DIRECTIVES: &str = "info";

type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// Handle to the live log filter; share it as `Arc<LogControl>`.
pub struct LogControl {
    levels: Mutex<Levels>,
    /// `None` for a detached control.
    handle: Option<FilterHandle>,
}

/// The level of one logger, as `/admin/loggers` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggerLevel {
    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `OFF`.
    pub level: String,
    /// Milliseconds since the epoch of the last change; `None` for levels from `RUST_LOG`.
    pub last_modified: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogLevelError {
    #[error(
        "unknown log level `{level}`; valid levels are TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF"
    )]
    UnknownLevel { level: String },
    #[error(
        "`{name}` is not a valid logger name: it must be a non-empty target without whitespace or any of `=,[]{{}}\"`"
    )]
    InvalidLogger { name: String },
    #[error("cannot build the log filter: {0}")]
    Filter(#[from] ParseError),
    #[error("cannot apply the log filter: {0}")]
    Reload(#[from] reload::Error),
}

impl LogControl {
    /// Installs the global subscriber (stderr; text, or one JSON object per line) whose filter can
    /// be changed later. Initial directives come from `RUST_LOG` (default `info`); an invalid
    /// `RUST_LOG` falls back to `info` with a warning.
    pub fn install(format: LogFormat) -> LogControl {
        let from_env = std::env::var("RUST_LOG").ok();
        let initial = Initial::parse(from_env.as_deref());
        let ansi = std::io::stderr().is_terminal();
        let (subscriber, handle) = build_subscriber(format, std::io::stderr, ansi, initial.filter);
        if let Err(error) = subscriber.try_init() {
            // Only reachable if something installed a subscriber first; level changes then
            // fail with a reload error instead of taking the process down.
            eprintln!("sluice: cannot install the log subscriber: {error}");
        }
        if let Some(error) = initial.rejected {
            tracing::warn!(
                %error,
                "RUST_LOG is not a valid filter; logging at `{DEFAULT_DIRECTIVES}`"
            );
        }
        LogControl::attached(initial.levels, handle)
    }

    /// A control not attached to any subscriber (for tests and embedding): it keeps and reports
    /// levels but changes nothing. Invalid directives fall back to `info`, as with `RUST_LOG`.
    pub fn detached(initial_directives: &str) -> LogControl {
        LogControl {
            levels: Mutex::new(Initial::parse(Some(initial_directives)).levels),
            handle: None,
        }
    }

    fn attached(levels: Levels, handle: FilterHandle) -> LogControl {
        LogControl {
            levels: Mutex::new(levels),
            handle: Some(handle),
        }
    }

    /// Every logger with an explicit level, plus `root`.
    pub fn loggers(&self) -> BTreeMap<String, LoggerLevel> {
        let levels = self.lock();
        let mut loggers: BTreeMap<String, LoggerLevel> = levels
            .targets
            .iter()
            .map(|(name, level)| (name.clone(), level.report()))
            .collect();
        loggers.insert(ROOT_LOGGER.to_owned(), levels.root.report());
        loggers
    }

    /// The effective level of one logger: its own, else its closest ancestor's (`a::b` → `a`),
    /// else root. `None` only for names that cannot be targets.
    pub fn logger(&self, name: &str) -> Option<LoggerLevel> {
        is_valid_logger(name).then(|| self.lock().effective(name).report())
    }

    /// Sets `level` on `name` and all its descendants (their own explicit levels are replaced),
    /// rebuilds the filter and applies it live. Returns the affected logger names, sorted. `root`
    /// sets the default level and replaces every explicit level.
    pub fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, LogLevelError> {
        let level = parse_level(level).ok_or_else(|| LogLevelError::UnknownLevel {
            level: level.to_owned(),
        })?;
        if !is_valid_logger(name) {
            return Err(LogLevelError::InvalidLogger {
                name: name.to_owned(),
            });
        }
        // The lock stays held while the filter is swapped so concurrent changes apply in order.
        let mut levels = self.lock();
        let mut next = levels.clone();
        let affected = next.set(name, level, now_millis());
        let filter = next.filter()?;
        if let Some(handle) = &self.handle {
            handle.reload(filter)?;
        }
        *levels = next;
        Ok(affected)
    }

    fn lock(&self) -> MutexGuard<'_, Levels> {
        // The levels are replaced whole, never left half-updated, so a poisoned lock is still sound.
        self.levels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Registry + reloadable filter + fmt layer with Sluice's output options, so the filter handle has
/// a nameable type.
fn build_subscriber<W>(
    format: LogFormat,
    writer: W,
    ansi: bool,
    filter: EnvFilter,
) -> (Box<dyn Subscriber + Send + Sync>, FilterHandle)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let (filter, handle) = reload::Layer::new(filter);
    let filtered = tracing_subscriber::registry().with(filter);
    let output = fmt::layer().with_writer(writer);
    let subscriber: Box<dyn Subscriber + Send + Sync> = match format {
        LogFormat::Text => Box::new(filtered.with(output.with_ansi(ansi))),
        LogFormat::Json => Box::new(
            filtered.with(
                output
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false),
            ),
        ),
    };
    (subscriber, handle)
}

/// The starting levels and the filter they make.
struct Initial {
    levels: Levels,
    filter: EnvFilter,
    /// Why the given directives were replaced by the default.
    rejected: Option<ParseError>,
}

impl Initial {
    fn parse(directives: Option<&str>) -> Initial {
        let given = directives.filter(|value| !value.trim().is_empty());
        let rejected = match given {
            Some(value) => {
                let levels = Levels::parse(value);
                match levels.filter() {
                    Ok(filter) => {
                        return Initial {
                            levels,
                            filter,
                            rejected: None,
                        };
                    }
                    Err(error) => Some(error),
                }
            }
            None => None,
        };
        Initial {
            levels: Levels::parse(DEFAULT_DIRECTIVES),
            filter: EnvFilter::default().add_directive(LevelFilter::INFO.into()),
            rejected,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Explicit {
    level: LevelFilter,
    last_modified: Option<u64>,
}

impl Explicit {
    fn report(&self) -> LoggerLevel {
        LoggerLevel {
            level: level_name(self.level).to_owned(),
            last_modified: self.last_modified,
        }
    }
}

/// The filter as levels: what `set_level` edits and the filter is rebuilt from.
#[derive(Debug, Clone)]
struct Levels {
    root: Explicit,
    targets: BTreeMap<String, Explicit>,
    /// Directives with span or field filters, passed through untouched.
    verbatim: Vec<String>,
}

impl Levels {
    /// Reads `EnvFilter` directives: `target=level`, a bare level (root) and a bare target (every
    /// level, as `EnvFilter` reads it). Anything else is kept verbatim. Without a bare level,
    /// root is `OFF`, since `EnvFilter` then drops events no directive matches.
    fn parse(directives: &str) -> Levels {
        let from_env = |level| Explicit {
            level,
            last_modified: None,
        };
        let mut levels = Levels {
            root: from_env(LevelFilter::OFF),
            targets: BTreeMap::new(),
            verbatim: Vec::new(),
        };
        // `EnvFilter` splits on every comma too, so this sees the same pieces it does.
        for directive in directives.split(',').map(str::trim) {
            if directive.is_empty() {
                continue;
            }
            let (target, level) = match directive.split_once('=') {
                Some((target, "")) => (Some(target), Ok(LevelFilter::TRACE)),
                Some((target, level)) => (Some(target), LevelFilter::from_str(level)),
                None => match LevelFilter::from_str(directive) {
                    Ok(level) => (None, Ok(level)),
                    Err(_) => (Some(directive), Ok(LevelFilter::TRACE)),
                },
            };
            match (target, level) {
                (None, Ok(level)) => levels.root = from_env(level),
                (Some(target), Ok(level)) if is_valid_logger(target) && target != ROOT_LOGGER => {
                    levels.targets.insert(target.to_owned(), from_env(level));
                }
                _ => levels.verbatim.push(directive.to_owned()),
            }
        }
        levels
    }

    fn directives(&self) -> String {
        let mut directives = vec![self.root.level.to_string()];
        directives.extend(
            self.targets
                .iter()
                .map(|(target, explicit)| format!("{target}={}", explicit.level)),
        );
        directives.extend(self.verbatim.iter().cloned());
        directives.join(",")
    }

    fn filter(&self) -> Result<EnvFilter, ParseError> {
        EnvFilter::builder().parse(self.directives())
    }

    fn effective(&self, name: &str) -> Explicit {
        if name == ROOT_LOGGER {
            return self.root;
        }
        let mut current = name;
        loop {
            if let Some(explicit) = self.targets.get(current) {
                return *explicit;
            }
            match current.rsplit_once("::") {
                Some((parent, _)) => current = parent,
                None => return self.root,
            }
        }
    }

    /// Sets `name` and its descendants (every logger, for root); returns their names, sorted.
    fn set(&mut self, name: &str, level: LevelFilter, now: u64) -> Vec<String> {
        let explicit = Explicit {
            level,
            last_modified: Some(now),
        };
        let is_root = name == ROOT_LOGGER;
        if is_root {
            self.root = explicit;
        } else {
            self.targets.insert(name.to_owned(), explicit);
        }
        let mut affected = Vec::new();
        for (target, current) in &mut self.targets {
            if is_root || is_self_or_descendant(target, name) {
                *current = explicit;
                affected.push(target.clone());
            }
        }
        if is_root {
            affected.push(ROOT_LOGGER.to_owned());
            affected.sort();
        }
        affected
    }
}

fn is_self_or_descendant(target: &str, ancestor: &str) -> bool {
    target
        .strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Names an `EnvFilter` directive can hold as a target.
fn is_valid_logger(name: &str) -> bool {
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|first| first.is_alphanumeric() || matches!(first, '-' | ':' | '_'));
    starts_well
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '=' | ',' | '[' | ']' | '{' | '}' | '"'))
}

/// log4j level names, in any case; `FATAL` has no `tracing` equivalent and means `ERROR`.
fn parse_level(level: &str) -> Option<LevelFilter> {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => Some(LevelFilter::TRACE),
        "DEBUG" => Some(LevelFilter::DEBUG),
        "INFO" => Some(LevelFilter::INFO),
        "WARN" => Some(LevelFilter::WARN),
        "ERROR" | "FATAL" => Some(LevelFilter::ERROR),
        "OFF" => Some(LevelFilter::OFF),
        _ => None,
    }
}

fn level_name(level: LevelFilter) -> &'static str {
    match level {
        LevelFilter::TRACE => "TRACE",
        LevelFilter::DEBUG => "DEBUG",
        LevelFilter::INFO => "INFO",
        LevelFilter::WARN => "WARN",
        LevelFilter::ERROR => "ERROR",
        _ => "OFF",
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use super::*;

    fn level(control: &LogControl, name: &str) -> String {
        control.logger(name).map(|l| l.level).unwrap_or_default()
    }

    #[test]
    fn effective_level_comes_from_the_closest_ancestor_then_root() {
        let control = LogControl::detached("warn,sluice_runtime=info,sluice_runtime::worker=debug");
        assert_eq!(
            level(&control, "sluice_runtime::worker::sink_task"),
            "DEBUG"
        );
        assert_eq!(level(&control, "sluice_runtime::worker"), "DEBUG");
        assert_eq!(level(&control, "sluice_runtime::herder"), "INFO");
        assert_eq!(level(&control, "sluice_runtime"), "INFO");
        assert_eq!(level(&control, "rdkafka"), "WARN");
        assert_eq!(level(&control, "root"), "WARN");
        // A name prefix without `::` is not an ancestor.
        assert_eq!(level(&control, "sluice_runtimex"), "WARN");
        assert_eq!(
            control.logger("rdkafka").and_then(|l| l.last_modified),
            None
        );
    }

    #[test]
    fn names_that_cannot_be_targets_are_not_loggers() {
        let control = LogControl::detached("info");
        for name in ["", " ", "\t", "a b", "a=b", "a,b", "a[span]"] {
            assert_eq!(control.logger(name), None, "{name:?}");
            assert!(matches!(
                control.set_level(name, "DEBUG"),
                Err(LogLevelError::InvalidLogger { .. })
            ));
        }
    }

    #[test]
    fn setting_a_logger_replaces_and_reports_its_descendants() {
        let control = LogControl::detached(
            "info,sluice_runtime::worker::sink_task=trace,sluice_runtime::worker::source_task=warn,sluice_runtimex=error",
        );
        let affected = control
            .set_level("sluice_runtime::worker", "debug")
            .unwrap();
        assert_eq!(
            affected,
            [
                "sluice_runtime::worker",
                "sluice_runtime::worker::sink_task",
                "sluice_runtime::worker::source_task",
            ]
        );
        let loggers = control.loggers();
        for name in &affected {
            assert_eq!(loggers[name].level, "DEBUG", "{name}");
            assert!(loggers[name].last_modified.is_some_and(|ms| ms > 0));
        }
        assert_eq!(loggers["sluice_runtimex"].level, "ERROR");
        assert_eq!(loggers["sluice_runtimex"].last_modified, None);
        assert_eq!(loggers["root"].level, "INFO");
        assert_eq!(
            level(&control, "sluice_runtime::worker::task_loop"),
            "DEBUG"
        );
        assert_eq!(level(&control, "sluice_runtime"), "INFO");
    }

    #[test]
    fn setting_an_unknown_leaf_adds_only_it() {
        let control = LogControl::detached("info");
        let affected = control.set_level("rdkafka", "Fatal").unwrap();
        assert_eq!(affected, ["rdkafka"]);
        assert_eq!(level(&control, "rdkafka"), "ERROR");
        assert_eq!(
            control.loggers().keys().collect::<Vec<_>>(),
            ["rdkafka", "root"]
        );
    }

    #[test]
    fn root_sets_the_default_and_every_explicit_logger() {
        let control = LogControl::detached("info,rdkafka=warn,sluice_connector_postgres=trace");
        let affected = control.set_level("root", "ERROR").unwrap();
        assert_eq!(affected, ["rdkafka", "root", "sluice_connector_postgres"]);
        let loggers = control.loggers();
        assert!(loggers.values().all(|l| l.level == "ERROR"));
        assert!(loggers["root"].last_modified.is_some());
        assert_eq!(level(&control, "anything::else"), "ERROR");
    }

    #[test]
    fn unknown_level_is_rejected_and_changes_nothing() {
        let control = LogControl::detached("info");
        let error = control.set_level("rdkafka", "verbose").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`verbose`"), "{message}");
        assert!(
            message.contains("TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF"),
            "{message}"
        );
        assert_eq!(control.loggers().len(), 1);
    }

    #[test]
    fn rust_log_directives_are_parsed_and_the_rest_kept_verbatim() {
        let levels = Levels::parse(
            " debug , rdkafka=WARN,sluice_api=, sluice_runtime ,app[task{id=1}]=trace,x=3",
        );
        assert_eq!(levels.root.level, LevelFilter::DEBUG);
        let targets: Vec<_> = levels
            .targets
            .iter()
            .map(|(name, explicit)| (name.as_str(), level_name(explicit.level)))
            .collect();
        assert_eq!(
            targets,
            [
                ("rdkafka", "WARN"),
                ("sluice_api", "TRACE"),
                ("sluice_runtime", "TRACE"),
                ("x", "INFO"),
            ]
        );
        assert_eq!(levels.verbatim, ["app[task{id=1}]=trace"]);
        assert_eq!(
            levels.directives(),
            "debug,rdkafka=warn,sluice_api=trace,sluice_runtime=trace,x=info,app[task{id=1}]=trace"
        );
        assert!(levels.filter().is_ok());
    }

    #[test]
    fn verbatim_directives_survive_a_rebuild() {
        let control = LogControl::detached("info,app[task]=trace");
        control.set_level("rdkafka", "debug").unwrap();
        assert_eq!(
            control.lock().directives(),
            "info,rdkafka=debug,app[task]=trace"
        );
    }

    #[test]
    fn without_a_bare_level_root_is_off_and_blank_or_invalid_means_info() {
        let only_target = LogControl::detached("rdkafka=debug");
        assert_eq!(level(&only_target, "root"), "OFF");
        assert_eq!(level(&only_target, "rdkafka::client"), "DEBUG");
        for directives in ["", "  ", "rdkafka=loud"] {
            let control = LogControl::detached(directives);
            let loggers = control.loggers();
            assert_eq!(loggers.len(), 1, "{directives:?}");
            assert_eq!(loggers["root"].level, "INFO", "{directives:?}");
        }
    }

    /// Collects everything the fmt layer writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn take(&self) -> String {
            let mut bytes = self.0.lock().unwrap();
            String::from_utf8(std::mem::take(&mut *bytes)).unwrap()
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Fixed callsites, so the test also proves that cached interest is rebuilt on a change.
    fn emit() {
        tracing::debug!(target: "sluice_probe::task", "probe debug");
        tracing::error!(target: "sluice_probe::task", "probe error");
        tracing::debug!(target: "other_probe", "other debug");
    }

    fn live_control(
        format: LogFormat,
    ) -> (LogControl, Box<dyn Subscriber + Send + Sync>, Captured) {
        let captured = Captured::default();
        let writer = captured.clone();
        let initial = Initial::parse(Some("info"));
        let (subscriber, handle) =
            build_subscriber(format, move || writer.clone(), false, initial.filter);
        (
            LogControl::attached(initial.levels, handle),
            subscriber,
            captured,
        )
    }

    #[test]
    fn set_level_changes_what_a_live_subscriber_writes() {
        let (control, subscriber, captured) = live_control(LogFormat::Text);
        tracing::subscriber::with_default(subscriber, || {
            emit();
            let before = captured.take();
            assert!(before.contains("probe error"), "{before}");
            assert!(!before.contains("probe debug"), "{before}");

            control.set_level("sluice_probe", "DEBUG").unwrap();
            emit();
            let debug = captured.take();
            assert!(debug.contains("probe debug"), "{debug}");
            assert!(debug.contains("probe error"), "{debug}");
            assert!(!debug.contains("other debug"), "{debug}");

            control.set_level("sluice_probe::task", "off").unwrap();
            emit();
            let off = captured.take();
            assert!(!off.contains("probe"), "{off}");
        });
    }

    #[test]
    fn json_output_is_one_flat_object_per_line() {
        let (control, subscriber, captured) = live_control(LogFormat::Json);
        tracing::subscriber::with_default(subscriber, || {
            control.set_level("sluice_probe", "debug").unwrap();
            let _span = tracing::info_span!("task", id = 1).entered();
            emit();
        });
        let output = captured.take();
        let lines: Vec<serde_json::Value> = output
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{output}");
        assert_eq!(lines[0]["message"], "probe debug");
        assert_eq!(lines[0]["level"], "DEBUG");
        assert!(lines[0].get("span").is_none() && lines[0].get("spans").is_none());
    }

    #[test]
    fn a_control_whose_subscriber_is_gone_reports_the_failure() {
        let (control, subscriber, _captured) = live_control(LogFormat::Text);
        drop(subscriber);
        assert!(matches!(
            control.set_level("sluice_probe", "debug"),
            Err(LogLevelError::Reload(_))
        ));
        assert_eq!(level(&control, "sluice_probe"), "INFO");
    }
}
