//! The payloads distributed workers exchange through the group coordinator: join metadata and
//! assignments, byte-compatible with Kafka Connect's `default` (V0), `compatible` (V1) and
//! `sessioned` (V2) subprotocols so Sluice workers and Kafka Connect workers can share a group.
//!
//! Everything is big-endian. STRING is an int16 length and UTF-8 bytes; NULLABLE_BYTES is an int32
//! length (negative = null) and the bytes; ARRAY is an int32 count (negative = null where the
//! field is nullable) and the elements. Each payload starts with an int16 version header, and the
//! layout below it is chosen from that header.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The group's `protocolType`, shared by every Connect subprotocol.
pub const PROTOCOL_TYPE: &str = "connect";

/// Task id that stands for the connector instance itself within a connector's task list.
pub const CONNECTOR_TASK: i32 = -1;

/// Assignment error codes.
pub const NO_ERROR: i16 = 0;
/// The leader could not read the config log up to the newest offset a member reported; members
/// must catch up on the config log and rejoin.
pub const CONFIG_MISMATCH: i16 = 1;

pub const CONNECT_PROTOCOL_V0: i16 = 0;
pub const CONNECT_PROTOCOL_V1: i16 = 1;
pub const CONNECT_PROTOCOL_V2: i16 = 2;

/// Why a payload could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("truncated {field}: needs {needed} bytes at offset {offset} but {available} remain")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("negative length {len} for {field}, which is not nullable")]
    NegativeLength { field: &'static str, len: i32 },
    #[error("{field} is not valid UTF-8")]
    InvalidUtf8 { field: &'static str },
    #[error("unsupported Connect protocol version {0}")]
    UnsupportedVersion(i16),
    #[error("{field} is {len} bytes long; the protocol allows at most {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("invalid allocation in worker metadata: {0}")]
    Allocation(Box<ProtocolError>),
    #[error("unknown connect.protocol {0:?}; expected eager, compatible or sessioned")]
    UnknownProtocol(String),
}

/// The Connect subprotocols, newest last. `connect.protocol` names them `eager`, `compatible` and
/// `sessioned`; on the wire eager is called `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ConnectProtocol {
    /// Every member stops all of its work on each rebalance.
    Eager,
    /// Incremental cooperative rebalancing.
    Compatible,
    /// Incremental cooperative rebalancing with session keys for signed internal requests.
    #[default]
    Sessioned,
}

impl ConnectProtocol {
    const ALL: [Self; 3] = [Self::Eager, Self::Compatible, Self::Sessioned];

    /// (`connect.protocol` value, subprotocol name, version header).
    fn spelling(self) -> (&'static str, &'static str, i16) {
        match self {
            Self::Eager => ("eager", "default", CONNECT_PROTOCOL_V0),
            Self::Compatible => ("compatible", "compatible", CONNECT_PROTOCOL_V1),
            Self::Sessioned => ("sessioned", "sessioned", CONNECT_PROTOCOL_V2),
        }
    }

    /// The subprotocol name sent in JoinGroup.
    pub fn name(self) -> &'static str {
        self.spelling().1
    }

    /// The version header written into metadata and assignments of this subprotocol.
    pub fn version(self) -> i16 {
        self.spelling().2
    }

    /// The `connect.protocol` config value.
    pub fn config_value(self) -> &'static str {
        self.spelling().0
    }

    /// The subprotocol the coordinator selected, from its wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The subprotocols a member offers in JoinGroup, most preferred first: a member supports
    /// every protocol up to the configured one, so a mixed group can settle on a common one.
    pub fn offered(self) -> Vec<Self> {
        Self::ALL.into_iter().rev().filter(|p| *p <= self).collect()
    }
}

impl FromStr for ConnectProtocol {
    type Err = ProtocolError;

    /// Parses a `connect.protocol` config value, case-insensitively.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.config_value().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| ProtocolError::UnknownProtocol(value.to_string()))
    }
}

impl fmt::Display for ConnectProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.config_value())
    }
}

/// What a worker sends when it joins the group.
///
/// V0: `version int16, url STRING, config_offset INT64`.
/// V1/V2: the same plus `allocation NULLABLE_BYTES`, an encoded [`Assignment`] holding the work
/// the worker currently runs (null when it runs nothing), so the leader can keep work in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMetadata {
    pub version: i16,
    pub url: String,
    pub config_offset: i64,
    /// Ignored when encoding V0, and always `None` after decoding V0.
    pub allocation: Option<Assignment>,
}

impl WorkerMetadata {
    /// Encodes the metadata in the layout of `self.version`.
    ///
    /// # Panics
    /// If a string is longer than the protocol allows (32767 bytes); see [`Self::try_encode`].
    pub fn encode(&self) -> Vec<u8> {
        self.try_encode()
            .expect("worker metadata strings must fit the protocol's int16 lengths")
    }

    /// Encodes the metadata, failing if a string is too long for the protocol.
    pub fn try_encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::new();
        out.extend(self.version.to_be_bytes());
        put_string(&mut out, "url", &self.url)?;
        out.extend(self.config_offset.to_be_bytes());
        if self.version >= CONNECT_PROTOCOL_V1 {
            match &self.allocation {
                Some(allocation) => put_bytes(&mut out, "allocation", &allocation.try_encode()?)?,
                None => out.extend((-1i32).to_be_bytes()),
            }
        }
        Ok(out)
    }

    /// Decodes metadata of any version; bytes after the fields of the version header are left
    /// unread, as newer versions may append fields.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        let version = read_version(&mut r)?;
        let url = r.string("url")?;
        let config_offset = r.i64("config_offset")?;
        let allocation = if version >= CONNECT_PROTOCOL_V1 {
            r.nullable_bytes("allocation")?
        } else {
            None
        };
        let allocation = allocation
            .map(|inner| Assignment::decode(inner).map_err(|e| ProtocolError::Allocation(e.into())))
            .transpose()?;
        Ok(WorkerMetadata {
            version,
            url,
            config_offset,
            allocation,
        })
    }
}

/// What the leader hands each member.
///
/// V0: `version int16, error int16, leader STRING, leader_url STRING, config_offset INT64,
/// assignment ARRAY<{connector STRING, tasks ARRAY<INT32>}>`.
/// V1/V2: the same plus `revoked` (shaped like `assignment`) and `delay INT32` (ms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub version: i16,
    /// [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    pub leader: String,
    pub leader_url: String,
    pub config_offset: i64,
    /// Work to run: connector name -> task ids, with [`CONNECTOR_TASK`] for the connector itself.
    pub connectors: BTreeMap<String, Vec<i32>>,
    /// Work to stop, shaped like `connectors`. Not encoded in V0.
    pub revoked: BTreeMap<String, Vec<i32>>,
    /// Milliseconds after which members should rejoin so held-back work gets reassigned. Not
    /// encoded in V0.
    pub delay: i32,
}

impl Assignment {
    /// Connectors whose instance is assigned.
    pub fn assigned_connectors(&self) -> impl Iterator<Item = &str> {
        connectors_of(&self.connectors)
    }

    /// Assigned tasks as (connector, task number).
    pub fn assigned_tasks(&self) -> Vec<(String, u32)> {
        tasks_of(&self.connectors)
    }

    /// Connectors whose instance is revoked.
    pub fn revoked_connectors(&self) -> impl Iterator<Item = &str> {
        connectors_of(&self.revoked)
    }

    /// Revoked tasks as (connector, task number).
    pub fn revoked_tasks(&self) -> Vec<(String, u32)> {
        tasks_of(&self.revoked)
    }

    /// Encodes the assignment in the layout of `self.version`.
    ///
    /// # Panics
    /// If a name is longer than the protocol allows (32767 bytes); see [`Self::try_encode`].
    pub fn encode(&self) -> Vec<u8> {
        self.try_encode()
            .expect("assignment strings must fit the protocol's int16 lengths")
    }

    /// Encodes the assignment, failing if a name is too long for the protocol.
    pub fn try_encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::new();
        out.extend(self.version.to_be_bytes());
        out.extend(self.error.to_be_bytes());
        put_string(&mut out, "leader", &self.leader)?;
        put_string(&mut out, "leader_url", &self.leader_url)?;
        out.extend(self.config_offset.to_be_bytes());
        put_task_map(&mut out, "assignment", &self.connectors)?;
        if self.version >= CONNECT_PROTOCOL_V1 {
            put_task_map(&mut out, "revoked", &self.revoked)?;
            out.extend(self.delay.to_be_bytes());
        }
        Ok(out)
    }

    /// Decodes an assignment of any version; bytes after the fields of the version header are
    /// left unread, as newer versions may append fields.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        let version = read_version(&mut r)?;
        let error = r.i16("error")?;
        let leader = r.string("leader")?;
        let leader_url = r.string("leader_url")?;
        let config_offset = r.i64("config_offset")?;
        // From V1 on the arrays are nullable; null reads as "nothing".
        let nullable = version >= CONNECT_PROTOCOL_V1;
        let connectors = read_task_map(&mut r, "assignment", nullable)?;
        let (revoked, delay) = if version >= CONNECT_PROTOCOL_V1 {
            (read_task_map(&mut r, "revoked", true)?, r.i32("delay")?)
        } else {
            (BTreeMap::new(), 0)
        };
        Ok(Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            connectors,
            revoked,
            delay,
        })
    }
}

fn connectors_of(map: &BTreeMap<String, Vec<i32>>) -> impl Iterator<Item = &str> {
    map.iter()
        .filter(|(_, tasks)| tasks.contains(&CONNECTOR_TASK))
        .map(|(name, _)| name.as_str())
}

/// Task numbers other than [`CONNECTOR_TASK`]; other negative ids name no task and are skipped.
fn tasks_of(map: &BTreeMap<String, Vec<i32>>) -> Vec<(String, u32)> {
    map.iter()
        .flat_map(|(name, tasks)| {
            tasks
                .iter()
                .filter_map(|&t| u32::try_from(t).ok())
                .map(move |t| (name.clone(), t))
        })
        .collect()
}

fn read_version(r: &mut Reader<'_>) -> Result<i16, ProtocolError> {
    let version = r.i16("version")?;
    // Newer versions only append fields, so anything from V0 up is readable.
    if version < CONNECT_PROTOCOL_V0 {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    Ok(version)
}

fn read_task_map(
    r: &mut Reader<'_>,
    field: &'static str,
    nullable: bool,
) -> Result<BTreeMap<String, Vec<i32>>, ProtocolError> {
    let mut map: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    let Some(count) = r.array_len(field, nullable)? else {
        return Ok(map);
    };
    for _ in 0..count {
        let connector = r.string("connector")?;
        let task_count = r.array_len("tasks", false)?.unwrap_or(0);
        let tasks = map.entry(connector).or_default();
        for _ in 0..task_count {
            tasks.push(r.i32("task id")?);
        }
    }
    Ok(map)
}

fn put_task_map(
    out: &mut Vec<u8>,
    field: &'static str,
    map: &BTreeMap<String, Vec<i32>>,
) -> Result<(), ProtocolError> {
    put_len32(out, field, map.len())?;
    for (connector, tasks) in map {
        put_string(out, "connector", connector)?;
        put_len32(out, "tasks", tasks.len())?;
        for &task in tasks {
            out.extend(task.to_be_bytes());
        }
    }
    Ok(())
}

fn put_len32(out: &mut Vec<u8>, field: &'static str, len: usize) -> Result<(), ProtocolError> {
    let len = i32::try_from(len).map_err(|_| ProtocolError::TooLong {
        field,
        len,
        max: i32::MAX as usize,
    })?;
    out.extend(len.to_be_bytes());
    Ok(())
}

fn put_string(out: &mut Vec<u8>, field: &'static str, s: &str) -> Result<(), ProtocolError> {
    let len = i16::try_from(s.len()).map_err(|_| ProtocolError::TooLong {
        field,
        len: s.len(),
        max: i16::MAX as usize,
    })?;
    out.extend(len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, field: &'static str, b: &[u8]) -> Result<(), ProtocolError> {
    put_len32(out, field, b.len())?;
    out.extend_from_slice(b);
    Ok(())
}

/// A cursor over a payload whose every read names the field it reads, so errors say what was cut.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], ProtocolError> {
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(ProtocolError::Truncated {
                field,
                offset: self.pos,
                needed: n,
                available,
            });
        }
        let bytes = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, ProtocolError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, ProtocolError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn string(&mut self, field: &'static str) -> Result<String, ProtocolError> {
        let len = self.i16(field)?;
        let len = usize::try_from(len).map_err(|_| ProtocolError::NegativeLength {
            field,
            len: len.into(),
        })?;
        let bytes = self.take(field, len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 { field })
    }

    /// Any negative length is null.
    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, ProtocolError> {
        let len = self.i32(field)?;
        match usize::try_from(len) {
            Ok(len) => self.take(field, len).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// An array's element count; `None` for a null array, which only nullable fields may be.
    fn array_len(
        &mut self,
        field: &'static str,
        nullable: bool,
    ) -> Result<Option<usize>, ProtocolError> {
        let len = self.i32(field)?;
        match usize::try_from(len) {
            Ok(len) => Ok(Some(len)),
            Err(_) if nullable => Ok(None),
            Err(_) => Err(ProtocolError::NegativeLength { field, len }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected payloads, built one field per line so the layout can be read off the test.
    #[derive(Default)]
    struct Wire(Vec<u8>);

    impl Wire {
        fn i16(mut self, v: i16) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn i32(mut self, v: i32) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn i64(mut self, v: i64) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        /// STRING: int16 length, then UTF-8.
        fn str(self, s: &str) -> Self {
            let mut w = self.i16(s.len() as i16);
            w.0.extend(s.as_bytes());
            w
        }
        /// NULLABLE_BYTES: int32 length, then the bytes.
        fn bytes(self, b: &[u8]) -> Self {
            let mut w = self.i32(b.len() as i32);
            w.0.extend(b);
            w
        }
    }

    fn tasks(entries: &[(&str, &[i32])]) -> BTreeMap<String, Vec<i32>> {
        entries
            .iter()
            .map(|(c, t)| (c.to_string(), t.to_vec()))
            .collect()
    }

    fn sample_assignment(version: i16) -> Assignment {
        let v1 = version >= 1;
        Assignment {
            version,
            error: NO_ERROR,
            leader: "worker-1".into(),
            leader_url: "http://w1:8083/".into(),
            config_offset: 17,
            connectors: tasks(&[("orders", &[-1, 0, 2]), ("users", &[1])]),
            revoked: if v1 {
                tasks(&[("clicks", &[-1, 3])])
            } else {
                BTreeMap::new()
            },
            delay: if v1 { 2500 } else { 0 },
        }
    }

    fn sample_metadata(version: i16) -> WorkerMetadata {
        WorkerMetadata {
            version,
            url: "http://w2:8083/".into(),
            config_offset: 99,
            allocation: (version >= 1).then(|| sample_assignment(version)),
        }
    }

    /// The field a decode error reports as truncated.
    fn truncated<T: fmt::Debug>(result: Result<T, ProtocolError>) -> &'static str {
        match result {
            Err(ProtocolError::Truncated { field, .. }) => field,
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_every_version() {
        for version in [0, 1, 2] {
            let a = sample_assignment(version);
            assert_eq!(Assignment::decode(&a.encode()), Ok(a), "v{version}");
            let m = sample_metadata(version);
            assert_eq!(WorkerMetadata::decode(&m.encode()), Ok(m), "v{version}");
            let empty = WorkerMetadata {
                allocation: None,
                ..sample_metadata(version)
            };
            assert_eq!(WorkerMetadata::decode(&empty.encode()), Ok(empty));
        }
    }

    #[test]
    fn v0_encoding_drops_v1_fields() {
        let a = Assignment {
            version: 0,
            ..sample_assignment(1)
        };
        let decoded = Assignment::decode(&a.encode()).expect("decodes");
        assert_eq!((decoded.revoked.len(), decoded.delay), (0, 0));
        assert_eq!(decoded.connectors, a.connectors);
        let m = WorkerMetadata {
            version: 0,
            ..sample_metadata(1)
        };
        assert_eq!(
            WorkerMetadata::decode(&m.encode()).map(|m| m.allocation),
            Ok(None)
        );
    }

    #[test]
    fn v1_assignment_bytes_match_the_layout() {
        let a = Assignment {
            version: 1,
            error: CONFIG_MISMATCH,
            leader: "w1".into(),
            leader_url: "http://w1".into(),
            config_offset: 5,
            connectors: tasks(&[("a", &[-1, 0])]),
            revoked: tasks(&[("b", &[2])]),
            delay: 300,
        };
        let expected = Wire::default()
            .i16(1) // version header
            .i16(1) // error: CONFIG_MISMATCH
            .str("w1") // leader
            .str("http://w1") // leader_url
            .i64(5) // config_offset
            .i32(1) // assignment: one connector entry
            .str("a") //   connector
            .i32(2) //   tasks: two ids
            .i32(-1) //     the connector instance
            .i32(0) //     task 0
            .i32(1) // revoked: one connector entry
            .str("b") //   connector
            .i32(1) //   tasks: one id
            .i32(2) //     task 2
            .i32(300) // delay ms
            .0;
        assert_eq!(a.encode(), expected);
        assert_eq!(Assignment::decode(&expected), Ok(a));
    }

    #[test]
    fn v1_metadata_bytes_match_the_layout() {
        let allocation = Assignment {
            version: 1,
            leader: "w1".into(),
            leader_url: "u".into(),
            config_offset: 7,
            connectors: tasks(&[("c", &[-1])]),
            ..Assignment::default()
        };
        let m = WorkerMetadata {
            version: 1,
            url: "http://w2".into(),
            config_offset: 42,
            allocation: Some(allocation),
        };
        // The allocation is a whole assignment, version header included.
        let inner = Wire::default()
            .i16(1) // version header
            .i16(0) // error: NO_ERROR
            .str("w1") // leader
            .str("u") // leader_url
            .i64(7) // config_offset
            .i32(1) // assignment: one connector entry
            .str("c") //   connector
            .i32(1) //   tasks: one id
            .i32(-1) //     the connector instance
            .i32(0) // revoked: empty
            .i32(0) // delay ms
            .0;
        let expected = Wire::default()
            .i16(1) // version header
            .str("http://w2") // url
            .i64(42) // config_offset
            .bytes(&inner) // allocation
            .0;
        assert_eq!(m.encode(), expected);
        assert_eq!(WorkerMetadata::decode(&expected), Ok(m));
    }

    #[test]
    fn trailing_bytes_of_newer_versions_are_ignored() {
        let a = Assignment {
            version: 3,
            ..sample_assignment(1)
        };
        let mut bytes = a.encode();
        bytes.extend([0xAB; 9]);
        assert_eq!(Assignment::decode(&bytes), Ok(a));
        let m = WorkerMetadata {
            version: 3,
            ..sample_metadata(1)
        };
        let mut bytes = m.encode();
        bytes.extend([1, 2, 3]);
        assert_eq!(WorkerMetadata::decode(&bytes), Ok(m));
    }

    #[test]
    fn truncation_names_the_field() {
        let bytes = sample_assignment(1).encode();
        let err = Assignment::decode(&bytes[..bytes.len() - 2]).expect_err("cut");
        assert!(err.to_string().starts_with("truncated delay"), "{err}");
        assert_eq!(truncated(Assignment::decode(&bytes[..5])), "leader");
        assert_eq!(truncated(WorkerMetadata::decode(&[0])), "version");
        let bytes = sample_metadata(1).encode();
        assert_eq!(
            truncated(WorkerMetadata::decode(&bytes[..bytes.len() - 1])),
            "allocation"
        );
    }

    #[test]
    fn errors_inside_the_allocation_are_wrapped() {
        let m = Wire::default()
            .i16(1)
            .str("u")
            .i64(0)
            .bytes(&Wire::default().i16(1).0) // an allocation cut after its header
            .0;
        match WorkerMetadata::decode(&m) {
            Err(ProtocolError::Allocation(inner)) => {
                assert_eq!(truncated(Err::<(), _>(*inner)), "error")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn negative_lengths() {
        // A string is never null.
        let url = Wire::default().i16(1).i16(-1).0;
        let err = ProtocolError::NegativeLength {
            field: "url",
            len: -1,
        };
        assert_eq!(WorkerMetadata::decode(&url), Err(err));

        // From V1 the assignment and revoked arrays are nullable: null means nothing.
        let head = |version| {
            Wire::default()
                .i16(version)
                .i16(0)
                .str("w1")
                .str("u")
                .i64(3)
        };
        let v1 = head(1).i32(-1).i32(-1).i32(0).0;
        let a = Assignment::decode(&v1).expect("nullable arrays");
        assert!(a.connectors.is_empty() && a.revoked.is_empty());

        // The V0 assignment array and every tasks array are not.
        let err = ProtocolError::NegativeLength {
            field: "assignment",
            len: -1,
        };
        assert_eq!(Assignment::decode(&head(0).i32(-1).0), Err(err));
        let v1 = head(1).i32(1).str("c").i32(-2).0;
        let err = ProtocolError::NegativeLength {
            field: "tasks",
            len: -2,
        };
        assert_eq!(Assignment::decode(&v1), Err(err));

        // Any negative allocation length is a null allocation.
        let m = Wire::default().i16(1).str("u").i64(0).i32(-7).0;
        assert_eq!(WorkerMetadata::decode(&m).map(|m| m.allocation), Ok(None));
    }

    #[test]
    fn malformed_input_is_rejected() {
        let negative = (-1i16).to_be_bytes();
        assert_eq!(
            Assignment::decode(&negative),
            Err(ProtocolError::UnsupportedVersion(-1))
        );

        // A huge count fails on the missing elements rather than allocating for them.
        let huge = Wire::default()
            .i16(0)
            .i16(0)
            .str("")
            .str("")
            .i64(0)
            .i32(i32::MAX)
            .0;
        assert_eq!(truncated(Assignment::decode(&huge)), "connector");

        let mut bad_utf8 = Wire::default().i16(0).i16(1).0;
        bad_utf8.push(0xFF);
        let err = ProtocolError::InvalidUtf8 { field: "url" };
        assert_eq!(WorkerMetadata::decode(&bad_utf8), Err(err));

        let long = WorkerMetadata {
            url: "x".repeat(40_000),
            ..sample_metadata(0)
        };
        assert!(matches!(
            long.try_encode(),
            Err(ProtocolError::TooLong { field: "url", .. })
        ));
    }

    #[test]
    fn helpers_split_connectors_and_tasks() {
        let a = sample_assignment(1);
        let task = |c: &str, t| (c.to_string(), t);
        assert_eq!(a.assigned_connectors().collect::<Vec<_>>(), ["orders"]);
        assert_eq!(
            a.assigned_tasks(),
            [task("orders", 0), task("orders", 2), task("users", 1)]
        );
        assert_eq!(a.revoked_connectors().collect::<Vec<_>>(), ["clicks"]);
        assert_eq!(a.revoked_tasks(), [task("clicks", 3)]);
    }

    #[test]
    fn subprotocol_names_and_config_values() {
        assert_eq!(PROTOCOL_TYPE, "connect");
        let all = [
            (ConnectProtocol::Eager, "eager", "default", 0),
            (ConnectProtocol::Compatible, "compatible", "compatible", 1),
            (ConnectProtocol::Sessioned, "sessioned", "sessioned", 2),
        ];
        for (p, config, name, version) in all {
            assert_eq!(config.parse::<ConnectProtocol>(), Ok(p));
            assert_eq!(config.to_uppercase().parse::<ConnectProtocol>(), Ok(p));
            assert_eq!(
                (p.name(), p.version(), p.to_string()),
                (name, version, config.into())
            );
            assert_eq!(ConnectProtocol::from_name(name), Some(p));
        }
        let err = ProtocolError::UnknownProtocol("default".into());
        assert_eq!("default".parse::<ConnectProtocol>(), Err(err));
        assert_eq!(ConnectProtocol::default(), ConnectProtocol::Sessioned);
        let offered = ConnectProtocol::Compatible.offered();
        assert_eq!(
            offered,
            [ConnectProtocol::Compatible, ConnectProtocol::Eager]
        );
    }
}
