//! Worker membership in a Kafka group with protocol type `connect`, spoken directly over the
//! Kafka protocol (the `kafka-protocol` crate on a tokio TCP stream) rather than through rdkafka,
//! which has no way to carry a custom group protocol.
//!
//! A [`GroupMember`] finds the group's coordinator, joins (JoinGroup), distributes or receives
//! assignments (SyncGroup), keeps its session alive (Heartbeat) and leaves (LeaveGroup). It keeps
//! the member id and generation itself. It runs no background task: the caller heartbeats every
//! [`MembershipConfig::heartbeat_interval`] and rejoins when a heartbeat says so. The metadata and
//! assignment bytes are opaque here; `super::protocol` gives them their meaning.
//!
//! The Kafka error codes and what they mean to a member are listed in [`codes`].

mod connection;
mod coordinator;
mod error;
mod member;

use std::time::Duration;

pub use crate::distributed::protocol::PROTOCOL_TYPE;
pub use connection::{
    Connection, FIND_COORDINATOR_VERSIONS, GroupRequest, HEARTBEAT_VERSIONS, JOIN_GROUP_VERSIONS,
    LEAVE_GROUP_VERSIONS, NegotiatedVersions, SYNC_GROUP_VERSIONS, Transport,
};
pub use error::{MembershipError, code_is_retriable, code_name, codes};
pub use member::GroupMember;

/// How a worker takes part in the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipConfig {
    /// Brokers (`host:port`) to ask for the group's coordinator, tried in order.
    pub bootstrap: Vec<String>,
    /// The group all workers of one Sluice cluster share (`group.id`).
    pub group_id: String,
    /// How long the coordinator waits for a heartbeat before it drops the member.
    pub session_timeout: Duration,
    /// How long the coordinator waits for every member to rejoin during a rebalance.
    pub rebalance_timeout: Duration,
    /// How often the caller should call [`GroupMember::heartbeat`].
    pub heartbeat_interval: Duration,
    /// The client id sent in every request header, shown in broker logs.
    pub client_id: String,
}

impl MembershipConfig {
    /// A config with the distributed-mode defaults (`session.timeout.ms` 10 s,
    /// `rebalance.timeout.ms` 60 s, `heartbeat.interval.ms` 3 s).
    pub fn new(bootstrap: Vec<String>, group_id: impl Into<String>) -> Self {
        MembershipConfig {
            bootstrap,
            group_id: group_id.into(),
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(3),
            client_id: "sluice".to_string(),
        }
    }
}

/// A member's place in one generation of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub generation_id: i32,
    pub member_id: String,
    pub protocol_name: String,
}

/// What a successful JoinGroup tells a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    pub generation_id: i32,
    /// This member's id.
    pub member_id: String,
    /// The member the coordinator chose to compute assignments.
    pub leader_id: String,
    /// The subprotocol every member supports (e.g. `sessioned`).
    pub protocol_name: String,
    /// Every member's id and join metadata for the chosen protocol, as sent; empty unless this
    /// member is the leader.
    pub members: Vec<(String, Vec<u8>)>,
}

impl JoinResult {
    /// Whether this member must compute and send the assignments.
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }

    /// The generation this join formed.
    pub fn generation(&self) -> Generation {
        Generation {
            generation_id: self.generation_id,
            member_id: self.member_id.clone(),
            protocol_name: self.protocol_name.clone(),
        }
    }
}

/// What a heartbeat says about the member's generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatOutcome {
    /// The generation is current; keep working.
    Ok,
    /// The group is rebalancing (REBALANCE_IN_PROGRESS, 27): rejoin within the rebalance timeout
    /// to stay in the group.
    RebalanceNeeded,
    /// The generation is over for this member: ILLEGAL_GENERATION (22) — the group moved on
    /// without it, UNKNOWN_MEMBER_ID (25) — the coordinator dropped it, or FENCED_INSTANCE_ID
    /// (82). Its assignment is void; it must rejoin (as a new member unless the code is 22).
    Fenced { error_code: i16 },
}
