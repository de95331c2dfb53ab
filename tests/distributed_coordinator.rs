//! `WorkerCoordinator` against the real broker: several coordinators in one process, each with
//! its own group member, share 3 connectors × 2 tasks. Checks the even first spread, work moving
//! off a worker that leaves, a newcomer taking over only the work that moves, a rebalance the
//! herder requests after a config change, and lost work of a killed worker staying unassigned
//! for `scheduled.rebalance.max.delay.ms`. Needs the Kafka service of `scripts/services up`.
//!
//! Each worker's herder is simulated: it records every event, "starts" assigned work at once and
//! takes a moment to "stop" revoked work before acknowledging. The ledger of what every worker
//! runs is checked on each event, so a worker starting work another still runs is caught.

mod harness;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use harness::{kafka_bootstrap, unique};
use sluice_runtime::distributed::assignor::WorkSet;
use sluice_runtime::distributed::coordinator::{
    AssignmentEvents, CoordinatorConfig, CoordinatorError, CoordinatorHandle, EventCause,
    WorkerCoordinator,
};
use sluice_runtime::distributed::membership::MembershipConfig;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long the simulated herder takes to stop revoked work.
const STOP_TIME: Duration = Duration::from_millis(200);
/// Only guards against a hung broker; the scenarios are not timed against it.
const SETTLE_GUARD: Duration = Duration::from_secs(45);
const TEST_GUARD: Duration = Duration::from_secs(115);

fn membership(group: &str, name: &str) -> MembershipConfig {
    MembershipConfig {
        bootstrap: vec![kafka_bootstrap()],
        group_id: group.to_string(),
        session_timeout: Duration::from_millis(6000),
        rebalance_timeout: Duration::from_millis(10000),
        heartbeat_interval: Duration::from_millis(1000),
        client_id: format!("sluice-test-{name}"),
    }
}

/// Coordinator logs on the test output, as `RUST_LOG` selects.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::from_default_env();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

fn url(name: &str) -> String {
    format!("http://{name}.test:8083")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A herder that panicked has already failed the test; the data is still worth reading.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The configured work every worker reads, as a config store would hold it.
#[derive(Clone)]
struct Configs(Arc<Mutex<(i64, BTreeMap<String, u32>)>>);

impl Configs {
    fn new(connectors: &[(&str, u32)]) -> Self {
        let configs = Configs(Arc::new(Mutex::new((0, BTreeMap::new()))));
        configs.set(0, connectors);
        configs
    }

    fn set(&self, offset: i64, connectors: &[(&str, u32)]) {
        let map = connectors
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect();
        *lock(&self.0) = (offset, map);
    }

    fn source(&self) -> impl Fn() -> (i64, BTreeMap<String, u32>) + Send + Sync + 'static {
        let configs = self.0.clone();
        move || lock(&configs).clone()
    }

    /// Every connector instance and task configured.
    fn all_work(&self) -> WorkSet {
        let (_, connectors) = lock(&self.0).clone();
        WorkSet {
            connectors: connectors.keys().cloned().collect(),
            tasks: connectors
                .iter()
                .flat_map(|(c, &n)| (0..n).map(move |t| (c.clone(), t)))
                .collect(),
        }
    }
}

/// One event as a simulated herder saw it.
#[derive(Debug, Clone)]
struct Record {
    worker: String,
    at: Instant,
    cause: EventCause,
    generation: i32,
    leader: bool,
    leader_url: String,
    config_offset: i64,
    revoked: WorkSet,
    assigned: WorkSet,
    total: WorkSet,
    delay: Duration,
}

/// What every worker runs, and everything that happened.
#[derive(Default)]
struct Ledger {
    running: BTreeMap<String, WorkSet>,
    records: Vec<Record>,
    /// Work started on one worker while another still ran it.
    overlaps: Vec<String>,
}

impl Ledger {
    fn running(&self, worker: &str) -> WorkSet {
        self.running.get(worker).cloned().unwrap_or_default()
    }

    fn latest(&self, worker: &str) -> Option<&Record> {
        self.records.iter().rev().find(|r| r.worker == worker)
    }
}

fn size(w: &WorkSet) -> usize {
    w.connectors.len() + w.tasks.len()
}

fn union(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.union(&b.connectors).cloned().collect(),
        tasks: a.tasks.union(&b.tasks).cloned().collect(),
    }
}

fn intersection(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.intersection(&b.connectors).cloned().collect(),
        tasks: a.tasks.intersection(&b.tasks).cloned().collect(),
    }
}

fn difference(a: &WorkSet, b: &WorkSet) -> WorkSet {
    WorkSet {
        connectors: a.connectors.difference(&b.connectors).cloned().collect(),
        tasks: a.tasks.difference(&b.tasks).cloned().collect(),
    }
}

/// A worker's herder: records each event, starts assigned work, stops revoked work, then
/// acknowledges.
async fn herder(name: String, mut events: AssignmentEvents, ledger: Arc<Mutex<Ledger>>) {
    while let Some(event) = events.recv().await {
        {
            let mut ledger = lock(&ledger);
            let overlaps: Vec<String> = ledger
                .running
                .iter()
                .filter(|(other, _)| **other != name)
                .filter_map(|(other, runs)| {
                    let both = intersection(runs, &event.assigned);
                    (!both.is_empty())
                        .then(|| format!("{name} started {both:?} while {other} ran it"))
                })
                .collect();
            ledger.overlaps.extend(overlaps);
            let starting = union(&ledger.running(&name), &event.assigned);
            ledger.running.insert(name.clone(), starting);
            ledger.records.push(Record {
                worker: name.clone(),
                at: Instant::now(),
                cause: event.cause,
                generation: event.generation,
                leader: event.leader,
                leader_url: event.leader_url.clone(),
                config_offset: event.config_offset,
                revoked: event.revoked.clone(),
                assigned: event.assigned.clone(),
                total: event.total.clone(),
                delay: event.delay,
            });
        }
        if !event.revoked.is_empty() {
            tokio::time::sleep(STOP_TIME).await;
        }
        // Revoked work counts as running until here, just before the acknowledgement.
        lock(&ledger).running.insert(name.clone(), event.total);
        event.ack.done();
    }
}

struct Worker {
    name: String,
    cancel: CancellationToken,
    handle: CoordinatorHandle,
    run: JoinHandle<Result<(), CoordinatorError>>,
    herder: JoinHandle<()>,
}

struct Cluster {
    group: String,
    max_delay: Duration,
    configs: Configs,
    ledger: Arc<Mutex<Ledger>>,
    workers: Vec<Worker>,
}

impl Cluster {
    fn new(prefix: &str, max_delay: Duration, configs: Configs) -> Self {
        Cluster {
            // A fresh group per run: a member that dies mid-join can leave a group rebalancing
            // for good.
            group: unique(prefix),
            max_delay,
            configs,
            ledger: Arc::default(),
            workers: Vec::new(),
        }
    }

    fn start(&mut self, name: &str) {
        let mut config = CoordinatorConfig::new(membership(&self.group, name), url(name));
        config.max_delay = self.max_delay;
        let (coordinator, events) =
            WorkerCoordinator::new(config, self.configs.source()).expect("coordinator");
        let cancel = CancellationToken::new();
        let handle = coordinator.handle();
        let run = tokio::spawn(coordinator.run(cancel.clone()));
        let herder = tokio::spawn(herder(name.to_string(), events, self.ledger.clone()));
        self.workers.push(Worker {
            name: name.to_string(),
            cancel,
            handle,
            run,
            herder,
        });
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        lock(&self.ledger)
    }

    fn live(&self) -> Vec<String> {
        self.workers.iter().map(|w| w.name.clone()).collect()
    }

    fn take(&mut self, name: &str) -> Worker {
        let at = self.workers.iter().position(|w| w.name == name);
        self.workers.remove(at.expect("a live worker"))
    }

    /// Cancels a worker and waits for it to have left the group.
    async fn stop(&mut self, name: &str) {
        let worker = self.take(name);
        worker.cancel.cancel();
        worker.run.await.expect("run task").expect("clean stop");
        worker.herder.await.expect("herder task");
    }

    /// Drops a worker without leaving the group, as a crash would; its work dies with it.
    async fn kill(&mut self, name: &str) {
        let worker = self.take(name);
        worker.run.abort();
        let aborted = worker.run.await;
        assert!(aborted.is_err_and(|e| e.is_cancelled()), "aborted");
        worker.herder.await.expect("herder task");
        self.ledger().running.remove(name);
    }

    async fn stop_all(mut self) {
        for worker in &self.workers {
            worker.cancel.cancel();
        }
        for worker in std::mem::take(&mut self.workers) {
            worker.run.await.expect("run task").expect("clean stop");
            worker.herder.await.expect("herder task");
        }
        let ledger = self.ledger();
        assert!(ledger.overlaps.is_empty(), "{:#?}", ledger.overlaps);
        assert!(ledger.running.values().all(WorkSet::is_empty));
    }

    /// Polls until `check` holds for the ledger; returns how long it took.
    async fn wait_until(&self, what: &str, check: impl Fn(&Ledger) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            if check(&self.ledger()) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < SETTLE_GUARD,
                "timed out waiting for {what}; running: {:#?}",
                self.ledger().running
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the live workers run all configured work, once each, evenly spread.
    async fn wait_settled(&self, what: &str) -> Duration {
        let live = self.live();
        let all = self.configs.all_work();
        self.wait_until(what, |ledger| settled(ledger, &live, &all))
            .await
    }

    /// The live worker that leads the latest generation.
    fn leader(&self) -> String {
        let ledger = self.ledger();
        let live = self.live();
        let leaders: Vec<&String> = live
            .iter()
            .filter(|w| ledger.latest(w).is_some_and(|r| r.leader))
            .collect();
        assert_eq!(leaders.len(), 1, "one leader among {live:?}");
        leaders[0].clone()
    }

    fn records_since(&self, since: Instant) -> Vec<Record> {
        let ledger = self.ledger();
        ledger
            .records
            .iter()
            .filter(|r| r.at >= since)
            .cloned()
            .collect()
    }
}

/// Every configured item runs on exactly one live worker, and connector and task counts differ
/// by at most one between workers.
fn settled(ledger: &Ledger, live: &[String], all: &WorkSet) -> bool {
    let runs: Vec<WorkSet> = live.iter().map(|w| ledger.running(w)).collect();
    let covered = runs
        .iter()
        .fold(WorkSet::default(), |acc, w| union(&acc, w));
    let once = runs.iter().map(size).sum::<usize>() == size(all);
    let even = |count: fn(&WorkSet) -> usize| {
        let counts: Vec<usize> = runs.iter().map(count).collect();
        counts
            .iter()
            .max()
            .zip(counts.iter().min())
            .is_some_and(|(hi, lo)| hi - lo <= 1)
    };
    covered == *all && once && even(|w| w.connectors.len()) && even(|w| w.tasks.len())
}

/// Waits until every live worker has its assignment of the same generation (members receive
/// theirs at different moments), checks they agree on the leader and its URL, and returns the
/// generation.
async fn wait_same_generation(cluster: &Cluster) -> i32 {
    let live = cluster.live();
    cluster
        .wait_until("every worker to sync the same generation", |ledger| {
            let latest: Vec<Option<&Record>> = live.iter().map(|w| ledger.latest(w)).collect();
            let generation = latest.first().copied().flatten().map(|r| r.generation);
            latest.iter().all(|r| r.map(|r| r.generation) == generation)
        })
        .await;
    let ledger = cluster.ledger();
    let latest: Vec<&Record> = live.iter().filter_map(|w| ledger.latest(w)).collect();
    let leaders: Vec<&&Record> = latest.iter().filter(|r| r.leader).collect();
    assert_eq!(leaders.len(), 1, "one leader: {latest:#?}");
    for record in &latest {
        assert_eq!(record.leader_url, url(&leaders[0].worker), "{latest:#?}");
        assert_eq!(record.cause, EventCause::Assigned);
    }
    leaders[0].generation
}

fn three_by_two() -> Configs {
    Configs::new(&[("alpha", 2), ("beta", 2), ("gamma", 2)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_spreads_moves_off_a_leaver_and_rebalances_for_a_newcomer() {
    tokio::time::timeout(TEST_GUARD, spread_scenario())
        .await
        .expect("scenario finished");
}

async fn spread_scenario() {
    init_logs();
    let configs = three_by_two();
    let mut cluster = Cluster::new("coordinator-spread", Duration::ZERO, configs.clone());

    // Three workers form the group: each runs one connector and two tasks.
    for name in ["w1", "w2", "w3"] {
        cluster.start(name);
    }
    let took = cluster.wait_settled("the first spread").await;
    let generation = wait_same_generation(&cluster).await;
    eprintln!("3 workers settled in {took:?} (generation {generation})");
    for name in cluster.live() {
        let runs = cluster.ledger().running(&name);
        assert_eq!((runs.connectors.len(), runs.tasks.len()), (1, 2), "{name}");
    }

    // The leader leaves: the other two take over its work at once (max delay 0).
    let leaver = cluster.leader();
    let left_work = cluster.ledger().running(&leaver);
    let started = Instant::now();
    cluster.stop(&leaver).await;
    let stopped = started.elapsed();
    let took = cluster.wait_settled("the survivors to take over").await + stopped;
    eprintln!(
        "leader {leaver} cancelled: survivors hold all work after {took:?} (stop took {stopped:?})"
    );
    {
        let ledger = cluster.ledger();
        let last = ledger.latest(&leaver).expect("the leaver's events");
        assert_eq!(last.cause, EventCause::Stopping);
        assert_eq!(last.revoked, left_work, "shutdown revokes everything");
        assert!(last.total.is_empty());
    }
    wait_same_generation(&cluster).await;

    // A newcomer joins: only the work that moves to it is revoked on the others.
    let before: BTreeMap<String, WorkSet> = cluster.ledger().running.clone();
    let old_workers = cluster.live();
    let started = Instant::now();
    cluster.start("w4");
    let took = cluster.wait_settled("the newcomer's share").await;
    let generation = wait_same_generation(&cluster).await;
    eprintln!("newcomer w4 settled in {took:?} (generation {generation})");
    let since = cluster.records_since(started);
    let mut moved_total = WorkSet::default();
    for old in &old_workers {
        let now = cluster.ledger().running(old);
        let moved = difference(&before[old], &now);
        let revoked = since
            .iter()
            .filter(|r| &r.worker == old)
            .fold(WorkSet::default(), |acc, r| union(&acc, &r.revoked));
        assert_eq!(revoked, moved, "{old} gave up exactly what moved");
        moved_total = union(&moved_total, &moved);
    }
    assert_eq!(cluster.ledger().running("w4"), moved_total);
    for name in cluster.live() {
        let runs = cluster.ledger().running(&name);
        assert_eq!((runs.connectors.len(), runs.tasks.len()), (1, 2), "{name}");
    }

    // A new connector appears in the configs; the herder of one worker asks for a rebalance.
    configs.set(1, &[("alpha", 2), ("beta", 2), ("gamma", 2), ("delta", 3)]);
    let started = Instant::now();
    cluster.workers[0].handle.request_rebalance();
    let took = cluster.wait_settled("the new connector's work").await;
    eprintln!("requested rebalance placed the new connector in {took:?}");
    let since = cluster.records_since(started);
    assert!(
        since.iter().all(|r| r.revoked.is_empty()),
        "adding work revokes nothing: {since:#?}"
    );
    let placed = since
        .iter()
        .filter(|r| r.assigned.connectors.contains("delta"))
        .collect::<Vec<_>>();
    assert_eq!(placed.len(), 1, "one worker runs the new connector");
    assert_eq!(
        placed[0].config_offset, 1,
        "assigned from the new config offset"
    );

    cluster.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_work_waits_for_the_scheduled_rebalance_delay() {
    tokio::time::timeout(TEST_GUARD, delay_scenario())
        .await
        .expect("scenario finished");
}

async fn delay_scenario() {
    init_logs();
    const MAX_DELAY: Duration = Duration::from_secs(3);
    let configs = three_by_two();
    let mut cluster = Cluster::new("coordinator-delay", MAX_DELAY, configs);
    for name in ["d1", "d2", "d3"] {
        cluster.start(name);
    }
    let took = cluster.wait_settled("the first spread").await;
    wait_same_generation(&cluster).await;
    eprintln!("3 workers settled in {took:?}");

    // A follower dies without leaving; the leader remembers what it ran.
    let leader = cluster.leader();
    let victim = cluster
        .live()
        .into_iter()
        .find(|w| *w != leader)
        .expect("a follower");
    let lost = cluster.ledger().running(&victim);
    let killed = Instant::now();
    cluster.kill(&victim).await;

    // Once the group notices, the leader holds the lost work back and schedules a rebalance.
    cluster
        .wait_until("the lost work to be held back", |ledger| {
            ledger
                .records
                .iter()
                .any(|r| r.at >= killed && r.delay > Duration::ZERO)
        })
        .await;
    let hold = cluster
        .records_since(killed)
        .into_iter()
        .find(|r| r.delay > Duration::ZERO)
        .expect("hold record");
    eprintln!(
        "killed {victim}: the leader held its work back {:?} after the kill, delay {:?}",
        hold.at - killed,
        hold.delay
    );
    assert!(hold.delay <= MAX_DELAY, "{hold:?}");
    assert!(intersection(&hold.assigned, &lost).is_empty(), "{hold:?}");

    // When the delay ends the survivors rejoin and the lost work moves to them.
    let took = cluster.wait_settled("the lost work to move").await;
    let first_move = cluster
        .records_since(killed)
        .into_iter()
        .find(|r| !intersection(&r.assigned, &lost).is_empty())
        .expect("the lost work was assigned");
    eprintln!(
        "lost work reassigned {:?} after the hold ({:?} after the kill; settled {took:?} after it)",
        first_move.at - hold.at,
        first_move.at - killed
    );
    // The hold was computed just before `hold` was recorded, and its deadline is `delay` later.
    let slack = Duration::from_millis(500);
    assert!(
        first_move.at - hold.at + slack >= hold.delay,
        "moved {:?} after a hold of {:?}",
        first_move.at - hold.at,
        hold.delay
    );
    let moved: WorkSet = cluster
        .live()
        .iter()
        .map(|w| intersection(&cluster.ledger().running(w), &lost))
        .fold(WorkSet::default(), |acc, w| union(&acc, &w));
    assert_eq!(moved, lost, "all of the dead worker's work runs again");

    cluster.stop_all().await;
}
