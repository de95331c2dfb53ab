//! The leader's incremental cooperative assignment: given what every member runs and what is
//! configured, decide what each member starts and stops, keeping work where it already runs.
//!
//! One round, for connectors and tasks separately:
//! 1. Each member keeps what it reports running, except deleted work (connector removed, or task
//!    number at or above the new task count) and duplicates (kept on one member only); those are
//!    revoked.
//! 2. Configured work nobody runs is either *lost* (the leader last gave it to a member that has
//!    left) or *new*. Lost work is held back for `max_delay` from when it was first seen lost, so a
//!    member that comes back soon resumes it; members are told to rejoin when the first hold ends.
//! 3. New work and lost work whose hold has ended go one by one to the least loaded member.
//! 4. If loads still differ by more than one, the most loaded members give up just enough work
//!    for everyone to reach an even share. Revoked work is assigned in the next round, after its
//!    members have stopped it, so no item ever runs twice.
//!
//! The function is pure and deterministic: the caller keeps [`AssignorState`] between rounds and
//! supplies the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::protocol::{Assignment, CONNECTOR_TASK, NO_ERROR, WorkerMetadata};

/// A task: connector name and task number.
pub type TaskId = (String, u32);

/// A set of connector instances and tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkSet {
    pub connectors: BTreeSet<String>,
    pub tasks: BTreeSet<TaskId>,
}

impl WorkSet {
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// The work an assignment tells its member to run; this is also how a member reports what
    /// it runs in its join metadata.
    pub fn assigned_in(assignment: &Assignment) -> Self {
        WorkSet {
            connectors: assignment
                .assigned_connectors()
                .map(str::to_string)
                .collect(),
            tasks: assignment.assigned_tasks().into_iter().collect(),
        }
    }

    /// The wire shape: connector -> task ids, the connector instance first as [`CONNECTOR_TASK`].
    /// Task numbers beyond `i32::MAX` cannot be expressed and are left out.
    pub fn to_task_map(&self) -> BTreeMap<String, Vec<i32>> {
        let mut map: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for connector in &self.connectors {
            map.entry(connector.clone())
                .or_default()
                .push(CONNECTOR_TASK);
        }
        for (connector, task) in &self.tasks {
            if let Ok(task) = i32::try_from(*task) {
                map.entry(connector.clone()).or_default().push(task);
            }
        }
        map
    }
}

/// One member as the leader sees it in JoinGroup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberState {
    pub url: String,
    pub config_offset: i64,
    /// What the member runs now; `None` when its metadata carried no allocation.
    pub previous: Option<WorkSet>,
}

impl MemberState {
    /// The member as its join metadata describes it.
    pub fn from_metadata(metadata: &WorkerMetadata) -> Self {
        MemberState {
            url: metadata.url.clone(),
            config_offset: metadata.config_offset,
            previous: metadata.allocation.as_ref().map(WorkSet::assigned_in),
        }
    }
}

/// What the leader remembers between rounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignorState {
    /// What each member runs once this round's revocations are done. Work assigned here to a
    /// member that later vanishes is recognised as lost.
    pub assignment: BTreeMap<String, WorkSet>,
    /// Lost connectors held back, with the clock (ms) when each was first seen lost.
    pub lost_connectors: BTreeMap<String, u64>,
    /// Lost tasks held back, with the clock (ms) when each was first seen lost.
    pub lost_tasks: BTreeMap<TaskId, u64>,
    /// When the earliest hold ends (ms); `None` when nothing is held back.
    pub deadline_ms: Option<u64>,
    /// Whether this round revoked work to rebalance; the next round then only assigns, which
    /// keeps a leader from revoking in consecutive rounds.
    pub balancing: bool,
}

/// What one member is told to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberAssignment {
    /// Work to start.
    pub assigned: WorkSet,
    /// Work to stop.
    pub revoked: WorkSet,
}

impl MemberAssignment {
    /// The protocol payload for this member.
    pub fn to_protocol(
        &self,
        version: i16,
        leader: &str,
        leader_url: &str,
        config_offset: i64,
        delay_ms: i32,
    ) -> Assignment {
        Assignment {
            version,
            error: NO_ERROR,
            leader: leader.to_string(),
            leader_url: leader_url.to_string(),
            config_offset,
            connectors: self.assigned.to_task_map(),
            revoked: self.revoked.to_task_map(),
            delay: delay_ms,
        }
    }
}

/// The outcome of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentPlan {
    /// An entry for every member, possibly empty.
    pub members: BTreeMap<String, MemberAssignment>,
    /// Milliseconds until held-back work is reassigned (members rejoin then); 0 when none is.
    pub delay_ms: i32,
    /// Keep this for the next round.
    pub state: AssignorState,
}

/// The newest config offset any member has read; the leader must read at least this far before
/// assigning, or answer with `CONFIG_MISMATCH`.
pub fn max_config_offset(members: &BTreeMap<String, MemberState>) -> Option<i64> {
    members.values().map(|m| m.config_offset).max()
}

/// Computes one round of assignments. `connectors` maps each configured connector to its task
/// count; `now_ms` is any monotonic millisecond clock, used the same way across rounds.
pub fn assign(
    members: &BTreeMap<String, MemberState>,
    connectors: &BTreeMap<String, u32>,
    state: &AssignorState,
    now_ms: u64,
    max_delay: Duration,
) -> AssignmentPlan {
    let max_delay_ms = u64::try_from(max_delay.as_millis()).unwrap_or(u64::MAX);
    let hold = Hold {
        now_ms,
        max_delay_ms,
    };
    let configured_tasks: BTreeSet<TaskId> = connectors
        .iter()
        .flat_map(|(name, &count)| (0..count).map(move |t| (name.clone(), t)))
        .collect();
    let configured_connectors: BTreeSet<String> = connectors.keys().cloned().collect();

    let mut c = plan_kind(
        &held_by(members, |w| &w.connectors),
        &configured_connectors,
        &owners(&state.assignment, |w| &w.connectors),
        &state.lost_connectors,
        hold,
    );
    let mut t = plan_kind(
        &held_by(members, |w| &w.tasks),
        &configured_tasks,
        &owners(&state.assignment, |w| &w.tasks),
        &state.lost_tasks,
        hold,
    );

    // Balancing while work is held back would hand the departed member's share to others just
    // before it returns; balancing twice in a row would move work that has not settled yet.
    let holding = !c.lost.is_empty() || !t.lost.is_empty();
    let balancing = !holding && !state.balancing && {
        let connectors_moved = c.balance();
        let tasks_moved = t.balance();
        connectors_moved || tasks_moved
    };

    let deadline_ms = c
        .lost
        .values()
        .chain(t.lost.values())
        .min()
        .map(|&since| since.saturating_add(max_delay_ms));
    let delay_ms = deadline_ms.map_or(0, |d| {
        i32::try_from(d.saturating_sub(now_ms)).unwrap_or(i32::MAX)
    });

    let mut plan = AssignmentPlan {
        delay_ms,
        ..AssignmentPlan::default()
    };
    for id in members.keys() {
        let member = MemberAssignment {
            assigned: pair(&mut c.assigned, &mut t.assigned, id),
            revoked: pair(&mut c.revoked, &mut t.revoked, id),
        };
        plan.members.insert(id.clone(), member);
        let runs = pair(&mut c.runs, &mut t.runs, id);
        plan.state.assignment.insert(id.clone(), runs);
    }
    plan.state.lost_connectors = c.lost;
    plan.state.lost_tasks = t.lost;
    plan.state.deadline_ms = deadline_ms;
    plan.state.balancing = balancing;
    plan
}

/// Takes one member's connectors and tasks out of the per-kind maps.
fn pair(
    connectors: &mut BTreeMap<&str, BTreeSet<String>>,
    tasks: &mut BTreeMap<&str, BTreeSet<TaskId>>,
    id: &str,
) -> WorkSet {
    WorkSet {
        connectors: connectors.remove(id).unwrap_or_default(),
        tasks: tasks.remove(id).unwrap_or_default(),
    }
}

/// The clock and the hold length for lost work.
#[derive(Clone, Copy)]
struct Hold {
    now_ms: u64,
    max_delay_ms: u64,
}

impl Hold {
    fn expired(self, since_ms: u64) -> bool {
        self.max_delay_ms == 0 || self.now_ms >= since_ms.saturating_add(self.max_delay_ms)
    }
}

/// One kind of work (connectors or tasks) through one round, per member id.
struct KindPlan<'a, T> {
    /// What each member runs after this round's changes.
    runs: BTreeMap<&'a str, BTreeSet<T>>,
    /// Work started this round.
    assigned: BTreeMap<&'a str, BTreeSet<T>>,
    /// Work stopped this round.
    revoked: BTreeMap<&'a str, BTreeSet<T>>,
    /// Lost work still held back, with when it was first seen lost.
    lost: BTreeMap<T, u64>,
}

/// What each member reports running, by member id.
fn held_by<T: Ord + Clone>(
    members: &BTreeMap<String, MemberState>,
    pick: impl Fn(&WorkSet) -> &BTreeSet<T>,
) -> BTreeMap<&str, BTreeSet<T>> {
    members
        .iter()
        .map(|(id, m)| {
            let items = m.previous.as_ref().map(&pick).cloned().unwrap_or_default();
            (id.as_str(), items)
        })
        .collect()
}

/// Who the leader last gave each item to.
fn owners<T: Ord + Clone>(
    assignment: &BTreeMap<String, WorkSet>,
    pick: impl Fn(&WorkSet) -> &BTreeSet<T>,
) -> BTreeMap<T, String> {
    assignment
        .iter()
        .flat_map(|(id, work)| {
            pick(work)
                .iter()
                .map(move |item| (item.clone(), id.clone()))
        })
        .collect()
}

fn plan_kind<'a, T: Ord + Clone>(
    held: &BTreeMap<&'a str, BTreeSet<T>>,
    configured: &BTreeSet<T>,
    previous_owner: &BTreeMap<T, String>,
    lost_before: &BTreeMap<T, u64>,
    hold: Hold,
) -> KindPlan<'a, T> {
    let mut plan = KindPlan {
        runs: BTreeMap::new(),
        assigned: BTreeMap::new(),
        revoked: BTreeMap::new(),
        lost: BTreeMap::new(),
    };
    let keeper = keepers(held, configured, previous_owner);
    for (&id, items) in held {
        let (keep, stop) = items
            .iter()
            .cloned()
            .partition(|item| keeper.get(item) == Some(&id));
        plan.runs.insert(id, keep);
        plan.revoked.insert(id, stop);
    }

    let mut to_assign = Vec::new();
    for item in configured.iter().filter(|item| !keeper.contains_key(*item)) {
        let departed = previous_owner
            .get(item)
            .is_some_and(|owner| !held.contains_key(owner.as_str()));
        let since = match lost_before.get(item) {
            Some(&since) => Some(since),
            None if departed => Some(hold.now_ms),
            None => None,
        };
        match since {
            Some(since) if !hold.expired(since) => {
                plan.lost.insert(item.clone(), since);
            }
            _ => to_assign.push(item.clone()),
        }
    }
    for item in to_assign {
        plan.assign_to_least_loaded(item);
    }
    plan
}

/// For each configured item somebody runs, the one member that keeps it: the member the leader
/// gave it to, if that member still runs it, else the lowest member id running it.
fn keepers<'a, T: Ord + Clone>(
    held: &BTreeMap<&'a str, BTreeSet<T>>,
    configured: &BTreeSet<T>,
    previous_owner: &BTreeMap<T, String>,
) -> BTreeMap<T, &'a str> {
    let mut keeper: BTreeMap<T, &'a str> = BTreeMap::new();
    for (&id, items) in held {
        for item in items.iter().filter(|item| configured.contains(*item)) {
            let owned = previous_owner.get(item).is_some_and(|o| o == id);
            match keeper.get(item) {
                Some(_) if !owned => {}
                _ => {
                    keeper.insert(item.clone(), id);
                }
            }
        }
    }
    keeper
}

impl<'a, T: Ord + Clone> KindPlan<'a, T> {
    /// Gives `item` to the member running the fewest items of this kind, lowest id on ties.
    fn assign_to_least_loaded(&mut self, item: T) {
        let Some(id) = self
            .runs
            .iter()
            .min_by_key(|(id, items)| (items.len(), **id))
            .map(|(id, _)| *id)
        else {
            return;
        };
        self.runs.entry(id).or_default().insert(item.clone());
        self.assigned.entry(id).or_default().insert(item);
    }

    /// If loads differ by more than one, revokes from the most loaded members just enough for
    /// every member to end within one of the others. Only work a member ran before this round
    /// is revoked. Returns whether anything was revoked.
    fn balance(&mut self) -> bool {
        let loads: Vec<(&'a str, usize)> = self.runs.iter().map(|(id, s)| (*id, s.len())).collect();
        let (Some(min), Some(max)) = (
            loads.iter().map(|l| l.1).min(),
            loads.iter().map(|l| l.1).max(),
        ) else {
            return false;
        };
        if max - min <= 1 {
            return false;
        }
        let mut revoked_any = false;
        for (id, excess) in excess_over_share(loads) {
            let fresh = self.assigned.get(id).cloned().unwrap_or_default();
            let Some(runs) = self.runs.get_mut(id) else {
                continue;
            };
            // The highest items go first, so a connector's low task numbers stay put.
            let give_up: Vec<T> = runs
                .iter()
                .rev()
                .filter(|item| !fresh.contains(*item))
                .take(excess)
                .cloned()
                .collect();
            for item in give_up {
                runs.remove(&item);
                self.revoked.entry(id).or_default().insert(item);
                revoked_any = true;
            }
        }
        revoked_any
    }
}

/// How many items each member must give up so that all end with an even share: with `total`
/// items over `n` members, `total % n` members may keep one more than `total / n`, and those are
/// the most loaded (lowest id on ties), which keeps the number of moves minimal.
fn excess_over_share(mut loads: Vec<(&str, usize)>) -> Vec<(&str, usize)> {
    let total: usize = loads.iter().map(|l| l.1).sum();
    let n = loads.len();
    if n == 0 {
        return Vec::new();
    }
    let (floor, extra) = (total / n, total % n);
    loads.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    loads
        .into_iter()
        .enumerate()
        .filter_map(|(rank, (id, load))| {
            let share = floor + usize::from(rank < extra);
            let excess = load.checked_sub(share).filter(|&e| e > 0)?;
            Some((id, excess))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_DELAY: Duration = Duration::ZERO;
    const DELAY: Duration = Duration::from_secs(300);
    const ABC: [&str; 3] = ["a", "b", "c"];

    fn config(entries: &[(&str, u32)]) -> BTreeMap<String, u32> {
        entries.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    fn three_by_four() -> BTreeMap<String, u32> {
        config(&[("c1", 4), ("c2", 4), ("c3", 4)])
    }

    fn work(connectors: &[&str], tasks: &[(&str, u32)]) -> WorkSet {
        WorkSet {
            connectors: connectors.iter().map(|c| c.to_string()).collect(),
            tasks: tasks.iter().map(|(c, t)| (c.to_string(), *t)).collect(),
        }
    }

    fn members(entries: &[(&str, Option<WorkSet>)]) -> BTreeMap<String, MemberState> {
        let member = |previous: &Option<WorkSet>| MemberState {
            url: "http://worker:8083".into(),
            config_offset: 0,
            previous: previous.clone(),
        };
        entries
            .iter()
            .map(|(id, previous)| (id.to_string(), member(previous)))
            .collect()
    }

    /// Members that have applied the last round: each runs what the leader recorded for it.
    /// Ids the leader has not seen join empty.
    fn rejoin(state: &AssignorState, ids: &[&str]) -> BTreeMap<String, MemberState> {
        let runs = |id: &str| Some(state.assignment.get(id).cloned().unwrap_or_default());
        members(&ids.iter().map(|id| (*id, runs(id))).collect::<Vec<_>>())
    }

    fn round(
        state: &AssignorState,
        ids: &[&str],
        connectors: &BTreeMap<String, u32>,
        now_ms: u64,
        max_delay: Duration,
    ) -> AssignmentPlan {
        assign(&rejoin(state, ids), connectors, state, now_ms, max_delay)
    }

    /// A round with a leader that remembers nothing.
    fn fresh(
        members: &BTreeMap<String, MemberState>,
        connectors: &[(&str, u32)],
    ) -> AssignmentPlan {
        assign(
            members,
            &config(connectors),
            &AssignorState::default(),
            0,
            NO_DELAY,
        )
    }

    fn first_round(ids: &[&str], max_delay: Duration) -> AssignmentPlan {
        round(
            &AssignorState::default(),
            ids,
            &three_by_four(),
            0,
            max_delay,
        )
    }

    /// Everything started (or stopped) in a round, over all members.
    fn union_of(plan: &AssignmentPlan, pick: fn(&MemberAssignment) -> &WorkSet) -> WorkSet {
        let mut all = WorkSet::default();
        for m in plan.members.values() {
            all.connectors.extend(pick(m).connectors.iter().cloned());
            all.tasks.extend(pick(m).tasks.iter().cloned());
        }
        all
    }

    fn assigned(plan: &AssignmentPlan) -> WorkSet {
        union_of(plan, |m| &m.assigned)
    }

    fn revoked(plan: &AssignmentPlan) -> WorkSet {
        union_of(plan, |m| &m.revoked)
    }

    fn loads(state: &AssignorState) -> Vec<(usize, usize)> {
        let load = |w: &WorkSet| (w.connectors.len(), w.tasks.len());
        state.assignment.values().map(load).collect()
    }

    #[test]
    fn first_assignment_is_even() {
        let plan = first_round(&ABC, DELAY);
        assert_eq!(loads(&plan.state), [(1, 4); 3]);
        assert_eq!(assigned(&plan).tasks.len(), 12);
        assert!(revoked(&plan).is_empty());
        assert_eq!(plan.delay_ms, 0);
    }

    #[test]
    fn departed_member_work_is_reassigned_at_once_without_delay() {
        let first = first_round(&ABC, NO_DELAY);
        let plan = round(&first.state, &["a", "b"], &three_by_four(), 10, NO_DELAY);

        assert_eq!(assigned(&plan), first.state.assignment["c"]);
        assert!(revoked(&plan).is_empty());
        assert_eq!(plan.delay_ms, 0);
        for id in ["a", "b"] {
            assert_eq!(plan.members[id].assigned.tasks.len(), 2, "{id}");
        }
    }

    #[test]
    fn departed_member_work_is_held_back_until_the_delay_ends() {
        let first = first_round(&ABC, DELAY);
        let ab = ["a", "b"];

        let held = round(&first.state, &ab, &three_by_four(), 1_000, DELAY);
        assert!(assigned(&held).is_empty() && revoked(&held).is_empty());
        assert_eq!(held.delay_ms, 300_000);
        assert_eq!(held.state.deadline_ms, Some(301_000));
        assert_eq!(held.state.lost_tasks.len(), 4);

        // The delay counts from when the work was first seen lost.
        let still = round(&held.state, &ab, &three_by_four(), 151_000, DELAY);
        assert!(assigned(&still).is_empty());
        assert_eq!(still.delay_ms, 150_000);

        let expired = round(&still.state, &ab, &three_by_four(), 301_000, DELAY);
        assert_eq!(assigned(&expired), first.state.assignment["c"]);
        assert!(revoked(&expired).is_empty());
        assert_eq!((expired.delay_ms, expired.state.deadline_ms), (0, None));
        assert!(expired.state.lost_tasks.is_empty() && expired.state.lost_connectors.is_empty());
    }

    #[test]
    fn returning_member_gets_its_own_work_back() {
        let first = first_round(&ABC, DELAY);
        let held = round(&first.state, &["a", "b"], &three_by_four(), 1_000, DELAY);

        // It comes back under a new member id but still reports the work it ran.
        let mut members = rejoin(&held.state, &["a", "b"]);
        members.insert("c2".into(), rejoin(&first.state, &["c"])["c"].clone());
        let back = assign(&members, &three_by_four(), &held.state, 5_000, DELAY);

        assert!(assigned(&back).is_empty() && revoked(&back).is_empty());
        assert_eq!(back.delay_ms, 0);
        assert_eq!(back.state.assignment["c2"], first.state.assignment["c"]);
        assert!(back.state.lost_tasks.is_empty() && back.state.lost_connectors.is_empty());
    }

    #[test]
    fn expired_lost_work_goes_to_the_least_loaded_member() {
        let first = first_round(&ABC, DELAY);
        let held = round(&first.state, &["a", "b"], &three_by_four(), 1_000, DELAY);
        // A fresh member joins during the hold: nothing is revoked for it meanwhile.
        let abd = ["a", "b", "d"];
        let joined = round(&held.state, &abd, &three_by_four(), 2_000, DELAY);
        assert!(assigned(&joined).is_empty() && revoked(&joined).is_empty());
        assert_eq!(joined.delay_ms, 299_000);

        let expired = round(&joined.state, &abd, &three_by_four(), 301_000, DELAY);
        assert_eq!(expired.members["d"].assigned, first.state.assignment["c"]);
        assert_eq!(assigned(&expired), first.state.assignment["c"]);
        assert!(revoked(&expired).is_empty());
    }

    #[test]
    fn joining_member_gets_its_share_in_two_rounds() {
        let first = first_round(&ABC, DELAY);
        let ids = ["a", "b", "c", "d"];

        let revoking = round(&first.state, &ids, &three_by_four(), 10, DELAY);
        assert!(assigned(&revoking).is_empty());
        // 12 tasks over 4 members: each old member gives up one; 3 connectors stay put.
        for id in ABC {
            let gave = &revoking.members[id].revoked;
            assert_eq!((gave.connectors.len(), gave.tasks.len()), (0, 1), "{id}");
        }
        assert!(revoking.state.balancing);

        let settling = round(&revoking.state, &ids, &three_by_four(), 20, DELAY);
        assert_eq!(settling.members["d"].assigned, revoked(&revoking));
        assert_eq!(assigned(&settling), revoked(&revoking));
        assert!(revoked(&settling).is_empty());
        assert_eq!(loads(&settling.state), [(1, 3), (1, 3), (1, 3), (0, 3)]);

        let stable = round(&settling.state, &ids, &three_by_four(), 30, DELAY);
        assert!(assigned(&stable).is_empty() && revoked(&stable).is_empty());
    }

    #[test]
    fn uneven_joiner_share_revokes_only_from_the_most_loaded() {
        let a = work(&[], &[("c", 0), ("c", 1), ("c", 2), ("c", 3), ("c", 4)]);
        let b = work(&["c"], &[("c", 5), ("c", 6), ("c", 7)]);
        let plan = fresh(
            &members(&[("a", Some(a)), ("b", Some(b)), ("z", None)]),
            &[("c", 8)],
        );
        // 8 tasks over 3 members: a keeps 3, b keeps 3, z gets 2 next round; the single
        // connector stays where it runs.
        assert!(assigned(&plan).is_empty());
        assert_eq!(revoked(&plan), work(&[], &[("c", 3), ("c", 4)]));
        assert_eq!(plan.members["a"].revoked, revoked(&plan));

        let next = round(
            &plan.state,
            &["a", "b", "z"],
            &config(&[("c", 8)]),
            10,
            NO_DELAY,
        );
        assert_eq!(next.members["z"].assigned, revoked(&plan));
        assert!(revoked(&next).is_empty());
    }

    #[test]
    fn deleted_connector_is_revoked_and_nothing_else_moves() {
        let first = first_round(&ABC, DELAY);
        let fewer = config(&[("c1", 4), ("c3", 4)]);
        let plan = round(&first.state, &ABC, &fewer, 10, DELAY);

        assert!(assigned(&plan).is_empty());
        assert_eq!(
            revoked(&plan),
            work(&["c2"], &[("c2", 0), ("c2", 1), ("c2", 2), ("c2", 3)])
        );
        for id in ABC {
            let ran = &first.state.assignment[id];
            assert!(plan.members[id].revoked.tasks.is_subset(&ran.tasks), "{id}");
        }
    }

    #[test]
    fn reduced_task_count_revokes_the_high_task_numbers() {
        let first = first_round(&ABC, DELAY);
        let reduced = config(&[("c1", 2), ("c2", 4), ("c3", 4)]);
        let plan = round(&first.state, &ABC, &reduced, 10, DELAY);
        assert!(assigned(&plan).is_empty());
        assert_eq!(revoked(&plan), work(&[], &[("c1", 2), ("c1", 3)]));
    }

    #[test]
    fn duplicates_are_revoked_from_all_but_one() {
        let shared = work(&["c1"], &[("c1", 0)]);
        let both = members(&[("a", Some(shared.clone())), ("b", Some(shared.clone()))]);
        let plan = fresh(&both, &[("c1", 1)]);
        assert_eq!(plan.members["b"].revoked, shared);
        assert_eq!(revoked(&plan), shared);
        assert!(assigned(&plan).is_empty());

        // The member the leader gave the work to keeps it.
        let state = AssignorState {
            assignment: BTreeMap::from([("b".to_string(), shared.clone())]),
            ..AssignorState::default()
        };
        let plan = assign(&both, &config(&[("c1", 1)]), &state, 0, NO_DELAY);
        assert_eq!(plan.members["a"].revoked, shared);
        assert_eq!(revoked(&plan), shared);
    }

    #[test]
    fn new_connector_goes_to_the_least_loaded() {
        let a = work(&["old"], &[("old", 0), ("old", 1)]);
        let b = work(&[], &[("old", 2)]);
        let plan = fresh(
            &members(&[("a", Some(a)), ("b", Some(b))]),
            &[("old", 3), ("new", 2)],
        );
        // b runs fewer connectors and tasks, so it gets the connector and the first task; then
        // they tie and a wins on id.
        assert_eq!(plan.members["b"].assigned, work(&["new"], &[("new", 0)]));
        assert_eq!(plan.members["a"].assigned, work(&[], &[("new", 1)]));
        assert!(revoked(&plan).is_empty());
    }

    #[test]
    fn work_a_present_member_dropped_is_reassigned_without_waiting() {
        let first = first_round(&["a", "b"], DELAY);
        // b rejoins without reporting its work, e.g. after missing the last assignment.
        let mut members = rejoin(&first.state, &["a"]);
        members.extend(self::members(&[("b", None)]));
        let plan = assign(&members, &three_by_four(), &first.state, 10, DELAY);
        assert_eq!(plan.delay_ms, 0);
        assert_eq!(plan.members["b"].assigned, first.state.assignment["b"]);
    }

    #[test]
    fn same_input_same_output() {
        let first = first_round(&ABC, DELAY);
        let members = rejoin(&first.state, &["a", "b", "c", "d"]);
        let one = assign(&members, &three_by_four(), &first.state, 7, DELAY);
        let two = assign(&members, &three_by_four(), &first.state, 7, DELAY);
        assert_eq!(one, two);
    }

    #[test]
    fn no_members_assigns_nothing() {
        let plan = fresh(&BTreeMap::new(), &[("c", 3)]);
        assert!(plan.members.is_empty());
        assert_eq!(plan.delay_ms, 0);
    }

    #[test]
    fn converts_to_and_from_the_protocol() {
        let m = MemberAssignment {
            assigned: work(&["c"], &[("c", 1), ("c", 0)]),
            revoked: work(&[], &[("d", 2)]),
        };
        let a = m.to_protocol(1, "a", "http://a", 9, 250);
        // The connector instance is listed first, as CONNECTOR_TASK.
        assert_eq!(a.connectors["c"], [-1, 0, 1]);
        assert_eq!(a.revoked["d"], [2]);
        assert_eq!((a.error, a.delay, a.config_offset), (NO_ERROR, 250, 9));
        assert_eq!(WorkSet::assigned_in(&a), m.assigned);

        let metadata = WorkerMetadata {
            version: 1,
            url: "http://b".into(),
            config_offset: 4,
            allocation: Some(a),
        };
        let member = MemberState::from_metadata(&metadata);
        assert_eq!((member.url.as_str(), member.config_offset), ("http://b", 4));
        assert_eq!(member.previous, Some(m.assigned));
    }

    #[test]
    fn max_config_offset_is_the_newest_reported() {
        let mut all = members(&[("a", None), ("b", None)]);
        all.entry("b".into()).and_modify(|b| b.config_offset = 12);
        assert_eq!(max_config_offset(&all), Some(12));
        assert_eq!(max_config_offset(&BTreeMap::new()), None);
    }
}
