//! What one plugin instance's store holds: its closed-by-default WASI context, its memory limit,
//! and what the plugin logged and counted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::sluice::transform::host::{Host, Level};
use super::settings::{GUEST_FS_DIR, WasmSettings};
use super::stdio::OutputTail;

/// Where plugin log lines go.
#[derive(Debug, Clone)]
pub enum LogSink {
    /// Emitted as tracing events in the task's context, tagged with the module.
    Tracing { module: Arc<str> },
    /// Kept for `sluice transform test`, which prints them with the outcomes.
    Capture(Arc<Mutex<Vec<(Level, String)>>>),
}

pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limits: MemoryLimit,
    log: LogSink,
    /// Counter increments not yet reported.
    pub counters: Vec<(String, u64)>,
    /// The end of what the plugin wrote to stdout and stderr (a panic message, for instance).
    pub output: OutputTail,
}

impl State {
    pub fn new(settings: &WasmSettings, log: LogSink) -> Result<Self, String> {
        let module: Arc<str> = settings.module.display().to_string().into();
        let output = OutputTail::new(module);
        let mut wasi = WasiCtxBuilder::new();
        // No network at all; no environment, arguments or stdin either (the builder's defaults).
        wasi.stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if !settings.clock_enabled {
            wasi.wall_clock(Frozen).monotonic_clock(Frozen);
        }
        if let Some(dir) = &settings.fs_dir {
            wasi.preopened_dir(dir, GUEST_FS_DIR, FsPerms::ReadOnly)
                .map_err(|e| format!("cannot open wasm.fs.dir '{}': {e:#}", dir.display()))?;
        }
        Ok(State {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limits: MemoryLimit {
                max_bytes: settings.memory_max_bytes,
                current: 0,
                exceeded: None,
            },
            log,
            counters: Vec::new(),
            output,
        })
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Host for State {
    fn log(&mut self, level: Level, message: String) {
        if level == Level::Error {
            self.output.remember(&message);
        }
        match &self.log {
            LogSink::Tracing { module } => emit(level, module, &message),
            LogSink::Capture(lines) => lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((level, message)),
        }
    }

    fn counter_add(&mut self, name: String, delta: u64) {
        match self.counters.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += delta,
            None => self.counters.push((name, delta)),
        }
    }
}

fn emit(level: Level, module: &str, message: &str) {
    const TARGET: &str = "sluice::wasm::plugin";
    match level {
        Level::Trace => tracing::trace!(target: TARGET, module, "{message}"),
        Level::Debug => tracing::debug!(target: TARGET, module, "{message}"),
        Level::Info => tracing::info!(target: TARGET, module, "{message}"),
        Level::Warn => tracing::warn!(target: TARGET, module, "{message}"),
        Level::Error => tracing::error!(target: TARGET, module, "{message}"),
    }
}

/// Caps linear memory; remembers a refused growth so the failure reads as "out of memory"
/// rather than as the trap the plugin's allocator turns it into.
pub struct MemoryLimit {
    max_bytes: usize,
    /// Linear memory granted so far.
    pub current: usize,
    pub exceeded: Option<usize>,
}

impl ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = Some(desired);
            return Ok(false);
        }
        self.current = desired;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// A clock stopped at zero: plugins without `wasm.clock.enabled` cannot tell the time.
struct Frozen;

impl wasmtime_wasi::HostWallClock for Frozen {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for Frozen {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}
