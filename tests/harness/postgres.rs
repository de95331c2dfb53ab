//! PostgreSQL helpers for integration tests: the server under test and plain SQL on it.

use std::time::Duration;

/// The database under test (`DATABASE_URL`, default the local PostgreSQL's `test` database).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// The same database as a JDBC URL, as Confluent connector configs carry it.
pub fn jdbc_url() -> String {
    let url = database_url();
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .expect("DATABASE_URL is a postgres:// URL");
    let (user, location) = rest.split_once('@').unwrap_or(("postgres", rest));
    format!("jdbc:postgresql://{location}?user={user}")
}

/// Runs `sql` (one or more statements) and returns the rows of the last one, every value as
/// text (`None` for NULL).
pub fn sql(sql: &str) -> Vec<Vec<Option<String>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&database_url(), tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        tokio::spawn(connection);
        let messages = tokio::time::timeout(Duration::from_secs(60), client.simple_query(sql))
            .await
            .expect("statement finished in time")
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut rows = Vec::new();
        for message in messages {
            if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
                rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(String::from))
                        .collect(),
                );
            }
        }
        rows
    })
}

/// The single value of a one-row, one-column query.
pub fn scalar(query: &str) -> Option<String> {
    sql(query)
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next())
        .flatten()
}

/// A count query's result.
pub fn count(query: &str) -> i64 {
    scalar(query)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{query} returned no count"))
}

/// Turns on `wal_level = logical` (which change data capture needs) on the local PostgreSQL if
/// it is not on yet: ALTER SYSTEM, a restart of the cluster, and a wait until it answers again.
/// The setting stays on. Runs at most once per test process.
pub fn ensure_logical_wal() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        if scalar("SHOW wal_level").as_deref() == Some("logical") {
            return;
        }
        sql("ALTER SYSTEM SET wal_level = logical");
        let version = std::fs::read_dir("/etc/postgresql")
            .expect("a Debian PostgreSQL cluster under /etc/postgresql")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .next()
            .expect("a PostgreSQL version directory");
        let status = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "restart"])
            .status()
            .expect("run pg_ctlcluster");
        assert!(status.success(), "pg_ctlcluster restart failed: {status}");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if try_scalar("SHOW wal_level").as_deref() == Some("logical") {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "PostgreSQL did not come back with wal_level=logical"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

/// Like [`scalar`], but `None` while the server does not answer.
fn try_scalar(query: &str) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&database_url(), tokio_postgres::NoTls)
            .await
            .ok()?;
        tokio::spawn(connection);
        let messages = client.simple_query(query).await.ok()?;
        messages.into_iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(String::from),
            _ => None,
        })
    })
}
