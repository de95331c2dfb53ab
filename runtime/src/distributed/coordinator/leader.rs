//! The leader's part of a generation: from every member's join metadata and the configured work
//! to one [`Assignment`] per member. Pure, so it can be tested without a broker.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::distributed::assignor::{self, AssignorState, MemberState, WorkSet};
use crate::distributed::protocol::{
    Assignment, CONFIG_MISMATCH, CONNECT_PROTOCOL_V0, NO_ERROR, WorkerMetadata,
};

/// What the leader knows when it assigns one generation.
pub(super) struct Round<'a> {
    /// Every member's id and raw join metadata, as the coordinator returned them.
    pub(super) members: &'a [(String, Vec<u8>)],
    pub(super) leader_id: &'a str,
    pub(super) leader_url: &'a str,
    /// The version header of the negotiated subprotocol.
    pub(super) version: i16,
    /// The config log offset the leader has read.
    pub(super) config_offset: i64,
    /// Connector name -> task count.
    pub(super) connectors: &'a BTreeMap<String, u32>,
    pub(super) now_ms: u64,
    pub(super) max_delay: Duration,
}

/// The leader's decision for one generation.
#[derive(Debug)]
pub(super) struct Decision {
    /// One assignment per member, in member order.
    pub(super) assignments: Vec<(String, Assignment)>,
    /// The assignor state to keep, or `None` to keep the previous one (nothing was assigned).
    pub(super) state: Option<AssignorState>,
    /// The spread is still uneven although no work was revoked or held back, because the
    /// assignor does not revoke in two consecutive rounds: the leader should start another
    /// round right away so the imbalance is not left until the next membership change.
    pub(super) follow_up: bool,
}

/// Computes the assignments of one generation.
pub(super) fn decide(round: &Round<'_>, previous: &AssignorState) -> Decision {
    let mut members = BTreeMap::new();
    for (id, metadata) in round.members {
        match WorkerMetadata::decode(metadata) {
            Ok(metadata) => {
                let member = MemberState::from_metadata(&metadata);
                tracing::debug!(
                    member = %id,
                    url = %member.url,
                    config_offset = member.config_offset,
                    runs = ?member.previous,
                    "member metadata"
                );
                members.insert(id.clone(), member);
            }
            // Such a member gets an empty assignment: work given to a member whose reports
            // cannot be read could never be tracked.
            Err(error) => tracing::warn!(member = %id, %error, "undecodable join metadata"),
        }
    }

    let newest = assignor::max_config_offset(&members).unwrap_or(i64::MIN);
    if newest > round.config_offset {
        tracing::warn!(
            leader_offset = round.config_offset,
            newest,
            "a member has read further in the config log than the leader; answering CONFIG_MISMATCH"
        );
        let mismatch = Assignment {
            error: CONFIG_MISMATCH,
            ..empty(round)
        };
        return Decision {
            assignments: each_member(round, |_| mismatch.clone()),
            state: None,
            follow_up: false,
        };
    }

    // A name the protocol cannot carry would make every assignment unencodable; such a
    // connector stays unassigned rather than stopping the whole group.
    let (connectors, unnamable): (BTreeMap<String, u32>, BTreeMap<String, u32>) = round
        .connectors
        .iter()
        .map(|(name, &count)| (name.clone(), count))
        .partition(|(name, _)| i16::try_from(name.len()).is_ok());
    for name in unnamable.keys() {
        tracing::error!(connector = %name, "connector name too long for the group protocol; not assigned");
    }

    // Eager assignments have no delay field, so held-back work would never be reassigned.
    let max_delay = if round.version <= CONNECT_PROTOCOL_V0 {
        Duration::ZERO
    } else {
        round.max_delay
    };
    let plan = assignor::assign(&members, &connectors, previous, round.now_ms, max_delay);

    let revoking = plan.members.values().any(|m| !m.revoked.is_empty());
    let follow_up = !revoking && plan.delay_ms == 0 && uneven(&plan.state.assignment);
    let assignments = each_member(round, |id| match plan.members.get(id) {
        Some(member) => member.to_protocol(
            round.version,
            round.leader_id,
            round.leader_url,
            round.config_offset,
            plan.delay_ms,
        ),
        None => empty(round),
    });
    Decision {
        assignments,
        state: Some(plan.state),
        follow_up,
    }
}

/// An assignment with nothing in it, from this round's leader.
fn empty(round: &Round<'_>) -> Assignment {
    Assignment {
        version: round.version,
        error: NO_ERROR,
        leader: round.leader_id.to_string(),
        leader_url: round.leader_url.to_string(),
        config_offset: round.config_offset,
        ..Assignment::default()
    }
}

fn each_member(
    round: &Round<'_>,
    mut f: impl FnMut(&str) -> Assignment,
) -> Vec<(String, Assignment)> {
    round
        .members
        .iter()
        .map(|(id, _)| (id.clone(), f(id)))
        .collect()
}

/// Whether connector or task counts differ by more than one between members.
fn uneven(assignment: &BTreeMap<String, WorkSet>) -> bool {
    let spread = |count: fn(&WorkSet) -> usize| {
        let counts = assignment.values().map(count);
        let (min, max) = counts.fold((usize::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
        max.saturating_sub(min) > 1
    };
    spread(|w| w.connectors.len()) || spread(|w| w.tasks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributed::protocol::{CONNECT_PROTOCOL_V2, CONNECTOR_TASK};

    const LEADER_URL: &str = "http://leader:8083";

    fn metadata(config_offset: i64, runs: Option<&WorkSet>) -> Vec<u8> {
        WorkerMetadata {
            version: CONNECT_PROTOCOL_V2,
            url: "http://member:8083".into(),
            config_offset,
            allocation: runs.map(|w| Assignment {
                version: CONNECT_PROTOCOL_V2,
                connectors: w.to_task_map(),
                ..Assignment::default()
            }),
        }
        .encode()
    }

    fn fresh_members(ids: &[&str]) -> Vec<(String, Vec<u8>)> {
        ids.iter()
            .map(|id| (id.to_string(), metadata(0, None)))
            .collect()
    }

    fn three_by_two() -> BTreeMap<String, u32> {
        [("a", 2), ("b", 2), ("c", 2)]
            .into_iter()
            .map(|(n, c)| (n.to_string(), c))
            .collect()
    }

    fn round<'a>(
        members: &'a [(String, Vec<u8>)],
        connectors: &'a BTreeMap<String, u32>,
        version: i16,
    ) -> Round<'a> {
        Round {
            members,
            leader_id: "m1",
            leader_url: LEADER_URL,
            version,
            config_offset: 5,
            connectors,
            now_ms: 1_000,
            max_delay: Duration::from_secs(60),
        }
    }

    #[test]
    fn fresh_members_get_an_even_spread_from_this_leader() {
        let members = fresh_members(&["m1", "m2", "m3"]);
        let connectors = three_by_two();
        let decision = decide(
            &round(&members, &connectors, CONNECT_PROTOCOL_V2),
            &AssignorState::default(),
        );
        assert_eq!(decision.assignments.len(), 3);
        assert!(!decision.follow_up);
        for (_, a) in &decision.assignments {
            assert_eq!((a.version, a.error), (CONNECT_PROTOCOL_V2, NO_ERROR));
            assert_eq!(
                (a.leader.as_str(), a.leader_url.as_str()),
                ("m1", LEADER_URL)
            );
            assert_eq!(a.config_offset, 5);
            let work = WorkSet::assigned_in(a);
            assert_eq!((work.connectors.len(), work.tasks.len()), (1, 2), "{a:?}");
        }
        assert!(decision.state.is_some());
    }

    #[test]
    fn a_member_ahead_of_the_leader_gets_config_mismatch() {
        let mut members = fresh_members(&["m1", "m2"]);
        members[1].1 = metadata(9, None);
        let connectors = three_by_two();
        let decision = decide(
            &round(&members, &connectors, CONNECT_PROTOCOL_V2),
            &AssignorState::default(),
        );
        assert!(decision.state.is_none());
        for (_, a) in &decision.assignments {
            assert_eq!(a.error, CONFIG_MISMATCH);
            assert!(a.connectors.is_empty());
        }
    }

    #[test]
    fn an_undecodable_member_gets_nothing() {
        let mut members = fresh_members(&["m1", "m2"]);
        members.push(("m3".into(), vec![0, 1, 2]));
        let connectors = three_by_two();
        let decision = decide(
            &round(&members, &connectors, CONNECT_PROTOCOL_V2),
            &AssignorState::default(),
        );
        let (id, bad) = &decision.assignments[2];
        assert_eq!(id, "m3");
        assert_eq!((bad.error, bad.connectors.len()), (NO_ERROR, 0));
        let instances: usize = decision
            .assignments
            .iter()
            .map(|(_, a)| a.assigned_connectors().count())
            .sum();
        assert_eq!(
            instances, 3,
            "all three connectors went to the readable members"
        );
    }

    #[test]
    fn eager_rounds_do_not_hold_lost_work_back() {
        let members = fresh_members(&["m1"]);
        let connectors = three_by_two();
        // m2 ran connector a, and is gone.
        let state = AssignorState {
            assignment: BTreeMap::from([(
                "m2".to_string(),
                WorkSet {
                    connectors: ["a".to_string()].into(),
                    ..WorkSet::default()
                },
            )]),
            ..AssignorState::default()
        };
        let eager = decide(&round(&members, &connectors, CONNECT_PROTOCOL_V0), &state);
        assert_eq!(
            eager.assignments[0].1.connectors["a"],
            [CONNECTOR_TASK, 0, 1]
        );
        let cooperative = decide(&round(&members, &connectors, CONNECT_PROTOCOL_V2), &state);
        let held = &cooperative.assignments[0].1;
        assert!(!held.connectors["a"].contains(&CONNECTOR_TASK));
        assert_eq!(held.delay, 60_000);
    }

    #[test]
    fn an_imbalance_left_by_an_assign_only_round_asks_for_another_round() {
        // m1 runs everything; the previous round revoked to balance, so this one may not.
        let all = WorkSet {
            connectors: ["a", "b", "c"].map(String::from).into(),
            tasks: ["a", "b", "c"]
                .iter()
                .flat_map(|c| [(c.to_string(), 0), (c.to_string(), 1)])
                .collect(),
        };
        let members = vec![
            ("m1".to_string(), metadata(0, Some(&all))),
            ("m2".to_string(), metadata(0, None)),
        ];
        let state = AssignorState {
            assignment: BTreeMap::from([("m1".to_string(), all.clone())]),
            balancing: true,
            ..AssignorState::default()
        };
        let connectors = three_by_two();
        let decision = decide(&round(&members, &connectors, CONNECT_PROTOCOL_V2), &state);
        assert!(decision.follow_up);
        let next_state = decision.state.expect("assigned");
        assert!(!next_state.balancing);
        // The follow-up round balances.
        let again = decide(
            &round(&members, &connectors, CONNECT_PROTOCOL_V2),
            &next_state,
        );
        assert!(!again.follow_up);
        assert!(!again.assignments[0].1.revoked.is_empty());
    }

    #[test]
    fn unnamable_connectors_are_left_out() {
        let members = fresh_members(&["m1"]);
        let mut connectors = three_by_two();
        connectors.insert("x".repeat(40_000), 1);
        let decision = decide(
            &round(&members, &connectors, CONNECT_PROTOCOL_V2),
            &AssignorState::default(),
        );
        let a = &decision.assignments[0].1;
        assert_eq!(a.connectors.len(), 3);
        assert!(a.try_encode().is_ok());
    }
}
