//! Zero-copy readers for batches and outcomes.

use std::fmt;

use crate::{NO_TIMESTAMP, tag};

/// A buffer that does not follow the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub reason: &'static str,
    /// Byte position where reading failed.
    pub at: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.at)
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

/// A record borrowed from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    header_count: u32,
    header_bytes: &'a [u8],
}

impl<'a> RecordRef<'a> {
    /// The headers, in order; names may repeat.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter {
            cursor: Cursor {
                buf: self.header_bytes,
                pos: 0,
            },
            remaining: self.header_count,
        }
    }

    pub fn header_count(&self) -> u32 {
        self.header_count
    }

    /// The value of the last header named `name` (Kafka's `lastHeader`); `Some(None)` for a
    /// header with a null value.
    pub fn header(&self, name: &str) -> Option<Option<&'a [u8]>> {
        self.headers()
            .filter(|(n, _)| *n == name)
            .last()
            .map(|(_, v)| v)
    }
}

/// Iterates a record's headers as `(name, value)`.
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    cursor: Cursor<'a>,
    remaining: u32,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, Option<&'a [u8]>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        // Validated when the record was read.
        let name = self.cursor.str().ok()?;
        let value = self.cursor.opt_bytes().ok()?;
        Some((name, value))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

impl ExactSizeIterator for HeaderIter<'_> {}

#[derive(Debug, Clone)]
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn error(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            reason,
            at: self.pos,
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| self.error("buffer ends inside a field"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    #[inline]
    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    #[inline]
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline]
    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    #[inline]
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    #[inline]
    fn str(&mut self) -> Result<&'a str> {
        let len = self.u32()? as usize;
        let at = self.pos;
        std::str::from_utf8(self.take(len)?).map_err(|_| DecodeError {
            reason: "string is not UTF-8",
            at,
        })
    }

    #[inline]
    fn opt_bytes(&mut self) -> Result<Option<&'a [u8]>> {
        match self.i32()? {
            -1 => Ok(None),
            len if len < 0 => Err(self.error("negative length")),
            len => self.take(len as usize).map(Some),
        }
    }

    #[inline]
    fn record(&mut self) -> Result<RecordRef<'a>> {
        let offset = self.i64()?;
        let timestamp = self.i64()?;
        let partition = self.i32()?;
        let topic = self.str()?;
        let key = self.opt_bytes()?;
        let value = self.opt_bytes()?;
        let header_count = self.u32()?;
        let start = self.pos;
        for _ in 0..header_count {
            self.str()?;
            self.opt_bytes()?;
        }
        Ok(RecordRef {
            topic,
            partition: (partition >= 0).then_some(partition),
            offset: (offset >= 0).then_some(offset),
            timestamp: (timestamp != NO_TIMESTAMP).then_some(timestamp),
            key,
            value,
            header_count,
            header_bytes: &self.buf[start..self.pos],
        })
    }
}

/// Reads the records of a batch.
#[derive(Debug, Clone)]
pub struct BatchReader<'a> {
    cursor: Cursor<'a>,
    remaining: u32,
}

impl<'a> BatchReader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<Self> {
        let mut cursor = Cursor { buf, pos: 0 };
        let remaining = cursor.u32()?;
        Ok(BatchReader { cursor, remaining })
    }

    /// Records not read yet, as the buffer claims.
    pub fn len(&self) -> usize {
        self.remaining as usize
    }

    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }
}

impl<'a> Iterator for BatchReader<'a> {
    type Item = Result<RecordRef<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let record = self.cursor.record();
        if record.is_err() {
            self.remaining = 0;
        }
        Some(record)
    }

    /// The count comes from the buffer, which may end early: only an upper bound, so that
    /// `collect` does not reserve what an untrusted count claims.
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.len()))
    }
}

/// One outcome borrowed from an outcome buffer.
#[derive(Debug, Clone)]
pub enum OutcomeRef<'a> {
    Keep,
    Drop,
    Replace(RecordRef<'a>),
    /// The records of a fan-out (already validated).
    FanOut(BatchReader<'a>),
    Fail(&'a str),
}

/// Reads the outcomes a plugin returned.
#[derive(Debug, Clone)]
pub struct OutcomeReader<'a> {
    cursor: Cursor<'a>,
    remaining: u32,
}

impl<'a> OutcomeReader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<Self> {
        let mut cursor = Cursor { buf, pos: 0 };
        let remaining = cursor.u32()?;
        Ok(OutcomeReader { cursor, remaining })
    }

    /// Outcomes not read yet, as the buffer claims.
    pub fn len(&self) -> usize {
        self.remaining as usize
    }

    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    #[inline]
    fn outcome(&mut self) -> Result<OutcomeRef<'a>> {
        let at = self.cursor.pos;
        Ok(match self.cursor.u8()? {
            tag::KEEP => OutcomeRef::Keep,
            tag::DROP => OutcomeRef::Drop,
            tag::REPLACE => OutcomeRef::Replace(self.cursor.record()?),
            tag::FAN_OUT => {
                let count = self.cursor.u32()?;
                let start = self.cursor.pos;
                for _ in 0..count {
                    self.cursor.record()?;
                }
                OutcomeRef::FanOut(BatchReader {
                    cursor: Cursor {
                        buf: &self.cursor.buf[start..self.cursor.pos],
                        pos: 0,
                    },
                    remaining: count,
                })
            }
            tag::FAIL => OutcomeRef::Fail(self.cursor.str()?),
            _ => {
                return Err(DecodeError {
                    reason: "unknown outcome tag",
                    at,
                });
            }
        })
    }
}

impl<'a> Iterator for OutcomeReader<'a> {
    type Item = Result<OutcomeRef<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let outcome = self.outcome();
        if outcome.is_err() {
            self.remaining = 0;
        }
        Some(outcome)
    }

    /// The count comes from the buffer, which may end early: only an upper bound, so that
    /// `collect` does not reserve what an untrusted count claims.
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.len()))
    }
}
