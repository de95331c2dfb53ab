//! PostgreSQL column types mapped to Connect schemas, as Confluent's JDBC source maps them.

use sluice_api::Schema;
use tokio_postgres::types::Type;

use crate::ident::quote;

/// Decimal digits an `i128` unscaled value always holds; wider `numeric` columns are read as
/// strings rather than risk values that do not fit.
const MAX_DECIMAL_PRECISION: i32 = 38;

/// How a column is read and what Connect type it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    /// text, varchar, bpchar, name.
    String,
    Bytes,
    /// `numeric(p, s)`: a Connect Decimal of scale `s`.
    Decimal {
        scale: i32,
    },
    Date,
    /// `time` (without time zone), read to the millisecond.
    Time,
    /// `timestamp` (read as UTC) and `timestamptz`.
    Timestamp,
    /// Everything else (json, uuid, unconstrained numeric, arrays, enums…): cast to text in the
    /// query, so no binary decoder is needed.
    Text,
}

impl ColumnKind {
    /// The kind of a column of type `ty` with type modifier `typmod` (-1 = none).
    pub fn of(ty: &Type, typmod: i32) -> ColumnKind {
        match *ty {
            Type::INT2 => ColumnKind::Int16,
            Type::INT4 => ColumnKind::Int32,
            Type::INT8 => ColumnKind::Int64,
            Type::FLOAT4 => ColumnKind::Float32,
            Type::FLOAT8 => ColumnKind::Float64,
            Type::BOOL => ColumnKind::Boolean,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => ColumnKind::String,
            Type::BYTEA => ColumnKind::Bytes,
            // Connect's Decimal has one fixed scale per schema; a numeric column declared
            // without a scale holds values of any scale, so it is read as its exact text.
            Type::NUMERIC => match numeric_precision_scale(typmod) {
                Some((precision, scale)) if precision <= MAX_DECIMAL_PRECISION => {
                    ColumnKind::Decimal { scale }
                }
                _ => ColumnKind::Text,
            },
            Type::DATE => ColumnKind::Date,
            Type::TIME => ColumnKind::Time,
            Type::TIMESTAMP | Type::TIMESTAMPTZ => ColumnKind::Timestamp,
            _ => ColumnKind::Text,
        }
    }

    /// The Connect schema of a column of this kind.
    pub fn schema(self, optional: bool) -> Schema {
        let schema = match self {
            ColumnKind::Int16 => Schema::int16(),
            ColumnKind::Int32 => Schema::int32(),
            ColumnKind::Int64 => Schema::int64(),
            ColumnKind::Float32 => Schema::float32(),
            ColumnKind::Float64 => Schema::float64(),
            ColumnKind::Boolean => Schema::boolean(),
            ColumnKind::String | ColumnKind::Text => Schema::string(),
            ColumnKind::Bytes => Schema::bytes(),
            ColumnKind::Decimal { scale } => Schema::decimal(scale),
            ColumnKind::Date => Schema::date(),
            ColumnKind::Time => Schema::time(),
            ColumnKind::Timestamp => Schema::timestamp(),
        };
        if optional { schema.optional() } else { schema }
    }

    /// The select-list item reading column `name`.
    pub fn select_item(self, name: &str) -> String {
        let column = quote(name);
        match self {
            ColumnKind::Text => format!("{column}::text AS {column}"),
            _ => column,
        }
    }

    /// Whether an incrementing column of this kind can be read as a 64-bit integer.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ColumnKind::Int16 | ColumnKind::Int32 | ColumnKind::Int64
        )
    }
}

/// Precision and scale of a `numeric` type modifier; `None` when the column has none.
/// PostgreSQL packs them as `((precision << 16) | (scale & 0x7ff)) + 4`, the scale an 11-bit
/// signed number since version 15.
pub fn numeric_precision_scale(typmod: i32) -> Option<(i32, i32)> {
    let packed = typmod.checked_sub(4).filter(|p| *p >= 0)?;
    let precision = (packed >> 16) & 0xffff;
    let raw_scale = packed & 0x7ff;
    let scale = if raw_scale & 0x400 != 0 {
        raw_scale - 0x800
    } else {
        raw_scale
    };
    Some((precision, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(precision: i32, scale: i32) -> i32 {
        ((precision << 16) | (scale & 0x7ff)) + 4
    }

    #[test]
    fn numeric_modifiers() {
        assert_eq!(numeric_precision_scale(-1), None);
        assert_eq!(numeric_precision_scale(typmod(10, 2)), Some((10, 2)));
        assert_eq!(numeric_precision_scale(typmod(5, 0)), Some((5, 0)));
        assert_eq!(numeric_precision_scale(typmod(4, -3)), Some((4, -3)));
    }

    #[test]
    fn numeric_columns_become_decimals_only_with_a_scale_that_fits() {
        assert_eq!(
            ColumnKind::of(&Type::NUMERIC, typmod(10, 2)),
            ColumnKind::Decimal { scale: 2 }
        );
        assert_eq!(ColumnKind::of(&Type::NUMERIC, -1), ColumnKind::Text);
        assert_eq!(
            ColumnKind::of(&Type::NUMERIC, typmod(60, 2)),
            ColumnKind::Text
        );
    }

    #[test]
    fn other_types_are_cast_to_text() {
        for ty in [
            Type::JSONB,
            Type::JSON,
            Type::UUID,
            Type::INT4_ARRAY,
            Type::TIMETZ,
        ] {
            assert_eq!(ColumnKind::of(&ty, -1), ColumnKind::Text, "{ty}");
        }
        assert_eq!(
            ColumnKind::Text.select_item("payload"),
            "\"payload\"::text AS \"payload\""
        );
        assert_eq!(ColumnKind::Int32.select_item("id"), "\"id\"");
    }

    #[test]
    fn schemas_carry_logical_types_and_optionality() {
        let schema = ColumnKind::Decimal { scale: 2 }.schema(true);
        assert!(schema.optional);
        assert_eq!(schema.parameter("scale"), Some("2"));
        assert_eq!(ColumnKind::Timestamp.schema(false), Schema::timestamp());
        assert_eq!(ColumnKind::Date.schema(false), Schema::date());
    }
}
