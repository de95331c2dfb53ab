//! SQL identifiers: quoting, and table names as `schema.table` or `table`.

use std::fmt;

/// A table, optionally qualified by its schema. A database part (`db.schema.table`, as a
/// Debezium topic `server.schema.table` yields) is dropped: PostgreSQL connects to one database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub schema: Option<String>,
    pub table: String,
}

impl TableId {
    /// Parses `table`, `schema.table` or `database.schema.table`.
    pub fn parse(name: &str) -> Result<TableId, String> {
        let parts: Vec<&str> = name.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "'{name}' is not a table name (empty part between dots)"
            ));
        }
        match parts.as_slice() {
            [table] => Ok(TableId {
                schema: None,
                table: table.to_string(),
            }),
            [schema, table] | [_, schema, table] => Ok(TableId {
                schema: Some(schema.to_string()),
                table: table.to_string(),
            }),
            _ => Err(format!(
                "'{name}' has too many parts; expected table, schema.table or database.schema.table"
            )),
        }
    }

    /// The quoted, qualified name for SQL text.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&self.table)),
            None => quote(&self.table),
        }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.table),
            None => f.write_str(&self.table),
        }
    }
}

/// A double-quoted identifier, so names keep their case and may hold any character.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualified_names() {
        assert_eq!(TableId::parse("orders").unwrap().quoted(), "\"orders\"");
        assert_eq!(
            TableId::parse("sales.orders").unwrap().quoted(),
            "\"sales\".\"orders\""
        );
        assert_eq!(
            TableId::parse("server1.public.Orders").unwrap().quoted(),
            "\"public\".\"Orders\""
        );
        assert!(TableId::parse("a..b").is_err());
        assert!(TableId::parse("a.b.c.d").is_err());
    }

    #[test]
    fn quotes_embedded_quotes() {
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
    }
}
