//! `/admin/loggers` (KIP-495): reading and changing log levels of the running worker.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::RestState;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Params, Path};
use crate::logging::{LogLevelError, LoggerLevel};

/// `GET /admin/loggers`: every logger with an explicit level, and `root`.
pub async fn list(State(state): State<RestState>) -> Json<BTreeMap<String, LoggerLevel>> {
    Json(state.logs.loggers())
}

/// `GET /admin/loggers/{l}`: the level in effect for one logger.
pub async fn get(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<LoggerLevel>> {
    state
        .logs
        .logger(&name)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Logger {name} not found.")))
}

/// `PUT /admin/loggers/{l}?scope=worker|cluster` with `{"level": "DEBUG"}`: sets the level of
/// the logger and its descendants. Worker scope answers 200 with the affected loggers; cluster
/// scope answers 204, as Kafka Connect does, and with a single worker means the same change.
pub async fn set(
    State(state): State<RestState>,
    Path(name): Path<String>,
    params: Params,
    extract::Json(body): extract::Json<Map<String, Value>>,
) -> ApiResult<Response> {
    let level = match body.get("level") {
        Some(Value::String(level)) => level,
        Some(Value::Null) | None => {
            return Err(ApiError::bad_request(
                "Desired 'level' parameter was not specified in request.",
            ));
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid log level {other}; expected a string"
            )));
        }
    };
    let cluster = match params.get("scope").map(str::trim) {
        None | Some("") => false,
        Some(scope) if scope.eq_ignore_ascii_case("worker") => false,
        Some(scope) if scope.eq_ignore_ascii_case("cluster") => true,
        Some(scope) => {
            // Kafka Connect does the same with a scope it does not know.
            tracing::warn!("unknown logger scope '{scope}'; changing this worker's level");
            false
        }
    };
    let affected = state.logs.set_level(&name, level).map_err(level_error)?;
    tracing::info!(logger = %name, %level, "log level changed over the REST API");
    if cluster {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(Json(affected).into_response())
    }
}

fn level_error(error: LogLevelError) -> ApiError {
    let status = match error {
        LogLevelError::UnknownLevel { .. } | LogLevelError::InvalidLogger { .. } => {
            StatusCode::BAD_REQUEST
        }
        LogLevelError::Filter(_) | LogLevelError::Reload(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, error.to_string())
}
