//! Requests to a worker's REST API: endpoint URLs, TLS and authentication, and failures turned
//! into messages a user can act on.

use std::time::Duration;

use reqwest::{Certificate, Method, StatusCode, Url};
use serde_json::Value as Json;

use super::args::{Auth, Settings};
use crate::config::files::FileError;

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The worker answered with a non-2xx status.
    #[error("error {status}: {message}")]
    Status { status: u16, message: String },
    /// No answer: refused, unresolvable, TLS failure or timeout.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// A 2xx answer whose body is not what Kafka Connect sends.
    #[error("unexpected response from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    /// The `--ca-cert` file cannot be used.
    #[error("--ca-cert {path}: {reason}")]
    CaCert { path: String, reason: String },
    /// The HTTP client could not be built from the settings.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// A connector or offsets file cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
}

/// A 2xx answer: its status and its JSON body, if it had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Json>,
}

/// A connection to one worker's REST API.
pub struct Api {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    timeout: Duration,
}

impl Api {
    /// Builds the client: timeout, extra trusted CA, and certificate checks off for `insecure`.
    pub fn new(settings: &Settings) -> Result<Api, ClientError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(settings.timeout)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.ca_cert {
            let ca_error = |reason: String| ClientError::CaCert {
                path: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let certs = Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("no PEM certificate in the file".to_string()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if settings.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Setup(root_cause(&e)))?;
        Ok(Api {
            http,
            base: settings.url.clone(),
            auth: settings.auth.clone(),
            timeout: settings.timeout,
        })
    }

    /// The URL of an API path under the base URL.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        endpoint(&self.base, segments, query)
    }

    /// Sends one request; a non-2xx answer becomes [`ClientError::Status`].
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Json>,
    ) -> Result<Reply, ClientError> {
        let shown = display_url(&url);
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        request = match &self.auth {
            Auth::None => request,
            Auth::Basic { user, password } => request.basic_auth(user, password.as_ref()),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let unreachable = |err: reqwest::Error| ClientError::Unreachable {
            url: shown.clone(),
            reason: self.failure_reason(&err),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(ClientError::Status {
                status: status.as_u16(),
                message: error_message(status, &text),
            });
        }
        let body = if text.trim().is_empty() {
            None
        } else {
            Some(
                serde_json::from_str(&text).map_err(|e| ClientError::BadResponse {
                    url: shown.clone(),
                    reason: format!("the body is not JSON ({e})"),
                })?,
            )
        };
        Ok(Reply {
            status: status.as_u16(),
            body,
        })
    }

    fn failure_reason(&self, err: &reqwest::Error) -> String {
        if err.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs())
        } else {
            root_cause(err)
        }
    }
}

/// `base` with `segments` appended, each percent-encoded as one path segment (so a `/` or `?` in a
/// connector name stays part of the name), and `query` as the query string.
pub fn endpoint(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    // Only http(s) URLs reach here (see `Settings::resolve`), and those always have a path.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// The message of an error answer: Kafka Connect's `{"error_code","message"}` body, else the raw
/// body, else the status's reason phrase.
pub fn error_message(status: StatusCode, body: &str) -> String {
    if let Ok(Json::Object(fields)) = serde_json::from_str::<Json>(body)
        && let Some(Json::String(message)) = fields.get("message")
        && !message.trim().is_empty()
    {
        return message.clone();
    }
    let raw = body.trim();
    if !raw.is_empty() {
        return raw.to_string();
    }
    status
        .canonical_reason()
        .unwrap_or("no message")
        .to_string()
}

/// The innermost cause of a request failure ("Connection refused", "invalid peer certificate…"):
/// the outer layers only repeat that a request failed.
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// A URL as shown in messages, without any password it carries.
fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Cannot fail: http(s) URLs with a password have a host.
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn endpoint_appends_segments_to_the_base() {
        let url = endpoint(
            &base("http://localhost:8083"),
            &["connectors", "file-source", "status"],
            &[],
        );
        assert_eq!(
            url.as_str(),
            "http://localhost:8083/connectors/file-source/status"
        );
    }

    #[test]
    fn endpoint_keeps_a_path_prefix_with_or_without_trailing_slash() {
        for prefix in ["https://proxy/connect", "https://proxy/connect/"] {
            let url = endpoint(&base(prefix), &["connectors"], &[]);
            assert_eq!(url.as_str(), "https://proxy/connect/connectors", "{prefix}");
        }
    }

    #[test]
    fn endpoint_percent_encodes_connector_names() {
        let url = endpoint(
            &base("http://w:8083/"),
            &["connectors", "a/b c?d#e%f", "config"],
            &[],
        );
        assert_eq!(
            url.as_str(),
            "http://w:8083/connectors/a%2Fb%20c%3Fd%23e%25f/config"
        );
        // The server sees one segment that decodes back to the name.
        let segment = url.path_segments().unwrap().nth(1).unwrap();
        assert_eq!(segment, "a%2Fb%20c%3Fd%23e%25f");
    }

    #[test]
    fn endpoint_encodes_non_ascii_names() {
        let url = endpoint(&base("http://w/"), &["connectors", "café"], &[]);
        assert_eq!(url.as_str(), "http://w/connectors/caf%C3%A9");
    }

    #[test]
    fn endpoint_builds_repeated_query_keys() {
        let url = endpoint(
            &base("http://w:8083?stale=1#frag"),
            &["connectors"],
            &[("expand", "status"), ("expand", "info")],
        );
        assert_eq!(
            url.as_str(),
            "http://w:8083/connectors?expand=status&expand=info"
        );
        let url = endpoint(
            &base("http://w"),
            &["connectors", "x", "restart"],
            &[("includeTasks", "true"), ("onlyFailed", "false")],
        );
        assert_eq!(
            url.as_str(),
            "http://w/connectors/x/restart?includeTasks=true&onlyFailed=false"
        );
    }

    #[test]
    fn error_message_prefers_the_kafka_connect_body() {
        let body = r#"{"error_code":404,"message":"Connector file-source not found"}"#;
        assert_eq!(
            error_message(StatusCode::NOT_FOUND, body),
            "Connector file-source not found"
        );
    }

    #[test]
    fn error_message_falls_back_to_raw_body_then_reason() {
        assert_eq!(
            error_message(StatusCode::BAD_GATEWAY, "  upstream down\n"),
            "upstream down"
        );
        // JSON without a usable message is shown as sent.
        assert_eq!(
            error_message(StatusCode::CONFLICT, r#"{"error_code":409}"#),
            r#"{"error_code":409}"#
        );
        assert_eq!(error_message(StatusCode::UNAUTHORIZED, ""), "Unauthorized");
    }

    #[test]
    fn status_errors_read_like_the_worker_said_them() {
        let err = ClientError::Status {
            status: 409,
            message: "Connector x already exists".into(),
        };
        assert_eq!(err.to_string(), "error 409: Connector x already exists");
    }

    #[test]
    fn shown_urls_hide_passwords() {
        let shown = display_url(&base("http://admin:hunter2@w:8083/connectors"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("admin"), "{shown}");
    }
}
