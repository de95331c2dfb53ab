//! How a plugin can fail, split by what the host does about it.

use sluice_api::{ConfigErrors, ConnectError};

use super::settings::MODULE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The module cannot run with these settings (unreadable, not a component, wrong interface
    /// version, refused by `init`): the task fails to start; retrying will not help.
    #[error("{0}")]
    Config(String),
    /// One call failed (trap, panic, missed deadline, out of memory, an error result, malformed
    /// outcomes): the instance is discarded and the batch bisected to find the record responsible.
    #[error("{0}")]
    Batch(String),
}

impl PluginError {
    pub fn into_connect(self) -> ConnectError {
        match self {
            PluginError::Config(reason) => ConfigErrors::one(MODULE, reason).into(),
            PluginError::Batch(message) => ConnectError::data(message),
        }
    }
}
