//! Task states as Kafka Connect reports them, shared between task loops and whoever reports status.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Identifies one task: `<connector>-<n>`, as Kafka Connect prints a ConnectorTaskId.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Unassigned,
    Running,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Failed => "FAILED",
        }
    }
}

/// A task's state, with the error trace when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatus {
    pub state: State,
    pub trace: Option<String>,
}

/// The latest status of every task on this worker.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard {
    tasks: Arc<Mutex<BTreeMap<TaskId, TaskStatus>>>,
}

impl StatusBoard {
    pub fn set(&self, id: &TaskId, state: State, trace: Option<String>) {
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.insert(id.clone(), TaskStatus { state, trace });
        }
    }

    pub fn snapshot(&self) -> BTreeMap<TaskId, TaskStatus> {
        self.tasks.lock().map(|t| t.clone()).unwrap_or_default()
    }
}
