//! Connect schemas: the optional type description carried beside a key or value.

use std::sync::Arc;

use super::Value;

/// Schema name of the Decimal logical type (bytes holding a big-endian two's-complement unscaled value).
pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// Schema name of the Date logical type (int32 days since the epoch).
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
/// Schema name of the Time logical type (int32 milliseconds since midnight).
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
/// Schema name of the Timestamp logical type (int64 milliseconds since the epoch).
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// Parameter of the Decimal logical type that holds its scale.
pub const DECIMAL_SCALE_PARAM: &str = "scale";

/// A shared, immutable schema.
pub type SchemaRef = Arc<Schema>;

/// The physical type of a schema, with the nested schemas of container types.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array(SchemaRef),
    Map(SchemaRef, SchemaRef),
    Struct(Vec<Field>),
}

impl SchemaType {
    /// The type name Kafka Connect's JsonConverter writes in a schema's `type` field.
    pub fn json_name(&self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array(_) => "array",
            SchemaType::Map(..) => "map",
            SchemaType::Struct(_) => "struct",
        }
    }
}

/// One field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub schema: SchemaRef,
}

impl Field {
    pub fn new(name: impl Into<String>, schema: impl Into<SchemaRef>) -> Self {
        Field {
            name: name.into(),
            schema: schema.into(),
        }
    }
}

/// A Connect schema: type plus the optional metadata Kafka Connect keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub ty: SchemaType,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Insertion-ordered, as Kafka Connect's SchemaBuilder keeps them.
    pub parameters: Vec<(String, String)>,
}

/// Which logical type, if any, a schema carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    Decimal { scale: i32 },
    Date,
    Time,
    Timestamp,
}

impl Schema {
    /// A required schema of the given type with no metadata.
    pub fn new(ty: SchemaType) -> Self {
        Schema {
            ty,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
        }
    }

    pub fn int8() -> Self {
        Self::new(SchemaType::Int8)
    }
    pub fn int16() -> Self {
        Self::new(SchemaType::Int16)
    }
    pub fn int32() -> Self {
        Self::new(SchemaType::Int32)
    }
    pub fn int64() -> Self {
        Self::new(SchemaType::Int64)
    }
    pub fn float32() -> Self {
        Self::new(SchemaType::Float32)
    }
    pub fn float64() -> Self {
        Self::new(SchemaType::Float64)
    }
    pub fn boolean() -> Self {
        Self::new(SchemaType::Boolean)
    }
    pub fn string() -> Self {
        Self::new(SchemaType::String)
    }
    pub fn bytes() -> Self {
        Self::new(SchemaType::Bytes)
    }
    pub fn array(items: Schema) -> Self {
        Self::new(SchemaType::Array(Arc::new(items)))
    }
    pub fn map(keys: Schema, values: Schema) -> Self {
        Self::new(SchemaType::Map(Arc::new(keys), Arc::new(values)))
    }
    pub fn structure(fields: Vec<Field>) -> Self {
        Self::new(SchemaType::Struct(fields))
    }

    /// Decimal logical type with the given scale.
    pub fn decimal(scale: i32) -> Self {
        Self::bytes()
            .named(DECIMAL_NAME)
            .with_version(1)
            .with_parameter(DECIMAL_SCALE_PARAM, scale.to_string())
    }
    /// Date logical type.
    pub fn date() -> Self {
        Self::int32().named(DATE_NAME).with_version(1)
    }
    /// Time logical type.
    pub fn time() -> Self {
        Self::int32().named(TIME_NAME).with_version(1)
    }
    /// Timestamp logical type.
    pub fn timestamp() -> Self {
        Self::int64().named(TIMESTAMP_NAME).with_version(1)
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn with_version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }
    pub fn with_doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }
    pub fn with_default(mut self, default: Value) -> Self {
        self.default = Some(default);
        self
    }
    pub fn with_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((key.into(), value.into()));
        self
    }

    /// A parameter's value by key.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The logical type this schema denotes, recognised by name and physical type as Kafka Connect does.
    pub fn logical_type(&self) -> Option<LogicalType> {
        match (self.name.as_deref()?, &self.ty) {
            (DECIMAL_NAME, SchemaType::Bytes) => {
                let scale = self.parameter(DECIMAL_SCALE_PARAM)?.parse().ok()?;
                Some(LogicalType::Decimal { scale })
            }
            (DATE_NAME, SchemaType::Int32) => Some(LogicalType::Date),
            (TIME_NAME, SchemaType::Int32) => Some(LogicalType::Time),
            (TIMESTAMP_NAME, SchemaType::Int64) => Some(LogicalType::Timestamp),
            _ => None,
        }
    }

    /// The fields of a struct schema (empty for other types).
    pub fn fields(&self) -> &[Field] {
        match &self.ty {
            SchemaType::Struct(fields) => fields,
            _ => &[],
        }
    }

    /// A struct field's schema by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// A short description used in error messages, e.g. `struct` or `int32 (Date)`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.ty.json_name()),
            None => self.ty.json_name().to_string(),
        }
    }
}
