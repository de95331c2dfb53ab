//! The Kafka cluster id that `GET /` reports, asked of the brokers once at startup.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// How long startup waits for the brokers before `GET /` reports no cluster id.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The id of the cluster at `bootstrap_servers`; `None` (logged) when the brokers cannot tell
/// within a few seconds, which must not keep the worker from starting.
pub async fn kafka_cluster_id(bootstrap_servers: &str) -> Option<String> {
    let servers = bootstrap_servers.to_string();
    // librdkafka's call blocks the thread until the metadata arrives.
    match tokio::task::spawn_blocking(move || fetch(&servers)).await {
        Ok(Ok(Some(id))) => Some(id),
        Ok(Ok(None)) => {
            tracing::warn!(
                "the Kafka cluster id is unknown: no answer from {bootstrap_servers} within \
                 {FETCH_TIMEOUT:?}"
            );
            None
        }
        Ok(Err(e)) => {
            tracing::warn!("the Kafka cluster id is unknown: {e}");
            None
        }
        Err(e) => {
            tracing::warn!("the Kafka cluster id is unknown: the lookup failed: {e}");
            None
        }
    }
}

fn fetch(bootstrap_servers: &str) -> Result<Option<String>, rdkafka::error::KafkaError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .create()?;
    Ok(consumer.client().fetch_cluster_id(FETCH_TIMEOUT))
}
