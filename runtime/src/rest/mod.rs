//! The Kafka Connect–compatible REST API. Handlers talk only to the [`Herder`] (connectors), the
//! plugin [`Registry`] and the [`LogControl`], so every mode of the worker serves the same API.

pub mod auth;
mod body;
mod cluster;
pub mod config;
mod connectors;
pub mod error;
mod extract;
mod forward;
mod lifecycle;
mod loggers;
mod offsets;
mod plugins;
mod root;
pub mod routes;
mod server;
mod tasks;
pub mod tls;

#[cfg(test)]
mod openapi_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::herder::Herder;
use crate::logging::LogControl;
use crate::registry::Registry;
use auth::RestAuth;

pub use cluster::kafka_cluster_id;
pub use forward::FORWARDED_HEADER;
pub use server::{RestServer, serve};

/// What the handlers work with.
#[derive(Clone)]
pub struct RestState {
    pub herder: Arc<dyn Herder>,
    pub registry: Arc<Registry>,
    pub logs: Arc<LogControl>,
    /// Shown by `GET /`; `None` when the brokers could not tell at startup.
    pub kafka_cluster_id: Option<String>,
}

/// The whole API: every route of [`routes::table`], JSON errors for unknown paths and wrong
/// methods, connector writes forwarded to the leader when this worker does not lead, and
/// authentication in front of all of it except `GET /health`.
pub fn router(state: RestState, auth: Arc<RestAuth>) -> Router {
    let forwarder = forward::Forwarder::new(state.herder.clone());
    routes::router()
        .fallback(error::unknown_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(from_fn_with_state(forwarder, forward::to_leader))
        // Outermost, so nothing is forwarded for a client this worker has not admitted.
        .layer(from_fn_with_state(auth, auth::require))
}
