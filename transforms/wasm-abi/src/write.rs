//! Writers for batches (host → plugin) and outcomes (plugin → host).

use crate::{NO_TIMESTAMP, tag};

/// The fields of one record to write. `header_count` headers must follow, one
/// [`BatchWriter::header`] / [`OutcomeWriter::header`] call each.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub header_count: u32,
}

/// Appends length-prefixed fields to a buffer.
#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    count: u32,
}

impl Buffer {
    fn clear(&mut self) {
        self.bytes.clear();
        self.bytes.extend_from_slice(&0u32.to_le_bytes());
        self.count = 0;
    }

    fn finish(&mut self) -> &[u8] {
        if self.bytes.is_empty() {
            self.clear();
        }
        self.bytes[..4].copy_from_slice(&self.count.to_le_bytes());
        &self.bytes
    }

    #[inline]
    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn str(&mut self, s: &str) {
        self.u32(len_u32(s.len()));
        self.bytes.extend_from_slice(s.as_bytes());
    }

    #[inline]
    fn opt_bytes(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => {
                let len = i32::try_from(b.len()).expect("a field larger than 2 GiB");
                self.bytes.extend_from_slice(&len.to_le_bytes());
                self.bytes.extend_from_slice(b);
            }
            None => self.bytes.extend_from_slice(&(-1i32).to_le_bytes()),
        }
    }

    #[inline]
    fn record(&mut self, r: &RecordFields<'_>) {
        self.bytes.reserve(
            32 + r.topic.len() + r.key.map_or(0, <[u8]>::len) + r.value.map_or(0, <[u8]>::len),
        );
        self.bytes
            .extend_from_slice(&r.offset.unwrap_or(-1).to_le_bytes());
        self.bytes
            .extend_from_slice(&r.timestamp.unwrap_or(NO_TIMESTAMP).to_le_bytes());
        self.bytes
            .extend_from_slice(&r.partition.unwrap_or(-1).to_le_bytes());
        self.str(r.topic);
        self.opt_bytes(r.key);
        self.opt_bytes(r.value);
        self.u32(r.header_count);
    }

    fn header(&mut self, name: &str, value: Option<&[u8]>) {
        self.str(name);
        self.opt_bytes(value);
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).expect("a field larger than 4 GiB")
}

/// Builds the batch buffer handed to `transform`. Reuse one writer across batches: `clear` keeps
/// the allocation.
#[derive(Debug, Default)]
pub struct BatchWriter {
    buf: Buffer,
}

impl BatchWriter {
    pub fn new() -> Self {
        let mut writer = BatchWriter::default();
        writer.clear();
        writer
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Number of records written since the last `clear`.
    pub fn len(&self) -> usize {
        self.buf.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.buf.count == 0
    }

    /// Bytes written so far.
    pub fn size(&self) -> usize {
        self.buf.bytes.len()
    }

    /// Appends a record; its `header_count` headers must follow.
    #[inline]
    pub fn record(&mut self, record: &RecordFields<'_>) {
        self.buf.count += 1;
        self.buf.record(record);
    }

    pub fn header(&mut self, name: &str, value: Option<&[u8]>) {
        self.buf.header(name, value);
    }

    /// The finished batch.
    pub fn finish(&mut self) -> &[u8] {
        self.buf.finish()
    }
}

/// Builds the outcome buffer `transform` returns: call exactly one outcome method per input
/// record, in order.
#[derive(Debug, Default)]
pub struct OutcomeWriter {
    buf: Buffer,
}

impl OutcomeWriter {
    /// A writer sized for `records` outcomes that keep or drop.
    pub fn with_capacity(records: usize) -> Self {
        let mut writer = OutcomeWriter {
            buf: Buffer {
                bytes: Vec::with_capacity(4 + records),
                count: 0,
            },
        };
        writer.buf.clear();
        writer
    }

    /// Number of outcomes written.
    pub fn len(&self) -> usize {
        self.buf.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.buf.count == 0
    }

    /// The input record passes on unchanged.
    #[inline]
    pub fn keep(&mut self) {
        self.outcome(tag::KEEP);
    }

    /// The input record is filtered out.
    // `drop` pairs with `keep` as the outcome's name; this is not a destructor.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn drop(&mut self) {
        self.outcome(tag::DROP);
    }

    /// The input record fails with `reason`; the host applies `errors.tolerance` to it.
    #[inline]
    pub fn fail(&mut self, reason: &str) {
        self.outcome(tag::FAIL);
        self.buf.str(reason);
    }

    /// The input record is replaced by this one; its `header_count` headers must follow.
    #[inline]
    pub fn replace(&mut self, record: &RecordFields<'_>) {
        self.outcome(tag::REPLACE);
        self.buf.record(record);
    }

    /// The input record becomes `records` records, each written with [`OutcomeWriter::record`]
    /// (and its headers) right after this call. Zero records is the same as a drop.
    #[inline]
    pub fn fan_out(&mut self, records: u32) {
        self.outcome(tag::FAN_OUT);
        self.buf.u32(records);
    }

    /// One record of a fan-out; its `header_count` headers must follow.
    #[inline]
    pub fn record(&mut self, record: &RecordFields<'_>) {
        self.buf.record(record);
    }

    pub fn header(&mut self, name: &str, value: Option<&[u8]>) {
        self.buf.header(name, value);
    }

    /// The finished outcome buffer.
    pub fn into_bytes(mut self) -> Vec<u8> {
        self.buf.finish();
        self.buf.bytes
    }

    #[inline]
    fn outcome(&mut self, tag: u8) {
        self.buf.count += 1;
        self.buf.bytes.push(tag);
    }
}
