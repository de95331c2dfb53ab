//! `GET|PATCH|DELETE /connectors/{c}/offsets` for both directions: source offsets live in the
//! worker's offset store, sink offsets are the committed positions of the connector's group.

use sluice_api::OffsetMap;

use super::entities::{ConnectorOffsets, PartitionOffset};
use super::{HerderError, HerderResult};
use crate::config::{ConnectorSpec, WorkerConfig};
use crate::offsets::{OffsetStore, consumer_group};

pub const ALTERED: &str = "The offsets for this connector have been altered successfully";
pub const RESET: &str = "The offsets for this connector have been reset successfully";

/// Kafka Connect's answer to an offsets change on a connector that is not STOPPED.
pub fn not_stopped(name: &str) -> HerderError {
    HerderError::BadRequest(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can \
         be done for the specified connector by issuing a 'PUT' request to the \
         '/connectors/{name}/stop' endpoint"
    ))
}

pub async fn read(
    worker: &WorkerConfig,
    store: &dyn OffsetStore,
    spec: &ConnectorSpec,
) -> HerderResult<ConnectorOffsets> {
    let offsets = if spec.is_sink() {
        consumer_group::committed(worker, spec)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|o| PartitionOffset {
                partition: o.partition_map(),
                offset: Some(o.offset_map()),
            })
            .collect()
    } else {
        let snapshot = store.load(&spec.name).await.map_err(internal)?;
        snapshot
            .entries()
            .map(|(partition, offset)| PartitionOffset {
                partition: partition.clone(),
                offset: Some(offset.clone()),
            })
            .collect()
    };
    Ok(ConnectorOffsets { offsets })
}

/// Sets (or, for `offset: null`, resets) the given partitions.
pub async fn alter(
    worker: &WorkerConfig,
    store: &dyn OffsetStore,
    spec: &ConnectorSpec,
    offsets: ConnectorOffsets,
) -> HerderResult<()> {
    if offsets.offsets.is_empty() {
        return Err(HerderError::BadRequest(
            "The offsets to be modified must not be empty".into(),
        ));
    }
    if spec.is_sink() {
        let mut changes = Vec::new();
        for entry in offsets.offsets {
            let partition = consumer_group::parse_partition(&entry.partition)
                .map_err(HerderError::BadRequest)?;
            let offset = match &entry.offset {
                Some(offset) => {
                    Some(consumer_group::parse_offset(offset).map_err(HerderError::BadRequest)?)
                }
                None => None,
            };
            changes.push((partition, offset));
        }
        consumer_group::alter(worker, spec, changes)
            .await
            .map_err(internal)
    } else {
        let changes: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
            .offsets
            .into_iter()
            .map(|e| (e.partition, e.offset))
            .collect();
        store.alter(&spec.name, &changes).await.map_err(internal)
    }
}

/// Forgets every partition's offset: sources start over, sinks resume where
/// `auto.offset.reset` starts a new group.
pub async fn reset(
    worker: &WorkerConfig,
    store: &dyn OffsetStore,
    spec: &ConnectorSpec,
) -> HerderResult<()> {
    let current = read(worker, store, spec).await?;
    if current.offsets.is_empty() {
        return Ok(());
    }
    let cleared = current
        .offsets
        .into_iter()
        .map(|e| PartitionOffset {
            partition: e.partition,
            offset: None,
        })
        .collect();
    alter(worker, store, spec, ConnectorOffsets { offsets: cleared }).await
}

fn internal(err: sluice_api::ConnectError) -> HerderError {
    HerderError::Internal(err.trace())
}
