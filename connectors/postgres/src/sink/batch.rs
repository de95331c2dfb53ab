//! A batch of rows for one table and column list, encoded as COPY text as records arrive.

use std::collections::HashSet;
use std::sync::Arc;

use sluice_api::{ConnectResult, Record, Value};

use super::change::Image;
use super::copy_text::{field_error, write_field};
use super::layout::Source;
use super::table::Shape;

/// One encoded row: a byte range of the batch buffer, key fields first.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// Index of the record in the `put` call's slice.
    pub record: usize,
    start: usize,
    key_end: usize,
    end: usize,
    pub delete: bool,
}

/// Rows for one table and one column list.
#[derive(Debug)]
pub struct Batch {
    pub shape: Arc<Shape>,
    buf: Vec<u8>,
    rows: Vec<Row>,
}

impl Batch {
    pub fn new(shape: Arc<Shape>) -> Self {
        Batch {
            shape,
            buf: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Whether a record of `shape` can join: the same columns, or a delete by the same key.
    /// With `separate_deletes` (insert mode, where order between inserts and deletes of one
    /// key matters) deletes and writes never share a batch.
    pub fn accepts(&self, shape: &Arc<Shape>, delete: bool, separate_deletes: bool) -> bool {
        if separate_deletes && self.rows.first().is_some_and(|r| r.delete != delete) {
            return false;
        }
        Arc::ptr_eq(&self.shape, shape)
            || self.shape.same_columns(shape)
            || (delete && self.shape.same_key(shape))
    }

    /// Encodes `record`: a row from `image`, or with `delete` only its key. A value that
    /// cannot be written leaves the batch as it was.
    pub fn push(
        &mut self,
        index: usize,
        record: &Record,
        image: Option<Image<'_>>,
        delete: bool,
    ) -> ConnectResult<()> {
        let start = self.buf.len();
        match self.encode(record, image, delete) {
            Ok(key_end) => {
                self.rows.push(Row {
                    record: index,
                    start,
                    key_end,
                    end: self.buf.len(),
                    delete,
                });
                Ok(())
            }
            Err(err) => {
                self.buf.truncate(start);
                Err(err)
            }
        }
    }

    fn encode(
        &mut self,
        record: &Record,
        image: Option<Image<'_>>,
        delete: bool,
    ) -> ConnectResult<usize> {
        // Disjoint borrows: the shape is read while the buffer grows.
        let (shape, buf) = (&*self.shape, &mut self.buf);
        let mut key_end = buf.len();
        for (i, column) in shape.columns.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            let written = if delete && i >= shape.pk_len {
                // A delete matches on the key alone.
                buf.extend_from_slice(b"\\N");
                Ok(())
            } else {
                match &column.source {
                    Source::Topic => {
                        super::copy_text::escape(buf, record.topic.as_bytes());
                        Ok(())
                    }
                    Source::Partition => write_field(
                        buf,
                        None,
                        &record.partition.map_or(Value::Null, Value::Int32),
                        column.kind,
                    ),
                    Source::Offset => write_field(
                        buf,
                        None,
                        &record.kafka_offset.map_or(Value::Null, Value::Int64),
                        column.kind,
                    ),
                    Source::Key => {
                        write_field(buf, column.schema.as_deref(), &record.key, column.kind)
                    }
                    Source::KeyField(name) => {
                        let key = Image {
                            schema: record.key_schema.as_deref(),
                            value: &record.key,
                        };
                        write_field(buf, column.schema.as_deref(), field(key, name), column.kind)
                    }
                    Source::ValueField(name) => {
                        let value = image.map_or(&Value::Null, |image| field(image, name));
                        write_field(buf, column.schema.as_deref(), value, column.kind)
                    }
                }
            };
            written.map_err(|e| field_error(&column.name, e))?;
            if i + 1 == shape.pk_len {
                key_end = buf.len();
            }
        }
        Ok(key_end)
    }

    /// Indexes of the rows to write when the last change per key wins (upsert and update: one
    /// statement cannot touch a row twice), in batch order.
    pub fn latest_per_key(&self) -> Vec<usize> {
        if self.shape.pk_len == 0 {
            return (0..self.rows.len()).collect();
        }
        let mut seen = HashSet::with_capacity(self.rows.len());
        let mut keep: Vec<usize> = (0..self.rows.len())
            .rev()
            .filter(|&i| {
                let row = &self.rows[i];
                seen.insert(&self.buf[row.start..row.key_end])
            })
            .collect();
        keep.reverse();
        keep
    }

    /// COPY text of the chosen rows; `with_delete_flag` appends the staging table's flag column.
    pub fn copy_data(&self, rows: &[usize], with_delete_flag: bool) -> Vec<u8> {
        let bytes: usize = rows
            .iter()
            .map(|&i| self.rows[i].end - self.rows[i].start + 3)
            .sum();
        let mut out = Vec::with_capacity(bytes);
        for &i in rows {
            let row = &self.rows[i];
            out.extend_from_slice(&self.buf[row.start..row.end]);
            if with_delete_flag {
                out.extend_from_slice(if row.delete { b"\tt" } else { b"\tf" });
            }
            out.push(b'\n');
        }
        out
    }
}

/// A field of a struct or schemaless map; a missing one is null.
fn field<'a>(image: Image<'a>, name: &str) -> &'a Value {
    let found = match image.value {
        Value::Struct(s) => s.get(name),
        Value::Map(_) => image.value.map_get(name),
        _ => None,
    };
    found.unwrap_or(&Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::TableId;
    use crate::sink::table::Column;
    use crate::sink::types::ColumnKind;
    use sluice_api::Struct;

    fn shape() -> Arc<Shape> {
        let column = |name: &str, source: Source| Column {
            name: name.into(),
            source,
            pg_type: "text".into(),
            kind: ColumnKind::Other,
            schema: None,
        };
        Arc::new(Shape {
            table: TableId::parse("t").unwrap(),
            columns: vec![
                column("id", Source::ValueField("id".into())),
                column("name", Source::ValueField("name".into())),
                column("offset", Source::Offset),
            ],
            pk_len: 1,
            pk_unique: true,
        })
    }

    fn record(id: i64, name: &str, offset: i64) -> Record {
        let value = Struct::new()
            .with("id", Value::Int64(id))
            .with("name", Value::String(name.into()));
        let mut record = Record::new("t").with_value(None, Value::Struct(value));
        record.kafka_offset = Some(offset);
        record
    }

    fn image(r: &Record) -> Option<Image<'_>> {
        Some(Image {
            schema: None,
            value: &r.value,
        })
    }

    #[test]
    fn last_change_per_key_wins() {
        let records = [record(1, "a", 10), record(2, "b", 11), record(1, "c", 12)];
        let mut batch = Batch::new(shape());
        for (i, r) in records.iter().enumerate() {
            batch.push(i, r, image(r), false).unwrap();
        }
        batch
            .push(3, &records[1], image(&records[1]), true)
            .unwrap();
        let keep = batch.latest_per_key();
        assert_eq!(keep, [2, 3]);
        assert_eq!(
            String::from_utf8(batch.copy_data(&keep, true)).unwrap(),
            "1\tc\t12\tf\n2\t\\N\t\\N\tt\n"
        );
        assert_eq!(
            String::from_utf8(batch.copy_data(&[0], false)).unwrap(),
            "1\ta\t10\n"
        );
    }

    #[test]
    fn deletes_stay_apart_in_insert_mode() {
        let r = record(1, "a", 1);
        let mut batch = Batch::new(shape());
        batch.push(0, &r, image(&r), false).unwrap();
        assert!(batch.accepts(&shape(), false, true));
        assert!(!batch.accepts(&shape(), true, true));
        assert!(batch.accepts(&shape(), true, false));
    }
}
