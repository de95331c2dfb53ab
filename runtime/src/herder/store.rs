//! Standalone mode keeps the connectors created over REST in a local file
//! (`config.storage.file.filename`), so they survive a restart of the worker. Configs are stored
//! as submitted: provider references stay references.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sluice_api::{ConnectError, ConnectResult, Props};

use super::TargetState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredConnector {
    pub config: Props,
    pub target_state: TargetState,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    connectors: BTreeMap<String, StoredConnector>,
}

#[derive(Debug, Clone)]
pub struct ConfigStore {
    path: PathBuf,
}

impl ConfigStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ConfigStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored connectors; none when the file does not exist yet.
    pub fn load(&self) -> ConnectResult<BTreeMap<String, StoredConnector>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.error("cannot read", e)),
        };
        let file: StoreFile =
            serde_json::from_str(&text).map_err(|e| self.error("cannot parse", e))?;
        Ok(file.connectors)
    }

    /// Replaces the file's contents atomically (write a sibling, then rename), readable by the
    /// owner only since configs may hold credentials.
    pub fn save(&self, connectors: &BTreeMap<String, StoredConnector>) -> ConnectResult<()> {
        let file = StoreFile {
            connectors: connectors.clone(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| self.error("cannot encode", e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| self.error("cannot create the folder of", e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut out = options.open(&tmp)?;
            out.write_all(&text)?;
            out.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        written.map_err(|e| self.error("cannot write", e))
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> ConnectError {
        ConnectError::fatal(format!(
            "{what} the connector config file {}: {e}",
            self.path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_connectors_with_their_target_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path().join("sub/connect.configs.json"));
        assert!(store.load().unwrap().is_empty());
        let mut connectors = BTreeMap::new();
        connectors.insert(
            "orders".to_string(),
            StoredConnector {
                config: sluice_api::config::props(&[("password", "${file:/s:pw}")]),
                target_state: TargetState::Paused,
            },
        );
        store.save(&connectors).unwrap();
        assert_eq!(store.load().unwrap(), connectors);
        std::fs::write(store.path(), "{not json").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("cannot parse"), "{err}");
    }
}
