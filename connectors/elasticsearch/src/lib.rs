//! The Elasticsearch / OpenSearch sink, compatible with the configs of Confluent's
//! `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`.
//!
//! Records become bulk operations (`index`, `update` with `doc_as_upsert`, `delete`, or `create`
//! for data streams) whose `_id` is the record key or `topic+partition+offset`. Keyed documents
//! carry the record's offset as an external version, so replaying records already written changes
//! nothing. Each `put` is written before it returns; rejected items of a bulk response (429,
//! 503…) are retried on their own with exponential backoff and full jitter, malformed documents
//! follow `behavior.on.malformed.documents`, and any other item error fails the task.

mod backoff;
mod client;
mod config;
mod document;
mod index;
mod mapping;
mod response;
mod task;
mod writer;

use async_trait::async_trait;
use sluice_api::connector::replicate_config;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SinkConnector, SinkTask};

pub use config::{SinkConfig, config_def};
pub use index::sanitise as index_name_for_topic;
pub use task::ElasticsearchSinkTask;

/// The Elasticsearch sink connector.
pub fn sink() -> Box<dyn SinkConnector> {
    Box::new(ElasticsearchSinkConnector::default())
}

/// Writes records into Elasticsearch or OpenSearch indexes.
#[derive(Debug, Default)]
pub struct ElasticsearchSinkConnector {
    props: Props,
}

#[async_trait]
impl SinkConnector for ElasticsearchSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        SinkConfig::parse(props).map(|_| ())
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        SinkConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(replicate_config(&self.props, max_tasks))
    }

    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(ElasticsearchSinkTask::default())
    }
}
