//! The REST API's response bodies, with Kafka Connect's field names. Only what the client shows is
//! read; unknown fields are ignored so a newer worker stays readable.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

/// `ConnectorInfo`: `GET /connectors/{c}`, and the `info` of an expanded list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    /// Kafka Connect sends strings; other JSON is tolerated and shown compactly.
    #[serde(default)]
    pub config: BTreeMap<String, Json>,
    #[serde(default)]
    pub tasks: Vec<TaskId>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `{"connector","task"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskId {
    pub connector: String,
    pub task: i64,
}

/// `ConnectorStateInfo`: `GET /connectors/{c}/status`, a 202 restart, and the `status` of an
/// expanded list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: InstanceState,
    #[serde(default)]
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// The connector's own state.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstanceState {
    pub state: String,
    #[serde(default)]
    pub worker_id: Option<String>,
    /// Kafka Connect emits `trace` and also accepts `msg`.
    #[serde(default, alias = "msg")]
    pub trace: Option<String>,
}

/// One task's state.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskState {
    pub id: i64,
    pub state: String,
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default, alias = "msg")]
    pub trace: Option<String>,
}

/// One entry of `GET /connectors?expand=status&expand=info`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExpandedConnector {
    #[serde(default)]
    pub status: Option<ConnectorStateInfo>,
    #[serde(default)]
    pub info: Option<ConnectorInfo>,
}

/// `GET /connectors/{c}/offsets`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConnectorOffsets {
    #[serde(default)]
    pub offsets: Vec<PartitionOffset>,
}

/// One source partition (or Kafka topic partition for sinks) and its offset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PartitionOffset {
    pub partition: Json,
    pub offset: Json,
}
