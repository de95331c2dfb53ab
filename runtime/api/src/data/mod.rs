//! The Connect data model: schemas and values.

pub mod calendar;
mod schema;
mod value;

pub use schema::{
    DATE_NAME, DECIMAL_NAME, DECIMAL_SCALE_PARAM, Field, LogicalType, Schema, SchemaRef,
    SchemaType, TIME_NAME, TIMESTAMP_NAME,
};
pub use value::{Decimal, Struct, Value};
