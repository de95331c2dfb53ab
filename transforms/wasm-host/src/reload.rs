//! Hot reload: notices that the module file changed, compiles the new version off the task's
//! thread, and hands it over for the transform to swap in between two batches.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::PluginError;
use super::module::{self, FileStamp, Module};

pub struct Reloader {
    path: PathBuf,
    cache_dir: Option<PathBuf>,
    interval: Duration,
    next_check: Instant,
    stamp: Option<FileStamp>,
    compiling: Option<JoinHandle<Result<Arc<Module>, PluginError>>>,
}

impl Reloader {
    pub fn new(path: PathBuf, cache_dir: Option<PathBuf>, interval: Duration) -> Self {
        Reloader {
            stamp: FileStamp::of(&path),
            path,
            cache_dir,
            interval,
            next_check: Instant::now() + interval,
            compiling: None,
        }
    }

    /// A newly compiled module once one is ready; cheap to call before every batch.
    pub fn poll(&mut self) -> Option<Result<Arc<Module>, PluginError>> {
        if self.compiling.as_ref().is_some_and(JoinHandle::is_finished) {
            let handle = self.compiling.take()?;
            return Some(handle.join().unwrap_or_else(|_| {
                Err(PluginError::Config(
                    "compiling the new module panicked".into(),
                ))
            }));
        }
        let now = Instant::now();
        if self.compiling.is_some() || now < self.next_check {
            return None;
        }
        self.next_check = now + self.interval;
        let stamp = FileStamp::of(&self.path);
        if stamp.is_none() || stamp == self.stamp {
            // A module being replaced may be missing for a moment; keep running the old one.
            return None;
        }
        self.stamp = stamp;
        let (path, cache_dir) = (self.path.clone(), self.cache_dir.clone());
        self.compiling = Some(std::thread::spawn(move || {
            module::load(&path, cache_dir.as_deref())
        }));
        None
    }
}
