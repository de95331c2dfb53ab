//! The config topic as a store: writes connector configs, task configs, target states and
//! restart requests as [`ConfigRecord`]s, and folds what the topic holds into a
//! [`ConfigState`].
//!
//! Writes return once the broker has acknowledged them. They do not update any state: every
//! worker, the writer included, learns of a change by reading the topic, so all of them apply
//! the same records in the same order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::FutureProducer;
use sluice_api::{ConnectError, ConnectResult, Props};

use super::config_log::{ConfigRecord, ConfigState};
use super::topics::{self, RawRecord, TopicReader};
use crate::config::WorkerConfig;
use crate::herder::{RestartRequest, TargetState};
use crate::worker::status::TaskId;

/// The config topic has a single partition; its order is the order of the cluster's changes.
const PARTITION: i32 = 0;
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

pub struct KafkaConfigStore {
    topic: String,
    producer: FutureProducer,
    /// Shared with the blocking task each read runs on.
    reader: Arc<Mutex<TopicReader>>,
}

impl KafkaConfigStore {
    /// Connects to `topic`, which [`topics::ensure_internal_topics`] has created and checked.
    pub fn open(worker: &WorkerConfig, topic: &str) -> ConnectResult<KafkaConfigStore> {
        let producer = topics::producer(worker, "sluice-config-writer", WRITE_TIMEOUT)?;
        let reader = TopicReader::new(worker, topic, "sluice-config-reader", Some(PARTITION))?;
        Ok(KafkaConfigStore {
            topic: topic.to_string(),
            producer,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Writes a connector's config; `target`, when given, is written first, so that a connector
    /// created paused or stopped never runs.
    pub async fn put_connector_config(
        &self,
        name: &str,
        props: &Props,
        target: Option<TargetState>,
    ) -> ConnectResult<()> {
        let mut records = Vec::new();
        if let Some(state) = target {
            records.push(ConfigRecord::TargetState {
                connector: name.to_string(),
                state: Some(state),
            });
        }
        records.push(ConfigRecord::Connector {
            name: name.to_string(),
            props: Some(props.clone()),
        });
        self.write(&records).await
    }

    /// Writes the full set of a connector's task configs, then the commit that makes readers
    /// use them. The commit is sent only once every task config is acknowledged, so a failed
    /// write never leaves a commit over missing configs.
    pub async fn put_task_configs(&self, connector: &str, configs: &[Props]) -> ConnectResult<()> {
        let count = u32::try_from(configs.len()).map_err(|_| {
            ConnectError::fatal(format!("connector {connector} has too many tasks"))
        })?;
        let tasks: Vec<ConfigRecord> = (0..count)
            .zip(configs)
            .map(|(task, props)| ConfigRecord::Task {
                id: TaskId {
                    connector: connector.to_string(),
                    task,
                },
                props: Some(props.clone()),
            })
            .collect();
        self.write(&tasks).await?;
        self.write(&[ConfigRecord::Commit {
            connector: connector.to_string(),
            tasks: count,
        }])
        .await
    }

    pub async fn put_target_state(&self, connector: &str, state: TargetState) -> ConnectResult<()> {
        self.write(&[ConfigRecord::TargetState {
            connector: connector.to_string(),
            state: Some(state),
        }])
        .await
    }

    pub async fn put_restart_request(
        &self,
        connector: &str,
        request: RestartRequest,
    ) -> ConnectResult<()> {
        self.write(&[ConfigRecord::Restart {
            connector: connector.to_string(),
            request,
        }])
        .await
    }

    /// Deletes a connector: tombstones for its config and its target state. Its task configs
    /// stay in the topic, as Kafka Connect leaves them; readers drop them along with the
    /// connector.
    pub async fn remove_connector(&self, connector: &str) -> ConnectResult<()> {
        self.write(&[
            ConfigRecord::Connector {
                name: connector.to_string(),
                props: None,
            },
            ConfigRecord::TargetState {
                connector: connector.to_string(),
                state: None,
            },
        ])
        .await
    }

    /// Writes records in order and waits until all are acknowledged.
    pub async fn write(&self, records: &[ConfigRecord]) -> ConnectResult<()> {
        // Every record is queued before any is awaited: the producer keeps them in order, and
        // a set of records costs one round trip instead of one each.
        let mut deliveries = Vec::with_capacity(records.len());
        for record in records {
            let (key, value) = record.encode();
            let delivery = topics::send(
                &self.producer,
                &self.topic,
                Some(PARTITION),
                &key,
                value.as_deref(),
            )?;
            deliveries.push((key, delivery));
        }
        for (key, delivery) in deliveries {
            topics::delivered(delivery, &self.topic, &key).await?;
        }
        Ok(())
    }

    /// Folds into `state` every record after `state.offset()` up to the end of the topic, at
    /// least as far as it reached when the call began; returns how many were read. A state
    /// that has read nothing gets the whole topic. Records that cannot be parsed are logged
    /// and skipped, but still advance the offset, so every worker reaches the same offset.
    pub async fn read_to_end(&self, state: &mut ConfigState) -> ConnectResult<usize> {
        // The state says where it stopped, so a state folded by another store, or a new one,
        // is continued from the right place.
        let next = (state.offset() >= 0).then(|| state.offset() + 1);
        let reader = self.reader.clone();
        let records = tokio::task::spawn_blocking(move || {
            let mut reader = reader
                .lock()
                .map_err(|_| ConnectError::fatal("a config topic read panicked earlier"))?;
            reader.set_position(PARTITION, next);
            reader.read_to_end(READ_TIMEOUT)
        })
        .await
        .map_err(|e| ConnectError::fatal(format!("config topic reader panicked: {e}")))??;
        for record in &records {
            self.apply(state, record);
        }
        Ok(records.len())
    }

    fn apply(&self, state: &mut ConfigState, record: &RawRecord) {
        let offset = record.offset;
        let Some(key) = record.key_text() else {
            tracing::warn!(topic = %self.topic, offset, "skipping a config record without a key");
            // An empty key is an unknown one: the offset advances as for any other record.
            let _ = state.read(offset, "", record.value.as_deref());
            return;
        };
        match ConfigRecord::parse(&key, record.value.as_deref()) {
            Ok(ConfigRecord::Unknown(key)) => {
                tracing::debug!(topic = %self.topic, offset, %key, "skipping an unknown record");
                state.apply(offset, ConfigRecord::Unknown(key));
            }
            Ok(parsed) => state.apply(offset, parsed),
            Err(e) => {
                tracing::warn!(topic = %self.topic, offset, error = %e, "skipping a config record");
                // Reading it again records the offset.
                let _ = state.read(offset, &key, record.value.as_deref());
            }
        }
    }
}
