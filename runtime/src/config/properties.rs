//! Java `.properties` files, as Kafka Connect's worker and connector files are written.

use sluice_api::Props;

/// Parses the text of a `.properties` file: `key=value`, `key: value` or `key value`, `#`/`!`
/// comments, backslash line continuations and escapes (`\t`, `\n`, `\uXXXX`, `\=`…).
pub fn parse(text: &str) -> Result<Props, String> {
    let mut props = Props::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let mut logical = line.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_continuation(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        let key = unescape(key).map_err(|e| format!("line {}: {e}", index + 1))?;
        let value = unescape(value).map_err(|e| format!("line {}: {e}", index + 1))?;
        props.insert(key, value);
    }
    Ok(props)
}

/// An odd number of trailing backslashes continues the line.
fn ends_with_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or whitespace, then skips the separator.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return (&line[..i], line[i + 1..].trim_start()),
            c if c.is_whitespace() => {
                let rest = line[i..].trim_start();
                let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim_start();
                return (&line[..i], rest);
            }
            _ => {}
        }
    }
    (line, "")
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("malformed \\u escape '\\u{hex}'"))?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kafka_connect_style_files() {
        let text = "# comment\n! also\nname=local-file-source\nconnector.class : FileStreamSource\n\
                    tasks.max 1\nfile=/tmp/a\\\n   b.txt\nregex=a\\=b\\u0041\nempty=\n";
        let props = parse(text).unwrap();
        assert_eq!(props["name"], "local-file-source");
        assert_eq!(props["connector.class"], "FileStreamSource");
        assert_eq!(props["tasks.max"], "1");
        assert_eq!(props["file"], "/tmp/ab.txt");
        assert_eq!(props["regex"], "a=bA");
        assert_eq!(props["empty"], "");
        assert_eq!(props.len(), 6);
    }

    #[test]
    fn rejects_bad_unicode_escape() {
        assert_eq!(
            parse("k=\\uZZZZ").unwrap_err(),
            "line 1: malformed \\u escape '\\uZZZZ'"
        );
    }
}
