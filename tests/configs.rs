//! Every file under `configs/` parses and validates; each `configs/invalid/error-*` fixture
//! yields exactly the message pinned in its `.expected` file.

use std::path::{Path, PathBuf};

use sluice_runtime::config::{WorkerConfig, read_worker_file};
use sluice_runtime::distributed::settings::DistributedConfig;
use sluice_runtime::registry::Registry;
use sluice_runtime::standalone;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("config dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_worker_config_parses() {
    let workers: Vec<PathBuf> = files_in(&repo_root().join("configs"));
    assert!(workers.len() >= 2, "expected worker files in configs/");
    for file in workers {
        let props = read_worker_file(&file).unwrap_or_else(|e| panic!("{e}"));
        let worker =
            WorkerConfig::parse(&props).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if props.contains_key("group.id") {
            DistributedConfig::from_worker(&worker)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
    }
}

#[test]
fn every_connector_config_validates() {
    let root = repo_root();
    let connectors = files_in(&root.join("configs/connectors"));
    assert!(
        connectors.len() >= 4,
        "expected connector files in configs/connectors"
    );
    let registry = Registry::builtin();
    let loaded = standalone::load(&registry, &root.join("configs/worker.yaml"), &connectors)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.specs.len(), connectors.len());
}

#[test]
fn invalid_fixtures_yield_their_pinned_messages() {
    let root = repo_root();
    let registry = Registry::builtin();
    let fixtures: Vec<PathBuf> = files_in(&root.join("configs/invalid"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e != "expected"))
        .collect();
    assert!(fixtures.len() >= 5);
    for fixture in fixtures {
        let expected_path = fixture.with_extension("expected");
        let err = standalone::load(
            &registry,
            &root.join("configs/worker.yaml"),
            std::slice::from_ref(&fixture),
        )
        .err()
        .unwrap_or_else(|| panic!("{} should be invalid", fixture.display()));
        let prefix = format!("{}/", root.display());
        let actual = err.problems.join("\n").replace(&prefix, "");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "missing {}; actual message:\n{actual}",
                expected_path.display()
            )
        });
        assert_eq!(actual, expected.trim_end(), "{}", fixture.display());
    }
}

#[test]
fn standalone_refuses_invalid_configs_with_every_problem() {
    let root = repo_root();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(&root)
        .args([
            "standalone",
            "configs/worker.yaml",
            "configs/invalid/error-many-problems.yaml",
        ])
        .args(["configs/invalid/error-unknown-class.yaml"])
        .output()
        .expect("run sluice");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("invalid configuration, nothing was started:"),
        "{stderr}"
    );
    for file in ["error-many-problems", "error-unknown-class"] {
        let expected =
            std::fs::read_to_string(root.join(format!("configs/invalid/{file}.expected")))
                .expect("expected");
        assert!(stderr.contains(expected.trim_end()), "{stderr}");
    }
}
