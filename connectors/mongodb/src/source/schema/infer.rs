//! Schemas inferred from documents, as the official connector infers them: every field
//! optional, `_id` first and the rest by name, nested documents as structs named
//! `inferred_name_<field>`, arrays of mixed (or no) items as arrays of strings, and types
//! without a Connect counterpart (ObjectId, regex, code, min/max key) as strings.

use mongodb::bson::{Bson, Document};
use sluice_api::{Field, Schema};

use super::convert::decimal_of;

const ID: &str = "_id";

/// The schema of a top-level document.
pub fn infer_document(doc: &Document) -> Schema {
    Schema::structure(fields(doc))
}

fn fields(doc: &Document) -> Vec<Field> {
    let mut names: Vec<&String> = doc.keys().filter(|k| *k != ID).collect();
    names.sort();
    doc.get(ID)
        .map(|id| Field::new(ID, infer(id, ID)))
        .into_iter()
        .chain(
            names
                .into_iter()
                .map(|name| Field::new(name, infer(&doc[name], name))),
        )
        .collect()
}

fn infer(value: &Bson, field: &str) -> Schema {
    let schema = match value {
        Bson::Boolean(_) => Schema::boolean(),
        Bson::Int32(_) => Schema::int32(),
        Bson::Int64(_) => Schema::int64(),
        Bson::Double(_) => Schema::float64(),
        Bson::Decimal128(d) => match decimal_of(d) {
            Some(decimal) => Schema::decimal(decimal.scale),
            // NaN, infinities and values beyond 38 digits have no Connect decimal.
            None => Schema::string(),
        },
        Bson::DateTime(_) | Bson::Timestamp(_) => Schema::timestamp(),
        Bson::Document(doc) => {
            Schema::structure(fields(doc)).named(format!("inferred_name_{field}"))
        }
        Bson::Array(items) => {
            let first = items.first().map(|item| infer(item, field));
            let same = first
                .as_ref()
                .is_some_and(|first| items.iter().skip(1).all(|i| infer(i, field) == *first));
            match first {
                Some(first) if same => Schema::array(first),
                _ => Schema::array(Schema::string().optional()),
            }
        }
        Bson::Binary(_) => Schema::bytes(),
        _ => Schema::string(),
    };
    schema.optional()
}
