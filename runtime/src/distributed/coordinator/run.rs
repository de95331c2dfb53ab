//! The coordinator loop: join, assign (on the leader), sync, apply, heartbeat, and the
//! revocations that must complete between those steps.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::events::{AssignmentEvent, Change, EventCause, RevocationAck};
use super::leader::{self, Round};
use super::{CoordinatorConfig, CoordinatorError, WorkSource, WorkerCoordinator};
use crate::distributed::assignor::{AssignorState, WorkSet};
use crate::distributed::membership::{GroupMember, HeartbeatOutcome, JoinResult, MembershipError};
use crate::distributed::protocol::{Assignment, ConnectProtocol, NO_ERROR, WorkerMetadata};

/// Pause before joining again after a failed join or sync, or an unreadable assignment.
const RETRY_BACKOFF: Duration = Duration::from_secs(1);

/// What the loop does next.
#[derive(Debug)]
enum Next {
    /// Join again now.
    Rejoin(&'static str),
    /// Join again after a pause, heartbeating meanwhile if still in a generation.
    RejoinAfter(Duration, &'static str),
    /// The worker may have lost its place: stop everything, then join again.
    RevokeAndRejoin(EventCause),
    /// The worker's token fired.
    Shutdown,
    Fatal(CoordinatorError),
}

impl Next {
    /// Which of two outcomes noticed while waiting matters more.
    fn urgency(&self) -> u8 {
        match self {
            Next::Rejoin(_) | Next::RejoinAfter(..) => 0,
            Next::RevokeAndRejoin(_) => 1,
            Next::Shutdown => 2,
            Next::Fatal(_) => 3,
        }
    }

    fn keep_urgent(noted: Option<Next>, new: Next) -> Option<Next> {
        match noted {
            Some(old) if old.urgency() >= new.urgency() => Some(old),
            _ => Some(new),
        }
    }
}

/// An operation raced against the worker's token and the session deadline.
enum Guarded<T> {
    Done(T),
    Cancelled,
    EventsClosed,
}

/// What this worker runs and where it stands in the group.
struct Held {
    /// Everything the herder was told to run, less what it was told to stop.
    total: WorkSet,
    /// The last assignment applied, as received. Join metadata reports it back with `total` as
    /// its work, revocations and delay included, as Kafka Connect workers do: the metadata then
    /// differs after any assignment that revoked or held back work, and a broker only starts a
    /// new generation for a rejoining follower whose metadata changed.
    last: Option<Assignment>,
    generation: i32,
    leader: bool,
    /// The subprotocol of the last generation, or the configured one before the first.
    protocol: ConnectProtocol,
    /// The last answer from the group coordinator; the session is presumed lost a session
    /// timeout after it.
    last_contact: Instant,
    /// Work was revoked after the join metadata reporting it was sent, so the leader's picture
    /// is stale: join again as soon as this generation's assignment is applied.
    report_stale: bool,
}

/// Everything of the coordinator except the group member, so both can be borrowed at once.
pub(super) struct State {
    config: CoordinatorConfig,
    work: Box<dyn WorkSource>,
    events: mpsc::UnboundedSender<AssignmentEvent>,
    pub(super) rebalance: Arc<Notify>,
    held: Held,
    /// The assignor's memory while this worker leads; cleared when another member leads, as it
    /// describes what this worker assigned.
    assignor: Option<AssignorState>,
    /// The clock the assignor's hold times are measured on.
    clock: Instant,
    /// The leader's last round left an uneven spread it could not fix in that round.
    follow_up: bool,
    /// The leader's decision for the generation being synced, kept once the leader's own
    /// assignment comes back from SyncGroup.
    proposal: Option<Proposal>,
}

/// A leader's decision awaiting confirmation. A broker that answers a rejoin with the current
/// generation hands out the assignments stored for it and drops the new ones; the leader's
/// memory must then keep describing what was actually handed out.
struct Proposal {
    /// `None` when the decision assigned nothing (config mismatch).
    state: Option<AssignorState>,
    follow_up: bool,
    /// The leader's own encoded assignment in this decision.
    own: Vec<u8>,
}

impl State {
    pub(super) fn new(
        config: CoordinatorConfig,
        work: Box<dyn WorkSource>,
        events: mpsc::UnboundedSender<AssignmentEvent>,
    ) -> Self {
        let held = Held {
            total: WorkSet::default(),
            last: None,
            generation: -1,
            leader: false,
            protocol: config.protocol,
            last_contact: Instant::now(),
            report_stale: false,
        };
        State {
            config,
            work,
            events,
            rebalance: Arc::new(Notify::new()),
            held,
            assignor: None,
            clock: Instant::now(),
            follow_up: false,
            proposal: None,
        }
    }

    fn session_timeout(&self) -> Duration {
        self.config.membership.session_timeout
    }

    fn heartbeat_interval(&self) -> Duration {
        self.config.membership.heartbeat_interval
    }

    /// When the session is presumed lost, if the worker runs anything that would then have to
    /// stop.
    fn fence_deadline(&self) -> Option<Instant> {
        (!self.held.total.is_empty()).then(|| self.held.last_contact + self.session_timeout())
    }

    fn contact(&mut self) {
        self.held.last_contact = Instant::now();
    }

    /// The subprotocols to offer, each with join metadata in its own version.
    fn protocols(&self) -> Result<Vec<(String, Vec<u8>)>, CoordinatorError> {
        let (config_offset, _) = self.work.configured_work();
        let held = &self.held;
        self.config
            .protocol
            .offered()
            .into_iter()
            .map(|protocol| {
                let version = protocol.version();
                let allocation = held.last.as_ref().map(|last| Assignment {
                    version,
                    connectors: held.total.to_task_map(),
                    ..last.clone()
                });
                let metadata = WorkerMetadata {
                    version,
                    url: self.config.url.clone(),
                    config_offset,
                    allocation,
                };
                let bytes = metadata.try_encode().map_err(CoordinatorError::Metadata)?;
                Ok((protocol.name().to_string(), bytes))
            })
            .collect()
    }

    /// The leader's assignments for a generation, encoded for SyncGroup.
    fn lead(
        &mut self,
        join: &JoinResult,
        protocol: ConnectProtocol,
    ) -> Result<Vec<(String, Vec<u8>)>, CoordinatorError> {
        let (config_offset, connectors) = self.work.configured_work();
        let now_ms = u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let previous = self.assignor.clone().unwrap_or_default();
        let round = Round {
            members: &join.members,
            leader_id: &join.leader_id,
            leader_url: &self.config.url,
            version: protocol.version(),
            config_offset,
            connectors: &connectors,
            now_ms,
            max_delay: self.config.max_delay,
        };
        let decision = leader::decide(&round, &previous);
        let encoded = decision
            .assignments
            .into_iter()
            .map(|(member, assignment)| {
                let bytes = assignment.try_encode().map_err(CoordinatorError::Encode)?;
                Ok((member, bytes))
            })
            .collect::<Result<Vec<_>, CoordinatorError>>()?;
        let own = encoded
            .iter()
            .find(|(member, _)| *member == join.member_id)
            .map(|(_, bytes)| bytes.clone())
            .unwrap_or_default();
        self.proposal = Some(Proposal {
            state: decision.state,
            follow_up: decision.follow_up,
            own,
        });
        Ok(encoded)
    }

    /// Keeps the leader's decision if the broker handed out its assignments.
    fn confirm(&mut self, received: &[u8]) {
        let Some(proposal) = self.proposal.take() else {
            return;
        };
        if proposal.own != received {
            tracing::debug!(
                group = %self.config.membership.group_id,
                "the broker handed out an earlier assignment; keeping the previous assignor state"
            );
            return;
        }
        if let Some(state) = proposal.state {
            self.assignor = Some(state);
        }
        self.follow_up = proposal.follow_up;
    }

    /// Sends an event; the receiver resolves when the herder acknowledges it.
    fn emit(
        &self,
        cause: EventCause,
        change: Change,
        delay: Duration,
    ) -> Result<oneshot::Receiver<()>, CoordinatorError> {
        let (ack, acked) = RevocationAck::new();
        let held = &self.held;
        let event = AssignmentEvent {
            cause,
            generation: held.generation,
            leader: held.leader,
            leader_url: held
                .last
                .as_ref()
                .map(|a| a.leader_url.clone())
                .unwrap_or_default(),
            config_offset: held.last.as_ref().map_or(-1, |a| a.config_offset),
            revoked: change.revoked,
            assigned: change.assigned,
            total: change.total,
            delay,
            ack,
        };
        self.events
            .send(event)
            .map_err(|_| CoordinatorError::EventsClosed)?;
        Ok(acked)
    }

    /// Tells the herder to stop everything; the worker runs nothing from here on.
    fn emit_revoke_all(
        &mut self,
        cause: EventCause,
    ) -> Result<oneshot::Receiver<()>, CoordinatorError> {
        let revoked = std::mem::take(&mut self.held.total);
        tracing::info!(
            group = %self.config.membership.group_id,
            ?cause,
            connectors = revoked.connectors.len(),
            tasks = revoked.tasks.len(),
            "revoking all work"
        );
        let change = Change {
            revoked,
            ..Change::default()
        };
        self.emit(cause, change, Duration::ZERO)
    }

    /// Drives `op` (a join or sync) to completion unless the worker's token fires. If the
    /// session deadline passes meanwhile, everything is revoked without interrupting `op`: the
    /// group may have formed a generation without this worker, but if it has not, abandoning the
    /// request would only make the rebalance wait longer.
    async fn guard<T>(
        &mut self,
        op: impl Future<Output = T>,
        cancel: &CancellationToken,
    ) -> Guarded<T> {
        tokio::pin!(op);
        let mut output = None;
        let mut acked: Option<oneshot::Receiver<()>> = None;
        loop {
            let fence = if acked.is_none() {
                self.fence_deadline()
            } else {
                None
            };
            enum Step<T> {
                Cancelled,
                Finished(T),
                Acked,
                Fence,
            }
            let step = tokio::select! {
                biased;
                () = cancel.cancelled() => Step::Cancelled,
                out = &mut op, if output.is_none() => Step::Finished(out),
                _ = wait_for(acked.as_mut()), if acked.is_some() => Step::Acked,
                () = sleep_until_some(fence), if fence.is_some() => Step::Fence,
            };
            match step {
                Step::Cancelled => return Guarded::Cancelled,
                Step::Finished(out) => output = Some(out),
                Step::Acked => acked = None,
                Step::Fence => {
                    tracing::warn!(
                        group = %self.config.membership.group_id,
                        "no answer from the group coordinator within the session timeout"
                    );
                    match self.emit_revoke_all(EventCause::CoordinatorLost) {
                        Ok(receiver) => acked = Some(receiver),
                        Err(_) => return Guarded::EventsClosed,
                    }
                    self.held.report_stale = true;
                }
            }
            if acked.is_none()
                && let Some(out) = output.take()
            {
                return Guarded::Done(out);
            }
        }
    }

    /// Records that the coordinator answered, if it did: an error code is an answer too.
    fn contact_if_answered(&mut self, error: &MembershipError) {
        if error.kafka_code().is_some() {
            self.contact();
        }
    }

    /// What a failed join or sync leads to.
    fn after_error(&mut self, step: &'static str, error: MembershipError) -> Next {
        self.contact_if_answered(&error);
        if error.needs_rejoin() {
            tracing::info!(group = %self.config.membership.group_id, %error, step, "rejoining");
            Next::Rejoin("the generation ended before it was synced")
        } else if error.is_retriable() {
            tracing::warn!(group = %self.config.membership.group_id, %error, step, "retrying");
            Next::RejoinAfter(RETRY_BACKOFF, "retriable error")
        } else {
            Next::Fatal(CoordinatorError::Membership(error))
        }
    }
}

impl WorkerCoordinator {
    /// The loop; returns when the token fires or membership fails for good.
    pub(super) async fn run_until_stopped(
        &mut self,
        cancel: &CancellationToken,
    ) -> Result<(), CoordinatorError> {
        let mut next = Next::Rejoin("starting");
        loop {
            next = match next {
                Next::Shutdown => return Ok(()),
                Next::Fatal(error) => return Err(error),
                Next::Rejoin(why) => {
                    tracing::debug!(group = %self.state.config.membership.group_id, why, "joining");
                    self.generation(cancel).await
                }
                Next::RejoinAfter(pause, why) => {
                    self.heartbeat_until(Some((Instant::now() + pause, why)), cancel)
                        .await
                }
                Next::RevokeAndRejoin(cause) => match self.revoke_all(cause, cancel).await {
                    Some(next) => next,
                    None => Next::Rejoin("revoked after losing the generation"),
                },
            };
        }
    }

    /// Revokes everything, emits the final event and leaves the group.
    pub(super) async fn stop(&mut self) {
        if let Ok(acked) = self.state.emit_revoke_all(EventCause::Stopping) {
            // Leaving lets others start this worker's work at once, so wait for it to stop; but
            // a herder that has stopped listening must not keep the worker from leaving.
            let until = Instant::now() + self.state.config.membership.rebalance_timeout;
            if self.wait_for_ack(acked, None, Some(until)).await.is_none() {
                tracing::warn!(
                    group = %self.state.config.membership.group_id,
                    "revoked work not acknowledged within the rebalance timeout; leaving anyway"
                );
            }
        }
        if let Err(error) = self.member.leave().await {
            tracing::warn!(group = %self.state.config.membership.group_id, %error, "leaving the group failed");
        }
    }

    /// One generation: join, assign if leading, sync, apply; then heartbeat until something
    /// calls for the next step.
    async fn generation(&mut self, cancel: &CancellationToken) -> Next {
        if self.state.held.protocol == ConnectProtocol::Eager
            && let Some(next) = self.revoke_all(EventCause::EagerRebalance, cancel).await
        {
            return next;
        }
        let join = match self.join(cancel).await {
            Ok(join) => join,
            Err(next) => return next,
        };
        let Some(protocol) = ConnectProtocol::from_name(&join.protocol_name) else {
            return Next::Fatal(CoordinatorError::UnknownProtocol(join.protocol_name));
        };
        self.state.held.protocol = protocol;
        // A group that fell back to eager assigns as if nobody ran anything.
        if protocol == ConnectProtocol::Eager
            && let Some(next) = self.revoke_all(EventCause::EagerRebalance, cancel).await
        {
            return next;
        }
        let assignments = if join.is_leader() {
            match self.state.lead(&join, protocol) {
                Ok(assignments) => assignments,
                Err(error) => return Next::Fatal(error),
            }
        } else {
            self.state.assignor = None;
            self.state.follow_up = false;
            self.state.proposal = None;
            Vec::new()
        };
        let bytes = match self.sync(join.generation_id, assignments, cancel).await {
            Ok(bytes) => bytes,
            Err(next) => {
                self.state.proposal = None;
                return next;
            }
        };
        self.state.confirm(&bytes);
        self.apply(&join, &bytes, cancel).await
    }

    async fn join(&mut self, cancel: &CancellationToken) -> Result<JoinResult, Next> {
        let protocols = self.state.protocols().map_err(Next::Fatal)?;
        let WorkerCoordinator { member, state } = self;
        match state.guard(member.join(protocols), cancel).await {
            Guarded::Done(Ok(join)) => {
                state.contact();
                Ok(join)
            }
            Guarded::Done(Err(error)) => Err(state.after_error("join", error)),
            Guarded::Cancelled => Err(Next::Shutdown),
            Guarded::EventsClosed => Err(Next::Fatal(CoordinatorError::EventsClosed)),
        }
    }

    async fn sync(
        &mut self,
        generation: i32,
        assignments: Vec<(String, Vec<u8>)>,
        cancel: &CancellationToken,
    ) -> Result<Vec<u8>, Next> {
        let WorkerCoordinator { member, state } = self;
        match state
            .guard(member.sync(generation, assignments), cancel)
            .await
        {
            Guarded::Done(Ok(bytes)) => {
                state.contact();
                Ok(bytes)
            }
            Guarded::Done(Err(error)) => Err(state.after_error("sync", error)),
            Guarded::Cancelled => Err(Next::Shutdown),
            Guarded::EventsClosed => Err(Next::Fatal(CoordinatorError::EventsClosed)),
        }
    }

    /// Applies this worker's assignment and tells the herder; then waits for what comes next.
    async fn apply(&mut self, join: &JoinResult, bytes: &[u8], cancel: &CancellationToken) -> Next {
        let synced = Instant::now();
        let group = self.state.config.membership.group_id.clone();
        let assignment = match Assignment::decode(bytes) {
            Ok(assignment) => assignment,
            Err(error) => {
                // Nothing changes: the worker keeps its work and reports it again.
                tracing::warn!(%group, %error, "undecodable assignment");
                return Next::RejoinAfter(RETRY_BACKOFF, "undecodable assignment");
            }
        };
        if assignment.error != NO_ERROR {
            // Work keeps running: configs are caught up on in the background, then the group
            // tries again.
            tracing::warn!(
                %group,
                error = assignment.error,
                leader_offset = assignment.config_offset,
                "assignment failed (config mismatch); rejoining after a pause"
            );
            return Next::RejoinAfter(self.state.config.mismatch_backoff, "config mismatch");
        }
        let change = Change::apply(&self.state.held.total, &assignment);
        let held = &mut self.state.held;
        // A broker answers a rejoin with the generation already applied when no member's
        // metadata changed, and hands back the same assignment: nothing is new for the herder,
        // and its delay has been waited out once already.
        let repeat = held.last.is_some() && held.generation == join.generation_id;
        held.total = change.total.clone();
        held.generation = join.generation_id;
        held.leader = join.is_leader();
        let delay = Duration::from_millis(u64::try_from(assignment.delay).unwrap_or(0));
        held.last = Some(assignment);
        let report_stale = std::mem::take(&mut held.report_stale);
        if repeat && change.revoked.is_empty() && change.assigned.is_empty() && !report_stale {
            tracing::debug!(
                %group,
                generation = join.generation_id,
                "rejoin answered with the current generation"
            );
            self.state.follow_up = false;
            return self.heartbeat_until(None, cancel).await;
        }
        tracing::info!(
            %group,
            generation = join.generation_id,
            leader = join.is_leader(),
            revoked = change.revoked.connectors.len() + change.revoked.tasks.len(),
            assigned = change.assigned.connectors.len() + change.assigned.tasks.len(),
            total = change.total.connectors.len() + change.total.tasks.len(),
            ?delay,
            "assignment received"
        );
        let revoking = !change.revoked.is_empty();
        let acked = match self.state.emit(EventCause::Assigned, change, delay) {
            Ok(acked) => acked,
            Err(error) => return Next::Fatal(error),
        };
        // A rejoin starts the next rebalance, and a member whose SyncGroup is still pending then
        // loses this generation's assignment. Brokers may answer members' SyncGroups some time
        // apart, so a worker that wants the next round at once still gives the others one
        // heartbeat interval from its own sync.
        let earliest_rejoin = synced + self.state.heartbeat_interval();
        if revoking {
            // The next round places the revoked work, so join again once it has stopped.
            match self.wait_for_ack(acked, Some(cancel), None).await {
                Some(Some(next)) if next.urgency() > 0 => return next,
                Some(Some(_)) => return Next::Rejoin("the group is rebalancing"),
                Some(None) => {}
                None => return Next::Shutdown,
            }
            return self
                .heartbeat_until(Some((earliest_rejoin, "revoked work stopped")), cancel)
                .await;
        }
        let why = if report_stale {
            Some("report work revoked during the join")
        } else if std::mem::take(&mut self.state.follow_up) {
            Some("the spread is uneven")
        } else {
            None
        };
        if let Some(why) = why {
            return self
                .heartbeat_until(Some((earliest_rejoin, why)), cancel)
                .await;
        }
        let until =
            (!delay.is_zero()).then(|| (Instant::now() + delay, "scheduled rebalance delay ended"));
        self.heartbeat_until(until, cancel).await
    }

    /// Revokes everything and waits until the herder has stopped it. `None` means carry on.
    async fn revoke_all(&mut self, cause: EventCause, cancel: &CancellationToken) -> Option<Next> {
        if self.state.held.total.is_empty() {
            return None;
        }
        let acked = match self.state.emit_revoke_all(cause) {
            Ok(acked) => acked,
            Err(error) => return Some(Next::Fatal(error)),
        };
        match self.wait_for_ack(acked, Some(cancel), None).await {
            // The worker rejoins next anyway, so heartbeat outcomes other than these add nothing.
            Some(Some(next @ (Next::Shutdown | Next::Fatal(_)))) => Some(next),
            Some(_) => None,
            None => Some(Next::Shutdown),
        }
    }

    /// Heartbeats until `until` (then rejoins, for the reason given with it), a rebalance
    /// request, or something the heartbeats report.
    async fn heartbeat_until(
        &mut self,
        until: Option<(Instant, &'static str)>,
        cancel: &CancellationToken,
    ) -> Next {
        let WorkerCoordinator { member, state } = self;
        let interval = state.heartbeat_interval();
        let mut next_beat = Instant::now() + interval;
        let (deadline, why) = match until {
            Some((deadline, why)) => (Some(deadline), why),
            None => (None, ""),
        };
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Next::Shutdown,
                () = state.rebalance.notified() => return Next::Rejoin("rebalance requested"),
                () = sleep_until_some(deadline), if deadline.is_some() => return Next::Rejoin(why),
                () = sleep_until(next_beat) => {}
            }
            next_beat = Instant::now() + interval;
            // Between generations (after a failed join) there is no session to keep alive.
            if member.generation().is_none() {
                continue;
            }
            if let Some(next) = beat(member, state, Some(cancel)).await {
                return next;
            }
        }
    }

    /// Waits for the herder's acknowledgement, heartbeating meanwhile so the worker keeps its
    /// place while it stops work. Returns `None` if `cancel` fired or `until` passed first,
    /// else the most urgent thing the heartbeats reported (if any), to act on afterwards.
    async fn wait_for_ack(
        &mut self,
        acked: oneshot::Receiver<()>,
        cancel: Option<&CancellationToken>,
        until: Option<Instant>,
    ) -> Option<Option<Next>> {
        let WorkerCoordinator { member, state } = self;
        let interval = state.heartbeat_interval();
        let mut next_beat = Instant::now() + interval;
        let mut noted: Option<Next> = None;
        tokio::pin!(acked);
        loop {
            tokio::select! {
                biased;
                () = cancelled(cancel) => return None,
                // A dropped acknowledgement counts as given.
                _ = &mut acked => return Some(noted),
                () = sleep_until_some(until), if until.is_some() => return None,
                () = sleep_until(next_beat) => {}
            }
            next_beat = Instant::now() + interval;
            if member.generation().is_none() {
                continue;
            }
            if let Some(next) = beat(member, state, cancel).await {
                noted = Next::keep_urgent(noted, next);
            }
        }
    }
}

/// One heartbeat. `None` means the generation holds.
async fn beat(
    member: &mut GroupMember,
    state: &mut State,
    cancel: Option<&CancellationToken>,
) -> Option<Next> {
    let lost_at = state.held.last_contact + state.session_timeout();
    let result = tokio::select! {
        biased;
        () = cancelled(cancel) => return Some(Next::Shutdown),
        () = sleep_until(lost_at) => return Some(Next::RevokeAndRejoin(EventCause::CoordinatorLost)),
        result = member.heartbeat() => result,
    };
    let group = state.config.membership.group_id.clone();
    match result {
        Ok(HeartbeatOutcome::Ok) => {
            state.contact();
            None
        }
        Ok(HeartbeatOutcome::RebalanceNeeded) => {
            state.contact();
            Some(Next::Rejoin("the group is rebalancing"))
        }
        Ok(HeartbeatOutcome::Fenced { error_code }) => {
            tracing::warn!(%group, error_code, "fenced out of the generation");
            Some(Next::RevokeAndRejoin(EventCause::Fenced))
        }
        Err(error) if error.needs_rejoin() => {
            state.contact_if_answered(&error);
            Some(Next::Rejoin("heartbeat asked to rejoin"))
        }
        Err(error) if error.is_retriable() => {
            state.contact_if_answered(&error);
            tracing::warn!(%group, %error, "heartbeat failed");
            if Instant::now() >= state.held.last_contact + state.session_timeout() {
                Some(Next::RevokeAndRejoin(EventCause::CoordinatorLost))
            } else {
                None
            }
        }
        Err(error) => Some(Next::Fatal(CoordinatorError::Membership(error))),
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn cancelled(cancel: Option<&CancellationToken>) {
    match cancel {
        Some(cancel) => cancel.cancelled().await,
        None => std::future::pending().await,
    }
}

async fn wait_for(receiver: Option<&mut oneshot::Receiver<()>>) {
    match receiver {
        // A dropped acknowledgement counts as given.
        Some(receiver) => {
            let _ = receiver.await;
        }
        None => std::future::pending().await,
    }
}
