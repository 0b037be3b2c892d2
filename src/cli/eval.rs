use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::eval;
use crate::output::DocumentOut;
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// Folder of gold JSON files (shared/eval/dev/gold layout)
    #[arg(long)]
    gold: PathBuf,
    /// Score the documents of this store
    #[arg(long, default_value_os_t = super::default_db(), conflicts_with = "pred")]
    db: PathBuf,
    /// Score a JSONL export instead of a store
    #[arg(long)]
    pred: Option<PathBuf>,
    /// List every missed and extra item
    #[arg(long)]
    show_misses: bool,
    /// Print the summary as one JSON object
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let gold = eval::load_gold(&a.gold)?;
    let preds: Vec<DocumentOut> = match &a.pred {
        Some(p) => {
            let s = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            s.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}: not a document object", p.display(), i + 1)))
                .collect::<Result<_>>()?
        }
        None => {
            let store = Store::open_read_only(&a.db)?;
            store.document_ids()?.iter().map(|id| store.document(id).map(|d| d.0)).collect::<Result<_, _>>()?
        }
    };
    let report = eval::score(&gold, &preds);
    if a.show_misses {
        for m in &report.misses {
            println!("  {m}");
        }
    }
    if a.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
