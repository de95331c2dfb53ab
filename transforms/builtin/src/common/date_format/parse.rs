//! Java's lenient `SimpleDateFormat.parse`: fields are collected like a `Calendar` collects them
//! (the most recently set hour field wins) and resolved into milliseconds at the end.

use super::{
    AM_PM, DAYS, Item, Letter, MILLIS_PER_DAY, MONTHS, SHORT_DAYS, SHORT_MONTHS, civil_from_days,
    days_from_civil,
};

/// Names Java accepts for the UTC zone (its zone-name table holds many more; this one needs none).
const UTC_NAMES: [&str; 4] = [
    "Coordinated Universal Time",
    "Greenwich Mean Time",
    "UTC",
    "UT",
];

/// Years beyond this cannot be turned into milliseconds anyway.
const MAX_YEAR: i64 = 300_000_000;

/// The calendar fields parsed so far; hour fields remember when they were set.
#[derive(Debug, Default)]
struct Fields {
    stamp: u32,
    year: Option<i64>,
    /// The year came from two digits equal to the century start's: it may need 100 more.
    ambiguous_year: bool,
    month0: Option<i64>,
    day: Option<i64>,
    hour_of_day: Option<(u32, i64)>,
    hour: Option<(u32, i64)>,
    am_pm: Option<(u32, i64)>,
    minute: Option<i64>,
    second: Option<i64>,
    millisecond: Option<i64>,
    offset_millis: Option<i64>,
}

impl Fields {
    fn stamped(&mut self, value: i64) -> Option<(u32, i64)> {
        self.stamp += 1;
        Some((self.stamp, value))
    }

    /// Milliseconds since the epoch, or `None` when the fields do not fit.
    fn resolve(&self, year_offset: i64) -> Option<i64> {
        let year = self.year.unwrap_or(1970) + year_offset;
        let months = i128::from(year) * 12 + i128::from(self.month0.unwrap_or(0));
        let year = i64::try_from(months.div_euclid(12)).ok()?;
        if year.abs() > MAX_YEAR {
            return None;
        }
        let month = months.rem_euclid(12) as u32 + 1;
        let days =
            i128::from(days_from_civil(year, month, 1)) + i128::from(self.day.unwrap_or(1)) - 1;
        // Calendar picks HOUR_OF_DAY or HOUR + AM_PM, whichever was set last.
        let stamp = |field: Option<(u32, i64)>| field.map_or(0, |(stamp, _)| stamp);
        let hour_of_day_stamp = stamp(self.hour_of_day);
        let hour_stamp = match (self.hour, self.am_pm) {
            (Some((a, _)), Some((b, _))) => a.max(b),
            _ => 0,
        };
        let best = match hour_of_day_stamp.max(hour_stamp) {
            0 => stamp(self.hour).max(stamp(self.am_pm)),
            best => best,
        };
        let hour = match self.hour_of_day {
            Some((stamp, value)) if stamp == best => value,
            _ => {
                let hour = self.hour.map_or(0, |(_, value)| value);
                hour + 12 * self.am_pm.map_or(0, |(_, value)| value)
            }
        };
        let of_day = i128::from(hour) * 3_600_000
            + i128::from(self.minute.unwrap_or(0)) * 60_000
            + i128::from(self.second.unwrap_or(0)) * 1000
            + i128::from(self.millisecond.unwrap_or(0));
        let millis = days * i128::from(MILLIS_PER_DAY) + of_day
            - i128::from(self.offset_millis.unwrap_or(0));
        i64::try_from(millis).ok()
    }
}

pub(super) fn parse(items: &[Item], century_start: i64, text: &str) -> Option<i64> {
    let text: Vec<char> = text.chars().collect();
    let mut fields = Fields::default();
    let mut pos = 0;
    let century_year = civil_from_days(century_start.div_euclid(MILLIS_PER_DAY)).0;
    for (index, item) in items.iter().enumerate() {
        match item {
            Item::Literal(literal) => {
                for expected in literal.chars() {
                    if text.get(pos) != Some(&expected) {
                        return None;
                    }
                    pos += 1;
                }
            }
            Item::Field { letter, count } => {
                // A field followed directly by another reads exactly `count` characters
                // (e.g. "yyyyMMdd"); otherwise as many digits as there are.
                let obey_count = matches!(items.get(index + 1), Some(Item::Field { .. }));
                let field = Field {
                    text: &text,
                    letter: *letter,
                    count: *count,
                    obey_count,
                    century_year,
                };
                pos = field.parse(pos, &mut fields)?;
            }
        }
    }
    let millis = fields.resolve(0)?;
    if fields.ambiguous_year && millis < century_start {
        return fields.resolve(100);
    }
    Some(millis)
}

struct Field<'a> {
    text: &'a [char],
    letter: Letter,
    count: usize,
    obey_count: bool,
    century_year: i64,
}

impl Field<'_> {
    /// Parses this field at `pos` into `fields`; the position after it, or `None`.
    fn parse(&self, mut pos: usize, fields: &mut Fields) -> Option<usize> {
        let text = self.text;
        // Java skips spaces and tabs before every field.
        while matches!(text.get(pos), Some(' ' | '\t')) {
            pos += 1;
        }
        if pos >= text.len() {
            return None;
        }
        match self.letter {
            Letter::Month if self.count >= 3 => {
                let (index, end) = match_names(text, pos, &MONTHS)
                    .or_else(|| match_names(text, pos, &SHORT_MONTHS))?;
                fields.month0 = Some(index as i64);
                Some(end)
            }
            // The day of the week is checked but, as in Java when a date is given, not used.
            Letter::DayName => {
                let (_, end) = match_names(text, pos, &DAYS)
                    .or_else(|| match_names(text, pos, &SHORT_DAYS))?;
                Some(end)
            }
            Letter::AmPm => {
                let (index, end) = match_names(text, pos, &AM_PM)?;
                fields.am_pm = fields.stamped(index as i64);
                Some(end)
            }
            Letter::GeneralZone | Letter::Rfc822Zone => {
                let (offset, end) = general_zone(text, pos)?;
                fields.offset_millis = Some(offset);
                Some(end)
            }
            Letter::Iso8601Zone => {
                let (offset, end) = match text[pos] {
                    'Z' => (0, pos + 1),
                    '+' => numeric_zone(text, pos + 1, 1, self.count, self.count == 3)?,
                    '-' => numeric_zone(text, pos + 1, -1, self.count, self.count == 3)?,
                    _ => return None,
                };
                fields.offset_millis = Some(offset);
                Some(end)
            }
            _ => {
                let (value, end) = self.number(pos)?;
                self.set_number(fields, value, pos, end);
                Some(end)
            }
        }
    }

    /// An optionally negative integer, as Java's `DecimalFormat` reads it.
    fn number(&self, start: usize) -> Option<(i64, usize)> {
        let text = self.text;
        let limit = if self.obey_count {
            let limit = start + self.count;
            if limit > text.len() {
                return None;
            }
            limit
        } else {
            text.len()
        };
        let negative = text[start] == '-';
        let digits_start = start + usize::from(negative);
        let mut end = digits_start;
        let mut value: i64 = 0;
        while end < limit && text[end].is_ascii_digit() {
            let digit = i64::from(text[end] as u8 - b'0');
            value = value.checked_mul(10)?.checked_add(digit)?;
            end += 1;
        }
        if end == digits_start {
            return None;
        }
        Some((if negative { -value } else { value }, end))
    }

    fn set_number(&self, fields: &mut Fields, value: i64, start: usize, end: usize) {
        match self.letter {
            Letter::Year => {
                let text = self.text;
                let two_digits = end - start == 2 && text[start].is_ascii_digit();
                if self.count <= 2 && two_digits && text[start + 1].is_ascii_digit() {
                    // "yy": the year within 80 years before and 20 after now.
                    let pivot = self.century_year.rem_euclid(100);
                    fields.ambiguous_year = value == pivot;
                    let century = self.century_year.div_euclid(100) * 100;
                    fields.year = Some(value + century + if value < pivot { 100 } else { 0 });
                } else {
                    fields.ambiguous_year = false;
                    fields.year = Some(value);
                }
            }
            Letter::Month => fields.month0 = Some(value - 1),
            Letter::Day => fields.day = Some(value),
            Letter::HourOfDay => fields.hour_of_day = fields.stamped(value),
            Letter::HourOfDay1 => {
                fields.hour_of_day = fields.stamped(if value == 24 { 0 } else { value });
            }
            Letter::Hour => fields.hour = fields.stamped(value),
            Letter::Hour1 => fields.hour = fields.stamped(if value == 12 { 0 } else { value }),
            Letter::Minute => fields.minute = Some(value),
            Letter::Second => fields.second = Some(value),
            Letter::Millisecond => fields.millisecond = Some(value),
            // Like the day name, the day number does not move a given date.
            _ => {}
        }
    }
}

/// The index and end of the longest name matching at `pos`, ignoring case.
fn match_names(text: &[char], pos: usize, names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (index, name) in names.iter().enumerate() {
        let len = name.chars().count();
        if matches_ignore_case(text, pos, name) && best.is_none_or(|(_, known)| len > known) {
            best = Some((index, len));
        }
    }
    best.map(|(index, len)| (index, pos + len))
}

fn matches_ignore_case(text: &[char], pos: usize, expected: &str) -> bool {
    let mut pos = pos;
    for c in expected.chars() {
        match text.get(pos) {
            Some(actual) if actual.eq_ignore_ascii_case(&c) => pos += 1,
            _ => return false,
        }
    }
    true
}

/// `z` and `Z`: `-0800`, `GMT`, `GMT+8:00`, or a name of UTC. Offset in milliseconds and end.
fn general_zone(text: &[char], pos: usize) -> Option<(i64, usize)> {
    match text[pos] {
        '+' => numeric_zone(text, pos + 1, 1, 0, false),
        '-' => numeric_zone(text, pos + 1, -1, 0, false),
        _ if matches_ignore_case(text, pos, "GMT") => match text.get(pos + 3) {
            Some('+') => numeric_zone(text, pos + 4, 1, 0, true),
            Some('-') => numeric_zone(text, pos + 4, -1, 0, true),
            _ => Some((0, pos + 3)),
        },
        _ => match_names(text, pos, &UTC_NAMES).map(|(_, end)| (0, end)),
    }
}

/// `hh`, `hhmm` or `hh:mm` after a sign, as Java's `subParseNumericZone`: `count` 1 reads hours
/// only; with `colon` the minutes follow a colon and a single hour digit is allowed.
fn numeric_zone(
    text: &[char],
    start: usize,
    sign: i64,
    count: usize,
    colon: bool,
) -> Option<(i64, usize)> {
    let digit = |i: usize| text.get(i).and_then(|c| c.to_digit(10)).map(i64::from);
    let mut pos = start;
    let mut hours = digit(pos)?;
    pos += 1;
    match digit(pos) {
        Some(next) => {
            hours = hours * 10 + next;
            pos += 1;
        }
        None if count > 0 || !colon => return None,
        None => {}
    }
    if hours > 23 {
        return None;
    }
    let mut minutes = 0;
    if count != 1 {
        if colon {
            if text.get(pos) != Some(&':') {
                return None;
            }
            pos += 1;
        }
        minutes = digit(pos)? * 10 + digit(pos + 1)?;
        pos += 2;
        if minutes > 59 {
            return None;
        }
    }
    Some((sign * (hours * 60 + minutes) * 60_000, pos))
}
