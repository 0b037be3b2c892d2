//! The `veille` command: argument parsing and one thin handler per subcommand.

mod analyze;
mod bench_serve;
mod corpus;
mod eval;
mod models;
mod export;
mod query;
mod serve;
mod sql;
mod train;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "veille", version, about = "Turn folders of news articles into structured, queryable investment records")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read every article under DIR and store documents, entities, figures and records
    Analyze(analyze::Args),
    /// Write the stored documents (JSONL, one object per document) or records (CSV)
    Export(export::Args),
    /// Filter investment records
    Query(query::Args),
    /// Run one read-only SQL statement against the store
    Sql(sql::Args),
    /// HTTP API and browser page over the store (loopback by default)
    Serve(serve::Args),
    /// Load test of `serve` on loopback: fixed requests and concurrency, errors and p50/p99 latency
    BenchServe(bench_serve::Args),
    /// Score stored documents (or a JSONL export) against gold annotation files
    Eval(eval::Args),
    /// Fit the task heads (entities, figure roles, tone) on the annotated corpus
    Train(train::Args),
    /// Installed models: list, fetch
    Models {
        #[command(subcommand)]
        command: models::Command,
    },
    /// Encoder throughput (tokens/s, articles/s, peak memory) per precision and batch size
    Bench(models::BenchArgs),
    /// The annotated corpus
    Corpus {
        #[command(subcommand)]
        command: corpus::Command,
    },
    /// Exchange rates used by `query --in`
    Rates {
        #[command(subcommand)]
        command: query::RatesCommand,
    },
}

pub(crate) fn default_db() -> PathBuf {
    PathBuf::from("veille.db")
}

/// How a `--db` value is shown in messages: the path, or the URL with any password hidden.
pub(crate) fn db_label(db: &std::path::Path) -> String {
    crate::store::redact_url(&db.to_string_lossy())
}

pub fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(a) => analyze::run(a),
        Command::Export(a) => export::run(a),
        Command::Query(a) => query::run(a),
        Command::Sql(a) => sql::run(a),
        Command::Serve(a) => serve::run(a),
        Command::BenchServe(a) => bench_serve::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a),
        Command::Models { command } => models::run(command),
        Command::Bench(a) => models::bench(a),
        Command::Corpus { command } => corpus::run(command),
        Command::Rates { command } => query::rates(command),
    }
}
