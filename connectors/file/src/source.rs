//! The file source connector: one task tailing one file, as Kafka Connect's FileStreamSource.

use async_trait::async_trait;
use sluice_api::{ConfigDef, ConnectResult, Props, SourceConnector, SourceTask};

use crate::config::{FileSourceConfig, source_config_def};
use crate::source_task::FileSourceTask;

/// Reads lines of a file into a topic.
#[derive(Debug, Default)]
pub struct FileSourceConnector {
    props: Props,
}

#[async_trait]
impl SourceConnector for FileSourceConnector {
    fn config_def(&self) -> ConfigDef {
        source_config_def()
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        FileSourceConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    /// Always one task, whatever `tasks.max` says: a file has a single reading position.
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileSourceTask::default())
    }
}
