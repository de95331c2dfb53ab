use super::*;

fn format(pattern: &str, millis: i64) -> String {
    DateFormat::new(pattern).unwrap().format(millis)
}

fn parse(pattern: &str, text: &str) -> Option<i64> {
    DateFormat::new(pattern).unwrap().parse(text)
}

/// 2024-03-05T10:15:30.123Z, a Tuesday.
const MARCH_5: i64 = 1_709_633_730_123;
/// 1999-12-31T13:05:00Z, a Friday.
const NEW_YEARS_EVE: i64 = 946_645_500_000;
/// 2024-01-02T00:00:00Z.
const JANUARY_2: i64 = 1_704_153_600_000;

#[test]
fn kafka_connect_test_vector() {
    // TimestampConverterTest: STRING_DATE_FMT and DATE_PLUS_TIME (1970-01-02 plus 1234 ms).
    let fmt = DateFormat::new("yyyy MM dd HH mm ss SSS z").unwrap();
    assert_eq!(fmt.format(86_401_234), "1970 01 02 00 00 01 234 UTC");
    assert_eq!(fmt.parse("1970 01 02 00 00 01 234 UTC"), Some(86_401_234));
}

#[test]
fn formats_every_supported_letter() {
    let cases: &[(&str, i64, &str)] = &[
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            MARCH_5,
            "2024-03-05T10:15:30.123Z",
        ),
        ("yyyyMMdd", MARCH_5, "20240305"),
        ("yy-M-d H:m:s.S", MARCH_5, "24-3-5 10:15:30.123"),
        (
            "EEE, d MMM yyyy hh:mm a Z",
            MARCH_5,
            "Tue, 5 Mar 2024 10:15 AM +0000",
        ),
        ("EEEE MMMM dd LLL", MARCH_5, "Tuesday March 05 Mar"),
        ("h a, k, K, HH", NEW_YEARS_EVE, "1 PM, 13, 1, 13"),
        ("h a k K", 0, "12 AM 24 0"),
        (
            "'o''clock' hh 'at' z zzzz",
            0,
            "o'clock 12 at UTC Coordinated Universal Time",
        ),
        ("u uu X XX XXX", 0, "4 04 Z Z Z"),
        ("yyyy-MM-dd HH:mm:ss.SSS", -1, "1969-12-31 23:59:59.999"),
        ("SSSSSS s", 123, "000123 0"),
        ("y yyy yyyyy", MARCH_5, "2024 2024 02024"),
        // Year 1 and 1 BC (proleptic year 0) both show as year 1 of their era.
        ("y-MM-dd", -62_135_596_800_000, "1-01-01"),
        ("y", -62_135_596_800_000 - 366 * MILLIS_PER_DAY, "1"),
        ("", MARCH_5, ""),
        ("-- é ü --", MARCH_5, "-- é ü --"),
    ];
    for (pattern, millis, expected) in cases {
        assert_eq!(format(pattern, *millis), *expected, "{pattern}");
    }
}

#[test]
fn parses_leniently_like_java() {
    let cases: &[(&str, &str, i64)] = &[
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "2024-03-05T10:15:30.123+02:00",
            MARCH_5 - 2 * 3_600_000,
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSX",
            "2024-03-05T10:15:30.123Z",
            MARCH_5,
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSXX",
            "2024-03-05T10:15:30.123-0130",
            MARCH_5 + 5_400_000,
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSS Z",
            "2024-03-05 10:15:30.123 -0800",
            MARCH_5 + 8 * 3_600_000,
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSS z",
            "2024-03-05 10:15:30.123 GMT-8:00",
            MARCH_5 + 8 * 3_600_000,
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSS z",
            "2024-03-05 10:15:30.123 utc",
            MARCH_5,
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSS Z",
            "2024-03-05 10:15:30.123 GMT",
            MARCH_5,
        ),
        // Text after the pattern is ignored.
        ("yyyy-MM-dd", "2024-01-02T10:00", JANUARY_2),
        // Abutting fields read exactly their width.
        ("yyyyMMdd", "20240102", JANUARY_2),
        ("yyyyMMddHHmm", "202401020930", JANUARY_2 + 34_200_000),
        // Out-of-range fields roll over.
        ("yyyy-MM-dd", "2024-13-02", 1_735_776_000_000),
        ("yyyy-MM-dd", "2024-03-00", 1_709_164_800_000),
        ("HH:mm", "25:00", 90_000_000),
        (
            "yyyy-MM-dd HH:mm:ss",
            "2024-02-29 23:59:59",
            1_709_251_199_000,
        ),
        // Names in any case, long or short whatever the count.
        ("dd MMM yyyy hh:mm a", "31 dec 1999 01:05 pm", NEW_YEARS_EVE),
        (
            "EEE, MMM d, yyyy h:mm a",
            "Friday, December 31, 1999 1:05 PM",
            NEW_YEARS_EVE,
        ),
        // Spaces before a field are skipped.
        (
            "yyyy-MM-dd HH:mm",
            "2024-01-02   09:30",
            JANUARY_2 + 34_200_000,
        ),
        // Two-digit years land within 80 years before and 20 after now.
        ("yy-MM-dd", "24-01-02", JANUARY_2),
        ("yy-MM-dd", "99-12-31", 946_598_400_000),
        // Three or more letters take the year literally.
        ("yyy", "24", -61_409_836_800_000),
        // 12 o'clock is hour 0 of its half; without a marker it is AM.
        ("h:mm", "12:30", 1_800_000),
        ("hh:mm a", "12:30 PM", 45_000_000),
        ("kk:mm", "24:30", 1_800_000),
        // The last hour field set wins: HOUR_OF_DAY after HOUR+AM_PM.
        ("h a H", "1 PM 3", 10_800_000),
        ("S", "1500", 1500),
        (
            "yyyy MM dd HH mm ss SSS z",
            "1970 01 02 00 00 01 234 UTC",
            86_401_234,
        ),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(parse(pattern, text), Some(*expected), "{pattern} / {text}");
    }
}

#[test]
fn rejects_text_that_does_not_match() {
    let cases: &[(&str, &str)] = &[
        ("yyyy-MM-dd", "2024/01/02"),
        ("yyyy-MM-dd", ""),
        ("yyyy-MM-dd", "   "),
        ("yyyyMMdd", "202401"),
        ("HH:mm X", "10:00 +2"),
        ("HH:mm XXX", "10:00 +0200"),
        ("HH:mm Z", "10:00 +02:00"),
        ("HH:mm Z", "10:00 +2400"),
        ("yyyy z", "2024 PST"),
        ("MMM", "Foo"),
        ("EEE", "Tu"),
        ("a", "XM"),
        ("'at' HH", "on 10"),
        ("yyyy", "99999999999999999999"),
    ];
    for (pattern, text) in cases {
        assert_eq!(parse(pattern, text), None, "{pattern} / {text}");
    }
}

#[test]
fn invalid_patterns_are_explained() {
    let cases: &[(&str, &str)] = &[
        ("bad-format", "illegal pattern character 'b'"),
        ("YYYY-MM-dd", "pattern letter 'Y' is not supported"),
        ("yyyy-DDD", "pattern letter 'D' is not supported"),
        ("yyyy 'T", "unterminated quote"),
        ("HH XXXX", "invalid ISO 8601 format: length=4"),
    ];
    for (pattern, reason) in cases {
        let err = DateFormat::new(pattern).unwrap_err();
        assert!(err.starts_with(reason), "{pattern}: {err}");
    }
}

#[test]
fn civil_dates_round_trip() {
    for days in (-800_000..800_000).step_by(997) {
        let (year, month, day) = civil_from_days(days);
        assert!((1..=12).contains(&month) && (1..=31).contains(&day));
        assert_eq!(days_from_civil(year, month, day), days);
    }
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(19_787), (2024, 3, 5));
    assert_eq!(days_from_civil(2000, 2, 29), 11_016);
}

#[test]
fn formatted_text_parses_back() {
    let fmt = DateFormat::new("EEE yyyy-MM-dd hh:mm:ss.SSS a XXX").unwrap();
    for millis in [0, -1, MARCH_5, NEW_YEARS_EVE, 253_402_300_799_999] {
        assert_eq!(fmt.parse(&fmt.format(millis)), Some(millis), "{millis}");
    }
    assert_eq!(fmt.pattern(), "EEE yyyy-MM-dd hh:mm:ss.SSS a XXX");
}
