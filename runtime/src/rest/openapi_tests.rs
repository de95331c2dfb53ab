//! Keeps `docs/openapi.yaml` and the route table in step: every route documented, nothing
//! documented that is not served.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

use super::routes::table;

const DOCUMENT: &str = include_str!("../../../docs/openapi.yaml");
const OPERATIONS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Yaml {
    let mut docs = YamlLoader::load_from_str(DOCUMENT).expect("docs/openapi.yaml is valid YAML");
    assert_eq!(docs.len(), 1, "docs/openapi.yaml holds one document");
    docs.remove(0)
}

/// `(method, path)` of every operation the document describes.
fn documented(doc: &Yaml) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_hash().expect("a paths: map");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().expect("paths are strings");
        let item = item.as_hash().expect("every path item is a map");
        for key in item.keys().filter_map(Yaml::as_str) {
            if OPERATIONS.contains(&key) {
                operations.insert((key.to_string(), path.to_string()));
            }
        }
    }
    operations
}

#[test]
fn openapi_documents_exactly_the_route_table() {
    let doc = document();
    let documented = documented(&doc);
    let served: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.verb.name().to_string(), r.path.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "docs/openapi.yaml is out of step with rest/routes.rs:\n  served but not documented: \
         {undocumented:?}\n  documented but not served: {unserved:?}"
    );
    assert_eq!(
        doc["info"]["version"].as_str(),
        Some(env!("CARGO_PKG_VERSION")),
        "info.version of docs/openapi.yaml"
    );
}

#[test]
fn every_schema_reference_resolves() {
    let doc = document();
    let mut missing = BTreeSet::new();
    let mut stack = vec![&doc];
    while let Some(node) = stack.pop() {
        match node {
            Yaml::Hash(map) => {
                for (key, value) in map {
                    if key.as_str() == Some("$ref")
                        && let Some(target) = value.as_str()
                        && !resolves(&doc, target)
                    {
                        missing.insert(target.to_string());
                    }
                    stack.push(value);
                }
            }
            Yaml::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(missing.is_empty(), "unresolved $ref: {missing:?}");
}

/// Whether a local reference (`#/components/schemas/X`) names a node of the document.
fn resolves(doc: &Yaml, target: &str) -> bool {
    let Some(pointer) = target.strip_prefix("#/") else {
        return false;
    };
    let mut node = doc;
    for part in pointer.split('/') {
        node = &node[part];
        if node.is_badvalue() {
            return false;
        }
    }
    true
}
