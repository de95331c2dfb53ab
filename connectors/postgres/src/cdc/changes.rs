//! Row changes turned into Debezium records: creates, updates (with the delete + tombstone +
//! create sequence of a key change), deletes with their tombstones, truncates and snapshot reads.

use sluice_api::{ConnectError, ConnectResult, Record, Struct};

use super::config::{CdcConfig, SkippedOperations};
use super::event::{EventContext, Op, SourceInfo, key_header};
use super::pgoutput::Datum;
use super::table::TableSchema;

/// Builds the records of one connector's changes.
#[derive(Debug, Clone)]
pub struct ChangeBuilder {
    pub events: EventContext,
    skipped: SkippedOperations,
    tombstones: bool,
    placeholder: String,
}

impl ChangeBuilder {
    pub fn new(config: &CdcConfig) -> Self {
        ChangeBuilder {
            events: EventContext {
                name: config.topic_prefix.clone(),
                db: config.dbname.clone(),
            },
            skipped: config.skipped,
            tombstones: config.tombstones_on_delete,
            placeholder: config.unavailable_placeholder.clone(),
        }
    }

    fn row(&self, table: &TableSchema, values: &[Datum]) -> ConnectResult<Struct> {
        table
            .row(values, &self.placeholder)
            .map_err(ConnectError::fatal)
    }

    /// A snapshot read of one row.
    pub fn read(&self, table: &TableSchema, row: Struct, info: &SourceInfo, out: &mut Vec<Record>) {
        let key = table.key(&row);
        out.push(
            self.events
                .change(table, Op::Read, None, Some(row), key, info),
        );
    }

    pub fn insert(
        &self,
        table: &TableSchema,
        new: &[Datum],
        info: &SourceInfo,
        out: &mut Vec<Record>,
    ) -> ConnectResult<()> {
        if self.skipped.create {
            return Ok(());
        }
        let after = self.row(table, new)?;
        let key = table.key(&after);
        out.push(
            self.events
                .change(table, Op::Create, None, Some(after), key, info),
        );
        Ok(())
    }

    /// An update; `old` is the old key (identity DEFAULT/INDEX, sent only when the key
    /// changed) or the whole old row (identity FULL).
    pub fn update(
        &self,
        table: &TableSchema,
        old: Option<&[Datum]>,
        new: &[Datum],
        info: &SourceInfo,
        out: &mut Vec<Record>,
    ) -> ConnectResult<()> {
        let after = self.row(table, new)?;
        let before = old.map(|old| self.row(table, old)).transpose()?;
        let new_key = table.key(&after);
        let old_key = before.as_ref().and_then(|b| table.key(b));
        match (old_key, new_key) {
            (Some(old_key), Some(new_key)) if old_key != new_key => {
                // Debezium's key change: the old key is deleted, the new one created, and each
                // event names the other key in a header.
                if !self.skipped.delete {
                    let mut delete = self.events.change(
                        table,
                        Op::Delete,
                        before,
                        None,
                        Some(old_key.clone()),
                        info,
                    );
                    delete
                        .headers
                        .push(key_header("__debezium.newkey", table, new_key.clone()));
                    out.push(delete);
                    if self.tombstones {
                        out.push(self.events.tombstone(table, old_key.clone()));
                    }
                }
                if !self.skipped.create {
                    let mut create = self.events.change(
                        table,
                        Op::Create,
                        None,
                        Some(after),
                        Some(new_key),
                        info,
                    );
                    create
                        .headers
                        .push(key_header("__debezium.oldkey", table, old_key));
                    out.push(create);
                }
            }
            (_, new_key) => {
                if self.skipped.update {
                    return Ok(());
                }
                // Only identity FULL gives a whole old row; a key-only old tuple is not one.
                let before = before.filter(|_| table.full_identity);
                out.push(
                    self.events
                        .change(table, Op::Update, before, Some(after), new_key, info),
                );
            }
        }
        Ok(())
    }

    pub fn delete(
        &self,
        table: &TableSchema,
        old: &[Datum],
        info: &SourceInfo,
        out: &mut Vec<Record>,
    ) -> ConnectResult<()> {
        if self.skipped.delete {
            return Ok(());
        }
        let before = self.row(table, old)?;
        let key = table.key(&before);
        out.push(
            self.events
                .change(table, Op::Delete, Some(before), None, key.clone(), info),
        );
        if let (true, Some(key)) = (self.tombstones, key) {
            out.push(self.events.tombstone(table, key));
        }
        Ok(())
    }

    pub fn truncate(&self, table: &TableSchema, info: &SourceInfo, out: &mut Vec<Record>) {
        if !self.skipped.truncate {
            out.push(
                self.events
                    .change(table, Op::Truncate, None, None, None, info),
            );
        }
    }
}

#[cfg(test)]
mod tests;
