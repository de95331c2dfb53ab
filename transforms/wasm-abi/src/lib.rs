//! The byte layout of what crosses between Sluice and a WASM transform plugin
//! (`sluice:transform/plugin@1.0.0`): one buffer of records per batch in, one buffer of outcomes
//! out. Both sides use this crate, so the layout is written down once.
//!
//! All integers are little-endian. A batch:
//!
//! ```text
//! u32 count, then count records
//! record  = i64 offset (-1: none) · i64 timestamp (i64::MIN: none) · i32 partition (-1: none)
//!           · str topic · bytes? key · bytes? value · u32 header count · (str name · bytes? value)*
//! str     = u32 length · UTF-8
//! bytes?  = i32 length (-1: null) · bytes
//! ```
//!
//! The outcomes, exactly one per record of the batch, in order:
//!
//! ```text
//! u32 count, then count of:
//!   0 keep · 1 drop · 2 replace: record · 3 fan-out: u32 n, n records · 4 fail: str reason
//! ```
//!
//! Records in outcomes use the record layout; their offset is ignored (an output record keeps
//! the offset of the input it came from).

mod read;
mod write;

pub use read::{BatchReader, DecodeError, HeaderIter, OutcomeReader, OutcomeRef, RecordRef};
pub use write::{BatchWriter, OutcomeWriter, RecordFields};

/// Outcome tags.
pub mod tag {
    pub const KEEP: u8 = 0;
    pub const DROP: u8 = 1;
    pub const REPLACE: u8 = 2;
    pub const FAN_OUT: u8 = 3;
    pub const FAIL: u8 = 4;
}

/// The `timestamp` of a record without one.
pub const NO_TIMESTAMP: i64 = i64::MIN;

#[cfg(test)]
mod tests;
