use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::ingest::{self, Failure, Limits};
use crate::pipeline;
use crate::store::{NewDocument, Store};

#[derive(clap::Args)]
pub struct Args {
    /// Folder (or single file) of articles
    dir: PathBuf,
    /// SQLite store to write
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Refuse files larger than this many bytes
    #[arg(long, default_value_t = ingest::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    #[command(flatten)]
    model: ModelArgs,
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
    /// Encoder arithmetic: auto (f32 on CPU, f16 on GPU), f32, f16, bf16, int8, q8_0, q4_0
    #[arg(long, default_value = "auto")]
    pub precision: String,
}

/// The heads shipped with veille: $VEILLE_HEADS, else models/heads of the source tree.
pub fn default_heads() -> PathBuf {
    std::env::var_os("VEILLE_HEADS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models/heads")))
}

/// Loads the reader that `a` names, once; `None` with `--no-model`.
pub fn load_reader(a: &ModelArgs) -> Result<Option<Box<dyn pipeline::Reader + Send + Sync>>> {
    if a.no_model {
        return Ok(None);
    }
    let source = crate::model::ModelSource::parse(&a.model)?;
    let device: crate::model::DeviceChoice = a.device.parse()?;
    let precision: crate::model::Precision = a.precision.parse().map_err(anyhow::Error::msg)?;
    let opts = crate::model::EngineOptions { precision, ..Default::default() };
    let engine = crate::model::Engine::load_with(&source, device, opts)
        .with_context(|| "cannot load the base encoder (run `models/fetch`, or pass --no-model for the grammar alone)".to_string())?;
    let dir = a.heads.clone().unwrap_or_else(default_heads);
    let heads = crate::train::heads::TaskHeads::load(&dir, &candle_core::Device::Cpu)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("cannot load the task heads from {} (train them with `veille train`)", dir.display()))?;
    Ok(Some(Box::new(crate::train::reader::HeadsReader::new(engine, heads).map_err(anyhow::Error::msg)?)))
}

pub fn run(a: Args) -> Result<()> {
    if !a.dir.exists() {
        bail!("{}: no such file or folder", a.dir.display());
    }
    let reader = load_reader(&a.model)?;
    let mut store = Store::open(&a.db).with_context(|| format!("cannot use {} as the store", a.db.display()))?;
    let (files, mut failures) = ingest::walk(&a.dir);
    if files.is_empty() && !failures.is_empty() {
        for f in &failures {
            eprintln!("failed: {}: {}", f.path, f.reason);
        }
        bail!("nothing readable under {}", a.dir.display());
    }
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(files.len() as u64);
        b.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}").expect("static template"));
        b
    } else {
        ProgressBar::hidden()
    };
    let plain = !std::io::stderr().is_terminal();
    let limits = Limits { max_bytes: a.max_bytes };
    let (mut new, mut unchanged) = (0usize, 0usize);
    for file in &files {
        let rel = ingest::relative_path(&a.dir, file);
        bar.set_message(rel.clone());
        let articles = match ingest::read_file(&a.dir, file, limits) {
            Ok(v) => v,
            Err(e) => {
                failures.push(Failure { path: rel.clone(), reason: e.to_string() });
                bar.inc(1);
                continue;
            }
        };
        for art in articles {
            let art = match art {
                Ok(x) => x,
                Err(f) => {
                    failures.push(f);
                    continue;
                }
            };
            let id = pipeline::doc_id(&art.text);
            if store.has_document(&id).with_context(|| format!("cannot read the store {}", a.db.display()))? {
                unchanged += 1;
                continue;
            }
            let doc = match pipeline::analyze(&art, reader.as_deref().map(|r| r as &dyn pipeline::Reader)) {
                Ok(d) => d,
                Err(e) => {
                    failures.push(Failure { path: art.path.clone(), reason: e });
                    continue;
                }
            };
            let stored = store.insert_document(&NewDocument { doc: &doc, text: &art.text }).with_context(|| {
                format!(
                    "cannot store {} in {} ({new} documents stored by this run are kept; fix the cause, e.g. free disk space, and run again to add the rest)",
                    art.path,
                    a.db.display()
                )
            })?;
            if stored {
                new += 1;
                if plain {
                    eprintln!("stored {} ({} records)", art.path, doc.records.len());
                }
            } else {
                unchanged += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{} new, {} unchanged, {} failed  ({} files, store {})", new, unchanged, failures.len(), files.len(), a.db.display());
    for f in &failures {
        println!("  failed: {}: {}", f.path, f.reason);
    }
    Ok(())
}
