//! Compiled plugins cached on disk, keyed by the module's SHA-256 and by what makes compiled
//! code compatible (wasmtime version and engine settings), so a restart skips compilation.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiles `bytes` (a component, binary or text), reusing and filling the cache in `dir`.
pub fn compile(
    engine: &Engine,
    bytes: &[u8],
    digest: &str,
    dir: Option<&Path>,
) -> Result<Component, String> {
    let Some(dir) = dir else {
        return Component::new(engine, bytes).map_err(describe);
    };
    let path = cache_path(engine, dir, digest);
    if path.exists() {
        match load(engine, &path) {
            Ok(component) => return Ok(component),
            // A truncated or foreign file: compile again and overwrite it.
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "ignoring cached WASM code")
            }
        }
    }
    let compiled = engine.precompile_component(bytes).map_err(describe)?;
    if let Err(err) = store(dir, &path, &compiled) {
        tracing::warn!(path = %path.display(), error = %err, "cannot cache compiled WASM code");
    }
    load(engine, &path).or_else(|_| Component::new(engine, bytes).map_err(describe))
}

fn cache_path(engine: &Engine, dir: &Path, digest: &str) -> PathBuf {
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
}

/// Writes atomically, so a reader never sees half a file.
fn store(dir: &Path, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, compiled)?;
    std::fs::rename(&tmp, path)
}

#[allow(unsafe_code)]
fn load(engine: &Engine, path: &Path) -> Result<Component, String> {
    // SAFETY: wasmtime runs deserialized code without validating it. Only files this module
    // wrote are read: names carry the SHA-256 of the source module and the engine's
    // compatibility hash, files appear by atomic rename, and wasmtime itself refuses a file
    // made by another version or configuration.
    unsafe { Component::deserialize_file(engine, path) }.map_err(describe)
}

fn describe(err: wasmtime::Error) -> String {
    format!("{err:#}")
}
