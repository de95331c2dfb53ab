//! `/connectors`: listing, creating and deleting connectors, and their configs.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sluice_api::Props;

use super::RestState;
use super::body;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Params, Path};
use crate::herder::entities::{ConnectorInfo, ConnectorStateInfo};
use crate::herder::{HerderError, TargetState, Written};

const NAME: &str = "name";

/// What `?expand=…` asked for; unknown expansions are ignored, as in Kafka Connect.
#[derive(Debug, Default, Clone, Copy)]
struct Expand {
    status: bool,
    info: bool,
}

impl Expand {
    fn parse(params: &Params) -> Expand {
        params
            .all("expand")
            .fold(Expand::default(), |expand, value| match value {
                "status" => Expand {
                    status: true,
                    ..expand
                },
                "info" => Expand {
                    info: true,
                    ..expand
                },
                _ => expand,
            })
    }
}

/// One connector of an expanded listing.
#[derive(Debug, Default, Serialize)]
struct Expanded {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<ConnectorStateInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<ConnectorInfo>,
}

/// `GET /connectors`: the names, or with `?expand=status&expand=info` a map of each
/// connector's status and info.
pub async fn list(State(state): State<RestState>, params: Params) -> ApiResult<Response> {
    let names = state.herder.connectors().await;
    let expand = Expand::parse(&params);
    if !expand.status && !expand.info {
        return Ok(Json(names).into_response());
    }
    let mut listing = BTreeMap::new();
    for name in names {
        let mut entry = Expanded::default();
        // A connector deleted while the listing is built is left out rather than failing it.
        if expand.status {
            match skip_deleted(state.herder.connector_status(&name).await)? {
                Some(status) => entry.status = Some(status),
                None => continue,
            }
        }
        if expand.info {
            match skip_deleted(state.herder.connector_info(&name).await)? {
                Some(info) => entry.info = Some(info),
                None => continue,
            }
        }
        listing.insert(name, entry);
    }
    Ok(Json(listing).into_response())
}

fn skip_deleted<T>(result: Result<T, HerderError>) -> ApiResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(HerderError::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// CreateConnectorRequest.
#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    name: Option<String>,
    config: Option<Map<String, Value>>,
    initial_state: Option<String>,
}

/// `POST /connectors`: 201 with `Location` and the ConnectorInfo.
pub async fn create(
    State(state): State<RestState>,
    extract::Json(request): extract::Json<CreateRequest>,
) -> ApiResult<Response> {
    let name = request.name.as_deref().map(str::trim).unwrap_or_default();
    let config = body::config(request.config.unwrap_or_default())?;
    let config = with_name(name, config)?;
    let initial_state = match request.initial_state.as_deref() {
        None => None,
        Some(value) => Some(TargetState::from_initial_state(value).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid initial_state '{value}'; expected RUNNING, PAUSED or STOPPED"
            ))
        })?),
    };
    let written = state
        .herder
        .put_connector(name, config, initial_state, false)
        .await?;
    Ok(created(name, written.info))
}

/// Checks the config's `name` against the connector's and sets it when absent.
fn with_name(name: &str, mut config: Props) -> ApiResult<Props> {
    if name.is_empty() {
        return Err(ApiError::bad_request("Connector name is required"));
    }
    match config.get(NAME) {
        Some(included) if included != name => {
            Err(ApiError::bad_request(name_mismatch(included, name)))
        }
        Some(_) => Ok(config),
        None => {
            config.insert(NAME.to_string(), name.to_string());
            Ok(config)
        }
    }
}

fn name_mismatch(included: &str, name: &str) -> String {
    format!(
        "Connector name configuration ({included}) doesn't match connector name in the URL ({name})"
    )
}

/// 201 with the new connector's `Location`.
fn created(name: &str, info: ConnectorInfo) -> Response {
    let mut response = (StatusCode::CREATED, Json(info)).into_response();
    // Percent-encoded, so every name makes a valid header.
    if let Ok(location) = HeaderValue::from_str(&format!("/connectors/{}", encode_segment(name))) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /connectors/{c}`.
pub async fn info(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorInfo>> {
    Ok(Json(state.herder.connector_info(&name).await?))
}

/// `DELETE /connectors/{c}`: 204.
pub async fn delete(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.herder.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{c}/config`: as stored, references kept and passwords masked.
pub async fn config(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Props>> {
    Ok(Json(state.herder.connector_config(&name).await?))
}

/// `PUT /connectors/{c}/config`: creates (201) or replaces (200) the config.
pub async fn put_config(
    State(state): State<RestState>,
    Path(name): Path<String>,
    extract::Json(config): extract::Json<Map<String, Value>>,
) -> ApiResult<Response> {
    let config = with_name(&name, body::config(config)?)?;
    let Written { created: new, info } = state
        .herder
        .put_connector(&name, config, None, true)
        .await?;
    if new {
        Ok(created(&name, info))
    } else {
        Ok(Json(info).into_response())
    }
}

/// `PATCH /connectors/{c}/config`: sets the given keys; a `null` value removes one (KIP-477).
pub async fn patch_config(
    State(state): State<RestState>,
    Path(name): Path<String>,
    extract::Json(patch): extract::Json<Map<String, Value>>,
) -> ApiResult<Json<ConnectorInfo>> {
    let patch = body::patch(patch)?;
    if let Some((_, Some(included))) = patch.iter().find(|(key, _)| key == NAME)
        && included != &name
    {
        return Err(ApiError::bad_request(name_mismatch(included, &name)));
    }
    Ok(Json(state.herder.patch_connector(&name, patch).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_valid_for_any_name() {
        assert_eq!(encode_segment("my-source_1.v2"), "my-source_1.v2");
        assert_eq!(encode_segment("a b/ü"), "a%20b%2F%C3%BC");
    }
}
