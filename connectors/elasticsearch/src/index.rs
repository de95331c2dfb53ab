//! Where a topic's documents go: an explicit index, the topic's own name made into a valid
//! index name, or a data stream `{type}-{dataset}-{namespace}`.

use std::collections::BTreeMap;

/// Longest index name Elasticsearch accepts, in bytes.
const MAX_INDEX_BYTES: usize = 255;
/// Longest topic part of a data stream name, so that type and dataset still fit.
const MAX_NAMESPACE_CHARS: usize = 100;
/// Characters Elasticsearch and OpenSearch refuse in index names.
const INVALID: &[char] = &['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'];

/// The kind of data stream documents are written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStreamType {
    Logs,
    Metrics,
}

impl DataStreamType {
    fn prefix(self) -> &'static str {
        match self {
            DataStreamType::Logs => "logs",
            DataStreamType::Metrics => "metrics",
        }
    }
}

/// Data stream naming settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStream {
    pub ty: DataStreamType,
    pub dataset: String,
    /// May hold `${topic}`.
    pub namespace: String,
}

/// The index (or data stream) a record of `topic` is written to.
pub fn resource_name(
    topic: &str,
    explicit: &BTreeMap<String, String>,
    data_stream: Option<&DataStream>,
) -> String {
    if let Some(stream) = data_stream {
        let topic_part: String = sanitise(topic).chars().take(MAX_NAMESPACE_CHARS).collect();
        let namespace = stream.namespace.replace("${topic}", &topic_part);
        return format!("{}-{}-{}", stream.ty.prefix(), stream.dataset, namespace);
    }
    match explicit.get(topic) {
        Some(index) => index.clone(),
        None => sanitise(topic),
    }
}

/// A topic name made into a valid index name as Confluent's connector does (lowercased, cut to
/// 255 bytes, no leading `-` or `_`, `.` and `..` spelt `dot`), and further: characters indexes
/// refuse become `_` (topics renamed by a transform may carry any), and every leading `-`, `_`
/// or `+` goes, since one left behind would still be refused.
pub fn sanitise(topic: &str) -> String {
    let lowered: String = topic
        .to_lowercase()
        .chars()
        .map(|c| if INVALID.contains(&c) { '_' } else { c })
        .collect();
    let trimmed = lowered.trim_start_matches(['-', '_', '+']);
    let mut name = String::with_capacity(trimmed.len().min(MAX_INDEX_BYTES));
    for c in trimmed.chars() {
        if name.len() + c.len_utf8() > MAX_INDEX_BYTES {
            break;
        }
        name.push(c);
    }
    match name.as_str() {
        "." => "dot".to_string(),
        ".." => "dotdot".to_string(),
        "" => "empty".to_string(),
        _ => name,
    }
}

/// Why `name` cannot be an index name, if it cannot.
pub fn check_index_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_string());
    }
    if name.len() > MAX_INDEX_BYTES {
        return Err(format!("longer than {MAX_INDEX_BYTES} bytes"));
    }
    if name != name.to_lowercase() {
        return Err("must be lowercase".to_string());
    }
    if let Some(c) = name.chars().find(|c| INVALID.contains(c)) {
        return Err(format!("must not contain '{c}'"));
    }
    if name.starts_with(['-', '_', '+']) {
        return Err("must not start with '-', '_' or '+'".to_string());
    }
    if name == "." || name == ".." {
        return Err("must not be '.' or '..'".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_become_valid_index_names() {
        assert_eq!(sanitise("Orders"), "orders");
        assert_eq!(sanitise("_private"), "private");
        assert_eq!(sanitise("-x"), "x");
        assert_eq!(sanitise("__-x"), "x");
        assert_eq!(sanitise("."), "dot");
        assert_eq!(sanitise(".."), "dotdot");
        assert_eq!(sanitise("a.b-c_d"), "a.b-c_d");
        assert_eq!(sanitise("routed/by:smt*"), "routed_by_smt_");
        assert_eq!(sanitise(&"x".repeat(300)).len(), 255);
        // Cut on a character boundary, never inside one.
        let long = "é".repeat(200);
        assert!(sanitise(&long).len() <= 255 && sanitise(&long).chars().all(|c| c == 'é'));
        for topic in ["Orders", "_private", "..", "routed/by:smt*"] {
            assert_eq!(check_index_name(&sanitise(topic)), Ok(()), "{topic}");
        }
    }

    #[test]
    fn explicit_map_wins_over_the_topic_name() {
        let map = BTreeMap::from([("Orders".to_string(), "shop".to_string())]);
        assert_eq!(resource_name("Orders", &map, None), "shop");
        assert_eq!(resource_name("Other", &map, None), "other");
    }

    #[test]
    fn data_stream_names() {
        let stream = DataStream {
            ty: DataStreamType::Logs,
            dataset: "app".into(),
            namespace: "${topic}".into(),
        };
        assert_eq!(
            resource_name("Web", &BTreeMap::new(), Some(&stream)),
            "logs-app-web"
        );
        let long = "t".repeat(150);
        assert_eq!(
            resource_name(&long, &BTreeMap::new(), Some(&stream)),
            format!("logs-app-{}", "t".repeat(100))
        );
    }

    #[test]
    fn invalid_explicit_names_are_explained() {
        assert!(check_index_name("Upper").is_err());
        assert!(check_index_name("a*b").is_err());
        assert!(check_index_name("_x").is_err());
        assert_eq!(check_index_name("ok-index.1"), Ok(()));
    }
}
