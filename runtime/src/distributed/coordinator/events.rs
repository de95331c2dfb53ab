//! What the coordinator tells the herder, and how one assignment changes what a worker runs.

use std::fmt;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::distributed::assignor::WorkSet;
use crate::distributed::protocol::Assignment;

/// The herder's end of a coordinator's events, in the order they happened.
pub type AssignmentEvents = mpsc::UnboundedReceiver<AssignmentEvent>;

/// Why an [`AssignmentEvent`] was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCause {
    /// A generation formed and this is the worker's assignment in it.
    Assigned,
    /// The group speaks the `eager` subprotocol: all work stops before every rebalance.
    EagerRebalance,
    /// The coordinator said this worker's generation is over; the group may already have given
    /// its work to others.
    Fenced,
    /// No answer from the group coordinator for longer than the session timeout, so the group
    /// may have dropped this worker.
    CoordinatorLost,
    /// The coordinator is shutting down (cancelled, or membership failed for good).
    Stopping,
}

/// A change to what this worker runs.
///
/// Everything in `revoked` must stop before the herder calls [`RevocationAck::done`] on `ack`;
/// the coordinator waits for that before it rejoins. `assigned` may start at once, after reading
/// the config log up to `config_offset`.
#[derive(Debug)]
pub struct AssignmentEvent {
    pub cause: EventCause,
    /// The generation the assignment belongs to; for a revocation without a new assignment, the
    /// last generation the worker was part of (-1 if none).
    pub generation: i32,
    /// Whether this worker leads the generation (and so writes the config log).
    pub leader: bool,
    /// The leader's REST URL, where followers forward requests; empty when unknown.
    pub leader_url: String,
    /// The config log offset the assignment was computed from.
    pub config_offset: i64,
    /// Work to stop (only work this worker runs).
    pub revoked: WorkSet,
    /// Work to start (only work this worker does not run yet).
    pub assigned: WorkSet,
    /// Everything this worker should run once the change is applied.
    pub total: WorkSet,
    /// When non-zero, the worker rejoins after this long so the leader can reassign held-back
    /// work of a departed worker.
    pub delay: Duration,
    /// To be completed once `revoked` has stopped; dropping it counts as completing it.
    pub ack: RevocationAck,
}

/// The herder's acknowledgement that revoked work has stopped.
pub struct RevocationAck(Option<oneshot::Sender<()>>);

impl RevocationAck {
    pub(super) fn new() -> (Self, oneshot::Receiver<()>) {
        let (sender, receiver) = oneshot::channel();
        (RevocationAck(Some(sender)), receiver)
    }

    /// Tells the coordinator the revoked work has stopped.
    pub fn done(mut self) {
        if let Some(sender) = self.0.take() {
            // The coordinator may have stopped waiting (it shut down); nothing to tell then.
            let _ = sender.send(());
        }
    }
}

impl fmt::Debug for RevocationAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "RevocationAck(pending)"
        } else {
            "RevocationAck(done)"
        })
    }
}

/// How one assignment changes what a worker runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Change {
    pub(super) revoked: WorkSet,
    pub(super) assigned: WorkSet,
    pub(super) total: WorkSet,
}

impl Change {
    /// Applies `assignment` to `running`. The leader only revokes what it believes the worker
    /// runs and only assigns what it believes nobody runs, but the worker trusts its own
    /// bookkeeping: revocations of work it does not run and assignments of work it already runs
    /// are no-ops, so the herder is never told to stop or start something twice.
    pub(super) fn apply(running: &WorkSet, assignment: &Assignment) -> Self {
        let named_revoked = WorkSet {
            connectors: assignment
                .revoked_connectors()
                .map(str::to_string)
                .collect(),
            tasks: assignment.revoked_tasks().into_iter().collect(),
        };
        let revoked = intersection(running, &named_revoked);
        let kept = difference(running, &revoked);
        let assigned = difference(&WorkSet::assigned_in(assignment), &kept);
        let total = union(&kept, &assigned);
        Change {
            revoked,
            assigned,
            total,
        }
    }
}

pub(super) fn union(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.union(&b.connectors).cloned().collect(),
        tasks: a.tasks.union(&b.tasks).cloned().collect(),
    }
}

pub(super) fn intersection(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.intersection(&b.connectors).cloned().collect(),
        tasks: a.tasks.intersection(&b.tasks).cloned().collect(),
    }
}

pub(super) fn difference(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.difference(&b.connectors).cloned().collect(),
        tasks: a.tasks.difference(&b.tasks).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributed::protocol::CONNECT_PROTOCOL_V2;

    fn work(connectors: &[&str], tasks: &[(&str, u32)]) -> WorkSet {
        WorkSet {
            connectors: connectors.iter().map(|c| c.to_string()).collect(),
            tasks: tasks.iter().map(|(c, t)| (c.to_string(), *t)).collect(),
        }
    }

    fn assignment(assigned: &WorkSet, revoked: &WorkSet) -> Assignment {
        Assignment {
            version: CONNECT_PROTOCOL_V2,
            connectors: assigned.to_task_map(),
            revoked: revoked.to_task_map(),
            ..Assignment::default()
        }
    }

    #[test]
    fn revocations_and_assignments_change_the_total() {
        let running = work(&["a"], &[("a", 0), ("a", 1)]);
        let change = Change::apply(
            &running,
            &assignment(&work(&["b"], &[("b", 0)]), &work(&[], &[("a", 1)])),
        );
        assert_eq!(change.revoked, work(&[], &[("a", 1)]));
        assert_eq!(change.assigned, work(&["b"], &[("b", 0)]));
        assert_eq!(change.total, work(&["a", "b"], &[("a", 0), ("b", 0)]));
    }

    #[test]
    fn unknown_revocations_and_repeated_assignments_are_no_ops() {
        let running = work(&["a"], &[("a", 0)]);
        let change = Change::apply(
            &running,
            &assignment(&work(&["a"], &[("a", 0)]), &work(&["z"], &[("z", 3)])),
        );
        assert!(change.revoked.is_empty() && change.assigned.is_empty());
        assert_eq!(change.total, running);
    }

    #[test]
    fn work_revoked_and_assigned_at_once_restarts() {
        let running = work(&[], &[("a", 0)]);
        let same = work(&[], &[("a", 0)]);
        let change = Change::apply(&running, &assignment(&same, &same));
        assert_eq!(
            (change.revoked, change.assigned),
            (same.clone(), same.clone())
        );
        assert_eq!(change.total, same);
    }

    #[test]
    fn dropping_an_ack_completes_it() {
        let (ack, mut receiver) = RevocationAck::new();
        assert_eq!(format!("{ack:?}"), "RevocationAck(pending)");
        drop(ack);
        assert!(receiver.try_recv().is_err(), "the sender is gone");
        let (ack, mut receiver) = RevocationAck::new();
        ack.done();
        assert_eq!(receiver.try_recv(), Ok(()));
    }
}
