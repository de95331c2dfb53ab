//! The topics each connector has used (KIP-558): sink tasks record the topics they consumed,
//! source tasks the topics they produced to. Served by `GET /connectors/{c}/topics`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::status::TaskId;

/// Told of each topic a connector starts to use (the task that saw it first, the topic), e.g.
/// to publish it to the cluster's status topic.
pub type TopicListener = Arc<dyn Fn(&TaskId, &str) + Send + Sync>;

#[derive(Default)]
struct Shared {
    topics: Mutex<BTreeMap<String, BTreeSet<String>>>,
    /// Bumped by every reset, so that recorders forget what they had already reported.
    resets: AtomicU64,
    listener: Option<TopicListener>,
}

/// Active topics of every connector on this worker.
#[derive(Clone, Default)]
pub struct ActiveTopics {
    shared: Arc<Shared>,
}

impl ActiveTopics {
    /// Active topics that also tell `listener` of every newly used topic.
    pub fn with_listener(listener: TopicListener) -> Self {
        ActiveTopics {
            shared: Arc::new(Shared {
                listener: Some(listener),
                ..Shared::default()
            }),
        }
    }

    /// A recorder for one task.
    pub fn recorder(&self, task: &TaskId) -> TopicRecorder {
        TopicRecorder {
            shared: self.shared.clone(),
            task: task.clone(),
            seen: HashSet::new(),
            resets: self.shared.resets.load(Ordering::Acquire),
        }
    }

    pub fn of(&self, connector: &str) -> Vec<String> {
        self.shared
            .topics
            .lock()
            .ok()
            .and_then(|t| t.get(connector).map(|s| s.iter().cloned().collect()))
            .unwrap_or_default()
    }

    /// Empties the connector's set; topics still in use reappear as records flow.
    pub fn reset(&self, connector: &str) {
        if let Ok(mut topics) = self.shared.topics.lock() {
            topics.remove(connector);
        }
        self.shared.resets.fetch_add(1, Ordering::AcqRel);
    }
}

/// Records one task's topics; the shared set is touched only on a topic's first record.
pub struct TopicRecorder {
    shared: Arc<Shared>,
    task: TaskId,
    seen: HashSet<String>,
    resets: u64,
}

impl TopicRecorder {
    pub fn record(&mut self, topic: &str) {
        let resets = self.shared.resets.load(Ordering::Acquire);
        if resets != self.resets {
            self.resets = resets;
            self.seen.clear();
        }
        if self.seen.contains(topic) {
            return;
        }
        self.seen.insert(topic.to_string());
        let new = match self.shared.topics.lock() {
            Ok(mut topics) => topics
                .entry(self.task.connector.clone())
                .or_default()
                .insert(topic.to_string()),
            Err(_) => false,
        };
        if new && let Some(listener) = &self.shared.listener {
            listener(&self.task, topic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_each_topic_once_and_again_after_a_reset() {
        let active = ActiveTopics::default();
        let mut a = active.recorder(&TaskId::parse("c-0").unwrap());
        let mut b = active.recorder(&TaskId::parse("c-1").unwrap());
        a.record("orders");
        a.record("orders");
        b.record("payments");
        assert_eq!(active.of("c"), vec!["orders", "payments"]);
        assert!(active.of("other").is_empty());
        active.reset("c");
        assert!(active.of("c").is_empty());
        a.record("orders");
        assert_eq!(active.of("c"), vec!["orders"]);
    }

    #[test]
    fn the_listener_hears_each_new_topic_once() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = heard.clone();
        let active = ActiveTopics::with_listener(Arc::new(move |task: &TaskId, topic: &str| {
            log.lock().unwrap().push(format!("{task} {topic}"));
        }));
        let mut a = active.recorder(&TaskId::parse("c-0").unwrap());
        let mut b = active.recorder(&TaskId::parse("c-1").unwrap());
        a.record("orders");
        b.record("orders");
        b.record("payments");
        assert_eq!(*heard.lock().unwrap(), vec!["c-0 orders", "c-1 payments"]);
    }
}
