//! Worker group membership (protocol type `connect`) against the real broker: joining with the
//! member-id round trip, leader election with every member's metadata, assignment delivery by
//! SyncGroup, heartbeats noticing rebalances when a member joins, leaves or falls silent, and
//! fencing of a member left on an old generation. Needs the Kafka service of `scripts/services up`.

mod harness;

use std::time::{Duration, Instant};

use futures::future::join_all;
use harness::{kafka_bootstrap, unique};
use sluice_runtime::distributed::membership::{
    GroupMember, HeartbeatOutcome, JoinResult, MembershipConfig, codes,
};
use tokio_util::sync::CancellationToken;

const PROTOCOL: &str = "sessioned";
const HEARTBEAT: Duration = Duration::from_millis(1000);
/// Only guards against a hung broker; the rounds themselves are not timed against it.
const TEST_GUARD: Duration = Duration::from_secs(180);

/// A member under test, with the name its assignment is derived from.
struct Worker {
    name: &'static str,
    member: GroupMember,
}

impl Worker {
    fn metadata(&self) -> Vec<u8> {
        format!("metadata-of-{}", self.name).into_bytes()
    }

    fn assignment(&self) -> Vec<u8> {
        format!("for-{}", self.name).into_bytes()
    }
}

fn config(group: &str, name: &str) -> MembershipConfig {
    MembershipConfig {
        bootstrap: vec![kafka_bootstrap()],
        group_id: group.to_string(),
        session_timeout: Duration::from_millis(6000),
        rebalance_timeout: Duration::from_millis(10000),
        heartbeat_interval: HEARTBEAT,
        client_id: format!("sluice-test-{name}"),
    }
}

fn worker(group: &str, name: &'static str, cancel: &CancellationToken) -> Worker {
    Worker {
        name,
        member: GroupMember::new(config(group, name), cancel.clone()),
    }
}

fn protocols(metadata: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    vec![(PROTOCOL.to_string(), metadata)]
}

/// Heartbeats every interval until the coordinator reports something other than `Ok`.
async fn heartbeat_until_not_ok(member: &mut GroupMember) -> HeartbeatOutcome {
    for _ in 0..30 {
        match member.heartbeat().await.expect("heartbeat") {
            HeartbeatOutcome::Ok => tokio::time::sleep(HEARTBEAT).await,
            other => return other,
        }
    }
    panic!("no rebalance noticed after 30 heartbeats");
}

/// Waits for the rebalance to show in a heartbeat, then rejoins.
async fn notice_and_rejoin(worker: &mut Worker) -> JoinResult {
    let outcome = heartbeat_until_not_ok(&mut worker.member).await;
    assert_eq!(
        outcome,
        HeartbeatOutcome::RebalanceNeeded,
        "{} should be asked to rejoin",
        worker.name
    );
    let metadata = worker.metadata();
    worker
        .member
        .join(protocols(metadata))
        .await
        .expect("rejoin")
}

/// Checks one generation as every worker saw it and returns its id.
fn check_generation(workers: &[Worker], joins: &[JoinResult]) -> i32 {
    let first = &joins[0];
    for join in joins {
        assert_eq!(join.generation_id, first.generation_id, "{joins:#?}");
        assert_eq!(join.leader_id, first.leader_id, "{joins:#?}");
        assert_eq!(join.protocol_name, PROTOCOL);
    }
    let leaders: Vec<&JoinResult> = joins.iter().filter(|j| j.is_leader()).collect();
    assert_eq!(leaders.len(), 1, "exactly one leader: {joins:#?}");
    let mut expected: Vec<(String, Vec<u8>)> = workers
        .iter()
        .zip(joins)
        .map(|(w, j)| (j.member_id.clone(), w.metadata()))
        .collect();
    expected.sort();
    let mut seen = leaders[0].members.clone();
    seen.sort();
    assert_eq!(seen, expected, "the leader sees every member's metadata");
    for follower in joins.iter().filter(|j| !j.is_leader()) {
        assert!(follower.members.is_empty(), "followers get no member list");
    }
    first.generation_id
}

/// SyncGroup for every worker (the leader assigning `for-<name>`); checks each got its own.
async fn sync_all(workers: &mut [Worker], joins: &[JoinResult]) {
    let assignments: Vec<(String, Vec<u8>)> = workers
        .iter()
        .zip(joins)
        .map(|(w, j)| (j.member_id.clone(), w.assignment()))
        .collect();
    let syncs = workers.iter_mut().zip(joins).map(|(w, j)| {
        let mine = if j.is_leader() {
            assignments.clone()
        } else {
            Vec::new()
        };
        w.member.sync(j.generation_id, mine)
    });
    let received = join_all(syncs).await;
    for (worker, assignment) in workers.iter().zip(received) {
        let assignment = assignment.expect("sync");
        assert_eq!(assignment, worker.assignment(), "{}", worker.name);
    }
}

async fn heartbeat_all_ok(workers: &mut [Worker]) {
    for worker in workers {
        let outcome = worker.member.heartbeat().await.expect("heartbeat");
        assert_eq!(outcome, HeartbeatOutcome::Ok, "{}", worker.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_join_sync_heartbeat_rebalance_and_get_fenced() {
    tokio::time::timeout(TEST_GUARD, membership_scenario())
        .await
        .expect("scenario finished");
}

async fn membership_scenario() {
    // A fresh group per run: a member that dies mid-join can leave a group rebalancing for good.
    let group = unique("membership");
    let cancel = CancellationToken::new();
    let mut workers = vec![worker(&group, "a", &cancel), worker(&group, "b", &cancel)];

    // Round 1: two workers form the first generation.
    let started = Instant::now();
    let joins = join_all(workers.iter_mut().map(|w| {
        let metadata = w.metadata();
        w.member.join(protocols(metadata))
    }))
    .await;
    eprintln!(
        "join round 1 (2 members, new group) took {:?}",
        started.elapsed()
    );
    let joins: Vec<JoinResult> = joins.into_iter().map(|j| j.expect("join")).collect();
    eprintln!(
        "negotiated API versions: {:?}",
        workers[0].member.negotiated_versions()
    );
    let first = check_generation(&workers, &joins);
    sync_all(&mut workers, &joins).await;
    heartbeat_all_ok(&mut workers).await;

    // Round 2: a third worker joins; the others learn of it from their heartbeats and rejoin.
    let mut newcomer = worker(&group, "c", &cancel);
    let started = Instant::now();
    let newcomer_metadata = newcomer.metadata();
    let (newcomer_join, rejoins) = tokio::join!(
        newcomer.member.join(protocols(newcomer_metadata)),
        join_all(workers.iter_mut().map(notice_and_rejoin)),
    );
    eprintln!(
        "join round 2 (3rd member joins) took {:?}",
        started.elapsed()
    );
    workers.push(newcomer);
    let mut joins = rejoins;
    joins.push(newcomer_join.expect("newcomer join"));
    let second = check_generation(&workers, &joins);
    assert!(second > first, "generation {second} follows {first}");
    sync_all(&mut workers, &joins).await;
    heartbeat_all_ok(&mut workers).await;

    // Round 3: the leader leaves; the other two rebalance without it.
    let leader = joins
        .iter()
        .position(JoinResult::is_leader)
        .expect("leader");
    let mut leaver = workers.remove(leader);
    let stale = workers[0].member.generation().expect("in a generation");
    let started = Instant::now();
    leaver.member.leave().await.expect("leave");
    let joins = join_all(workers.iter_mut().map(notice_and_rejoin)).await;
    eprintln!("join round 3 (leader left) took {:?}", started.elapsed());
    let third = check_generation(&workers, &joins);
    assert!(third > second, "generation {third} follows {second}");
    sync_all(&mut workers, &joins).await;
    heartbeat_all_ok(&mut workers).await;

    // A client still on the previous generation must not be told to carry on. Brokers differ
    // in the code: ILLEGAL_GENERATION (22, fenced) or REBALANCE_IN_PROGRESS (27, rejoin).
    let mut stale_member = GroupMember::resume(config(&group, "stale"), cancel.clone(), stale);
    let outcome = stale_member.heartbeat().await.expect("stale heartbeat");
    eprintln!("heartbeat on generation {second} after generation {third} formed: {outcome:?}");
    assert_ne!(outcome, HeartbeatOutcome::Ok);
    heartbeat_all_ok(&mut workers).await;

    // Round 4: one worker stops heartbeating; after its session times out the other rebalances
    // alone, and the silent one, still on the old generation, is fenced when it speaks again.
    let mut zombie = workers.pop().expect("two workers");
    let started = Instant::now();
    let joins = join_all(workers.iter_mut().map(notice_and_rejoin)).await;
    eprintln!(
        "join round 4 (session expired) took {:?}",
        started.elapsed()
    );
    let fourth = check_generation(&workers, &joins);
    assert!(fourth > third, "generation {fourth} follows {third}");
    sync_all(&mut workers, &joins).await;
    let outcome = zombie.member.heartbeat().await.expect("zombie heartbeat");
    eprintln!("heartbeat of the expired member: {outcome:?}");
    assert!(
        matches!(
            outcome,
            HeartbeatOutcome::Fenced {
                error_code: codes::UNKNOWN_MEMBER_ID | codes::ILLEGAL_GENERATION
            }
        ),
        "{outcome:?}"
    );
    assert!(
        zombie.member.generation().is_none(),
        "fencing ends the generation"
    );
    heartbeat_all_ok(&mut workers).await;
    eprintln!("generations formed: {first}, {second}, {third}, {fourth}");

    for worker in &mut workers {
        worker.member.leave().await.expect("leave");
    }
    cancel.cancel();
}
