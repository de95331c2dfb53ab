//! The CDC connector: validates the config and runs one task, as Debezium does (one slot can
//! feed only one reader).

use async_trait::async_trait;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SourceConnector, SourceTask};

use super::config::{self, CdcConfig};
use super::task::PostgresCdcTask;

/// Captures row changes of PostgreSQL tables as Debezium change events.
#[derive(Debug, Default)]
pub struct PostgresCdcConnector {
    props: Props,
}

#[async_trait]
impl SourceConnector for PostgresCdcConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        CdcConfig::parse(props).map(|_| ())
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        CdcConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(PostgresCdcTask::default())
    }
}
