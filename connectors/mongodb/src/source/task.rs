//! The source task: opens the change stream where the stored offset (or `startup.mode`) says,
//! copies existing data first when asked, and hands on up to `poll.max.batch.size` events per
//! poll, or a heartbeat when the stream is quiet.

use std::time::Duration;

use async_trait::async_trait;
use mongodb::Client;
use mongodb::bson::Document;
use sluice_api::{ConnectError, ConnectResult, Record, SourceTask, SourceTaskContext};
use tokio::time::Instant;

use super::config::{SourceConfig, StartupMode};
use super::copy_existing::Copier;
use super::error::{RECOVERY, classify};
use super::offsets::{self, Stored};
use super::record::RecordBuilder;
use super::stream::{self, StartAt, StreamItem, StreamReader};

/// Reads one change stream.
#[derive(Debug, Default)]
pub struct MongoSourceTask {
    state: Option<TaskState>,
}

/// Everything `poll` changes.
#[derive(Debug)]
struct TaskState {
    config: SourceConfig,
    builder: RecordBuilder,
    /// Made on the first poll (and again after a failed attempt).
    client: Option<Client>,
    phase: Phase,
    /// Where the stream (re)opens: after the last event or quiet batch handed on.
    resume: StartAt,
    /// The newest postBatchResumeToken, for heartbeats.
    latest_token: Option<Document>,
    heartbeat: Option<Heartbeat>,
    /// An error met after some records of a batch, returned by the next poll.
    pending_error: Option<ConnectError>,
}

#[derive(Debug)]
enum Phase {
    /// The stream is to be opened; existing data is copied first when `copy` is set.
    Closed {
        copy: bool,
    },
    /// The stream is open (so nothing written during the copy is missed) while the copy runs.
    Copying {
        copier: Box<Copier>,
        reader: StreamReader,
    },
    Streaming(StreamReader),
}

#[derive(Debug)]
struct Heartbeat {
    interval: Duration,
    last_at: Option<Instant>,
    last_token: String,
}

#[async_trait]
impl SourceTask for MongoSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> ConnectResult<()> {
        let config = SourceConfig::parse(&ctx.config)?;
        let partition = offsets::partition(&config);
        let stored = offsets::stored(&config, &ctx.offsets)?;
        let copy_mode = matches!(config.startup, StartupMode::CopyExisting(_));
        let (resume, copy) = match stored {
            Stored::Token(token) => {
                tracing::info!(token = %super::json::relaxed(&token), "resuming the MongoDB change stream after the stored offset");
                (StartAt::After(token), false)
            }
            // An interrupted copy starts over; a copy marker means nothing to other modes.
            Stored::Copying if copy_mode => {
                tracing::info!("the previous copy of existing data did not finish; copying again");
                (StartAt::Now, true)
            }
            Stored::Copying | Stored::Nothing => match &config.startup {
                StartupMode::Timestamp(Some(ts)) => (StartAt::OperationTime(*ts), false),
                StartupMode::CopyExisting(_) => (StartAt::Now, true),
                StartupMode::Latest | StartupMode::Timestamp(None) => (StartAt::Now, false),
            },
        };
        self.state = Some(TaskState {
            builder: RecordBuilder::new(&config, partition),
            heartbeat: config.heartbeat_interval.map(|interval| Heartbeat {
                interval,
                last_at: None,
                last_token: String::new(),
            }),
            config,
            client: None,
            phase: Phase::Closed { copy },
            resume,
            latest_token: None,
            pending_error: None,
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<Record>> {
        let state = self.state.as_mut().ok_or_else(|| {
            ConnectError::fatal("MongoDB source task polled before it was started")
        })?;
        if let Some(err) = state.pending_error.take() {
            return Err(err);
        }
        let client = state.client().await?;
        loop {
            match std::mem::replace(&mut state.phase, Phase::Closed { copy: false }) {
                Phase::Closed { copy } => {
                    let reader = match state.open_reader(&client).await {
                        Ok(reader) => reader,
                        Err(err) => {
                            state.phase = Phase::Closed { copy };
                            return Err(err);
                        }
                    };
                    state.phase = if let (true, StartupMode::CopyExisting(settings)) =
                        (copy, &state.config.startup)
                    {
                        match Copier::new(&client, &state.config, settings).await {
                            Ok(copier) => Phase::Copying {
                                copier: Box::new(copier),
                                reader,
                            },
                            Err(err) => {
                                reader.stop().await;
                                state.phase = Phase::Closed { copy };
                                return Err(err);
                            }
                        }
                    } else {
                        Phase::Streaming(reader)
                    };
                }
                Phase::Copying { mut copier, reader } => {
                    match copier.next_batch(&client, state.config.max_batch).await {
                        Ok(Some(events)) => {
                            state.phase = Phase::Copying { copier, reader };
                            let mut records = Vec::with_capacity(events.len());
                            for event in &events {
                                records.extend(state.builder.event(event, true)?);
                            }
                            return Ok(records);
                        }
                        Ok(None) => {
                            tracing::info!(
                                "finished copying existing data; streaming changes from the token taken before the copy"
                            );
                            state.phase = Phase::Streaming(reader);
                        }
                        Err(err) => {
                            // The copy starts over on the next poll, from a new stream.
                            reader.stop().await;
                            state.phase = Phase::Closed { copy: true };
                            return Err(err);
                        }
                    }
                }
                Phase::Streaming(mut reader) => match state.read(&mut reader).await {
                    Ok((records, false)) => {
                        state.phase = Phase::Streaming(reader);
                        return Ok(records);
                    }
                    // The resume point is gone and errors are tolerated: open again from now.
                    Ok((records, true)) => {
                        reader.stop().await;
                        if !records.is_empty() {
                            return Ok(records);
                        }
                    }
                    Err(err) => {
                        reader.stop().await;
                        return Err(err);
                    }
                },
            }
        }
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            match state.phase {
                Phase::Copying { reader, .. } | Phase::Streaming(reader) => reader.stop().await,
                Phase::Closed { .. } => {}
            }
        }
        Ok(())
    }
}

impl TaskState {
    async fn client(&mut self) -> ConnectResult<Client> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = Client::with_uri_str(&self.config.uri)
            .await
            .map_err(|e| classify(e, "cannot connect to MongoDB"))?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Opens the stream at `self.resume`. A stored token the server no longer has fails the
    /// task with the documented recovery, unless errors are tolerated: then the stream starts
    /// from the latest change, with a warning, as the official connector does.
    async fn open_reader(&mut self, client: &Client) -> ConnectResult<StreamReader> {
        loop {
            match stream::open(client, &self.config, &self.resume).await {
                Ok((cursor, first)) => {
                    tracing::info!(target = ?self.config.target, start = ?self.resume, "MongoDB change stream opened");
                    return Ok(StreamReader::spawn(cursor, first, self.config.max_batch));
                }
                Err(err)
                    if matches!(self.resume, StartAt::After(_)) && err.is_lost_resume_point() =>
                {
                    self.lost_resume_point(&err.to_string())?;
                }
                Err(err) => {
                    return Err(err.into_connect("cannot open the MongoDB change stream"));
                }
            }
        }
    }

    /// `Ok` (start from the latest change) when errors are tolerated, else the fatal error.
    fn lost_resume_point(&mut self, cause: &str) -> ConnectResult<()> {
        if self.config.tolerate_errors {
            tracing::warn!(
                error = %cause,
                "the MongoDB resume token is no longer available, so changes may have been missed; \
                 restarting the change stream from the latest change because errors.tolerance=all"
            );
            self.resume = StartAt::Now;
            Ok(())
        } else {
            Err(ConnectError::fatal(format!(
                "cannot resume the MongoDB change stream: {cause}; {RECOVERY}"
            )))
        }
    }

    /// Up to `max_batch` records, waiting at most `poll.await.time.ms` for the first; a heartbeat
    /// when there are none and one is due. The flag asks for the stream to be opened again.
    async fn read(&mut self, reader: &mut StreamReader) -> ConnectResult<(Vec<Record>, bool)> {
        let deadline = Instant::now() + self.config.await_time;
        let mut records = Vec::new();
        loop {
            let item = if records.is_empty() {
                let wait = deadline.saturating_duration_since(Instant::now());
                if wait.is_zero() {
                    break;
                }
                reader.next(wait).await
            } else {
                reader.try_next()
            };
            match item {
                Ok(None) => break,
                Ok(Some(StreamItem::Event(event))) => {
                    if let Ok(id) = event.get_document("_id") {
                        self.resume = StartAt::After(id.clone());
                    }
                    records.extend(self.builder.event(&event, false)?);
                    if records.len() >= self.config.max_batch {
                        break;
                    }
                }
                Ok(Some(StreamItem::BatchEnd { token, empty })) => {
                    if let Some(token) = token {
                        self.resume = StartAt::After(token.clone());
                        self.latest_token = Some(token);
                    }
                    if empty || !records.is_empty() {
                        break;
                    }
                }
                Ok(Some(StreamItem::ResumePointLost(cause))) => {
                    return match self.lost_resume_point(&cause) {
                        Ok(()) => Ok((records, true)),
                        Err(err) => self.fail_after(records, err),
                    };
                }
                Err(err) => return self.fail_after(records, err),
            }
        }
        if records.is_empty()
            && let Some(heartbeat) = self.heartbeat()
        {
            records.push(heartbeat);
        }
        Ok((records, false))
    }

    /// Returns `records` now and `err` on the next poll, or `err` at once if there are none.
    fn fail_after(
        &mut self,
        records: Vec<Record>,
        err: ConnectError,
    ) -> ConnectResult<(Vec<Record>, bool)> {
        if records.is_empty() {
            Err(err)
        } else {
            self.pending_error = Some(err);
            // The reader ended with the error: open the stream again after it is reported.
            Ok((records, true))
        }
    }

    /// A heartbeat record when one is due and the token moved since the last one.
    fn heartbeat(&mut self) -> Option<Record> {
        let heartbeat = self.heartbeat.as_mut()?;
        if heartbeat
            .last_at
            .is_some_and(|at| at.elapsed() <= heartbeat.interval)
        {
            return None;
        }
        heartbeat.last_at = Some(Instant::now());
        let (token_json, record) = self.builder.heartbeat(self.latest_token.as_ref()?);
        if token_json == heartbeat.last_token {
            return None;
        }
        tracing::debug!(token = %token_json, "MongoDB heartbeat");
        heartbeat.last_token = token_json;
        Some(record)
    }
}
