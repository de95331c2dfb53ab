//! The status topic: how Sluice encodes the states of connectors and tasks and the topics each
//! connector uses, and how a worker folds the topic into the cluster's current statuses.
//!
//! Values are JSON exactly as Kafka Connect's JsonConverter writes them with schemas disabled,
//! so Sluice and Kafka Connect clusters can read each other's status topics.
//!
//! Every status carries the group generation its writer had joined. After a rebalance, a worker
//! that has not yet learned it lost a task may still report on it; its write, from an older
//! generation than the new owner's, is dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::worker::status::{State, TaskId};

const CONNECTOR_PREFIX: &str = "status-connector-";
const TASK_PREFIX: &str = "status-task-";
const TOPIC_PREFIX: &str = "status-topic-";
const TOPIC_SEPARATOR: &str = ":connector-";

/// Why a status topic record could not be read. The caller logs it and moves on.
#[derive(Debug, thiserror::Error)]
pub enum StatusLogError {
    #[error("status record `{key}`: malformed key")]
    InvalidKey { key: String },
    #[error("status record `{key}`: cannot decode the value: {source}")]
    Json {
        key: String,
        source: serde_json::Error,
    },
}

/// A connector's or task's status as one worker reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    /// The reporting worker, as `host:port`.
    pub worker_id: String,
    /// The group generation the worker had joined when it reported.
    pub generation: i32,
}

/// When and by which task a connector was first seen using a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicStatus {
    pub task: u32,
    /// Milliseconds since the epoch.
    pub discover_timestamp: i64,
}

/// One record of the status topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRecord {
    /// `status-connector-<name>`; `None` removes the connector's status and its tasks'.
    Connector {
        name: String,
        status: Option<Status>,
    },
    /// `status-task-<name>-<n>`; `None` removes the task's status.
    Task { id: TaskId, status: Option<Status> },
    /// `status-topic-<topic>:connector-<name>`: the connector uses the topic.
    Topic {
        connector: String,
        topic: String,
        task: u32,
        discover_timestamp: i64,
    },
    /// The tombstone of a topic record, written when a connector's active topics are reset.
    TopicRemoved { connector: String, topic: String },
    /// A key Sluice does not know; the caller logs and skips it. Encoding one yields a
    /// tombstone, since its value was not kept.
    Unknown(String),
}

#[derive(Serialize)]
struct StatusOut<'a> {
    state: &'a str,
    trace: Option<&'a str>,
    worker_id: &'a str,
    generation: i32,
}

#[derive(Deserialize)]
struct StatusIn {
    state: String,
    /// Written as null when there is none; a missing field reads as none too.
    #[serde(default)]
    trace: Option<String>,
    worker_id: String,
    generation: i32,
}

#[derive(Serialize)]
struct TopicOut<'a> {
    topic: TopicFieldsOut<'a>,
}

#[derive(Serialize)]
struct TopicFieldsOut<'a> {
    name: &'a str,
    connector: &'a str,
    task: u32,
    #[serde(rename = "discoverTimestamp")]
    discover_timestamp: i64,
}

/// The key names the topic and connector already; the value's copies are not read.
#[derive(Deserialize)]
struct TopicIn {
    topic: TopicFieldsIn,
}

#[derive(Deserialize)]
struct TopicFieldsIn {
    task: u32,
    #[serde(rename = "discoverTimestamp")]
    discover_timestamp: i64,
}

impl StatusRecord {
    /// Parses a record read from the status topic; `value` is `None` for a tombstone.
    pub fn parse(key: &str, value: Option<&[u8]>) -> Result<StatusRecord, StatusLogError> {
        let invalid_key = || StatusLogError::InvalidKey {
            key: key.to_string(),
        };
        if let Some(name) = key.strip_prefix(CONNECTOR_PREFIX) {
            if name.is_empty() {
                return Err(invalid_key());
            }
            return Ok(StatusRecord::Connector {
                name: name.to_string(),
                status: parse_status(key, value)?,
            });
        }
        if let Some(rest) = key.strip_prefix(TASK_PREFIX) {
            let id = TaskId::parse(rest).ok_or_else(invalid_key)?;
            return Ok(StatusRecord::Task {
                id,
                status: parse_status(key, value)?,
            });
        }
        if let Some(rest) = key.strip_prefix(TOPIC_PREFIX) {
            // Topic names cannot contain ':', so the first separator ends the topic.
            let (topic, connector) = rest.split_once(TOPIC_SEPARATOR).ok_or_else(invalid_key)?;
            if topic.is_empty() || connector.is_empty() {
                return Err(invalid_key());
            }
            let (topic, connector) = (topic.to_string(), connector.to_string());
            let Some(bytes) = value else {
                return Ok(StatusRecord::TopicRemoved { connector, topic });
            };
            let parsed: TopicIn = decode(key, bytes)?;
            return Ok(StatusRecord::Topic {
                connector,
                topic,
                task: parsed.topic.task,
                discover_timestamp: parsed.topic.discover_timestamp,
            });
        }
        Ok(StatusRecord::Unknown(key.to_string()))
    }

    /// The record's key in the status topic.
    pub fn key(&self) -> String {
        match self {
            StatusRecord::Connector { name, .. } => format!("{CONNECTOR_PREFIX}{name}"),
            StatusRecord::Task { id, .. } => format!("{TASK_PREFIX}{}-{}", id.connector, id.task),
            StatusRecord::Topic {
                connector, topic, ..
            }
            | StatusRecord::TopicRemoved { connector, topic } => {
                format!("{TOPIC_PREFIX}{topic}{TOPIC_SEPARATOR}{connector}")
            }
            StatusRecord::Unknown(key) => key.clone(),
        }
    }

    /// The record as written to the status topic: key and value, `None` being a tombstone.
    pub fn encode(&self) -> (String, Option<Vec<u8>>) {
        let value = match self {
            StatusRecord::Connector { status, .. } | StatusRecord::Task { status, .. } => {
                status.as_ref().map(|s| {
                    to_json(&StatusOut {
                        state: s.state.as_str(),
                        trace: s.trace.as_deref(),
                        worker_id: &s.worker_id,
                        generation: s.generation,
                    })
                })
            }
            StatusRecord::Topic {
                connector,
                topic,
                task,
                discover_timestamp,
            } => Some(to_json(&TopicOut {
                topic: TopicFieldsOut {
                    name: topic,
                    connector,
                    task: *task,
                    discover_timestamp: *discover_timestamp,
                },
            })),
            StatusRecord::TopicRemoved { .. } | StatusRecord::Unknown(_) => None,
        };
        (self.key(), value)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // These are plain structs of strings and numbers: serializing cannot fail.
    serde_json::to_vec(value).expect("status values always serialize")
}

fn decode<T: for<'de> Deserialize<'de>>(key: &str, bytes: &[u8]) -> Result<T, StatusLogError> {
    serde_json::from_slice(bytes).map_err(|source| StatusLogError::Json {
        key: key.to_string(),
        source,
    })
}

/// A status value; a tombstone, or a state Sluice does not show (Kafka Connect writes DESTROYED
/// for deleted connectors and tasks), is a removal.
fn parse_status(key: &str, value: Option<&[u8]>) -> Result<Option<Status>, StatusLogError> {
    let Some(bytes) = value else {
        return Ok(None);
    };
    let parsed: StatusIn = decode(key, bytes)?;
    Ok(parse_state(&parsed.state).map(|state| Status {
        state,
        trace: parsed.trace,
        worker_id: parsed.worker_id,
        generation: parsed.generation,
    }))
}

fn parse_state(name: &str) -> Option<State> {
    let state = match name {
        "UNASSIGNED" => State::Unassigned,
        "RUNNING" => State::Running,
        "PAUSED" => State::Paused,
        "FAILED" => State::Failed,
        "RESTARTING" => State::Restarting,
        "STOPPED" => State::Stopped,
        _ => return None,
    };
    Some(state)
}

/// Whether `new` may replace `held`: anything replaces nothing, a worker may always update its
/// own report, and another worker must have joined at least the same generation.
fn supersedes(held: Option<&Status>, new: &Status) -> bool {
    held.is_none_or(|held| held.worker_id == new.worker_id || held.generation <= new.generation)
}

/// The cluster's statuses as the status topic has them.
#[derive(Debug, Clone, Default)]
pub struct StatusState {
    connectors: BTreeMap<String, Status>,
    /// By connector, then task number.
    tasks: BTreeMap<String, BTreeMap<u32, Status>>,
    /// By connector, then topic.
    topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
}

impl StatusState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the record would be dropped as a stale write from a fenced worker. A worker
    /// writing a status checks this first, so it does not overwrite a newer owner's report.
    pub fn is_stale(&self, record: &StatusRecord) -> bool {
        match record {
            StatusRecord::Connector {
                name,
                status: Some(status),
            } => !supersedes(self.connectors.get(name), status),
            StatusRecord::Task {
                id,
                status: Some(status),
            } => !supersedes(self.task(id), status),
            _ => false,
        }
    }

    /// Folds a record read from the topic; false when it was dropped as stale.
    pub fn apply(&mut self, record: StatusRecord) -> bool {
        if self.is_stale(&record) {
            return false;
        }
        match record {
            StatusRecord::Connector { name, status } => match status {
                Some(status) => {
                    self.connectors.insert(name, status);
                }
                None => {
                    self.connectors.remove(&name);
                    self.tasks.remove(&name);
                }
            },
            StatusRecord::Task { id, status } => match status {
                Some(status) => {
                    let tasks = self.tasks.entry(id.connector).or_default();
                    tasks.insert(id.task, status);
                }
                None => {
                    if let Some(tasks) = self.tasks.get_mut(&id.connector) {
                        tasks.remove(&id.task);
                        if tasks.is_empty() {
                            self.tasks.remove(&id.connector);
                        }
                    }
                }
            },
            StatusRecord::Topic {
                connector,
                topic,
                task,
                discover_timestamp,
            } => {
                let topics = self.topics.entry(connector).or_default();
                topics.insert(
                    topic,
                    TopicStatus {
                        task,
                        discover_timestamp,
                    },
                );
            }
            StatusRecord::TopicRemoved { connector, topic } => {
                if let Some(topics) = self.topics.get_mut(&connector) {
                    topics.remove(&topic);
                    if topics.is_empty() {
                        self.topics.remove(&connector);
                    }
                }
            }
            StatusRecord::Unknown(_) => {}
        }
        true
    }

    /// Parses and folds a raw record; the error is for the log.
    pub fn read(&mut self, key: &str, value: Option<&[u8]>) -> Result<bool, StatusLogError> {
        Ok(self.apply(StatusRecord::parse(key, value)?))
    }

    pub fn connector(&self, name: &str) -> Option<&Status> {
        self.connectors.get(name)
    }

    pub fn task(&self, id: &TaskId) -> Option<&Status> {
        self.tasks.get(&id.connector)?.get(&id.task)
    }

    /// The statuses of a connector's tasks, by task number.
    pub fn tasks_of(&self, connector: &str) -> Vec<(u32, &Status)> {
        self.tasks
            .get(connector)
            .map(|tasks| tasks.iter().map(|(n, s)| (*n, s)).collect())
            .unwrap_or_default()
    }

    /// The topics the connector has used since they were last reset, sorted.
    pub fn active_topics(&self, connector: &str) -> Vec<&str> {
        self.topics
            .get(connector)
            .map(|topics| topics.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    pub fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        self.topics.get(connector)?.get(topic).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State, worker_id: &str, generation: i32) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker_id.into(),
            generation,
        }
    }

    fn task(connector: &str, task: u32) -> TaskId {
        TaskId {
            connector: connector.to_string(),
            task,
        }
    }

    fn round_trip(record: StatusRecord, key: &str, json: Option<&str>) {
        let (k, v) = record.encode();
        assert_eq!(k, key);
        assert_eq!(v.as_deref(), json.map(str::as_bytes));
        assert_eq!(
            StatusRecord::parse(&k, v.as_deref()).expect("parses"),
            record
        );
    }

    #[test]
    fn records_round_trip_with_kafka_connect_json() {
        round_trip(
            StatusRecord::Connector {
                name: "c".into(),
                status: Some(status(State::Running, "host:8083", 5)),
            },
            "status-connector-c",
            Some(r#"{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":5}"#),
        );
        round_trip(
            StatusRecord::Task {
                id: task("my-conn", 3),
                status: Some(Status {
                    trace: Some("boom\n\tat here".into()),
                    ..status(State::Failed, "w1:8083", 2)
                }),
            },
            "status-task-my-conn-3",
            Some(
                r#"{"state":"FAILED","trace":"boom\n\tat here","worker_id":"w1:8083","generation":2}"#,
            ),
        );
        round_trip(
            StatusRecord::Task {
                id: task("my-conn", 3),
                status: None,
            },
            "status-task-my-conn-3",
            None,
        );
        round_trip(
            StatusRecord::Topic {
                connector: "my-sink".into(),
                topic: "orders.v1".into(),
                task: 1,
                discover_timestamp: 1_700_000_000_000,
            },
            "status-topic-orders.v1:connector-my-sink",
            Some(
                r#"{"topic":{"name":"orders.v1","connector":"my-sink","task":1,"discoverTimestamp":1700000000000}}"#,
            ),
        );
        round_trip(
            StatusRecord::TopicRemoved {
                connector: "my-sink".into(),
                topic: "orders.v1".into(),
            },
            "status-topic-orders.v1:connector-my-sink",
            None,
        );
        for state in [
            State::Unassigned,
            State::Paused,
            State::Restarting,
            State::Stopped,
        ] {
            let record = StatusRecord::Connector {
                name: "c".into(),
                status: Some(status(state, "w", 0)),
            };
            let (k, v) = record.encode();
            assert_eq!(
                StatusRecord::parse(&k, v.as_deref()).expect("parses"),
                record
            );
        }
    }

    #[test]
    fn missing_trace_and_extra_fields_are_accepted() {
        let parsed = StatusRecord::parse(
            "status-connector-c",
            Some(br#"{"state":"PAUSED","worker_id":"w:1","generation":1,"version":"1.0"}"#),
        );
        assert_eq!(
            parsed.expect("parses"),
            StatusRecord::Connector {
                name: "c".into(),
                status: Some(status(State::Paused, "w:1", 1)),
            }
        );
    }

    #[test]
    fn malformed_keys_and_values_are_errors() {
        for key in [
            "status-task-c",
            "status-task-c-",
            "status-topic-t",
            "status-connector-",
        ] {
            assert!(
                matches!(
                    StatusRecord::parse(key, None),
                    Err(StatusLogError::InvalidKey { .. })
                ),
                "{key}"
            );
        }
        assert!(StatusRecord::parse("status-connector-c", Some(b"{")).is_err());
        assert!(
            StatusRecord::parse("status-connector-c", Some(br#"{"state":"RUNNING"}"#)).is_err()
        );
        assert!(StatusRecord::parse("status-topic-t:connector-c", Some(b"{}")).is_err());
        assert_eq!(
            StatusRecord::parse("something-else", Some(b"x")).expect("parses"),
            StatusRecord::Unknown("something-else".into())
        );
    }

    #[test]
    fn stale_generation_from_another_worker_is_ignored() {
        let mut state = StatusState::new();
        let running = |worker: &str, generation| StatusRecord::Task {
            id: task("c", 0),
            status: Some(status(State::Running, worker, generation)),
        };
        assert!(state.apply(running("b:8083", 6)));
        // The old owner, fenced at generation 5, reports late.
        let late = StatusRecord::Task {
            id: task("c", 0),
            status: Some(status(State::Unassigned, "a:8083", 5)),
        };
        assert!(state.is_stale(&late));
        assert!(!state.apply(late));
        assert_eq!(
            state.task(&task("c", 0)),
            Some(&status(State::Running, "b:8083", 6))
        );
        // Another worker at the same or a newer generation may take over.
        assert!(state.apply(running("a:8083", 6)));
        assert_eq!(
            state.task(&task("c", 0)).map(|s| s.worker_id.as_str()),
            Some("a:8083")
        );

        let connector = |worker: &str, generation| StatusRecord::Connector {
            name: "c".into(),
            status: Some(status(State::Running, worker, generation)),
        };
        assert!(state.apply(connector("b:8083", 9)));
        assert!(!state.apply(connector("a:8083", 8)));
        assert_eq!(state.connector("c").map(|s| s.generation), Some(9));
    }

    #[test]
    fn same_worker_with_a_lower_generation_is_accepted() {
        let mut state = StatusState::new();
        let report = |state: State, generation| StatusRecord::Connector {
            name: "c".into(),
            status: Some(status(state, "a:8083", generation)),
        };
        assert!(state.apply(report(State::Running, 7)));
        assert!(state.apply(report(State::Failed, 2)));
        assert_eq!(
            state.connector("c"),
            Some(&status(State::Failed, "a:8083", 2))
        );
    }

    #[test]
    fn destroyed_and_tombstones_remove() {
        let mut state = StatusState::new();
        for n in 0..2 {
            state.apply(StatusRecord::Task {
                id: task("c-x", n),
                status: Some(status(State::Running, "a", 1)),
            });
        }
        state.apply(StatusRecord::Connector {
            name: "c-x".into(),
            status: Some(status(State::Running, "a", 1)),
        });
        let destroyed = br#"{"state":"DESTROYED","trace":null,"worker_id":"a","generation":1}"#;
        assert!(
            state
                .read("status-task-c-x-1", Some(destroyed))
                .expect("reads")
        );
        assert_eq!(
            state
                .tasks_of("c-x")
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            [0]
        );
        state
            .read("status-connector-c-x", Some(destroyed))
            .expect("reads");
        assert_eq!(state.connector("c-x"), None);
        // A connector's removal takes its tasks with it.
        assert!(state.tasks_of("c-x").is_empty());
    }

    #[test]
    fn topic_records_track_active_topics() {
        let mut state = StatusState::new();
        let used = |topic: &str, task| StatusRecord::Topic {
            connector: "sink".into(),
            topic: topic.into(),
            task,
            discover_timestamp: 10,
        };
        state.apply(used("b", 0));
        state.apply(used("a", 1));
        state.apply(StatusRecord::Topic {
            connector: "other".into(),
            topic: "z".into(),
            task: 0,
            discover_timestamp: 1,
        });
        assert_eq!(state.active_topics("sink"), ["a", "b"]);
        assert_eq!(
            state.topic("sink", "a"),
            Some(TopicStatus {
                task: 1,
                discover_timestamp: 10
            })
        );
        state
            .read("status-topic-a:connector-sink", None)
            .expect("reads");
        assert_eq!(state.active_topics("sink"), ["b"]);
        assert_eq!(state.active_topics("other"), ["z"]);
        assert!(state.active_topics("none").is_empty());
    }
}
