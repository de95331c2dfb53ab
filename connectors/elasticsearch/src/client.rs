//! The cluster connection: one client per configured node, used round-robin, speaking only the
//! REST calls Elasticsearch 7–9 and OpenSearch share (no product check, plain JSON media types).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use elasticsearch::Elasticsearch;
use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::Method;
use elasticsearch::http::Url;
use elasticsearch::http::headers::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use sluice_api::ConnectError;

use crate::config::{Auth, ConnectionSettings};

/// A response: status and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Clients for every configured node.
#[derive(Clone)]
pub struct Cluster {
    nodes: Arc<Vec<(String, Elasticsearch)>>,
    next: Arc<AtomicUsize>,
    timeout: Duration,
}

impl Cluster {
    /// Builds a client per URL. Fails (fatal) on a URL, certificate or TLS setup error.
    pub fn connect(settings: &ConnectionSettings) -> Result<Cluster, ConnectError> {
        let mut nodes = Vec::with_capacity(settings.urls.len());
        for url in &settings.urls {
            let parsed = Url::parse(url).map_err(|e| {
                ConnectError::fatal(format!("connection.url: '{url}' is not a URL: {e}"))
            })?;
            let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(parsed))
                .disable_proxy()
                .timeout(settings.read_timeout + settings.connection_timeout);
            if let Some(credentials) = credentials(&settings.auth) {
                builder = builder.auth(credentials);
            }
            // Built per node: a validation setting cannot be shared between transports.
            if let Some(validation) = certificate_validation(settings)? {
                builder = builder.cert_validation(validation);
            }
            let transport = builder.build().map_err(|e| {
                ConnectError::fatal(format!("cannot set up the client for {url}: {e}"))
            })?;
            nodes.push((url.clone(), Elasticsearch::new(transport)));
        }
        Ok(Cluster {
            nodes: Arc::new(nodes),
            next: Arc::new(AtomicUsize::new(0)),
            timeout: settings.read_timeout + settings.connection_timeout,
        })
    }

    /// Sends one request to the next node. Transport failures (refused, reset, timed out) are
    /// retriable; the next attempt goes to another node when there are several.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, ConnectError> {
        let (url, client) =
            &self.nodes[self.next.fetch_add(1, Ordering::Relaxed) % self.nodes.len()];
        let mut headers = HeaderMap::new();
        // Plain media types: OpenSearch refuses Elasticsearch's versioned ones.
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let response = client
            .transport()
            .send(method, path, headers, None::<&()>, body, Some(self.timeout))
            .await
            .map_err(|e| {
                ConnectError::retriable(format!("request to {url}{path} failed: {e}")).caused_by(e)
            })?;
        let status = response.status_code().as_u16();
        let body = response.text().await.map_err(|e| {
            ConnectError::retriable(format!("reading the response of {url}{path} failed: {e}"))
                .caused_by(e)
        })?;
        Ok(Reply { status, body })
    }

    /// Sends a bulk request (NDJSON lines).
    pub async fn bulk(&self, body: Vec<u8>) -> Result<Reply, ConnectError> {
        self.send(Method::Post, "/_bulk", "application/x-ndjson", Some(body))
            .await
    }

    /// Whether an index (or data stream, or alias) exists.
    pub async fn index_exists(&self, index: &str) -> Result<bool, ConnectError> {
        let reply = self
            .send(Method::Head, &format!("/{index}"), "application/json", None)
            .await?;
        match reply.status {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(status_error(
                status,
                &format!("checking index {index}"),
                &reply.body,
            )),
        }
    }

    /// Creates an index with `mappings`; one created meanwhile by another task is fine.
    pub async fn create_index(
        &self,
        index: &str,
        mappings: &serde_json::Value,
    ) -> Result<(), ConnectError> {
        let body = serde_json::json!({ "mappings": mappings })
            .to_string()
            .into_bytes();
        let reply = self
            .send(
                Method::Put,
                &format!("/{index}"),
                "application/json",
                Some(body),
            )
            .await?;
        if (200..300).contains(&reply.status)
            || reply.body.contains("resource_already_exists_exception")
        {
            return Ok(());
        }
        Err(status_error(
            reply.status,
            &format!("creating index {index}"),
            &reply.body,
        ))
    }
}

/// An error for an unexpected status: retriable when the cluster is busy or unavailable.
pub fn status_error(status: u16, what: &str, body: &str) -> ConnectError {
    let shown: String = body.chars().take(500).collect();
    let message = format!("{what}: status {status}: {shown}");
    match status {
        408 | 429 | 500..=599 => ConnectError::retriable(message),
        _ => ConnectError::fatal(message),
    }
}

fn credentials(auth: &Auth) -> Option<Credentials> {
    match auth {
        Auth::None => None,
        Auth::Basic { username, password } => {
            Some(Credentials::Basic(username.clone(), password.clone()))
        }
        Auth::ApiKey { id, key } => Some(Credentials::ApiKey(id.clone(), key.clone())),
        Auth::EncodedApiKey(encoded) => Some(Credentials::EncodedApiKey(encoded.clone())),
    }
}

fn certificate_validation(
    settings: &ConnectionSettings,
) -> Result<Option<CertificateValidation>, ConnectError> {
    if !settings.verify_certificates {
        return Ok(Some(CertificateValidation::None));
    }
    let Some(path) = &settings.ca_location else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| {
        ConnectError::fatal(format!(
            "connection.ssl.ca.location: cannot read {path}: {e}"
        ))
    })?;
    let certificate = Certificate::from_pem(&pem).map_err(|e| {
        ConnectError::fatal(format!(
            "connection.ssl.ca.location: {path} is not a PEM certificate: {e}"
        ))
    })?;
    Ok(Some(CertificateValidation::Full(certificate)))
}
