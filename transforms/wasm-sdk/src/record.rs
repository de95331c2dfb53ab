//! [`Record`]: what a transform hands back, borrowing from the input wherever it can.

use std::borrow::Cow;

use sluice_wasm_abi::RecordRef;

/// A record a transform emits (a replacement or one record of a fan-out).
///
/// Every field is a [`Cow`], so a record built with `Record::from(input)` borrows the input's
/// bytes and only the fields a transform changes are allocated: the batch is copied into the
/// plugin once and the untouched parts of its records are written straight back out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub topic: Cow<'a, str>,
    pub partition: Option<i32>,
    /// Ignored by the host: an output record keeps the offset of the input it came from.
    pub offset: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    /// `None` is a null key.
    pub key: Option<Cow<'a, [u8]>>,
    /// `None` is a null value (a tombstone).
    pub value: Option<Cow<'a, [u8]>>,
    /// In order; names may repeat, and a header value may be null.
    pub headers: Vec<Header<'a>>,
}

/// A header: name and value (`None`: null).
pub type Header<'a> = (Cow<'a, str>, Option<Cow<'a, [u8]>>);

impl<'a> Record<'a> {
    /// A record on `topic` with every other field null and no headers (for tests and fan-outs
    /// that build records from scratch).
    pub fn new(topic: impl Into<Cow<'a, str>>) -> Self {
        Record {
            topic: topic.into(),
            partition: None,
            offset: None,
            timestamp: None,
            key: None,
            value: None,
            headers: Vec::new(),
        }
    }

    pub fn with_topic(mut self, topic: impl Into<Cow<'a, str>>) -> Self {
        self.topic = topic.into();
        self
    }

    pub fn with_partition(mut self, partition: Option<i32>) -> Self {
        self.partition = partition;
        self
    }

    pub fn with_timestamp(mut self, timestamp: Option<i64>) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Sets the key; pass `None::<&[u8]>` (or assign `record.key = None`) for a null key.
    pub fn with_key(mut self, key: impl IntoBytes<'a>) -> Self {
        self.key = key.into_nullable_bytes();
        self
    }

    /// Sets the value; pass `None::<&[u8]>` (or assign `record.value = None`) for a null value.
    pub fn with_value(mut self, value: impl IntoBytes<'a>) -> Self {
        self.value = value.into_nullable_bytes();
        self
    }

    /// Sets header `name`, removing any headers already named so: a transform that stamps a
    /// header means "this is the value", not "add one more".
    pub fn with_header(mut self, name: impl Into<Cow<'a, str>>, value: impl IntoBytes<'a>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into_nullable_bytes()));
        self
    }

    /// The value of the last header named `name` (Kafka's `lastHeader`); `Some(None)` for a
    /// header with a null value.
    pub fn header(&self, name: &str) -> Option<Option<&[u8]>> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref())
    }

    /// Copies whatever is still borrowed, detaching the record from the batch.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            topic: Cow::Owned(self.topic.into_owned()),
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.map(|k| Cow::Owned(k.into_owned())),
            value: self.value.map(|v| Cow::Owned(v.into_owned())),
            headers: self
                .headers
                .into_iter()
                .map(|(n, v)| {
                    (
                        Cow::Owned(n.into_owned()),
                        v.map(|v| Cow::Owned(v.into_owned())),
                    )
                })
                .collect(),
        }
    }
}

/// Borrows every field of the input: no bytes are copied.
impl<'a> From<RecordRef<'a>> for Record<'a> {
    fn from(r: RecordRef<'a>) -> Self {
        Record {
            topic: Cow::Borrowed(r.topic),
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.map(Cow::Borrowed),
            value: r.value.map(Cow::Borrowed),
            headers: r
                .headers()
                .map(|(n, v)| (Cow::Borrowed(n), v.map(Cow::Borrowed)))
                .collect(),
        }
    }
}

/// Anything that can be a key, value or header value, so `with_value("text")`,
/// `with_value(vec)` and `with_value(Some(bytes))` all work; `None` is null.
pub trait IntoBytes<'a> {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>>;
}

impl<'a> IntoBytes<'a> for &'a [u8] {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Borrowed(self))
    }
}

impl<'a, const N: usize> IntoBytes<'a> for &'a [u8; N] {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Borrowed(self))
    }
}

impl<'a> IntoBytes<'a> for &'a str {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Borrowed(self.as_bytes()))
    }
}

impl<'a> IntoBytes<'a> for Vec<u8> {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Owned(self))
    }
}

impl<'a> IntoBytes<'a> for String {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(Cow::Owned(self.into_bytes()))
    }
}

impl<'a> IntoBytes<'a> for Cow<'a, [u8]> {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        Some(self)
    }
}

impl<'a, T: IntoBytes<'a>> IntoBytes<'a> for Option<T> {
    fn into_nullable_bytes(self) -> Option<Cow<'a, [u8]>> {
        self.and_then(IntoBytes::into_nullable_bytes)
    }
}
