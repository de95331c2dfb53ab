//! One record in, many out: a record whose JSON value holds an array becomes one record per
//! element, e.g. an order with `items` becomes one record per line item.
//!
//! Settings:
//! - `field` (default `items`): dotted path of the array in the value.
//!
//! Outcomes: each element becomes a record whose value is the element's JSON, with the input's
//! topic, partition, key, timestamp and headers, plus headers `split.index` (0-based) and
//! `split.count` (the array's length), so consumers can tell the parts apart and know when they
//! have them all. An empty array emits nothing. A value without the array (the field is missing
//! or not an array, the value is not JSON or is null) is kept.

use serde_json::Value;
use sluice_transform_sdk::{Config, Outcome, Record, RecordRef, Transform, export_transform};

pub struct Splitter {
    /// The `field` as a JSON pointer (`/items`), converted once at init.
    pointer: String,
}

impl Transform for Splitter {
    fn init(config: &Config) -> Result<Self, String> {
        let path = config.get("field").unwrap_or("items").trim();
        let mut pointer = String::with_capacity(path.len() + 1);
        for segment in path.split('.') {
            if segment.is_empty() {
                return Err(format!("setting `field`: empty segment in path `{path}`"));
            }
            // RFC 6901 escapes, so names holding `~` or `/` still match.
            pointer.push('/');
            pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        }
        Ok(Splitter { pointer })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        let Some(doc) = record
            .value
            .and_then(|v| serde_json::from_slice::<Value>(v).ok())
        else {
            return Outcome::Keep;
        };
        let Some(items) = doc.pointer(&self.pointer).and_then(Value::as_array) else {
            return Outcome::Keep;
        };
        let count = items.len().to_string();
        Outcome::FanOut(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let value = serde_json::to_vec(item).expect("a JSON value serialises");
                    // Borrows topic, key and the input's headers; only the new parts are owned.
                    Record::from(record)
                        .with_value(value)
                        .with_header("split.index", index.to_string())
                        .with_header("split.count", count.clone())
                })
                .collect(),
        )
    }
}

export_transform!(Splitter);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::Splitter;

    fn order(value: &str) -> Record<'_> {
        Record::new("orders")
            .with_key("o-1")
            .with_value(value)
            .with_timestamp(Some(1_700_000_000_000))
            .with_partition(Some(4))
            .with_header("trace", "t1")
    }

    #[test]
    fn one_record_per_element() {
        let mut plugin: Splitter = testing::init(&[]).unwrap();
        let out = testing::run_one(
            &mut plugin,
            order(r#"{"id":"o-1","items":[{"sku":"b","qty":2},"gift",3.5]}"#),
        );
        let parts = ["{\"sku\":\"b\",\"qty\":2}", "\"gift\"", "3.5"];
        let expected = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                order(part)
                    .with_header("split.index", i.to_string())
                    .with_header("split.count", "3")
                    .into_owned()
            })
            .collect();
        assert_eq!(out, Outcome::FanOut(expected));
    }

    #[test]
    fn empty_array_emits_nothing() {
        let mut plugin: Splitter = testing::init(&[]).unwrap();
        let out = testing::run_one(&mut plugin, order(r#"{"items":[]}"#));
        assert_eq!(out, Outcome::FanOut(vec![]));
    }

    #[test]
    fn keeps_records_without_the_array() {
        let mut plugin: Splitter = testing::init(&[]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                order(r#"{"lines":[1]}"#),
                order(r#"{"items":{"a":1}}"#),
                order("[1,2]"),
                order("not json"),
                Record::new("orders"),
            ],
        );
        assert_eq!(out, vec![Outcome::Keep; 5]);
    }

    #[test]
    fn field_is_a_dotted_path() {
        let mut plugin: Splitter = testing::init(&[("field", "order.lines")]).unwrap();
        let out = testing::run_one(&mut plugin, order(r#"{"order":{"lines":[1,2]}}"#));
        let Outcome::FanOut(parts) = out else {
            panic!("{out:?}")
        };
        let values: Vec<_> = parts.iter().map(|r| r.value.as_deref().unwrap()).collect();
        assert_eq!(values, [b"1", b"2"]);
        assert_eq!(
            testing::init::<Splitter>(&[("field", "order.")])
                .err()
                .unwrap(),
            "setting `field`: empty segment in path `order.`"
        );
    }
}
