//! Offsets in a local JSON file: the standalone default. Every commit rewrites the file
//! atomically (write, fsync, rename), so a crash leaves either the old or the new offsets.

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::{Value as Json, json};
use sluice_api::{ConnectError, ConnectResult, OffsetSnapshot};
use tokio::sync::Mutex;

use super::{OffsetStore, OffsetTable, parse_offset_key};

/// Offsets of every connector, kept in memory and mirrored to `path`.
pub struct FileOffsetStore {
    path: PathBuf,
    table: Mutex<OffsetTable>,
}

impl FileOffsetStore {
    pub async fn open(path: PathBuf) -> ConnectResult<Self> {
        let io_err = |e: std::io::Error| {
            ConnectError::fatal(format!("cannot read offsets file {}: {e}", path.display()))
        };
        let mut table = OffsetTable::default();
        match tokio::fs::read(&path).await {
            Ok(bytes) => {
                let doc: Json = serde_json::from_slice(&bytes).map_err(|e| {
                    ConnectError::fatal(format!(
                        "offsets file {} is not valid JSON: {e}",
                        path.display()
                    ))
                })?;
                for entry in doc["offsets"].as_array().into_iter().flatten() {
                    let key = entry["key"].clone();
                    parse_offset_key(&key)?;
                    table.put(key, entry["value"].clone());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        Ok(FileOffsetStore {
            path,
            table: Mutex::new(table),
        })
    }

    async fn persist(&self, table: &OffsetTable) -> std::io::Result<()> {
        let offsets: Vec<Json> = table
            .entries()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let text = serde_json::to_vec_pretty(&json!({"version": 1, "offsets": offsets}))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = self.path.with_extension("tmp");
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    async fn load(&self, connector: &str) -> ConnectResult<OffsetSnapshot> {
        self.table.lock().await.snapshot(connector)
    }

    async fn write(&self, entries: Vec<(Json, Json)>) -> ConnectResult<()> {
        let mut table = self.table.lock().await;
        let mut next = table.clone();
        for (key, value) in entries {
            next.put(key, value);
        }
        self.persist(&next).await.map_err(|e| {
            ConnectError::retriable(format!(
                "cannot write offsets file {}: {e}",
                self.path.display()
            ))
        })?;
        *table = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Json) -> sluice_api::OffsetMap {
        v.as_object().cloned().unwrap()
    }

    #[tokio::test]
    async fn offsets_survive_reopen_and_stay_per_connector() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/offsets.json");
        let store = FileOffsetStore::open(path.clone()).await.unwrap();
        let p = map(json!({"filename": "/a"}));
        store
            .commit("c1", &[(p.clone(), map(json!({"position": 10})))])
            .await
            .unwrap();
        store
            .commit("c1", &[(p.clone(), map(json!({"position": 42})))])
            .await
            .unwrap();
        store
            .commit("c2", &[(p.clone(), map(json!({"position": 7})))])
            .await
            .unwrap();

        let reopened = FileOffsetStore::open(path).await.unwrap();
        let c1 = reopened.load("c1").await.unwrap();
        assert_eq!(c1.offset(&p), Some(&map(json!({"position": 42}))));
        let c2 = reopened.load("c2").await.unwrap();
        assert_eq!(c2.offset(&p), Some(&map(json!({"position": 7}))));
        assert_eq!(reopened.load("c3").await.unwrap().offset(&p), None);
    }
}
