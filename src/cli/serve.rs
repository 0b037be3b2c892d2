use std::path::PathBuf;

use anyhow::{Context, Result};

use super::analyze::{load_reader, ModelArgs};
use crate::serve::{self, AppState};

#[derive(clap::Args)]
pub struct Args {
    /// SQLite store to serve (it must exist: `veille analyze DIR --db F` makes it)
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Address to listen on; loopback unless told otherwise
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Largest request body accepted, in bytes
    #[arg(long, default_value_t = serve::DEFAULT_BODY_LIMIT)]
    max_body: usize,
    #[command(flatten)]
    model: ModelArgs,
}

/// Threads for the async runtime and read-only store connections: the cores, within reason.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 8)
}

pub fn run(a: Args) -> Result<()> {
    // Loaded once here; every /api/analyze request shares it.
    let reader = load_reader(&a.model)?;
    let workers = default_workers();
    let state = AppState::open(&a.db, reader, workers)
        .with_context(|| format!("cannot serve {}", a.db.display()))?
        .with_body_limit(a.max_body);
    let model = if state.has_model() { "model loaded" } else { "grammar only (--no-model)" };
    serve::run_until_signal(state, &a.addr, workers, |addr| {
        eprintln!("veille serve: http://{addr}/  (store {}, {model}; Ctrl-C stops)", a.db.display());
    })?;
    Ok(())
}
