//! A connector's state: its status, restarting it (KIP-745), pausing, resuming and stopping it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::RestState;
use super::error::ApiResult;
use super::extract::{Params, Path};
use crate::herder::entities::ConnectorStateInfo;
use crate::herder::{RestartRequest, TargetState};

/// `GET /connectors/{c}/status`.
pub async fn status(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorStateInfo>> {
    Ok(Json(state.herder.connector_status(&name).await?))
}

/// `POST /connectors/{c}/restart?includeTasks=&onlyFailed=`: 204 when only the connector was
/// restarted, else 202 with the status showing what is restarting.
pub async fn restart(
    State(state): State<RestState>,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let request = RestartRequest {
        include_tasks: params.flag("includeTasks", false),
        only_failed: params.flag("onlyFailed", false),
    };
    match state.herder.restart_connector(&name, request).await? {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(status) => Ok((StatusCode::ACCEPTED, Json(status)).into_response()),
    }
}

/// `PUT /connectors/{c}/pause`: 202, the change happens in the background.
pub async fn pause(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .herder
        .set_target_state(&name, TargetState::Paused)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{c}/resume`: 202, from PAUSED or STOPPED.
pub async fn resume(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .herder
        .set_target_state(&name, TargetState::Started)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{c}/stop` (KIP-875): 204 once the tasks are shut down.
pub async fn stop(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .herder
        .set_target_state(&name, TargetState::Stopped)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
