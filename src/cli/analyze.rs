use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::ingest::{self, Failure, Limits};
use crate::pipeline;
use crate::store::{NewDocument, Store};
use crate::stream::{self, Outcome, StreamOptions};

/// Padded tokens per encoder batch by default on a CPU: 2,048 measured 4 % faster than 512 and
/// level with 4,096 once the encoder reused its buffers (README, "Streaming analyze").
pub const CPU_BATCH_TOKENS: usize = 2_048;
/// The same on a GPU, which needs thousands of tokens per call to be kept busy (unmeasured).
pub const GPU_BATCH_TOKENS: usize = 16_384;

#[derive(clap::Args)]
pub struct Args {
    /// Folder (or single file) of articles
    dir: PathBuf,
    /// Store to write: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Take only shard K of N (1-based): the files whose relative-path hash falls in it, so that
    /// N workers over one folder split it with no coordination
    #[arg(long, value_name = "K/N")]
    shard: Option<crate::ingest::shard::Shard>,
    /// Refuse files larger than this many bytes
    #[arg(long, default_value_t = ingest::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    #[command(flatten)]
    model: ModelArgs,
    /// Worker threads that read, decode and prepare articles and find figures (default: one per CPU)
    #[arg(long)]
    jobs: Option<usize>,
    /// Padded tokens per encoder batch; chunks of many articles are sorted by length and packed
    /// under it (default 2048 on CPU, 16384 on GPU)
    #[arg(long)]
    batch_tokens: Option<usize>,
}

/// How to read documents: the encoder and heads to load, or none (`--no-model`). `analyze` and
/// `serve` share these options.
#[derive(clap::Args, Clone)]
pub struct ModelArgs {
    /// Figures grammar and rules only: no encoder, no entities from the model
    #[arg(long)]
    pub no_model: bool,
    /// Base encoder: "base" (packaged e5-small from models/fetch), a local folder, or a hub id ORG/NAME[@REV]
    #[arg(long, default_value = "base")]
    pub model: String,
    /// Trained task heads (heads.safetensors + heads.json)
    #[arg(long)]
    pub heads: Option<PathBuf>,
    /// auto, cpu, cuda[:N] or metal
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Encoder arithmetic: auto (int8 on a CPU with AMX or AVX-512 VNNI, else f32; f16 on GPU), f32, f16, bf16, int8, q8_0, q4_0
    #[arg(long, default_value = "auto")]
    pub precision: String,
}

impl Args {
    /// `veille analyze DIR --db DB` with every other option at its default.
    pub fn defaults(dir: PathBuf, db: PathBuf) -> Args {
        Args {
            dir,
            db,
            max_bytes: ingest::DEFAULT_MAX_BYTES,
            model: ModelArgs { no_model: false, model: "base".into(), heads: None, device: "auto".into(), precision: "auto".into() },
            shard: None,
            jobs: None,
            batch_tokens: None,
        }
    }
}

/// The heads shipped with veille: $VEILLE_HEADS, else models/heads of the source tree.
pub fn default_heads() -> PathBuf {
    std::env::var_os("VEILLE_HEADS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models/heads")))
}

fn batch_tokens(asked: Option<usize>, cpu: bool) -> Result<usize> {
    let bt = asked.unwrap_or(if cpu { CPU_BATCH_TOKENS } else { GPU_BATCH_TOKENS });
    anyhow::ensure!(bt >= 16, "--batch-tokens {bt}: give at least 16");
    Ok(bt)
}

type SharedReader = Box<dyn pipeline::Reader + Send + Sync>;

/// Loads the reader that `a` names, once; `None` with `--no-model`.
pub fn load_reader(a: &ModelArgs) -> Result<Option<SharedReader>> {
    load_reader_batched(a, None)
}

/// As [`load_reader`]; with `Some(asked)`, the encoder packs batches by tokens alone, `asked` or
/// the device's default (the streaming analyze).
fn load_reader_batched(a: &ModelArgs, stream_batch: Option<Option<usize>>) -> Result<Option<SharedReader>> {
    if a.no_model {
        return Ok(None);
    }
    let source = crate::model::ModelSource::parse(&a.model)?;
    let device: crate::model::DeviceChoice = a.device.parse()?;
    let precision: crate::model::Precision = a.precision.parse().map_err(anyhow::Error::msg)?;
    // The batch is bounded by tokens alone: many short chunks make one batch as large as a few
    // long ones.
    let opts = crate::model::EngineOptions { precision, ..Default::default() };
    let mut engine = crate::model::Engine::load_with(&source, device, opts).map_err(|e| {
        // A missing GPU is not a missing model: say which of the two went wrong.
        let device_error = matches!(e, crate::model::ModelError::Device(_));
        let e = anyhow::Error::new(e);
        if device_error {
            e.context(format!("cannot use --device {} (pass --device cpu to run on the CPU)", a.device))
        } else {
            e.context("cannot load the base encoder (run `models/fetch`, or pass --no-model for the grammar alone)")
        }
    })?;
    if let Some(asked) = stream_batch {
        let bt = batch_tokens(asked, engine.device().is_cpu())?;
        engine.opts.token_budget = bt;
        engine.opts.max_batch = bt;
    }
    let dir = a.heads.clone().unwrap_or_else(default_heads);
    let heads = crate::reading::heads::TaskHeads::load(&dir, &candle_core::Device::Cpu)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("cannot load the task heads from {} (train them with `veille train`)", dir.display()))?;
    Ok(Some(Box::new(crate::reading::reader::HeadsReader::new(engine, heads).map_err(anyhow::Error::msg)?)))
}

/// What one `analyze` did.
pub struct Summary {
    pub new: usize,
    pub unchanged: usize,
    pub failures: Vec<Failure>,
    pub files: usize,
}

/// Streams `dir` through the pipeline into `store`. `bar` shows articles/s and tokens/s;
/// `plain` prints a line per stored article instead.
fn analyze_into(
    a: &Args,
    store: &mut Store,
    reader: Option<&(dyn pipeline::Reader + Sync)>,
    stats: &stream::Stats,
    bar: &ProgressBar,
    plain: bool,
) -> Result<Summary> {
    // A second, read-only connection lets the workers skip stored texts before the encoder.
    let lookup = Store::open_read_only(&a.db).ok().map(Mutex::new);
    let known = |id: &str| lookup.as_ref().and_then(|l| l.lock().ok().and_then(|s| s.has_document(id).ok())).unwrap_or(false);
    let mut opts = StreamOptions { limits: Limits { max_bytes: a.max_bytes }, shard: a.shard, ..Default::default() };
    if let Some(j) = a.jobs {
        anyhow::ensure!(j >= 1, "--jobs 0: give at least 1");
        opts.jobs = j;
    }
    // The encoder stage sorts several batches' worth of chunks by length before packing them.
    opts.window_tokens = (a.batch_tokens.unwrap_or(GPU_BATCH_TOKENS) * 4).max(8192);
    let mut sum = Summary { new: 0, unchanged: 0, failures: Vec::new(), files: 0 };
    let t0 = Instant::now();
    let write = |done: stream::FileDone| -> Result<()> {
        for o in done.outcomes {
            match o {
                Outcome::Analyzed { article, doc } => {
                    let stored = store.insert_document(&NewDocument { doc: &doc, text: &article.text }).with_context(|| {
                        format!(
                            "cannot store {} in {} ({} documents stored by this run are kept; fix the cause, e.g. free disk space, and run again to add the rest)",
                            article.path,
                            super::db_label(&a.db),
                            sum.new
                        )
                    })?;
                    if stored {
                        sum.new += 1;
                        if plain {
                            eprintln!("stored {} ({} records)", article.path, doc.records.len());
                        }
                    } else {
                        sum.unchanged += 1;
                    }
                }
                Outcome::Known { .. } => sum.unchanged += 1,
                Outcome::Failed(f) => sum.failures.push(f),
            }
        }
        Ok(())
    };
    let progress = |s: &stream::Stats| {
        let secs = t0.elapsed().as_secs_f64().max(1e-3);
        let arts = s.articles.load(std::sync::atomic::Ordering::Relaxed);
        let toks = s.tokens.load(std::sync::atomic::Ordering::Relaxed);
        bar.set_position(arts as u64);
        bar.set_message(format!("{:.1} articles/s, {:.0} tokens/s", arts as f64 / secs, toks as f64 / secs));
    };
    stream::run(&a.dir, reader, &opts, &known, stats, write, progress)?;
    sum.files = stats.files.load(std::sync::atomic::Ordering::Relaxed);
    if let Some(shard) = a.shard {
        eprintln!("shard {shard}: {} of {} files", sum.files, stats.walked.load(std::sync::atomic::Ordering::Relaxed));
    }
    Ok(sum)
}

fn progress_bar() -> (ProgressBar, bool) {
    if std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(ProgressStyle::with_template("{spinner} {pos} articles  {wide_msg}").expect("static template"));
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        (b, false)
    } else {
        (ProgressBar::hidden(), true)
    }
}

pub fn run(a: Args) -> Result<()> {
    if !a.dir.exists() {
        bail!("{}: no such file or folder", a.dir.display());
    }
    let reader = load_reader_batched(&a.model, Some(a.batch_tokens))?;
    let mut store = Store::open(&a.db).with_context(|| format!("cannot use {} as the store", super::db_label(&a.db)))?;
    let (bar, plain) = progress_bar();
    let stats = stream::Stats::default();
    let sum = analyze_into(&a, &mut store, reader.as_deref().map(|r| r as &(dyn pipeline::Reader + Sync)), &stats, &bar, plain)?;
    bar.finish_and_clear();
    if sum.files == 0 && !sum.failures.is_empty() {
        for f in &sum.failures {
            eprintln!("failed: {}: {}", f.path, f.reason);
        }
        bail!("nothing readable under {}", a.dir.display());
    }
    println!("{} new, {} unchanged, {} failed  ({} files, store {})", sum.new, sum.unchanged, sum.failures.len(), sum.files, super::db_label(&a.db));
    for f in &sum.failures {
        println!("  failed: {}: {}", f.path, f.reason);
    }
    Ok(())
}

/// `veille bench --e2e DIR`: `veille analyze DIR` with its defaults into a fresh store in the
/// temporary folder, model load included; prints throughput, peak memory and where time went.
pub fn bench_e2e(dir: &Path, device: &str, precision: Option<&str>, batch_tokens: Option<usize>, jobs: Option<usize>) -> Result<()> {
    if !dir.exists() {
        bail!("{}: no such file or folder", dir.display());
    }
    let db = std::env::temp_dir().join(format!("veille-bench-e2e-{}.sqlite", std::process::id()));
    let mut a = Args::defaults(dir.to_path_buf(), db.clone());
    if let Some(p) = precision {
        a.model.precision = p.to_string();
    }
    a.batch_tokens = batch_tokens;
    a.jobs = jobs;
    a.model.device = device.to_string();
    let t0 = Instant::now();
    let reader = load_reader_batched(&a.model, Some(a.batch_tokens))?;
    let load = t0.elapsed().as_secs_f64();
    let mut store = Store::open(&db).with_context(|| format!("cannot use {} as the store", db.display()))?;
    let stats = stream::Stats::default();
    let res = analyze_into(&a, &mut store, reader.as_deref().map(|r| r as &(dyn pipeline::Reader + Sync)), &stats, &ProgressBar::hidden(), false);
    let total = t0.elapsed().as_secs_f64();
    drop(store);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let sum = res?;
    let tokens = stats.tokens.load(std::sync::atomic::Ordering::Relaxed);
    let windows = stats.windows.load(std::sync::atomic::Ordering::Relaxed);
    let bt = a.batch_tokens.map(|b| b.to_string()).unwrap_or_else(|| "auto".into());
    println!("veille bench --e2e {}  (precision {}, batch tokens {bt}, jobs {})", dir.display(), a.model.precision, a.jobs.map(|j| j.to_string()).unwrap_or_else(|| "auto".into()));
    println!("int8 kernel       {}", crate::model::int8::kernel_name());
    println!("articles stored   {} ({} unchanged, {} failed, {} files)", sum.new, sum.unchanged, sum.failures.len(), sum.files);
    println!("wall time         {total:.2} s (model load {load:.2} s)");
    println!("articles/s        {:.1} (model load included), {:.1} (stream alone)", sum.new as f64 / total, sum.new as f64 / (total - load).max(1e-9));
    println!("tokens/s          {:.0} (stream alone; {} tokens in {} encoder windows)", tokens as f64 / (total - load).max(1e-9), tokens, windows);
    match crate::model::bench::peak_rss_kb() {
        Some(kb) => println!("peak memory       {:.0} MiB", kb as f64 / 1024.0),
        None => println!("peak memory       unknown (no /proc/self/status)"),
    }
    let stages = stats.stage_seconds();
    let busy: f64 = stages.iter().map(|s| s.1).sum();
    println!("busy time by stage (threads summed; stages overlap):");
    for (name, secs) in stages {
        println!("  {name:<32} {secs:>7.2} s  {:>5.1} %", 100.0 * secs / busy.max(1e-9));
    }
    Ok(())
}
