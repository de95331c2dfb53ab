//! A small JSON parser into a borrowed tree. Numbers keep their text, so that decimals and
//! large integers are decoded exactly, and object members keep their raw bytes, so that a
//! converter can recognise a schema it has already parsed by comparing bytes.
//!
//! It accepts what Kafka Connect's JsonDeserializer accepts: strict JSON plus leading zeros in
//! numbers; duplicate keys keep the last value at the first key's position (Jackson's tree).

use std::borrow::Cow;
use std::collections::HashMap;

/// Jackson's default nesting limit (StreamReadConstraints); also keeps recursion bounded.
const MAX_DEPTH: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    /// The number's text, validated against the JSON grammar.
    Number(&'a str),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Node<'a>,
    /// The member value's bytes as they appear in the input.
    pub(crate) raw: &'a [u8],
}

impl<'a> Node<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.member(key).map(|m| &m.value)
    }

    pub(crate) fn member(&self, key: &str) -> Option<&Member<'a>> {
        match self {
            Node::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    /// Jackson's JsonNodeType name, used in Kafka Connect's error texts.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Bool(_) => "BOOLEAN",
            Node::Number(_) => "NUMBER",
            Node::Str(_) => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }

    /// Whether the number is written as an integer (Jackson's "integral number").
    pub(crate) fn is_integral(text: &str) -> bool {
        !text.contains(['.', 'e', 'E'])
    }
}

/// Parses one JSON document; `Ok(None)` for empty or all-whitespace input, which Jackson reads
/// as a "missing" node.
pub(crate) fn parse(input: &[u8]) -> Result<Option<Node<'_>>, String> {
    let text = std::str::from_utf8(input)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    let mut p = Parser {
        s: text,
        b: input,
        pos: 0,
    };
    p.skip_ws();
    if p.pos == input.len() {
        return Ok(None);
    }
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("unexpected content after the JSON value"));
    }
    Ok(Some(node))
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.pos)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", byte as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, String> {
        if depth >= MAX_DEPTH {
            return Err(self.err("nesting depth exceeds 1000"));
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Node::Str(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>, String> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.err("unrecognized token"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node<'a>, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return Err(self.err("expected a digit"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        Ok(Node::Number(&self.s[start..self.pos]))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.pos += 1; // opening quote
        let start = self.pos;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Borrowed(&self.s[start..self.pos - 1]));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => return Err(self.err("control character in string")),
                Some(_) => self.pos += 1,
                None => return Err(self.err("unterminated string")),
            }
        }
        let mut out = String::from(&self.s[start..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(0x00..=0x1f) => return Err(self.err("control character in string")),
                Some(_) => {
                    let run = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.s[run..self.pos]);
                }
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                // A surrogate pair spells one character; a lone surrogate cannot live in a Rust
                // string and becomes U+FFFD (Java would keep it).
                let c =
                    if (0xd800..0xdc00).contains(&unit) && self.b[self.pos..].starts_with(b"\\u") {
                        let save = self.pos;
                        self.pos += 2;
                        let low = self.hex4()?;
                        if (0xdc00..0xe000).contains(&low) {
                            char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                        } else {
                            self.pos = save;
                            None
                        }
                    } else {
                        char::from_u32(unit)
                    };
                out.push(c.unwrap_or('\u{fffd}'));
                return Ok(());
            }
            _ => return Err(self.err("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.err("invalid \\u escape"));
        }
        let unit = hex.iter().fold(0, |acc, &h| {
            acc * 16 + (h as char).to_digit(16).unwrap_or(0)
        });
        self.pos += 4;
        Ok(unit)
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, String> {
        self.pos += 1;
        let mut members: Vec<Member<'a>> = Vec::new();
        let mut index: Option<HashMap<Cow<'a, str>, usize>> = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a field name"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.skip_ws();
            let start = self.pos;
            let value = self.value(depth + 1)?;
            let member = Member {
                key,
                value,
                raw: &self.b[start..self.pos],
            };
            insert(&mut members, &mut index, member);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object(members));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
}

/// Adds a member, replacing the value of an earlier one with the same key. Small objects are
/// scanned; large ones get a key index so that parsing stays linear.
fn insert<'a>(
    members: &mut Vec<Member<'a>>,
    index: &mut Option<HashMap<Cow<'a, str>, usize>>,
    member: Member<'a>,
) {
    const SCAN_LIMIT: usize = 16;
    if index.is_none() && members.len() >= SCAN_LIMIT {
        *index = Some(
            members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.key.clone(), i))
                .collect(),
        );
    }
    let existing = match index {
        Some(index) => match index.get(&member.key) {
            Some(&i) => Some(i),
            None => {
                index.insert(member.key.clone(), members.len());
                None
            }
        },
        None => members.iter().position(|m| m.key == member.key),
    };
    match existing {
        Some(i) => {
            members[i].value = member.value;
            members[i].raw = member.raw;
        }
        None => members.push(member),
    }
}
