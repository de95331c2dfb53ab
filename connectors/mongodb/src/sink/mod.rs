//! The MongoDB sink, compatible with the configs of the official
//! `com.mongodb.kafka.connect.MongoSinkConnector`: the same keys, defaults and strategy class
//! names (id strategies, write models, namespace mappers, post processors, CDC handlers).
//!
//! Each `put` is written before it returns, as `insert`/`update`/`delete` commands per
//! namespace; a document the server rejects goes to the errant-record reporter
//! (`errors.tolerance`, dead-letter queue) and the rest of the batch is still written;
//! retriable failures are retried `max.num.retries` times `retries.defer.timeout` apart and
//! then fail the put as retriable, so the runtime delivers the records again.

mod cdc;
mod config;
mod convert;
mod document;
mod errors;
mod id_strategy;
mod namespace;
mod post_processor;
mod projection;
mod task;
mod write_model;
mod writer;

use async_trait::async_trait;
use sluice_api::connector::replicate_config;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SinkConnector, SinkTask};

pub use config::SinkConfig;
pub use task::MongoSinkTask;

/// Writes records into MongoDB collections.
#[derive(Debug, Default)]
pub struct MongoSinkConnector {
    props: Props,
}

#[async_trait]
impl SinkConnector for MongoSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def()
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
        Box::new(MongoSinkTask::default())
    }
}
