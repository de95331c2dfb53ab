//! The Sluice plugin API: what connectors, transforms and converters implement and use.
//! It holds no engine: no Kafka client, no task loops.

pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod json;
pub mod record;
pub mod task;
pub mod transform;

pub use config::{ConfigDef, ConfigErrors, ConfigType, Importance, ParsedConfig, Props};
pub use connector::{SinkConnector, SourceConnector};
pub use converter::{Converter, ConverterPlugin};
pub use data::{Field, Schema, SchemaRef, SchemaType, Struct, Value};
pub use error::{ConnectError, ConnectResult};
pub use record::{Header, OffsetMap, Record};
pub use task::{
    ErrantRecordReporter, NoTolerance, OffsetSnapshot, PartitionOffsets, SinkTask, SinkTaskContext,
    SourceTask, SourceTaskContext, TopicPartition,
};
pub use transform::{BatchOutput, Predicate, PredicatePlugin, Transform, TransformPlugin};
