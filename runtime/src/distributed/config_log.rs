//! The config topic: how Sluice encodes connector configs, task configs and the records that
//! steer them, and how a worker folds the topic, in order, into its view of the cluster.
//!
//! Values are JSON exactly as Kafka Connect's JsonConverter writes them with schemas disabled,
//! so Sluice and Kafka Connect clusters can read each other's config topics.
//!
//! Task configs are written one record per task and only become visible when the connector's
//! `commit-<c>` record follows. Compaction keeps only the newest value per key, so a reader can
//! meet a commit whose tasks were compacted away (their newer values come after the commit): the
//! connector is then marked inconsistent and the leader must regenerate its task configs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sluice_api::Props;

use crate::herder::{RestartRequest, TargetState};
use crate::worker::status::TaskId;

const CONNECTOR_PREFIX: &str = "connector-";
const TASK_PREFIX: &str = "task-";
const COMMIT_PREFIX: &str = "commit-";
const TARGET_STATE_PREFIX: &str = "target-state-";
const RESTART_PREFIX: &str = "restart-connector-";
const LOGGER_PREFIX: &str = "logger-cluster-";
const SESSION_KEY: &str = "session-key";

/// Why a config topic record could not be read. The caller logs it and moves on: one bad record
/// must not stop a worker from following the topic.
#[derive(Debug, thiserror::Error)]
pub enum ConfigLogError {
    #[error("config record `{key}`: malformed key")]
    InvalidKey { key: String },
    #[error("config record `{key}`: cannot decode the value: {source}")]
    Json {
        key: String,
        source: serde_json::Error,
    },
    #[error("config record `{key}`: {reason}")]
    InvalidValue { key: String, reason: String },
}

/// One record of the config topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRecord {
    /// `connector-<name>`; `None` (a tombstone) deletes the connector.
    Connector { name: String, props: Option<Props> },
    /// `task-<name>-<n>`, buffered until the connector's next commit. A tombstone carries no
    /// config and is ignored when folding.
    Task { id: TaskId, props: Option<Props> },
    /// `commit-<name>`: tasks `0..tasks` become the connector's task configs at once.
    Commit { connector: String, tasks: u32 },
    /// `target-state-<name>`; `None` is the tombstone written when the connector is deleted.
    TargetState {
        connector: String,
        state: Option<TargetState>,
    },
    /// `restart-connector-<name>`.
    Restart {
        connector: String,
        request: RestartRequest,
    },
    /// `logger-cluster-<namespace>`: a log level set for the whole cluster.
    LoggerLevel { namespace: String, level: String },
    /// `session-key`: the key signing requests between workers, kept as the JSON text written.
    SessionKey(String),
    /// A key Sluice does not know (e.g. exactly-once fencing records); the caller logs and skips
    /// it. Encoding one yields a tombstone, since its value was not kept.
    Unknown(String),
}

#[derive(Serialize)]
struct PropertiesValue<'a> {
    properties: &'a Props,
}

#[derive(Serialize)]
struct CommitValue {
    tasks: u32,
}

#[derive(Serialize)]
struct TargetStateValue {
    state: TargetState,
    #[serde(rename = "state.v2")]
    state_v2: TargetState,
}

#[derive(Serialize)]
struct RestartValue {
    #[serde(rename = "include-tasks")]
    include_tasks: bool,
    #[serde(rename = "only-failed")]
    only_failed: bool,
}

#[derive(Serialize)]
struct LoggerValue<'a> {
    level: &'a str,
}

impl ConfigRecord {
    /// Parses a record read from the config topic; `value` is `None` for a tombstone.
    pub fn parse(key: &str, value: Option<&[u8]>) -> Result<ConfigRecord, ConfigLogError> {
        let input = Input { key, value };
        if key == SESSION_KEY {
            return input.session_key();
        }
        if let Some(rest) = key.strip_prefix(CONNECTOR_PREFIX) {
            let name = input.name(rest)?;
            let props = input
                .optional_object()?
                .map(|o| input.props(&o))
                .transpose()?;
            return Ok(ConfigRecord::Connector { name, props });
        }
        if let Some(rest) = key.strip_prefix(TASK_PREFIX) {
            let id = input.task_id(rest)?;
            let props = input
                .optional_object()?
                .map(|o| input.props(&o))
                .transpose()?;
            return Ok(ConfigRecord::Task { id, props });
        }
        if let Some(rest) = key.strip_prefix(COMMIT_PREFIX) {
            let connector = input.name(rest)?;
            let tasks = input.object()?.get("tasks").and_then(Value::as_u64);
            let tasks = tasks
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| input.invalid("`tasks` is not a task count"))?;
            return Ok(ConfigRecord::Commit { connector, tasks });
        }
        if let Some(rest) = key.strip_prefix(TARGET_STATE_PREFIX) {
            let connector = input.name(rest)?;
            let state = input
                .optional_object()?
                .map(|o| input.target_state(&o))
                .transpose()?;
            return Ok(ConfigRecord::TargetState { connector, state });
        }
        if let Some(rest) = key.strip_prefix(RESTART_PREFIX) {
            let connector = input.name(rest)?;
            let value = input.object()?;
            // Missing or mistyped flags mean "no", as Kafka Connect reads them.
            let flag = |field: &str| value.get(field).and_then(Value::as_bool).unwrap_or(false);
            let request = RestartRequest {
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            };
            return Ok(ConfigRecord::Restart { connector, request });
        }
        if let Some(rest) = key.strip_prefix(LOGGER_PREFIX) {
            let namespace = input.name(rest)?;
            let value = input.object()?;
            let level = value.get("level").and_then(Value::as_str);
            let level = level.ok_or_else(|| input.invalid("`level` is not a string"))?;
            return Ok(ConfigRecord::LoggerLevel {
                namespace,
                level: level.to_string(),
            });
        }
        Ok(ConfigRecord::Unknown(key.to_string()))
    }

    /// The record's key in the config topic.
    pub fn key(&self) -> String {
        match self {
            ConfigRecord::Connector { name, .. } => format!("{CONNECTOR_PREFIX}{name}"),
            ConfigRecord::Task { id, .. } => format!("{TASK_PREFIX}{}-{}", id.connector, id.task),
            ConfigRecord::Commit { connector, .. } => format!("{COMMIT_PREFIX}{connector}"),
            ConfigRecord::TargetState { connector, .. } => {
                format!("{TARGET_STATE_PREFIX}{connector}")
            }
            ConfigRecord::Restart { connector, .. } => format!("{RESTART_PREFIX}{connector}"),
            ConfigRecord::LoggerLevel { namespace, .. } => format!("{LOGGER_PREFIX}{namespace}"),
            ConfigRecord::SessionKey(_) => SESSION_KEY.to_string(),
            ConfigRecord::Unknown(key) => key.clone(),
        }
    }

    /// The record as written to the config topic: key and value, `None` being a tombstone.
    pub fn encode(&self) -> (String, Option<Vec<u8>>) {
        let value = match self {
            ConfigRecord::Connector { props, .. } | ConfigRecord::Task { props, .. } => props
                .as_ref()
                .map(|properties| to_json(&PropertiesValue { properties })),
            ConfigRecord::Commit { tasks, .. } => Some(to_json(&CommitValue { tasks: *tasks })),
            ConfigRecord::TargetState { state, .. } => state.map(|state| {
                to_json(&TargetStateValue {
                    // Readers that predate STOPPED only know `state`; PAUSED is the closest.
                    state: match state {
                        TargetState::Stopped => TargetState::Paused,
                        other => other,
                    },
                    state_v2: state,
                })
            }),
            ConfigRecord::Restart { request, .. } => Some(to_json(&RestartValue {
                include_tasks: request.include_tasks,
                only_failed: request.only_failed,
            })),
            ConfigRecord::LoggerLevel { level, .. } => Some(to_json(&LoggerValue { level })),
            ConfigRecord::SessionKey(json) => Some(json.clone().into_bytes()),
            ConfigRecord::Unknown(_) => None,
        };
        (self.key(), value)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // These are plain structs of strings, numbers and string-keyed maps: serializing cannot fail.
    serde_json::to_vec(value).expect("config values always serialize")
}

/// A raw record being parsed, so errors can name its key.
struct Input<'a> {
    key: &'a str,
    value: Option<&'a [u8]>,
}

impl Input<'_> {
    fn invalid(&self, reason: &str) -> ConfigLogError {
        ConfigLogError::InvalidValue {
            key: self.key.to_string(),
            reason: reason.to_string(),
        }
    }

    fn name(&self, name: &str) -> Result<String, ConfigLogError> {
        if name.is_empty() {
            return Err(ConfigLogError::InvalidKey {
                key: self.key.to_string(),
            });
        }
        Ok(name.to_string())
    }

    /// `<connector>-<n>`.
    fn task_id(&self, rest: &str) -> Result<TaskId, ConfigLogError> {
        TaskId::parse(rest).ok_or_else(|| ConfigLogError::InvalidKey {
            key: self.key.to_string(),
        })
    }

    /// The value as a JSON object; a tombstone or other JSON is an error.
    fn object(&self) -> Result<Map<String, Value>, ConfigLogError> {
        let bytes = self
            .value
            .ok_or_else(|| self.invalid("unexpected tombstone"))?;
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(object)) => Ok(object),
            Ok(_) => Err(self.invalid("the value is not a JSON object")),
            Err(source) => Err(ConfigLogError::Json {
                key: self.key.to_string(),
                source,
            }),
        }
    }

    /// Like [`Input::object`], but a tombstone is `None`.
    fn optional_object(&self) -> Result<Option<Map<String, Value>>, ConfigLogError> {
        match self.value {
            None => Ok(None),
            Some(_) => self.object().map(Some),
        }
    }

    /// `{"properties":{…}}`. Kafka Connect's JSON may carry numbers, booleans and nulls where
    /// Sluice keeps strings: they are turned into their text, and a null drops the key.
    fn props(&self, value: &Map<String, Value>) -> Result<Props, ConfigLogError> {
        let Some(Value::Object(properties)) = value.get("properties") else {
            return Err(self.invalid("`properties` is not a JSON object"));
        };
        let mut props = Props::new();
        for (name, value) in properties {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => continue,
                Value::Array(_) | Value::Object(_) => {
                    return Err(self.invalid(&format!(
                        "property `{name}` is not a string, number or boolean"
                    )));
                }
            };
            props.insert(name.clone(), text);
        }
        Ok(props)
    }

    /// `state.v2` when it holds a string, else `state`, which is all that older writers set.
    fn target_state(&self, value: &Map<String, Value>) -> Result<TargetState, ConfigLogError> {
        let state = [value.get("state.v2"), value.get("state")]
            .into_iter()
            .flatten()
            .find(|v| v.is_string())
            .ok_or_else(|| self.invalid("no target state"))?;
        TargetState::deserialize(state).map_err(|_| self.invalid("unknown target state"))
    }

    /// Kept as written: only the workers' request signing interprets it.
    fn session_key(&self) -> Result<ConfigRecord, ConfigLogError> {
        let bytes = self
            .value
            .ok_or_else(|| self.invalid("unexpected tombstone"))?;
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|source| {
            ConfigLogError::Json {
                key: self.key.to_string(),
                source,
            }
        })?;
        let text = std::str::from_utf8(bytes).map_err(|_| self.invalid("not UTF-8"))?;
        Ok(ConfigRecord::SessionKey(text.to_string()))
    }
}

/// The cluster's configuration as the config topic has it up to [`ConfigState::offset`].
#[derive(Debug, Clone)]
pub struct ConfigState {
    offset: i64,
    connectors: BTreeMap<String, Props>,
    target_states: BTreeMap<String, TargetState>,
    /// Committed task configs. Kept even when the connector's own record has not been read: a
    /// connector rewritten after its tasks sits after them in a compacted topic.
    task_configs: BTreeMap<String, Vec<Props>>,
    /// Task configs read but not yet committed, by connector and task number.
    pending_tasks: BTreeMap<String, BTreeMap<u32, Props>>,
    inconsistent: BTreeSet<String>,
    restart_requests: Vec<(String, RestartRequest)>,
    logger_levels: Vec<(String, String)>,
    session_key: Option<String>,
}

impl Default for ConfigState {
    fn default() -> Self {
        ConfigState {
            offset: -1,
            connectors: BTreeMap::new(),
            target_states: BTreeMap::new(),
            task_configs: BTreeMap::new(),
            pending_tasks: BTreeMap::new(),
            inconsistent: BTreeSet::new(),
            restart_requests: Vec::new(),
            logger_levels: Vec::new(),
            session_key: None,
        }
    }
}

impl ConfigState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds the record read at `offset`; records must come in topic order.
    pub fn apply(&mut self, offset: i64, record: ConfigRecord) {
        self.offset = offset;
        match record {
            ConfigRecord::Connector { name, props: None } => self.delete(&name),
            ConfigRecord::Connector {
                name,
                props: Some(props),
            } => {
                self.connectors.insert(name, props);
            }
            ConfigRecord::Task { id, props } => {
                if let Some(props) = props {
                    let pending = self.pending_tasks.entry(id.connector).or_default();
                    pending.insert(id.task, props);
                }
            }
            ConfigRecord::Commit { connector, tasks } => self.commit(connector, tasks),
            ConfigRecord::TargetState { connector, state } => match state {
                Some(state) => {
                    // Kept even before the connector exists: a connector created paused or
                    // stopped has its target state written first.
                    self.target_states.insert(connector, state);
                }
                None => {
                    self.target_states.remove(&connector);
                }
            },
            ConfigRecord::Restart { connector, request } => {
                self.restart_requests.push((connector, request));
            }
            ConfigRecord::LoggerLevel { namespace, level } => {
                self.logger_levels.push((namespace, level));
            }
            ConfigRecord::SessionKey(json) => self.session_key = Some(json),
            ConfigRecord::Unknown(_) => {}
        }
    }

    /// Parses and folds a raw record. A record that cannot be parsed still advances the offset,
    /// so every worker reaches the same offset for the same topic; the error is for the log.
    pub fn read(
        &mut self,
        offset: i64,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), ConfigLogError> {
        match ConfigRecord::parse(key, value) {
            Ok(record) => {
                self.apply(offset, record);
                Ok(())
            }
            Err(e) => {
                self.offset = offset;
                Err(e)
            }
        }
    }

    fn delete(&mut self, name: &str) {
        self.connectors.remove(name);
        self.task_configs.remove(name);
        self.target_states.remove(name);
        self.pending_tasks.remove(name);
        self.inconsistent.remove(name);
        self.restart_requests
            .retain(|(connector, _)| connector != name);
    }

    /// Tasks `0..tasks` become the connector's configs, each from the buffer or else from the
    /// configs committed before. Any still missing was compacted away: the connector is then
    /// inconsistent until the leader writes a full set again. The buffer is emptied either way,
    /// so a later commit only uses configs written after this one.
    fn commit(&mut self, connector: String, tasks: u32) {
        let pending = self.pending_tasks.remove(&connector).unwrap_or_default();
        let committed = self.task_configs.get(&connector);
        // Not preallocated: `tasks` comes from the topic and may be absurd.
        let mut configs = Vec::new();
        for n in 0..tasks {
            let config = pending
                .get(&n)
                .or_else(|| committed.and_then(|c| c.get(n as usize)));
            match config {
                Some(config) => configs.push(config.clone()),
                None => {
                    self.inconsistent.insert(connector);
                    return;
                }
            }
        }
        self.inconsistent.remove(&connector);
        self.task_configs.insert(connector, configs);
    }

    /// The offset of the last record read; -1 before any.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The config offset a worker puts in its join metadata: the next offset to read, as Kafka
    /// Connect workers count it, or -1 before any record, so both kinds of workers agree.
    pub fn join_offset(&self) -> i64 {
        if self.offset < 0 { -1 } else { self.offset + 1 }
    }

    pub fn connectors(&self) -> &BTreeMap<String, Props> {
        &self.connectors
    }

    pub fn connector(&self, name: &str) -> Option<&Props> {
        self.connectors.get(name)
    }

    /// STARTED unless a target state was written.
    pub fn target_state(&self, connector: &str) -> TargetState {
        self.target_states
            .get(connector)
            .copied()
            .unwrap_or(TargetState::Started)
    }

    /// The committed task configs, by task number; `None` when none were committed or the
    /// connector is inconsistent, so no worker runs tasks from a mix of generations.
    pub fn task_configs(&self, connector: &str) -> Option<&[Props]> {
        if self.is_inconsistent(connector) {
            return None;
        }
        self.task_configs.get(connector).map(Vec::as_slice)
    }

    pub fn task_config(&self, id: &TaskId) -> Option<&Props> {
        self.task_configs(&id.connector)?.get(id.task as usize)
    }

    /// Whether task configs were read and wait for a commit.
    pub fn has_pending_tasks(&self, connector: &str) -> bool {
        self.pending_tasks.contains_key(connector)
    }

    /// Whether the leader must regenerate the connector's task configs.
    pub fn is_inconsistent(&self, connector: &str) -> bool {
        self.inconsistent.contains(connector)
    }

    pub fn inconsistent_connectors(&self) -> impl Iterator<Item = &str> {
        self.inconsistent.iter().map(String::as_str)
    }

    /// The restart requests read since the last call, oldest first. Those read while catching
    /// up at startup are history, not requests: the herder drains and drops them then.
    pub fn take_restart_requests(&mut self) -> Vec<(String, RestartRequest)> {
        std::mem::take(&mut self.restart_requests)
    }

    /// The cluster log levels `(namespace, level)` read since the last call, oldest first; like
    /// restart requests, those read at startup are dropped.
    pub fn take_logger_levels(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.logger_levels)
    }

    /// The newest session key, as the JSON written.
    pub fn session_key(&self) -> Option<&str> {
        self.session_key.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn task(connector: &str, task: u32) -> TaskId {
        TaskId {
            connector: connector.to_string(),
            task,
        }
    }

    /// Encodes, checks the bytes, and parses them back into the same record.
    fn round_trip(record: ConfigRecord, key: &str, json: Option<&str>) {
        let (k, v) = record.encode();
        assert_eq!(k, key);
        assert_eq!(v.as_deref(), json.map(str::as_bytes));
        let parsed = ConfigRecord::parse(&k, v.as_deref()).expect("parses");
        assert_eq!(parsed, record);
    }

    #[test]
    fn every_record_kind_round_trips_with_kafka_connect_json() {
        round_trip(
            ConfigRecord::Connector {
                name: "c".into(),
                props: Some(props(&[("name", "c")])),
            },
            "connector-c",
            Some(r#"{"properties":{"name":"c"}}"#),
        );
        round_trip(
            ConfigRecord::Connector {
                name: "c".into(),
                props: None,
            },
            "connector-c",
            None,
        );
        round_trip(
            ConfigRecord::Task {
                id: task("my-conn", 0),
                props: Some(props(&[("file", "/tmp/x"), ("task.class", "T")])),
            },
            "task-my-conn-0",
            Some(r#"{"properties":{"file":"/tmp/x","task.class":"T"}}"#),
        );
        round_trip(
            ConfigRecord::Commit {
                connector: "my-conn".into(),
                tasks: 2,
            },
            "commit-my-conn",
            Some(r#"{"tasks":2}"#),
        );
        round_trip(
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: Some(TargetState::Stopped),
            },
            "target-state-c",
            Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
        );
        round_trip(
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: Some(TargetState::Started),
            },
            "target-state-c",
            Some(r#"{"state":"STARTED","state.v2":"STARTED"}"#),
        );
        round_trip(
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: Some(TargetState::Paused),
            },
            "target-state-c",
            Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#),
        );
        round_trip(
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: None,
            },
            "target-state-c",
            None,
        );
        round_trip(
            ConfigRecord::Restart {
                connector: "c".into(),
                request: RestartRequest {
                    include_tasks: true,
                    only_failed: false,
                },
            },
            "restart-connector-c",
            Some(r#"{"include-tasks":true,"only-failed":false}"#),
        );
        round_trip(
            ConfigRecord::LoggerLevel {
                namespace: "org.example".into(),
                level: "DEBUG".into(),
            },
            "logger-cluster-org.example",
            Some(r#"{"level":"DEBUG"}"#),
        );
        let key =
            r#"{"key":"c2VjcmV0","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#;
        round_trip(
            ConfigRecord::SessionKey(key.into()),
            "session-key",
            Some(key),
        );
    }

    #[test]
    fn connector_names_with_dashes() {
        let parsed = ConfigRecord::parse("task-my-dashed-conn-12", Some(br#"{"properties":{}}"#));
        assert_eq!(
            parsed.expect("parses"),
            ConfigRecord::Task {
                id: task("my-dashed-conn", 12),
                props: Some(Props::new()),
            }
        );
        // A name ending in what looks like a task number keeps it.
        let (key, _) = ConfigRecord::Task {
            id: task("x-1", 0),
            props: None,
        }
        .encode();
        assert_eq!(key, "task-x-1-0");
        assert!(matches!(
            ConfigRecord::parse(&key, None),
            Ok(ConfigRecord::Task { id, .. }) if id == task("x-1", 0)
        ));
        assert!(matches!(
            ConfigRecord::parse("commit-a-b-c", Some(br#"{"tasks":0}"#)),
            Ok(ConfigRecord::Commit { connector, tasks: 0 }) if connector == "a-b-c"
        ));
        assert!(matches!(
            ConfigRecord::parse("restart-connector-a-b", Some(b"{}")),
            Ok(ConfigRecord::Restart { connector, request }) if connector == "a-b"
                && request == RestartRequest::default()
        ));
    }

    #[test]
    fn malformed_keys_and_values_are_errors() {
        for key in [
            "task-foo",
            "task-foo-",
            "task--1",
            "task-foo-+1",
            "connector-",
        ] {
            assert!(
                matches!(
                    ConfigRecord::parse(key, Some(br#"{"properties":{}}"#)),
                    Err(ConfigLogError::InvalidKey { .. })
                ),
                "{key}"
            );
        }
        let bad = |key: &str, value: Option<&[u8]>| ConfigRecord::parse(key, value).is_err();
        assert!(bad("connector-c", Some(b"not json")));
        assert!(bad("connector-c", Some(b"[1]")));
        assert!(bad("connector-c", Some(br#"{"properties":{"a":[1]}}"#)));
        assert!(bad("commit-c", None));
        assert!(bad("commit-c", Some(br#"{"tasks":-1}"#)));
        assert!(bad("commit-c", Some(br#"{"tasks":"2"}"#)));
        assert!(bad("target-state-c", Some(br#"{"state.v2":"DANCING"}"#)));
        assert!(bad("logger-cluster-x", Some(br#"{"level":3}"#)));
        assert!(bad("session-key", Some(b"{")));
    }

    #[test]
    fn unknown_keys_are_reported_as_such() {
        assert_eq!(
            ConfigRecord::parse("tasks-fencing-c", Some(br#"{"task-count":1}"#)).expect("parses"),
            ConfigRecord::Unknown("tasks-fencing-c".into())
        );
    }

    #[test]
    fn kafka_connect_property_values_become_strings() {
        let value =
            br#"{"properties":{"name":"c","tasks.max":3,"ratio":1.5,"flag":true,"gone":null}}"#;
        let parsed = ConfigRecord::parse("connector-c", Some(value)).expect("parses");
        let expected = props(&[
            ("name", "c"),
            ("tasks.max", "3"),
            ("ratio", "1.5"),
            ("flag", "true"),
        ]);
        assert_eq!(
            parsed,
            ConfigRecord::Connector {
                name: "c".into(),
                props: Some(expected),
            }
        );
    }

    #[test]
    fn target_state_falls_back_on_the_older_field() {
        let parse = |json: &[u8]| match ConfigRecord::parse("target-state-c", Some(json)) {
            Ok(ConfigRecord::TargetState { state, .. }) => state,
            other => panic!("{other:?}"),
        };
        assert_eq!(parse(br#"{"state":"PAUSED"}"#), Some(TargetState::Paused));
        assert_eq!(
            parse(br#"{"state":"PAUSED","state.v2":5}"#),
            Some(TargetState::Paused)
        );
    }

    /// Applies records at consecutive offsets from 0.
    fn fold(records: Vec<ConfigRecord>) -> ConfigState {
        let mut state = ConfigState::new();
        for (offset, record) in records.into_iter().enumerate() {
            state.apply(offset as i64, record);
        }
        state
    }

    fn connector(name: &str) -> ConfigRecord {
        ConfigRecord::Connector {
            name: name.into(),
            props: Some(props(&[("name", name)])),
        }
    }

    fn task_record(connector: &str, n: u32, generation: &str) -> ConfigRecord {
        ConfigRecord::Task {
            id: task(connector, n),
            props: Some(props(&[("generation", generation)])),
        }
    }

    fn commit(connector: &str, tasks: u32) -> ConfigRecord {
        ConfigRecord::Commit {
            connector: connector.into(),
            tasks,
        }
    }

    fn generations(state: &ConfigState, connector: &str) -> Option<Vec<String>> {
        let configs = state.task_configs(connector)?;
        Some(configs.iter().map(|p| p["generation"].clone()).collect())
    }

    #[test]
    fn empty_state() {
        let state = ConfigState::new();
        assert_eq!(state.offset(), -1);
        assert_eq!(state.join_offset(), -1);
        assert!(state.connectors().is_empty());
        assert_eq!(state.target_state("c"), TargetState::Started);
    }

    #[test]
    fn tasks_apply_only_at_commit() {
        let mut state = fold(vec![connector("c"), task_record("c", 0, "a")]);
        assert_eq!(state.task_configs("c"), None);
        assert!(state.has_pending_tasks("c"));
        state.apply(2, task_record("c", 1, "a"));
        state.apply(3, commit("c", 2));
        assert_eq!(generations(&state, "c"), Some(vec!["a".into(), "a".into()]));
        assert!(!state.has_pending_tasks("c"));
        assert_eq!(
            state.task_config(&task("c", 1)),
            Some(&props(&[("generation", "a")]))
        );
        assert_eq!(state.offset(), 3);
        assert_eq!(state.join_offset(), 4);

        // A new generation stays invisible until its own commit.
        state.apply(4, task_record("c", 0, "b"));
        assert_eq!(generations(&state, "c"), Some(vec!["a".into(), "a".into()]));
    }

    #[test]
    fn commit_with_a_missing_task_is_inconsistent_until_a_full_rewrite() {
        let mut state = fold(vec![
            connector("c"),
            task_record("c", 0, "a"),
            commit("c", 2),
        ]);
        assert!(state.is_inconsistent("c"));
        assert_eq!(state.task_configs("c"), None);
        assert_eq!(state.inconsistent_connectors().collect::<Vec<_>>(), ["c"]);
        // The buffer was emptied: task 0 must be written again.
        state.apply(3, task_record("c", 1, "b"));
        state.apply(4, commit("c", 2));
        assert!(state.is_inconsistent("c"));

        state.apply(5, task_record("c", 0, "c"));
        state.apply(6, task_record("c", 1, "c"));
        state.apply(7, commit("c", 2));
        assert!(!state.is_inconsistent("c"));
        assert_eq!(generations(&state, "c"), Some(vec!["c".into(), "c".into()]));
    }

    #[test]
    fn a_commit_may_reuse_configs_committed_before() {
        let state = fold(vec![
            connector("c"),
            task_record("c", 0, "a"),
            task_record("c", 1, "a"),
            commit("c", 2),
            task_record("c", 1, "b"),
            commit("c", 2),
        ]);
        assert_eq!(generations(&state, "c"), Some(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn commit_applies_exactly_its_task_count() {
        // Going from 3 tasks to 1 leaves the old tasks 1 and 2 in the topic.
        let state = fold(vec![
            connector("c"),
            task_record("c", 1, "a"),
            task_record("c", 2, "a"),
            task_record("c", 0, "b"),
            commit("c", 1),
        ]);
        assert_eq!(generations(&state, "c"), Some(vec!["b".into()]));
        let stopped = fold(vec![connector("c"), commit("c", 0)]);
        assert_eq!(stopped.task_configs("c"), Some(&[][..]));
    }

    #[test]
    fn compacted_topic_with_a_task_lost_before_its_commit() {
        // Written: task-0, task-1, commit(2), then task-0 again before the leader died.
        // Compaction dropped the first task-0, leaving only the newer one after the commit.
        let mut state = fold(vec![
            connector("c"),
            task_record("c", 1, "a"),
            commit("c", 2),
            task_record("c", 0, "b"),
        ]);
        assert!(state.is_inconsistent("c"));
        assert_eq!(state.task_configs("c"), None);
        assert!(state.has_pending_tasks("c"));

        // The leader regenerates the task configs.
        state.apply(4, task_record("c", 0, "c"));
        state.apply(5, task_record("c", 1, "c"));
        state.apply(6, commit("c", 2));
        assert!(!state.is_inconsistent("c"));
        assert_eq!(generations(&state, "c"), Some(vec!["c".into(), "c".into()]));
    }

    #[test]
    fn task_configs_read_before_their_connector_are_kept() {
        // A connector rewritten after its tasks sits after them once compacted.
        let state = fold(vec![
            task_record("c", 0, "a"),
            commit("c", 1),
            connector("c"),
        ]);
        assert_eq!(generations(&state, "c"), Some(vec!["a".into()]));
    }

    #[test]
    fn target_states() {
        let mut state = fold(vec![
            // Created stopped: the target state comes first.
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: Some(TargetState::Stopped),
            },
            connector("c"),
            connector("d"),
        ]);
        assert_eq!(state.target_state("c"), TargetState::Stopped);
        assert_eq!(state.target_state("d"), TargetState::Started);
        state.apply(
            3,
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: None,
            },
        );
        assert_eq!(state.target_state("c"), TargetState::Started);
    }

    #[test]
    fn deletion_removes_everything_about_the_connector() {
        let mut state = fold(vec![
            connector("c"),
            task_record("c", 0, "a"),
            commit("c", 1),
            ConfigRecord::TargetState {
                connector: "c".into(),
                state: Some(TargetState::Paused),
            },
            task_record("c", 0, "b"),
            ConfigRecord::Restart {
                connector: "c".into(),
                request: RestartRequest::default(),
            },
            connector("other"),
        ]);
        let (key, value) = ConfigRecord::Connector {
            name: "c".into(),
            props: None,
        }
        .encode();
        state.read(7, &key, value.as_deref()).expect("reads");
        assert_eq!(state.connector("c"), None);
        assert_eq!(state.task_configs("c"), None);
        assert_eq!(state.target_state("c"), TargetState::Started);
        assert!(!state.has_pending_tasks("c"));
        assert!(state.take_restart_requests().is_empty());
        assert_eq!(state.connectors().keys().collect::<Vec<_>>(), ["other"]);
    }

    #[test]
    fn restart_requests_and_log_levels_are_queued() {
        let restart = |connector: &str, include_tasks| ConfigRecord::Restart {
            connector: connector.into(),
            request: RestartRequest {
                include_tasks,
                only_failed: true,
            },
        };
        let mut state = fold(vec![
            restart("a", true),
            restart("b", false),
            ConfigRecord::LoggerLevel {
                namespace: "sluice".into(),
                level: "WARN".into(),
            },
        ]);
        let requests = state.take_restart_requests();
        assert_eq!(
            requests
                .iter()
                .map(|(c, r)| (c.as_str(), r.include_tasks))
                .collect::<Vec<_>>(),
            [("a", true), ("b", false)]
        );
        assert!(state.take_restart_requests().is_empty());
        assert_eq!(
            state.take_logger_levels(),
            [("sluice".to_string(), "WARN".to_string())]
        );
    }

    #[test]
    fn session_key_and_unknown_records() {
        let mut state = ConfigState::new();
        state
            .read(0, "session-key", Some(br#"{"key":"a"}"#))
            .expect("reads");
        state
            .read(1, "tasks-fencing-c", Some(br#"{"task-count":1}"#))
            .expect("reads");
        assert_eq!(state.session_key(), Some(r#"{"key":"a"}"#));
        assert_eq!(state.offset(), 1);
    }

    #[test]
    fn unreadable_records_still_advance_the_offset() {
        let mut state = fold(vec![connector("c")]);
        assert!(state.read(1, "connector-c", Some(b"garbage")).is_err());
        assert_eq!(state.offset(), 1);
        assert_eq!(state.connector("c"), Some(&props(&[("name", "c")])));
    }
}
