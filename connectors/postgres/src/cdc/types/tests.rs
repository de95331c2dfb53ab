use super::*;

#[test]
fn kinds_follow_debezium_defaults() {
    assert_eq!(ColumnKind::of(23, -1), ColumnKind::Int32);
    assert_eq!(
        ColumnKind::of(1700, (10 << 16 | 2) + 4),
        ColumnKind::Decimal {
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(ColumnKind::of(1700, -1), ColumnKind::VariableDecimal);
    assert_eq!(ColumnKind::of(1114, -1), ColumnKind::TimestampMicros);
    assert_eq!(ColumnKind::of(1114, 3), ColumnKind::TimestampMillis);
    assert_eq!(ColumnKind::of(1043, 24), ColumnKind::Text);
    let schema = ColumnKind::Decimal {
        precision: 10,
        scale: 2,
    }
    .schema(true);
    assert!(schema.optional);
    assert_eq!(schema.parameter("connect.decimal.precision"), Some("10"));
    assert_eq!(
        ColumnKind::TimestampMicros.schema(false).name.as_deref(),
        Some("io.debezium.time.MicroTimestamp")
    );
}

#[test]
fn parses_numbers_and_decimals() {
    assert_eq!(ColumnKind::Int64.parse("-42").unwrap(), Value::Int64(-42));
    assert_eq!(
        ColumnKind::Boolean.parse("t").unwrap(),
        Value::Boolean(true)
    );
    assert_eq!(
        ColumnKind::Float64.parse("1.5").unwrap(),
        Value::Float64(1.5)
    );
    assert_eq!(
        ColumnKind::Decimal {
            precision: 10,
            scale: 2
        }
        .parse("-12.50")
        .unwrap(),
        Value::Decimal(Decimal {
            unscaled: -1250,
            scale: 2
        })
    );
    assert_eq!(
        ColumnKind::Decimal {
            precision: 10,
            scale: 2
        }
        .parse("NaN")
        .unwrap(),
        Value::Null
    );
    let Value::Struct(s) = ColumnKind::VariableDecimal.parse("3.140").unwrap() else {
        panic!("struct expected");
    };
    assert_eq!(s.get("scale"), Some(&Value::Int32(3)));
    assert_eq!(s.get("value"), Some(&Value::Bytes(vec![0x0c, 0x44])));
    assert!(ColumnKind::Int32.parse("x").is_err());
}

#[test]
fn parses_dates_times_and_timestamps() {
    assert_eq!(
        ColumnKind::Date.parse("1970-01-02").unwrap(),
        Value::Int32(1)
    );
    assert_eq!(
        ColumnKind::Date.parse("1969-12-31").unwrap(),
        Value::Int32(-1)
    );
    assert_eq!(
        ColumnKind::Date.parse("2024-03-01").unwrap(),
        Value::Int32(19783)
    );
    assert_eq!(
        ColumnKind::TimeMicros.parse("01:00:00.25").unwrap(),
        Value::Int64(3_600_250_000)
    );
    assert_eq!(
        ColumnKind::TimeMillis.parse("00:00:01").unwrap(),
        Value::Int32(1000)
    );
    assert_eq!(
        ColumnKind::TimestampMicros
            .parse("2024-03-01 00:00:01.000002")
            .unwrap(),
        Value::Int64(19783 * 86_400_000_000 + 1_000_002)
    );
    assert_eq!(
        ColumnKind::TimestampMillis
            .parse("1970-01-01 00:00:00.5")
            .unwrap(),
        Value::Int64(500)
    );
    assert_eq!(
        ColumnKind::ZonedTimestamp
            .parse("2024-03-01 10:00:00.12+00")
            .unwrap(),
        Value::String("2024-03-01T10:00:00.12Z".into())
    );
}

#[test]
fn parses_bytea_and_places_toast_placeholders() {
    assert_eq!(
        ColumnKind::Bytes.parse("\\x0aff").unwrap(),
        Value::Bytes(vec![10, 255])
    );
    assert!(ColumnKind::Bytes.parse("\\x0").is_err());
    assert_eq!(
        ColumnKind::Text.unavailable(UNAVAILABLE_VALUE_PLACEHOLDER),
        Value::String(UNAVAILABLE_VALUE_PLACEHOLDER.into())
    );
    assert_eq!(ColumnKind::Int32.unavailable("x"), Value::Null);
}
