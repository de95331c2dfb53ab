//! Replaces personal data in JSON record values: each configured field that is present gets the
//! replacement string as its value; everything else passes through as it came.
//!
//! Settings:
//! - `fields` (required): comma-separated dotted paths into the value, e.g.
//!   `customer.email,card.number`. A number segment indexes an array (`lines.0.iban`).
//! - `replacement` (default `****`): the string put in place of each field's value.
//!
//! Outcomes: a value with at least one of the fields is replaced (key, headers and topic
//! unchanged); a value with none of them, or a null value, is kept as it is, without being
//! re-serialised; a value that is not JSON fails.

use serde_json::Value;
use sluice_transform_sdk::{Config, Outcome, Record, RecordRef, Transform, export_transform};

pub struct PiiRedact {
    /// The `fields` as JSON pointers (`/customer/email`), converted once at init.
    pointers: Vec<String>,
    replacement: String,
}

impl Transform for PiiRedact {
    fn init(config: &Config) -> Result<Self, String> {
        let pointers = config
            .required("fields")?
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| pointer("fields", f))
            .collect::<Result<Vec<_>, _>>()?;
        if pointers.is_empty() {
            return Err("setting `fields`: no paths given".into());
        }
        Ok(PiiRedact {
            pointers,
            replacement: config.get("replacement").unwrap_or("****").to_owned(),
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        let Some(value) = record.value else {
            return Outcome::Keep;
        };
        let mut doc: Value = match serde_json::from_slice(value) {
            Ok(doc) => doc,
            Err(e) => return Outcome::Fail(format!("value is not JSON: {e}")),
        };
        let mut redacted = false;
        for pointer in &self.pointers {
            if let Some(field) = doc.pointer_mut(pointer) {
                *field = Value::String(self.replacement.clone());
                redacted = true;
            }
        }
        if !redacted {
            return Outcome::Keep;
        }
        let value = serde_json::to_vec(&doc).expect("a JSON value serialises");
        Outcome::Replace(Record::from(record).with_value(value))
    }
}

/// The JSON pointer for dotted `path` (RFC 6901: `~` and `/` in names are escaped).
fn pointer(setting: &str, path: &str) -> Result<String, String> {
    let mut pointer = String::with_capacity(path.len() + 1);
    for segment in path.split('.') {
        if segment.is_empty() {
            return Err(format!(
                "setting `{setting}`: empty segment in path `{path}`"
            ));
        }
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    Ok(pointer)
}

export_transform!(PiiRedact);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::PiiRedact;

    fn redact(settings: &[(&str, &str)], value: &str) -> Outcome<'static> {
        let mut plugin: PiiRedact = testing::init(settings).unwrap();
        let input = Record::new("customers")
            .with_key("c-1")
            .with_value(value)
            .with_header("trace", "t1");
        testing::run_one(&mut plugin, input)
    }

    fn replaced_value(outcome: Outcome<'_>) -> String {
        match outcome {
            Outcome::Replace(r) => {
                assert_eq!(r.topic, "customers");
                assert_eq!(r.key.as_deref(), Some(&b"c-1"[..]));
                assert_eq!(r.header("trace"), Some(Some(&b"t1"[..])));
                String::from_utf8(r.value.unwrap().into_owned()).unwrap()
            }
            other => panic!("expected a replacement, got {other:?}"),
        }
    }

    #[test]
    fn replaces_present_fields_and_keeps_the_rest_in_order() {
        let out = redact(
            &[("fields", "customer.email, card.number,customer.phone")],
            r#"{"id":7,"customer":{"name":"Ada","email":"ada@example.com"},"card":{"number":"4111","exp":"12/30"},"amount":12.30}"#,
        );
        assert_eq!(
            replaced_value(out),
            r#"{"id":7,"customer":{"name":"Ada","email":"****"},"card":{"number":"****","exp":"12/30"},"amount":12.3}"#
        );
    }

    #[test]
    fn replacement_is_configurable_and_replaces_any_json_type() {
        let out = redact(
            &[("fields", "ssn,address"), ("replacement", "[redacted]")],
            r#"{"ssn":123456789,"address":{"city":"Oslo"}}"#,
        );
        assert_eq!(
            replaced_value(out),
            r#"{"ssn":"[redacted]","address":"[redacted]"}"#
        );
    }

    #[test]
    fn keeps_values_without_the_fields_and_nulls() {
        let settings = [("fields", "customer.email")];
        assert_eq!(
            redact(&settings, r#"{"customer":{"name":"Ada"}}"#),
            Outcome::Keep
        );
        assert_eq!(redact(&settings, "[1,2]"), Outcome::Keep);
        let mut plugin: PiiRedact = testing::init(&settings).unwrap();
        assert_eq!(
            testing::run_one(&mut plugin, Record::new("customers")),
            Outcome::Keep
        );
    }

    #[test]
    fn fails_values_that_are_not_json() {
        let Outcome::Fail(reason) = redact(&[("fields", "a")], "not json") else {
            panic!("expected a failure")
        };
        assert!(
            reason.starts_with("value is not JSON: expected ident"),
            "{reason}"
        );
    }

    #[test]
    fn indexes_arrays_and_escapes_names() {
        let out = redact(
            &[("fields", "lines.1.iban,a/b")],
            r#"{"lines":[{"iban":"x"},{"iban":"y"}],"a/b":1}"#,
        );
        assert_eq!(
            replaced_value(out),
            r#"{"lines":[{"iban":"x"},{"iban":"****"}],"a/b":"****"}"#
        );
    }

    #[test]
    fn init_errors_name_the_setting() {
        assert_eq!(
            testing::init::<PiiRedact>(&[]).err().unwrap(),
            "missing required setting `fields`"
        );
        assert_eq!(
            testing::init::<PiiRedact>(&[("fields", "a..b")])
                .err()
                .unwrap(),
            "setting `fields`: empty segment in path `a..b`"
        );
        assert_eq!(
            testing::init::<PiiRedact>(&[("fields", " , ")])
                .err()
                .unwrap(),
            "setting `fields`: no paths given"
        );
    }
}
