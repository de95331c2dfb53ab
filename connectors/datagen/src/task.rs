//! The datagen source task: numbered records, paced, resumable from the stored sequence number.

use std::time::Duration;

use async_trait::async_trait;
use sluice_api::{ConnectError, ConnectResult, Record, SourceTask, SourceTaskContext};
use tokio::time::Instant;

use crate::config::DatagenConfig;
use crate::event::{EventGenerator, SEQ_FIELD, source_partition};
use crate::pacing::Pacer;

/// How long a finished task waits inside `poll` before returning an empty batch.
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// Generates `vehicle.location.updated` events.
#[derive(Debug, Default)]
pub struct DatagenTask {
    run: Option<Run>,
}

/// State of a started task.
#[derive(Debug)]
struct Run {
    generator: EventGenerator,
    next_seq: u64,
    /// Sequence number at which the task stops; `None` = never.
    end: Option<u64>,
    batch_size: u64,
    pacer: Pacer,
}

#[async_trait]
impl SourceTask for DatagenTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()> {
        let config = DatagenConfig::parse(&ctx.config)?;
        let partition = source_partition(ctx.task_id);
        let next_seq = match ctx.offsets.offset(&partition) {
            Some(offset) => resume_seq(offset)?,
            None => 0,
        };
        tracing::debug!(task = ctx.task_id, next_seq, "datagen task starting");
        self.run = Some(Run {
            generator: EventGenerator::new(&config, ctx.task_id),
            next_seq,
            end: config.iterations,
            batch_size: config.batch_size as u64,
            pacer: Pacer::new(Instant::now(), config.rate),
        });
        Ok(())
    }

    /// Cancel-safe: the only awaits are sleeps that happen before any state changes.
    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("datagen task polled before it was started"))?;
        let remaining = run
            .end
            .map_or(u64::MAX, |end| end.saturating_sub(run.next_seq));
        if remaining == 0 {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let allowance = loop {
            match run.pacer.allowance(Instant::now()) {
                0 => tokio::time::sleep_until(run.pacer.next_due()).await,
                n => break n,
            }
        };
        let count = remaining.min(run.batch_size).min(allowance);
        let first = run.next_seq;
        let records = (first..first.saturating_add(count))
            .map(|seq| run.generator.record(seq))
            .collect();
        run.next_seq = first.saturating_add(count);
        run.pacer.emitted(count);
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.run = None;
        Ok(())
    }
}

/// The sequence number after the one stored in `offset`.
fn resume_seq(offset: &sluice_api::OffsetMap) -> ConnectResult<u64> {
    match offset.get(SEQ_FIELD) {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(seq) => seq
            .as_u64()
            .map(|seq| seq.saturating_add(1))
            .ok_or_else(|| {
                ConnectError::fatal(format!(
                    "datagen: stored offset {} has no valid '{SEQ_FIELD}' (a non-negative integer)",
                    serde_json::Value::Object(offset.clone())
                ))
            }),
    }
}

#[cfg(test)]
mod tests;
