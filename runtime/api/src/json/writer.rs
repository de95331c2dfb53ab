//! A minimal JSON writer that produces exactly what Jackson's default generator writes: no
//! whitespace, `\uXXXX` escapes with upper-case hex, non-ASCII text as raw UTF-8, binary as
//! padded standard base64, and non-finite floats as quoted strings.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::number::{java_double_to_string, java_float_to_string};

pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

impl Writer {
    pub(crate) fn new() -> Self {
        Writer {
            out: Vec::with_capacity(256),
        }
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    pub(crate) fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    pub(crate) fn null(&mut self) {
        self.raw(b"null");
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.raw(if v { b"true" } else { b"false" });
    }

    pub(crate) fn int(&mut self, v: i64) {
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{v}");
    }

    /// Jackson quotes NaN and the infinities (QUOTE_NON_NUMERIC_NUMBERS is on by default).
    pub(crate) fn double(&mut self, v: f64) {
        let text = java_double_to_string(v);
        self.number_text(&text, v.is_finite());
    }

    pub(crate) fn float(&mut self, v: f32) {
        let text = java_float_to_string(v);
        self.number_text(&text, v.is_finite());
    }

    fn number_text(&mut self, text: &str, finite: bool) {
        if finite {
            self.raw(text.as_bytes());
        } else {
            self.string(text);
        }
    }

    pub(crate) fn base64(&mut self, bytes: &[u8]) {
        self.byte(b'"');
        let start = self.out.len();
        self.out.resize(start + bytes.len().div_ceil(3) * 4, 0);
        let written = STANDARD
            .encode_slice(bytes, &mut self.out[start..])
            .expect("buffer sized for the base64 output");
        self.out.truncate(start + written);
        self.byte(b'"');
    }

    /// A quoted string; only `"`, `\` and control characters are escaped, as Jackson does.
    pub(crate) fn string(&mut self, s: &str) {
        self.byte(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                0x08 => b'b',
                0x09 => b't',
                0x0a => b'n',
                0x0c => b'f',
                0x0d => b'r',
                0x00..=0x1f => 0,
                _ => continue,
            };
            self.out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            if short != 0 {
                self.raw(&[b'\\', short]);
            } else {
                self.raw(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ]);
            }
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.byte(b'"');
    }

    /// An object key followed by the colon.
    pub(crate) fn key(&mut self, key: &str) {
        self.string(key);
        self.byte(b':');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer)) -> String {
        let mut w = Writer::new();
        f(&mut w);
        String::from_utf8(w.out).unwrap()
    }

    #[test]
    fn escapes_like_jackson() {
        let s = written(|w| w.string("a\"b\\c\n\t\r\u{8}\u{c}\u{1}\u{1f}/é"));
        assert_eq!(s, r#""a\"b\\c\n\t\r\b\f\u0001\u001F/é""#);
        let s = written(|w| w.string("\u{7f}€"));
        assert_eq!(s, "\"\u{7f}€\"");
    }

    #[test]
    fn numbers_and_binary() {
        assert_eq!(written(|w| w.double(1.0e-5)), "1.0E-5");
        assert_eq!(written(|w| w.double(f64::NAN)), "\"NaN\"");
        assert_eq!(written(|w| w.float(f32::NEG_INFINITY)), "\"-Infinity\"");
        assert_eq!(written(|w| w.int(i64::MIN)), "-9223372036854775808");
        assert_eq!(written(|w| w.base64(&[0, 1, 2, 255])), "\"AAEC/w==\"");
        assert_eq!(written(|w| w.base64(&[])), "\"\"");
    }
}
