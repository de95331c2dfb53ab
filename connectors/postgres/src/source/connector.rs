//! The source connector: validates the config, finds the tables and shares them among tasks.

use async_trait::async_trait;
use sluice_api::{ConfigDef, ConfigErrors, ConnectResult, Props, SourceConnector, SourceTask};

use super::config::{self, SourceConfig, TASK_AMBIGUOUS_NAMES, TASK_TABLES, TableFilter, Target};
use super::discovery::{ambiguous_names, list_tables, require_tables, select_tables, spread};
use super::task::PostgresSourceTask;
use crate::ident::TableId;

/// Reads PostgreSQL tables, or one custom query, into topics.
#[derive(Debug, Default)]
pub struct PostgresSourceConnector {
    props: Props,
    /// Discovered tables, schema-qualified; empty with a custom query.
    tables: Vec<TableId>,
}

#[async_trait]
impl SourceConnector for PostgresSourceConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Result<(), ConfigErrors> {
        SourceConfig::parse(props).map(|_| ())
    }

    async fn start(&mut self, props: &Props) -> ConnectResult<()> {
        let config = SourceConfig::parse(props)?;
        self.props = props.clone();
        self.tables = match &config.target {
            Target::Query(_) => Vec::new(),
            Target::Tables {
                filter,
                kinds,
                schema_pattern,
            } => {
                let client = config.connection.connect("source connector").await?;
                let found = list_tables(&client, kinds, schema_pattern.as_deref()).await?;
                warn_unmatched(filter, &found);
                let tables = select_tables(found, filter);
                require_tables(&tables, kinds, filter)?;
                tracing::info!(
                    tables = %tables.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                    "PostgreSQL source tables"
                );
                tables
            }
        };
        Ok(())
    }

    /// One task for a custom query; otherwise the tables dealt round-robin to at most
    /// `max_tasks` tasks, each config listing its tables under `tables`.
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        if self.tables.is_empty() {
            return Ok(vec![self.props.clone()]);
        }
        let ambiguous = ambiguous_names(&self.tables)
            .into_iter()
            .collect::<Vec<_>>()
            .join(",");
        Ok(spread(&self.tables, max_tasks)
            .into_iter()
            .map(|tables| {
                let mut props = self.props.clone();
                let list: Vec<String> = tables.iter().map(ToString::to_string).collect();
                props.insert(TASK_TABLES.to_string(), list.join(","));
                props.insert(TASK_AMBIGUOUS_NAMES.to_string(), ambiguous.clone());
                props
            })
            .collect())
    }

    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(PostgresSourceTask::default())
    }
}

/// Warns about whitelist entries naming no table, most likely a typo.
fn warn_unmatched(filter: &TableFilter, found: &[TableId]) {
    if let TableFilter::Include(entries) = filter {
        for entry in entries {
            if !found.iter().any(|table| config::matches(entry, table)) {
                tracing::warn!(entry = %entry, "table.whitelist entry matches no table");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(tables: &[&str]) -> PostgresSourceConnector {
        PostgresSourceConnector {
            props: Props::from([("mode".to_string(), "bulk".to_string())]),
            tables: tables.iter().map(|t| TableId::parse(t).unwrap()).collect(),
        }
    }

    #[test]
    fn task_configs_list_their_tables() {
        let configs = connector(&["public.a", "public.b", "sales.a"])
            .task_configs(2)
            .unwrap();
        assert_eq!(configs.len(), 2);
        assert_eq!(configs[0][TASK_TABLES], "public.a,sales.a");
        assert_eq!(configs[1][TASK_TABLES], "public.b");
        assert!(
            configs
                .iter()
                .all(|c| c[TASK_AMBIGUOUS_NAMES] == "a" && c["mode"] == "bulk")
        );
    }

    #[test]
    fn a_query_has_one_task() {
        let configs = connector(&[]).task_configs(4).unwrap();
        assert_eq!(configs.len(), 1);
        assert!(!configs[0].contains_key(TASK_TABLES));
    }
}
