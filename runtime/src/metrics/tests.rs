use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::*;

fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(series))
}

#[track_caller]
fn assert_series(text: &str, series: &str, value: &str) {
    let found = line(text, &format!("{series} "))
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"));
    assert_eq!(found, format!("{series} {value}"), "in:\n{text}");
}

#[test]
fn counters_render_with_kafka_connect_names_and_labels() {
    let metrics = Metrics::new();
    metrics.connector_started("c", true);
    metrics.connector_started("d", false);
    metrics.task_started(true);
    metrics.task_started(true);
    metrics.task_started(false);
    metrics.task_stopped();
    let task = metrics.task("c", 0);
    task.source_polled(3);
    task.source_written(2);
    task.poll_batch(Duration::from_millis(3));
    task.sink_read(5);
    task.sink_sent(4);
    task.put_batch(Duration::from_millis(1));
    task.partition_lag("t", 0, 7);
    task.offset_commit(true, Duration::from_millis(2));
    task.offset_commit(false, Duration::from_millis(2));
    task.record_failure();
    task.record_failure();
    task.record_error();
    task.record_skipped();
    task.retry();
    task.error_logged();
    task.dlq_produce(true);
    task.dlq_produce(false);
    task.last_error_now();
    task.transform_time("tag", Duration::from_micros(3));
    task.transform_time("tag", Duration::from_micros(4));
    task.set_status("RUNNING");

    let text = metrics.render();
    let c0 = r#"{connector="c",task="0"}"#;
    for (name, value) in [
        (
            "kafka_connect_source_task_metrics_source_record_poll_total",
            "3",
        ),
        (
            "kafka_connect_source_task_metrics_source_record_write_total",
            "2",
        ),
        (
            "kafka_connect_source_task_metrics_poll_batch_time_seconds_count",
            "1",
        ),
        (
            "kafka_connect_sink_task_metrics_sink_record_read_total",
            "5",
        ),
        (
            "kafka_connect_sink_task_metrics_sink_record_send_total",
            "4",
        ),
        (
            "kafka_connect_sink_task_metrics_put_batch_time_seconds_count",
            "1",
        ),
        ("kafka_connect_sink_task_metrics_sink_record_lag_max", "7"),
        (
            "kafka_connect_connector_task_metrics_offset_commit_success_total",
            "1",
        ),
        (
            "kafka_connect_connector_task_metrics_offset_commit_failure_total",
            "1",
        ),
        (
            "kafka_connect_connector_task_metrics_offset_commit_time_seconds_count",
            "1",
        ),
        (
            "kafka_connect_task_error_metrics_total_record_failures",
            "2",
        ),
        ("kafka_connect_task_error_metrics_total_record_errors", "1"),
        (
            "kafka_connect_task_error_metrics_total_records_skipped",
            "1",
        ),
        ("kafka_connect_task_error_metrics_total_retries", "1"),
        ("kafka_connect_task_error_metrics_total_errors_logged", "1"),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
            "2",
        ),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_failures",
            "1",
        ),
    ] {
        assert_series(&text, &format!("{name}{c0}"), value);
    }
    for (name, value) in [
        ("kafka_connect_worker_metrics_connector_count", "1"),
        (
            "kafka_connect_worker_metrics_connector_startup_attempts_total",
            "2",
        ),
        (
            "kafka_connect_worker_metrics_connector_startup_success_total",
            "1",
        ),
        (
            "kafka_connect_worker_metrics_connector_startup_failure_total",
            "1",
        ),
        ("kafka_connect_worker_metrics_task_count", "1"),
        (
            "kafka_connect_worker_metrics_task_startup_attempts_total",
            "3",
        ),
        (
            "kafka_connect_worker_metrics_task_startup_success_total",
            "2",
        ),
        (
            "kafka_connect_worker_metrics_task_startup_failure_total",
            "1",
        ),
        (
            r#"kafka_connect_connector_metrics_status{connector="c",status="running"}"#,
            "1",
        ),
        (
            r#"kafka_connect_connector_metrics_status{connector="d",status="failed"}"#,
            "1",
        ),
        (
            r#"kafka_connect_connector_task_metrics_status{connector="c",status="running",task="0"}"#,
            "1",
        ),
        (
            r#"kafka_connect_connector_task_metrics_status{connector="c",status="unassigned",task="0"}"#,
            "0",
        ),
        (
            r#"kafka_connect_connector_task_metrics_transform_time_seconds_count{connector="c",task="0",transform="tag"}"#,
            "2",
        ),
    ] {
        assert_series(&text, name, value);
    }
    let last_error = line(
        &text,
        &format!("kafka_connect_task_error_metrics_last_error_timestamp{c0} "),
    )
    .expect("last error timestamp");
    let millis: i64 = last_error.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(millis > 1_600_000_000_000, "{last_error}");
    assert!(
        text.contains("# TYPE kafka_connect_source_task_metrics_source_record_poll_total counter")
    );
    let rss = line(&text, "process_resident_memory_bytes ").expect("process RSS");
    let rss: f64 = rss.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(rss > 0.0);
}

#[test]
fn status_is_one_for_the_current_state_only() {
    let metrics = Metrics::new();
    let task = metrics.task("c", 1);
    task.set_status("RUNNING");
    task.set_status("FAILED");
    let text = metrics.render();
    let series = |state: &str| {
        format!(
            r#"kafka_connect_connector_task_metrics_status{{connector="c",status="{state}",task="1"}}"#
        )
    };
    assert_series(&text, &series("failed"), "1");
    assert_series(&text, &series("running"), "0");
    assert_series(&text, &series("unassigned"), "0");
}

#[test]
fn lag_max_follows_the_furthest_partition() {
    let metrics = Metrics::new();
    let task = metrics.task("s", 0);
    let lag = || metrics.summary().lag;
    task.partition_lag("a", 0, 10);
    task.partition_lag("a", 1, 4);
    task.partition_lag("b", 0, 6);
    assert_eq!(lag(), 10);
    task.partition_lag("a", 0, 2);
    assert_eq!(lag(), 6);
    task.partition_lag("b", 0, 0);
    assert_eq!(lag(), 4);
    task.partition_lag("a", 1, 12);
    assert_eq!(lag(), 12);
}

#[test]
fn summary_adds_up_every_task_and_a_task_keeps_its_handles() {
    let metrics = Metrics::new();
    let source = metrics.task("src", 0);
    source.source_polled(10);
    source.source_written(8);
    source.record_error();
    let sink = metrics.task("snk", 0);
    sink.sink_read(7);
    sink.sink_sent(6);
    sink.record_skipped();
    sink.partition_lag("t", 0, 3);
    let other_sink = metrics.task("snk", 1);
    other_sink.partition_lag("t", 1, 5);
    // Asking again (e.g. after a restart) continues the same series.
    metrics.task("src", 0).source_polled(1);
    assert_eq!(
        metrics.summary(),
        ProgressSummary {
            records_in: 18,
            records_out: 14,
            errors: 1,
            skipped: 1,
            lag: 5,
        }
    );
}

#[test]
fn listeners_parse_like_kafka_connect_listeners() {
    let ok = |s: &str| parse_listener(s).unwrap();
    assert_eq!(ok("http://0.0.0.0:9464"), ("0.0.0.0".into(), 9464));
    assert_eq!(ok("HTTP://localhost:0/"), ("localhost".into(), 0));
    assert_eq!(ok("http://:9464"), ("0.0.0.0".into(), 9464));
    assert_eq!(ok("http://[::1]:9464"), ("::1".into(), 9464));
    assert_eq!(ok("127.0.0.1:80"), ("127.0.0.1".into(), 80));
    for bad in [
        "https://0.0.0.0:9464",
        "http://0.0.0.0",
        "http://0.0.0.0:99999",
        "http://h:1/metrics",
        "http://::1:9464",
    ] {
        assert!(parse_listener(bad).is_err(), "{bad} accepted");
    }
}

/// One raw HTTP/1.1 request over a real TCP connection; the whole response as text.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    response
}

#[tokio::test]
async fn serves_metrics_on_an_ephemeral_port_until_cancelled() {
    let metrics = Metrics::new();
    metrics.task("c", 0).source_polled(42);
    let cancel = CancellationToken::new();
    let server = serve(metrics.clone(), "http://127.0.0.1:0", cancel.clone())
        .await
        .expect("serve");
    let addr = server.addr();
    assert_ne!(addr.port(), 0);

    let response = http_get(addr, "/metrics").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{response}"
    );
    assert!(
        response.contains(
            r#"kafka_connect_source_task_metrics_source_record_poll_total{connector="c",task="0"} 42"#
        ),
        "{response}"
    );
    let missing = http_get(addr, "/nope").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), server.stopped())
        .await
        .expect("server stops on cancel");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn a_port_in_use_is_an_error_naming_the_listener() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let listener = format!("http://{}", taken.local_addr().unwrap());
    let err = serve(Metrics::new(), &listener, CancellationToken::new())
        .await
        .err()
        .expect("second bind fails");
    assert!(
        err.starts_with(&format!("cannot serve metrics on {listener}: ")),
        "{err}"
    );
    let err = serve(Metrics::new(), "https://x:1", CancellationToken::new())
        .await
        .err()
        .expect("https refused");
    assert!(err.contains("metrics.listener"), "{err}");
}
