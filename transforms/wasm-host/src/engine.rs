//! The one wasmtime `Engine` and `Linker` every WASM transform in the process shares, and the
//! epoch ticker that enforces batch deadlines.

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, OptLevel};

use super::bindings::Transform;
use super::state::State;

/// How often the epoch advances. Deadlines are rounded up to whole ticks; a shorter tick costs
/// wake-ups, a longer one makes short deadlines coarse.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Most stack a plugin may use; a deeper recursion traps instead of growing without bound.
const MAX_WASM_STACK: usize = 1 << 20;

pub struct Runtime {
    pub engine: Engine,
    pub linker: Linker<State>,
}

/// The shared runtime, created on first use. Fails only if the host cannot run wasmtime.
pub fn runtime() -> Result<&'static Runtime, String> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME.get_or_init(build).as_ref().map_err(Clone::clone)
}

fn build() -> Result<Runtime, String> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .cranelift_opt_level(OptLevel::Speed)
        .max_wasm_stack(MAX_WASM_STACK);
    let engine = Engine::new(&config).map_err(|e| format!("cannot start wasmtime: {e:#}"))?;

    let mut linker = Linker::new(&engine);
    // Components built with Rust's std import WASI even when they use none of it; the context
    // each store gets (see state.rs) keeps filesystem, network and clocks closed by default.
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(|e| format!("cannot link WASI: {e:#}"))?;
    Transform::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)
        .map_err(|e| format!("cannot link the Sluice host interface: {e:#}"))?;

    let ticker = engine.clone();
    std::thread::Builder::new()
        .name("sluice-wasm-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                ticker.increment_epoch();
            }
        })
        .map_err(|e| format!("cannot start the WASM deadline ticker: {e}"))?;
    Ok(Runtime { engine, linker })
}

/// Epoch ticks that cover `timeout`, plus one because the current tick is partly spent.
pub fn deadline_ticks(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos();
    (timeout.as_nanos().div_ceil(tick) as u64).saturating_add(1)
}
