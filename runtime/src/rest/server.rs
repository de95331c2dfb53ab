//! Serving the API on every listener of `listeners`, plain or TLS, until cancelled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sluice_api::ConnectError;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::config::{RestConfig, Scheme};
use super::tls::TlsListener;
use super::{RestState, router};

/// How long a stopping server waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The running API.
pub struct RestServer {
    /// The address each listener bound, in the order of `listeners` (the real port when the
    /// listener asked for port 0).
    pub addrs: Vec<SocketAddr>,
    /// This worker's id, from the advertised listener's bound address.
    pub worker_id: String,
    /// Where other workers of a cluster reach this one.
    pub url: String,
    tasks: Vec<JoinHandle<()>>,
}

impl RestServer {
    /// Waits for every listener to stop after the cancellation token fired; requests still in
    /// flight after a few seconds are dropped.
    pub async fn stopped(self) {
        // One deadline for all, so more listeners do not mean a longer wait.
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!("REST API did not stop within {SHUTDOWN_GRACE:?}; closing it");
                task.abort();
                let _ = task.await;
            }
        }
    }
}

/// Binds every listener, then serves the API on each until `cancel` fires. Returns once all
/// are bound; nothing is served when one cannot be bound, and the error names it.
pub async fn serve(
    config: &RestConfig,
    state: RestState,
    cancel: CancellationToken,
) -> Result<RestServer, ConnectError> {
    let mut bound = Vec::with_capacity(config.listeners.len());
    for listener in &config.listeners {
        let tls = match listener.scheme {
            Scheme::Http => None,
            // RestConfig builds the acceptor whenever an https listener is configured.
            Scheme::Https => Some(config.tls().cloned().ok_or_else(|| {
                ConnectError::fatal(format!("{listener} needs the TLS keystore settings"))
            })?),
        };
        let cannot = |e: std::io::Error| {
            ConnectError::fatal(format!("cannot serve the REST API on {listener}: {e}"))
        };
        let socket = TcpListener::bind((listener.host.as_str(), listener.port))
            .await
            .map_err(cannot)?;
        let addr = socket.local_addr().map_err(cannot)?;
        bound.push((listener, socket, addr, tls));
    }
    let addrs: Vec<SocketAddr> = bound.iter().map(|(_, _, addr, _)| *addr).collect();
    let advertised = addrs
        .get(config.advertised_index())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| ConnectError::fatal("the REST API has no listener"))?;
    let app = router(state, Arc::new(config.auth.clone()));
    let tasks = bound
        .into_iter()
        .map(|(listener, socket, addr, tls)| {
            tracing::info!(
                "REST API listening on {}://{addr}",
                listener.scheme.as_str()
            );
            spawn(
                listener.to_string(),
                socket,
                tls,
                app.clone(),
                cancel.clone(),
            )
        })
        .collect();
    Ok(RestServer {
        worker_id: config.worker_id(advertised),
        url: config.advertised_url(advertised),
        addrs,
        tasks,
    })
}

fn spawn(
    url: String,
    socket: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let shutdown = cancel.cancelled_owned();
        let served = match tls {
            None => {
                axum::serve(socket, app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some(acceptor) => {
                axum::serve(TlsListener::new(socket, acceptor), app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        if let Err(e) = served {
            tracing::error!("REST API on {url} failed: {e}");
        }
    })
}
