//! The host of WebAssembly transform plugins (`transforms.<alias>.type=wasm`): components implementing the
//! `sluice:transform@1.0.0` world (transforms/wasm-sdk/wit), run under wasmtime with a deadline
//! and a memory cap per batch, one reused instance per task, and hot reload of the module file.
//! A plugin that traps, panics, runs out of time or memory fails only the record that caused it.

mod cache;
mod codec;
mod engine;
mod error;
mod instance;
mod module;
mod reload;
pub mod settings;
mod state;
mod stdio;
mod transform;

use sluice_api::{ConnectResult, Props, Transform, TransformPlugin};

pub use error::PluginError;
pub use instance::Instance;
pub use module::{Module, PLUGIN_INTERFACE, load as load_module, load_bytes as load_module_bytes};
pub use settings::WasmSettings;
pub use state::LogSink;
pub use transform::WasmTransform;

/// The levels a plugin logs at.
pub use bindings::sluice::transform::host::Level;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wasm-sdk/wit",
        world: "transform",
    });
}

/// An identity plugin in the component text format: keeps every record. The baseline
/// `sluice transform bench` measures plugins against, and a plugin tests can run without a
/// WebAssembly toolchain.
pub const IDENTITY_WAT: &str = include_str!("identity.wat");

/// `wasm`.
pub const PLUGIN: TransformPlugin = TransformPlugin {
    config_def: settings::config_def,
    create,
};

fn create(props: &Props) -> ConnectResult<Box<dyn Transform>> {
    Ok(Box::new(WasmTransform::from_props(props)?))
}

#[cfg(test)]
mod tests;
