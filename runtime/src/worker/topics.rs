//! The topics each connector has used (KIP-558): sink tasks record the topics they consumed,
//! source tasks the topics they produced to. Served by `GET /connectors/{c}/topics`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Shared {
    topics: Mutex<BTreeMap<String, BTreeSet<String>>>,
    /// Bumped by every reset, so that recorders forget what they had already reported.
    resets: AtomicU64,
}

/// Active topics of every connector on this worker.
#[derive(Debug, Clone, Default)]
pub struct ActiveTopics {
    shared: Arc<Shared>,
}

impl ActiveTopics {
    /// A recorder for one task of `connector`.
    pub fn recorder(&self, connector: &str) -> TopicRecorder {
        TopicRecorder {
            shared: self.shared.clone(),
            connector: connector.to_string(),
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
#[derive(Debug)]
pub struct TopicRecorder {
    shared: Arc<Shared>,
    connector: String,
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
        if let Ok(mut topics) = self.shared.topics.lock() {
            topics
                .entry(self.connector.clone())
                .or_default()
                .insert(topic.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_each_topic_once_and_again_after_a_reset() {
        let active = ActiveTopics::default();
        let mut a = active.recorder("c");
        let mut b = active.recorder("c");
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
}
