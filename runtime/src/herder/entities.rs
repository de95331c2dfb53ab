//! What the herder reports, in the JSON shapes of Kafka Connect's REST entities (field names
//! exactly as Kafka Connect emits them).

use serde::{Deserialize, Serialize};
use sluice_api::{OffsetMap, Props};

/// `{"connector","task"}`: a task's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    pub connector: String,
    pub task: u32,
}

/// ConnectorInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Props,
    pub tasks: Vec<TaskRef>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The connector part of ConnectorStateInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorState {
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// A task in ConnectorStateInfo, and the body of `GET …/tasks/{n}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskState {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// ConnectorStateInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An element of `GET /connectors/{c}/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: TaskRef,
    pub config: Props,
}

/// One partition's offset; `offset: null` in a PATCH resets the partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionOffset {
    pub partition: OffsetMap,
    pub offset: Option<OffsetMap>,
}

/// `{"offsets":[…]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Vec<PartitionOffset>,
}

/// ConfigKeyInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    pub order: i32,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
}

/// ConfigValueInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

/// One element of ConfigInfos' `configs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    pub definition: ConfigKeyInfo,
    pub value: ConfigValueInfo,
}

/// ConfigInfos: the answer of `PUT /connector-plugins/{p}/config/validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}
