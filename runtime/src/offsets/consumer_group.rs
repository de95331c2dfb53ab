//! A sink connector's offsets are the committed offsets of its consumer group (`connect-<c>`
//! unless overridden), shown and changed in Kafka Connect's shape: partition
//! `{"kafka_topic","kafka_partition"}`, offset `{"kafka_offset"}`.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{Value as Json, json};
use sluice_api::{ConnectError, ConnectResult, OffsetMap};

use crate::config::{ConnectorSpec, SinkTopics, WorkerConfig};
use crate::worker::kafka::consumer_config;

const TIMEOUT: Duration = Duration::from_secs(10);

/// One partition's committed position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl GroupOffset {
    pub fn partition_map(&self) -> OffsetMap {
        let mut map = OffsetMap::new();
        map.insert("kafka_topic".into(), json!(self.topic));
        map.insert("kafka_partition".into(), json!(self.partition));
        map
    }

    pub fn offset_map(&self) -> OffsetMap {
        let mut map = OffsetMap::new();
        map.insert("kafka_offset".into(), json!(self.offset));
        map
    }
}

/// Reads a `{"kafka_topic","kafka_partition"}` partition map, naming what is wrong.
pub fn parse_partition(partition: &OffsetMap) -> Result<(String, i32), String> {
    let topic = partition
        .get("kafka_topic")
        .and_then(Json::as_str)
        .ok_or("a sink partition needs a string \"kafka_topic\"")?;
    let number = partition
        .get("kafka_partition")
        .and_then(Json::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| *n >= 0)
        .ok_or("a sink partition needs a non-negative integer \"kafka_partition\"")?;
    Ok((topic.to_string(), number))
}

/// Reads a `{"kafka_offset"}` offset map.
pub fn parse_offset(offset: &OffsetMap) -> Result<i64, String> {
    offset
        .get("kafka_offset")
        .and_then(Json::as_i64)
        .filter(|n| *n >= 0)
        .ok_or_else(|| "a sink offset needs a non-negative integer \"kafka_offset\"".to_string())
}

/// The committed offsets of every partition of the connector's topics.
pub async fn committed(
    worker: &WorkerConfig,
    spec: &ConnectorSpec,
) -> ConnectResult<Vec<GroupOffset>> {
    let cfg = consumer_config(worker, &spec.name, &spec.props);
    let topics = spec.sink_topics.clone();
    blocking(move || {
        let consumer = client(&cfg)?;
        let list = partitions(&consumer, topics.as_ref())?;
        let committed = consumer
            .committed_offsets(list, TIMEOUT)
            .map_err(|e| kafka_error("cannot read the consumer group's offsets", e))?;
        Ok(committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(offset) => Some(GroupOffset {
                    topic: e.topic().to_string(),
                    partition: e.partition(),
                    offset,
                }),
                _ => None,
            })
            .collect())
    })
    .await
}

/// Commits the given positions for the connector's group; `None` resets a partition to where
/// `auto.offset.reset` would start it (the earliest offset unless overridden), which is where a
/// partition without a committed offset starts. The group must have no members.
pub async fn alter(
    worker: &WorkerConfig,
    spec: &ConnectorSpec,
    changes: Vec<((String, i32), Option<i64>)>,
) -> ConnectResult<()> {
    let cfg = consumer_config(worker, &spec.name, &spec.props);
    let latest = cfg.get("auto.offset.reset") == Some("latest");
    blocking(move || {
        let consumer = client(&cfg)?;
        let mut list = TopicPartitionList::new();
        for ((topic, partition), offset) in changes {
            let offset = match offset {
                Some(offset) => offset,
                None => {
                    let (low, high) = consumer
                        .fetch_watermarks(&topic, partition, TIMEOUT)
                        .map_err(|e| kafka_error("cannot read partition watermarks", e))?;
                    if latest { high } else { low }
                }
            };
            list.add_partition_offset(&topic, partition, Offset::Offset(offset))
                .map_err(|e| kafka_error("invalid offset", e))?;
        }
        consumer
            .commit(&list, CommitMode::Sync)
            .map_err(|e| kafka_error("cannot commit the consumer group's offsets", e))
    })
    .await
}

fn client(cfg: &ClientConfig) -> ConnectResult<BaseConsumer> {
    cfg.create()
        .map_err(|e| kafka_error("cannot create a consumer for the connector's group", e))
}

/// Every partition of the connector's topics (of the topics matching `topics.regex`).
fn partitions(
    consumer: &BaseConsumer,
    topics: Option<&SinkTopics>,
) -> ConnectResult<TopicPartitionList> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| kafka_error("cannot read topic metadata", e))?;
    let wanted: Box<dyn Fn(&str) -> bool> = match topics {
        Some(SinkTopics::List(list)) => {
            let list = list.clone();
            Box::new(move |t| list.iter().any(|l| l == t))
        }
        Some(SinkTopics::Regex(pattern)) => {
            let regex = regex::Regex::new(&format!("^(?:{})$", pattern.trim_start_matches('^')))
                .map_err(|e| ConnectError::fatal(format!("invalid topics.regex: {e}")))?;
            Box::new(move |t| regex.is_match(t))
        }
        None => Box::new(|_| false),
    };
    let mut list = TopicPartitionList::new();
    for topic in metadata.topics().iter().filter(|t| wanted(t.name())) {
        for partition in topic.partitions() {
            list.add_partition(topic.name(), partition.id());
        }
    }
    Ok(list)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ConnectResult<T> + Send + 'static,
) -> ConnectResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ConnectError::fatal(format!("offset request panicked: {e}")))?
}

fn kafka_error(context: &str, e: rdkafka::error::KafkaError) -> ConnectError {
    ConnectError::retriable(format!("{context}: {e}")).caused_by(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_and_offset_maps_round_trip() {
        let offset = GroupOffset {
            topic: "orders".into(),
            partition: 3,
            offset: 42,
        };
        assert_eq!(
            parse_partition(&offset.partition_map()),
            Ok(("orders".to_string(), 3))
        );
        assert_eq!(parse_offset(&offset.offset_map()), Ok(42));
        let bad: OffsetMap = serde_json::from_str(r#"{"kafka_topic":"t"}"#).unwrap();
        assert!(
            parse_partition(&bad)
                .unwrap_err()
                .contains("kafka_partition")
        );
    }
}
