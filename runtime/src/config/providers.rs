//! Config providers: `${provider:[path:]key}` references resolved at task start, never stored resolved.
//!
//! Kafka Connect–compatible: a worker declares aliases in `config.providers` and binds each to a
//! class (`file`, `directory`, `env`); connector and worker values then refer to secrets instead of
//! holding them. Unlike Kafka Connect, a reference that cannot be resolved is an error, never left
//! in place: a connector would otherwise log in with the literal text `${file:…}` as its password.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use sluice_api::Props;
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, Importance, IssueCollector};

/// What stands in for a secret in REST answers and logs.
pub const HIDDEN: &str = "[hidden]";

const PROVIDERS_KEY: &str = "config.providers";
const ALLOWED_PATHS: &str = "allowed.paths";
const ALLOWLIST_PATTERN: &str = "allowlist.pattern";
/// Shorter secrets would turn ordinary words of a log line into `[hidden]`.
const MIN_SECRET_CHARS: usize = 4;

/// Kafka's own reference pattern, so that values written for Kafka Connect split the same way:
/// alias up to the first colon, then an optional path up to the next one, then the key.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("the reference pattern is valid")
});

/// Whether `value` holds at least one `${alias:[path:]key}` reference.
pub fn has_reference(value: &str) -> bool {
    REFERENCE.is_match(value)
}

/// The providers a worker declared, by alias.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

#[derive(Debug, Clone)]
enum Provider {
    /// A Java properties file at `path`; the reference names one of its keys.
    File(AllowedPaths),
    /// A directory at `path`; the reference names a file in it, whose content is the value.
    Directory(AllowedPaths),
    /// An environment variable; references carry no path.
    Env { allowlist: Option<Regex> },
}

impl Provider {
    fn kind(&self) -> &'static str {
        match self {
            Provider::File(_) => "file",
            Provider::Directory(_) => "directory",
            Provider::Env { .. } => "env",
        }
    }
}

/// The directories a file or directory provider may read (KIP-993); `None` = anywhere.
#[derive(Debug, Clone, Default)]
struct AllowedPaths(Option<Vec<AllowedPath>>);

#[derive(Debug, Clone)]
struct AllowedPath {
    normalized: PathBuf,
    /// With symbolic links resolved, so that a link inside an allowed directory cannot lead out.
    canonical: PathBuf,
}

impl AllowedPaths {
    fn parse(value: &str) -> Result<Self, String> {
        let mut paths = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let normalized = normalize(Path::new(entry));
            if !normalized.is_absolute() {
                return Err(format!("path '{entry}' is not absolute"));
            }
            let canonical = normalized
                .canonicalize()
                .map_err(|e| format!("path '{entry}' cannot be used: {e}"))?;
            paths.push(AllowedPath {
                normalized,
                canonical,
            });
        }
        Ok(AllowedPaths((!paths.is_empty()).then_some(paths)))
    }

    /// The path to read, or why it may not be read.
    fn check(&self, path: &Path) -> Result<PathBuf, String> {
        let Some(allowed) = &self.0 else {
            return Ok(path.to_path_buf());
        };
        let normalized = normalize(path);
        if !allowed
            .iter()
            .any(|a| normalized.starts_with(&a.normalized))
        {
            return Err(format!(
                "{} is outside the provider's {ALLOWED_PATHS}",
                path.display()
            ));
        }
        // A missing file fails later with a clearer "cannot read"; only existing paths can
        // lead elsewhere through a link.
        let escapes = normalized
            .canonicalize()
            .is_ok_and(|canonical| !allowed.iter().any(|a| canonical.starts_with(&a.canonical)));
        if escapes {
            return Err(format!(
                "{} leads outside the provider's {ALLOWED_PATHS} through a symbolic link",
                path.display()
            ));
        }
        Ok(normalized)
    }
}

/// Removes `.` and resolves `..` without touching the file system, as Java's `Path.normalize`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

fn provider_class(class: &str) -> Option<&'static str> {
    match class.trim() {
        "file" | "org.apache.kafka.common.config.provider.FileConfigProvider" => Some("file"),
        "directory" | "org.apache.kafka.common.config.provider.DirectoryConfigProvider" => {
            Some("directory")
        }
        "env" | "org.apache.kafka.common.config.provider.EnvVarConfigProvider" => Some("env"),
        _ => None,
    }
}

impl ConfigProviders {
    /// Reads `config.providers`, `config.providers.<alias>.class` and
    /// `config.providers.<alias>.param.*` from the worker's settings.
    pub fn from_worker(props: &Props) -> Result<Self, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let mut providers = BTreeMap::new();
        let aliases = props.get(PROVIDERS_KEY).map_or("", String::as_str);
        for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            if let Some(provider) = parse_provider(props, alias, &mut issues) {
                providers.insert(alias.to_string(), provider);
            }
        }
        issues.finish(ConfigProviders { providers })
    }

    /// Documents `config.providers`; the per-alias keys depend on the aliases.
    pub fn config_def() -> ConfigDef {
        ConfigDef::new().optional(
            PROVIDERS_KEY,
            ConfigType::List,
            None,
            Importance::Low,
            "Aliases of config providers, whose values connectors and the worker can refer to as \
             ${alias:path:key} or ${alias:key}. Each alias needs config.providers.<alias>.class: \
             file (org.apache.kafka.common.config.provider.FileConfigProvider, a key of a \
             properties file), directory (…DirectoryConfigProvider, the content of a file in a \
             directory) or env (…EnvVarConfigProvider, an environment variable). Parameters: \
             config.providers.<alias>.param.allowed.paths (file, directory: comma-separated \
             directories that may be read) and config.providers.<alias>.param.allowlist.pattern \
             (env: a regular expression the variable name must match). No provider is enabled \
             unless listed here.",
        )
    }

    /// Resolves every reference; the result also carries every value a provider produced.
    pub fn resolve(&self, props: &Props) -> Result<Resolved, ConfigErrors> {
        let mut issues = IssueCollector::new();
        let mut redactor = Redactor::default();
        let mut files = HashMap::new();
        let mut resolved = Props::new();
        for (key, value) in props {
            let own_setting = key == PROVIDERS_KEY || key.starts_with("config.providers.");
            if own_setting || !has_reference(value) {
                resolved.insert(key.clone(), value.clone());
                continue;
            }
            let mut out = String::with_capacity(value.len());
            let mut last = 0;
            for caps in REFERENCE.captures_iter(value) {
                let whole = caps.get(0).expect("group 0 is the whole match");
                out.push_str(&value[last..whole.start()]);
                last = whole.end();
                let reference = Reference {
                    text: whole.as_str(),
                    alias: caps.get(1).map_or("", |m| m.as_str()),
                    path: caps.get(3).map_or("", |m| m.as_str()),
                    key: caps.get(4).map_or("", |m| m.as_str()),
                };
                match self.lookup(&reference, &mut files) {
                    Ok(secret) => {
                        redactor.add(&secret);
                        out.push_str(&secret);
                    }
                    Err(reason) => {
                        issues.push(key, format!("cannot resolve {}: {reason}", reference.text))
                    }
                }
            }
            out.push_str(&value[last..]);
            resolved.insert(key.clone(), out);
        }
        issues.finish(Resolved {
            props: resolved,
            redactor,
        })
    }

    fn lookup(
        &self,
        reference: &Reference<'_>,
        files: &mut HashMap<PathBuf, Result<Props, String>>,
    ) -> Result<String, String> {
        let provider = self.providers.get(reference.alias).ok_or_else(|| {
            format!(
                "config provider '{}' is not declared in {PROVIDERS_KEY}",
                reference.alias
            )
        })?;
        let key = reference.key;
        match provider {
            Provider::File(allowed) => {
                let path = allowed.check(Path::new(required_path(reference, provider)?))?;
                let props = files
                    .entry(path.clone())
                    .or_insert_with(|| read_properties(&path));
                let props = props.as_ref().map_err(Clone::clone)?;
                props
                    .get(key)
                    .cloned()
                    .ok_or_else(|| format!("key '{key}' not found in {}", path.display()))
            }
            Provider::Directory(allowed) => {
                let dir = required_path(reference, provider)?;
                // A key is one file name: anything else could climb out of the directory.
                if key.is_empty() || key == "." || key == ".." || key.contains(['/', '\\']) {
                    return Err(format!("'{key}' is not a file name"));
                }
                let path = allowed.check(&Path::new(dir).join(key))?;
                if !path.is_file() {
                    return Err(format!("{} is not a readable file", path.display()));
                }
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            Provider::Env { allowlist } => {
                if !reference.path.is_empty() {
                    return Err("the env provider takes no path: write ${alias:VARIABLE}".into());
                }
                if allowlist.as_ref().is_some_and(|p| !p.is_match(key)) {
                    return Err(format!(
                        "environment variable '{key}' does not match the provider's \
                         {ALLOWLIST_PATTERN}"
                    ));
                }
                std::env::var(key).map_err(|e| match e {
                    std::env::VarError::NotPresent => {
                        format!("environment variable '{key}' is not set")
                    }
                    std::env::VarError::NotUnicode(_) => {
                        format!("environment variable '{key}' is not valid UTF-8")
                    }
                })
            }
        }
    }
}

/// One `${alias:[path:]key}` found in a value.
struct Reference<'a> {
    text: &'a str,
    alias: &'a str,
    path: &'a str,
    key: &'a str,
}

fn required_path<'a>(reference: &Reference<'a>, provider: &Provider) -> Result<&'a str, String> {
    if reference.path.is_empty() {
        Err(format!(
            "the {} provider needs a path: write ${{{}:<path>:{}}}",
            provider.kind(),
            reference.alias,
            reference.key
        ))
    } else {
        Ok(reference.path)
    }
}

fn read_properties(path: &Path) -> Result<Props, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    super::properties::parse(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

fn parse_provider(props: &Props, alias: &str, issues: &mut IssueCollector) -> Option<Provider> {
    let prefix = format!("{PROVIDERS_KEY}.{alias}.");
    let class_key = format!("{prefix}class");
    let Some(class) = props.get(&class_key).filter(|c| !c.trim().is_empty()) else {
        issues.push(
            &class_key,
            format!("config provider '{alias}' is listed in {PROVIDERS_KEY} but has no class"),
        );
        return None;
    };
    let Some(kind) = provider_class(class) else {
        issues.push(
            &class_key,
            format!(
                "unknown config provider class '{class}'; expected file, directory or env (or \
                 org.apache.kafka.common.config.provider.FileConfigProvider, \
                 DirectoryConfigProvider or EnvVarConfigProvider)"
            ),
        );
        return None;
    };
    let accepted = if kind == "env" {
        ALLOWLIST_PATTERN
    } else {
        ALLOWED_PATHS
    };
    let param_prefix = format!("{prefix}param.");
    let mut failed = false;
    // A misspelt parameter would silently lift a restriction, so it is refused.
    for key in props.keys().filter(|k| k.starts_with(&param_prefix)) {
        if key[param_prefix.len()..] != *accepted {
            issues.push(
                key,
                format!("unknown parameter of the {kind} provider; it accepts {accepted}"),
            );
            failed = true;
        }
    }
    let param_key = format!("{param_prefix}{accepted}");
    let param = props.get(&param_key).map_or("", String::as_str);
    let provider = match kind {
        "env" if param.trim().is_empty() => Provider::Env { allowlist: None },
        "env" => match Regex::new(&format!("^(?:{})$", param.trim())) {
            Ok(pattern) => Provider::Env {
                allowlist: Some(pattern),
            },
            Err(e) => {
                issues.push(&param_key, format!("invalid regular expression: {e}"));
                return None;
            }
        },
        _ => match AllowedPaths::parse(param) {
            Ok(allowed) if kind == "file" => Provider::File(allowed),
            Ok(allowed) => Provider::Directory(allowed),
            Err(reason) => {
                issues.push(&param_key, reason);
                return None;
            }
        },
    };
    (!failed).then_some(provider)
}

/// Props with every reference replaced, and what it takes to keep the secrets out of sight.
#[derive(Clone)]
pub struct Resolved {
    pub props: Props,
    /// Holds every value a provider produced.
    pub redactor: Redactor,
}

/// Shows the keys only: the values now hold secrets.
impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolved")
            .field("keys", &self.props.keys().collect::<Vec<_>>())
            .field("redactor", &self.redactor)
            .finish()
    }
}

/// What `GET …/config` shows: values holding a reference stay as written (the reference is not a
/// secret); other values of password keys become [`HIDDEN`]. `is_password(key)` says which keys
/// are declared [`ConfigType::Password`]; keys named like secrets count too, because client
/// overrides such as `producer.override.ssl.key.password` are declared nowhere.
pub fn mask(props: &Props, is_password: impl Fn(&str) -> bool) -> Props {
    props
        .iter()
        .map(|(key, value)| {
            let secret = !has_reference(value) && (is_password(key) || looks_secret(key));
            let shown = if secret { HIDDEN } else { value.as_str() };
            (key.clone(), shown.to_string())
        })
        .collect()
}

fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        ".secret",
        "sasl.jaas.config",
        "api.key",
        "token",
    ]
    .iter()
    .any(|suffix| key.ends_with(suffix))
}

/// Replaces known secrets in text bound for logs, error messages and REST answers.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

/// Counts the secrets instead of printing them.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// Remembers `secret`; values under 4 characters are ignored to keep text readable.
    pub fn add(&mut self, secret: &str) {
        // File contents often end in a newline that the text quoting them has lost.
        for candidate in [secret, secret.trim()] {
            let known = self.secrets.iter().any(|s| s == candidate);
            if candidate.chars().count() >= MIN_SECRET_CHARS && !known {
                self.secrets.push(candidate.to_string());
            }
        }
    }

    /// Every secret of `other` too.
    pub fn extend(&mut self, other: &Redactor) {
        for secret in &other.secrets {
            self.add(secret);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every occurrence of any secret replaced by [`HIDDEN`].
    pub fn redact(&self, text: &str) -> String {
        // Found on the original text and merged, so that overlapping secrets hide their union and
        // a secret that happens to occur inside `[hidden]` cannot mangle an earlier replacement.
        let mut ranges = Vec::new();
        for secret in &self.secrets {
            let mut from = 0;
            while let Some(offset) = text[from..].find(secret.as_str()) {
                let start = from + offset;
                ranges.push((start, start + secret.len()));
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if ranges.is_empty() {
            return text.to_string();
        }
        ranges.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut current: Option<(usize, usize)> = None;
        for (start, end) in ranges {
            match &mut current {
                Some((_, cur_end)) if start <= *cur_end => *cur_end = (*cur_end).max(end),
                _ => {
                    if let Some((s, e)) = current.replace((start, end)) {
                        out.push_str(&text[last..s]);
                        out.push_str(HIDDEN);
                        last = e;
                    }
                }
            }
        }
        if let Some((s, e)) = current {
            out.push_str(&text[last..s]);
            out.push_str(HIDDEN);
            last = e;
        }
        out.push_str(&text[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;

    fn providers(pairs: &[(&str, &str)]) -> ConfigProviders {
        ConfigProviders::from_worker(&props(pairs)).unwrap()
    }

    fn file_provider() -> ConfigProviders {
        providers(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "file"),
        ])
    }

    fn only_issue(errors: &ConfigErrors) -> (&str, &str) {
        assert_eq!(errors.issues().len(), 1, "{errors}");
        let issue = &errors.issues()[0];
        (issue.key.as_str(), issue.reason.as_str())
    }

    #[test]
    fn file_provider_reads_a_properties_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("db.properties");
        std::fs::write(&file, "user=app\npw=s3cret-pw\n").unwrap();
        let resolved = file_provider()
            .resolve(&props(&[(
                "connection.password",
                &format!("${{file:{}:pw}}", file.display()),
            )]))
            .unwrap();
        assert_eq!(resolved.props["connection.password"], "s3cret-pw");
        assert_eq!(
            resolved.redactor.redact("pw is s3cret-pw"),
            "pw is [hidden]"
        );
        let debug = format!("{resolved:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
    }

    #[test]
    fn several_references_mixed_with_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("db.properties");
        std::fs::write(&file, "user=app\npw=hunter22\n").unwrap();
        let f = file.display();
        let value =
            format!("jdbc:postgresql://h/db?user=${{file:{f}:user}}&password=${{file:{f}:pw}}");
        let resolved = file_provider()
            .resolve(&props(&[("connection.url", &value), ("topics", "plain")]))
            .unwrap();
        assert_eq!(
            resolved.props["connection.url"],
            "jdbc:postgresql://h/db?user=app&password=hunter22"
        );
        assert_eq!(resolved.props["topics"], "plain");
    }

    #[test]
    fn directory_provider_returns_file_content_unmodified() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "abc-123\n").unwrap();
        let p = providers(&[
            ("config.providers", "dir"),
            (
                "config.providers.dir.class",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            ),
        ]);
        let value = format!("${{dir:{}:token}}", dir.path().display());
        let resolved = p.resolve(&props(&[("api.token", &value)])).unwrap();
        assert_eq!(resolved.props["api.token"], "abc-123\n");
        assert_eq!(resolved.redactor.redact("got abc-123."), "got [hidden].");

        let climbing = format!("${{dir:{}:../token}}", dir.path().display());
        let err = p.resolve(&props(&[("k", &climbing)])).unwrap_err();
        assert!(only_issue(&err).1.contains("is not a file name"), "{err}");
    }

    #[test]
    fn env_provider_reads_variables_within_the_allowlist() {
        // Setting variables is unsafe in a threaded test run, so PATH (always set) and a name
        // that is never set stand in.
        let path = std::env::var("PATH").unwrap();
        let p = providers(&[
            ("config.providers", "env"),
            ("config.providers.env.class", "env"),
            (
                "config.providers.env.param.allowlist.pattern",
                "PA.*|SLUICE_.*",
            ),
        ]);
        let resolved = p.resolve(&props(&[("k", "x${env:PATH}y")])).unwrap();
        assert_eq!(resolved.props["k"], format!("x{path}y"));

        let err = p.resolve(&props(&[("k", "${env:HOME}")])).unwrap_err();
        assert_eq!(
            only_issue(&err),
            (
                "k",
                "cannot resolve ${env:HOME}: environment variable 'HOME' does not match the \
                 provider's allowlist.pattern"
            )
        );
        // The pattern must match the whole name, as Java's Matcher.matches does.
        let err = p.resolve(&props(&[("k", "${env:XPATH}")])).unwrap_err();
        assert!(only_issue(&err).1.contains("does not match"));
        let err = p
            .resolve(&props(&[("k", "${env:SLUICE_NEVER_SET_42}")]))
            .unwrap_err();
        assert!(
            only_issue(&err)
                .1
                .ends_with("'SLUICE_NEVER_SET_42' is not set")
        );
    }

    #[test]
    fn undeclared_alias_is_an_error_naming_the_key() {
        let err = ConfigProviders::default()
            .resolve(&props(&[("connection.password", "${vault:secret/db:pw}")]))
            .unwrap_err();
        assert_eq!(
            only_issue(&err),
            (
                "connection.password",
                "cannot resolve ${vault:secret/db:pw}: config provider 'vault' is not declared \
                 in config.providers"
            )
        );
    }

    #[test]
    fn missing_file_and_missing_key_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.properties");
        std::fs::write(&file, "pw=x\n").unwrap();
        let missing = dir.path().join("none.properties");
        let err = file_provider()
            .resolve(&props(&[
                ("a", &format!("${{file:{}:other}}", file.display())),
                ("b", &format!("${{file:{}:pw}}", missing.display())),
            ]))
            .unwrap_err();
        let issues = err.issues();
        assert_eq!(issues.len(), 2, "{err}");
        assert_eq!(issues[0].key, "a");
        assert!(
            issues[0]
                .reason
                .ends_with(&format!("key 'other' not found in {}", file.display()))
        );
        assert_eq!(issues[1].key, "b");
        assert!(
            issues[1]
                .reason
                .contains(&format!("cannot read {}", missing.display()))
        );
    }

    #[test]
    fn allowed_paths_refuse_references_outside_them() {
        let allowed = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(allowed.path().join("ok.properties"), "pw=inside\n").unwrap();
        std::fs::write(other.path().join("no.properties"), "pw=outside\n").unwrap();
        let p = providers(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "file"),
            (
                "config.providers.file.param.allowed.paths",
                &allowed.path().display().to_string(),
            ),
        ]);
        let inside = format!("${{file:{}/ok.properties:pw}}", allowed.path().display());
        assert_eq!(
            p.resolve(&props(&[("k", &inside)])).unwrap().props["k"],
            "inside"
        );

        let escaping = format!(
            "${{file:{}/../{}/no.properties:pw}}",
            allowed.path().display(),
            other.path().file_name().unwrap().to_string_lossy()
        );
        let outside = format!("${{file:{}/no.properties:pw}}", other.path().display());
        for value in [escaping, outside] {
            let err = p.resolve(&props(&[("k", &value)])).unwrap_err();
            assert!(
                only_issue(&err)
                    .1
                    .contains("outside the provider's allowed.paths"),
                "{err}"
            );
        }

        let err = ConfigProviders::from_worker(&props(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "file"),
            ("config.providers.file.param.allowed.paths", "relative/dir"),
        ]))
        .unwrap_err();
        assert_eq!(
            only_issue(&err),
            (
                "config.providers.file.param.allowed.paths",
                "path 'relative/dir' is not absolute"
            )
        );
    }

    #[test]
    fn worker_settings_are_checked() {
        let err = ConfigProviders::from_worker(&props(&[
            ("config.providers", "a, b, c"),
            (
                "config.providers.b.class",
                "com.example.VaultConfigProvider",
            ),
            ("config.providers.c.class", "env"),
            ("config.providers.c.param.allowed.paths", "/tmp"),
        ]))
        .unwrap_err();
        let keys: Vec<_> = err.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "config.providers.a.class",
                "config.providers.b.class",
                "config.providers.c.param.allowed.paths"
            ]
        );
        assert!(
            err.issues()[1]
                .reason
                .starts_with("unknown config provider class")
        );

        let err = ConfigProviders::from_worker(&props(&[
            ("config.providers", "env"),
            ("config.providers.env.class", "env"),
            ("config.providers.env.param.allowlist.pattern", "(unclosed"),
        ]))
        .unwrap_err();
        assert!(only_issue(&err).1.starts_with("invalid regular expression"));
    }

    #[test]
    fn provider_settings_are_not_resolved_and_unknown_text_stays() {
        let p = file_provider();
        let value = props(&[
            ("config.providers.file.class", "${file:/x:y}"),
            ("note", "costs ${5} or $ {x:y}"),
        ]);
        assert_eq!(p.resolve(&value).unwrap().props, value);
        assert!(!has_reference("costs ${5}"));
        assert!(has_reference("a${env:HOME}"));
        assert!(
            ConfigProviders::config_def()
                .key("config.providers")
                .is_some()
        );
    }

    #[test]
    fn mask_hides_passwords_but_shows_references() {
        let shown = mask(
            &props(&[
                ("connection.password", "${file:/s/db.properties:pw}"),
                ("connection.user", "app"),
                ("declared", "plain-secret"),
                ("producer.override.ssl.key.password", "kp"),
                ("producer.override.sasl.jaas.config", "jaas"),
                ("client.secret", "c"),
                ("es.api.key", "k"),
                ("auth.token", "t"),
                ("Bearer.PASSWORD", "p"),
            ]),
            |key| key == "declared",
        );
        assert_eq!(shown["connection.password"], "${file:/s/db.properties:pw}");
        assert_eq!(shown["connection.user"], "app");
        for key in [
            "declared",
            "producer.override.ssl.key.password",
            "producer.override.sasl.jaas.config",
            "client.secret",
            "es.api.key",
            "auth.token",
            "Bearer.PASSWORD",
        ] {
            assert_eq!(shown[key], HIDDEN, "{key}");
        }
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let mut r = Redactor::default();
        r.add("abc");
        r.add("topsecret");
        r.add("secretive");
        r.add("hidden");
        assert_eq!(r.redact("abc stays"), "abc stays");
        assert_eq!(
            r.redact("topsecret, again topsecret; topsecretive"),
            "[hidden], again [hidden]; [hidden]"
        );
        assert_eq!(r.redact("x hidden y"), "x [hidden] y");
        assert_eq!(r.redact("nothing here"), "nothing here");
        let mut other = Redactor::default();
        other.extend(&r);
        assert!(!other.is_empty());
        assert_eq!(other.redact("é topsecret é"), "é [hidden] é");
    }
}
