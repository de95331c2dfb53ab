//! `sluice transform new|test|bench`: start a WASM transform plugin from the SDK template, run
//! it on sample records under the real host, and measure what it costs per record.

mod bench;
mod input;
mod new;
mod render;
mod test;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sluice_api::Props;

use sluice_wasm_host::WasmSettings;
use sluice_wasm_host::settings::{
    BATCH_MAX_RECORDS, MEMORY_MAX_BYTES, MODULE, RELOAD_CHECK_MS, TIMEOUT_MS,
};

pub use bench::BenchArgs;
pub use new::NewArgs;
pub use test::TestArgs;

#[derive(Debug, Subcommand)]
pub enum TransformCommand {
    /// Create a plugin crate from the SDK template.
    New(NewArgs),
    /// Run a plugin on records from a JSONL file and show what it did to each.
    Test(TestArgs),
    /// Measure a plugin's cost per record, against the built-in identity plugin.
    Bench(BenchArgs),
}

/// Runs the command. Exit status 2 means nothing ran: bad flags, input, settings or module.
pub fn run(command: TransformCommand) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let (name, result) = match command {
        TransformCommand::New(args) => ("new", new::run(&args, &mut stdout)),
        TransformCommand::Test(args) => ("test", test::run(&args, &mut stdout)),
        TransformCommand::Bench(args) => ("bench", bench::run(&args, &mut stdout)),
    };
    let _ = stdout.flush();
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sluice transform {name}: {message}");
            ExitCode::from(2)
        }
    }
}

/// How the host runs the plugin: the settings of a `type=wasm` transform, from flags.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// The plugin: a WebAssembly component (`.wasm`; the text format is accepted too).
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,
    /// A transform setting, as it follows `transforms.<alias>.` in a connector config: one of
    /// the plugin's own, or a host `wasm.*` one. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub set: Vec<(String, String)>,
    /// Most records per plugin call (wasm.batch.max.records) [default: 1024].
    #[arg(long, value_name = "N")]
    pub batch: Option<u64>,
    /// Deadline of one plugin call, in milliseconds (wasm.timeout.ms) [default: 1000].
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// Most linear memory the plugin instance may use (wasm.memory.max.bytes)
    /// [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    pub memory_max_bytes: Option<u64>,
}

fn parse_setting(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected KEY=VALUE, got '{arg}'")),
    }
}

impl HostArgs {
    /// The host settings, validated as a connector's would be. Hot reload is off: a run is
    /// short and should see one version of the module.
    pub fn settings(&self) -> Result<WasmSettings, String> {
        let mut props = Props::new();
        // Where each key came from, so an error names the flag the user typed.
        let mut origin: Vec<(String, String)> = Vec::new();
        for (key, value) in &self.set {
            if key == MODULE {
                return Err("--set module=…: the module is the first argument".into());
            }
            if props.insert(key.clone(), value.clone()).is_some() {
                return Err(format!("--set {key}=… given twice"));
            }
            origin.push((key.clone(), format!("--set {key}")));
        }
        let flags = [
            ("--batch", BATCH_MAX_RECORDS, self.batch),
            ("--timeout-ms", TIMEOUT_MS, self.timeout_ms),
            (
                "--memory-max-bytes",
                MEMORY_MAX_BYTES,
                self.memory_max_bytes,
            ),
        ];
        for (flag, key, value) in flags {
            let Some(value) = value else { continue };
            if props.contains_key(key) {
                return Err(format!("{flag} and --set {key} both given; keep one"));
            }
            props.insert(key.to_string(), value.to_string());
            origin.push((key.to_string(), format!("{flag} ({key})")));
        }
        props.insert(MODULE.into(), self.module.display().to_string());
        props.insert(RELOAD_CHECK_MS.into(), "0".into());
        let mut settings = WasmSettings::parse(&props).map_err(|errors| {
            let issues: Vec<String> = errors
                .issues()
                .iter()
                .map(|issue| {
                    let name = origin
                        .iter()
                        .find(|(key, _)| *key == issue.key)
                        .map_or(issue.key.as_str(), |(_, flag)| flag.as_str());
                    format!("{name}: {}", issue.reason)
                })
                .collect();
            issues.join("; ")
        })?;
        // The display string above is lossy for non-UTF-8 paths; the path itself is not.
        settings.module = self.module.clone();
        Ok(settings)
    }
}

fn io_error(err: std::io::Error) -> String {
    format!("cannot write the output: {err}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn host(args: &[&str]) -> Result<WasmSettings, String> {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            host: HostArgs,
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let module = dir.path().join("plugin.wasm");
        std::fs::write(&module, "").map_err(|e| e.to_string())?;
        let mut argv = vec!["sluice".to_string(), module.display().to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let settings = Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .host
            .settings()?;
        assert_eq!(settings.module, module);
        Ok(settings)
    }

    #[test]
    fn flags_and_sets_become_settings() {
        let settings = host(&[
            "--timeout-ms",
            "50",
            "--batch",
            "7",
            "--set",
            "fields=email,phone",
            "--set",
            "wasm.cache.dir=",
        ])
        .unwrap();
        assert_eq!(settings.timeout, Duration::from_millis(50));
        assert_eq!(settings.batch_max_records, 7);
        assert_eq!(settings.cache_dir, None);
        assert_eq!(settings.reload_check, None);
        assert_eq!(
            settings.plugin_config,
            vec![("fields".to_string(), "email,phone".to_string())]
        );
    }

    #[test]
    fn errors_name_the_flag_given() {
        let err = host(&["--timeout-ms", "0"]).unwrap_err();
        assert!(err.starts_with("--timeout-ms (wasm.timeout.ms): "), "{err}");
        let err = host(&["--set", "wasm.batch.max.records=0"]).unwrap_err();
        assert!(err.starts_with("--set wasm.batch.max.records: "), "{err}");
        let err = host(&["--batch", "2", "--set", "wasm.batch.max.records=3"]).unwrap_err();
        assert_eq!(
            err,
            "--batch and --set wasm.batch.max.records both given; keep one"
        );
        assert_eq!(
            host(&["--set", "a=1", "--set", "a=2"]).unwrap_err(),
            "--set a=… given twice"
        );
        let err = host(&["--set", "novalue"]).unwrap_err();
        assert!(err.contains("expected KEY=VALUE, got 'novalue'"), "{err}");
        let err = host(&["--set", "module=x.wasm"]).unwrap_err();
        assert!(err.contains("first argument"), "{err}");
    }
}
