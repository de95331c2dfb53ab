//! The publication that tells pgoutput which tables to send, managed per
//! `publication.autocreate.mode`.

use sluice_api::{ConnectError, ConnectResult};
use tokio_postgres::Client;

use super::catalog::{literal, matching_tables, rows};
use super::config::{CdcConfig, PublicationMode, TABLE_INCLUDE_LIST};
use crate::error::classify;
use crate::ident::quote;

/// Creates or updates the publication as the mode asks, or checks that it exists.
pub async fn ensure(client: &Client, config: &CdcConfig) -> ConnectResult<()> {
    let name = &config.publication_name;
    let existing = rows(
        client,
        &format!(
            "SELECT puballtables FROM pg_publication WHERE pubname = {}",
            literal(name)
        ),
    )
    .await?;
    let exists = !existing.is_empty();
    let sql = match config.publication_mode {
        PublicationMode::Disabled if exists => return Ok(()),
        PublicationMode::Disabled => {
            return Err(ConnectError::fatal(format!(
                "publication {name} does not exist and publication.autocreate.mode is disabled: \
                 create it (CREATE PUBLICATION {} FOR TABLE …) or choose another mode",
                quote(name)
            )));
        }
        PublicationMode::AllTables if exists => return Ok(()),
        PublicationMode::AllTables => {
            format!("CREATE PUBLICATION {} FOR ALL TABLES", quote(name))
        }
        PublicationMode::Filtered => {
            let tables = matching_tables(client, &config.tables).await?;
            if tables.is_empty() {
                return Err(ConnectError::fatal(format!(
                    "publication.autocreate.mode is filtered but no table matches {TABLE_INCLUDE_LIST}/table.exclude.list"
                )));
            }
            let list = tables
                .iter()
                .map(|(schema, table)| format!("{}.{}", quote(schema), quote(table)))
                .collect::<Vec<_>>()
                .join(", ");
            if exists {
                format!("ALTER PUBLICATION {} SET TABLE {list}", quote(name))
            } else {
                format!("CREATE PUBLICATION {} FOR TABLE {list}", quote(name))
            }
        }
    };
    tracing::info!(publication = %name, statement = %sql, "managing the CDC publication");
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| classify(&e, &format!("cannot create or alter publication {name}")))
}
