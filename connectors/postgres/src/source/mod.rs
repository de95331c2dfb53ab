//! The query-based PostgreSQL source (not built yet).

use async_trait::async_trait;
use sluice_api::{ConfigDef, ConnectError, ConnectResult, Props, SourceConnector, SourceTask};

#[derive(Debug, Default)]
pub struct PostgresSourceConnector;

#[async_trait]
impl SourceConnector for PostgresSourceConnector {
    fn config_def(&self) -> ConfigDef {
        crate::connection::config_def()
    }
    async fn start(&mut self, _props: &Props) -> ConnectResult<()> {
        Err(ConnectError::fatal("the PostgreSQL source is not built yet"))
    }
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(Vec::new())
    }
    fn create_task(&self) -> Box<dyn SourceTask> {
        unreachable!("start always fails")
    }
}
