//! BSON documents as JSON text, written the way the official connector's formatters (the Java
//! driver's `JsonWriter`) write them, spacing included: `{"a": 1, "b": [1, 2]}`.
//!
//! - `DefaultJson`: the legacy strict mode: `{"$numberLong": "1"}`, `{"$date": <millis>}`,
//!   `{"$binary": "<base64>", "$type": "00"}`, `{"$regex": …, "$options": …}`.
//! - `ExtendedJson`: canonical Extended JSON v2, every number typed (`{"$numberInt": "1"}`).
//! - `SimplifiedJson`: relaxed Extended JSON with ObjectIds, decimals and binary as plain
//!   strings and dates as ISO-8601 strings.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Bson, Document};
use sluice_api::json::java_double_to_string;

const DEFAULT_CLASS: &str = "com.mongodb.kafka.connect.source.json.formatter.DefaultJson";
const EXTENDED_CLASS: &str = "com.mongodb.kafka.connect.source.json.formatter.ExtendedJson";
const SIMPLIFIED_CLASS: &str = "com.mongodb.kafka.connect.source.json.formatter.SimplifiedJson";

/// Largest millisecond value relaxed Extended JSON writes as an ISO-8601 date (9999-12-31T23:59:59.999Z).
const MAX_ISO_MILLIS: i64 = 253_402_300_799_999;

/// One of the official connector's `output.json.formatter` classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFormatter {
    Default,
    Extended,
    Simplified,
}

impl JsonFormatter {
    /// The class name, or its simple name (`ExtendedJson`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        [Self::Default, Self::Extended, Self::Simplified]
            .into_iter()
            .find(|f| f.class_name() == name || f.class_name().rsplit('.').next() == Some(name))
    }

    pub fn class_name(self) -> &'static str {
        match self {
            JsonFormatter::Default => DEFAULT_CLASS,
            JsonFormatter::Extended => EXTENDED_CLASS,
            JsonFormatter::Simplified => SIMPLIFIED_CLASS,
        }
    }

    /// The document as JSON text.
    pub fn document(self, doc: &Document) -> String {
        self.mode().document(doc)
    }

    /// A single value as JSON text; a string value without its quotes, as the official
    /// connector writes non-string values into string fields of a schema.
    pub fn value(self, value: &Bson) -> String {
        if let Bson::Document(doc) = value {
            return self.document(doc);
        }
        let mut out = String::new();
        self.mode().write_value(value, &mut out);
        match out.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(inner) => inner.to_string(),
            None => out,
        }
    }

    fn mode(self) -> Mode {
        match self {
            JsonFormatter::Default => Mode::Strict,
            JsonFormatter::Extended => Mode::Canonical,
            JsonFormatter::Simplified => Mode::Simplified,
        }
    }
}

/// The document as relaxed Extended JSON, the Java driver's `toJson()` default, in which the
/// official connector stores resume tokens in offsets.
pub fn relaxed(doc: &Document) -> String {
    Mode::Relaxed.document(doc)
}

/// The Java driver's `JsonMode`s, plus the simplified overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Canonical,
    Relaxed,
    Simplified,
}

impl Mode {
    fn document(self, doc: &Document) -> String {
        let mut out = String::new();
        self.write_document(doc, &mut out);
        out
    }

    fn write_document(self, doc: &Document, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in doc.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_string(key, out);
            out.push_str(": ");
            self.write_value(value, out);
        }
        out.push('}');
    }

    fn write_value(self, value: &Bson, out: &mut String) {
        let canonical = self == Mode::Canonical;
        let simplified = self == Mode::Simplified;
        let plain_long = matches!(self, Mode::Relaxed | Mode::Simplified);
        match value {
            Bson::Null => out.push_str("null"),
            Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            Bson::String(s) => write_string(s, out),
            Bson::Document(doc) => self.write_document(doc, out),
            Bson::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_value(item, out);
                }
                out.push(']');
            }
            Bson::Int32(n) if canonical => wrapped(out, "$numberInt", &n.to_string()),
            Bson::Int32(n) => {
                let _ = write!(out, "{n}");
            }
            Bson::Int64(n) if plain_long => {
                let _ = write!(out, "{n}");
            }
            Bson::Int64(n) => wrapped(out, "$numberLong", &n.to_string()),
            Bson::Double(d) if canonical || !d.is_finite() => {
                wrapped(out, "$numberDouble", &double_text(*d))
            }
            Bson::Double(d) => out.push_str(&java_double_to_string(*d)),
            Bson::Decimal128(d) if simplified => write_string(&d.to_string(), out),
            Bson::Decimal128(d) => wrapped(out, "$numberDecimal", &d.to_string()),
            Bson::ObjectId(oid) if simplified => write_string(&oid.to_hex(), out),
            Bson::ObjectId(oid) => wrapped(out, "$oid", &oid.to_hex()),
            Bson::DateTime(dt) => self.write_date(dt.timestamp_millis(), out),
            Bson::Binary(bin) => self.write_binary(bin.subtype, &bin.bytes, out),
            Bson::Timestamp(ts) => {
                let _ = write!(
                    out,
                    "{{\"$timestamp\": {{\"t\": {}, \"i\": {}}}}}",
                    ts.time, ts.increment
                );
            }
            Bson::RegularExpression(re) if self == Mode::Strict => {
                out.push_str("{\"$regex\": ");
                write_string(&re.pattern, out);
                out.push_str(", \"$options\": ");
                write_string(&re.options, out);
                out.push('}');
            }
            Bson::RegularExpression(re) => {
                out.push_str("{\"$regularExpression\": {\"pattern\": ");
                write_string(&re.pattern, out);
                out.push_str(", \"options\": ");
                write_string(&re.options, out);
                out.push_str("}}");
            }
            Bson::JavaScriptCode(code) => wrapped(out, "$code", code),
            Bson::JavaScriptCodeWithScope(code) => {
                out.push_str("{\"$code\": ");
                write_string(&code.code, out);
                out.push_str(", \"$scope\": ");
                self.write_document(&code.scope, out);
                out.push('}');
            }
            Bson::Symbol(s) if simplified => write_string(s, out),
            Bson::Symbol(s) => wrapped(out, "$symbol", s),
            Bson::Undefined => out.push_str("{\"$undefined\": true}"),
            Bson::MaxKey => out.push_str("{\"$maxKey\": 1}"),
            Bson::MinKey => out.push_str("{\"$minKey\": 1}"),
            // A deprecated type whose parts the BSON library keeps private: its own canonical form.
            Bson::DbPointer(_) => out.push_str(&value.clone().into_canonical_extjson().to_string()),
        }
    }

    fn write_date(self, millis: i64, out: &mut String) {
        match self {
            Mode::Strict => {
                let _ = write!(out, "{{\"$date\": {millis}}}");
            }
            Mode::Relaxed if (0..=MAX_ISO_MILLIS).contains(&millis) => {
                let _ = write!(out, "{{\"$date\": \"{}\"}}", iso_instant(millis));
            }
            Mode::Canonical | Mode::Relaxed => {
                let _ = write!(out, "{{\"$date\": {{\"$numberLong\": \"{millis}\"}}}}");
            }
            Mode::Simplified => write_string(&iso_date_time(millis), out),
        }
    }

    fn write_binary(self, subtype: BinarySubtype, bytes: &[u8], out: &mut String) {
        let code = u8::from(subtype);
        match self {
            Mode::Simplified if subtype == BinarySubtype::Uuid && bytes.len() == 16 => {
                write_string(&uuid_text(bytes), out)
            }
            Mode::Simplified => write_string(&BASE64.encode(bytes), out),
            Mode::Strict => {
                let _ = write!(
                    out,
                    "{{\"$binary\": \"{}\", \"$type\": \"{code:02X}\"}}",
                    BASE64.encode(bytes)
                );
            }
            Mode::Canonical | Mode::Relaxed => {
                let _ = write!(
                    out,
                    "{{\"$binary\": {{\"base64\": \"{}\", \"subType\": \"{code:02X}\"}}}}",
                    BASE64.encode(bytes)
                );
            }
        }
    }
}

/// `{"<key>": "<text>"}`.
fn wrapped(out: &mut String, key: &str, text: &str) {
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\": ");
    write_string(text, out);
    out.push('}');
}

fn double_text(d: f64) -> String {
    if d.is_nan() {
        "NaN".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        java_double_to_string(d)
    }
}

/// A JSON string literal, escaped as the Java driver escapes it.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Civil date (year, month, day) of a day count since 1970-01-01, proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `yyyy-mm-ddThh:mm:ss` of a millisecond instant, and the milliseconds within the second.
fn date_parts(millis: i64) -> (String, i64) {
    let seconds = millis.div_euclid(1000);
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{year:+05}")
    };
    (
        format!(
            "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ),
        millis.rem_euclid(1000),
    )
}

/// Java's `DateTimeFormatter.ISO_INSTANT`: milliseconds as three digits when not zero.
pub fn iso_instant(millis: i64) -> String {
    let (base, ms) = date_parts(millis);
    if ms == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{ms:03}Z")
    }
}

/// Java's `DateTimeFormatter.ISO_DATE_TIME` in UTC: the fraction without trailing zeros.
pub fn iso_date_time(millis: i64) -> String {
    let (base, ms) = date_parts(millis);
    if ms == 0 {
        format!("{base}Z")
    } else {
        let fraction = format!("{ms:03}");
        format!("{base}.{}Z", fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests;
