//! Java `SimpleDateFormat` patterns, always in UTC as Kafka Connect sets them up (TimestampConverter,
//! TimestampRouter): formatting epoch milliseconds, and Java's lenient parsing back to them.
//!
//! Supported letters: `y M L d H k K h m s S a E u z Z X`, `'quoted text'` and `''` for a quote.
//! Other letters Java knows (`G Y w W D F`) and letters it rejects are a config error. Dates use
//! the proleptic Gregorian calendar; Java switches to the Julian calendar before 1582-10-15.

mod parse;

use std::mem;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) use sluice_api::data::calendar::{civil_from_days, days_from_civil};

pub(crate) const MILLIS_PER_DAY: i64 = 86_400_000;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Sunday first, as Java's `Calendar.DAY_OF_WEEK` counts.
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const AM_PM: [&str; 2] = ["AM", "PM"];

/// What a pattern letter stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Letter {
    /// `y`
    Year,
    /// `M` and `L` (stand-alone month; the same in English)
    Month,
    /// `d`
    Day,
    /// `H`: 0-23
    HourOfDay,
    /// `k`: 1-24
    HourOfDay1,
    /// `K`: 0-11
    Hour,
    /// `h`: 1-12
    Hour1,
    /// `m`
    Minute,
    /// `s`
    Second,
    /// `S`
    Millisecond,
    /// `a`
    AmPm,
    /// `E`
    DayName,
    /// `u`: 1 = Monday … 7 = Sunday
    DayNumber,
    /// `z`
    GeneralZone,
    /// `Z`
    Rfc822Zone,
    /// `X`
    Iso8601Zone,
}

impl Letter {
    fn of(c: char) -> Result<Letter, String> {
        Ok(match c {
            'y' => Letter::Year,
            'M' | 'L' => Letter::Month,
            'd' => Letter::Day,
            'H' => Letter::HourOfDay,
            'k' => Letter::HourOfDay1,
            'K' => Letter::Hour,
            'h' => Letter::Hour1,
            'm' => Letter::Minute,
            's' => Letter::Second,
            'S' => Letter::Millisecond,
            'a' => Letter::AmPm,
            'E' => Letter::DayName,
            'u' => Letter::DayNumber,
            'z' => Letter::GeneralZone,
            'Z' => Letter::Rfc822Zone,
            'X' => Letter::Iso8601Zone,
            'G' | 'Y' | 'w' | 'W' | 'D' | 'F' => {
                return Err(format!(
                    "pattern letter '{c}' is not supported (supported: y M L d H k K h m s S a E u z Z X)"
                ));
            }
            _ => return Err(format!("illegal pattern character '{c}'")),
        })
    }
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { letter: Letter, count: usize },
}

/// A compiled `SimpleDateFormat` pattern in UTC.
#[derive(Debug, Clone)]
pub struct DateFormat {
    pattern: String,
    items: Vec<Item>,
    /// Two-digit years are read as falling within 80 years before and 20 years after this
    /// instant's century window (Java's default century start: creation time minus 80 years).
    century_start: i64,
}

impl PartialEq for DateFormat {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl DateFormat {
    /// Compiles a pattern; `Err` says why it is not a usable `SimpleDateFormat` pattern.
    pub fn new(pattern: &str) -> Result<Self, String> {
        Ok(DateFormat {
            pattern: pattern.to_string(),
            items: compile(pattern)?,
            century_start: default_century_start(),
        })
    }

    /// The pattern as configured.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats milliseconds since the epoch, in UTC.
    pub fn format(&self, millis: i64) -> String {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let of_day = millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let hour = of_day / 3_600_000;
        let weekday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for item in &self.items {
            let (letter, count) = match item {
                Item::Literal(text) => {
                    out.push_str(text);
                    continue;
                }
                Item::Field { letter, count } => (*letter, *count),
            };
            let number = |out: &mut String, value: i64| pad(out, value, count, usize::MAX);
            match letter {
                // Java shows the year of the era: 1 BC (proleptic year 0) is year 1.
                Letter::Year => {
                    let year = if year <= 0 { 1 - year } else { year };
                    if count == 2 {
                        pad(&mut out, year, 2, 2);
                    } else {
                        number(&mut out, year);
                    }
                }
                Letter::Month if count >= 4 => out.push_str(MONTHS[month as usize - 1]),
                Letter::Month if count == 3 => out.push_str(SHORT_MONTHS[month as usize - 1]),
                Letter::Month => number(&mut out, month.into()),
                Letter::Day => number(&mut out, day.into()),
                Letter::HourOfDay => number(&mut out, hour),
                Letter::HourOfDay1 => number(&mut out, if hour == 0 { 24 } else { hour }),
                Letter::Hour => number(&mut out, hour % 12),
                Letter::Hour1 => number(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }),
                Letter::Minute => number(&mut out, of_day / 60_000 % 60),
                Letter::Second => number(&mut out, of_day / 1000 % 60),
                Letter::Millisecond => number(&mut out, of_day % 1000),
                Letter::AmPm => out.push_str(AM_PM[usize::from(hour >= 12)]),
                Letter::DayName if count >= 4 => out.push_str(DAYS[weekday]),
                Letter::DayName => out.push_str(SHORT_DAYS[weekday]),
                Letter::DayNumber => {
                    number(&mut out, if weekday == 0 { 7 } else { weekday as i64 })
                }
                Letter::GeneralZone if count >= 4 => out.push_str("Coordinated Universal Time"),
                Letter::GeneralZone => out.push_str("UTC"),
                Letter::Rfc822Zone => out.push_str("+0000"),
                Letter::Iso8601Zone => out.push('Z'),
            }
        }
        out
    }

    /// Parses text into milliseconds since the epoch as Java's lenient `SimpleDateFormat.parse`
    /// does: fields may overflow into the next unit, text after the pattern is ignored, and
    /// unset fields default to 1970-01-01T00:00:00.000 UTC. `None` when the text does not match.
    pub fn parse(&self, text: &str) -> Option<i64> {
        parse::parse(&self.items, self.century_start, text)
    }
}

/// Splits a pattern into literals and fields, as `SimpleDateFormat.compile` does.
fn compile(pattern: &str) -> Result<Vec<Item>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut items = Vec::new();
    let mut literal = String::new();
    let mut in_quote = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                literal.push('\'');
                i += 2;
            } else {
                in_quote = !in_quote;
                i += 1;
            }
            continue;
        }
        if in_quote || !c.is_ascii_alphabetic() {
            literal.push(c);
            i += 1;
            continue;
        }
        let letter = Letter::of(c)?;
        let count = chars[i..].iter().take_while(|&&next| next == c).count();
        if letter == Letter::Iso8601Zone && count > 3 {
            return Err(format!("invalid ISO 8601 format: length={count}"));
        }
        if !literal.is_empty() {
            items.push(Item::Literal(mem::take(&mut literal)));
        }
        items.push(Item::Field { letter, count });
        i += count;
    }
    if in_quote {
        return Err("unterminated quote".to_string());
    }
    if !literal.is_empty() {
        items.push(Item::Literal(literal));
    }
    Ok(items)
}

/// Appends `value` with at least `min` digits (zero-padded) and at most `max` (the low ones).
fn pad(out: &mut String, value: i64, min: usize, max: usize) {
    let digits = value.unsigned_abs().to_string();
    let digits = &digits[digits.len().saturating_sub(max)..];
    if value < 0 {
        out.push('-');
    }
    out.extend(std::iter::repeat_n('0', min.saturating_sub(digits.len())));
    out.push_str(digits);
}

/// Now minus 80 years, in milliseconds since the epoch.
fn default_century_start() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let days = now.div_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 29 February 80 years back may not exist; the lenient calendar rolls it into March.
    (days_from_civil(year - 80, month, 1) + i64::from(day) - 1) * MILLIS_PER_DAY
        + now.rem_euclid(MILLIS_PER_DAY)
}

#[cfg(test)]
mod tests;
