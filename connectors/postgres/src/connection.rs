//! Connection settings shared by the sink and the source: `connection.url` in JDBC form
//! (`jdbc:postgresql://host:port/db?user=…`) or libpq URL form (`postgres://…`), with
//! `connection.user`/`connection.password` taking precedence over credentials in the URL.

use std::str::FromStr;
use std::time::Duration;

use sluice_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig, Validator};
use sluice_api::{ConfigErrors, ConnectResult};
use tokio_postgres::{Client, NoTls};

use crate::error::classify;

pub const CONNECTION_URL: &str = "connection.url";
pub const CONNECTION_USER: &str = "connection.user";
pub const CONNECTION_PASSWORD: &str = "connection.password";
pub const CONNECTION_ATTEMPTS: &str = "connection.attempts";
pub const CONNECTION_BACKOFF_MS: &str = "connection.backoff.ms";

/// pgjdbc URL parameters that have no meaning for this client; they are accepted and ignored so
/// that existing connector configs run unchanged.
const IGNORED_JDBC_PARAMS: &[&str] = &[
    "reWriteBatchedInserts",
    "prepareThreshold",
    "preparedStatementCacheQueries",
    "defaultRowFetchSize",
    "loggerLevel",
    "tcpKeepAlive",
    "stringtype",
    "loginTimeout",
    "socketTimeout",
    "assumeMinServerVersion",
];

/// The connection keys, as the Confluent JDBC connector names them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            CONNECTION_URL,
            ConfigType::String,
            Importance::High,
            "PostgreSQL connection URL: jdbc:postgresql://host:port/database?… or postgres://user@host:port/database.",
        )
        .validate(Validator::NonEmpty)
        .in_group("Connection")
        .optional(
            CONNECTION_USER,
            ConfigType::String,
            None,
            Importance::High,
            "PostgreSQL user; overrides a user in the URL.",
        )
        .in_group("Connection")
        .optional(
            CONNECTION_PASSWORD,
            ConfigType::Password,
            None,
            Importance::High,
            "PostgreSQL password; overrides a password in the URL.",
        )
        .in_group("Connection")
        .optional(
            CONNECTION_ATTEMPTS,
            ConfigType::Int,
            Some("3"),
            Importance::Low,
            "Attempts to connect before the error is reported; the task loop retries after that.",
        )
        .validate(Validator::AtLeast(1))
        .in_group("Connection")
        .optional(
            CONNECTION_BACKOFF_MS,
            ConfigType::Long,
            Some("10000"),
            Importance::Low,
            "Wait between connection attempts, in milliseconds.",
        )
        .validate(Validator::AtLeast(0))
        .in_group("Connection")
}

/// How to reach the database.
#[derive(Clone)]
pub struct ConnectionConfig {
    pub pg: tokio_postgres::Config,
    pub attempts: u32,
    pub backoff: Duration,
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tokio_postgres::Config redacts the password in its own Debug output.
        f.debug_struct("ConnectionConfig")
            .field("pg", &self.pg)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl ConnectionConfig {
    /// Builds the connection settings from parsed connection keys.
    pub fn from_parsed(parsed: &ParsedConfig) -> Result<Self, ConfigErrors> {
        let url = parsed.string(CONNECTION_URL);
        let mut pg = parse_url(&url).map_err(|reason| ConfigErrors::one(CONNECTION_URL, reason))?;
        if let Some(user) = parsed.optional_string(CONNECTION_USER) {
            pg.user(user);
        }
        if let Some(password) = parsed.optional_string(CONNECTION_PASSWORD) {
            pg.password(password);
        }
        if pg.get_user().is_none() {
            return Err(ConfigErrors::one(
                CONNECTION_USER,
                "no user: set connection.user or put one in connection.url",
            ));
        }
        Ok(ConnectionConfig {
            pg,
            attempts: u32::try_from(parsed.int(CONNECTION_ATTEMPTS))
                .unwrap_or(1)
                .max(1),
            backoff: Duration::from_millis(
                u64::try_from(parsed.int(CONNECTION_BACKOFF_MS)).unwrap_or(0),
            ),
        })
    }

    /// Connects, trying `connection.attempts` times; the connection is driven by a task that
    /// ends when the client is dropped.
    pub async fn connect(&self, purpose: &str) -> ConnectResult<Client> {
        let mut attempt = 1;
        loop {
            match self.pg.connect(NoTls).await {
                Ok((client, connection)) => {
                    let purpose = purpose.to_string();
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "postgres {purpose} connection closed");
                        }
                    });
                    return Ok(client);
                }
                Err(e) if attempt < self.attempts => {
                    tracing::warn!(error = %e, attempt, "cannot connect to PostgreSQL; retrying");
                    attempt += 1;
                    tokio::time::sleep(self.backoff).await;
                }
                Err(e) => {
                    let err = classify(
                        &e,
                        &format!("cannot connect to PostgreSQL for the {purpose}"),
                    );
                    // A refused login or unknown database does not fix itself.
                    return Err(err);
                }
            }
        }
    }
}

/// Parses a JDBC (`jdbc:postgresql:…`) or libpq (`postgres://…`, `key=value …`) URL.
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, String> {
    let url = url.trim();
    let config = match url.strip_prefix("jdbc:postgresql:") {
        Some(rest) => parse_jdbc(rest)?,
        None if url.starts_with("jdbc:") => {
            return Err(format!(
                "'{}' is not a PostgreSQL JDBC URL (expected jdbc:postgresql://host:port/database)",
                url.split('?').next().unwrap_or(url)
            ));
        }
        None => tokio_postgres::Config::from_str(url).map_err(|e| format!("invalid URL: {e}"))?,
    };
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err("sslmode=require is not supported: this build connects without TLS".into());
    }
    Ok(config)
}

/// The part after `jdbc:postgresql:`: `//host[:port][,host:port…]/database[?k=v&…]`, or a bare
/// database name (localhost:5432), as pgjdbc accepts.
fn parse_jdbc(rest: &str) -> Result<tokio_postgres::Config, String> {
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut config = tokio_postgres::Config::new();
    let database = match location.strip_prefix("//") {
        Some(hosts_and_db) => {
            let (hosts, database) = hosts_and_db.split_once('/').unwrap_or((hosts_and_db, ""));
            let hosts = if hosts.is_empty() { "localhost" } else { hosts };
            for host in hosts.split(',') {
                let (name, port) = split_host_port(host)?;
                config.host(name);
                config.port(port);
            }
            database
        }
        None => {
            config.host("localhost");
            config.port(5432);
            location
        }
    };
    if !database.is_empty() {
        config.dbname(percent_decode(database));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "user" => {
                config.user(value);
            }
            "password" => {
                config.password(value);
            }
            "ApplicationName" | "applicationName" => {
                config.application_name(value);
            }
            "options" => {
                config.options(value);
            }
            "currentSchema" => {
                config.options(format!("-c search_path={value}"));
            }
            "connectTimeout" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| format!("connectTimeout '{value}' is not a number of seconds"))?;
                config.connect_timeout(Duration::from_secs(secs));
            }
            "ssl" | "sslmode" => match value.as_str() {
                "false" | "disable" | "allow" | "prefer" => {
                    config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                }
                other => {
                    return Err(format!(
                        "{key}={other} is not supported: this build connects without TLS"
                    ));
                }
            },
            key if IGNORED_JDBC_PARAMS.contains(&key) => {}
            other => {
                tracing::warn!(parameter = other, "ignoring unknown JDBC URL parameter");
            }
        }
    }
    Ok(config)
}

fn split_host_port(host: &str) -> Result<(&str, u16), String> {
    // `[::1]:5432` for IPv6 literals.
    if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in host '{host}'"))?;
        let port = match after.strip_prefix(':') {
            Some(port) => parse_port(port)?,
            None => 5432,
        };
        return Ok((name, port));
    }
    match host.rsplit_once(':') {
        Some((name, port)) => Ok((name, parse_port(port)?)),
        None => Ok((host, 5432)),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    port.parse()
        .map_err(|_| format!("port '{port}' is not a number between 0 and 65535"))
}

/// Decodes `%XX` escapes, as URL query values carry them.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::Host;

    fn hosts(config: &tokio_postgres::Config) -> Vec<String> {
        config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect()
    }

    #[test]
    fn jdbc_urls_with_hosts_ports_and_parameters() {
        let config =
            parse_url("jdbc:postgresql://db1:6432,db2/orders?user=app&password=s%40cret&reWriteBatchedInserts=true")
                .unwrap();
        assert_eq!(hosts(&config), ["db1", "db2"]);
        assert_eq!(config.get_ports(), [6432, 5432]);
        assert_eq!(config.get_dbname(), Some("orders"));
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"s@cret"[..]));
    }

    #[test]
    fn bare_jdbc_database_means_localhost() {
        let config = parse_url("jdbc:postgresql:test").unwrap();
        assert_eq!(hosts(&config), ["localhost"]);
        assert_eq!(config.get_dbname(), Some("test"));
    }

    #[test]
    fn libpq_urls_pass_through() {
        let config = parse_url("postgres://me@127.0.0.1:5433/test").unwrap();
        assert_eq!(hosts(&config), ["127.0.0.1"]);
        assert_eq!(config.get_ports(), [5433]);
        assert_eq!(config.get_user(), Some("me"));
    }

    #[test]
    fn other_jdbc_drivers_and_tls_are_refused() {
        let err = parse_url("jdbc:mysql://h/db").unwrap_err();
        assert!(err.contains("not a PostgreSQL JDBC URL"), "{err}");
        let err = parse_url("jdbc:postgresql://h/db?sslmode=verify-full").unwrap_err();
        assert!(err.contains("without TLS"), "{err}");
    }
}
