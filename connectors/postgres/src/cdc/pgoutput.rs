//! The `pgoutput` logical decoding format, protocol version 1: transaction bounds, relation
//! descriptions and row changes with their column values in text form.

use bytes::{Buf, Bytes};

use super::lsn::Lsn;

/// One decoded pgoutput message.
#[derive(Debug, Clone, PartialEq)]
pub enum PgOutput {
    Begin {
        final_lsn: Lsn,
        /// Commit time, microseconds since the Unix epoch.
        commit_micros: i64,
        xid: u32,
    },
    Commit {
        commit_lsn: Lsn,
        end_lsn: Lsn,
        commit_micros: i64,
    },
    Origin,
    Relation(RelationMessage),
    Type,
    Insert {
        relation: u32,
        new: Vec<Datum>,
    },
    Update {
        relation: u32,
        /// The old key (`K`, replica identity DEFAULT/INDEX with a changed key) or the whole old
        /// row (`O`, replica identity FULL).
        old: Option<Vec<Datum>>,
        new: Vec<Datum>,
    },
    Delete {
        relation: u32,
        old: Vec<Datum>,
    },
    Truncate {
        relations: Vec<u32>,
    },
    Message {
        transactional: bool,
        prefix: String,
        content: Bytes,
    },
}

/// A relation's description, sent before its first change and again after it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationMessage {
    pub id: u32,
    pub namespace: String,
    pub name: String,
    /// `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    pub columns: Vec<ColumnMessage>,
}

/// One column of a relation message.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMessage {
    /// Part of the replica identity key.
    pub key: bool,
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
}

/// One column value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    /// A TOASTed value that did not change and was not sent.
    UnchangedToast,
    Text(Bytes),
}

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// Decodes one XLogData payload.
pub fn decode(mut data: Bytes) -> Result<PgOutput, String> {
    let kind = take_u8(&mut data)?;
    let message = match kind {
        b'B' => PgOutput::Begin {
            final_lsn: Lsn(take_u64(&mut data)?),
            commit_micros: take_i64(&mut data)? + PG_EPOCH_OFFSET_MICROS,
            xid: take_u32(&mut data)?,
        },
        b'C' => {
            take_u8(&mut data)?;
            PgOutput::Commit {
                commit_lsn: Lsn(take_u64(&mut data)?),
                end_lsn: Lsn(take_u64(&mut data)?),
                commit_micros: take_i64(&mut data)? + PG_EPOCH_OFFSET_MICROS,
            }
        }
        b'O' => PgOutput::Origin,
        b'Y' => PgOutput::Type,
        b'R' => PgOutput::Relation(relation(&mut data)?),
        b'I' => {
            let relation = take_u32(&mut data)?;
            expect(&mut data, b'N')?;
            PgOutput::Insert {
                relation,
                new: tuple(&mut data)?,
            }
        }
        b'U' => {
            let relation = take_u32(&mut data)?;
            let mut old = None;
            let mut marker = take_u8(&mut data)?;
            if marker == b'K' || marker == b'O' {
                old = Some(tuple(&mut data)?);
                marker = take_u8(&mut data)?;
            }
            if marker != b'N' {
                return Err(format!(
                    "unexpected tuple marker '{}' in Update",
                    marker as char
                ));
            }
            PgOutput::Update {
                relation,
                old,
                new: tuple(&mut data)?,
            }
        }
        b'D' => {
            let relation = take_u32(&mut data)?;
            let marker = take_u8(&mut data)?;
            if marker != b'K' && marker != b'O' {
                return Err(format!(
                    "unexpected tuple marker '{}' in Delete",
                    marker as char
                ));
            }
            PgOutput::Delete {
                relation,
                old: tuple(&mut data)?,
            }
        }
        b'T' => {
            let count = take_u32(&mut data)?;
            take_u8(&mut data)?;
            let relations = (0..count)
                .map(|_| take_u32(&mut data))
                .collect::<Result<_, _>>()?;
            PgOutput::Truncate { relations }
        }
        b'M' => {
            let transactional = take_u8(&mut data)? == 1;
            take_u64(&mut data)?;
            let prefix = take_string(&mut data)?;
            let len = take_u32(&mut data)? as usize;
            if data.len() < len {
                return Err("truncated logical message".into());
            }
            PgOutput::Message {
                transactional,
                prefix,
                content: data.split_to(len),
            }
        }
        other => return Err(format!("unknown pgoutput message '{}'", other as char)),
    };
    Ok(message)
}

fn relation(data: &mut Bytes) -> Result<RelationMessage, String> {
    let id = take_u32(data)?;
    let namespace = take_string(data)?;
    let name = take_string(data)?;
    let replica_identity = take_u8(data)?;
    let count = take_u16(data)?;
    let mut columns = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let flags = take_u8(data)?;
        columns.push(ColumnMessage {
            key: flags & 1 == 1,
            name: take_string(data)?,
            type_oid: take_u32(data)?,
            type_modifier: take_i32(data)?,
        });
    }
    Ok(RelationMessage {
        id,
        // pgoutput sends an empty namespace for pg_catalog.
        namespace: if namespace.is_empty() {
            "pg_catalog".into()
        } else {
            namespace
        },
        name,
        replica_identity,
        columns,
    })
}

fn tuple(data: &mut Bytes) -> Result<Vec<Datum>, String> {
    let count = take_u16(data)?;
    let mut values = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let value = match take_u8(data)? {
            b'n' => Datum::Null,
            b'u' => Datum::UnchangedToast,
            b't' => {
                let len = take_u32(data)? as usize;
                if data.len() < len {
                    return Err("truncated column value".into());
                }
                Datum::Text(data.split_to(len))
            }
            other => return Err(format!("unsupported column format '{}'", other as char)),
        };
        values.push(value);
    }
    Ok(values)
}

fn expect(data: &mut Bytes, marker: u8) -> Result<(), String> {
    let found = take_u8(data)?;
    if found == marker {
        Ok(())
    } else {
        Err(format!(
            "expected '{}' but found '{}'",
            marker as char, found as char
        ))
    }
}

fn need(data: &Bytes, n: usize) -> Result<(), String> {
    if data.len() < n {
        Err("truncated pgoutput message".into())
    } else {
        Ok(())
    }
}

fn take_u8(data: &mut Bytes) -> Result<u8, String> {
    need(data, 1)?;
    Ok(data.get_u8())
}

fn take_u16(data: &mut Bytes) -> Result<u16, String> {
    need(data, 2)?;
    Ok(data.get_u16())
}

fn take_u32(data: &mut Bytes) -> Result<u32, String> {
    need(data, 4)?;
    Ok(data.get_u32())
}

fn take_i32(data: &mut Bytes) -> Result<i32, String> {
    need(data, 4)?;
    Ok(data.get_i32())
}

fn take_u64(data: &mut Bytes) -> Result<u64, String> {
    need(data, 8)?;
    Ok(data.get_u64())
}

fn take_i64(data: &mut Bytes) -> Result<i64, String> {
    need(data, 8)?;
    Ok(data.get_i64())
}

fn take_string(data: &mut Bytes) -> Result<String, String> {
    let end = data
        .iter()
        .position(|b| *b == 0)
        .ok_or("unterminated string in pgoutput message")?;
    let text = String::from_utf8_lossy(&data[..end]).into_owned();
    data.advance(end + 1);
    Ok(text)
}

#[cfg(test)]
mod tests;
