//! REST API authentication (`rest.auth.*`): HTTP Basic or bearer tokens, checked by a middleware
//! in front of every route except the liveness probe.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sluice_api::Props;
use sluice_api::config::{
    ConfigDef, ConfigErrors, ConfigType, Importance, IssueCollector, Validator,
};

const TYPE: &str = "rest.auth.type";
const USERNAME: &str = "rest.auth.basic.username";
const PASSWORD: &str = "rest.auth.basic.password";
const USERS_FILE: &str = "rest.auth.basic.users.file";
const TOKENS: &str = "rest.auth.bearer.tokens";
/// Liveness probes cannot carry credentials.
const HEALTH_PATH: &str = "/health";
const BASIC_CHALLENGE: &str = "Basic realm=\"sluice\"";
const BEARER_CHALLENGE: &str = "Bearer";

/// Keys that choose and configure REST authentication.
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .optional(
            TYPE,
            String,
            Some("none"),
            High,
            "How REST clients authenticate: none, basic (HTTP Basic) or bearer (static tokens). \
             GET /health is always open.",
        )
        .validate(Validator::OneOf(vec![
            "none".into(),
            "basic".into(),
            "bearer".into(),
        ]))
        .optional(
            USERNAME,
            String,
            None,
            High,
            "User accepted by basic authentication, with rest.auth.basic.password.",
        )
        .optional(
            PASSWORD,
            Password,
            None,
            High,
            "Password of rest.auth.basic.username.",
        )
        .optional(
            USERS_FILE,
            String,
            None,
            Medium,
            "Properties file of user=password lines, for several basic-authentication users.",
        )
        .optional(
            TOKENS,
            Password,
            None,
            High,
            "Comma-separated tokens accepted by bearer authentication.",
        )
}

/// How REST requests are authenticated.
#[derive(Clone, Default)]
pub enum RestAuth {
    /// Every request is let through.
    #[default]
    None,
    /// HTTP Basic; `users` maps user names to passwords.
    Basic { users: BTreeMap<String, String> },
    /// `Authorization: Bearer <token>` with one of `tokens`.
    Bearer { tokens: Vec<String> },
}

impl RestAuth {
    /// The `Authorization` value one worker of a cluster sends another: the workers share their
    /// REST settings, so the first configured user or token is accepted by every peer.
    pub fn peer_header(&self) -> Option<String> {
        match self {
            RestAuth::None => None,
            RestAuth::Basic { users } => users.iter().next().map(|(user, password)| {
                let encoded = STANDARD.encode(format!("{user}:{password}"));
                format!("Basic {encoded}")
            }),
            RestAuth::Bearer { tokens } => tokens.first().map(|token| format!("Bearer {token}")),
        }
    }
}

/// Never prints a secret: the worker logs its settings.
impl fmt::Debug for RestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestAuth::None => f.write_str("None"),
            RestAuth::Basic { users } => f
                .debug_struct("Basic")
                .field("users", &users.keys().collect::<Vec<_>>())
                .finish(),
            RestAuth::Bearer { tokens } => f
                .debug_struct("Bearer")
                .field("tokens", &tokens.len())
                .finish(),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denial {
    Missing,
    Invalid,
}

impl RestAuth {
    /// Reads `rest.auth.*` from the worker's settings (already through config providers).
    pub fn from_worker(props: &Props) -> Result<RestAuth, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        match parsed.string(TYPE).to_ascii_lowercase().as_str() {
            "basic" => {
                let mut issues = IssueCollector::new();
                let users = basic_users(
                    parsed.optional_string(USERNAME),
                    parsed.optional_string(PASSWORD),
                    parsed.optional_string(USERS_FILE),
                    &mut issues,
                );
                issues.finish(RestAuth::Basic { users })
            }
            "bearer" => {
                let tokens: Vec<String> = parsed
                    .string(TOKENS)
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect();
                if tokens.is_empty() {
                    return Err(ConfigErrors::one(
                        TOKENS,
                        "rest.auth.type is bearer but no token is configured",
                    ));
                }
                Ok(RestAuth::Bearer { tokens })
            }
            _ => Ok(RestAuth::None),
        }
    }

    /// The `WWW-Authenticate` challenge of this scheme.
    fn challenge(&self) -> Option<&'static str> {
        match self {
            RestAuth::None => None,
            RestAuth::Basic { .. } => Some(BASIC_CHALLENGE),
            RestAuth::Bearer { .. } => Some(BEARER_CHALLENGE),
        }
    }

    fn check(&self, headers: &HeaderMap) -> Result<(), Denial> {
        let scheme = match self {
            RestAuth::None => return Ok(()),
            RestAuth::Basic { .. } => "basic",
            RestAuth::Bearer { .. } => "bearer",
        };
        let credentials = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(given, _)| given.eq_ignore_ascii_case(scheme))
            .map(|(_, credentials)| credentials.trim())
            .ok_or(Denial::Missing)?;
        let admitted = match self {
            RestAuth::None => true,
            RestAuth::Basic { users } => {
                let decoded = STANDARD
                    .decode(credentials)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or(Denial::Invalid)?;
                let (user, password) = decoded.split_once(':').ok_or(Denial::Invalid)?;
                // Every entry is compared, so the time taken tells nothing about which user exists.
                users.iter().fold(false, |found, (u, p)| {
                    found | (constant_time_eq(u, user) & constant_time_eq(p, password))
                })
            }
            RestAuth::Bearer { tokens } => tokens
                .iter()
                .fold(false, |found, t| found | constant_time_eq(t, credentials)),
        };
        if admitted {
            Ok(())
        } else {
            Err(Denial::Invalid)
        }
    }
}

fn basic_users(
    username: Option<String>,
    password: Option<String>,
    users_file: Option<String>,
    issues: &mut IssueCollector,
) -> BTreeMap<String, String> {
    let mut users = BTreeMap::new();
    match (username, password) {
        (Some(user), Some(_)) if user.contains(':') => {
            issues.push(USERNAME, format!("user name '{user}' must not contain ':'"));
        }
        (Some(user), Some(password)) => {
            users.insert(user, password);
        }
        (Some(_), None) => issues.push(
            PASSWORD,
            "rest.auth.basic.username is set without a password",
        ),
        (None, Some(_)) => issues.push(
            USERNAME,
            "rest.auth.basic.password is set without a user name",
        ),
        (None, None) => {}
    }
    if let Some(file) = users_file {
        match read_users_file(Path::new(&file)) {
            Ok(from_file) => users.extend(from_file),
            Err(reason) => issues.push(USERS_FILE, reason),
        }
    }
    if users.is_empty() && issues.is_empty() {
        issues.push(
            USERNAME,
            "rest.auth.type is basic but no user is configured: set rest.auth.basic.username and \
             rest.auth.basic.password, or rest.auth.basic.users.file",
        );
    }
    users
}

/// Reads a properties file of `user=password` lines.
fn read_users_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let users = crate::config::properties::parse(&text)
        .map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
    if let Some(user) = users.keys().find(|u| u.contains(':')) {
        return Err(format!(
            "user name '{user}' in {} contains ':'",
            path.display()
        ));
    }
    if let Some((user, _)) = users.iter().find(|(_, p)| p.is_empty()) {
        return Err(format!(
            "user '{user}' in {} has an empty password",
            path.display()
        ));
    }
    if users.is_empty() {
        return Err(format!("{} holds no user", path.display()));
    }
    Ok(users)
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a
/// guess was right; only the length of `expected` shows.
fn constant_time_eq(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    let mut diff = u8::from(expected.len() != given.len());
    for (i, byte) in expected.iter().enumerate() {
        diff |= byte ^ given.get(i).copied().unwrap_or(!byte);
    }
    std::hint::black_box(diff) == 0
}

/// axum middleware (use with `axum::middleware::from_fn_with_state(Arc<RestAuth>, require)`).
pub async fn require(State(auth): State<Arc<RestAuth>>, request: Request, next: Next) -> Response {
    let probe = request.uri().path() == HEALTH_PATH
        && (request.method() == Method::GET || request.method() == Method::HEAD);
    if probe {
        return next.run(request).await;
    }
    match auth.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(denial) => {
            tracing::debug!(path = request.uri().path(), ?denial, "REST request refused");
            unauthorized(&auth, denial)
        }
    }
}

fn unauthorized(auth: &RestAuth, denial: Denial) -> Response {
    let message = match denial {
        Denial::Missing => "Authentication required",
        Denial::Invalid => "Invalid credentials",
    };
    let body = Json(serde_json::json!({ "error_code": 401, "message": message }));
    let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
    if let Some(challenge) = auth.challenge() {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use sluice_api::config::props;

    /// Serves a tiny router behind the middleware; returns its base URL.
    async fn serve(auth: RestAuth) -> String {
        let app = Router::new()
            .route("/connectors", get(|| async { "[]" }))
            .route(HEALTH_PATH, get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(auth),
                require,
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn basic() -> RestAuth {
        RestAuth::from_worker(&props(&[
            (TYPE, "basic"),
            (USERNAME, "admin"),
            (PASSWORD, "s3cret"),
        ]))
        .unwrap()
    }

    #[tokio::test]
    async fn missing_credentials_get_401_with_json_and_challenge() {
        let base = serve(basic()).await;
        let response = reqwest::get(format!("{base}/connectors")).await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], BASIC_CHALLENGE);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error_code": 401, "message": "Authentication required"})
        );
    }

    #[tokio::test]
    async fn basic_admits_only_the_right_password() {
        let base = serve(basic()).await;
        let client = reqwest::Client::new();
        let url = format!("{base}/connectors");
        let wrong = client
            .get(&url)
            .basic_auth("admin", Some("s3cre"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        let body: serde_json::Value = wrong.json().await.unwrap();
        assert_eq!(body["message"], "Invalid credentials");
        let bearer_instead = client.get(&url).bearer_auth("s3cret").send().await.unwrap();
        assert_eq!(bearer_instead.status(), 401);

        let right = client
            .get(&url)
            .basic_auth("admin", Some("s3cret"))
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), 200);
        assert_eq!(right.text().await.unwrap(), "[]");
    }

    #[tokio::test]
    async fn bearer_admits_any_configured_token() {
        let auth = RestAuth::from_worker(&props(&[(TYPE, "bearer"), (TOKENS, "tok-one, tok-two")]))
            .unwrap();
        let base = serve(auth).await;
        let client = reqwest::Client::new();
        let url = format!("{base}/connectors");
        let denied = client
            .get(&url)
            .bearer_auth("tok-three")
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), 401);
        assert_eq!(denied.headers()["www-authenticate"], BEARER_CHALLENGE);
        for token in ["tok-one", "tok-two"] {
            let ok = client.get(&url).bearer_auth(token).send().await.unwrap();
            assert_eq!(ok.status(), 200, "{token}");
        }
    }

    #[tokio::test]
    async fn health_stays_open() {
        let base = serve(basic()).await;
        let response = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
    }

    #[test]
    fn users_file_holds_several_users() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("users.properties");
        std::fs::write(&file, "# REST users\nalice=wonder land\nbob: builder\n").unwrap();
        let auth = RestAuth::from_worker(&props(&[
            (TYPE, "basic"),
            (USERS_FILE, &file.display().to_string()),
            (USERNAME, "admin"),
            (PASSWORD, "s3cret"),
        ]))
        .unwrap();
        let RestAuth::Basic { users } = &auth else {
            panic!("expected basic, got {auth:?}");
        };
        let expected: BTreeMap<String, String> = [
            ("admin", "s3cret"),
            ("alice", "wonder land"),
            ("bob", "builder"),
        ]
        .iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect();
        assert_eq!(users, &expected);
        assert_eq!(
            format!("{auth:?}"),
            r#"Basic { users: ["admin", "alice", "bob"] }"#
        );

        let mut headers = HeaderMap::new();
        let credentials = STANDARD.encode("alice:wonder land");
        let value = HeaderValue::from_str(&format!("Basic {credentials}")).unwrap();
        headers.insert(header::AUTHORIZATION, value);
        assert_eq!(auth.check(&headers), Ok(()));

        std::fs::write(&file, "carol=\n").unwrap();
        let err = RestAuth::from_worker(&props(&[
            (TYPE, "basic"),
            (USERS_FILE, &file.display().to_string()),
        ]))
        .unwrap_err();
        assert_eq!(err.issues()[0].key, USERS_FILE);
        assert!(err.issues()[0].reason.ends_with("has an empty password"));
    }

    /// Settings, then the key and a part of the reason of the first issue.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

    #[test]
    fn incomplete_settings_are_errors_naming_the_key() {
        let cases: [Case<'_>; 5] = [
            (&[(TYPE, "basic")], USERNAME, "no user is configured"),
            (
                &[(TYPE, "basic"), (USERNAME, "a")],
                PASSWORD,
                "without a password",
            ),
            (
                &[(TYPE, "basic"), (USERS_FILE, "/nonexistent/users")],
                USERS_FILE,
                "cannot read",
            ),
            (
                &[(TYPE, "bearer"), (TOKENS, " , ")],
                TOKENS,
                "no token is configured",
            ),
            (&[(TYPE, "digest")], TYPE, "must be one of"),
        ];
        for (pairs, key, reason) in cases {
            let err = RestAuth::from_worker(&props(pairs)).unwrap_err();
            assert_eq!(err.issues()[0].key, key, "{err}");
            assert!(err.issues()[0].reason.contains(reason), "{err}");
        }
        assert!(matches!(
            RestAuth::from_worker(&Props::new()),
            Ok(RestAuth::None)
        ));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("secret", "secret"));
        assert!(!constant_time_eq("secret", "secreT"));
        assert!(!constant_time_eq("secret", "secret2"));
        assert!(!constant_time_eq("secret", "secre"));
        assert!(!constant_time_eq("", "x"));
        assert!(constant_time_eq("", ""));
    }

    #[test]
    fn peers_authenticate_with_the_first_configured_credentials() {
        assert_eq!(RestAuth::None.peer_header(), None);
        let basic = RestAuth::Basic {
            users: BTreeMap::from([("admin".to_string(), "pw".to_string())]),
        };
        assert_eq!(
            basic.peer_header().as_deref(),
            Some(format!("Basic {}", STANDARD.encode("admin:pw")).as_str())
        );
        let bearer = RestAuth::Bearer {
            tokens: vec!["t1".into(), "t2".into()],
        };
        assert_eq!(bearer.peer_header().as_deref(), Some("Bearer t1"));
    }
}
