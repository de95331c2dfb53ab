//! Replaces personal data in JSON record values: each configured field that is present gets the
//! replacement string as its value; everything else passes through as it came.
//!
//! Settings:
//! - `fields` (required): comma-separated dotted paths into the value, e.g.
//!   `customer.email,card.number`. A number segment indexes an array (`lines.0.iban`).
//! - `replacement` (default `****`): the string put in place of each field's value.
//!
//! Outcomes: a value with at least one of the fields is replaced (key, headers and topic
//! unchanged), with only those fields' bytes rewritten; a value with none of them, or a null
//! value, is kept; a value that is not JSON fails. The document is not built in memory: only the
//! objects on a configured path are parsed into members, the rest is validated and skipped.

use std::borrow::Cow;

use serde_json::value::RawValue;
use sluice_transform_sdk::{Config, Outcome, Record, RecordRef, Transform, export_transform};

pub struct PiiRedact {
    /// The `fields`, split into segments once at init: walking them per record allocates
    /// nothing, where a JSON-pointer lookup would unescape every segment of every path again.
    paths: Vec<Vec<String>>,
    replacement: String,
}

impl Transform for PiiRedact {
    fn init(config: &Config) -> Result<Self, String> {
        let paths = config
            .required("fields")?
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| segments("fields", f))
            .collect::<Result<Vec<_>, _>>()?;
        if paths.is_empty() {
            return Err("setting `fields`: no paths given".into());
        }
        Ok(PiiRedact {
            paths,
            // Kept as JSON text, ready to splice in.
            replacement: serde_json::to_string(config.get("replacement").unwrap_or("****"))
                .map_err(|e| format!("setting `replacement`: {e}"))?,
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        let Some(value) = record.value else {
            return Outcome::Keep;
        };
        let ranges = match std::str::from_utf8(value)
            .map_err(|e| e.to_string())
            .and_then(|doc| self.locate(doc).map_err(|e| e.to_string()))
        {
            Ok(ranges) if ranges.is_empty() => return Outcome::Keep,
            Ok(ranges) => ranges,
            Err(e) => return Outcome::Fail(format!("value is not JSON: {e}")),
        };
        // Splice: every byte outside the redacted fields stays exactly as it came.
        let mut out = Vec::with_capacity(value.len() + ranges.len() * self.replacement.len());
        let mut at = 0;
        for (start, end) in ranges {
            if start < at {
                continue; // inside a field already replaced (a path and its parent)
            }
            out.extend_from_slice(&value[at..start]);
            out.extend_from_slice(self.replacement.as_bytes());
            at = end;
        }
        out.extend_from_slice(&value[at..]);
        Outcome::Replace(Record::from(record).with_value(out))
    }
}

/// The segments of dotted `path`.
fn segments(setting: &str, path: &str) -> Result<Vec<String>, String> {
    path.split('.')
        .map(|segment| {
            if segment.is_empty() {
                Err(format!(
                    "setting `{setting}`: empty segment in path `{path}`"
                ))
            } else {
                Ok(segment.to_owned())
            }
        })
        .collect()
}

impl PiiRedact {
    /// Byte ranges of the values at the configured paths, sorted. Only the levels on a path
    /// are split into members; everything else is checked as JSON and skipped, which is what
    /// makes this cheaper than building the whole document. The top level is parsed once for
    /// all paths.
    fn locate(&self, doc: &str) -> Result<Vec<(usize, usize)>, serde_json::Error> {
        let root = Level::parse(doc)?;
        let mut ranges = Vec::new();
        for path in &self.paths {
            if let Some(raw) = root.find(path)? {
                let start = raw.get().as_ptr() as usize - doc.as_ptr() as usize;
                ranges.push((start, start + raw.get().len()));
            }
        }
        ranges.sort_unstable();
        Ok(ranges)
    }
}

/// One level of a document: an object's members, an array's elements, or anything else.
enum Level<'a> {
    Object(Vec<(Name<'a>, &'a RawValue)>),
    Array(Vec<&'a RawValue>),
    Other,
}

impl<'a> Level<'a> {
    /// Parses (and so validates) `text`, splitting only its top level.
    fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        Ok(match text.trim_start().as_bytes().first() {
            Some(b'{') => Level::Object(serde_json::from_str::<Members<'a>>(text)?.0),
            Some(b'[') => Level::Array(serde_json::from_str(text)?),
            _ => {
                serde_json::from_str::<&RawValue>(text)?;
                Level::Other
            }
        })
    }

    /// The raw value at `path`: object members by name (the last of duplicates, as JSON parsers
    /// keep), array elements by index.
    fn find(&self, path: &[String]) -> Result<Option<&'a RawValue>, serde_json::Error> {
        let Some((first, rest)) = path.split_first() else {
            return Ok(None);
        };
        let child = match self {
            Level::Object(members) => members
                .iter()
                .rev()
                .find(|(name, _)| name.0 == *first)
                .map(|(_, value)| *value),
            Level::Array(items) => first
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).copied()),
            Level::Other => None,
        };
        match child {
            Some(child) if rest.is_empty() => Ok(Some(child)),
            Some(child) => Level::parse(child.get())?.find(rest),
            None => Ok(None),
        }
    }
}

/// An object's members in order, borrowed from the document.
struct Members<'a>(Vec<(Name<'a>, &'a RawValue)>);

/// A member name, borrowed unless it holds escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Name<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Name<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Name<'a>, E> {
                Ok(Name(Cow::Borrowed(name)))
            }
            fn visit_str<E>(self, name: &str) -> Result<Name<'a>, E> {
                Ok(Name(Cow::Owned(name.to_owned())))
            }
        }
        deserializer.deserialize_str(Visit(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Members<'a>, M::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<Name<'a>, &'a RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
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
            r#"{"id":7,"customer":{"name":"Ada","email":"****"},"card":{"number":"****","exp":"12/30"},"amount":12.30}"#
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
