//! The herder owns connector configs and target states and drives the worker; the REST API
//! talks only to this trait, so standalone and distributed modes serve the same API.

pub mod configs;
pub mod entities;
pub mod offsets;
pub mod restart;
pub mod standalone;
pub mod store;
pub mod validation;

use async_trait::async_trait;
use sluice_api::Props;

use crate::worker::status::TaskId;
use entities::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, TaskInfo, TaskState,
};

/// What a connector should be doing, as Kafka Connect stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    /// `initial_state` of a create request: RUNNING, PAUSED or STOPPED.
    pub fn from_initial_state(value: &str) -> Option<TargetState> {
        match value.trim().to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// Why a herder request failed, mapped one to one onto Kafka Connect's HTTP errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HerderError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// A conflicting operation (e.g. a rebalance) is in progress; the client may retry.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl HerderError {
    pub fn connector_not_found(name: &str) -> Self {
        HerderError::NotFound(format!("Connector {name} not found"))
    }
}

pub type HerderResult<T> = Result<T, HerderError>;

/// Kafka Connect's answer (409) to a write that reaches a cluster in the middle of a rebalance,
/// when no worker can apply it; the client may retry.
pub const REBALANCE_IN_PROGRESS: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

/// Where this worker serves a request that changes connectors (any non-GET under
/// `/connectors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRoute {
    /// This worker applies it: standalone mode, or the leader of a distributed cluster.
    Here,
    /// The leader at this REST URL applies it; the request is forwarded there.
    Leader(String),
    /// No leader is known (the group is rebalancing): 409 [`REBALANCE_IN_PROGRESS`].
    Rebalancing,
}

/// Refuses topic reads when `topic.tracking.enable` is off.
pub fn check_topic_tracking(enabled: bool) -> HerderResult<()> {
    if enabled {
        Ok(())
    } else {
        Err(HerderError::Forbidden("Topic tracking is disabled.".into()))
    }
}

/// Refuses topic resets when tracking or `topic.tracking.allow.reset` is off.
pub fn check_topic_reset(enabled: bool, allow_reset: bool) -> HerderResult<()> {
    check_topic_tracking(enabled)?;
    if allow_reset {
        Ok(())
    } else {
        Err(HerderError::Forbidden(
            "Topic tracking reset is disabled.".into(),
        ))
    }
}

/// `POST /connectors/{c}/restart` options (KIP-745).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestartRequest {
    pub include_tasks: bool,
    pub only_failed: bool,
}

/// Whether a config write created the connector or replaced its config.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub created: bool,
    pub info: ConnectorInfo,
}

#[async_trait]
pub trait Herder: Send + Sync {
    /// This worker's id, as status reports show it (`host:port`).
    fn worker_id(&self) -> &str;
    /// False while the worker is still starting up.
    fn is_ready(&self) -> bool;
    /// Where connector writes are applied; a single worker applies them itself.
    fn write_route(&self) -> WriteRoute {
        WriteRoute::Here
    }

    async fn connectors(&self) -> Vec<String>;
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo>;
    /// The config as stored: provider references kept, passwords masked.
    async fn connector_config(&self, name: &str) -> HerderResult<Props>;
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo>;
    async fn task_status(&self, id: &TaskId) -> HerderResult<TaskState>;
    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>>;

    /// Creates a connector (`allow_replace` false: 409 if it exists) or replaces its config.
    async fn put_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Written>;
    /// Applies a KIP-477 patch: a `None` value removes the key.
    async fn patch_connector(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> HerderResult<ConnectorInfo>;
    async fn delete_connector(&self, name: &str) -> HerderResult<()>;
    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()>;
    /// Restarts the connector (and tasks, as asked); the status afterwards when tasks were
    /// included or only failed instances were asked for, else `None`.
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>>;
    async fn restart_task(&self, id: &TaskId) -> HerderResult<()>;
    /// Stores the task configs a connector generated on another worker of the cluster (the
    /// internal `POST /connectors/{c}/tasks` of Kafka Connect); only a distributed leader
    /// accepts them.
    async fn put_task_configs(&self, name: &str, configs: Vec<Props>) -> HerderResult<()> {
        let _ = configs;
        Err(HerderError::Forbidden(format!(
            "Task configs of {name} are written by the leader of a distributed cluster only"
        )))
    }

    async fn offsets(&self, name: &str) -> HerderResult<ConnectorOffsets>;
    /// Returns the success message.
    async fn alter_offsets(&self, name: &str, offsets: ConnectorOffsets) -> HerderResult<String>;
    async fn reset_offsets(&self, name: &str) -> HerderResult<String>;

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>>;
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()>;

    /// Validates a connector config without creating anything.
    async fn validate(&self, config: &Props) -> ConfigInfos;
}
