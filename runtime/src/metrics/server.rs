//! The HTTP endpoint Prometheus scrapes: `GET /metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Metrics;

/// How long a stopping server waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Splits a listener (`http://host:port`, or `host:port`) into host and port. An empty host
/// (`http://:9464`) means every interface; IPv6 hosts are written in brackets (`http://[::]:9464`).
pub fn parse_listener(listener: &str) -> Result<(String, u16), String> {
    let text = listener.trim();
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "scheme '{scheme}' is not supported, use http://host:port"
            ));
        }
        None => text,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let bad = || "expected http://host:port".to_string();
    if rest.contains('/') {
        return Err(bad());
    }
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6,
        None if host.contains(':') => return Err(bad()),
        None => host,
    };
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok((host.to_string(), port))
}

/// A running metrics endpoint.
pub struct MetricsServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// The address bound (the real port when the listener asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the server to stop after its cancellation token fired; requests still in flight
    /// after a few seconds are dropped.
    pub async fn stopped(mut self) {
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("metrics endpoint did not stop within {SHUTDOWN_GRACE:?}; closing it");
            self.task.abort();
            let _ = self.task.await;
        }
    }
}

/// Serves `GET /metrics` on `listener` (e.g. `http://0.0.0.0:9464`; port 0 picks a free port)
/// until `cancel` fires. Returns once the socket is bound, with the bound address; the error
/// names the listener when it cannot be bound.
pub async fn serve(
    metrics: Arc<Metrics>,
    listener: &str,
    cancel: CancellationToken,
) -> Result<MetricsServer, String> {
    let (host, port) =
        parse_listener(listener).map_err(|e| format!("metrics.listener '{listener}': {e}"))?;
    let socket = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot serve metrics on {listener}: {e}"))?;
    let addr = socket
        .local_addr()
        .map_err(|e| format!("cannot serve metrics on {listener}: {e}"))?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics);
    let task = tokio::spawn(async move {
        let served = axum::serve(socket, app)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "metrics endpoint failed");
        }
    });
    tracing::info!("metrics listening on http://{addr}/metrics");
    Ok(MetricsServer { addr, task })
}

async fn scrape(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        metrics.render(),
    )
}
