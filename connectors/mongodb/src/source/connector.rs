//! The source connector: validates the config and runs one task, since one change stream
//! carries the whole namespace in order.

use async_trait::async_trait;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SourceConnector, SourceTask};

use super::config::{self, SourceConfig};
use super::task::MongoSourceTask;

/// Streams MongoDB changes into topics (`com.mongodb.kafka.connect.MongoSourceConnector`).
#[derive(Debug, Default)]
pub struct MongoSourceConnector {
    props: Props,
}

#[async_trait]
impl SourceConnector for MongoSourceConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        SourceConfig::parse(props).map(|_| ())
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        SourceConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    /// One task whatever `tasks.max` says, as the official connector: a change stream cannot
    /// be split without losing its order.
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(MongoSourceTask::default())
    }
}
