//! Write Sluice single-message transforms in Rust and compile them to WebAssembly components.
//!
//! A plugin is a type implementing [`Transform`]: `init` builds it from the transform's
//! settings, `transform` decides the [`Outcome`] of each record. [`export_transform!`] turns it
//! into a component implementing `sluice:transform/plugin@1.0.0`, which Sluice loads with
//! `transforms.<alias>.module=<file>.wasm`.
//!
//! ```
//! use sluice_transform_sdk::{Config, Outcome, Record, RecordRef, Transform, export_transform};
//!
//! /// Stamps every record with header `source` (setting `source`, default `sluice`), and drops
//! /// records without a value.
//! pub struct Stamp {
//!     source: String,
//! }
//!
//! impl Transform for Stamp {
//!     fn init(config: &Config) -> Result<Self, String> {
//!         Ok(Stamp { source: config.get("source").unwrap_or("sluice").to_owned() })
//!     }
//!
//!     fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
//!         if record.value.is_none() {
//!             return Outcome::Drop;
//!         }
//!         // Borrows topic, key, value and the other headers from the batch: nothing is copied
//!         // but the new header.
//!         Outcome::Replace(Record::from(record).with_header("source", self.source.clone()))
//!     }
//! }
//!
//! export_transform!(Stamp);
//!
//! // In the plugin's `#[cfg(test)]` module, run natively by `cargo test`:
//! # fn main() {
//! use sluice_transform_sdk::testing;
//!
//! let mut stamp: Stamp = testing::init(&[("source", "fleet")]).unwrap();
//! let out = testing::run(&mut stamp, &[Record::new("t").with_value("v"), Record::new("t")]);
//! assert_eq!(
//!     out,
//!     vec![
//!         Outcome::Replace(Record::new("t").with_value("v").with_header("source", "fleet")),
//!         Outcome::Drop,
//!     ]
//! );
//! # }
//! ```
//!
//! The crate is `cdylib` (the component) and `rlib` (so `cargo test` can link the tests):
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib", "rlib"]
//!
//! [dependencies]
//! sluice-transform-sdk = { path = "…/transforms/wasm-sdk" }
//! ```
//!
//! `cargo build --release --target wasm32-wasip2` writes the component to
//! `target/wasm32-wasip2/release/<crate>.wasm`; `cargo test` runs the tests natively, through the
//! same batch encoding the host uses (see `testing`, which exists in native builds only).
//!
//! Records arrive in batches, as one buffer per batch; [`RecordRef`] borrows from it and
//! [`Record`] can too, so a transform copies only what it changes. A transform that returns
//! [`Outcome::Keep`] sends nothing back but a one-byte tag.

mod batch;
mod config;
mod export;
mod host;
mod record;
mod transform;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
#[allow(unsafe_code, clippy::all)]
pub mod bindings;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use batch::run_batch;
pub use config::Config;
pub use host::{Level, counter_add, log};
pub use record::{Header, IntoBytes, Record};
pub use sluice_wasm_abi::RecordRef;
pub use transform::{Outcome, Transform};

/// Used by [`export_transform!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::{State, init, transform};
}

#[cfg(test)]
mod tests;
