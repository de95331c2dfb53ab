//! The columns a record wants: primary-key columns per `pk.mode`/`pk.fields`, then value columns
//! (all value fields or `fields.whitelist`, minus the key columns), each with the type
//! `auto.create`/`auto.evolve` would declare.

use std::sync::Arc;

use sluice_api::{ConnectError, ConnectResult, Record, Schema, SchemaRef, SchemaType, Value};

use super::change::{Change, Image};
use super::config::{PkMode, SinkConfig};
use super::types;

/// Default column names of `pk.mode=kafka`, as the JDBC sink names them.
pub const KAFKA_PK_DEFAULTS: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The whole (primitive) record key.
    Key,
    KeyField(String),
    ValueField(String),
    Topic,
    Partition,
    Offset,
}

/// A column as the record describes it.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub name: String,
    pub source: Source,
    /// The declared type for `auto.create`/`auto.evolve`; `None` when a schemaless value was
    /// null and nothing tells its type.
    pub pg_type: Option<&'static str>,
    pub nullable: bool,
    /// The field's schema, to render structs, maps and arrays as JSON.
    pub schema: Option<SchemaRef>,
}

/// The columns of one record: key columns first.
#[derive(Debug, Clone)]
pub struct Layout {
    pub pk: Vec<Wanted>,
    pub values: Vec<Wanted>,
}

/// Works out the columns of `record` for `change`.
pub fn of_record(
    config: &SinkConfig,
    record: &Record,
    change: &Change<'_>,
) -> ConnectResult<Layout> {
    let image = match change {
        Change::Write(image) => Some(*image),
        Change::Delete(before) => *before,
        Change::Skip(_) => None,
    };
    let pk = match config.pk_mode {
        PkMode::None => Vec::new(),
        PkMode::Kafka => kafka_columns(&config.pk_fields),
        PkMode::RecordKey => key_columns(config, record)?,
        PkMode::RecordValue => {
            let image = image.ok_or_else(|| {
                ConnectError::data(format!(
                    "record {}: pk.mode=record_value needs a value to take the key from",
                    record.coordinates()
                ))
            })?;
            let fields = fields_of(image, record, "value")?;
            pick(
                fields,
                &config.pk_fields,
                record,
                "value",
                Source::ValueField,
            )?
        }
    };
    // A delete needs only the key; its other columns are not written.
    let values = match change {
        Change::Write(image) => {
            let fields = fields_of(*image, record, "value")?;
            fields
                .into_iter()
                .filter(|f| {
                    config.fields_whitelist.is_empty() || config.fields_whitelist.contains(&f.name)
                })
                .filter(|f| !pk.iter().any(|k| k.name == f.name))
                .map(|f| f.into_wanted(Source::ValueField))
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(Layout { pk, values })
}

fn kafka_columns(names: &[String]) -> Vec<Wanted> {
    let name = |i: usize| {
        names
            .get(i)
            .cloned()
            .unwrap_or_else(|| KAFKA_PK_DEFAULTS[i].to_string())
    };
    vec![
        Wanted {
            name: name(0),
            source: Source::Topic,
            pg_type: Some("text"),
            nullable: false,
            schema: None,
        },
        Wanted {
            name: name(1),
            source: Source::Partition,
            pg_type: Some("integer"),
            nullable: false,
            schema: None,
        },
        Wanted {
            name: name(2),
            source: Source::Offset,
            pg_type: Some("bigint"),
            nullable: false,
            schema: None,
        },
    ]
}

fn key_columns(config: &SinkConfig, record: &Record) -> ConnectResult<Vec<Wanted>> {
    let key = Image {
        schema: record.key_schema.as_deref(),
        value: &record.key,
    };
    let is_container = match key.schema {
        Some(schema) => matches!(schema.ty, SchemaType::Struct(_) | SchemaType::Map(..)),
        None => matches!(key.value, Value::Struct(_) | Value::Map(_)),
    };
    if is_container {
        let fields = fields_of(key, record, "key")?;
        return pick(fields, &config.pk_fields, record, "key", Source::KeyField);
    }
    if key.value.is_null() && key.schema.is_none() {
        return Err(ConnectError::data(format!(
            "record {}: pk.mode=record_key but the record has no key",
            record.coordinates()
        )));
    }
    match config.pk_fields.as_slice() {
        [name] => Ok(vec![Wanted {
            name: name.clone(),
            source: Source::Key,
            pg_type: key
                .schema
                .map(types::for_schema)
                .or_else(|| types::for_value(key.value)),
            nullable: false,
            schema: record.key_schema.clone(),
        }]),
        names => Err(ConnectError::data(format!(
            "record {}: the key is a primitive ({}), so pk.fields must name exactly one column, got {}",
            record.coordinates(),
            key.schema
                .map_or_else(|| key.value.type_name().to_string(), Schema::describe),
            names.len()
        ))),
    }
}

/// A field of a struct or schemaless map.
struct FieldInfo {
    name: String,
    schema: Option<SchemaRef>,
    pg_type: Option<&'static str>,
    nullable: bool,
}

impl FieldInfo {
    fn into_wanted(self, source: fn(String) -> Source) -> Wanted {
        Wanted {
            source: source(self.name.clone()),
            name: self.name,
            pg_type: self.pg_type,
            nullable: self.nullable,
            schema: self.schema,
        }
    }
}

/// The fields of a struct (from its schema) or of a schemaless map (from its entries).
fn fields_of(image: Image<'_>, record: &Record, what: &str) -> ConnectResult<Vec<FieldInfo>> {
    if let Some(Schema {
        ty: SchemaType::Struct(fields),
        ..
    }) = image.schema
    {
        return Ok(fields
            .iter()
            .map(|f| FieldInfo {
                name: f.name.clone(),
                pg_type: Some(types::for_schema(&f.schema)),
                nullable: f.schema.optional,
                schema: Some(Arc::clone(&f.schema)),
            })
            .collect());
    }
    match image.value {
        Value::Map(entries) => entries
            .iter()
            .map(|(key, value)| match key {
                Value::String(name) => Ok(FieldInfo {
                    name: name.clone(),
                    pg_type: types::for_value(value),
                    nullable: true,
                    schema: None,
                }),
                other => Err(ConnectError::data(format!(
                    "record {}: {what} map key of type {} cannot name a column",
                    record.coordinates(),
                    other.type_name()
                ))),
            })
            .collect(),
        Value::Struct(s) => Ok(s
            .fields()
            .iter()
            .map(|(name, value)| FieldInfo {
                name: name.clone(),
                pg_type: types::for_value(value),
                nullable: true,
                schema: None,
            })
            .collect()),
        other => Err(ConnectError::data(format!(
            "record {}: the {what} must be a struct or a JSON object to map onto columns, got {}",
            record.coordinates(),
            image
                .schema
                .map_or_else(|| other.type_name().to_string(), Schema::describe)
        ))),
    }
}

/// The named fields (in `names` order), or all of them when `names` is empty.
fn pick(
    fields: Vec<FieldInfo>,
    names: &[String],
    record: &Record,
    what: &str,
    source: fn(String) -> Source,
) -> ConnectResult<Vec<Wanted>> {
    let key = |f: FieldInfo| Wanted {
        nullable: false,
        ..f.into_wanted(source)
    };
    if names.is_empty() {
        return Ok(fields.into_iter().map(key).collect());
    }
    let mut fields = fields;
    names
        .iter()
        .map(|name| {
            let at = fields.iter().position(|f| &f.name == name).ok_or_else(|| {
                ConnectError::data(format!(
                    "record {}: pk.fields names '{name}', which the record {what} does not have",
                    record.coordinates()
                ))
            })?;
            Ok(key(fields.swap_remove(at)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props;
    use sluice_api::{Field, Struct};

    fn config(pairs: &[(&str, &str)]) -> SinkConfig {
        let mut all = vec![("connection.url", "postgres://u@h/db")];
        all.extend_from_slice(pairs);
        SinkConfig::parse(&props(&all)).unwrap()
    }

    fn value_schema() -> SchemaRef {
        Arc::new(Schema::structure(vec![
            Field::new("id", Schema::int64()),
            Field::new("name", Schema::string().optional()),
            Field::new("tags", Schema::array(Schema::string())),
        ]))
    }

    fn record() -> Record {
        let value = Struct::new()
            .with("id", Value::Int64(7))
            .with("name", Value::String("x".into()))
            .with("tags", Value::Array(vec![]));
        let mut record = Record::new("orders")
            .with_key(Some(Arc::new(Schema::string())), Value::String("k".into()))
            .with_value(Some(value_schema()), Value::Struct(value));
        record.kafka_offset = Some(3);
        record.partition = Some(0);
        record
    }

    fn names(columns: &[Wanted]) -> Vec<&str> {
        columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn layout(config: &SinkConfig, record: &Record) -> ConnectResult<Layout> {
        let change = super::super::change::of_record(record, config.delete_enabled)?;
        of_record(config, record, &change)
    }

    #[test]
    fn record_value_keys_leave_the_value_columns() {
        let config = config(&[("pk.mode", "record_value"), ("pk.fields", "id")]);
        let layout = layout(&config, &record()).unwrap();
        assert_eq!(names(&layout.pk), ["id"]);
        assert_eq!(names(&layout.values), ["name", "tags"]);
        assert_eq!(layout.values[1].pg_type, Some("jsonb"));
        assert!(layout.values[0].nullable && !layout.pk[0].nullable);
    }

    #[test]
    fn primitive_keys_need_one_name() {
        let err = layout(&config(&[("pk.mode", "record_key")]), &record()).unwrap_err();
        assert!(err.to_string().contains("exactly one column"), "{err}");
        let found = layout(
            &config(&[("pk.mode", "record_key"), ("pk.fields", "key")]),
            &record(),
        )
        .unwrap();
        assert_eq!(names(&found.pk), ["key"]);
        assert_eq!(found.pk[0].source, Source::Key);
        assert_eq!(names(&found.values), ["id", "name", "tags"]);
    }

    #[test]
    fn kafka_coordinates_and_whitelist() {
        let config = config(&[("pk.mode", "kafka"), ("fields.whitelist", "name")]);
        let layout = layout(&config, &record()).unwrap();
        assert_eq!(names(&layout.pk), KAFKA_PK_DEFAULTS);
        assert_eq!(names(&layout.values), ["name"]);
    }

    #[test]
    fn schemaless_values_map_their_entries() {
        let record = Record::new("t").with_value(
            None,
            Value::Map(vec![
                (Value::String("id".into()), Value::Int64(1)),
                (Value::String("score".into()), Value::Float64(0.5)),
                (Value::String("gone".into()), Value::Null),
            ]),
        );
        let found = layout(
            &config(&[("pk.mode", "record_value"), ("pk.fields", "id")]),
            &record,
        )
        .unwrap();
        assert_eq!(names(&found.values), ["score", "gone"]);
        assert_eq!(found.values[0].pg_type, Some("double precision"));
        assert_eq!(found.values[1].pg_type, None);
        let scalar = Record::new("t").with_value(None, Value::String("plain".into()));
        let err = layout(&config(&[]), &scalar).unwrap_err();
        assert!(
            err.is_record_level() && err.to_string().contains("struct or a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn missing_pk_field_is_a_record_error() {
        let config = config(&[("pk.mode", "record_value"), ("pk.fields", "nope")]);
        let err = layout(&config, &record()).unwrap_err();
        assert!(
            err.is_record_level() && err.to_string().contains("'nope'"),
            "{err}"
        );
    }
}
