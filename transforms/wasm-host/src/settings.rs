//! The `transforms.<alias>.*` settings of a WASM transform. `module` and the `wasm.*` keys are
//! the host's; every other key is the plugin's and goes to its `init`.

use std::path::PathBuf;
use std::time::Duration;

use sluice_api::config::{ConfigValue, Validator};
use sluice_api::{ConfigDef, ConfigErrors, ConfigType, Importance, Props};

pub const MODULE: &str = "module";
pub const TIMEOUT_MS: &str = "wasm.timeout.ms";
pub const MEMORY_MAX_BYTES: &str = "wasm.memory.max.bytes";
pub const BATCH_MAX_RECORDS: &str = "wasm.batch.max.records";
pub const CLOCK_ENABLED: &str = "wasm.clock.enabled";
pub const FS_DIR: &str = "wasm.fs.dir";
pub const CACHE_DIR: &str = "wasm.cache.dir";
pub const RELOAD_CHECK_MS: &str = "wasm.reload.check.ms";

/// Where a read-only `wasm.fs.dir` appears inside the plugin.
pub const GUEST_FS_DIR: &str = "/data";

/// Keys on a transform that belong to the chain, not to the plugin.
const CHAIN_KEYS: [&str; 3] = ["type", "predicate", "negate"];

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            MODULE,
            ConfigType::String,
            Importance::High,
            "Path to the plugin: a WebAssembly component built for sluice:transform@1.0.0. \
             Replacing the file swaps the plugin at a batch boundary.",
        )
        .validate(Validator::Custom(module_exists))
        .optional(
            TIMEOUT_MS,
            ConfigType::Long,
            Some("1000"),
            Importance::Medium,
            "Deadline for one batch. A plugin that runs longer is interrupted, and the batch is \
             retried in halves to find the record responsible.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            MEMORY_MAX_BYTES,
            ConfigType::Long,
            Some("67108864"),
            Importance::Medium,
            "Most linear memory one plugin instance may grow to; past it the batch fails like a \
             trap.",
        )
        .validate(Validator::AtLeast(65536))
        .optional(
            BATCH_MAX_RECORDS,
            ConfigType::Int,
            Some("1024"),
            Importance::Low,
            "Most records handed to the plugin in one call; larger batches are cut.",
        )
        .validate(Validator::Between(1, 1_000_000))
        .optional(
            CLOCK_ENABLED,
            ConfigType::Boolean,
            Some("false"),
            Importance::Low,
            "Let the plugin read the wall and monotonic clocks. Without it both read zero, so \
             a plugin's output depends on its input only.",
        )
        .optional(
            FS_DIR,
            ConfigType::String,
            Some(""),
            Importance::Low,
            "A host directory the plugin may read (not write), seen inside it as /data. Empty: \
             no filesystem.",
        )
        .optional(
            CACHE_DIR,
            ConfigType::String,
            None,
            Importance::Low,
            "Where compiled plugins are cached (default: $SLUICE_WASM_CACHE_DIR, else \
             ~/.cache/sluice/wasm). Empty: compile on every start.",
        )
        .optional(
            RELOAD_CHECK_MS,
            ConfigType::Long,
            Some("1000"),
            Importance::Low,
            "How often the module file is checked for changes; 0 turns hot reload off.",
        )
        .validate(Validator::AtLeast(0))
}

fn module_exists(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(path) if path.is_empty() => Err("must not be empty".into()),
        ConfigValue::String(path) if !std::path::Path::new(path).is_file() => {
            Err(format!("no file at '{path}'"))
        }
        _ => Ok(()),
    }
}

/// Validated host settings of one WASM transform.
#[derive(Debug, Clone, PartialEq)]
pub struct WasmSettings {
    pub module: PathBuf,
    pub timeout: Duration,
    pub memory_max_bytes: usize,
    pub batch_max_records: usize,
    pub clock_enabled: bool,
    pub fs_dir: Option<PathBuf>,
    /// `None`: no disk cache.
    pub cache_dir: Option<PathBuf>,
    /// `None`: no hot reload.
    pub reload_check: Option<Duration>,
    /// What `init` receives, sorted by key.
    pub plugin_config: Vec<(String, String)>,
}

impl WasmSettings {
    pub fn parse(props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let millis = |key| Duration::from_millis(parsed.int(key).max(0) as u64);
        let cache_dir = match props.get(CACHE_DIR) {
            Some(dir) if dir.is_empty() => None,
            Some(dir) => Some(PathBuf::from(dir)),
            None => default_cache_dir(),
        };
        let reload_check = millis(RELOAD_CHECK_MS);
        Ok(WasmSettings {
            module: PathBuf::from(parsed.string(MODULE)),
            timeout: millis(TIMEOUT_MS),
            memory_max_bytes: usize::try_from(parsed.int(MEMORY_MAX_BYTES)).unwrap_or(usize::MAX),
            batch_max_records: parsed.int(BATCH_MAX_RECORDS) as usize,
            clock_enabled: parsed.bool(CLOCK_ENABLED),
            fs_dir: parsed.optional_string(FS_DIR).map(PathBuf::from),
            cache_dir,
            reload_check: (!reload_check.is_zero()).then_some(reload_check),
            plugin_config: plugin_config(props),
        })
    }
}

/// Every setting that is not the host's or the chain's.
pub fn plugin_config(props: &Props) -> Vec<(String, String)> {
    props
        .iter()
        .filter(|(key, _)| {
            key.as_str() != MODULE
                && !key.starts_with("wasm.")
                && !CHAIN_KEYS.contains(&key.as_str())
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SLUICE_WASM_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("sluice").join("wasm"))
}

#[cfg(test)]
mod tests {
    use sluice_api::config::props;

    use super::*;

    #[test]
    fn host_keys_stay_with_the_host() {
        let settings = WasmSettings::parse(&props(&[
            ("type", "wasm"),
            ("module", concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")),
            ("predicate", "isOrder"),
            ("wasm.timeout.ms", "50"),
            ("wasm.cache.dir", ""),
            ("fields", "email"),
            ("replacement", "xxx"),
        ]))
        .unwrap();
        assert_eq!(
            settings.module,
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        );
        assert_eq!(settings.timeout, Duration::from_millis(50));
        assert_eq!(settings.cache_dir, None);
        assert_eq!(settings.memory_max_bytes, 64 << 20);
        assert_eq!(
            settings.plugin_config,
            vec![
                ("fields".to_string(), "email".to_string()),
                ("replacement".to_string(), "xxx".to_string())
            ]
        );
    }

    #[test]
    fn bad_settings_name_the_key() {
        let err = WasmSettings::parse(&props(&[("wasm.timeout.ms", "0")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("module"), "{text}");
        let err = WasmSettings::parse(&props(&[("module", "/no/such.wasm")])).unwrap_err();
        assert!(
            err.to_string().contains("no file at '/no/such.wasm'"),
            "{err}"
        );
        assert!(text.contains("wasm.timeout.ms"), "{text}");
    }
}
