//! The route table: every method and path the API serves, with its handler, in one list that
//! builds the router and that a test holds against `docs/openapi.yaml`.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};

use super::{RestState, connectors, lifecycle, loggers, offsets, plugins, root, tasks};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    /// Lower case, as OpenAPI names operations.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One entry of the table.
pub struct Route {
    pub verb: Verb,
    /// axum syntax, which is also OpenAPI's: `/connectors/{connector}`.
    pub path: &'static str,
    endpoint: MethodRouter<RestState>,
}

fn route<H, T>(verb: Verb, path: &'static str, handler: H) -> Route
where
    H: Handler<T, RestState>,
    T: 'static,
{
    Route {
        verb,
        path,
        endpoint: on(verb.filter(), handler),
    }
}

/// Every route, grouped as Kafka Connect's resources are.
pub fn table() -> Vec<Route> {
    use Verb::*;
    vec![
        route(Get, "/", root::server_info),
        route(Get, "/health", root::health),
        route(Get, "/connectors", connectors::list),
        route(Post, "/connectors", connectors::create),
        route(Get, "/connectors/{connector}", connectors::info),
        route(Delete, "/connectors/{connector}", connectors::delete),
        route(Get, "/connectors/{connector}/config", connectors::config),
        route(
            Put,
            "/connectors/{connector}/config",
            connectors::put_config,
        ),
        route(
            Patch,
            "/connectors/{connector}/config",
            connectors::patch_config,
        ),
        route(Get, "/connectors/{connector}/status", lifecycle::status),
        route(Post, "/connectors/{connector}/restart", lifecycle::restart),
        route(Put, "/connectors/{connector}/pause", lifecycle::pause),
        route(Put, "/connectors/{connector}/resume", lifecycle::resume),
        route(Put, "/connectors/{connector}/stop", lifecycle::stop),
        route(Get, "/connectors/{connector}/tasks", tasks::list),
        route(Post, "/connectors/{connector}/tasks", tasks::put_configs),
        route(Get, "/connectors/{connector}/tasks-config", tasks::configs),
        route(
            Get,
            "/connectors/{connector}/tasks/{task}/status",
            tasks::status,
        ),
        route(
            Post,
            "/connectors/{connector}/tasks/{task}/restart",
            tasks::restart,
        ),
        route(Get, "/connectors/{connector}/offsets", offsets::get),
        route(Patch, "/connectors/{connector}/offsets", offsets::alter),
        route(Delete, "/connectors/{connector}/offsets", offsets::reset),
        route(Get, "/connectors/{connector}/topics", offsets::topics),
        route(
            Put,
            "/connectors/{connector}/topics/reset",
            offsets::reset_topics,
        ),
        route(Get, "/connector-plugins", plugins::list),
        route(Get, "/connector-plugins/{plugin}/config", plugins::config),
        route(
            Put,
            "/connector-plugins/{plugin}/config/validate",
            plugins::validate,
        ),
        route(Get, "/admin/loggers", loggers::list),
        route(Get, "/admin/loggers/{logger}", loggers::get),
        route(Put, "/admin/loggers/{logger}", loggers::set),
    ]
}

/// The router of every route in [`table`]; routes sharing a path share its method router.
pub fn router() -> Router<RestState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.endpoint))
}
