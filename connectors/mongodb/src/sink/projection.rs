//! Allow-list and block-list projections of documents by field paths, as the official
//! connector's partial id strategies and projector post processors apply them: dot paths reach
//! into nested documents and into the documents of arrays, `*` matches any field at its level
//! and `**` matches a field and everything below it.

use mongodb::bson::{Bson, Document};

/// What a projection does with the listed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionType {
    None,
    AllowList,
    BlockList,
}

impl ProjectionType {
    /// Parses the official values, legacy `whitelist`/`blacklist` included; anything else is `None`
    /// (the config definition rejects unknown values before this runs).
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "allowlist" | "whitelist" => ProjectionType::AllowList,
            "blocklist" | "blacklist" => ProjectionType::BlockList,
            _ => ProjectionType::None,
        }
    }
}

/// A projection: its type and field paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub ty: ProjectionType,
    paths: Vec<Vec<String>>,
}

impl Projection {
    pub fn new(ty: ProjectionType, fields: Vec<String>) -> Self {
        let paths = fields
            .iter()
            .map(|f| f.split('.').map(str::to_string).collect())
            .collect();
        Projection { ty, paths }
    }

    /// Projects `doc` in place. `keep_id` keeps a top-level `_id` through an allow list, as the
    /// value projectors do, so that the id strategy's work survives the projection.
    pub fn apply(&self, doc: &mut Document, keep_id: bool) {
        let paths: Vec<&[String]> = self.paths.iter().map(Vec::as_slice).collect();
        match self.ty {
            ProjectionType::None => {}
            ProjectionType::AllowList => allow(doc, &paths, keep_id),
            ProjectionType::BlockList => block(doc, &paths),
        }
    }
}

fn matches(segment: &str, field: &str) -> bool {
    segment == field || segment == "*" || segment == "**"
}

/// The remainders of the paths whose first segment matches `field`; `None` in the result means
/// a path ends at this field (or is `**`), which covers the whole field.
fn below<'a>(paths: &[&'a [String]], field: &str) -> (bool, Vec<&'a [String]>) {
    let mut whole = false;
    let mut rest = Vec::new();
    for path in paths {
        let Some((first, tail)) = path.split_first() else {
            continue;
        };
        if !matches(first, field) {
            continue;
        }
        if tail.is_empty() || first == "**" {
            whole = true;
        } else {
            rest.push(tail);
        }
    }
    (whole, rest)
}

fn allow(doc: &mut Document, paths: &[&[String]], keep_id: bool) {
    let keys: Vec<String> = doc.keys().cloned().collect();
    for key in keys {
        if keep_id && key == "_id" {
            continue;
        }
        let (whole, rest) = below(paths, &key);
        if whole {
            continue;
        }
        if rest.is_empty() {
            doc.remove(&key);
            continue;
        }
        match doc.get_mut(&key) {
            Some(Bson::Document(inner)) => allow(inner, &rest, false),
            Some(Bson::Array(items)) => {
                for item in items.iter_mut() {
                    if let Bson::Document(inner) = item {
                        allow(inner, &rest, false);
                    }
                }
            }
            // A path into a scalar selects nothing of it.
            _ => {
                doc.remove(&key);
            }
        }
    }
}

fn block(doc: &mut Document, paths: &[&[String]]) {
    let keys: Vec<String> = doc.keys().cloned().collect();
    for key in keys {
        let (whole, rest) = below(paths, &key);
        if whole {
            doc.remove(&key);
            continue;
        }
        if rest.is_empty() {
            continue;
        }
        match doc.get_mut(&key) {
            Some(Bson::Document(inner)) => block(inner, &rest),
            Some(Bson::Array(items)) => {
                for item in items.iter_mut() {
                    if let Bson::Document(inner) = item {
                        block(inner, &rest);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn project(ty: ProjectionType, fields: &[&str], mut d: Document) -> Document {
        Projection::new(ty, fields.iter().map(|f| f.to_string()).collect()).apply(&mut d, true);
        d
    }

    fn sample() -> Document {
        doc! {"_id": 1, "name": "a", "address": {"city": "x", "zip": "1"}, "tags": [{"k": 1, "v": 2}], "n": 3}
    }

    #[test]
    fn allow_list_keeps_listed_paths_and_the_id() {
        let out = project(
            ProjectionType::AllowList,
            &["name", "address.city", "tags.k"],
            sample(),
        );
        assert_eq!(
            out,
            doc! {"_id": 1, "name": "a", "address": {"city": "x"}, "tags": [{"k": 1}]}
        );
        let out = project(ProjectionType::AllowList, &["address.*"], sample());
        assert_eq!(out, doc! {"_id": 1, "address": {"city": "x", "zip": "1"}});
        let out = project(ProjectionType::AllowList, &["**"], sample());
        assert_eq!(out, sample());
    }

    #[test]
    fn block_list_drops_listed_paths() {
        let out = project(
            ProjectionType::BlockList,
            &["address.zip", "tags.v", "n"],
            sample(),
        );
        assert_eq!(
            out,
            doc! {"_id": 1, "name": "a", "address": {"city": "x"}, "tags": [{"k": 1}]}
        );
        let out = project(ProjectionType::BlockList, &["*"], sample());
        assert!(out.is_empty());
    }

    #[test]
    fn types_parse_with_legacy_names() {
        assert_eq!(
            ProjectionType::parse("WhiteList"),
            ProjectionType::AllowList
        );
        assert_eq!(
            ProjectionType::parse("blacklist"),
            ProjectionType::BlockList
        );
        assert_eq!(ProjectionType::parse(""), ProjectionType::None);
    }
}
