//! A connector's offsets (KIP-875: read, alter, reset) and the topics it used (KIP-558).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::RestState;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Path};
use crate::herder::entities::{ConnectorOffsets, PartitionOffset};

/// `{"message": …}`, the answer of offset changes.
#[derive(Debug, Serialize)]
pub struct Message {
    message: String,
}

/// `GET /connectors/{c}/offsets`.
pub async fn get(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorOffsets>> {
    Ok(Json(state.herder.offsets(&name).await?))
}

/// The body of an alter request; `offsets` is optional here so that leaving it out gets the
/// same answer as an empty list.
#[derive(Debug, Deserialize)]
pub struct AlterRequest {
    offsets: Option<Vec<PartitionOffset>>,
}

/// `PATCH /connectors/{c}/offsets`: sets (or, with `"offset": null`, resets) the listed
/// partitions of a STOPPED connector.
pub async fn alter(
    State(state): State<RestState>,
    Path(name): Path<String>,
    extract::Json(request): extract::Json<AlterRequest>,
) -> ApiResult<Json<Message>> {
    let offsets = request.offsets.unwrap_or_default();
    if offsets.is_empty() {
        return Err(ApiError::bad_request(
            "Partitions / offsets need to be provided for an alter offsets request",
        ));
    }
    let message = state
        .herder
        .alter_offsets(&name, ConnectorOffsets { offsets })
        .await?;
    Ok(Json(Message { message }))
}

/// `DELETE /connectors/{c}/offsets`: forgets every offset of a STOPPED connector.
pub async fn reset(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Message>> {
    let message = state.herder.reset_offsets(&name).await?;
    Ok(Json(Message { message }))
}

/// `{"topics": […]}`.
#[derive(Debug, Serialize)]
pub struct ActiveTopics {
    topics: Vec<String>,
}

/// `GET /connectors/{c}/topics`: `{"<c>": {"topics": […]}}`.
pub async fn topics(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<BTreeMap<String, ActiveTopics>>> {
    let topics = state.herder.active_topics(&name).await?;
    Ok(Json(BTreeMap::from([(name, ActiveTopics { topics })])))
}

/// `PUT /connectors/{c}/topics/reset`: 202.
pub async fn reset_topics(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.herder.reset_active_topics(&name).await?;
    Ok(StatusCode::ACCEPTED)
}
