//! `/connector-plugins`: what this build ships, each plugin's config keys, and connector config
//! validation.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::{Map, Value};
use sluice_api::ConfigDef;

use super::RestState;
use super::body;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Params, Path};
use crate::herder::entities::{ConfigInfos, ConfigKeyInfo};
use crate::herder::validation::{key_info, plugin_config_def};
use crate::registry::Registry;

const CONNECTOR_CLASS: &str = "connector.class";
/// Built-in plugins are versioned with Sluice.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// PluginInfo.
#[derive(Debug, Serialize)]
pub struct PluginInfo {
    class: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    version: &'static str,
}

/// `GET /connector-plugins?connectorsOnly=`: connectors, and with `connectorsOnly=false` also
/// transformations, predicates and converters (Kafka Connect's default is connectors only).
pub async fn list(State(state): State<RestState>, params: Params) -> Json<Vec<PluginInfo>> {
    let registry = &state.registry;
    let info = |class, kind| PluginInfo {
        class,
        kind,
        version: VERSION,
    };
    let mut plugins: Vec<PluginInfo> = registry
        .connectors
        .iter()
        .map(|p| info(p.class, p.factory.kind()))
        .collect();
    if !params.flag("connectorsOnly", true) {
        plugins.extend(
            registry
                .transforms
                .iter()
                .map(|p| info(p.class, "transformation")),
        );
        plugins.extend(
            registry
                .predicates
                .iter()
                .map(|p| info(p.class, "predicate")),
        );
        plugins.extend(
            registry
                .converters
                .iter()
                .map(|p| info(p.class, "converter")),
        );
    }
    Json(plugins)
}

/// `GET /connector-plugins/{p}/config`: the plugin's own keys (any kind of plugin, KIP-769).
pub async fn config(
    State(state): State<RestState>,
    Path(plugin): Path<String>,
) -> ApiResult<Json<Vec<ConfigKeyInfo>>> {
    let def = plugin_def(&state.registry, &plugin).ok_or_else(|| unknown_plugin(&plugin))?;
    let keys = def
        .keys()
        .iter()
        .enumerate()
        .map(|(order, key)| key_info(key, order as i32 + 1))
        .collect();
    Ok(Json(keys))
}

/// The keys of the plugin `query` names, looked up among connectors first.
fn plugin_def(registry: &Registry, query: &str) -> Option<ConfigDef> {
    if let Ok(connector) = registry.connector(query) {
        return Some(plugin_config_def(connector.factory));
    }
    let transform = registry.transform(query).map(|p| p.factory.config_def);
    let predicate = registry.predicate(query).map(|p| p.factory.config_def);
    let converter = registry.converter(query).map(|p| p.factory.config_def);
    transform.or(predicate).or(converter).ok().map(|def| def())
}

fn unknown_plugin(plugin: &str) -> ApiError {
    ApiError::not_found(format!("Unknown plugin {plugin}."))
}

/// `PUT /connector-plugins/{p}/config/validate`: the ConfigInfos of a connector config, which
/// may leave `connector.class` out but must not name another connector.
pub async fn validate(
    State(state): State<RestState>,
    Path(plugin): Path<String>,
    extract::Json(config): extract::Json<Map<String, Value>>,
) -> ApiResult<Json<ConfigInfos>> {
    let mut config = body::config(config)?;
    let requested = state
        .registry
        .connector(&plugin)
        .map_err(|_| unknown_plugin(&plugin))?;
    if let Some(included) = config.get(CONNECTOR_CLASS) {
        let same = state
            .registry
            .connector(included)
            .is_ok_and(|p| p.class == requested.class);
        if !same {
            return Err(ApiError::bad_request(format!(
                "Included connector type {included} does not match request type {plugin}"
            )));
        }
    }
    config.insert(CONNECTOR_CLASS.to_string(), plugin);
    Ok(Json(state.herder.validate(&config).await))
}
