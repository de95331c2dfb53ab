//! `GET /` (what is serving) and `GET /health` (whether it is ready).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::RestState;

/// Set at build time to the commit built from, e.g. `SLUICE_GIT_COMMIT=$(git rev-parse HEAD)`.
const COMMIT: Option<&str> = option_env!("SLUICE_GIT_COMMIT");

/// ServerInfo.
#[derive(Debug, Serialize)]
pub struct ServerInfo {
    version: &'static str,
    commit: &'static str,
    kafka_cluster_id: Option<String>,
}

pub async fn server_info(State(state): State<RestState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION"),
        commit: COMMIT.unwrap_or("unknown"),
        kafka_cluster_id: state.kafka_cluster_id.clone(),
    })
}

/// WorkerStatus.
#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    message: &'static str,
}

/// 200 once the worker has started, 503 before, so that a readiness probe waits for it.
pub async fn health(State(state): State<RestState>) -> (StatusCode, Json<Health>) {
    if state.herder.is_ready() {
        let healthy = Health {
            status: "healthy",
            message: "Worker has completed startup and is ready to handle requests.",
        };
        (StatusCode::OK, Json(healthy))
    } else {
        let starting = Health {
            status: "starting",
            message: "Worker is still starting up.",
        };
        (StatusCode::SERVICE_UNAVAILABLE, Json(starting))
    }
}
