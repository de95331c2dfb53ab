//! The table views of `sluice connectors`: which columns each command shows and how a Kafka
//! Connect response body becomes rows. A value the worker did not send is shown as `-`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::model::{
    ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ExpandedConnector, InstanceState,
};
use super::render::table;

const MISSING: &str = "-";

/// Reads a response body as `T`; the error says what was expected.
pub fn parse<T: DeserializeOwned>(body: &Json, what: &str) -> Result<T, String> {
    T::deserialize(body).map_err(|e| format!("expected {what}: {e}"))
}

/// `list`: NAME, TYPE, STATE, TASKS (`running/total`), CLASS, sorted by name. Reads the expanded
/// form and, from a worker that ignores `expand`, the plain list of names.
pub fn list_table(body: &Json) -> Result<String, String> {
    let rows = match body {
        Json::Array(_) => {
            let mut names: Vec<String> = parse(body, "a list of connector names")?;
            names.sort();
            names
                .into_iter()
                .map(|name| vec![name, dash(), dash(), dash(), dash()])
                .collect()
        }
        _ => list_rows(&parse(body, "a map of connector name to status and info")?),
    };
    Ok(table(&["NAME", "TYPE", "STATE", "TASKS", "CLASS"], &rows))
}

/// One row per connector of the expanded list, in name order.
pub fn list_rows(connectors: &BTreeMap<String, ExpandedConnector>) -> Vec<Vec<String>> {
    connectors
        .iter()
        .map(|(name, entry)| {
            let status = entry.status.as_ref();
            let info = entry.info.as_ref();
            let kind = info
                .and_then(|i| i.kind.clone())
                .or_else(|| status.and_then(|s| s.kind.clone()));
            let state = status.map(|s| s.connector.state.clone());
            let tasks = status.map(|s| {
                let running = s.tasks.iter().filter(|t| t.state == "RUNNING").count();
                format!("{running}/{}", s.tasks.len())
            });
            let class = info.and_then(|i| i.config.get("connector.class").map(config_text));
            vec![
                name.clone(),
                or_dash(kind),
                or_dash(state),
                or_dash(tasks),
                or_dash(class),
            ]
        })
        .collect()
}

/// `get`: the connector's name, type and task count, then its config as KEY VALUE rows.
pub fn info_table(info: &ConnectorInfo) -> String {
    let summary = table(
        &["NAME", "TYPE", "TASKS"],
        &[vec![
            info.name.clone(),
            or_dash(info.kind.clone()),
            info.tasks.len().to_string(),
        ]],
    );
    let config: Vec<Vec<String>> = info
        .config
        .iter()
        .map(|(key, value)| vec![key.clone(), config_text(value)])
        .collect();
    format!("{summary}\n{}", table(&["KEY", "VALUE"], &config))
}

/// `status` and a 202 restart: the connector, then its tasks by id.
pub fn status_table(status: &ConnectorStateInfo) -> String {
    table(&["ID", "STATE", "WORKER", "TRACE"], &status_rows(status))
}

/// The connector's row (ID `connector`), then one row per task in id order; only the first line
/// of a trace is shown, since a stack trace would break the table.
pub fn status_rows(status: &ConnectorStateInfo) -> Vec<Vec<String>> {
    let mut tasks: Vec<_> = status.tasks.iter().collect();
    tasks.sort_by_key(|t| t.id);
    let connector = state_row("connector".to_string(), &status.connector);
    let tasks = tasks.into_iter().map(|t| {
        state_row(
            t.id.to_string(),
            &InstanceState {
                state: t.state.clone(),
                worker_id: t.worker_id.clone(),
                trace: t.trace.clone(),
            },
        )
    });
    std::iter::once(connector).chain(tasks).collect()
}

fn state_row(id: String, state: &InstanceState) -> Vec<String> {
    let trace = state
        .trace
        .as_deref()
        .and_then(|t| t.lines().next())
        .unwrap_or("")
        .trim_end()
        .to_string();
    vec![
        id,
        state.state.clone(),
        or_dash(state.worker_id.clone()),
        trace,
    ]
}

/// `offsets`: PARTITION and OFFSET, each as compact JSON, in the worker's order.
pub fn offsets_table(offsets: &ConnectorOffsets) -> String {
    table(&["PARTITION", "OFFSET"], &offsets_rows(offsets))
}

/// One row per partition.
pub fn offsets_rows(offsets: &ConnectorOffsets) -> Vec<Vec<String>> {
    offsets
        .offsets
        .iter()
        .map(|o| vec![o.partition.to_string(), o.offset.to_string()])
        .collect()
}

/// The `message` of an offsets reset or alter answer, else the body as compact JSON.
pub fn message_of(body: &Json) -> String {
    match body.get("message") {
        Some(Json::String(message)) => message.clone(),
        _ => body.to_string(),
    }
}

/// A config value as text: strings as written, anything else as compact JSON.
fn config_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(dash)
}

fn dash() -> String {
    MISSING.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    /// `GET /connectors?expand=status&expand=info` as Kafka Connect answers it.
    fn expanded_list() -> Json {
        json!({
            "pg-sink": {
                "status": {
                    "name": "pg-sink",
                    "connector": {"state": "RUNNING", "worker_id": "10.0.0.2:8083"},
                    "tasks": [
                        {"id": 0, "state": "RUNNING", "worker_id": "10.0.0.2:8083"},
                        {"id": 1, "state": "FAILED", "worker_id": "10.0.0.3:8083",
                         "trace": "org.apache.kafka.connect.errors.ConnectException: boom\n\tat X"}
                    ],
                    "type": "sink"
                },
                "info": {
                    "name": "pg-sink",
                    "config": {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                               "tasks.max": "2", "name": "pg-sink"},
                    "tasks": [{"connector": "pg-sink", "task": 0}, {"connector": "pg-sink", "task": 1}],
                    "type": "sink"
                }
            },
            "file-source": {
                "status": {
                    "name": "file-source",
                    "connector": {"state": "PAUSED", "worker_id": "10.0.0.2:8083"},
                    "tasks": [{"id": 0, "state": "PAUSED", "worker_id": "10.0.0.2:8083"}],
                    "type": "source"
                },
                "info": {
                    "name": "file-source",
                    "config": {"connector.class": "FileStreamSource", "name": "file-source"},
                    "tasks": [{"connector": "file-source", "task": 0}],
                    "type": "source"
                }
            }
        })
    }

    #[test]
    fn list_rows_count_running_tasks_and_sort_by_name() {
        let connectors = parse(&expanded_list(), "list").unwrap();
        assert_eq!(
            list_rows(&connectors),
            vec![
                row(&["file-source", "source", "PAUSED", "0/1", "FileStreamSource"]),
                row(&[
                    "pg-sink",
                    "sink",
                    "RUNNING",
                    "1/2",
                    "io.confluent.connect.jdbc.JdbcSinkConnector"
                ]),
            ]
        );
    }

    #[test]
    fn list_table_has_the_documented_columns() {
        let out = list_table(&expanded_list()).unwrap();
        let mut lines = out.lines();
        assert_eq!(
            lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
            ["NAME", "TYPE", "STATE", "TASKS", "CLASS"]
        );
        assert!(lines.next().unwrap().starts_with("file-source  source"));
    }

    #[test]
    fn list_tolerates_missing_status_or_info_and_empty_lists() {
        let body =
            json!({"new": {"info": {"name": "new", "config": {}, "tasks": [], "type": "source"}}});
        assert_eq!(
            list_rows(&parse(&body, "list").unwrap()),
            vec![row(&["new", "source", "-", "-", "-"])]
        );
        assert_eq!(
            list_table(&json!({})).unwrap(),
            "NAME  TYPE  STATE  TASKS  CLASS\n"
        );
    }

    #[test]
    fn list_reads_plain_names_from_a_worker_without_expand() {
        let out = list_table(&json!(["b", "a"])).unwrap();
        assert_eq!(
            out,
            "NAME  TYPE  STATE  TASKS  CLASS\na     -     -      -      -\nb     -     -      -      -\n"
        );
    }

    #[test]
    fn list_rejects_bodies_of_another_shape() {
        let err = list_table(&json!({"x": {"status": 3}})).unwrap_err();
        assert!(err.starts_with("expected a map of connector name"), "{err}");
    }

    #[test]
    fn status_rows_show_connector_then_tasks_by_id_with_first_trace_line() {
        // Tasks deliberately out of order; the second uses the `msg` alias Kafka Connect accepts.
        let body = json!({
            "name": "pg-sink",
            "connector": {"state": "RUNNING", "worker_id": "w1:8083"},
            "tasks": [
                {"id": 1, "state": "FAILED", "worker_id": "w2:8083",
                 "trace": "org.apache.kafka.connect.errors.ConnectException: boom\n\tat a.b(C.java:1)\n"},
                {"id": 0, "state": "RUNNING", "worker_id": "w1:8083"},
                {"id": 2, "state": "UNASSIGNED", "worker_id": "w3:8083", "msg": "waiting"}
            ],
            "type": "sink"
        });
        let status: ConnectorStateInfo = parse(&body, "status").unwrap();
        assert_eq!(
            status_rows(&status),
            vec![
                row(&["connector", "RUNNING", "w1:8083", ""]),
                row(&["0", "RUNNING", "w1:8083", ""]),
                row(&[
                    "1",
                    "FAILED",
                    "w2:8083",
                    "org.apache.kafka.connect.errors.ConnectException: boom"
                ]),
                row(&["2", "UNASSIGNED", "w3:8083", "waiting"]),
            ]
        );
    }

    #[test]
    fn status_table_of_the_documented_example() {
        let body = json!({"name":"file-source","connector":{"state":"RUNNING","worker_id":"192.168.1.208:8083"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"192.168.1.209:8083"}]});
        let status: ConnectorStateInfo = parse(&body, "status").unwrap();
        assert_eq!(
            status_table(&status),
            "ID         STATE    WORKER              TRACE\n\
             connector  RUNNING  192.168.1.208:8083\n\
             0          RUNNING  192.168.1.209:8083\n"
        );
    }

    #[test]
    fn info_table_shows_summary_then_sorted_config() {
        let body = json!({
            "name": "file-source",
            "config": {"topic": "lines", "connector.class": "FileStreamSource", "tasks.max": 1},
            "tasks": [{"connector": "file-source", "task": 0}],
            "type": "source"
        });
        let info: ConnectorInfo = parse(&body, "info").unwrap();
        assert_eq!(
            info_table(&info),
            "NAME         TYPE    TASKS\n\
             file-source  source  1\n\
             \n\
             KEY              VALUE\n\
             connector.class  FileStreamSource\n\
             tasks.max        1\n\
             topic            lines\n"
        );
    }

    #[test]
    fn offsets_rows_are_compact_json() {
        let body = json!({"offsets": [
            {"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 42}},
            {"partition": {"kafka_partition": 3, "kafka_topic": "t"}, "offset": {"kafka_offset": 7}}
        ]});
        let offsets: ConnectorOffsets = parse(&body, "offsets").unwrap();
        assert_eq!(
            offsets_rows(&offsets),
            vec![
                row(&[r#"{"filename":"/tmp/in.txt"}"#, r#"{"position":42}"#]),
                row(&[
                    r#"{"kafka_partition":3,"kafka_topic":"t"}"#,
                    r#"{"kafka_offset":7}"#
                ]),
            ]
        );
        assert_eq!(
            offsets_table(&parse(&json!({"offsets": []}), "offsets").unwrap()),
            "PARTITION  OFFSET\n"
        );
    }

    #[test]
    fn message_of_reads_the_offsets_answer() {
        let body =
            json!({"message": "The offsets for this connector have been reset successfully"});
        assert_eq!(
            message_of(&body),
            "The offsets for this connector have been reset successfully"
        );
        assert_eq!(message_of(&json!({"other": 1})), r#"{"other":1}"#);
    }
}
