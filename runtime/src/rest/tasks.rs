//! `/connectors/{c}/tasks…`: a connector's task configs, one task's status, restarting a task,
//! and the task configs workers of a distributed cluster send their leader.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use sluice_api::Props;

use super::RestState;
use super::body;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Path};
use crate::herder::entities::{TaskInfo, TaskState};
use crate::worker::status::TaskId;

/// `GET /connectors/{c}/tasks`.
pub async fn list(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<TaskInfo>>> {
    Ok(Json(state.herder.tasks(&name).await?))
}

/// `POST /connectors/{c}/tasks`: 204. Internal: the worker running a connector sends the task
/// configs it generated, one map per task, for the leader to store.
pub async fn put_configs(
    State(state): State<RestState>,
    Path(name): Path<String>,
    extract::Json(tasks): extract::Json<Vec<Map<String, Value>>>,
) -> ApiResult<StatusCode> {
    let configs = tasks
        .into_iter()
        .map(body::config)
        .collect::<ApiResult<Vec<Props>>>()?;
    state.herder.put_task_configs(&name, configs).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{c}/tasks-config` (deprecated in Kafka Connect, kept for old clients):
/// the task configs keyed by task id, `c-0`.
pub async fn configs(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<BTreeMap<String, Props>>> {
    let tasks = state.herder.tasks(&name).await?;
    let by_id = tasks
        .into_iter()
        .map(|task| {
            let id = TaskId {
                connector: task.id.connector,
                task: task.id.task,
            };
            (id.to_string(), task.config)
        })
        .collect();
    Ok(Json(by_id))
}

/// `GET /connectors/{c}/tasks/{n}/status`.
pub async fn status(
    State(state): State<RestState>,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<TaskState>> {
    let id = task_id(ids)?;
    Ok(Json(state.herder.task_status(&id).await?))
}

/// `POST /connectors/{c}/tasks/{n}/restart`: 204.
pub async fn restart(
    State(state): State<RestState>,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = task_id(ids)?;
    state.herder.restart_task(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A task number that is not one names no task: 404, as Kafka Connect answers.
fn task_id((connector, task): (String, String)) -> ApiResult<TaskId> {
    match task.parse::<u32>() {
        Ok(task) => Ok(TaskId { connector, task }),
        Err(_) => Err(ApiError::not_found(format!(
            "Task {connector}-{task} not found"
        ))),
    }
}
