//! Binary wire formats of the columns the source reads natively: numeric, date, time and
//! timestamps, and a row's values as Connect values.

use std::error::Error;

use bytes::BytesMut;
use sluice_api::Value;
use sluice_api::data::Decimal;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, accepts, to_sql_checked};

use super::types::ColumnKind;

type BoxError = Box<dyn Error + Sync + Send>;

/// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days between the Unix epoch and 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

const NUMERIC_POSITIVE: u16 = 0x0000;
const NUMERIC_NEGATIVE: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;

/// A `numeric` value as sent on the wire: base-10000 digits, the first one weighted
/// `10000^weight`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numeric {
    pub negative: bool,
    pub weight: i16,
    pub digits: Vec<i16>,
}

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let word = |i: usize| -> Result<u16, BoxError> {
            raw.get(i * 2..i * 2 + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "truncated numeric value".into())
        };
        let ndigits = usize::from(word(0)?);
        let weight = word(1)? as i16;
        let negative = match word(2)? {
            NUMERIC_POSITIVE => false,
            NUMERIC_NEGATIVE => true,
            NUMERIC_NAN => return Err("NaN has no Decimal representation".into()),
            _ => return Err("infinity has no Decimal representation".into()),
        };
        let digits = (0..ndigits)
            .map(|i| word(4 + i).map(|d| d as i16))
            .collect::<Result<Vec<_>, _>>()?;
        if digits.iter().any(|d| !(0..10_000).contains(d)) {
            return Err("numeric digit out of range".into());
        }
        Ok(Numeric {
            negative,
            weight,
            digits,
        })
    }

    accepts!(NUMERIC);
}

impl Numeric {
    /// The value as a decimal of exactly `scale` digits after the point; an error when it does
    /// not fit in 128 bits or has more fractional digits than `scale`.
    pub fn to_decimal(&self, scale: i32) -> Result<Decimal, String> {
        let overflow = || format!("numeric value does not fit a Decimal of scale {scale}");
        let mut unscaled: i128 = 0;
        for digit in &self.digits {
            unscaled = unscaled
                .checked_mul(10_000)
                .and_then(|n| n.checked_add(i128::from(*digit)))
                .ok_or_else(overflow)?;
        }
        // The digits read so far are the value times 10^exponent.
        let exponent = 4 * (self.digits.len() as i64 - 1 - i64::from(self.weight));
        let shift = i64::from(scale) - exponent;
        if unscaled != 0 {
            if shift >= 0 {
                let factor = pow10(shift).ok_or_else(overflow)?;
                unscaled = unscaled.checked_mul(factor).ok_or_else(overflow)?;
            } else {
                let divisor = pow10(-shift).unwrap_or(i128::MAX);
                if unscaled % divisor != 0 {
                    return Err(format!(
                        "numeric value has more than {scale} digits after the point"
                    ));
                }
                unscaled /= divisor;
            }
        }
        Ok(Decimal {
            unscaled: if self.negative { -unscaled } else { unscaled },
            scale,
        })
    }
}

fn pow10(exponent: i64) -> Option<i128> {
    10i128.checked_pow(u32::try_from(exponent).ok()?)
}

/// A `date`: days since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgDate(pub i32);

impl<'a> FromSql<'a> for PgDate {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let days = i32::from_be_bytes(fixed(raw)?);
        // ±infinity are the extreme values; saturating keeps them at the ends of the range.
        Ok(PgDate(days.saturating_add(PG_EPOCH_DAYS)))
    }

    accepts!(DATE);
}

/// A `time`: milliseconds since midnight (PostgreSQL keeps microseconds; Connect's Time does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgTime(pub i32);

impl<'a> FromSql<'a> for PgTime {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let micros = i64::from_be_bytes(fixed(raw)?);
        i32::try_from(micros.div_euclid(1000))
            .map(PgTime)
            .map_err(|_| "time of day out of range".into())
    }

    accepts!(TIME);
}

/// A `timestamp` (taken as UTC) or `timestamptz`: microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgTimestamp(pub i64);

impl PgTimestamp {
    /// Milliseconds since the epoch, as Connect's Timestamp holds them.
    pub fn millis(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

impl<'a> FromSql<'a> for PgTimestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let micros = i64::from_be_bytes(fixed(raw)?);
        Ok(PgTimestamp(micros.saturating_add(PG_EPOCH_MICROS)))
    }

    accepts!(TIMESTAMP, TIMESTAMPTZ);
}

impl ToSql for PgTimestamp {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(&self.0.saturating_sub(PG_EPOCH_MICROS).to_be_bytes());
        Ok(IsNull::No)
    }

    accepts!(TIMESTAMP, TIMESTAMPTZ);
    to_sql_checked!();
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], BoxError> {
    raw.try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", raw.len()).into())
}

/// The value of column `index` of `row`, read as `kind` says; the error says why it cannot be.
pub fn read_value(row: &Row, index: usize, kind: ColumnKind) -> Result<Value, String> {
    fn get<'a, T: FromSql<'a>>(
        row: &'a Row,
        index: usize,
        wrap: impl FnOnce(T) -> Result<Value, String>,
    ) -> Result<Value, String> {
        match row.try_get::<_, Option<T>>(index) {
            Ok(Some(value)) => wrap(value),
            Ok(None) => Ok(Value::Null),
            // The driver's message is generic; the cause says what was wrong with the value.
            Err(err) => Err(match err.source() {
                Some(cause) => cause.to_string(),
                None => err.to_string(),
            }),
        }
    }
    match kind {
        ColumnKind::Int16 => get(row, index, |n| Ok(Value::Int16(n))),
        ColumnKind::Int32 => get(row, index, |n| Ok(Value::Int32(n))),
        ColumnKind::Int64 => get(row, index, |n| Ok(Value::Int64(n))),
        ColumnKind::Float32 => get(row, index, |n| Ok(Value::Float32(n))),
        ColumnKind::Float64 => get(row, index, |n| Ok(Value::Float64(n))),
        ColumnKind::Boolean => get(row, index, |b| Ok(Value::Boolean(b))),
        ColumnKind::String | ColumnKind::Text => get(row, index, |s| Ok(Value::String(s))),
        ColumnKind::Bytes => get(row, index, |b| Ok(Value::Bytes(b))),
        ColumnKind::Decimal { scale } => get(row, index, |n: Numeric| {
            n.to_decimal(scale).map(Value::Decimal)
        }),
        ColumnKind::Date => get(row, index, |d: PgDate| Ok(Value::Date(d.0))),
        ColumnKind::Time => get(row, index, |t: PgTime| Ok(Value::Time(t.0))),
        ColumnKind::Timestamp => get(row, index, |t: PgTimestamp| {
            Ok(Value::Timestamp(t.millis()))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire form of a numeric value.
    fn wire(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [ndigits, weight as u16, sign, dscale].iter().chain(digits) {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out
    }

    fn decimal(raw: &[u8], scale: i32) -> Result<String, String> {
        let numeric = Numeric::from_sql(&Type::NUMERIC, raw).map_err(|e| e.to_string())?;
        numeric.to_decimal(scale).map(|d| d.to_string())
    }

    #[test]
    fn decodes_numeric_values_at_the_column_scale() {
        // 12345.678
        assert_eq!(
            decimal(&wire(3, 1, 0, 3, &[1, 2345, 6780]), 3).unwrap(),
            "12345.678"
        );
        // -0.0001
        assert_eq!(
            decimal(&wire(1, -1, 0x4000, 4, &[1]), 4).unwrap(),
            "-0.0001"
        );
        // 10000 (trailing zero groups are not sent)
        assert_eq!(decimal(&wire(1, 1, 0, 0, &[1]), 2).unwrap(), "10000.00");
        // 0
        assert_eq!(decimal(&wire(0, 0, 0, 2, &[]), 2).unwrap(), "0.00");
        // 1.5 at scale 0 cannot be represented without rounding.
        assert!(decimal(&wire(2, 0, 0, 1, &[1, 5000]), 0).is_err());
        // 38 nines fit; 10^40 does not.
        assert!(decimal(&wire(1, 10, 0, 0, &[1]), 0).is_err());
    }

    #[test]
    fn refuses_nan_and_truncated_numerics() {
        assert!(
            decimal(&wire(0, 0, 0xC000, 0, &[]), 2)
                .unwrap_err()
                .contains("NaN")
        );
        assert!(decimal(&wire(2, 0, 0, 0, &[1]), 0).is_err());
    }

    #[test]
    fn dates_times_and_timestamps_use_the_unix_epoch() {
        assert_eq!(
            PgDate::from_sql(&Type::DATE, &0i32.to_be_bytes()).unwrap(),
            PgDate(10_957)
        );
        let noon = 12 * 3_600_000_000i64 + 1_999;
        assert_eq!(
            PgTime::from_sql(&Type::TIME, &noon.to_be_bytes()).unwrap(),
            PgTime(43_200_001)
        );
        let ts = PgTimestamp::from_sql(&Type::TIMESTAMPTZ, &(-1i64).to_be_bytes()).unwrap();
        assert_eq!(ts, PgTimestamp(PG_EPOCH_MICROS - 1));
        assert_eq!(PgTimestamp(-1).millis(), -1);
        let mut out = BytesMut::new();
        PgTimestamp(PG_EPOCH_MICROS + 5)
            .to_sql(&Type::TIMESTAMP, &mut out)
            .unwrap();
        assert_eq!(&out[..], &5i64.to_be_bytes());
    }
}
