//! Java's `Matcher` replacement syntax, parsed once: `$n` and `${name}` group references and `\`
//! escapes. Rust's syntax differs (`$1a` names group "1a" there), so it cannot be passed through.

use regex::{Captures, Regex};

/// One part of a parsed replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    /// A capture group by index (0 = the whole match).
    Group(usize),
}

/// A replacement string, checked against the groups of its regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pieces: Vec<Piece>,
}

impl Replacement {
    /// Parses `text` with `java.util.regex.Matcher`'s rules: after `$`, the first digit is always
    /// a group reference, and further digits are taken only while the number stays a valid group.
    pub fn parse(text: &str, regex: &Regex) -> Result<Self, String> {
        let group_count = regex.captures_len().saturating_sub(1);
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => literal.push(escaped),
                    None => return Err("character to be escaped is missing".to_string()),
                },
                '$' => {
                    let group = match chars.next() {
                        None => {
                            return Err(
                                "illegal group reference: group index is missing".to_string()
                            );
                        }
                        Some('{') => named_group(&mut chars, regex)?,
                        Some(digit @ '0'..='9') => {
                            let mut group = digit as usize - '0' as usize;
                            while let Some(next) = chars.peek().and_then(|c| c.to_digit(10)) {
                                let longer = group * 10 + next as usize;
                                if longer > group_count {
                                    break;
                                }
                                group = longer;
                                chars.next();
                            }
                            if group > group_count {
                                return Err(format!(
                                    "no group {group} (the regex has {group_count})"
                                ));
                            }
                            group
                        }
                        Some(other) => return Err(format!("illegal group reference '${other}'")),
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Group(group));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Replacement { pieces })
    }

    /// Appends the replacement for `captures` to `out`; groups that did not take part in the
    /// match expand to nothing, as in Java.
    pub fn expand(&self, captures: &Captures<'_>, out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Group(index) => {
                    if let Some(group) = captures.get(*index) {
                        out.push_str(group.as_str());
                    }
                }
            }
        }
    }
}

/// `${name}`: the name holds ASCII letters and digits and starts with a letter, as in Java.
fn named_group(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    regex: &Regex,
) -> Result<usize, String> {
    let mut name = String::new();
    while let Some(c) = chars.peek().copied().filter(char::is_ascii_alphanumeric) {
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        return Err("named capturing group has 0 length name".to_string());
    }
    if chars.next() != Some('}') {
        return Err("named capturing group is missing trailing '}'".to_string());
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "capturing group name {{{name}}} starts with digit character"
        ));
    }
    regex
        .capture_names()
        .position(|n| n == Some(name.as_str()))
        .ok_or_else(|| format!("no group with name {{{name}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(pattern: &str, replacement: &str, input: &str) -> Result<String, String> {
        let regex = Regex::new(pattern).map_err(|e| e.to_string())?;
        let replacement = Replacement::parse(replacement, &regex)?;
        let captures = regex.captures(input).ok_or("no match")?;
        let mut out = String::new();
        replacement.expand(&captures, &mut out);
        Ok(out)
    }

    #[test]
    fn group_then_literal_digits_and_letters() {
        assert_eq!(expand("(a)(b)", "$1a", "ab").unwrap(), "aa");
        // Only two groups: `$12` is group 1 followed by "2".
        assert_eq!(expand("(a)(b)", "$12", "ab").unwrap(), "a2");
        assert_eq!(expand("(a)(b)", "$2$1", "ab").unwrap(), "ba");
        assert_eq!(expand("(a)(b)", "$0!", "ab").unwrap(), "ab!");
    }

    #[test]
    fn two_digit_groups_when_they_exist() {
        let pattern = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)";
        assert_eq!(expand(pattern, "$12", "abcdefghijkl").unwrap(), "l");
        assert_eq!(expand(pattern, "$13", "abcdefghijkl").unwrap(), "a3");
    }

    #[test]
    fn named_groups_and_escapes() {
        assert_eq!(
            expand("(?<env>[a-z]+)-(x)", "${env}_\\$1\\\\", "prod-x").unwrap(),
            "prod_$1\\"
        );
        assert_eq!(expand("a(b)?", "[$1]", "a").unwrap(), "[]");
    }

    #[test]
    fn invalid_replacements() {
        assert_eq!(
            expand("(a)", "$2", "a").unwrap_err(),
            "no group 2 (the regex has 1)"
        );
        assert_eq!(
            expand("(a)", "x$", "a").unwrap_err(),
            "illegal group reference: group index is missing"
        );
        assert_eq!(
            expand("(a)", "$x", "a").unwrap_err(),
            "illegal group reference '$x'"
        );
        assert_eq!(
            expand("(a)", "x\\", "a").unwrap_err(),
            "character to be escaped is missing"
        );
        assert_eq!(
            expand("(a)", "${}", "a").unwrap_err(),
            "named capturing group has 0 length name"
        );
        assert_eq!(
            expand("(a)", "${a_b}", "a").unwrap_err(),
            "named capturing group is missing trailing '}'"
        );
        assert_eq!(
            expand("(a)", "${1a}", "a").unwrap_err(),
            "capturing group name {1a} starts with digit character"
        );
        assert_eq!(
            expand("(a)", "${nope}", "a").unwrap_err(),
            "no group with name {nope}"
        );
    }
}
