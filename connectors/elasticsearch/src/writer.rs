//! Bulk requests: operations cut into requests of at most `batch.size` items and
//! `bulk.size.bytes`, up to `max.in.flight.requests` at a time, each retried on its own: the
//! whole request after a transport failure or a busy cluster, only the rejected items after a
//! response with per-item 429s and the like.

use futures::StreamExt;
use sluice_api::{ConnectError, ConnectResult};

use crate::backoff;
use crate::client::{Cluster, status_error};
use crate::document::Operation;
use crate::response::{self, Outcome, RequestStatus};

/// Sends operations in bulk requests.
#[derive(Clone)]
pub struct BulkWriter {
    pub cluster: Cluster,
    pub batch_size: usize,
    pub bulk_size_bytes: usize,
    pub max_in_flight: usize,
    pub max_retries: u32,
    pub retry_backoff: std::time::Duration,
}

impl BulkWriter {
    /// Writes `ops` and returns the final outcome of each, in order. Items still rejected once
    /// retries are used up keep their `Retry` outcome; `Err` when a whole request failed for
    /// good. `in_order` sends one request at a time, for writes whose order matters across requests.
    pub async fn write(&self, ops: &[Operation], in_order: bool) -> ConnectResult<Vec<Outcome>> {
        let chunks = chunks(ops, self.batch_size, self.bulk_size_bytes);
        let parallel = if in_order { 1 } else { self.max_in_flight };
        let mut outcomes = vec![Outcome::Written; ops.len()];
        let mut results = futures::stream::iter(chunks)
            .map(|chunk| self.send_chunk(ops, chunk))
            .buffer_unordered(parallel);
        let mut failure = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(done) => {
                    for (i, outcome) in done {
                        outcomes[i] = outcome;
                    }
                }
                // Other requests are let finish: what they write is not written twice later.
                Err(err) => failure = failure.or(Some(err)),
            }
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(outcomes),
        }
    }

    async fn send_chunk(
        &self,
        ops: &[Operation],
        mut pending: Vec<usize>,
    ) -> ConnectResult<Vec<(usize, Outcome)>> {
        let mut done = Vec::with_capacity(pending.len());
        let mut attempt = 0;
        loop {
            let failed = match self.send_once(ops, &pending).await {
                Ok(outcomes) => {
                    let refs: Vec<&Operation> = pending.iter().map(|&i| &ops[i]).collect();
                    let resend: Vec<usize> = response::to_resend(&outcomes, &refs)
                        .into_iter()
                        .map(|k| pending[k])
                        .collect();
                    let first_retry = outcomes.iter().find_map(|o| match o {
                        Outcome::Retry(reason) => Some(reason.clone()),
                        _ => None,
                    });
                    done.extend(pending.iter().copied().zip(outcomes));
                    if resend.is_empty() || attempt >= self.max_retries {
                        return Ok(done);
                    }
                    tracing::warn!(
                        items = resend.len(),
                        attempt = attempt + 1,
                        max_retries = self.max_retries,
                        reason = first_retry.as_deref().unwrap_or(""),
                        "bulk items rejected; retrying them"
                    );
                    pending = resend;
                    None
                }
                Err(err) if err.is_retriable() && attempt < self.max_retries => Some(err),
                Err(err) => return Err(err),
            };
            if let Some(err) = failed {
                tracing::warn!(
                    items = pending.len(),
                    attempt = attempt + 1,
                    max_retries = self.max_retries,
                    error = %err,
                    "bulk request failed; retrying"
                );
            }
            tokio::time::sleep(backoff::delay(self.retry_backoff, attempt)).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, ops: &[Operation], items: &[usize]) -> ConnectResult<Vec<Outcome>> {
        let size: usize = items.iter().map(|&i| ops[i].size()).sum();
        let mut body = Vec::with_capacity(size);
        for &i in items {
            body.extend_from_slice(&ops[i].lines);
        }
        let reply = self.cluster.bulk(body).await?;
        match response::request_status(reply.status) {
            RequestStatus::Items => {}
            RequestStatus::Retry => {
                return Err(status_error(reply.status, "bulk request", &reply.body));
            }
            RequestStatus::Fail => {
                return Err(ConnectError::fatal(format!(
                    "bulk request refused with status {}: {}",
                    reply.status,
                    reply.body.chars().take(500).collect::<String>()
                )));
            }
        }
        let parsed: serde_json::Value = serde_json::from_str(&reply.body)
            .map_err(|e| ConnectError::retriable(format!("bulk response is not JSON: {e}")))?;
        let versioned: Vec<bool> = items.iter().map(|&i| ops[i].versioned).collect();
        response::classify(&parsed, &versioned).map_err(ConnectError::retriable)
    }
}

/// Cuts `ops` into runs of consecutive operations within both limits; an operation larger than
/// the byte limit goes alone.
pub fn chunks(ops: &[Operation], max_items: usize, max_bytes: usize) -> Vec<Vec<usize>> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for (i, op) in ops.iter().enumerate() {
        let full =
            current.len() >= max_items || (bytes + op.size() > max_bytes && !current.is_empty());
        if full {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += op.size();
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Action;

    fn op(bytes: usize) -> Operation {
        Operation {
            index: "i".into(),
            id: None,
            action: Action::Index,
            versioned: false,
            lines: vec![b'x'; bytes],
        }
    }

    #[test]
    fn requests_respect_both_limits() {
        let ops: Vec<_> = [10, 10, 10, 50, 10].into_iter().map(op).collect();
        assert_eq!(chunks(&ops, 2, 1000), [vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(chunks(&ops, 10, 30), [vec![0, 1, 2], vec![3], vec![4]]);
        assert!(chunks(&[], 10, 10).is_empty());
    }
}
