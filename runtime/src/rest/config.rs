//! The worker settings of the REST API, with Kafka Connect's names: where it listens, how it
//! advertises itself, topic tracking, and (from `auth` and `tls`) who may call it over what.

use std::fmt;
use std::net::SocketAddr;

use sluice_api::Props;
use sluice_api::config::{
    ConfigDef, ConfigErrors, ConfigType, ConfigValue, Importance, IssueCollector, Validator,
};
use tokio_rustls::TlsAcceptor;

use super::{auth, tls};
use auth::RestAuth;

const LISTENERS: &str = "listeners";
const ADVERTISED_HOST: &str = "rest.advertised.host.name";
const ADVERTISED_PORT: &str = "rest.advertised.port";
const ADVERTISED_LISTENER: &str = "rest.advertised.listener";
const TOPIC_TRACKING: &str = "topic.tracking.enable";
const TOPIC_RESET: &str = "topic.tracking.allow.reset";
pub const DEFAULT_LISTENERS: &str = "http://0.0.0.0:8083";

/// Every REST key a worker file may set, TLS and authentication included.
pub fn config_def() -> ConfigDef {
    own_config_def()
        .merge(auth::config_def())
        .merge(tls::config_def())
}

fn own_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .optional(
            LISTENERS,
            List,
            Some(DEFAULT_LISTENERS),
            High,
            "Comma-separated URLs the REST API listens on, each http://host:port or \
             https://host:port. An empty host or 0.0.0.0 listens on every interface; port 0 \
             picks any free port. https listeners need the listeners.https.ssl.* (or ssl.*) \
             keystore settings.",
        )
        .validate(Validator::Custom(valid_listeners))
        .optional(
            ADVERTISED_HOST,
            String,
            None,
            Low,
            "Host name this worker gives as its own, in worker ids (host:port) of status \
             reports; default: the listener's host, or the machine's host name when the \
             listener binds every interface.",
        )
        .optional(
            ADVERTISED_PORT,
            Int,
            None,
            Low,
            "Port this worker gives as its own; default: the port the advertised listener \
             bound.",
        )
        .validate(Validator::Between(1, 65535))
        .optional(
            ADVERTISED_LISTENER,
            String,
            None,
            Low,
            "Which listener (http or https) this worker advertises; default: the first one.",
        )
        .validate(Validator::OneOf(vec!["http".into(), "https".into()]))
        .optional(
            TOPIC_TRACKING,
            Boolean,
            Some("true"),
            Low,
            "Record the topics each connector uses, for GET /connectors/{name}/topics.",
        )
        .optional(
            TOPIC_RESET,
            Boolean,
            Some("true"),
            Low,
            "Allow PUT /connectors/{name}/topics/reset to clear the recorded topics.",
        )
}

fn valid_listeners(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::List(items) if items.is_empty() => {
            Err("at least one listener is needed, e.g. http://0.0.0.0:8083".to_string())
        }
        ConfigValue::List(items) => items.iter().try_for_each(|item| {
            Listener::parse(item)
                .map(|_| ())
                .map_err(|reason| format!("'{item}': {reason}"))
        }),
        _ => Ok(()),
    }
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn parse(text: &str) -> Option<Scheme> {
        match text.trim().to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One entry of `listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub scheme: Scheme,
    /// As written, without brackets for IPv6; `0.0.0.0` when the URL left it empty.
    pub host: String,
    /// 0: any free port.
    pub port: u16,
}

impl Listener {
    /// Reads `http://host:port` or `https://host:port` (IPv6 hosts in brackets).
    pub fn parse(text: &str) -> Result<Listener, String> {
        let expected = "expected http://host:port or https://host:port";
        let (scheme, rest) = text
            .trim()
            .split_once("://")
            .ok_or_else(|| format!("no scheme; {expected}"))?;
        let scheme = Scheme::parse(scheme)
            .ok_or_else(|| format!("scheme '{scheme}' is not supported; {expected}"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(format!("a listener has no path; {expected}"));
        }
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("no port; {expected}"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("port '{port}' is not a number from 0 to 65535"))?;
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6,
            None if host.contains(':') => {
                return Err(
                    "an IPv6 host must be written in brackets, e.g. http://[::]:8083".to_string(),
                );
            }
            None => host,
        };
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        Ok(Listener {
            scheme,
            host: host.to_string(),
            port,
        })
    }

    /// Whether the host means every interface, so it names no reachable machine.
    fn binds_everything(&self) -> bool {
        matches!(self.host.as_str(), "0.0.0.0" | "::")
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}:{}",
            self.scheme.as_str(),
            host_part(&self.host),
            self.port
        )
    }
}

/// A host as it appears in `host:port`: IPv6 addresses in brackets.
fn host_part(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The validated REST settings of a worker.
#[derive(Clone)]
pub struct RestConfig {
    pub listeners: Vec<Listener>,
    pub advertised_host: Option<String>,
    pub advertised_port: Option<u16>,
    pub advertised_listener: Option<Scheme>,
    /// `topic.tracking.enable`.
    pub topic_tracking: bool,
    /// `topic.tracking.allow.reset`.
    pub topic_reset: bool,
    pub auth: RestAuth,
    /// Built once the settings are checked, so a bad keystore stops the worker before anything
    /// starts; `None` without an https listener.
    tls: Option<TlsAcceptor>,
}

/// Never prints key material; `RestAuth` hides its secrets itself.
impl fmt::Debug for RestConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestConfig")
            .field(
                "listeners",
                &self
                    .listeners
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .field("advertised_host", &self.advertised_host)
            .field("advertised_port", &self.advertised_port)
            .field("advertised_listener", &self.advertised_listener)
            .field("topic_tracking", &self.topic_tracking)
            .field("topic_reset", &self.topic_reset)
            .field("auth", &self.auth)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl RestConfig {
    /// Reads and checks every REST setting of the worker (already through config providers),
    /// reporting all problems at once.
    pub fn from_worker(props: &Props) -> Result<RestConfig, ConfigErrors> {
        let mut issues = IssueCollector::new();
        // Bad values fall back to their defaults here, so the checks below still run.
        let parsed = own_config_def().parse_collecting(props, &mut issues);
        let auth = issues.take(RestAuth::from_worker(props));
        let Some(parsed) = parsed else {
            return Err(issues.into_errors());
        };
        // The validator has accepted every entry that is left.
        let listeners: Vec<Listener> = parsed
            .list(LISTENERS)
            .iter()
            .filter_map(|l| Listener::parse(l).ok())
            .collect();
        let advertised_listener = parsed
            .optional_string(ADVERTISED_LISTENER)
            .and_then(|s| Scheme::parse(&s));
        if let Some(scheme) = advertised_listener
            && !listeners.iter().any(|l| l.scheme == scheme)
        {
            issues.push(
                ADVERTISED_LISTENER,
                format!(
                    "no {} listener is configured in {LISTENERS}",
                    scheme.as_str()
                ),
            );
        }
        let tls = if listeners.iter().any(|l| l.scheme == Scheme::Https) {
            issues.take(tls::acceptor(props))
        } else {
            None
        };
        let advertised_port = parsed
            .optional_int(ADVERTISED_PORT)
            .and_then(|p| u16::try_from(p).ok());
        match auth {
            Some(auth) if issues.is_empty() => Ok(RestConfig {
                listeners,
                advertised_host: parsed.optional_string(ADVERTISED_HOST),
                advertised_port,
                advertised_listener,
                topic_tracking: parsed.bool(TOPIC_TRACKING),
                topic_reset: parsed.bool(TOPIC_RESET),
                auth,
                tls,
            }),
            _ => Err(issues.into_errors()),
        }
    }

    /// The TLS acceptor of the https listeners.
    pub fn tls(&self) -> Option<&TlsAcceptor> {
        self.tls.as_ref()
    }

    /// Which of `listeners` this worker advertises: the first of the advertised scheme, else
    /// the first.
    pub fn advertised_index(&self) -> usize {
        self.advertised_listener
            .and_then(|scheme| self.listeners.iter().position(|l| l.scheme == scheme))
            .unwrap_or(0)
    }

    /// The URL other workers reach this one at: the advertised listener's scheme and
    /// [`RestConfig::worker_id`].
    pub fn advertised_url(&self, bound: SocketAddr) -> String {
        let scheme = self
            .listeners
            .get(self.advertised_index())
            .map_or("http", |l| l.scheme.as_str());
        format!("{scheme}://{}", self.worker_id(bound))
    }

    /// This worker's id as Kafka Connect forms it, `host:port` of the advertised URL:
    /// `rest.advertised.host.name`, else the advertised listener's host (the machine's host
    /// name when that binds every interface); `rest.advertised.port`, else the port `bound`
    /// (the address the advertised listener got).
    pub fn worker_id(&self, bound: SocketAddr) -> String {
        let host = match &self.advertised_host {
            Some(host) => host.clone(),
            None => match self.listeners.get(self.advertised_index()) {
                Some(listener) if !listener.binds_everything() => listener.host.clone(),
                _ => machine_hostname(),
            },
        };
        let port = self.advertised_port.unwrap_or(bound.port());
        format!("{}:{port}", host_part(&host))
    }
}

/// The kernel's host name, or the loopback address when it cannot be read.
fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "127.0.0.1".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    fn issues(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        match RestConfig::from_worker(&props(pairs)) {
            Ok(config) => panic!("expected errors, got {config:?}"),
            Err(errors) => errors
                .issues()
                .iter()
                .map(|i| (i.key.clone(), i.reason.clone()))
                .collect(),
        }
    }

    #[test]
    fn defaults_listen_on_8083_with_tracking_on() {
        let config = RestConfig::from_worker(&Props::new()).unwrap();
        assert_eq!(config.listeners[0].to_string(), DEFAULT_LISTENERS);
        assert!(config.topic_tracking && config.topic_reset);
        assert!(config.tls().is_none());
        let bound: SocketAddr = "0.0.0.0:8083".parse().unwrap();
        assert_eq!(
            config.worker_id(bound),
            format!("{}:8083", machine_hostname())
        );
    }

    #[test]
    fn worker_id_prefers_advertised_settings() {
        let config = RestConfig::from_worker(&props(&[
            (LISTENERS, "http://127.0.0.1:0, http://[::1]:0"),
            (ADVERTISED_PORT, "9000"),
        ]))
        .unwrap();
        let bound: SocketAddr = "127.0.0.1:43121".parse().unwrap();
        assert_eq!(config.worker_id(bound), "127.0.0.1:9000");
        assert_eq!(config.listeners[1].to_string(), "http://[::1]:0");
        let named = RestConfig::from_worker(&props(&[
            (LISTENERS, "http://127.0.0.1:0"),
            (ADVERTISED_HOST, "connect-1.example"),
        ]))
        .unwrap();
        assert_eq!(named.worker_id(bound), "connect-1.example:43121");
    }

    #[test]
    fn every_problem_names_its_key() {
        let found = issues(&[(LISTENERS, "http://a:1,ftp://b:2")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, LISTENERS);
        assert!(found[0].1.contains("scheme 'ftp'"), "{found:?}");
        for (bad, reason) in [
            ("localhost:8083", "no scheme"),
            ("http://host", "no port"),
            ("http://host:99999", "port '99999'"),
            ("http://host:1/api", "no path"),
        ] {
            let found = issues(&[(LISTENERS, bad)]);
            assert!(found[0].1.contains(reason), "{bad}: {found:?}");
        }

        let found = issues(&[(LISTENERS, "https://127.0.0.1:0")]);
        assert_eq!(found[0].0, "ssl.keystore.location");

        let found = issues(&[
            (ADVERTISED_LISTENER, "https"),
            (TOPIC_TRACKING, "maybe"),
            ("rest.auth.type", "basic"),
        ]);
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                TOPIC_TRACKING,
                "rest.auth.basic.username",
                ADVERTISED_LISTENER
            ],
            "{found:?}"
        );
    }
}
