//! Connector and task states as Kafka Connect reports them, shared between the worker, its task
//! loops and whoever reports status.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Identifies one task: `<connector>-<n>`, as Kafka Connect prints a ConnectorTaskId.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl TaskId {
    /// Reads `<connector>-<n>`, the form [`fmt::Display`] writes; connector names may contain
    /// dashes, so the number follows the last one.
    pub fn parse(text: &str) -> Option<TaskId> {
        let (connector, task) = text.rsplit_once('-')?;
        let digits = !task.is_empty() && task.bytes().all(|b| b.is_ascii_digit());
        if connector.is_empty() || !digits {
            return None;
        }
        Some(TaskId {
            connector: connector.to_string(),
            task: task.parse().ok()?,
        })
    }
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
    Paused,
    /// Connectors only: tasks shut down and their configs emptied.
    Stopped,
    Failed,
    Restarting,
}

impl State {
    /// The state of a started connector or task: PAUSED while paused, else RUNNING.
    pub fn active(paused: bool) -> State {
        if paused {
            State::Paused
        } else {
            State::Running
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Stopped => "STOPPED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
        }
    }
}

/// A connector's or task's state, with the error trace when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatus {
    pub state: State,
    pub trace: Option<String>,
}

#[derive(Debug, Default)]
struct Board {
    connectors: BTreeMap<String, TaskStatus>,
    tasks: BTreeMap<TaskId, TaskStatus>,
}

/// A status set on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    Connector(String, TaskStatus),
    Task(TaskId, TaskStatus),
}

/// Told of every status set on the board, after it is set; e.g. to publish it to the
/// cluster's status topic.
pub type StatusListener = Arc<dyn Fn(StatusChange) + Send + Sync>;

/// The latest status of every connector and task on this worker.
#[derive(Clone, Default)]
pub struct StatusBoard {
    board: Arc<Mutex<Board>>,
    listener: Option<StatusListener>,
}

impl StatusBoard {
    /// A board that also tells `listener` of every change.
    pub fn with_listener(listener: StatusListener) -> Self {
        StatusBoard {
            board: Arc::default(),
            listener: Some(listener),
        }
    }

    pub fn set(&self, id: &TaskId, state: State, trace: Option<String>) {
        let status = TaskStatus { state, trace };
        if let Ok(mut board) = self.board.lock() {
            board.tasks.insert(id.clone(), status.clone());
        }
        if let Some(listener) = &self.listener {
            listener(StatusChange::Task(id.clone(), status));
        }
    }

    pub fn set_connector(&self, name: &str, state: State, trace: Option<String>) {
        let status = TaskStatus { state, trace };
        if let Ok(mut board) = self.board.lock() {
            board.connectors.insert(name.to_string(), status.clone());
        }
        if let Some(listener) = &self.listener {
            listener(StatusChange::Connector(name.to_string(), status));
        }
    }

    /// Forgets a connector's tasks, keeping the connector's own status.
    pub fn remove_tasks(&self, connector: &str) {
        if let Ok(mut board) = self.board.lock() {
            board.tasks.retain(|id, _| id.connector != connector);
        }
    }

    /// Forgets a connector and its tasks.
    pub fn remove_connector(&self, connector: &str) {
        self.remove_tasks(connector);
        if let Ok(mut board) = self.board.lock() {
            board.connectors.remove(connector);
        }
    }

    pub fn connector(&self, name: &str) -> Option<TaskStatus> {
        self.board.lock().ok()?.connectors.get(name).cloned()
    }

    pub fn task(&self, id: &TaskId) -> Option<TaskStatus> {
        self.board.lock().ok()?.tasks.get(id).cloned()
    }

    /// Every task's status.
    pub fn snapshot(&self) -> BTreeMap<TaskId, TaskStatus> {
        self.board
            .lock()
            .map(|b| b.tasks.clone())
            .unwrap_or_default()
    }

    /// The statuses of one connector's tasks, by task number.
    pub fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)> {
        self.board
            .lock()
            .map(|b| {
                b.tasks
                    .iter()
                    .filter(|(id, _)| id.connector == connector)
                    .map(|(id, s)| (id.task, s.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}
