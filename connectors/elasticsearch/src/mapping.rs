//! An index mapping from a Connect value schema, for indexes the sink creates.

use serde_json::{Map, Value as Json, json};
use sluice_api::data::LogicalType;
use sluice_api::{Schema, SchemaType};

/// The `mappings` of an index whose documents have `schema`; `None` when the schema is not a
/// struct (there are no fields to map, so the index is left to dynamic mapping).
pub fn mappings(schema: &Schema) -> Option<Json> {
    match &schema.ty {
        SchemaType::Struct(_) => Some(field_mapping(schema)),
        _ => None,
    }
}

fn field_mapping(schema: &Schema) -> Json {
    match schema.logical_type() {
        Some(LogicalType::Timestamp) => return json!({"type": "date"}),
        // Written as days since the epoch and milliseconds since midnight.
        Some(LogicalType::Date) | Some(LogicalType::Time) => return json!({"type": "integer"}),
        // Written as JSON numbers.
        Some(LogicalType::Decimal { .. }) => return json!({"type": "double"}),
        None => {}
    }
    match &schema.ty {
        SchemaType::Int8 => json!({"type": "byte"}),
        SchemaType::Int16 => json!({"type": "short"}),
        SchemaType::Int32 => json!({"type": "integer"}),
        SchemaType::Int64 => json!({"type": "long"}),
        SchemaType::Float32 => json!({"type": "float"}),
        SchemaType::Float64 => json!({"type": "double"}),
        SchemaType::Boolean => json!({"type": "boolean"}),
        // Searchable as text, and exact (sorting, aggregations) through `.keyword`.
        SchemaType::String => json!({
            "type": "text",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}
        }),
        SchemaType::Bytes => json!({"type": "binary"}),
        // Arrays map as their elements do.
        SchemaType::Array(items) => field_mapping(items),
        // Map keys are data, not a fixed set of fields: leave them to dynamic mapping.
        SchemaType::Map(..) => json!({"type": "object"}),
        SchemaType::Struct(fields) => {
            let properties: Map<String, Json> = fields
                .iter()
                .map(|f| (f.name.clone(), field_mapping(&f.schema)))
                .collect();
            json!({"properties": properties})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Field;

    #[test]
    fn struct_schemas_become_properties() {
        let schema = Schema::structure(vec![
            Field::new("id", Schema::int64()),
            Field::new("name", Schema::string().optional()),
            Field::new("at", Schema::timestamp()),
            Field::new("tags", Schema::array(Schema::string())),
            Field::new(
                "nested",
                Schema::structure(vec![Field::new("ok", Schema::boolean())]),
            ),
        ]);
        let mapping = mappings(&schema).unwrap();
        let props = &mapping["properties"];
        assert_eq!(props["id"], json!({"type": "long"}));
        assert_eq!(props["name"]["type"], "text");
        assert_eq!(props["at"], json!({"type": "date"}));
        assert_eq!(props["tags"]["type"], "text");
        assert_eq!(
            props["nested"],
            json!({"properties": {"ok": {"type": "boolean"}}})
        );
        assert_eq!(mappings(&Schema::string()), None);
    }
}
