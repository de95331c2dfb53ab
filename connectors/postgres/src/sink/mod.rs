//! The PostgreSQL sink connector (Confluent JDBC sink compatible).

mod batch;
mod change;
mod config;
mod copy_text;
mod layout;
mod shapes;
mod table;
mod task;
mod types;
mod writer;

use async_trait::async_trait;
use sluice_api::connector::replicate_config;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SinkConnector, SinkTask};

pub use config::{SinkConfig, config_def};
pub use task::PostgresSinkTask;

/// Writes records into PostgreSQL tables.
#[derive(Debug, Default)]
pub struct PostgresSinkConnector {
    props: Props,
}

#[async_trait]
impl SinkConnector for PostgresSinkConnector {
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
        Box::new(PostgresSinkTask::default())
    }
}
