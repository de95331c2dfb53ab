//! Which emitted records carry a source offset, so that `SourceTask::commit` tells exactly
//! which position Kafka acknowledged and the runtime stored.
//!
//! The runtime calls `commit()` after it stored offsets, and it stores them only when at least
//! one newly acknowledged record carried an offset since the previous store. Keeping at most
//! one offset-carrying record (the *marker*) unacknowledged at a time therefore makes each
//! `commit()` mean "the marker is stored": the position confirmed to the slot can never pass
//! what Kafka holds, whatever order deliveries complete in.

use sluice_api::{OffsetMap, Record};

use super::offsets::Position;

/// The marker awaiting its commit.
#[derive(Debug, Default)]
pub struct Acks {
    in_flight: Option<Position>,
}

impl Acks {
    /// Whether the next record may carry an offset.
    pub fn can_mark(&self) -> bool {
        self.in_flight.is_none()
    }

    /// Gives `record` the offset of `position` and waits for its commit.
    pub fn mark(&mut self, record: &mut Record, partition: &OffsetMap, position: Position) {
        record.source_partition = Some(partition.clone());
        record.source_offset = Some(position.to_offset());
        self.in_flight = Some(position);
    }

    /// The runtime stored offsets: the marker's position is now durable.
    pub fn committed(&mut self) -> Option<Position> {
        self.in_flight.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdc::lsn::Lsn;
    use crate::cdc::offsets::partition;

    #[test]
    fn one_marker_at_a_time() {
        let mut acks = Acks::default();
        assert!(acks.can_mark());
        let mut record = Record::new("t");
        let position = Position::Idle {
            lsn: Lsn(5),
            ts_usec: 0,
        };
        acks.mark(&mut record, &partition("s"), position);
        assert_eq!(record.source_partition, Some(partition("s")));
        assert_eq!(record.source_offset.as_ref().unwrap()["lsn"], 5);
        assert!(!acks.can_mark());
        assert_eq!(acks.committed(), Some(position));
        assert!(acks.can_mark());
        assert_eq!(acks.committed(), None);
    }
}
