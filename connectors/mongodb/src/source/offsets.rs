//! Source partitions and offsets in the official connector's format, so that offsets stored by
//! either connector resume the other.
//!
//! Partition: `{"ns": "mongodb://<hosts>/<db>[.<coll>]"}`, or `{"ns": <offset.partition.name>}`;
//! builds before 1.9 used `{"ns": "<connection.uri>/<db>.<coll>"}`, which is looked up when the
//! current partition has no offset. Offset: `{"_id": "<resume token as relaxed JSON>"}`, plus
//! `"copy": "true"` while existing data is copied and `"HEARTBEAT": "true"` on heartbeats.

use mongodb::bson::{Bson, Document};
use sluice_api::{ConnectError, ConnectResult, OffsetMap, OffsetSnapshot};

use super::config::SourceConfig;
use super::json;

pub const NS_KEY: &str = "ns";
pub const ID_KEY: &str = "_id";
pub const COPY_KEY: &str = "copy";
pub const HEARTBEAT_KEY: &str = "HEARTBEAT";

/// The source partition of the connector.
pub fn partition(config: &SourceConfig) -> OffsetMap {
    let name = match &config.offset_partition_name {
        Some(name) => name.clone(),
        None => default_partition_name(
            &config.uri,
            config.target.database(),
            config.target.collection(),
        ),
    };
    ns_map(name)
}

/// The partition of builds before `offset.partition.name` existed.
pub fn legacy_partition(config: &SourceConfig) -> OffsetMap {
    ns_map(format!(
        "{}/{}.{}",
        config.uri,
        config.target.database(),
        config.target.collection()
    ))
}

fn ns_map(name: String) -> OffsetMap {
    let mut map = OffsetMap::new();
    map.insert(NS_KEY.to_string(), name.into());
    map
}

/// `mongodb://host1,host2/db.coll`: the scheme and hosts of the connection string (no
/// credentials, no options) and the watched namespace.
pub fn default_partition_name(uri: &str, db: &str, coll: &str) -> String {
    let (scheme, rest) = match uri.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None => ("mongodb", uri),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority
        .rsplit_once('@')
        .map_or(authority, |(_, hosts)| hosts);
    let mut name = format!("{scheme}://{hosts}/{db}");
    if !coll.is_empty() {
        name.push('.');
        name.push_str(coll);
    }
    name
}

/// Where a stored offset says to continue.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// No offset: start per `startup.mode`.
    Nothing,
    /// Stopped while copying existing data: copy again.
    Copying,
    /// Resume after this token.
    Token(Document),
}

/// The stored offset of this connector: under its partition, or under the legacy one.
pub fn stored(config: &SourceConfig, offsets: &OffsetSnapshot) -> ConnectResult<Stored> {
    let current = partition(config);
    let offset = offsets.offset(&current).or_else(|| {
        config
            .offset_partition_name
            .is_none()
            .then(|| offsets.offset(&legacy_partition(config)))
            .flatten()
    });
    match offset {
        None => Ok(Stored::Nothing),
        Some(offset) => decode(offset),
    }
}

/// Reads one stored offset.
pub fn decode(offset: &OffsetMap) -> ConnectResult<Stored> {
    if offset.contains_key(COPY_KEY) {
        return Ok(Stored::Copying);
    }
    match offset.get(ID_KEY) {
        None | Some(serde_json::Value::Null) => Ok(Stored::Nothing),
        Some(serde_json::Value::String(text)) => token_from_json(text).map(Stored::Token),
        Some(other) => Err(ConnectError::fatal(format!(
            "stored MongoDB offset has '{ID_KEY}' = {other}, expected the resume token as a JSON string"
        ))),
    }
}

/// Parses a resume token stored as (relaxed or canonical) Extended JSON.
pub fn token_from_json(text: &str) -> ConnectResult<Document> {
    let invalid = |reason: String| {
        ConnectError::fatal(format!(
            "stored MongoDB resume token {text} is not valid: {reason}; delete the connector's offset \
             or set a new offset.partition.name to start afresh"
        ))
    };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    match Bson::try_from(json) {
        Ok(Bson::Document(doc)) => Ok(doc),
        Ok(_) => Err(invalid("not a JSON object".to_string())),
        Err(e) => Err(invalid(e.to_string())),
    }
}

/// The offset of a change event (or copied document) whose `_id` is `id`.
pub fn event_offset(id: &Document, copying: bool) -> OffsetMap {
    let mut offset = OffsetMap::new();
    offset.insert(ID_KEY.to_string(), json::relaxed(id).into());
    if copying {
        offset.insert(COPY_KEY.to_string(), "true".into());
    }
    offset
}

/// The offset of a heartbeat carrying `token_json`.
pub fn heartbeat_offset(token_json: &str) -> OffsetMap {
    let mut offset = OffsetMap::new();
    offset.insert(ID_KEY.to_string(), token_json.into());
    offset.insert(HEARTBEAT_KEY.to_string(), "true".into());
    offset
}

#[cfg(test)]
mod tests;
