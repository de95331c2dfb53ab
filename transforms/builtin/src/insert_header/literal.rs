//! Kafka Connect's `Values.parseString`: infers a schema and value from a literal such as `42`,
//! `true`, `1.5`, `2019-08-23`, `[1, 2]` or `{"a": 1}`; anything else is the string itself.

use sluice_api::{Schema, Value};

use super::merge::{SchemaMerger, align, map_of};
use super::number::parse_number;
use super::temporal::parse_temporal;

/// A parsed literal. The schema is `None` for `null`, and for an array or map whose element,
/// key or value types Kafka Connect leaves unset (all null, or of no common type): Sluice's
/// schemas cannot leave them unset, so such a value goes without a schema.
pub fn parse_literal(text: &str) -> Literal {
    if text.is_empty() {
        return (Some(Schema::string()), Value::from(""));
    }
    let mut parser = ValueParser {
        tokens: Tokens::new(text),
        original: text,
    };
    match parser.parse(false) {
        Ok(Some(literal)) => literal,
        // A top-level parse never fails: the string is the fallback.
        Ok(None) | Err(Unparsable) => (None, Value::Null),
    }
}

/// A schema (when one can be given) and a value.
pub type Literal = (Option<Schema>, Value);

/// Kafka Connect's `DataException` inside the parser: the text is not a value of the kind tried.
#[derive(Debug)]
pub(super) struct Unparsable;

/// `None` is the `null` literal.
type Parsed = Option<Literal>;

/// Java's `String.trim`: strips characters up to U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// The tokenizer of `Values.Parser`: delimiters are `: , { } [ ] "` unless escaped by `\`.
struct Tokens {
    chars: Vec<char>,
    pos: usize,
    /// A token read ahead by `can_consume`.
    next: Option<String>,
    previous: Option<String>,
}

impl Tokens {
    fn new(text: &str) -> Self {
        Tokens {
            chars: text.chars().collect(),
            pos: 0,
            next: None,
            previous: None,
        }
    }

    fn mark(&self) -> usize {
        self.pos - self.next.as_ref().map_or(0, |t| t.chars().count())
    }

    fn rewind_to(&mut self, position: usize) {
        self.pos = position;
        self.next = None;
        self.previous = None;
    }

    fn has_next(&self) -> bool {
        self.next.is_some() || self.pos < self.chars.len()
    }

    fn next_token(&mut self) -> String {
        let token = match self.next.take() {
            Some(token) => token,
            None => self.consume(),
        };
        self.previous = Some(token.clone());
        token
    }

    /// The text of the next `n` tokens, or `None` (nothing consumed) when there are fewer.
    fn next_n(&mut self, n: usize) -> Option<String> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next_token();
        }
        Some(self.chars[start..self.pos].iter().collect())
    }

    fn consume(&mut self) -> String {
        let start = self.pos;
        let mut escaped = false;
        while self.pos < self.chars.len() {
            match self.chars[self.pos] {
                '\\' => escaped = !escaped,
                ':' | ',' | '{' | '}' | '[' | ']' | '"' if !escaped => {
                    if start < self.pos {
                        return self.chars[start..self.pos].iter().collect();
                    }
                    self.pos += 1;
                    return self.chars[start].to_string();
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// Consumes the next non-blank token if, trimmed, it is `expected`.
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.next.is_none() {
            if !self.has_next() {
                return false;
            }
            self.next = Some(self.consume());
        }
        while self.next.as_deref().is_some_and(is_blank) && self.pos < self.chars.len() {
            self.next = Some(self.consume());
        }
        let found = self
            .next
            .as_deref()
            .is_some_and(|t| java_trim(t) == expected);
        if found {
            self.next = None;
        }
        found
    }
}

/// `Values.ValueParser`.
struct ValueParser<'a> {
    tokens: Tokens,
    original: &'a str,
}

impl ValueParser<'_> {
    /// `Ok(None)` is the `null` literal (or nothing left).
    fn parse(&mut self, embedded: bool) -> Result<Parsed, Unparsable> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        for (literal, value) in [("true", true), ("false", false)] {
            if self.single_token_literal(embedded, literal) {
                return Ok(Some((Some(Schema::boolean()), Value::Boolean(value))));
            }
        }
        let start = self.tokens.mark();
        let container = if self.tokens.can_consume("[") {
            Some(self.parse_array())
        } else if self.tokens.can_consume("{") {
            Some(self.parse_map())
        } else {
            None
        };
        match container {
            Some(Ok(parsed)) => return Ok(Some(parsed)),
            // Not a well-formed array or map: read it as a token instead.
            Some(Err(Unparsable)) => self.tokens.rewind_to(start),
            None => {}
        }
        let token = self.tokens.next_token();
        if is_blank(&token) {
            return Ok(Some((Some(Schema::string()), Value::String(token))));
        }
        self.parse_token(embedded, java_trim(&token))
    }

    /// A literal such as `true` counts only when embedded or when nothing follows it.
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    fn parse_token(&mut self, embedded: bool, token: &str) -> Result<Parsed, Unparsable> {
        let first = token.chars().next().unwrap_or(' ');
        let digit = first.is_ascii_digit();
        if digit && let Some((schema, value)) = self.parse_temporal_tokens(token) {
            return Ok(Some((Some(schema), value)));
        }
        if (digit || first == '+' || first == '-')
            && let Some((schema, value)) = parse_number(token)
        {
            return Ok(Some((Some(schema), value)));
        }
        if embedded {
            return Err(Unparsable);
        }
        Ok(Some((Some(Schema::string()), Value::from(self.original))))
    }

    /// Unescaped colons split times into five tokens: try those first, then the token alone.
    fn parse_temporal_tokens(&mut self, token: &str) -> Option<(Schema, Value)> {
        let position = self.tokens.mark();
        if let Some(rest) = self.tokens.next_n(4)
            && let Some(temporal) = parse_temporal(&format!("{token}{rest}"))
        {
            return Some(temporal);
        }
        self.tokens.rewind_to(position);
        parse_temporal(token)
    }

    fn parse_quoted(&mut self) -> Literal {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(&self.tokens.next_token());
        }
        match parse_temporal(&content) {
            Some((schema, value)) => (Some(schema), value),
            None => (Some(Schema::string()), Value::String(content)),
        }
    }

    fn parse_array(&mut self) -> Result<Literal, Unparsable> {
        let mut elements = Vec::new();
        let mut common = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                let Some(element_schema) = common.schema() else {
                    return Ok((None, Value::Array(elements)));
                };
                let elements = elements
                    .into_iter()
                    .map(|e| align(e, &element_schema))
                    .collect::<Result<_, _>>()?;
                return Ok((Some(Schema::array(element_schema)), Value::Array(elements)));
            }
            if self.tokens.can_consume(",") {
                return Err(Unparsable);
            }
            let element = self.parse(true)?;
            common.merge(element.as_ref());
            elements.push(element.map_or(Value::Null, |(_, value)| value));
            let position = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(position);
            } else if !self.tokens.can_consume(",") {
                return Err(Unparsable);
            }
        }
        Err(Unparsable)
    }

    fn parse_map(&mut self) -> Result<Literal, Unparsable> {
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let (mut keys, mut values) = (SchemaMerger::default(), SchemaMerger::default());
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                return map_of(entries, keys.schema(), values.schema());
            }
            if self.tokens.can_consume(",") {
                return Err(Unparsable);
            }
            let Some((key_schema, key)) = self.parse(true)? else {
                return Err(Unparsable);
            };
            if !self.tokens.can_consume(":") {
                return Err(Unparsable);
            }
            let value = self.parse(true)?;
            keys.merge(Some(&(key_schema, Value::Null)));
            values.merge(value.as_ref());
            let value = value.map_or(Value::Null, |(_, value)| value);
            // A repeated key keeps its place and takes the new value, as in a LinkedHashMap.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
            self.tokens.can_consume(",");
        }
        Err(Unparsable)
    }
}
