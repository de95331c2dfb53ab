//! The file source task: tails a file line by line and records, per line, the byte position
//! after it, so a restarted task resumes exactly there.

use std::io::{ErrorKind, SeekFrom};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, OffsetMap, Record, Schema, SchemaRef, SourceTask,
    SourceTaskContext, Value,
};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::config::FileSourceConfig;
use crate::lines::LineBuffer;

/// Source-partition field naming the file, as in Kafka Connect.
pub const FILENAME_FIELD: &str = "filename";
/// Source-offset field holding the byte position after the line, as in Kafka Connect.
pub const POSITION_FIELD: &str = "position";
/// How long `poll` waits when the file is missing or has no new complete line (Kafka Connect's value).
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// Bytes read from the file at a time.
const CHUNK_SIZE: usize = 64 * 1024;

/// Reads lines of one file.
#[derive(Debug, Default)]
pub struct FileSourceTask {
    state: Option<TailState>,
}

/// Everything `poll` changes lives here, so that a cancelled `poll` loses nothing.
#[derive(Debug)]
struct TailState {
    config: FileSourceConfig,
    partition: OffsetMap,
    value_schema: SchemaRef,
    /// Opened lazily: the file may not exist yet.
    file: Option<File>,
    /// Byte position after the last line turned into a record.
    position: u64,
    lines: LineBuffer,
    chunk: Vec<u8>,
    /// Records of the batch being filled.
    batch: Vec<Record>,
}

/// The source partition of a file: its name as configured.
pub fn source_partition(file: &str) -> OffsetMap {
    let mut partition = OffsetMap::new();
    partition.insert(FILENAME_FIELD.to_string(), file.into());
    partition
}

#[async_trait]
impl SourceTask for FileSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()> {
        let config = FileSourceConfig::parse(&ctx.config)?;
        let partition = source_partition(&config.file);
        let position = match ctx
            .offsets
            .offset(&partition)
            .and_then(|o| o.get(POSITION_FIELD))
        {
            None | Some(serde_json::Value::Null) => 0,
            Some(position) => position.as_u64().ok_or_else(|| {
                ConnectError::fatal(format!(
                    "file source: stored offset position {position} of '{}' is the incorrect type \
                     (expected a non-negative integer)",
                    config.file
                ))
            })?,
        };
        self.state = Some(TailState {
            config,
            partition,
            // Kafka Connect's FileStreamSource declares its lines as a required string.
            value_schema: Arc::new(Schema::string()),
            file: None,
            position,
            lines: LineBuffer::default(),
            chunk: vec![0; CHUNK_SIZE],
            batch: Vec::new(),
        });
        Ok(())
    }

    /// Cancel-safe: state changes only between awaits, and tokio's `File` keeps the result of a
    /// read interrupted by cancellation for the next read.
    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("file source task polled before it was started"))?;
        if state.file.is_none() {
            match open_at(&state.config.file, state.position).await? {
                Some(file) => state.file = Some(file),
                None => {
                    tokio::time::sleep(IDLE_WAIT).await;
                    return Ok(Vec::new());
                }
            }
        }
        loop {
            state.take_lines();
            if state.batch.len() >= state.config.batch_size {
                break;
            }
            let Some(file) = state.file.as_mut() else {
                break;
            };
            let read = file
                .read(&mut state.chunk)
                .await
                .map_err(|e| io_error("read", &state.config.file, e))?;
            if read == 0 {
                break;
            }
            state.lines.extend(&state.chunk[..read]);
        }
        if state.batch.is_empty() {
            // Nothing new: wait for the file to grow, like Kafka Connect's 1 s back-off.
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(std::mem::take(&mut state.batch))
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.state = None;
        Ok(())
    }
}

impl TailState {
    /// Moves complete lines from the buffer into the batch, up to the batch size.
    fn take_lines(&mut self) {
        while self.batch.len() < self.config.batch_size {
            let Some((line, consumed)) = self.lines.next_line() else {
                break;
            };
            self.position += consumed as u64;
            let mut offset = OffsetMap::new();
            offset.insert(POSITION_FIELD.to_string(), self.position.into());
            let record = Record::new(self.config.topic.clone())
                .with_value(Some(self.value_schema.clone()), Value::String(line))
                .with_timestamp(now_ms())
                .with_source(self.partition.clone(), offset);
            self.batch.push(record);
        }
    }
}

/// Opens `path` and seeks to `position`; `None` when the file does not exist (yet).
async fn open_at(path: &str, position: u64) -> ConnectResult<Option<File>> {
    let mut file = match File::open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            tracing::warn!(
                file = path,
                "file source: file not found, waiting for it to be created"
            );
            return Ok(None);
        }
        Err(e) => return Err(io_error("open", path, e)),
    };
    if position > 0 {
        let length = file
            .metadata()
            .await
            .map_err(|e| io_error("inspect", path, e))?
            .len();
        if length < position {
            tracing::warn!(
                file = path,
                position,
                length,
                "file source: file is shorter than the stored position (truncated?); waiting for it to grow past it"
            );
        }
        file.seek(SeekFrom::Start(position))
            .await
            .map_err(|e| io_error("seek in", path, e))?;
    }
    tracing::debug!(file = path, position, "file source: reading");
    Ok(Some(file))
}

fn io_error(action: &str, path: &str, error: std::io::Error) -> ConnectError {
    ConnectError::retriable(format!("file source: failed to {action} '{path}': {error}"))
        .caused_by(error)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
