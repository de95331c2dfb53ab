//! One live plugin instance: a store with its limits, reused batch after batch and thrown away
//! after any failure, since a trapped instance's memory may be inconsistent.

use std::sync::Arc;

use wasmtime::{Store, Trap};

use super::bindings::Transform;
use super::engine::{deadline_ticks, runtime};
use super::error::PluginError;
use super::module::Module;
use super::settings::WasmSettings;
use super::state::{LogSink, State};

pub struct Instance {
    store: Store<State>,
    bindings: Transform,
    ticks: u64,
    settings_timeout_ms: u128,
    memory_max_bytes: usize,
    name: String,
}

impl Instance {
    /// Instantiates `module` and calls `init` with the plugin's settings; a failure of either
    /// is a configuration error.
    pub fn start(
        module: &Arc<Module>,
        settings: &WasmSettings,
        log: LogSink,
    ) -> Result<Self, PluginError> {
        let runtime = runtime().map_err(PluginError::Config)?;
        let state = State::new(settings, log).map_err(PluginError::Config)?;
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_trap();
        let ticks = deadline_ticks(settings.timeout);
        store.set_epoch_deadline(ticks);
        let name = module.path.display().to_string();
        let bindings = module.pre.instantiate(&mut store).map_err(|e| {
            PluginError::Config(format!("cannot instantiate WASM plugin '{name}': {e:#}"))
        })?;
        let mut instance = Instance {
            store,
            bindings,
            ticks,
            settings_timeout_ms: settings.timeout.as_millis(),
            memory_max_bytes: settings.memory_max_bytes,
            name,
        };
        let init = outside_async(|| {
            instance
                .bindings
                .sluice_transform_plugin()
                .call_init(&mut instance.store, &settings.plugin_config)
        });
        match init {
            Ok(Ok(())) => Ok(instance),
            Ok(Err(reason)) => Err(PluginError::Config(format!(
                "WASM plugin '{}' refused its settings: {reason}",
                instance.name
            ))),
            Err(err) => {
                let failure = instance.describe(&err);
                Err(PluginError::Config(format!(
                    "WASM plugin '{}' failed in init: {failure}",
                    instance.name
                )))
            }
        }
    }

    /// Runs `transform` on one framed batch within the deadline and memory cap.
    pub fn call(&mut self, batch: &[u8]) -> Result<Vec<u8>, PluginError> {
        self.store.set_epoch_deadline(self.ticks);
        let result = outside_async(|| {
            self.bindings
                .sluice_transform_plugin()
                .call_transform(&mut self.store, batch)
        });
        match result {
            Ok(Ok(outcomes)) => Ok(outcomes),
            Ok(Err(reason)) => Err(PluginError::Batch(format!(
                "WASM plugin '{}' returned an error: {reason}",
                self.name
            ))),
            Err(err) => {
                let failure = self.describe(&err);
                Err(PluginError::Batch(format!(
                    "WASM plugin '{}' {failure}",
                    self.name
                )))
            }
        }
    }

    /// Counter increments since the last call, summed by name.
    pub fn take_counters(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.store.data_mut().counters)
    }

    /// Bytes of linear memory the instance uses now.
    pub fn memory_bytes(&self) -> usize {
        self.store.data().limits.current
    }

    /// Turns a wasmtime error into what the user needs: which limit was hit, or the trap and
    /// the plugin's last output (a panic message, typically).
    fn describe(&mut self, err: &wasmtime::Error) -> String {
        let state = self.store.data();
        if let Some(desired) = state.limits.exceeded {
            return format!(
                "ran out of memory: it asked for {desired} bytes, over wasm.memory.max.bytes = {}",
                self.memory_max_bytes
            );
        }
        if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return format!(
                "missed its deadline: the batch ran longer than wasm.timeout.ms = {}",
                self.settings_timeout_ms
            );
        }
        let trap = match err.downcast_ref::<Trap>() {
            Some(trap) => format!("trapped: {trap}"),
            None => format!("failed: {err:#}"),
        };
        let output = state.output.tail();
        state.output.clear();
        if output.is_empty() {
            trap
        } else {
            format!("{trap}; its last output: {output}")
        }
    }
}

/// Runs plugin code where WASI may block. wasmtime's synchronous WASI (a plugin writing to
/// stdout or stderr, for instance an allocation-failure message) blocks on the current Tokio
/// runtime, which panics on a runtime worker thread unless that thread is first marked as
/// blocking.
fn outside_async<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
