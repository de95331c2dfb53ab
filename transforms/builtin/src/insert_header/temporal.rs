//! The ISO 8601 literals `Values.parseString` recognises: `yyyy-MM-dd` (Date), `HH:mm:ss.SSSZ`
//! (Time) and `yyyy-MM-ddTHH:mm:ss.SSSZ` (Timestamp), read in UTC; `\:` may stand for `:`.

use sluice_api::{Schema, Value};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// The temporal value a token denotes, if any; chosen by length as Kafka Connect does.
pub(super) fn parse_temporal(token: &str) -> Option<(Schema, Value)> {
    let token = token.replace("\\:", ":");
    if !token.is_ascii() {
        return None;
    }
    match token.len() {
        13 => time(&token).map(|ms| (Schema::time(), Value::Time(ms))),
        24 => {
            let (date_part, time_part) = (&token[..10], token[10..].strip_prefix('T')?);
            let millis = i64::from(date(date_part)?) * MILLIS_PER_DAY + i64::from(time(time_part)?);
            Some((Schema::timestamp(), Value::Timestamp(millis)))
        }
        10 => date(&token).map(|days| (Schema::date(), Value::Date(days))),
        _ => None,
    }
}

/// `yyyy-MM-dd` as days since the epoch.
fn date(text: &str) -> Option<i32> {
    if text.as_bytes().get(4) != Some(&b'-') || text.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (
        number(&text[0..4])?,
        number(&text[5..7])?,
        number(&text[8..10])?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    i32::try_from(days_from_civil(i64::from(year), month, day)).ok()
}

/// `HH:mm:ss.SSSZ` as milliseconds since midnight.
fn time(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    let separators = [(2, b':'), (5, b':'), (8, b'.'), (12, b'Z')];
    if bytes.len() != 13 || separators.iter().any(|&(at, c)| bytes[at] != c) {
        return None;
    }
    let (hour, minute, second, millis) = (
        number(&text[0..2])?,
        number(&text[3..5])?,
        number(&text[6..8])?,
        number(&text[9..12])?,
    );
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    i32::try_from(((hour * 60 + minute) * 60 + second) * 1000 + millis).ok()
}

fn number(digits: &str) -> Option<u32> {
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
