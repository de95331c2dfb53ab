//! `post.processor.chain`: steps applied to each value document before its write model is
//! built. `DocumentIdAdder` always runs first, as in the official connector; the allow-list and
//! block-list projectors use `key.projection.*` and `value.projection.*`.

use mongodb::bson::Document;
use sluice_api::ParsedConfig;
use sluice_api::Record;
use sluice_api::config::IssueCollector;

use super::config::{
    KEY_PROJECTION_LIST, KEY_PROJECTION_TYPE, POST_PROCESSOR_CHAIN, VALUE_PROJECTION_LIST,
    VALUE_PROJECTION_TYPE, class_matches, projection,
};
use super::document::SinkDocument;
use super::id_strategy::IdStrategy;
use super::projection::{Projection, ProjectionType};

const PACKAGE: &str = "com.mongodb.kafka.connect.sink.processor";

/// One post processor.
#[derive(Debug, Clone, PartialEq)]
pub enum PostProcessor {
    /// Sets `_id` from the id strategy (keeps an existing one unless told to overwrite).
    DocumentIdAdder,
    ValueProjector(Projection),
    KeyProjector(Projection),
}

/// Parses the chain, reporting unknown classes and projectors whose projection type does not
/// match their kind (which the official connector would skip without a word).
pub fn parse_chain(parsed: &ParsedConfig, issues: &mut IssueCollector) -> Vec<PostProcessor> {
    let value = projection(parsed, VALUE_PROJECTION_TYPE, VALUE_PROJECTION_LIST);
    let key = projection(parsed, KEY_PROJECTION_TYPE, KEY_PROJECTION_LIST);
    let mut chain = vec![PostProcessor::DocumentIdAdder];
    for class in parsed.list(POST_PROCESSOR_CHAIN) {
        let is = |name: &str| class_matches(&class, PACKAGE, name);
        let (step, needed, type_key) = if is("DocumentIdAdder") {
            continue;
        } else if is("AllowListValueProjector") || is("WhitelistValueProjector") {
            (
                PostProcessor::ValueProjector(value.clone()),
                ProjectionType::AllowList,
                VALUE_PROJECTION_TYPE,
            )
        } else if is("BlockListValueProjector") || is("BlacklistValueProjector") {
            (
                PostProcessor::ValueProjector(value.clone()),
                ProjectionType::BlockList,
                VALUE_PROJECTION_TYPE,
            )
        } else if is("AllowListKeyProjector") || is("WhitelistKeyProjector") {
            (
                PostProcessor::KeyProjector(key.clone()),
                ProjectionType::AllowList,
                KEY_PROJECTION_TYPE,
            )
        } else if is("BlockListKeyProjector") || is("BlacklistKeyProjector") {
            (
                PostProcessor::KeyProjector(key.clone()),
                ProjectionType::BlockList,
                KEY_PROJECTION_TYPE,
            )
        } else {
            issues.push(
                POST_PROCESSOR_CHAIN,
                format!(
                    "'{class}' is not a post processor this sink supports (DocumentIdAdder, AllowList/BlockList value and key projectors)"
                ),
            );
            continue;
        };
        let actual = match &step {
            PostProcessor::ValueProjector(p) | PostProcessor::KeyProjector(p) => p.ty,
            PostProcessor::DocumentIdAdder => needed,
        };
        if actual != needed {
            issues.push(
                type_key,
                format!("post processor '{class}' needs {type_key}={needed:?}"),
            );
        }
        chain.push(step);
    }
    chain
}

/// Runs the chain on a record whose value is a document.
pub fn apply(
    chain: &[PostProcessor],
    id_strategy: &IdStrategy,
    doc: &mut SinkDocument,
    record: &Record,
) -> Result<(), String> {
    for step in chain {
        match step {
            PostProcessor::DocumentIdAdder => {
                let has_id = doc.value.as_ref().is_some_and(|v| v.contains_key("_id"));
                if has_id && !id_strategy.overwrite_existing {
                    continue;
                }
                let id = id_strategy.generate(doc, record)?;
                if let Some(value) = doc.value.take() {
                    doc.value = Some(with_id_first(id, value));
                }
            }
            PostProcessor::ValueProjector(projection) => {
                if let Some(value) = doc.value.as_mut() {
                    projection.apply(value, true);
                }
            }
            PostProcessor::KeyProjector(projection) => {
                if let Some(key) = doc.key_mut() {
                    projection.apply(key, false);
                }
            }
        }
    }
    Ok(())
}

/// `value` with `_id` as its first field: a replacement whose first field started with `$`
/// would otherwise read as an update document.
pub fn with_id_first(id: mongodb::bson::Bson, value: Document) -> Document {
    let mut out = Document::new();
    out.insert("_id", id);
    for (k, v) in value {
        if k != "_id" {
            out.insert(k, v);
        }
    }
    out
}
