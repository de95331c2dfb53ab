//! [`WorkerCoordinator`]: the loop that keeps one Sluice worker in the group and tells the
//! herder what to run.
//!
//! Each generation: the worker joins with [`WorkerMetadata`] (its REST URL, the config offset it
//! has read, and what it runs now); the leader decodes every member's metadata, runs
//! [`assign`](super::assignor::assign) and hands out one [`Assignment`](super::protocol::Assignment)
//! per member through SyncGroup; every member decodes its own and reports the change to the
//! herder as an [`AssignmentEvent`]. Between rebalances the worker heartbeats every
//! [`MembershipConfig::heartbeat_interval`]. It rejoins when the group rebalances, when the herder
//! asks ([`CoordinatorHandle::request_rebalance`]), when the leader revoked work (so the next
//! round can place it), or when the assignment's delay ends (so held-back work of a departed
//! worker gets reassigned).
//!
//! Safety rules the loop keeps:
//! - Revoked work is stopped before the worker rejoins: an event that revokes anything carries a
//!   [`RevocationAck`], and the coordinator waits for it (heartbeating meanwhile) before the next
//!   JoinGroup, so the leader never hands work to a second worker while the first still runs it.
//! - A worker that is fenced, or that has had no answer from the group coordinator for longer than
//!   the session timeout, revokes everything it runs before it rejoins: by then the group may have
//!   moved on without it, and its work may be started elsewhere.
//! - On shutdown it revokes everything, waits for the acknowledgement, then leaves the group.
//! - A worker that wants the next round right after a sync (it revoked work, or leads a group
//!   whose spread is still uneven) waits one heartbeat interval from its sync before rejoining:
//!   a rejoin starts a rebalance, and members whose SyncGroup the broker has not answered yet
//!   would lose their assignment.
//!
//! Join metadata reports the last assignment back (with everything the worker runs as its work,
//! and that assignment's revocations and delay), as Kafka Connect workers do. Brokers answer a
//! follower that rejoins with unchanged metadata with the current generation instead of
//! rebalancing; the changing allocation is what makes the rejoin after a delay or a revocation
//! start a new generation.
//!
//! With the `eager` subprotocol every member stops all of its work before each rebalance.

mod events;
mod leader;
mod run;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::membership::{GroupMember, MembershipConfig, MembershipError};
use super::protocol::{ConnectProtocol, ProtocolError, WorkerMetadata};

pub use events::{AssignmentEvent, AssignmentEvents, EventCause, RevocationAck};

/// The default `scheduled.rebalance.max.delay.ms`: five minutes.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(300);

/// The default pause before rejoining after the leader answered `CONFIG_MISMATCH`.
pub const DEFAULT_MISMATCH_BACKOFF: Duration = Duration::from_secs(1);

/// The configured work the leader assigns: the config log offset it reflects, and each
/// connector's task count.
///
/// Called on every join (for this worker's config offset) and, on the leader, once per
/// generation; it should return a snapshot the config store already holds, without blocking.
/// Any `Fn() -> (i64, BTreeMap<String, u32>)` closure is a source.
pub trait WorkSource: Send + Sync {
    /// `(config offset, connector name -> task count)`.
    fn configured_work(&self) -> (i64, BTreeMap<String, u32>);
}

impl<F> WorkSource for F
where
    F: Fn() -> (i64, BTreeMap<String, u32>) + Send + Sync,
{
    fn configured_work(&self) -> (i64, BTreeMap<String, u32>) {
        self()
    }
}

/// How a worker takes part in the distributed group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// Brokers, group id, session/rebalance timeouts and heartbeat interval.
    pub membership: MembershipConfig,
    /// This worker's advertised REST URL, sent to the leader and, on the leader, to every member.
    pub url: String,
    /// `connect.protocol`: the newest subprotocol offered; older ones are offered too.
    pub protocol: ConnectProtocol,
    /// `scheduled.rebalance.max.delay.ms`: how long the work of a departed worker stays
    /// unassigned in case it comes back.
    pub max_delay: Duration,
    /// How long to wait before rejoining after the leader reported that a member has read
    /// further in the config log than the leader has.
    pub mismatch_backoff: Duration,
}

impl CoordinatorConfig {
    /// A config with the distributed-mode defaults: `sessioned`, a five-minute scheduled
    /// rebalance delay.
    pub fn new(membership: MembershipConfig, url: impl Into<String>) -> Self {
        CoordinatorConfig {
            membership,
            url: url.into(),
            protocol: ConnectProtocol::default(),
            max_delay: DEFAULT_MAX_DELAY,
            mismatch_backoff: DEFAULT_MISMATCH_BACKOFF,
        }
    }
}

/// Why the coordinator stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// The broker refused the worker in a way rejoining cannot fix (say, an inconsistent group
    /// protocol or an authorization failure).
    #[error("group membership failed: {0}")]
    Membership(#[from] MembershipError),
    /// The coordinator picked a subprotocol this worker never offered.
    #[error("the group chose subprotocol {0:?}, which this worker did not offer")]
    UnknownProtocol(String),
    /// This worker's join metadata cannot be expressed in the protocol (e.g. an over-long URL).
    #[error("cannot encode this worker's join metadata: {0}")]
    Metadata(#[source] ProtocolError),
    /// The leader could not encode an assignment.
    #[error("cannot encode an assignment: {0}")]
    Encode(#[source] ProtocolError),
    /// The receiver of [`AssignmentEvent`]s was dropped, so nobody would act on assignments.
    #[error("the assignment event receiver was dropped")]
    EventsClosed,
}

/// Lets the herder ask the coordinator for a rebalance; cheap to clone.
#[derive(Debug, Clone)]
pub struct CoordinatorHandle {
    rebalance: Arc<Notify>,
}

impl CoordinatorHandle {
    /// Asks the worker to rejoin the group, e.g. after connector configs or task counts changed,
    /// so the leader assigns the new work. A request made during a rebalance causes one more.
    ///
    /// Call it once the [`WorkSource`] reports the new config offset: a broker starts a new
    /// generation for a rejoining follower only if its join metadata changed, and answers with
    /// the current generation (a no-op) otherwise.
    pub fn request_rebalance(&self) {
        self.rebalance.notify_one();
    }
}

/// One worker's group coordinator loop. Build it with [`WorkerCoordinator::new`], keep the
/// [`AssignmentEvents`] receiver for the herder, and drive [`WorkerCoordinator::run`].
pub struct WorkerCoordinator {
    member: GroupMember,
    state: run::State,
}

impl WorkerCoordinator {
    /// A coordinator that has not joined yet, and the stream of its assignment events.
    ///
    /// Fails if the worker's URL cannot be carried in join metadata.
    pub fn new(
        config: CoordinatorConfig,
        work: impl WorkSource + 'static,
    ) -> Result<(Self, AssignmentEvents), CoordinatorError> {
        // Checked once here, so a later join cannot fail on it.
        WorkerMetadata {
            version: config.protocol.version(),
            url: config.url.clone(),
            config_offset: 0,
            allocation: None,
        }
        .try_encode()
        .map_err(CoordinatorError::Metadata)?;
        let (events, receiver) = mpsc::unbounded_channel();
        // The member is never cancelled through its own token: the loop drops calls in flight
        // when the worker's token fires, and still needs heartbeats and LeaveGroup to shut down.
        let member = GroupMember::new(config.membership.clone(), CancellationToken::new());
        let state = run::State::new(config, Box::new(work), events);
        Ok((WorkerCoordinator { member, state }, receiver))
    }

    /// A handle for asking this coordinator to rebalance.
    pub fn handle(&self) -> CoordinatorHandle {
        CoordinatorHandle {
            rebalance: self.state.rebalance.clone(),
        }
    }

    /// Runs until `cancel` fires or membership fails for good. Either way it ends by emitting an
    /// event revoking everything, waiting (up to the rebalance timeout) for its acknowledgement,
    /// and leaving the group.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<(), CoordinatorError> {
        let result = self.run_until_stopped(&cancel).await;
        self.stop().await;
        result
    }
}
