//! Column types: Connect schemas (or, for schemaless values, the values themselves) to the
//! PostgreSQL types that `auto.create` and `auto.evolve` declare.

use sluice_api::data::LogicalType;
use sluice_api::{Schema, SchemaType, Value};

/// The PostgreSQL type for a field of this schema.
pub fn for_schema(schema: &Schema) -> &'static str {
    match schema.logical_type() {
        Some(LogicalType::Decimal { .. }) => return "numeric",
        Some(LogicalType::Date) => return "date",
        Some(LogicalType::Time) => return "time",
        Some(LogicalType::Timestamp) => return "timestamptz",
        None => {}
    }
    match schema.ty {
        SchemaType::Int8 | SchemaType::Int16 => "smallint",
        SchemaType::Int32 => "integer",
        SchemaType::Int64 => "bigint",
        SchemaType::Float32 => "real",
        SchemaType::Float64 => "double precision",
        SchemaType::Boolean => "boolean",
        SchemaType::String => "text",
        SchemaType::Bytes => "bytea",
        SchemaType::Array(_) | SchemaType::Map(..) | SchemaType::Struct(_) => "jsonb",
    }
}

/// The PostgreSQL type for a schemaless value (as a JSON document decodes); `None` for null,
/// whose type cannot be told.
pub fn for_value(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Null => return None,
        Value::Boolean(_) => "boolean",
        Value::Int8(_) | Value::Int16(_) => "smallint",
        Value::Int32(_) => "integer",
        Value::Int64(_) => "bigint",
        Value::Float32(_) => "real",
        Value::Float64(_) => "double precision",
        Value::String(_) => "text",
        Value::Bytes(_) => "bytea",
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => "jsonb",
        Value::Decimal(_) => "numeric",
        Value::Date(_) => "date",
        Value::Time(_) => "time",
        Value::Timestamp(_) => "timestamptz",
    })
}

/// What an existing column's declared type (`format_type` text) means for how values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `timestamp`/`timestamptz`: integers are epoch milliseconds.
    Timestamp,
    /// `date`: integers are days since the epoch.
    Date,
    /// `json`/`jsonb`: strings are JSON documents already; other values are rendered as JSON.
    Json,
    Other,
}

impl ColumnKind {
    pub fn of(pg_type: &str) -> ColumnKind {
        let ty = pg_type.trim().to_ascii_lowercase();
        if ty.starts_with("timestamp") {
            ColumnKind::Timestamp
        } else if ty == "date" {
            ColumnKind::Date
        } else if ty == "json" || ty == "jsonb" {
            ColumnKind::Json
        } else {
            ColumnKind::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_types_map_like_the_jdbc_dialect() {
        let cases = [
            (Schema::int8(), "smallint"),
            (Schema::int16(), "smallint"),
            (Schema::int32(), "integer"),
            (Schema::int64(), "bigint"),
            (Schema::float32(), "real"),
            (Schema::float64(), "double precision"),
            (Schema::boolean(), "boolean"),
            (Schema::string(), "text"),
            (Schema::bytes(), "bytea"),
            (Schema::decimal(2), "numeric"),
            (Schema::date(), "date"),
            (Schema::time(), "time"),
            (Schema::timestamp(), "timestamptz"),
            (Schema::array(Schema::int32()), "jsonb"),
            (Schema::map(Schema::string(), Schema::string()), "jsonb"),
            (Schema::structure(vec![]), "jsonb"),
        ];
        for (schema, expected) in cases {
            assert_eq!(for_schema(&schema), expected, "{}", schema.describe());
        }
    }

    #[test]
    fn column_kinds() {
        assert_eq!(
            ColumnKind::of("timestamp with time zone"),
            ColumnKind::Timestamp
        );
        assert_eq!(
            ColumnKind::of("timestamp(3) without time zone"),
            ColumnKind::Timestamp
        );
        assert_eq!(ColumnKind::of("date"), ColumnKind::Date);
        assert_eq!(ColumnKind::of("jsonb"), ColumnKind::Json);
        assert_eq!(ColumnKind::of("text"), ColumnKind::Other);
    }
}
