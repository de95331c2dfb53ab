//! Bulk writes of one namespace as `insert`, `update` and `delete` commands (what every MongoDB
//! release since 2.6 accepts, unlike the client-level `bulkWrite` of MongoDB 8). Consecutive
//! writes of one kind share a command of at most 100 000 statements and 16 MiB. A document the
//! server rejects is handed to the caller (errant-record reporter) and, for ordered writes, the
//! statements after it are sent again; retriable failures are retried `max.num.retries` times,
//! `retries.defer.timeout` apart.

use std::time::Duration;

use mongodb::bson::{Bson, Document, RawArrayBuf, RawDocumentBuf};
use mongodb::{Client, Database};
use sluice_api::{ConnectError, ConnectResult};

use super::errors::{classify, is_retriable_code};
use super::namespace::Namespace;
use super::write_model::{CommandKind, WriteModel};

/// MongoDB's `maxBsonObjectSize`.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// A command body may exceed the document limit by 16 KiB; a little is kept for the envelope.
const MAX_COMMAND_BYTES: usize = MAX_DOCUMENT_BYTES + 12 * 1024;
/// MongoDB's `maxWriteBatchSize`.
const MAX_STATEMENTS: usize = 100_000;
/// Bytes an array element adds beyond its document: type byte, index digits, terminator.
const ELEMENT_OVERHEAD: usize = 8;

/// How one bulk write is sent.
#[derive(Debug, Clone, Copy)]
pub struct BulkOptions {
    pub ordered: bool,
    pub max_retries: u32,
    pub retry_defer: Duration,
}

/// Called with the index of a write the server rejected and the reason; `Err` stops the bulk
/// write (the error tolerance is exceeded).
pub type OnFailure<'a> = dyn FnMut(usize, String) -> ConnectResult<()> + Send + 'a;

/// Sends bulk writes.
#[derive(Clone)]
pub struct BulkWriter {
    client: Client,
}

impl BulkWriter {
    pub fn new(client: Client) -> Self {
        BulkWriter { client }
    }

    /// Writes `models` into `ns`, returning how many the server accepted.
    pub async fn write(
        &self,
        ns: &Namespace,
        models: &[WriteModel],
        options: &BulkOptions,
        on_failure: &mut OnFailure<'_>,
    ) -> ConnectResult<usize> {
        let db = self.client.database(&ns.database);
        let mut statements: Vec<(usize, CommandKind, RawDocumentBuf)> =
            Vec::with_capacity(models.len());
        let mut failed = 0;
        for (index, model) in models.iter().enumerate() {
            match encode(model) {
                Ok(raw) => statements.push((index, model.command(), raw)),
                Err(reason) => {
                    failed += 1;
                    on_failure(index, reason)?;
                }
            }
        }
        let shape: Vec<(CommandKind, usize)> = statements
            .iter()
            .map(|(_, kind, raw)| (*kind, raw.as_bytes().len()))
            .collect();
        for command in commands(&shape) {
            let kind = statements[command[0]].1;
            let batch: Vec<(usize, &RawDocumentBuf)> = command
                .iter()
                .map(|&i| (statements[i].0, &statements[i].2))
                .collect();
            failed += self
                .execute(&db, ns, kind, batch, options, on_failure)
                .await?;
        }
        Ok(models.len() - failed)
    }

    /// Sends one command until every statement is written or reported; returns how many
    /// were reported.
    async fn execute(
        &self,
        db: &Database,
        ns: &Namespace,
        kind: CommandKind,
        mut pending: Vec<(usize, &RawDocumentBuf)>,
        options: &BulkOptions,
        on_failure: &mut OnFailure<'_>,
    ) -> ConnectResult<usize> {
        let mut attempt = 0;
        let mut failed = 0;
        while !pending.is_empty() {
            let command = build_command(kind, &ns.collection, &pending, options.ordered);
            let what = format!(
                "{} of {} documents into {ns}",
                kind_name(kind),
                pending.len()
            );
            let reply = db.run_raw_command(command).await;
            let retry = match reply {
                Err(err) => {
                    let err = classify(err, &what);
                    if !err.is_retriable() {
                        return Err(err);
                    }
                    err
                }
                Ok(reply) => {
                    let outcome = parse_reply(&reply, pending.len(), options.ordered)
                        .map_err(|e| ConnectError::fatal(format!("{what}: {e}")))?;
                    let mut next = Vec::new();
                    for (k, reason) in &outcome.rejected {
                        failed += 1;
                        on_failure(pending[*k].0, reason.clone())?;
                    }
                    next.extend(outcome.resend.iter().map(|&k| pending[k]));
                    pending = next;
                    match outcome.retry {
                        None => continue,
                        Some(reason) => ConnectError::retriable(format!("{what}: {reason}")),
                    }
                }
            };
            if attempt >= options.max_retries {
                return Err(ConnectError::retriable(format!(
                    "{} (still failing after {} retries)",
                    retry, options.max_retries
                )));
            }
            attempt += 1;
            tracing::warn!(
                namespace = %ns,
                attempt,
                max_retries = options.max_retries,
                error = %retry.trace(),
                "bulk write failed; retrying"
            );
            tokio::time::sleep(options.retry_defer).await;
        }
        Ok(failed)
    }
}

/// What a reply says about the statements of its command.
#[derive(Debug, Default, PartialEq)]
pub struct ReplyOutcome {
    /// Statement positions the server rejected for good, with the reason.
    pub rejected: Vec<(usize, String)>,
    /// Positions to send again: after an ordered command's failure, or retriable ones.
    pub resend: Vec<usize>,
    /// Set when something failed in a way worth retrying (the resend then waits and counts).
    pub retry: Option<String>,
}

/// Reads `ok`, `writeErrors` and `writeConcernError` of a write command's reply.
pub fn parse_reply(
    reply: &Document,
    statements: usize,
    ordered: bool,
) -> Result<ReplyOutcome, String> {
    let ok = match reply.get("ok") {
        Some(Bson::Double(v)) => *v == 1.0,
        Some(Bson::Int32(v)) => *v == 1,
        Some(Bson::Int64(v)) => *v == 1,
        Some(Bson::Boolean(v)) => *v,
        _ => false,
    };
    if !ok {
        let code = int(reply.get("code")).unwrap_or(0);
        let message = reply.get_str("errmsg").unwrap_or("command failed");
        if is_retriable_code(code) {
            return Ok(ReplyOutcome {
                resend: (0..statements).collect(),
                retry: Some(format!("{message} (code {code})")),
                ..ReplyOutcome::default()
            });
        }
        return Err(format!("{message} (code {code})"));
    }
    let mut errors: Vec<(usize, i32, String)> = Vec::new();
    if let Some(Bson::Array(items)) = reply.get("writeErrors") {
        for item in items {
            let Some(e) = item.as_document() else {
                continue;
            };
            let index = int(e.get("index"))
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < statements)
                .ok_or_else(|| format!("write error without a valid index: {e}"))?;
            let code = int(e.get("code")).unwrap_or(0);
            let message = e.get_str("errmsg").unwrap_or("write error").to_string();
            errors.push((index, code, message));
        }
    }
    errors.sort_by_key(|e| e.0);
    let mut outcome = ReplyOutcome::default();
    if ordered {
        if let Some((index, code, message)) = errors.into_iter().next() {
            let reason = format!("{message} (code {code})");
            if is_retriable_code(code) {
                outcome.resend = (index..statements).collect();
                outcome.retry = Some(reason);
            } else {
                outcome.rejected.push((index, reason));
                outcome.resend = (index + 1..statements).collect();
            }
        }
    } else {
        for (index, code, message) in errors {
            let reason = format!("{message} (code {code})");
            if is_retriable_code(code) {
                outcome.resend.push(index);
                outcome.retry.get_or_insert(reason);
            } else {
                outcome.rejected.push((index, reason));
            }
        }
    }
    if let Some(Bson::Document(wce)) = reply.get("writeConcernError") {
        // The writes were applied but not acknowledged as asked: send them again (upserts and
        // deletes are idempotent) rather than commit offsets on an unconfirmed write.
        let rejected: Vec<usize> = outcome.rejected.iter().map(|r| r.0).collect();
        outcome.resend = (0..statements).filter(|i| !rejected.contains(i)).collect();
        outcome.retry = Some(format!(
            "write concern error: {} (code {})",
            wce.get_str("errmsg").unwrap_or(""),
            int(wce.get("code")).unwrap_or(0)
        ));
    }
    Ok(outcome)
}

fn int(value: Option<&Bson>) -> Option<i32> {
    match value? {
        Bson::Int32(v) => Some(*v),
        Bson::Int64(v) => i32::try_from(*v).ok(),
        Bson::Double(v) => Some(*v as i32),
        _ => None,
    }
}

/// The encoded statement of a write; `Err` when it cannot be sent (too large, bad field names).
fn encode(model: &WriteModel) -> Result<RawDocumentBuf, String> {
    let raw = RawDocumentBuf::from_document(&model.statement())
        .map_err(|e| format!("the document cannot be encoded as BSON: {e}"))?;
    let len = raw.as_bytes().len();
    if len > MAX_DOCUMENT_BYTES + 1024 {
        return Err(format!(
            "the document is too large: {len} bytes encoded, MongoDB's limit is {MAX_DOCUMENT_BYTES}"
        ));
    }
    Ok(raw)
}

/// Groups statement positions into commands: consecutive statements of one kind, within the
/// statement and byte limits.
pub fn commands(statements: &[(CommandKind, usize)]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for (pos, (kind, len)) in statements.iter().enumerate() {
        let size = len + ELEMENT_OVERHEAD;
        let fits = out.last().is_some_and(|current| {
            statements[current[0]].0 == *kind
                && current.len() < MAX_STATEMENTS
                && bytes + size <= MAX_COMMAND_BYTES
        });
        if fits {
            if let Some(current) = out.last_mut() {
                current.push(pos);
            }
            bytes += size;
        } else {
            out.push(vec![pos]);
            bytes = size;
        }
    }
    out
}

fn kind_name(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::Insert => "insert",
        CommandKind::Update => "update",
        CommandKind::Delete => "delete",
    }
}

fn build_command(
    kind: CommandKind,
    collection: &str,
    statements: &[(usize, &RawDocumentBuf)],
    ordered: bool,
) -> RawDocumentBuf {
    let list = match kind {
        CommandKind::Insert => "documents",
        CommandKind::Update => "updates",
        CommandKind::Delete => "deletes",
    };
    let mut array = RawArrayBuf::new();
    for (_, raw) in statements {
        array.push((*raw).clone());
    }
    let mut command = RawDocumentBuf::new();
    command.append(kind_name(kind), collection);
    command.append(list, array);
    command.append("ordered", ordered);
    command
}

#[cfg(test)]
mod tests;
