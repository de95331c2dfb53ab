//! Connector writes on a follower of a distributed cluster: only the leader may change connector
//! configs, so any other worker forwards such requests to it and hands back the leader's answer
//! as it came, as Kafka Connect does. Reads are always served by the worker asked.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::herder::{Herder, REBALANCE_IN_PROGRESS, WriteRoute};

/// Marks a request one worker forwarded to another, with the forwarding worker's id as its
/// value. A marked request is never forwarded again, so workers that disagree about who leads
/// cannot pass a request around in circles; the receiver answers it itself.
pub const FORWARDED_HEADER: &str = "x-sluice-forwarded";

/// Kafka Connect's default REST request timeout, 90 s: writes such as `PUT …/config` wait for
/// the leader to validate the config, which may call out to external systems.
const TIMEOUT: Duration = Duration::from_secs(90);
/// A leader that does not accept a connection within this is taken as gone, well before
/// [`TIMEOUT`], so the client hears about the rebalance quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The client's headers the leader needs: how to read the body, what to answer in, and the
/// credentials, which the leader checks again.
const REQUEST_HEADERS: [HeaderName; 3] =
    [header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION];
/// The leader's headers the client needs: how to read the body, and where a created
/// connector is.
const RESPONSE_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

/// The middleware's state: whom to ask for the route, and one HTTP client for all forwards.
#[derive(Clone)]
pub struct Forwarder {
    herder: Arc<dyn Herder>,
    client: reqwest::Client,
}

impl Forwarder {
    pub fn new(herder: Arc<dyn Herder>) -> Forwarder {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect is the leader's answer, for the client to follow or not.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .build()
            // Fails only when the TLS backend cannot start, which no request could survive.
            .expect("the HTTP client for forwarding to the leader can be built");
        Forwarder { herder, client }
    }

    async fn forward(&self, leader: &str, request: Request) -> Response {
        let method = request.method().clone();
        let path = request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path(), |p| p.as_str())
            .to_string();
        let target = format!("{}{path}", leader.trim_end_matches('/'));
        let mut outgoing = self.client.request(method.clone(), &target);
        for name in REQUEST_HEADERS {
            for value in request.headers().get_all(&name) {
                outgoing = outgoing.header(name.clone(), value.clone());
            }
        }
        outgoing = outgoing.header(FORWARDED_HEADER, self.herder.worker_id());
        // The same extractor as the handlers' bodies, so the same size limit applies.
        let body = match Bytes::from_request(request, &()).await {
            Ok(body) => body,
            Err(rejection) => {
                return ApiError::new(rejection.status(), rejection.body_text()).into_response();
            }
        };
        let answer = match outgoing.body(body).send().await {
            Ok(answer) => answer,
            Err(error) => return unreachable(leader, &method, &path, &error),
        };
        let status = answer.status();
        let headers: Vec<(HeaderName, HeaderValue)> = RESPONSE_HEADERS
            .into_iter()
            .filter_map(|name| {
                let value = answer.headers().get(&name)?.clone();
                Some((name, value))
            })
            .collect();
        let body = match answer.bytes().await {
            Ok(body) => body,
            Err(error) => return unreachable(leader, &method, &path, &error),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        response.headers_mut().extend(headers);
        response
    }
}

/// Forwards connector writes to the leader when the herder says another worker leads, refuses
/// them while no worker does, and passes everything else on.
pub async fn to_leader(
    State(forwarder): State<Forwarder>,
    request: Request,
    next: Next,
) -> Response {
    if !is_connector_write(&request) || request.headers().contains_key(FORWARDED_HEADER) {
        return next.run(request).await;
    }
    match forwarder.herder.write_route() {
        WriteRoute::Here => next.run(request).await,
        WriteRoute::Rebalancing => rebalancing(),
        WriteRoute::Leader(url) => forwarder.forward(&url, request).await,
    }
}

/// Any method but the reading ones, on `/connectors` or below it.
fn is_connector_write(request: &Request) -> bool {
    let reads = [Method::GET, Method::HEAD, Method::OPTIONS];
    let path = request.uri().path();
    !reads.contains(request.method()) && (path == "/connectors" || path.starts_with("/connectors/"))
}

fn rebalancing() -> Response {
    ApiError::new(StatusCode::CONFLICT, REBALANCE_IN_PROGRESS).into_response()
}

/// The leader could not be asked or did not answer. One that went away is about to be replaced
/// by a rebalance, so the client hears what it would hear during one, and may retry.
fn unreachable(leader: &str, method: &Method, path: &str, error: &reqwest::Error) -> Response {
    let reason = causes(error);
    if error.is_builder() {
        // Not a leader gone but a URL the cluster advertised that cannot be used.
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Cannot forward the request to the leader at {leader}: {reason}"),
        )
        .into_response();
    }
    tracing::warn!(
        leader,
        "cannot forward {method} {path} to the leader: {reason}"
    );
    rebalancing()
}

/// The error and its sources: reqwest's own message names the URL, the cause is further down.
fn causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
