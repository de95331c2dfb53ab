//! The datagen connector: every task gets the connector's config and its own sequence.

use async_trait::async_trait;
use sluice_api::connector::replicate_config;
use sluice_api::{ConfigDef, ConnectResult, Props, SourceConnector, SourceTask};

use crate::config::{DatagenConfig, config_def};
use crate::task::DatagenTask;

/// Splits the work by task id: tasks differ only in their id, which seeds their events.
#[derive(Debug, Default)]
pub struct DatagenConnector {
    props: Props,
}

#[async_trait]
impl SourceConnector for DatagenConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        DatagenConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(replicate_config(&self.props, max_tasks))
    }

    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(DatagenTask::default())
    }
}
