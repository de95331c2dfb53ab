//! Connectors: validate a config and split it into task configs, as in Kafka Connect.

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigErrors, Props};
use crate::error::ConnectResult;
use crate::task::{SinkTask, SourceTask};

/// Reads from an external system into Kafka.
#[async_trait]
pub trait SourceConnector: Send + Sync {
    /// Every key the connector accepts beyond the framework's own.
    fn config_def(&self) -> ConfigDef;
    /// Checks a config without starting anything, as Kafka Connect's `Connector.validate`:
    /// every key's value, and the rules between keys.
    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        self.config_def().parse(props).map(|_| ())
    }
    /// Called once with the validated connector config.
    async fn start(&mut self, props: &Props) -> ConnectResult<()>;
    /// At most `max_tasks` task configs; each starts one task.
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>>;
    fn create_task(&self) -> Box<dyn SourceTask>;
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Writes records from Kafka into an external system.
#[async_trait]
pub trait SinkConnector: Send + Sync {
    fn config_def(&self) -> ConfigDef;
    /// Checks a config without starting anything (see [`SourceConnector::validate`]).
    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        self.config_def().parse(props).map(|_| ())
    }
    async fn start(&mut self, props: &Props) -> ConnectResult<()>;
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>>;
    fn create_task(&self) -> Box<dyn SinkTask>;
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Task configs for a connector whose tasks all take the connector's own config.
pub fn replicate_config(props: &Props, max_tasks: usize) -> Vec<Props> {
    vec![props.clone(); max_tasks.max(1)]
}
