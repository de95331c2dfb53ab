//! The [`Transform`] trait a plugin implements and the [`Outcome`] it returns per record.

use crate::{Config, Record, RecordRef};

/// A single-message transform.
///
/// The host creates one instance per task (and a fresh one after a trap), calls [`init`] once
/// with the transform's settings, then [`transform`] for every record, batch after batch. The
/// instance is single-threaded, so `&mut self` state needs no locking.
///
/// [`init`]: Transform::init
/// [`transform`]: Transform::transform
pub trait Transform: Sized + 'static {
    /// Builds the transform from its `transforms.<alias>.*` settings. An error fails the task at
    /// start with this message, so name the setting and say what is wrong with it.
    fn init(config: &Config) -> Result<Self, String>;

    /// Decides what happens to one record. The record borrows the batch buffer, and the outcome
    /// may borrow from it too (see [`Record::from`]), so passing fields through copies nothing.
    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a>;
}

/// What becomes of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Passes on unchanged (the cheapest outcome: nothing is copied back to the host).
    Keep,
    /// Filtered out.
    Drop,
    /// Replaced by this record.
    Replace(Record<'a>),
    /// Replaced by these records, in order; an empty list emits nothing, like `Drop`.
    FanOut(Vec<Record<'a>>),
    /// The record fails with this reason; the host applies the connector's `errors.tolerance`
    /// (fail the task, or skip the record and dead-letter it).
    Fail(String),
}

impl Outcome<'_> {
    /// Copies whatever is still borrowed from the batch.
    pub fn into_owned(self) -> Outcome<'static> {
        match self {
            Outcome::Keep => Outcome::Keep,
            Outcome::Drop => Outcome::Drop,
            Outcome::Replace(r) => Outcome::Replace(r.into_owned()),
            Outcome::FanOut(rs) => {
                Outcome::FanOut(rs.into_iter().map(Record::into_owned).collect())
            }
            Outcome::Fail(reason) => Outcome::Fail(reason),
        }
    }
}
