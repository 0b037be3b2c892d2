use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::store::parquet::Partition;
use crate::store::Store;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    /// One row per record with flat columns (needs --out)
    Parquet,
}

#[derive(clap::Args)]
pub struct Args {
    /// Store: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Output file (standard output when absent); with --partition-by, a folder
    #[arg(long)]
    out: Option<PathBuf>,
    /// Parquet only: write a Hive-partitioned dataset, OUT/period=2025/part-0.parquet or
    /// OUT/lang=fr/part-0.parquet, that DuckDB, pyarrow, Polars and Spark read as is
    #[arg(long, value_enum, requires = "out")]
    partition_by: Option<PartitionBy>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PartitionBy {
    /// Year of the record's period (else of the document's date)
    Period,
    /// Document language
    Lang,
}

pub const CSV_HEADER: &[&str] = &[
    "doc_id", "path", "lang", "published", "actor", "action", "amount_min", "amount_max", "currency", "approx", "target",
    "period_text", "period_start", "period_end", "period_inferred", "sentiment", "confidence", "sentence", "start", "end",
    "actor_variants", "investors", "forecast", "evidence",
];

pub fn run(a: Args) -> Result<()> {
    let store = Store::open_read_only(&a.db)?;
    if let Some(by) = a.partition_by {
        if !matches!(a.format, Format::Parquet) {
            bail!("--partition-by writes Parquet: add --format parquet");
        }
        let dir = a.out.as_ref().context("--partition-by writes a folder: give --out DIR")?;
        let by = match by {
            PartitionBy::Period => Partition::Period,
            PartitionBy::Lang => Partition::Lang,
        };
        let rows = crate::store::parquet::flat_records(&store)?;
        let parts = crate::store::parquet::write_partitioned(dir, &rows, by)?;
        eprintln!("{} records written to {} ({} partitions by {})", rows.len(), dir.display(), parts.len(), by.column());
        return Ok(());
    }
    let sink: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let ids = store.document_ids()?;
    if let Format::Parquet = a.format {
        let path = a.out.as_ref().context("--format parquet writes a file: give --out FILE.parquet")?;
        let rows = crate::store::parquet::flat_records(&store)?;
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        crate::store::parquet::write_parquet(file, &rows)?;
        eprintln!("{} records written to {}", rows.len(), path.display());
        return Ok(());
    }
    match a.format {
        Format::Parquet => unreachable!(),
        Format::Jsonl => {
            for id in &ids {
                let (doc, _) = store.document(id)?;
                serde_json::to_writer(&mut w, &doc)?;
                w.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut c = csv::Writer::from_writer(w);
            c.write_record(CSV_HEADER)?;
            for id in &ids {
                let (doc, text) = store.document(id)?;
                for r in &doc.records {
                    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
                    let p = r.period.as_ref();
                    c.write_record([
                        doc.doc_id.clone(),
                        doc.path.clone(),
                        doc.lang.clone(),
                        doc.published.clone().unwrap_or_default(),
                        r.actor.clone(),
                        r.action.clone(),
                        num(r.amount.min),
                        num(r.amount.max),
                        r.amount.currency.clone().unwrap_or_default(),
                        r.amount.approx.to_string(),
                        r.target.clone().unwrap_or_default(),
                        p.and_then(|p| p.text.clone()).unwrap_or_default(),
                        p.map(|p| p.start.clone()).unwrap_or_default(),
                        p.map(|p| p.end.clone()).unwrap_or_default(),
                        p.map(|p| p.inferred).unwrap_or(false).to_string(),
                        r.sentiment.clone(),
                        r.confidence.to_string(),
                        r.sentence.to_string(),
                        r.start.to_string(),
                        r.end.to_string(),
                        r.actor_variants.join("; "),
                        r.investors.join("; "),
                        r.forecast.to_string(),
                        crate::text::char_slice(&text, r.start, r.end).to_string(),
                    ])?;
                }
            }
            c.flush()?;
            return Ok(());
        }
    }
    w.flush()?;
    Ok(())
}

