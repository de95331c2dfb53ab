//! Connect values: the data a key or value holds, with or without a schema.

use std::fmt;

/// A Connect value. Logical types have their own variants so that code never has to
/// re-decode them from the physical representation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Insertion-ordered entries; keys may be any value, as in Connect maps.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
    Decimal(Decimal),
    /// Days since the Unix epoch.
    Date(i32),
    /// Milliseconds since midnight.
    Time(i32),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
}

/// Struct data: field values in the order of the struct schema's fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Struct {
    fields: Vec<(String, Value)>,
}

impl Struct {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a field, or replaces the value of an existing one.
    pub fn put(&mut self, name: impl Into<String>, value: Value) -> &mut Self {
        let name = name.into();
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
        self
    }

    /// Builder form of [`Struct::put`].
    pub fn with(mut self, name: impl Into<String>, value: Value) -> Self {
        self.put(name, value);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
    }

    pub fn into_fields(self) -> Vec<(String, Value)> {
        self.fields
    }
}

impl From<Vec<(String, Value)>> for Struct {
    fn from(fields: Vec<(String, Value)>) -> Self {
        Struct { fields }
    }
}

/// An arbitrary-precision decimal as `unscaled * 10^-scale`; 128 bits of unscaled value
/// cover 38 significant digits, beyond what PostgreSQL numeric columns are usually declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: i32,
}

impl Decimal {
    /// Big-endian two's-complement bytes of the unscaled value, minimal length (Java's BigInteger.toByteArray).
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        let bytes = self.unscaled.to_be_bytes();
        let mut start = 0;
        while start < bytes.len() - 1 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        bytes[start..].to_vec()
    }

    /// Decodes big-endian two's-complement bytes; `None` when they do not fit in 128 bits.
    pub fn from_unscaled_bytes(bytes: &[u8], scale: i32) -> Option<Decimal> {
        if bytes.is_empty() || bytes.len() > 16 {
            return None;
        }
        let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0x00 };
        let mut buf = [fill; 16];
        buf[16 - bytes.len()..].copy_from_slice(bytes);
        Some(Decimal {
            unscaled: i128::from_be_bytes(buf),
            scale,
        })
    }
}

impl fmt::Display for Decimal {
    /// Plain decimal notation, e.g. `-12.50` for unscaled -1250 and scale 2.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.unscaled.unsigned_abs().to_string();
        let sign = if self.unscaled < 0 { "-" } else { "" };
        if self.scale <= 0 {
            let zeros = "0".repeat(self.scale.unsigned_abs() as usize);
            return write!(f, "{sign}{digits}{zeros}");
        }
        let scale = self.scale as usize;
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short type name for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Int8(_) => "int8",
            Value::Int16(_) => "int16",
            Value::Int32(_) => "int32",
            Value::Int64(_) => "int64",
            Value::Float32(_) => "float32",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Struct(_) => "struct",
            Value::Decimal(_) => "decimal",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::Timestamp(_) => "timestamp",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a map entry whose key is the given string.
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bytes_match_java_biginteger() {
        let cases: [(i128, &[u8]); 6] = [
            (0, &[0x00]),
            (127, &[0x7f]),
            (128, &[0x00, 0x80]),
            (-1, &[0xff]),
            (-129, &[0xff, 0x7f]),
            (15634, &[0x3d, 0x12]),
        ];
        for (unscaled, bytes) in cases {
            let d = Decimal { unscaled, scale: 2 };
            assert_eq!(d.unscaled_bytes(), bytes, "{unscaled}");
            assert_eq!(Decimal::from_unscaled_bytes(bytes, 2), Some(d));
        }
    }

    #[test]
    fn decimal_display() {
        let show = |unscaled, scale| Decimal { unscaled, scale }.to_string();
        assert_eq!(show(-1250, 2), "-12.50");
        assert_eq!(show(5, 3), "0.005");
        assert_eq!(show(12, -2), "1200");
    }
}
