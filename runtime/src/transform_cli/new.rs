//! `sluice transform new`: a plugin crate from the SDK's template, ready to test and build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::io_error;

const CARGO_TOML: &str = include_str!("../../../transforms/wasm-sdk/template/Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("../../../transforms/wasm-sdk/template/lib.rs.tmpl");
const README_MD: &str = include_str!("../../../transforms/wasm-sdk/template/README.md.tmpl");

/// The SDK crate as Cargo.toml names it.
const SDK_CRATE: &str = "sluice-transform-sdk";

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// Crate name of the plugin: lowercase letters, digits, '-' and '_'.
    pub name: String,
    /// Where to create the `<name>` directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The SDK to build against: a path to its crate directory, or a version requirement
    /// [default: this Sluice's SDK sources if present, else its version].
    #[arg(long, value_name = "PATH|VERSION")]
    pub sdk: Option<String>,
}

pub fn run(args: &NewArgs, out: &mut dyn Write) -> Result<ExitCode, String> {
    validate_name(&args.name)?;
    let sdk = match &args.sdk {
        Some(sdk) => sdk_dependency(sdk)?,
        None => default_sdk_dependency(),
    };
    let root = args.dir.join(&args.name);
    if root.exists() {
        return Err(format!(
            "'{}' already exists; choose another name or --dir",
            root.display()
        ));
    }
    if !args.dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&args.dir)
            .map_err(|e| format!("cannot create --dir '{}': {e}", args.dir.display()))?;
    }
    // create_dir, not create_dir_all: it fails if something appeared since the check above.
    std::fs::create_dir(&root).map_err(|e| format!("cannot create '{}': {e}", root.display()))?;
    let files = [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("README.md", README_MD),
    ];
    for (file, template) in files {
        let path = root.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create '{}': {e}", parent.display()))?;
        }
        std::fs::write(&path, fill(template, &args.name, &sdk))
            .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
    }
    next_steps(out, &root, &args.name).map_err(io_error)?;
    Ok(ExitCode::SUCCESS)
}

fn fill(template: &str, name: &str, sdk_dependency: &str) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{sdk_dependency}}", sdk_dependency)
}

fn next_steps(out: &mut dyn Write, root: &Path, name: &str) -> std::io::Result<()> {
    let artifact = name.replace('-', "_");
    writeln!(
        out,
        "Created the transform plugin '{name}' in {}",
        root.display()
    )?;
    writeln!(out)?;
    writeln!(out, "Next steps:")?;
    writeln!(out, "  cd {}", root.display())?;
    writeln!(
        out,
        "  cargo test                                    # unit tests, natively"
    )?;
    writeln!(
        out,
        "  rustup target add wasm32-wasip2               # once"
    )?;
    writeln!(out, "  cargo build --target wasm32-wasip2 --release")?;
    writeln!(
        out,
        "  echo '{{\"key\": \"k1\", \"value\": \"hello\"}}' > records.jsonl"
    )?;
    writeln!(
        out,
        "  sluice transform test target/wasm32-wasip2/release/{artifact}.wasm --input records.jsonl"
    )?;
    writeln!(
        out,
        "  sluice transform bench target/wasm32-wasip2/release/{artifact}.wasm"
    )
}

/// Words Cargo refuses as package names: Rust keywords and the standard crates.
const RESERVED: &str = "abstract alloc as async await become box break build const continue core \
    crate do dyn else enum extern false final fn for gen if impl in let loop macro match mod move \
    mut override priv proc-macro proc_macro pub ref return self static std struct super test \
    trait true try type typeof unsafe unsized use virtual where while yield";

/// A name Cargo accepts as a package and that reads the same as a library and a file name.
pub fn validate_name(name: &str) -> Result<(), String> {
    let rule = "a plugin name is a crate name: lowercase letters, digits, '-' and '_', starting \
                with a letter";
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_'))
    {
        Some(format!("'{c}' is not allowed"))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it does not start with a letter".to_string())
    } else if name.ends_with(['-', '_']) {
        Some("it ends with a separator".to_string())
    } else if name.len() > 64 {
        Some("it is longer than 64 characters".to_string())
    } else if RESERVED.split_whitespace().any(|word| word == name) {
        Some("Cargo reserves it".to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!("invalid name '{name}': {problem} ({rule})")),
        None => Ok(()),
    }
}

/// The SDK sources next to this Sluice's, as a path dependency; else its released version.
fn default_sdk_dependency() -> String {
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../transforms/wasm-sdk");
    match sources.canonicalize() {
        Ok(path) if path.join("Cargo.toml").is_file() => path_dependency(&path),
        _ => toml_string(env!("CARGO_PKG_VERSION")),
    }
}

/// `--sdk`: a directory holding the SDK crate, or a version requirement.
fn sdk_dependency(sdk: &str) -> Result<String, String> {
    let looks_like_path = sdk.contains(['/', '\\']) || sdk.starts_with('.') || sdk.starts_with('~');
    if looks_like_path || Path::new(sdk).is_dir() {
        let path = Path::new(sdk)
            .canonicalize()
            .map_err(|e| format!("--sdk '{sdk}': {e}"))?;
        if !path.join("Cargo.toml").is_file() {
            return Err(format!(
                "--sdk '{sdk}': no Cargo.toml there; give the {SDK_CRATE} crate's directory \
                 (transforms/wasm-sdk) or a version"
            ));
        }
        return Ok(path_dependency(&path));
    }
    let version_chars = |c: char| c.is_ascii_alphanumeric() || ".^~=<>*, -+".contains(c);
    if sdk.trim().is_empty()
        || !sdk.chars().all(version_chars)
        || !sdk.contains(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "--sdk '{sdk}': neither a directory nor a version requirement such as 1.0"
        ));
    }
    Ok(toml_string(sdk.trim()))
}

fn path_dependency(path: &Path) -> String {
    format!("{{ path = {} }}", toml_string(&path.display().to_string()))
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_accepted() {
        for name in ["redact", "pii-redact", "geo_fence", "v2", "a1-b_c"] {
            validate_name(name).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn bad_names_say_why() {
        let cases = [
            ("", "it is empty"),
            ("Redact", "'R' is not allowed"),
            ("my plugin", "' ' is not allowed"),
            ("../x", "'.' is not allowed"),
            ("1st", "it does not start with a letter"),
            ("-x", "it does not start with a letter"),
            ("redact-", "it ends with a separator"),
            ("test", "Cargo reserves it"),
            ("fn", "Cargo reserves it"),
        ];
        for (name, problem) in cases {
            let err = validate_name(name).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid name '{name}': {problem} (")),
                "{err}"
            );
        }
        assert!(validate_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn sdk_is_a_path_or_a_version() {
        assert_eq!(sdk_dependency("1.0").unwrap(), "\"1.0\"");
        assert_eq!(sdk_dependency("^0.1.2").unwrap(), "\"^0.1.2\"");
        assert!(
            sdk_dependency("latest")
                .unwrap_err()
                .contains("--sdk 'latest'")
        );
        assert!(
            sdk_dependency("./no/such/dir")
                .unwrap_err()
                .contains("--sdk './no/such/dir'")
        );
        let dir = tempfile::tempdir().unwrap();
        let err = sdk_dependency(&dir.path().display().to_string()).unwrap_err();
        assert!(err.contains("no Cargo.toml there"), "{err}");
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        let dep = sdk_dependency(&dir.path().display().to_string()).unwrap();
        assert!(dep.starts_with("{ path = \"/"), "{dep}");
    }

    #[test]
    fn the_default_sdk_is_this_repository() {
        let dep = default_sdk_dependency();
        assert!(dep.starts_with("{ path = \""), "{dep}");
        assert!(dep.ends_with("transforms/wasm-sdk\" }"), "{dep}");
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
    }

    #[test]
    fn a_new_plugin_gets_every_file_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let args = NewArgs {
            name: "order-enricher".into(),
            dir: dir.path().join("plugins"),
            sdk: Some("0.1".into()),
        };
        let mut out = Vec::new();
        assert_eq!(run(&args, &mut out).unwrap(), ExitCode::SUCCESS);
        let root = dir.path().join("plugins/order-enricher");
        let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("order-enricher"), "{cargo}");
        assert!(cargo.contains("\"0.1\""), "{cargo}");
        assert!(root.join("src/lib.rs").is_file());
        assert!(root.join("README.md").is_file());
        for file in ["Cargo.toml", "src/lib.rs", "README.md"] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            let placeholder = text.split("{{").skip(1).find(|rest| {
                rest.split_once("}}").is_some_and(|(word, _)| {
                    !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                })
            });
            assert!(
                placeholder.is_none(),
                "{file} has an unfilled placeholder:\n{text}"
            );
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("release/order_enricher.wasm"), "{text}");

        let err = run(&args, &mut Vec::new()).unwrap_err();
        assert!(err.contains("already exists"), "{err}");
    }
}
