//! `sluice-bench`: end-to-end throughput of Sluice pipelines against bare rdkafka loops doing the
//! same work, on the same broker, in the same invocation. Each side runs as a child process,
//! timed from its start until the destination holds every record, and measured for peak RSS.
//!
//! ```sh
//! sluice-bench datagen-file      --records 200000   # datagen → Kafka → file
//! sluice-bench kafka-passthrough --records 200000   # topic → InsertField + RegexRouter → topic
//! sluice-bench postgres-sink     --records 1000000  # topic → PostgreSQL upserts, against raw COPY
//! sluice-bench postgres-source   --records 1000000  # table → topic (incrementing), against raw COPY TO
//! sluice-bench elasticsearch-sink --records 50000   # topic → index, against a raw bulk loader
//! sluice-bench mongodb-sink --records 200000        # topic → collection, against raw replace-upserts
//! sluice-bench postgres-cdc --records 1000000       # WAL → topic, against pg_recvlogical → rdkafka
//! sluice-bench postgres-cdc --rows-per-tx 1000      # the same with 1 000-row transactions
//! sluice-bench postgres-cdc --no-schemas            # JSON payloads without their schemas
//! ```

mod common;
mod datagen_file;
mod elasticsearch;
mod mongodb;
mod passthrough;
mod postgres;
mod postgres_cdc;
mod postgres_source;
mod raw;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use common::{BenchResult, RunResult, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "sluice-bench",
    about = "End-to-end Sluice pipelines against raw rdkafka baselines"
)]
struct Cli {
    #[command(subcommand)]
    command: Pipeline,
}

#[derive(Subcommand, Debug)]
enum Pipeline {
    /// Sluice standalone datagen → Kafka → file-sink, against a raw producer → consumer → file loop.
    DatagenFile(Common),
    /// Sluice kafka-sink (JsonConverter, InsertField$Value, RegexRouter) copying a pre-filled
    /// topic to a new one, against a raw consume → produce loop.
    KafkaPassthrough(Common),
    /// Sluice postgres-sink upserting a pre-filled topic of schema'd JSON rows, against a raw
    /// COPY of the same rows.
    PostgresSink(Common),
    /// Sluice postgres-source (incrementing) reading a filled table into a topic, against a raw
    /// COPY TO STDOUT whose lines rdkafka produces.
    PostgresSource(Common),
    /// Sluice postgres-cdc-source capturing inserts already in the WAL (one row per transaction
    /// unless --rows-per-tx), against pg_recvlogical (test_decoding) lines rdkafka produces.
    PostgresCdc {
        #[command(flatten)]
        common: Common,
        /// Rows per inserting transaction.
        #[arg(long, default_value_t = 1)]
        rows_per_tx: u64,
        /// JsonConverter without schemas (`schemas.enable=false`): bare Debezium payloads.
        #[arg(long)]
        no_schemas: bool,
    },
    /// Sluice elasticsearch-sink indexing a pre-filled topic of keyed JSON documents, against a
    /// raw bulk loader sending the same documents ($ELASTICSEARCH_URL, default 50 000 records).
    ElasticsearchSink(Common),
    /// Sluice mongodb-sink writing a pre-filled topic of JSON documents as ReplaceOne upserts,
    /// against a raw loader sending the same upserts with the Rust driver ($MONGODB_URI,
    /// default 200 000 records).
    MongodbSink(Common),
    /// Raw baseline of mongodb-sink (run by the bench itself).
    #[command(hide = true)]
    RawMongo {
        #[arg(long)]
        uri: String,
        #[arg(long)]
        database: String,
        #[arg(long)]
        collection: String,
        #[arg(long)]
        records: u64,
    },
    /// Raw baseline of elasticsearch-sink (run by the bench itself).
    #[command(hide = true)]
    RawBulk {
        #[arg(long)]
        url: String,
        #[arg(long)]
        index: String,
        #[arg(long)]
        records: u64,
    },
    /// Raw baseline of postgres-cdc (run by the bench itself).
    #[command(hide = true)]
    RawRecvlogical {
        #[arg(long)]
        database: String,
        #[arg(long)]
        slot: String,
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        records: u64,
    },
    /// Raw baseline of postgres-source (run by the bench itself).
    #[command(hide = true)]
    RawCopyOut {
        #[arg(long)]
        database: String,
        #[arg(long)]
        table: String,
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
    },
    /// Raw baseline of postgres-sink (run by the bench itself).
    #[command(hide = true)]
    RawCopy {
        #[arg(long)]
        database: String,
        #[arg(long)]
        table: String,
        #[arg(long)]
        records: u64,
        #[arg(long)]
        done: PathBuf,
    },
    /// Raw baseline of datagen-file (run by the bench itself).
    #[command(hide = true)]
    RawDatagenFile {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        sample: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        records: u64,
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Raw baseline of kafka-passthrough (run by the bench itself).
    #[command(hide = true)]
    RawPassthrough {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        source: String,
        #[arg(long)]
        dest: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        records: u64,
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
}

#[derive(Args, Debug)]
struct Common {
    /// Records to move (default 200 000; 50 000 for elasticsearch-sink, as the test server
    /// indexes a few thousand documents a second).
    #[arg(long)]
    records: Option<u64>,
    /// Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092).
    #[arg(long)]
    bootstrap: Option<String>,
    /// The sluice binary to measure.
    #[arg(long, default_value = "target/release/sluice")]
    sluice: PathBuf,
    /// Partitions of every topic the bench creates.
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    /// Give up on a run after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// Keep the run directory (configs, logs, output files) instead of deleting it.
    #[arg(long)]
    keep: bool,
}

impl Common {
    fn settings(&self, default_records: u64) -> BenchResult<Settings> {
        let records = self.records.unwrap_or(default_records);
        if records == 0 {
            return Err("--records must be at least 1".into());
        }
        if !self.sluice.is_file() {
            return Err(format!(
                "no sluice binary at {}; build it with `cargo build --release -p sluice-runtime --bin sluice` \
                 or pass --sluice PATH",
                self.sluice.display()
            ));
        }
        let sluice = std::fs::canonicalize(&self.sluice)
            .map_err(|e| format!("{}: {e}", self.sluice.display()))?;
        let bootstrap = self
            .bootstrap
            .clone()
            .or_else(|| std::env::var("KAFKA_BOOTSTRAP_SERVERS").ok())
            .unwrap_or_else(|| "127.0.0.1:9092".to_string());
        Ok(Settings {
            records,
            bootstrap,
            sluice,
            partitions: self.partitions.max(1),
            timeout: Duration::from_secs(self.timeout_secs),
            keep: self.keep,
        })
    }
}

type PipelineFn<'a> =
    &'a dyn Fn(&Settings, &std::path::Path) -> BenchResult<(RunResult, RunResult)>;

/// Records of a run when `--records` is not given.
const DEFAULT_RECORDS: u64 = 200_000;

fn run_pipeline(
    common: &Common,
    default_records: u64,
    pipeline: PipelineFn<'_>,
) -> BenchResult<()> {
    let settings = common.settings(default_records)?;
    let dir = tempfile::Builder::new()
        .prefix("sluice-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a run directory: {e}"))?;
    eprintln!(
        "run directory {} (broker {})",
        dir.path().display(),
        settings.bootstrap
    );
    let result = pipeline(&settings, dir.path());
    if settings.keep || result.is_err() {
        let kept = dir.keep();
        eprintln!("kept the run directory {}", kept.display());
    }
    let (sluice, raw) = result?;
    common::report(&sluice, &raw);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Pipeline::DatagenFile(common) => run_pipeline(common, DEFAULT_RECORDS, &datagen_file::run),
        Pipeline::KafkaPassthrough(common) => {
            run_pipeline(common, DEFAULT_RECORDS, &passthrough::run)
        }
        Pipeline::PostgresSink(common) => run_pipeline(common, DEFAULT_RECORDS, &postgres::run),
        Pipeline::PostgresSource(common) => {
            run_pipeline(common, DEFAULT_RECORDS, &postgres_source::run)
        }
        Pipeline::PostgresCdc {
            common,
            rows_per_tx,
            no_schemas,
        } => run_pipeline(common, DEFAULT_RECORDS, &|settings, dir| {
            postgres_cdc::run(settings, dir, (*rows_per_tx).max(1), !*no_schemas)
        }),
        Pipeline::ElasticsearchSink(common) => run_pipeline(common, 50_000, &elasticsearch::run),
        Pipeline::MongodbSink(common) => run_pipeline(common, 200_000, &mongodb::run),
        Pipeline::RawRecvlogical {
            database,
            slot,
            bootstrap,
            topic,
            records,
        } => postgres_cdc::raw_recvlogical(database, slot, bootstrap, topic, *records),
        Pipeline::RawMongo {
            uri,
            database,
            collection,
            records,
        } => mongodb::raw_mongo(uri, database, collection, *records),
        Pipeline::RawBulk {
            url,
            index,
            records,
        } => elasticsearch::raw_bulk(url, index, *records),
        Pipeline::RawCopyOut {
            database,
            table,
            bootstrap,
            topic,
        } => postgres_source::raw_copy_out(database, table, bootstrap, topic),
        Pipeline::RawCopy {
            database,
            table,
            records,
            done,
        } => postgres::raw_copy(database, table, *records, done),
        Pipeline::RawDatagenFile {
            bootstrap,
            topic,
            group,
            sample,
            out,
            records,
            timeout_secs,
        } => raw::datagen_file(
            bootstrap,
            topic,
            group,
            sample,
            out,
            *records,
            Duration::from_secs(*timeout_secs),
        ),
        Pipeline::RawPassthrough {
            bootstrap,
            source,
            dest,
            group,
            records,
            timeout_secs,
        } => raw::passthrough(
            bootstrap,
            source,
            dest,
            group,
            *records,
            Duration::from_secs(*timeout_secs),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sluice-bench: error: {message}");
            ExitCode::FAILURE
        }
    }
}
