//! Splits bytes read from a file into lines, keeping an unfinished last line until its end
//! arrives. Line ends are `\n`, `\r\n` or a lone `\r`, as in Kafka Connect's FileStreamSource.

/// Bytes read but not yet returned as lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Start of the first byte not yet returned.
    start: usize,
    /// Bytes before this index hold no line end: a long unfinished line is not rescanned.
    scanned: usize,
}

impl LineBuffer {
    pub fn extend(&mut self, bytes: &[u8]) {
        // Reclaim the consumed prefix once it dominates, so the buffer stays proportional to the
        // unfinished data rather than to everything ever read.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.scanned = self.scanned.saturating_sub(self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line (invalid UTF-8 replaced) and the bytes it took, line end included.
    pub fn next_line(&mut self) -> Option<(String, usize)> {
        let from = self.scanned.max(self.start);
        let Some(found) = self.buf[from..]
            .iter()
            .position(|b| *b == b'\n' || *b == b'\r')
        else {
            self.scanned = self.buf.len();
            return None;
        };
        let end = from + found;
        let next = match (self.buf[end], self.buf.get(end + 1)) {
            (b'\n', _) => end + 1,
            (_, Some(b'\n')) => end + 2,
            (_, Some(_)) => end + 1,
            // A `\r` last: wait for the next byte to tell `\r\n` from a lone `\r`.
            (_, None) => {
                self.scanned = end;
                return None;
            }
        };
        let line = String::from_utf8_lossy(&self.buf[self.start..end]).into_owned();
        let consumed = next - self.start;
        self.start = next;
        self.scanned = next;
        Some((line, consumed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(buffer: &mut LineBuffer) -> Vec<(String, usize)> {
        std::iter::from_fn(|| buffer.next_line()).collect()
    }

    #[test]
    fn splits_on_every_line_end() {
        let mut buffer = LineBuffer::default();
        buffer.extend(b"a\nbb\r\nccc\rd");
        let lines = drain(&mut buffer);
        assert_eq!(
            lines,
            [("a".into(), 2), ("bb".into(), 4), ("ccc".into(), 4)]
        );
        buffer.extend(b"\n");
        assert_eq!(drain(&mut buffer), [("d".to_string(), 2)]);
    }

    #[test]
    fn waits_for_the_byte_after_a_trailing_cr() {
        let mut buffer = LineBuffer::default();
        buffer.extend(b"x\r");
        assert_eq!(buffer.next_line(), None);
        buffer.extend(b"\ny\n");
        assert_eq!(drain(&mut buffer), [("x".into(), 3), ("y".into(), 2)]);
    }

    #[test]
    fn partial_lines_accumulate_across_reads() {
        let mut buffer = LineBuffer::default();
        for chunk in [&b"hel"[..], b"lo w", b"orld", b"\nnext"] {
            buffer.extend(chunk);
        }
        assert_eq!(drain(&mut buffer), [("hello world".to_string(), 12)]);
        buffer.extend(b"\n");
        assert_eq!(drain(&mut buffer), [("next".to_string(), 5)]);
    }

    #[test]
    fn empty_lines_and_invalid_utf8() {
        let mut buffer = LineBuffer::default();
        buffer.extend(b"\n\xff\xfe\n");
        assert_eq!(
            drain(&mut buffer),
            [(String::new(), 1), ("\u{fffd}\u{fffd}".into(), 3)]
        );
    }
}
