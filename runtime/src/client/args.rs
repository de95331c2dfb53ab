//! The command line of `sluice connectors`, and how its global options fall back to `SLUICE_*`
//! environment variables.
//!
//! The fallback is applied here rather than through clap's `env` attribute so that secrets taken
//! from the environment never show up in `--help` output and every bad value names its source.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Url;

/// Worker REST URL used when neither `--url` nor `SLUICE_URL` is given (Kafka Connect's port).
pub const DEFAULT_URL: &str = "http://localhost:8083";
/// Seconds to wait for one request when neither `--timeout` nor `SLUICE_TIMEOUT` is given.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

const OUTPUT_HELP: &str = "\
Output:
  table (default)  aligned columns with a header row, or a one-line confirmation
  json             the worker's JSON response body, pretty-printed; a response without a body
                   (204, and the 202 of pause/resume) prints nothing

Exit status: 0 on success, 1 when the worker answers with an error (printed as
`error <status>: <message>` on stderr) or cannot be reached, 2 for usage errors.";

/// `sluice connectors`: global options, then one command.
#[derive(Debug, Args)]
#[command(
    after_help = "See --help for the output formats and exit status.",
    after_long_help = OUTPUT_HELP
)]
pub struct ConnectorsArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: ConnectorsCommand,
}

/// How to reach and authenticate to the worker, and how to print answers.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Worker REST URL [env: SLUICE_URL] [default: http://localhost:8083]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// User for HTTP basic authentication [env: SLUICE_USER]
    #[arg(long, global = true, value_name = "USER")]
    pub user: Option<String>,
    /// Password for HTTP basic authentication [env: SLUICE_PASSWORD]
    #[arg(long, global = true, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// Bearer token [env: SLUICE_TOKEN]
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Trust the CA certificates in this PEM file for https [env: SLUICE_CA_CERT]
    #[arg(long, global = true, value_name = "PEM_FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Skip TLS certificate verification (warns on stderr) [env: SLUICE_INSECURE=true]
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Output format [env: SLUICE_OUTPUT] [default: table]
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// Seconds to wait for each request [env: SLUICE_TIMEOUT] [default: 30]
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,
}

/// How answers are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns, or a one-line confirmation.
    #[default]
    Table,
    /// The worker's JSON body, pretty-printed.
    Json,
}

/// The state a new connector starts in (`initial_state` of `POST /connectors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitialState {
    #[value(name = "RUNNING")]
    Running,
    #[value(name = "PAUSED")]
    Paused,
    #[value(name = "STOPPED")]
    Stopped,
}

impl InitialState {
    /// The value Kafka Connect expects in `initial_state`.
    pub fn as_str(self) -> &'static str {
        match self {
            InitialState::Running => "RUNNING",
            InitialState::Paused => "PAUSED",
            InitialState::Stopped => "STOPPED",
        }
    }
}

/// One operation on the worker's connectors.
#[derive(Debug, Subcommand)]
pub enum ConnectorsCommand {
    /// List connectors with their type, state, running tasks and class.
    List,
    /// Show a connector's type, tasks and config.
    Get {
        /// Connector name.
        name: String,
    },
    /// Create a connector from a YAML, JSON or .properties file.
    Create {
        /// Connector file; it gives the name and the config.
        file: PathBuf,
        /// State the connector starts in.
        #[arg(long, value_enum, ignore_case = true, conflicts_with = "replace")]
        initial_state: Option<InitialState>,
        /// Create or update through PUT /connectors/{name}/config instead of failing if it exists.
        #[arg(long)]
        replace: bool,
    },
    /// Delete a connector.
    Delete {
        /// Connector name.
        name: String,
    },
    /// Pause a connector and its tasks.
    Pause {
        /// Connector name.
        name: String,
    },
    /// Resume a paused or stopped connector.
    Resume {
        /// Connector name.
        name: String,
    },
    /// Stop a connector: its tasks are shut down and their resources released.
    Stop {
        /// Connector name.
        name: String,
    },
    /// Restart a connector, its tasks, or one task.
    Restart {
        /// Connector name.
        name: String,
        /// Restart the tasks too.
        #[arg(long, conflicts_with = "task")]
        include_tasks: bool,
        /// Restart only the instances that are FAILED.
        #[arg(long, conflicts_with = "task")]
        only_failed: bool,
        /// Restart only this task.
        #[arg(long, value_name = "N")]
        task: Option<u32>,
    },
    /// Show the state of a connector and of each of its tasks.
    Status {
        /// Connector name.
        name: String,
    },
    /// Show, reset or alter a connector's offsets (reset and alter need it STOPPED).
    Offsets {
        /// Connector name.
        name: String,
        /// Delete all of the connector's offsets.
        #[arg(long, conflicts_with = "alter")]
        reset: bool,
        /// Set offsets from a JSON file of the form {"offsets":[{"partition":…,"offset":…}]}.
        #[arg(long, value_name = "JSON_FILE")]
        alter: Option<PathBuf>,
    },
}

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic {
        user: String,
        password: Option<String>,
    },
    Bearer(String),
}

// Hand-written so that secrets never reach a log or a panic message.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// The global options after the environment fallback, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub url: Url,
    pub auth: Auth,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub output: OutputFormat,
    pub timeout: Duration,
}

/// A global option or its environment variable has a value that cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {reason}")]
pub struct UsageError {
    /// The option or variable the bad value came from, e.g. `--timeout` or `SLUICE_TIMEOUT`.
    pub source_name: String,
    pub reason: String,
}

impl UsageError {
    fn new(source_name: &str, reason: impl Into<String>) -> Self {
        UsageError {
            source_name: source_name.to_string(),
            reason: reason.into(),
        }
    }
}

/// A value and where it came from, so errors can name the flag or the variable.
struct Sourced<T> {
    value: T,
    from: String,
}

fn pick<T>(
    flag: Option<T>,
    flag_name: &str,
    var: &str,
    env: &dyn Fn(&str) -> Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<Sourced<T>>, UsageError> {
    if let Some(value) = flag {
        return Ok(Some(Sourced {
            value,
            from: flag_name.to_string(),
        }));
    }
    match env(var).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(&text)
            .map(|value| {
                Some(Sourced {
                    value,
                    from: var.to_string(),
                })
            })
            .map_err(|reason| UsageError::new(var, reason)),
    }
}

fn text(value: &str) -> Result<String, String> {
    Ok(value.to_string())
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got '{value}'")),
    }
}

fn parse_secs(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number of seconds, got '{value}'"))
}

fn parse_output(value: &str) -> Result<OutputFormat, String> {
    <OutputFormat as ValueEnum>::from_str(value, true)
        .map_err(|_| format!("expected table or json, got '{value}'"))
}

impl Settings {
    /// Applies the `SLUICE_*` fallbacks (read through `env`) to the flags and checks the result.
    pub fn resolve(
        args: &GlobalArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, UsageError> {
        let url = pick(args.url.clone(), "--url", "SLUICE_URL", env, text)?;
        let user = pick(args.user.clone(), "--user", "SLUICE_USER", env, text)?;
        let password = pick(
            args.password.clone(),
            "--password",
            "SLUICE_PASSWORD",
            env,
            text,
        )?;
        let token = pick(args.token.clone(), "--token", "SLUICE_TOKEN", env, text)?;
        let ca_cert = pick(
            args.ca_cert.clone(),
            "--ca-cert",
            "SLUICE_CA_CERT",
            env,
            |v| Ok(PathBuf::from(v)),
        )?;
        let insecure = pick(
            args.insecure.then_some(true),
            "--insecure",
            "SLUICE_INSECURE",
            env,
            parse_bool,
        )?;
        let output = pick(args.output, "--output", "SLUICE_OUTPUT", env, parse_output)?;
        let timeout = pick(args.timeout, "--timeout", "SLUICE_TIMEOUT", env, parse_secs)?;

        let url = match url {
            Some(url) => parse_url(&url.value).map_err(|r| UsageError::new(&url.from, r))?,
            None => parse_url(DEFAULT_URL).map_err(|r| UsageError::new("--url", r))?,
        };
        let auth = match (user, password, token) {
            (Some(user), _, Some(token)) => {
                return Err(UsageError::new(
                    &token.from,
                    format!(
                        "cannot be combined with {}: choose basic or bearer",
                        user.from
                    ),
                ));
            }
            (None, Some(password), _) => {
                return Err(UsageError::new(
                    &password.from,
                    "needs a user (--user or SLUICE_USER)",
                ));
            }
            (Some(user), password, None) => Auth::Basic {
                user: user.value,
                password: password.map(|p| p.value),
            },
            (None, None, Some(token)) => Auth::Bearer(token.value),
            (None, None, None) => Auth::None,
        };
        let timeout = match timeout {
            Some(Sourced { value: 0, from }) => {
                return Err(UsageError::new(&from, "must be at least 1 second"));
            }
            Some(t) => t.value,
            None => DEFAULT_TIMEOUT_SECS,
        };
        Ok(Settings {
            url,
            auth,
            ca_cert: ca_cert.map(|c| c.value),
            insecure: insecure.is_some_and(|i| i.value),
            output: output.map(|o| o.value).unwrap_or_default(),
            timeout: Duration::from_secs(timeout),
        })
    }
}

/// An http(s) base URL; a path prefix (a worker behind a proxy) is kept.
fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("invalid URL '{text}': {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "unsupported scheme '{other}' in '{text}': use http or https"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(args: &GlobalArgs, vars: &[(&str, &str)]) -> Result<Settings, UsageError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(args, &|key| vars.get(key).cloned())
    }

    #[test]
    fn defaults_apply_without_flags_or_env() {
        let settings = resolve(&GlobalArgs::default(), &[]).unwrap();
        assert_eq!(settings.url.as_str(), "http://localhost:8083/");
        assert_eq!(settings.auth, Auth::None);
        assert_eq!(settings.output, OutputFormat::Table);
        assert_eq!(settings.timeout, Duration::from_secs(30));
        assert!(!settings.insecure);
        assert_eq!(settings.ca_cert, None);
    }

    #[test]
    fn env_fills_in_what_flags_leave_out() {
        let settings = resolve(
            &GlobalArgs::default(),
            &[
                ("SLUICE_URL", "https://connect.example:8443/base"),
                ("SLUICE_USER", "admin"),
                ("SLUICE_PASSWORD", "s3cret"),
                ("SLUICE_CA_CERT", "/etc/ca.pem"),
                ("SLUICE_INSECURE", "yes"),
                ("SLUICE_OUTPUT", "JSON"),
                ("SLUICE_TIMEOUT", "5"),
            ],
        )
        .unwrap();
        assert_eq!(settings.url.as_str(), "https://connect.example:8443/base");
        assert_eq!(
            settings.auth,
            Auth::Basic {
                user: "admin".into(),
                password: Some("s3cret".into())
            }
        );
        assert_eq!(settings.ca_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert!(settings.insecure);
        assert_eq!(settings.output, OutputFormat::Json);
        assert_eq!(settings.timeout, Duration::from_secs(5));
    }

    #[test]
    fn flags_win_over_env() {
        let args = GlobalArgs {
            url: Some("http://flag:1".into()),
            token: Some("flag-token".into()),
            output: Some(OutputFormat::Table),
            timeout: Some(7),
            ..GlobalArgs::default()
        };
        let settings = resolve(
            &args,
            &[
                ("SLUICE_URL", "http://env:2"),
                ("SLUICE_TOKEN", "env-token"),
                ("SLUICE_OUTPUT", "json"),
                ("SLUICE_TIMEOUT", "99"),
            ],
        )
        .unwrap();
        assert_eq!(settings.url.as_str(), "http://flag:1/");
        assert_eq!(settings.auth, Auth::Bearer("flag-token".into()));
        assert_eq!(settings.output, OutputFormat::Table);
        assert_eq!(settings.timeout, Duration::from_secs(7));
    }

    #[test]
    fn empty_env_values_count_as_unset() {
        let settings = resolve(&GlobalArgs::default(), &[("SLUICE_URL", "")]).unwrap();
        assert_eq!(settings.url.as_str(), "http://localhost:8083/");
    }

    #[test]
    fn bad_values_name_their_source() {
        let err = resolve(&GlobalArgs::default(), &[("SLUICE_TIMEOUT", "soon")]).unwrap_err();
        assert_eq!(err.source_name, "SLUICE_TIMEOUT");
        assert!(err.reason.contains("'soon'"), "{err}");

        let args = GlobalArgs {
            timeout: Some(0),
            ..GlobalArgs::default()
        };
        assert_eq!(resolve(&args, &[]).unwrap_err().source_name, "--timeout");

        let args = GlobalArgs {
            url: Some("ftp://host".into()),
            ..GlobalArgs::default()
        };
        let err = resolve(&args, &[]).unwrap_err();
        assert_eq!(err.source_name, "--url");
        assert!(err.reason.contains("http or https"), "{err}");

        let err = resolve(&GlobalArgs::default(), &[("SLUICE_URL", "not a url")]).unwrap_err();
        assert_eq!(err.source_name, "SLUICE_URL");

        let err = resolve(&GlobalArgs::default(), &[("SLUICE_INSECURE", "maybe")]).unwrap_err();
        assert_eq!(err.source_name, "SLUICE_INSECURE");

        let err = resolve(&GlobalArgs::default(), &[("SLUICE_OUTPUT", "xml")]).unwrap_err();
        assert_eq!(err.source_name, "SLUICE_OUTPUT");
    }

    #[test]
    fn basic_and_bearer_are_exclusive_and_password_needs_user() {
        let args = GlobalArgs {
            user: Some("u".into()),
            ..GlobalArgs::default()
        };
        let err = resolve(&args, &[("SLUICE_TOKEN", "t")]).unwrap_err();
        assert_eq!(err.source_name, "SLUICE_TOKEN");
        assert!(err.reason.contains("--user"), "{err}");

        let args = GlobalArgs {
            password: Some("p".into()),
            ..GlobalArgs::default()
        };
        assert_eq!(resolve(&args, &[]).unwrap_err().source_name, "--password");
    }

    #[test]
    fn user_without_password_is_basic_auth() {
        let settings = resolve(&GlobalArgs::default(), &[("SLUICE_USER", "u")]).unwrap();
        assert_eq!(
            settings.auth,
            Auth::Basic {
                user: "u".into(),
                password: None
            }
        );
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let basic = Auth::Basic {
            user: "u".into(),
            password: Some("hunter2".into()),
        };
        assert!(!format!("{basic:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Bearer("tok".into())).contains("tok"));
    }
}
