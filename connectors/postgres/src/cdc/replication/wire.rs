//! Backend message framing on a replication connection: a tag byte, a length, a body. Only the
//! few message kinds a replication client meets are decoded; the frontend side is written with
//! `postgres_protocol`'s message builders.

use bytes::{Buf, Bytes, BytesMut};
use sluice_api::ConnectError;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_postgres::error::SqlState;

use crate::error::{is_data_error, is_retriable};

/// One backend message: its tag and its body (the length prefix removed).
#[derive(Debug)]
pub struct Frame {
    pub tag: u8,
    pub body: Bytes,
}

/// Reads whole frames from the socket into a buffer kept across calls, so that a cancelled
/// read loses nothing.
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
}

/// Room read ahead of the parser: large enough that a busy stream is read in few system calls.
const READ_CHUNK: usize = 256 * 1024;

impl FrameReader {
    pub fn new() -> Self {
        FrameReader {
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// The next frame, waiting for the socket when the buffer holds no whole one.
    pub async fn next(&mut self, stream: &mut TcpStream) -> Result<Frame, ConnectError> {
        loop {
            if let Some(frame) = self.parse()? {
                return Ok(frame);
            }
            if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
                self.buf.reserve(READ_CHUNK);
            }
            let read = stream.read_buf(&mut self.buf).await.map_err(|e| {
                ConnectError::retriable(format!("replication connection failed: {e}")).caused_by(e)
            })?;
            if read == 0 {
                return Err(ConnectError::retriable(
                    "PostgreSQL closed the replication connection",
                ));
            }
        }
    }

    /// A frame already in the buffer, if any.
    fn parse(&mut self) -> Result<Option<Frame>, ConnectError> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let tag = self.buf[0];
        let len = i32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
        let len = usize::try_from(len)
            .ok()
            .filter(|len| *len >= 4)
            .ok_or_else(|| {
                ConnectError::fatal(format!("invalid message length {len} from PostgreSQL"))
            })?;
        if self.buf.len() < len + 1 {
            self.buf.reserve(len + 1 - self.buf.len());
            return Ok(None);
        }
        let mut frame = self.buf.split_to(len + 1);
        frame.advance(5);
        Ok(Some(Frame {
            tag,
            body: frame.freeze(),
        }))
    }
}

/// An `ErrorResponse` turned into a classified error.
pub fn server_error(body: &[u8], context: &str) -> ConnectError {
    let mut code = String::new();
    let mut message = String::new();
    for field in body.split(|b| *b == 0) {
        let Some((&kind, value)) = field.split_first() else {
            continue;
        };
        let value = String::from_utf8_lossy(value);
        match kind {
            b'C' => code = value.into_owned(),
            b'M' => message = value.into_owned(),
            _ => {}
        }
    }
    let text = format!("{context}: {message} (SQLSTATE {code})");
    let state = SqlState::from_code(&code);
    // 55006: the slot is still held by a walsender whose client went away (e.g. a killed
    // worker); it is released as soon as the server notices.
    if is_retriable(&state) || code == "55006" {
        ConnectError::retriable(text)
    } else if is_data_error(&state) {
        ConnectError::data(text)
    } else {
        ConnectError::fatal(text)
    }
}

/// The values of a `DataRow`, as text (`None` for NULL).
pub fn data_row(mut body: Bytes) -> Result<Vec<Option<String>>, ConnectError> {
    let truncated = || ConnectError::fatal("truncated DataRow from PostgreSQL");
    if body.len() < 2 {
        return Err(truncated());
    }
    let count = body.get_i16();
    let mut values = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        if body.len() < 4 {
            return Err(truncated());
        }
        let len = body.get_i32();
        match usize::try_from(len) {
            Err(_) => values.push(None),
            Ok(len) if len <= body.len() => {
                let value = body.split_to(len);
                values.push(Some(String::from_utf8_lossy(&value).into_owned()));
            }
            Ok(_) => return Err(truncated()),
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_frames_and_keeps_partial_ones() {
        let mut reader = FrameReader::new();
        reader.buf.extend_from_slice(b"Z\0\0\0\x05I");
        reader.buf.extend_from_slice(b"C\0\0\0\x0bSEL");
        let frame = reader.parse().unwrap().unwrap();
        assert_eq!((frame.tag, &frame.body[..]), (b'Z', &b"I"[..]));
        assert!(reader.parse().unwrap().is_none());
        reader.buf.extend_from_slice(b"ECT\0");
        let frame = reader.parse().unwrap().unwrap();
        assert_eq!(&frame.body[..], b"SELECT\0");
    }

    #[test]
    fn decodes_rows_and_errors() {
        let row = Bytes::from_static(b"\0\x02\0\0\0\x02ab\xff\xff\xff\xff");
        assert_eq!(data_row(row).unwrap(), [Some("ab".to_string()), None]);
        let err = server_error(
            b"SERROR\0C42704\0Mreplication slot \"x\" does not exist\0\0",
            "START_REPLICATION",
        );
        assert!(!err.is_retriable());
        assert!(
            err.to_string().contains("slot \"x\" does not exist"),
            "{err}"
        );
        let err = server_error(b"C57P01\0Mterminating\0\0", "stream");
        assert!(err.is_retriable());
    }
}
