//! Loading a plugin: read, hash, compile (through the disk cache), check the interface version
//! and link once, so every instance after that is cheap.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::bindings::TransformPre;
use super::cache;
use super::engine::runtime;
use super::error::PluginError;
use super::state::State;

/// The interface a plugin must export; the version is the contract.
pub const PLUGIN_INTERFACE: &str = "sluice:transform/plugin@1.0.0";
const INTERFACE_PREFIX: &str = "sluice:transform/plugin@";

/// A compiled, linked plugin, shared by every task (and instance) that runs it.
pub struct Module {
    pub path: PathBuf,
    /// Hex SHA-256 of the module file.
    pub digest: String,
    pub pre: TransformPre<State>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (sha256 {})", self.path.display(), &self.digest[..12])
    }
}

/// What identifies a version of the module file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

/// Loads the module at `path`; modules already loaded in this process are shared by digest.
pub fn load(path: &Path, cache_dir: Option<&Path>) -> Result<Arc<Module>, PluginError> {
    let bytes = std::fs::read(path).map_err(|e| {
        PluginError::Config(format!("cannot read WASM module '{}': {e}", path.display()))
    })?;
    load_bytes(path, &bytes, cache_dir)
}

/// Loads a module from memory (`path` names it in messages); text format is accepted.
pub fn load_bytes(
    path: &Path,
    bytes: &[u8],
    cache_dir: Option<&Path>,
) -> Result<Arc<Module>, PluginError> {
    static LOADED: OnceLock<Mutex<HashMap<String, Arc<Module>>>> = OnceLock::new();
    let digest = hex(&Sha256::digest(bytes));
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(module) = lock(loaded).get(&digest) {
        return Ok(Arc::clone(module));
    }
    let runtime = runtime().map_err(PluginError::Config)?;
    let name = path.display();
    let component = cache::compile(&runtime.engine, bytes, &digest, cache_dir).map_err(|e| {
        PluginError::Config(format!(
            "'{name}' is not a WebAssembly component Sluice can compile: {e}"
        ))
    })?;
    check_interface(&component, &runtime.engine, &name.to_string())?;
    let pre = runtime
        .linker
        .instantiate_pre(&component)
        .and_then(TransformPre::new)
        .map_err(|e| {
            PluginError::Config(format!(
                "'{name}' cannot be linked: {e:#}. Plugins may import sluice:transform/host@1.0.0 \
                 and WASI 0.2, nothing else"
            ))
        })?;
    let module = Arc::new(Module {
        path: path.to_path_buf(),
        digest: digest.clone(),
        pre,
    });
    lock(loaded).insert(digest, Arc::clone(&module));
    Ok(module)
}

/// Refuses a module built for another version of the interface, naming both.
fn check_interface(
    component: &Component,
    engine: &wasmtime::Engine,
    name: &str,
) -> Result<(), PluginError> {
    let ty = component.component_type();
    let mut found = Vec::new();
    for (export, item) in ty.exports(engine) {
        if export == PLUGIN_INTERFACE && matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            return Ok(());
        }
        if export.starts_with(INTERFACE_PREFIX) {
            found.push(export.to_string());
        }
    }
    let reason = if found.is_empty() {
        format!(
            "'{name}' is not a Sluice transform plugin: it does not export {PLUGIN_INTERFACE} \
             (build it with the sluice-transform-sdk crate)"
        )
    } else {
        format!(
            "'{name}' exports {} but this Sluice runs {PLUGIN_INTERFACE}; rebuild the plugin \
             against sluice-transform-sdk 1.x",
            found.join(", ")
        )
    };
    Err(PluginError::Config(reason))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
