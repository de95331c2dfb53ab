//! The file sink: appends one line per record, as Kafka Connect's FileStreamSink, but writes
//! non-string values as compact JSON and makes `flush` durable (fsync).

use std::borrow::Cow;

use async_trait::async_trait;
use sluice_api::connector::replicate_config;
use sluice_api::json::{JsonOptions, to_json_bytes};
use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, PartitionOffsets, Props, Record, SinkConnector,
    SinkTask, SinkTaskContext, Value,
};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::config::{FileSinkConfig, sink_config_def};

/// Appends records to a file.
#[derive(Debug, Default)]
pub struct FileSinkConnector {
    props: Props,
}

#[async_trait]
impl SinkConnector for FileSinkConnector {
    fn config_def(&self) -> ConfigDef {
        sink_config_def()
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        FileSinkConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(replicate_config(&self.props, max_tasks))
    }

    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileSinkTask::default())
    }
}

/// Writes one line per record. The file is opened on first use, so a destination that is not
/// there yet (an unmounted volume, a missing directory) is retried rather than failing the task.
#[derive(Debug, Default)]
pub struct FileSinkTask {
    path: Option<String>,
    output: Option<Output>,
}

#[derive(Debug)]
struct Output {
    path: String,
    writer: BufWriter<File>,
}

impl Output {
    fn error(&self, action: &str, error: std::io::Error) -> ConnectError {
        ConnectError::retriable(format!(
            "file sink: failed to {action} '{}': {error}",
            self.path
        ))
        .caused_by(error)
    }
}

#[async_trait]
impl SinkTask for FileSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> ConnectResult<()> {
        let config = FileSinkConfig::parse(&ctx.config)?;
        self.path = Some(config.file);
        Ok(())
    }

    /// Renders the whole batch before writing, so a record that cannot be rendered fails the
    /// batch before any of it reaches the file (the runtime may deliver it again).
    async fn put(&mut self, records: &[Record]) -> ConnectResult<()> {
        let output = open(&self.path, &mut self.output).await?;
        let mut lines = Vec::new();
        for record in records {
            lines.extend_from_slice(&render(record)?);
            lines.push(b'\n');
        }
        output
            .writer
            .write_all(&lines)
            .await
            .map_err(|e| output.error("write to", e))
    }

    /// Durable on return: the buffer is written and the data synced to disk.
    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        let output = open(&self.path, &mut self.output).await?;
        output
            .writer
            .flush()
            .await
            .map_err(|e| output.error("write to", e))?;
        output
            .writer
            .get_ref()
            .sync_data()
            .await
            .map_err(|e| output.error("sync", e))
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut output) = self.output.take() {
            // Best effort, as Kafka Connect closes its stream: unflushed records are redelivered.
            if let Err(e) = output.writer.flush().await {
                tracing::warn!(file = output.path, error = %e, "file sink: flush on stop failed");
            }
        }
        Ok(())
    }
}

/// The open output, opening the file (append, create) on first use.
async fn open<'a>(
    path: &Option<String>,
    output: &'a mut Option<Output>,
) -> ConnectResult<&'a mut Output> {
    if output.is_none() {
        let path = path
            .clone()
            .ok_or_else(|| ConnectError::fatal("file sink task used before it was started"))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(|e| {
                ConnectError::retriable(format!(
                    "file sink: couldn't find or create file '{path}': {e}"
                ))
                .caused_by(e)
            })?;
        *output = Some(Output {
            path,
            writer: BufWriter::new(file),
        });
    }
    output
        .as_mut()
        .ok_or_else(|| ConnectError::fatal("file sink output missing after open"))
}

/// The line for a record: a string as is, null as `null`, anything else as the compact JSON
/// Kafka Connect's JsonConverter writes without schemas (field order and number format kept).
fn render(record: &Record) -> ConnectResult<Cow<'_, [u8]>> {
    match &record.value {
        Value::String(text) => Ok(Cow::Borrowed(text.as_bytes())),
        Value::Null => Ok(Cow::Borrowed(b"null")),
        value => {
            let json = to_json_bytes(
                record.value_schema.as_deref(),
                value,
                &JsonOptions::default(),
            )?;
            Ok(Cow::Owned(json))
        }
    }
}

#[cfg(test)]
mod tests;
