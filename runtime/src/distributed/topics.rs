//! The internal topics of distributed mode — configs, source offsets and statuses — and the
//! plumbing the stores share to use them: creating and checking the topics, reading a topic up
//! to its end, and producing records.
//!
//! All three topics must be compacted: a worker rebuilds its view by reading a topic from the
//! start, so the newest record of every key must survive and nothing else needs to. The config
//! topic must also have a single partition, since its records are only meaningful in the order
//! they were written (task configs, then the commit that makes them visible).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::ClientContext;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use sluice_api::config::{ConfigDef, ConfigErrors, ConfigType, Importance, Validator};
use sluice_api::{ConnectError, ConnectResult};

use crate::config::worker::replication_factor;
use crate::config::{OffsetStorage, WorkerConfig};
use crate::worker::kafka::ensure_topic;

pub const CONFIG_TOPIC: &str = "config.storage.topic";
pub const CONFIG_REPLICATION: &str = "config.storage.replication.factor";
pub const OFFSET_TOPIC: &str = "offset.storage.topic";
pub const STATUS_TOPIC: &str = "status.storage.topic";
pub const STATUS_PARTITIONS: &str = "status.storage.partitions";
pub const STATUS_REPLICATION: &str = "status.storage.replication.factor";

const CLEANUP_POLICY: &str = "cleanup.policy";
const COMPACT: &str = "compact";
/// How long a topic created a moment ago may take to show in metadata.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The worker settings of the config and status topics. The offsets topic's settings are part
/// of every worker's config already (standalone mode may keep offsets in Kafka too).
pub fn internal_topics_config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .required(
            CONFIG_TOPIC,
            String,
            High,
            "Kafka topic holding connector and task configs; it must have a single partition.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            CONFIG_REPLICATION,
            Int,
            Some("-1"),
            Low,
            "Replication factor of a created config topic; -1 takes the broker's default.",
        )
        .validate(Validator::Custom(replication_factor))
        .required(
            STATUS_TOPIC,
            String,
            High,
            "Kafka topic holding connector and task statuses.",
        )
        .validate(Validator::NonEmpty)
        .optional(
            STATUS_PARTITIONS,
            Int,
            Some("5"),
            Low,
            "Partitions of a created status topic.",
        )
        .validate(Validator::AtLeast(1))
        .optional(
            STATUS_REPLICATION,
            Int,
            Some("-1"),
            Low,
            "Replication factor of a created status topic; -1 takes the broker's default.",
        )
        .validate(Validator::Custom(replication_factor))
}

/// One internal topic: what to create when it is absent, and what to insist on when it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The worker setting naming the topic, e.g. `config.storage.topic`; errors cite it.
    pub property: &'static str,
    pub name: String,
    pub partitions: i32,
    /// -1 takes the broker's default.
    pub replication_factor: i32,
    /// Whether an existing topic must have exactly one partition (the config topic).
    pub single_partition: bool,
    /// What the topic holds, for error messages ("connector configurations", …).
    pub purpose: &'static str,
}

impl TopicSpec {
    pub fn config(name: &str, replication_factor: i32) -> TopicSpec {
        TopicSpec {
            property: CONFIG_TOPIC,
            name: name.to_string(),
            partitions: 1,
            replication_factor,
            single_partition: true,
            purpose: "connector configurations",
        }
    }

    pub fn offsets(name: &str, partitions: i32, replication_factor: i32) -> TopicSpec {
        TopicSpec {
            property: OFFSET_TOPIC,
            name: name.to_string(),
            partitions,
            replication_factor,
            single_partition: false,
            purpose: "source connector offsets",
        }
    }

    pub fn status(name: &str, partitions: i32, replication_factor: i32) -> TopicSpec {
        TopicSpec {
            property: STATUS_TOPIC,
            name: name.to_string(),
            partitions,
            replication_factor,
            single_partition: false,
            purpose: "connector and task statuses",
        }
    }
}

/// The three internal topics a distributed worker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTopics {
    pub config: TopicSpec,
    pub offsets: TopicSpec,
    pub status: TopicSpec,
}

impl InternalTopics {
    /// Reads the topic settings from the worker config: all three topics must be named, and
    /// no two may be the same topic, since each store reads every record of its topic as its
    /// own.
    pub fn from_worker(worker: &WorkerConfig) -> Result<InternalTopics, ConfigErrors> {
        let parsed = internal_topics_config_def().parse(&worker.props)?;
        let OffsetStorage::Topic {
            name,
            partitions,
            replication_factor,
        } = &worker.offset_storage
        else {
            return Err(ConfigErrors::one(
                OFFSET_TOPIC,
                "missing required configuration with no default value",
            ));
        };
        let topics = InternalTopics {
            config: TopicSpec::config(
                &parsed.string(CONFIG_TOPIC),
                parsed.int(CONFIG_REPLICATION) as i32,
            ),
            offsets: TopicSpec::offsets(name, *partitions, *replication_factor),
            status: TopicSpec::status(
                &parsed.string(STATUS_TOPIC),
                parsed.int(STATUS_PARTITIONS) as i32,
                parsed.int(STATUS_REPLICATION) as i32,
            ),
        };
        let specs = topics.specs();
        for (i, a) in specs.iter().enumerate() {
            if let Some(b) = specs[i + 1..].iter().find(|b| b.name == a.name) {
                return Err(ConfigErrors::one(
                    b.property,
                    format!(
                        "topic '{}' is also given as {}; the internal topics must be three \
                         different topics",
                        b.name, a.property
                    ),
                ));
            }
        }
        Ok(topics)
    }

    pub fn specs(&self) -> [&TopicSpec; 3] {
        [&self.config, &self.offsets, &self.status]
    }
}

/// Creates each topic that does not exist, then checks every one, new or not: the config topic
/// must have a single partition, and all must be compacted. A topic created by another worker
/// a moment earlier, with other settings, is caught by the same checks.
///
/// Brokers that cannot describe topic configs (too old, or the worker's principal may not)
/// leave the cleanup policy unverified: that is logged as a warning and the check passes.
pub async fn ensure_internal_topics(
    worker: &WorkerConfig,
    specs: &[&TopicSpec],
) -> ConnectResult<()> {
    let admin: AdminClient<DefaultClientContext> =
        client_config(worker, "sluice-internal-topics", &[])
            .create()
            .map_err(|e| kafka_error("cannot create an admin client for the internal topics", e))?;
    for spec in specs {
        ensure_topic(
            &worker.bootstrap_servers,
            &spec.name,
            spec.partitions,
            spec.replication_factor,
            &[(CLEANUP_POLICY, COMPACT)],
        )
        .await?;
        let partitions = partition_count(worker, &spec.name).await?;
        if spec.single_partition && partitions != 1 {
            return Err(ConnectError::fatal(format!(
                "Topic '{}' supplied via the '{}' property is required to have a single \
                 partition in order to guarantee consistency of {}, but found {partitions} \
                 partitions.",
                spec.name, spec.property, spec.purpose
            )));
        }
        check_cleanup_policy(&admin, spec).await?;
        tracing::debug!(topic = %spec.name, partitions, "internal topic ready");
    }
    Ok(())
}

/// The partition count of `topic`, waiting for a topic created a moment ago to appear.
pub(crate) async fn partition_count(worker: &WorkerConfig, topic: &str) -> ConnectResult<usize> {
    let cfg = client_config(worker, "sluice-internal-topics", &[]);
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = cfg
            .create()
            .map_err(|e| kafka_error("cannot create a metadata client", e))?;
        let deadline = Instant::now() + METADATA_TIMEOUT;
        loop {
            let metadata = consumer
                .fetch_metadata(Some(&topic), remaining(deadline))
                .map_err(|e| kafka_error(&format!("cannot read metadata of topic {topic}"), e))?;
            let found = metadata
                .topics()
                .iter()
                .find(|t| t.name() == topic && t.error().is_none())
                .map(|t| t.partitions().len())
                .filter(|n| *n > 0);
            if let Some(n) = found {
                return Ok(n);
            }
            if Instant::now() >= deadline {
                return Err(ConnectError::retriable(format!(
                    "topic {topic} does not show in the brokers' metadata after \
                     {METADATA_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .map_err(|e| ConnectError::fatal(format!("metadata lookup panicked: {e}")))?
}

/// Refuses a topic whose cleanup policy is anything but exactly `compact`: with `delete` as
/// well, the newest record of a key that is not written again is deleted once old enough.
async fn check_cleanup_policy(
    admin: &AdminClient<DefaultClientContext>,
    spec: &TopicSpec,
) -> ConnectResult<()> {
    let unverified = |reason: String| {
        tracing::warn!(
            topic = %spec.name,
            "cannot verify that the topic given as {} has cleanup.policy=compact: {reason}; \
             going on",
            spec.property
        );
        Ok(())
    };
    let options = AdminOptions::new().request_timeout(Some(ADMIN_TIMEOUT));
    let resource = ResourceSpecifier::Topic(&spec.name);
    let results = match admin.describe_configs([&resource], &options).await {
        Ok(results) => results,
        Err(e) if is_timeout(&e) => {
            return Err(kafka_error(
                &format!("cannot describe the configs of topic {}", spec.name),
                e,
            ));
        }
        Err(e) => return unverified(format!("the broker did not describe its configs ({e})")),
    };
    let Some(result) = results.into_iter().next() else {
        return unverified("the broker's answer names no topic".into());
    };
    let resource = match result {
        Ok(resource) => resource,
        Err(code) => return unverified(format!("the broker answered {code}")),
    };
    let Some(policy) = resource
        .get(CLEANUP_POLICY)
        .and_then(|e| e.value.as_deref())
    else {
        return unverified("the broker does not report cleanup.policy".into());
    };
    let policies: BTreeSet<String> = policy
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if policies.len() == 1 && policies.contains(COMPACT) {
        return Ok(());
    }
    Err(ConnectError::fatal(format!(
        "Topic '{name}' supplied via the '{property}' property is required to have \
         '{CLEANUP_POLICY}={COMPACT}' to guarantee consistency and durability of {purpose}, but \
         found the topic currently has '{CLEANUP_POLICY}={policy}'. Continuing would likely \
         result in eventually losing {purpose} and problems restarting this Connect cluster in \
         the future. Change the '{property}' property in the Connect worker configurations to \
         use a topic with '{CLEANUP_POLICY}={COMPACT}'.",
        name = spec.name,
        property = spec.property,
        purpose = spec.purpose,
    )))
}

fn is_timeout(e: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        e.rdkafka_error_code(),
        Some(OperationTimedOut | RequestTimedOut | MessageTimedOut | TimedOutQueue)
    )
}

/// Settings shared by the internal topics' clients; `client_id` names the client in broker
/// logs.
pub(crate) fn client_config(
    worker: &WorkerConfig,
    client_id: &str,
    extra: &[(&str, &str)],
) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &worker.bootstrap_servers)
        .set("client.id", client_id);
    for (key, value) in extra {
        cfg.set(*key, *value);
    }
    cfg
}

/// A producer whose acknowledged writes are on every in-sync replica, in the order sent, each
/// once. A write is delivered or failed within `timeout`, so a caller told it failed knows it
/// will not land later.
pub(crate) fn producer(
    worker: &WorkerConfig,
    client_id: &str,
    timeout: Duration,
) -> ConnectResult<FutureProducer> {
    let timeout = timeout.as_millis().to_string();
    client_config(
        worker,
        client_id,
        &[
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("message.timeout.ms", &timeout),
            // The partition of each key is the one Kafka Connect's Java producer would choose,
            // so writers of both kinds keep each key's records in one partition, in order.
            ("partitioner", "murmur2_random"),
        ],
    )
    .create()
    .map_err(|e| kafka_error(&format!("cannot create producer {client_id}"), e))
}

/// Queues one record for sending; `partition` `None` lets the key choose.
pub(crate) fn send(
    producer: &FutureProducer,
    topic: &str,
    partition: Option<i32>,
    key: &str,
    value: Option<&[u8]>,
) -> ConnectResult<DeliveryFuture> {
    let mut record = FutureRecord::<str, [u8]>::to(topic).key(key);
    record.partition = partition;
    record.payload = value;
    producer
        .send_result(record)
        .map_err(|(e, _)| kafka_error(&format!("cannot send `{key}` to topic {topic}"), e))
}

/// Waits for the broker to acknowledge a record queued by [`send`].
pub(crate) async fn delivered(
    delivery: DeliveryFuture,
    topic: &str,
    key: &str,
) -> ConnectResult<()> {
    match delivery.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((e, _))) => Err(kafka_error(
            &format!("cannot write `{key}` to topic {topic}"),
            e,
        )),
        Err(_) => Err(ConnectError::retriable(format!(
            "the producer closed before `{key}` was written to topic {topic}"
        ))),
    }
}

/// A record read from an internal topic.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

impl RawRecord {
    /// The key as text; internal topics' keys are UTF-8 strings, and anything else ends up an
    /// unknown key that the reader skips.
    pub fn key_text(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }
}

/// Keeps the partition-end events a [`TopicReader`] asks for out of the error log: librdkafka
/// also reports those that arrive between reads as client errors.
pub(crate) struct ReaderContext;

impl ClientContext for ReaderContext {
    fn error(&self, error: KafkaError, reason: &str) {
        match error {
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF) => {}
            error => tracing::error!("librdkafka: {error}: {reason}"),
        }
    }
}

impl ConsumerContext for ReaderContext {}

/// Reads a topic up to its end, repeatedly: each call returns the records written since the
/// last. It consumes by assignment, without a consumer group, since every worker reads every
/// record.
pub(crate) struct TopicReader {
    topic: String,
    consumer: BaseConsumer<ReaderContext>,
    /// `Some(p)` reads partition `p` alone (the config topic); `None` reads every partition,
    /// looked up at each call so that added partitions are read too.
    only: Option<i32>,
    /// The next offset to read, by partition; a partition not in it is read from its start.
    positions: BTreeMap<i32, i64>,
}

impl TopicReader {
    pub fn new(
        worker: &WorkerConfig,
        topic: &str,
        client_id: &str,
        only: Option<i32>,
    ) -> ConnectResult<TopicReader> {
        let consumer = client_config(
            worker,
            client_id,
            &[
                // librdkafka refuses to assign partitions without a group id. The group is never
                // joined and nothing is committed to it.
                ("group.id", client_id),
                ("enable.auto.commit", "false"),
                ("enable.partition.eof", "true"),
                // The end of a partition is known from an empty fetch, which the broker would
                // otherwise hold for up to 500 ms waiting for new records.
                ("fetch.wait.max.ms", "10"),
                // Reached only if records were deleted under the reader: start again from what
                // is left.
                ("auto.offset.reset", "earliest"),
            ],
        )
        .create_with_context(ReaderContext)
        .map_err(|e| kafka_error(&format!("cannot create a reader of topic {topic}"), e))?;
        Ok(TopicReader {
            topic: topic.to_string(),
            consumer,
            only,
            positions: BTreeMap::new(),
        })
    }

    /// Sets where the next read of `partition` starts; `None` starts at the partition's start.
    pub fn set_position(&mut self, partition: i32, next: Option<i64>) {
        match next {
            Some(next) => self.positions.insert(partition, next),
            None => self.positions.remove(&partition),
        };
    }

    /// The next offset to read, by partition, for every partition seen so far.
    pub fn positions(&self) -> &BTreeMap<i32, i64> {
        &self.positions
    }

    /// Reads every record from the current positions up to the end of each partition, which
    /// is at least the end offset (high watermark) it had when the call began. Blocks; on an
    /// error the positions stay where they were, so no record is lost to a failed call.
    pub fn read_to_end(&mut self, timeout: Duration) -> ConnectResult<Vec<RawRecord>> {
        let deadline = Instant::now() + timeout;
        let partitions = match self.only {
            Some(p) => vec![p],
            None => self.partitions(deadline)?,
        };
        let mut next = self.positions.clone();
        // Partitions whose end has not been reached yet.
        let mut unread = BTreeSet::new();
        let mut assignment = TopicPartitionList::new();
        for p in partitions {
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, p, remaining(deadline))
                .map_err(|e| {
                    kafka_error(
                        &format!("cannot read the end offset of {}/{p}", self.topic),
                        e,
                    )
                })?;
            let start = next.get(&p).map_or(low, |n| (*n).max(low));
            next.insert(p, start);
            // Only partitions with records past the position are read. A listed end that is too
            // low (see below) still lies past it when a batch was written since, since reads go
            // on to the end of the partition and so stop between batches.
            if start < high {
                unread.insert(p);
                assignment
                    .add_partition_offset(&self.topic, p, Offset::Offset(start))
                    .map_err(|e| kafka_error(&format!("cannot assign {}/{p}", self.topic), e))?;
            }
        }
        if unread.is_empty() {
            return Ok(Vec::new());
        }
        // Assigning afresh at every call also drops whatever the previous call left fetched or
        // queued, so an end-of-partition event seen below always belongs to this call.
        self.consumer
            .assign(&assignment)
            .map_err(|e| kafka_error(&format!("cannot assign topic {}", self.topic), e))?;
        let mut records = Vec::new();
        let result = loop {
            if unread.is_empty() {
                break Ok(());
            }
            if Instant::now() >= deadline {
                break Err(ConnectError::retriable(format!(
                    "timed out reading topic {} to its end (partitions not done: {unread:?})",
                    self.topic,
                )));
            }
            match self.consumer.poll(POLL_INTERVAL) {
                None => {}
                Some(Ok(message)) => {
                    let offset = message.offset();
                    next.insert(message.partition(), offset + 1);
                    records.push(RawRecord {
                        offset,
                        key: message.key().map(<[u8]>::to_vec),
                        value: message.payload().map(<[u8]>::to_vec),
                    });
                }
                // The end is the one the broker reports in a fetch, after every record before
                // it was delivered. Reaching the listed end offset is not enough: the last
                // offsets may be transaction markers, which consumers never see, and some
                // brokers (Tansu 0.6) list the base offset of the last batch plus one.
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    unread.remove(&p);
                }
                Some(Err(e)) => {
                    break Err(kafka_error(&format!("cannot read topic {}", self.topic), e));
                }
            }
        };
        // Nothing is fetched between calls, which may be far apart.
        if let Err(e) = self.consumer.unassign() {
            tracing::debug!(topic = %self.topic, error = %e, "cannot unassign the reader");
        }
        result?;
        self.positions = next;
        Ok(records)
    }

    fn partitions(&self, deadline: Instant) -> ConnectResult<Vec<i32>> {
        let metadata = self
            .consumer
            .fetch_metadata(Some(&self.topic), remaining(deadline))
            .map_err(|e| kafka_error(&format!("cannot read metadata of {}", self.topic), e))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == self.topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(ConnectError::retriable(format!(
                "topic {} has no partitions in the brokers' metadata",
                self.topic
            )));
        }
        Ok(partitions)
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

/// A Kafka client error, retriable unless retrying cannot change the outcome (bad settings,
/// missing permissions, records the broker will never take).
pub(crate) fn kafka_error(context: &str, e: KafkaError) -> ConnectError {
    use RDKafkaErrorCode::*;
    let permanent = match &e {
        KafkaError::ClientConfig(..) | KafkaError::ClientCreation(_) => true,
        _ => matches!(
            e.rdkafka_error_code(),
            Some(
                TopicAuthorizationFailed
                    | ClusterAuthorizationFailed
                    | GroupAuthorizationFailed
                    | SaslAuthenticationFailed
                    | MessageSizeTooLarge
                    | InvalidMessageSize
                    | MessageBatchTooLarge
                    | InvalidRecord
                    | InvalidTopic
                    | InvalidConfig
                    | InvalidRequiredAcks
                    | PolicyViolation
                    | UnsupportedVersion
                    | UnsupportedFeature
                    | Fatal
            )
        ),
    };
    let message = format!("{context}: {e}");
    let error = if permanent {
        ConnectError::fatal(message)
    } else {
        ConnectError::retriable(message)
    };
    error.caused_by(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Props;

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WorkerConfig::parse(&props).expect("valid worker config")
    }

    #[test]
    fn specs_from_the_worker_config() {
        let topics = InternalTopics::from_worker(&worker(&[
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
            ("status.storage.replication.factor", "3"),
        ]))
        .expect("valid");
        assert_eq!(topics.config, TopicSpec::config("c", -1));
        assert_eq!(topics.offsets, TopicSpec::offsets("o", 25, -1));
        assert_eq!(topics.status, TopicSpec::status("s", 5, 3));
    }

    #[test]
    fn every_topic_is_required_and_distinct() {
        let missing = InternalTopics::from_worker(&worker(&[("offset.storage.topic", "o")]))
            .expect_err("config and status topics missing");
        let keys: Vec<_> = missing.issues().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, [CONFIG_TOPIC, STATUS_TOPIC]);

        let no_offsets = InternalTopics::from_worker(&worker(&[
            ("config.storage.topic", "c"),
            ("status.storage.topic", "s"),
        ]))
        .expect_err("offsets topic missing");
        assert_eq!(no_offsets.issues()[0].key, OFFSET_TOPIC);

        let same = InternalTopics::from_worker(&worker(&[
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "c"),
        ]))
        .expect_err("status topic is the config topic");
        assert_eq!(same.issues()[0].key, STATUS_TOPIC);
        assert!(same.issues()[0].reason.contains("config.storage.topic"));

        let bad = InternalTopics::from_worker(&worker(&[
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
            ("config.storage.replication.factor", "0"),
            ("status.storage.partitions", "0"),
        ]))
        .expect_err("bad numbers");
        assert_eq!(bad.issues().len(), 2);
    }

    #[test]
    fn permanent_client_errors_are_fatal() {
        let fatal = kafka_error(
            "x",
            KafkaError::MessageProduction(RDKafkaErrorCode::TopicAuthorizationFailed),
        );
        assert!(!fatal.is_retriable());
        let retriable = kafka_error(
            "x",
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut),
        );
        assert!(retriable.is_retriable());
    }
}
