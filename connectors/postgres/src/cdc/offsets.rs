//! Source offsets in Debezium's format: partition `{"server": <topic.prefix>}`, offset
//! `{"lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec"}` while streaming and
//! `{"lsn", "ts_usec", "snapshot": true, "last_snapshot_record"}` during a snapshot.

use serde_json::json;
use sluice_api::OffsetMap;

use super::lsn::Lsn;

/// Where an emitted record stands, which becomes its offset when it carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A snapshot row; `lsn` is the slot's consistent point.
    Snapshot { lsn: Lsn, ts_usec: i64, last: bool },
    /// A change at `lsn` in the transaction committing at `commit`.
    Change {
        commit: Lsn,
        lsn: Lsn,
        tx_id: u32,
        ts_usec: i64,
    },
    /// Between transactions: everything before `lsn` has been emitted.
    Idle { lsn: Lsn, ts_usec: i64 },
}

/// The stream position a stored offset resumes from: changes at or before it were emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StreamPosition {
    pub commit: Lsn,
    pub lsn: Lsn,
}

impl StreamPosition {
    /// Whether the change at `lsn` of the transaction committing at `commit` is at or before
    /// this position.
    pub fn covers(&self, commit: Lsn, lsn: Lsn) -> bool {
        (commit, lsn) <= (self.commit, self.lsn)
    }
}

/// What a stored offset says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredOffset {
    /// A snapshot was running and did not finish.
    SnapshotIncomplete,
    /// A snapshot finished at the slot's consistent point; streaming starts there.
    SnapshotDone {
        lsn: Lsn,
    },
    Streaming(StreamPosition),
}

/// The source partition of a connector.
pub fn partition(server: &str) -> OffsetMap {
    let mut map = OffsetMap::new();
    map.insert("server".into(), json!(server));
    map
}

impl Position {
    /// The offset map of this position.
    pub fn to_offset(self) -> OffsetMap {
        let mut map = OffsetMap::new();
        match self {
            Position::Snapshot { lsn, ts_usec, last } => {
                map.insert("lsn".into(), json!(lsn.0));
                map.insert("ts_usec".into(), json!(ts_usec));
                map.insert("snapshot".into(), json!(true));
                map.insert("last_snapshot_record".into(), json!(last));
            }
            Position::Change {
                commit,
                lsn,
                tx_id,
                ts_usec,
            } => {
                map.insert("lsn".into(), json!(lsn.0));
                map.insert("lsn_proc".into(), json!(lsn.0));
                map.insert("lsn_commit".into(), json!(commit.0));
                map.insert("txId".into(), json!(tx_id));
                map.insert("ts_usec".into(), json!(ts_usec));
            }
            Position::Idle { lsn, ts_usec } => {
                map.insert("lsn".into(), json!(lsn.0));
                map.insert("lsn_proc".into(), json!(lsn.0));
                map.insert("lsn_commit".into(), json!(lsn.0));
                map.insert("ts_usec".into(), json!(ts_usec));
            }
        }
        map
    }

    /// The WAL position up to which the slot may forget once this position is committed:
    /// transactions committing before it were emitted in full.
    pub fn flushable(self) -> Option<Lsn> {
        match self {
            // Nothing streamed yet: the slot still stands at its consistent point.
            Position::Snapshot { .. } => None,
            Position::Change { commit, .. } => Some(commit),
            Position::Idle { lsn, .. } => Some(lsn),
        }
    }
}

/// Reads a stored offset; `None` for one this connector did not write.
pub fn parse(offset: &OffsetMap) -> Option<StoredOffset> {
    let lsn = |key: &str| offset.get(key).and_then(serde_json::Value::as_u64).map(Lsn);
    if offset.get("snapshot").and_then(serde_json::Value::as_bool) == Some(true) {
        let last = offset
            .get("last_snapshot_record")
            .and_then(serde_json::Value::as_bool)
            == Some(true);
        return Some(match (last, lsn("lsn")) {
            (true, Some(lsn)) => StoredOffset::SnapshotDone { lsn },
            _ => StoredOffset::SnapshotIncomplete,
        });
    }
    let at = lsn("lsn_proc").or_else(|| lsn("lsn"))?;
    let commit = lsn("lsn_commit").unwrap_or(at);
    Some(StoredOffset::Streaming(StreamPosition { commit, lsn: at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip() {
        let change = Position::Change {
            commit: Lsn(200),
            lsn: Lsn(150),
            tx_id: 7,
            ts_usec: 1,
        };
        let map = change.to_offset();
        assert_eq!(map["lsn_commit"], json!(200));
        assert_eq!(map["txId"], json!(7));
        assert_eq!(
            parse(&map),
            Some(StoredOffset::Streaming(StreamPosition {
                commit: Lsn(200),
                lsn: Lsn(150)
            }))
        );
        assert_eq!(change.flushable(), Some(Lsn(200)));
        let snapshot = Position::Snapshot {
            lsn: Lsn(90),
            ts_usec: 1,
            last: false,
        };
        assert_eq!(
            parse(&snapshot.to_offset()),
            Some(StoredOffset::SnapshotIncomplete)
        );
        assert_eq!(snapshot.flushable(), None);
        let done = Position::Snapshot {
            lsn: Lsn(90),
            ts_usec: 1,
            last: true,
        };
        assert_eq!(
            parse(&done.to_offset()),
            Some(StoredOffset::SnapshotDone { lsn: Lsn(90) })
        );
        assert_eq!(parse(&OffsetMap::new()), None);
        assert_eq!(partition("s1")["server"], json!("s1"));
    }

    #[test]
    fn a_position_covers_earlier_changes_only() {
        let at = StreamPosition {
            commit: Lsn(200),
            lsn: Lsn(150),
        };
        assert!(at.covers(Lsn(100), Lsn(120)));
        assert!(at.covers(Lsn(200), Lsn(150)));
        assert!(!at.covers(Lsn(200), Lsn(160)));
        assert!(!at.covers(Lsn(300), Lsn(10)));
    }
}
