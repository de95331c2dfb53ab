//! Topic names of change events, as the official `DefaultTopicMapper` computes them:
//! `topic.namespace.map` first (exact `db.coll`, then `db`, then `/regex` entries in order,
//! then `*`), else `<db><sep><coll>`; the result is decorated with `topic.prefix` and
//! `topic.suffix`, all joined by `topic.separator`.

use std::fmt;

use mongodb::bson::Document;
use regex::Regex;
use serde::de::{Deserializer, MapAccess, Visitor};

/// Maps the namespace of an event to its topic.
#[derive(Debug, Clone)]
pub struct TopicMapper {
    prefix: String,
    suffix: String,
    separator: String,
    /// `db.coll` → topic.
    collections: Vec<(String, String)>,
    /// `db` → topic stem (the collection is appended).
    databases: Vec<(String, String)>,
    regexes: Vec<(Regex, String)>,
    wildcard: Option<String>,
}

impl TopicMapper {
    /// Builds the mapper; `Err` explains what is wrong with the namespace map.
    pub fn new(
        prefix: &str,
        suffix: &str,
        separator: &str,
        namespace_map: &str,
    ) -> Result<Self, String> {
        let mut mapper = TopicMapper {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
            separator: separator.to_string(),
            collections: Vec::new(),
            databases: Vec::new(),
            regexes: Vec::new(),
            wildcard: None,
        };
        if namespace_map.trim().is_empty() {
            return Ok(mapper);
        }
        let entries = ordered_entries(namespace_map)?;
        for (pattern, template) in entries {
            // Entries with an empty template take no part in the mapping, as documented.
            if template.is_empty() {
                continue;
            }
            if let Some(regex) = pattern.strip_prefix('/') {
                check_template(&template)?;
                let regex = Regex::new(&format!("^(?:{regex})$"))
                    .map_err(|e| format!("'{pattern}' is not a valid regular expression: {e}"))?;
                mapper.regexes.push((regex, template));
            } else if pattern == "*" {
                mapper.wildcard = Some(template);
            } else if pattern.contains('.') {
                mapper.collections.push((pattern, template));
            } else {
                mapper.databases.push((pattern, template));
            }
        }
        Ok(mapper)
    }

    /// The topic of a change event, from its `ns`; empty when the event names no database.
    pub fn topic(&self, event: &Document) -> String {
        let ns = event.get_document("ns").ok();
        let field = |name: &str| {
            ns.and_then(|ns| ns.get_str(name).ok())
                .unwrap_or_default()
                .to_string()
        };
        self.topic_of(&field("db"), &field("coll"))
    }

    /// The topic of a namespace; an empty `db` has none.
    pub fn topic_of(&self, db: &str, coll: &str) -> String {
        if db.is_empty() {
            return String::new();
        }
        let namespace = if coll.is_empty() {
            db.to_string()
        } else {
            format!("{db}.{coll}")
        };
        let join = |stem: &str| {
            if coll.is_empty() {
                stem.to_string()
            } else {
                format!("{stem}{}{coll}", self.separator)
            }
        };
        let topic =
            if let Some((_, topic)) = self.collections.iter().find(|(ns, _)| *ns == namespace) {
                topic.clone()
            } else if let Some((_, stem)) = self.databases.iter().find(|(name, _)| name == db) {
                join(stem)
            } else if let Some((_, template)) =
                self.regexes.iter().find(|(re, _)| re.is_match(&namespace))
            {
                self.expand(template, db, coll)
            } else if let Some(topic) = &self.wildcard {
                topic.clone()
            } else {
                join(db)
            };
        self.decorate(&topic)
    }

    fn decorate(&self, topic: &str) -> String {
        let mut parts = Vec::with_capacity(3);
        if !self.prefix.is_empty() {
            parts.push(self.prefix.as_str());
        }
        parts.push(topic);
        if !self.suffix.is_empty() {
            parts.push(self.suffix.as_str());
        }
        parts.join(&self.separator)
    }

    /// Expands `{db}`, `{sep}`, `{coll}`, `{sep_coll}`, `{coll_sep}` and `{sep_coll_sep}`.
    fn expand(&self, template: &str, db: &str, coll: &str) -> String {
        let sep = self.separator.as_str();
        let around = |before: &str, after: &str| {
            if coll.is_empty() {
                String::new()
            } else {
                format!("{before}{coll}{after}")
            }
        };
        template
            .replace("{sep_coll_sep}", &around(sep, sep))
            .replace("{sep_coll}", &around(sep, ""))
            .replace("{coll_sep}", &around("", sep))
            .replace("{db}", db)
            .replace("{coll}", coll)
            .replace("{sep}", sep)
    }
}

fn check_template(template: &str) -> Result<(), String> {
    const VARIABLES: [&str; 6] = [
        "{db}",
        "{sep}",
        "{coll}",
        "{sep_coll}",
        "{coll_sep}",
        "{sep_coll_sep}",
    ];
    let stripped = VARIABLES
        .iter()
        .fold(template.to_string(), |t, v| t.replace(v, ""));
    if stripped.contains('{') || stripped.contains('}') {
        Err(format!(
            "topic template '{template}' may use only {} between curly brackets",
            VARIABLES.join(", ")
        ))
    } else {
        Ok(())
    }
}

/// The pairs of a JSON object in document order. A repeated key keeps its first position and
/// its last value, as the official connector documents.
fn ordered_entries(text: &str) -> Result<Vec<(String, String)>, String> {
    struct Entries(Vec<(String, String)>);
    impl<'de> serde::Deserialize<'de> for Entries {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Entries;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object of namespace patterns to topic names")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                    let mut entries: Vec<(String, String)> = Vec::new();
                    while let Some((key, value)) = map.next_entry::<String, String>()? {
                        match entries.iter_mut().find(|(k, _)| *k == key) {
                            Some(slot) => slot.1 = value,
                            None => entries.push((key, value)),
                        }
                    }
                    Ok(Entries(entries))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Entries>(text)
        .map(|e| e.0)
        .map_err(|e| format!("must be a JSON object of namespace patterns to topic names: {e}"))
}

#[cfg(test)]
mod tests;
