use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Binary, DateTime, Decimal128, Regex, Timestamp, doc};

use super::*;

fn sample() -> Document {
    doc! {
        "i": 1,
        "l": Bson::Int64(42),
        "d": 1.5,
        "w": 2.0,
        "s": "a\"b\n",
        "b": true,
        "n": Bson::Null,
        "dt": DateTime::from_millis(1_704_067_200_120),
        "oid": ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
        "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] },
        "dec": "12.50".parse::<Decimal128>().unwrap(),
        "ts": Timestamp { time: 10, increment: 2 },
        "re": Regex { pattern: "^a".into(), options: "i".into() },
        "arr": [1, "x"],
        "sub": {"z": 1, "a": 2},
    }
}

#[test]
fn extended_json_is_canonical() {
    assert_eq!(
        JsonFormatter::Extended.document(&sample()),
        concat!(
            r#"{"i": {"$numberInt": "1"}, "l": {"$numberLong": "42"}, "d": {"$numberDouble": "1.5"}, "#,
            r#""w": {"$numberDouble": "2.0"}, "s": "a\"b\n", "b": true, "n": null, "#,
            r#""dt": {"$date": {"$numberLong": "1704067200120"}}, "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "#,
            r#""bin": {"$binary": {"base64": "AQID", "subType": "00"}}, "dec": {"$numberDecimal": "12.50"}, "#,
            r#""ts": {"$timestamp": {"t": 10, "i": 2}}, "re": {"$regularExpression": {"pattern": "^a", "options": "i"}}, "#,
            r#""arr": [{"$numberInt": "1"}, "x"], "sub": {"z": {"$numberInt": "1"}, "a": {"$numberInt": "2"}}}"#
        )
    );
}

#[test]
fn default_json_is_the_legacy_strict_mode() {
    assert_eq!(
        JsonFormatter::Default.document(&sample()),
        concat!(
            r#"{"i": 1, "l": {"$numberLong": "42"}, "d": 1.5, "w": 2.0, "s": "a\"b\n", "b": true, "n": null, "#,
            r#""dt": {"$date": 1704067200120}, "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "#,
            r#""bin": {"$binary": "AQID", "$type": "00"}, "dec": {"$numberDecimal": "12.50"}, "#,
            r#""ts": {"$timestamp": {"t": 10, "i": 2}}, "re": {"$regex": "^a", "$options": "i"}, "#,
            r#""arr": [1, "x"], "sub": {"z": 1, "a": 2}}"#
        )
    );
}

#[test]
fn simplified_json_writes_plain_strings() {
    assert_eq!(
        JsonFormatter::Simplified.document(&sample()),
        concat!(
            r#"{"i": 1, "l": 42, "d": 1.5, "w": 2.0, "s": "a\"b\n", "b": true, "n": null, "#,
            r#""dt": "2024-01-01T00:00:00.12Z", "oid": "65a1b2c3d4e5f60718293a4b", "#,
            r#""bin": "AQID", "dec": "12.50", "#,
            r#""ts": {"$timestamp": {"t": 10, "i": 2}}, "re": {"$regularExpression": {"pattern": "^a", "options": "i"}}, "#,
            r#""arr": [1, "x"], "sub": {"z": 1, "a": 2}}"#
        )
    );
    let uuid = doc! {"u": Binary { subtype: BinarySubtype::Uuid, bytes: (0u8..16).collect() }};
    assert_eq!(
        JsonFormatter::Simplified.document(&uuid),
        r#"{"u": "00010203-0405-0607-0809-0a0b0c0d0e0f"}"#
    );
}

#[test]
fn relaxed_json_keeps_types_readable_back() {
    let doc = doc! {"l": Bson::Int64(7), "dt": DateTime::from_millis(0), "old": DateTime::from_millis(-1), "nan": f64::NAN};
    assert_eq!(
        relaxed(&doc),
        r#"{"l": 7, "dt": {"$date": "1970-01-01T00:00:00Z"}, "old": {"$date": {"$numberLong": "-1"}}, "nan": {"$numberDouble": "NaN"}}"#
    );
    // What relaxed JSON writes, Extended JSON parsing reads back as the same values.
    let text = relaxed(&sample());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let back = match Bson::try_from(json).unwrap() {
        Bson::Document(d) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        back.get_datetime("dt").unwrap(),
        sample().get_datetime("dt").unwrap()
    );
    assert_eq!(back.get("bin"), sample().get("bin"));
}

#[test]
fn dates_follow_java_formatters() {
    assert_eq!(iso_instant(1_704_067_200_000), "2024-01-01T00:00:00Z");
    assert_eq!(iso_instant(1_704_067_200_120), "2024-01-01T00:00:00.120Z");
    assert_eq!(iso_date_time(1_704_067_200_120), "2024-01-01T00:00:00.12Z");
    assert_eq!(iso_date_time(-1), "1969-12-31T23:59:59.999Z");
    assert_eq!(iso_instant(951_782_400_000), "2000-02-29T00:00:00Z");
}

#[test]
fn formatter_names() {
    assert_eq!(
        JsonFormatter::parse("com.mongodb.kafka.connect.source.json.formatter.SimplifiedJson"),
        Some(JsonFormatter::Simplified)
    );
    assert_eq!(
        JsonFormatter::parse("ExtendedJson"),
        Some(JsonFormatter::Extended)
    );
    assert_eq!(JsonFormatter::parse("com.example.ExtendedJson"), None);
    assert_eq!(JsonFormatter::parse("Relaxed"), None);
}

#[test]
fn control_characters_are_escaped() {
    assert_eq!(
        JsonFormatter::Default.document(&doc! {"k": "a\u{1}\tb"}),
        r#"{"k": "a\u0001\tb"}"#
    );
}
