//! The replication slot: created (with an exported snapshot when existing rows are to be
//! read), checked, and dropped.

use std::time::Duration;

use sluice_api::{ConnectError, ConnectResult};
use tokio_postgres::Client;

use super::catalog::{SlotState, literal, rows};
use super::lsn::Lsn;
use super::replication::ReplicationConnection;
use crate::ident::quote;

/// A slot just created, with the connection that created it: an exported snapshot lives only
/// as long as that connection runs no other command.
pub struct CreatedSlot {
    pub conn: ReplicationConnection,
    pub consistent_point: Lsn,
    pub snapshot_name: Option<String>,
}

/// Creates a pgoutput slot; `export` keeps its snapshot for a snapshot transaction to import.
pub async fn create(
    pg: &tokio_postgres::Config,
    name: &str,
    export: bool,
) -> ConnectResult<CreatedSlot> {
    let mut conn = ReplicationConnection::connect(pg).await?;
    let mode = if export {
        "EXPORT_SNAPSHOT"
    } else {
        "NOEXPORT_SNAPSHOT"
    };
    let rows = conn
        .simple_query(&format!(
            "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput {mode}",
            quote(name)
        ))
        .await?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| ConnectError::fatal("CREATE_REPLICATION_SLOT returned no row"))?;
    let point = row.get(1).cloned().flatten().ok_or_else(|| {
        ConnectError::fatal("CREATE_REPLICATION_SLOT returned no consistent point")
    })?;
    let consistent_point = Lsn::parse(&point).map_err(ConnectError::fatal)?;
    tracing::info!(slot = name, %consistent_point, "replication slot created");
    Ok(CreatedSlot {
        conn,
        consistent_point,
        snapshot_name: row.get(2).cloned().flatten(),
    })
}

/// Checks that an existing slot can serve this connector.
pub fn check(slot: &SlotState, name: &str, dbname: &str) -> ConnectResult<()> {
    if slot.plugin.as_deref() != Some("pgoutput") {
        return Err(ConnectError::fatal(format!(
            "replication slot {name} uses plugin {} but this connector reads pgoutput: drop it or set slot.name",
            slot.plugin.as_deref().unwrap_or("(physical)")
        )));
    }
    if slot.database.as_deref() != Some(dbname) {
        return Err(ConnectError::fatal(format!(
            "replication slot {name} belongs to database {} but database.dbname is {dbname}",
            slot.database.as_deref().unwrap_or("(none)")
        )));
    }
    Ok(())
}

/// Drops the slot, waiting while a walsender whose client went away still holds it.
pub async fn drop_slot(client: &Client, name: &str) -> ConnectResult<()> {
    let sql = format!("SELECT pg_drop_replication_slot({})", literal(name));
    let mut attempts = 0;
    loop {
        match rows(client, &sql).await {
            Ok(_) => {
                tracing::info!(slot = name, "replication slot dropped");
                return Ok(());
            }
            Err(err)
                if (err.is_retriable() || err.to_string().contains("SQLSTATE 55006"))
                    && attempts < 60 =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(err) => return Err(err),
        }
    }
}
