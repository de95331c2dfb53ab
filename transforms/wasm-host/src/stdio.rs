//! A plugin's stdout and stderr: each line becomes a log event, and the last few kilobytes are
//! kept so a trap can be reported with the panic message that preceded it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// How much of the plugin's output is kept for error reports.
const TAIL_BYTES: usize = 4096;

#[derive(Clone)]
pub struct OutputTail {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    module: Arc<str>,
    /// The unfinished last line.
    line: Vec<u8>,
    tail: Vec<u8>,
}

impl OutputTail {
    pub fn new(module: Arc<str>) -> Self {
        OutputTail {
            inner: Arc::new(Mutex::new(Inner {
                module,
                line: Vec::new(),
                tail: Vec::new(),
            })),
        }
    }

    /// The last lines the plugin wrote, trimmed; empty if it wrote nothing.
    pub fn tail(&self) -> String {
        let inner = self.lock();
        let mut text = String::from_utf8_lossy(&inner.tail).into_owned();
        text.push_str(&String::from_utf8_lossy(&inner.line));
        text.trim().to_string()
    }

    /// Keeps a line the plugin reported another way (an error-level log line, such as the
    /// SDK's panic report) for the next error report, without logging it again.
    pub fn remember(&self, line: &str) {
        let mut inner = self.lock();
        inner.tail.extend_from_slice(line.as_bytes());
        inner.tail.push(b'\n');
        trim_front(&mut inner.tail);
    }

    /// Forgets what was kept, so the next error report shows only fresh output.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.tail.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, bytes: &[u8]) {
        let mut inner = self.lock();
        for &byte in bytes {
            if byte != b'\n' {
                inner.line.push(byte);
                continue;
            }
            let line = std::mem::take(&mut inner.line);
            tracing::warn!(
                target: "sluice::wasm::plugin",
                module = &*inner.module,
                "plugin output: {}",
                String::from_utf8_lossy(&line)
            );
            inner.tail.extend_from_slice(&line);
            inner.tail.push(b'\n');
        }
        trim_front(&mut inner.line);
        trim_front(&mut inner.tail);
    }
}

fn trim_front(bytes: &mut Vec<u8>) {
    if bytes.len() > TAIL_BYTES {
        bytes.drain(..bytes.len() - TAIL_BYTES);
    }
}

impl IsTerminal for OutputTail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputTail {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for OutputTail {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(usize::MAX)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for OutputTail {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for OutputTail {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
