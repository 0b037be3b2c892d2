use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::filter::{self, RecordQuery};
use crate::store::{RecordRow, Store};

/// The flags mirror the filters of `crate::filter` (one parser for the CLI and the HTTP API):
/// values stay text here and are read there, so both report a bad value the same way.
#[derive(clap::Args)]
pub struct Args {
    /// Store: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Actor name or any of its variants (substring, case-insensitive)
    #[arg(long)]
    actor: Option<String>,
    /// Investor of the record (who put the money in beside the actor; substring, case-insensitive)
    #[arg(long)]
    investor: Option<String>,
    /// invest, raise, revenue, profit, loss, acquire, valuation, other
    #[arg(long)]
    action: Option<String>,
    /// ISO 4217 code of the amount as stated
    #[arg(long)]
    currency: Option<String>,
    /// Smallest amount (in the stated currency, or in --in)
    #[arg(long)]
    min: Option<String>,
    /// Largest amount
    #[arg(long)]
    max: Option<String>,
    /// Convert amounts to this currency with the store's rates table
    #[arg(long = "in")]
    in_currency: Option<String>,
    /// Period overlapping from this date on: 2025, 2025-Q1, 2025-H2, 2025-03 or 2025-03-15
    #[arg(long)]
    from: Option<String>,
    /// Period overlapping up to this date (same forms)
    #[arg(long)]
    to: Option<String>,
    /// Document language code (fr, en, es, de...)
    #[arg(long)]
    lang: Option<String>,
    /// positive, negative or neutral
    #[arg(long)]
    sentiment: Option<String>,
    /// Text that the record's sentence contains
    #[arg(long)]
    text: Option<String>,
    /// One row per fact, with every document that states it
    #[arg(long)]
    distinct: bool,
    /// amount or date
    #[arg(long, default_value = "amount")]
    sort: String,
    #[arg(long)]
    limit: Option<String>,
    /// Rows to skip before the first one printed
    #[arg(long)]
    offset: Option<String>,
    /// Print JSON (one object per line)
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV
    #[arg(long)]
    csv: bool,
}

impl Args {
    /// The flags as (filter name, value) pairs for `filter::RecordQuery::from_pairs`.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let opt = [
            ("actor", &self.actor),
            ("investor", &self.investor),
            ("action", &self.action),
            ("currency", &self.currency),
            ("min", &self.min),
            ("max", &self.max),
            ("in", &self.in_currency),
            ("from", &self.from),
            ("to", &self.to),
            ("lang", &self.lang),
            ("sentiment", &self.sentiment),
            ("text", &self.text),
            ("limit", &self.limit),
            ("offset", &self.offset),
        ];
        let mut v: Vec<(&'static str, String)> = opt.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))).collect();
        v.push(("sort", self.sort.clone()));
        if self.distinct {
            v.push(("distinct", "true".into()));
        }
        v
    }
}

fn fmt_amount(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x.abs() >= 1e9 => format!("{:.2} G", x / 1e9),
        Some(x) if x.abs() >= 1e6 => format!("{:.2} M", x / 1e6),
        Some(x) if x.abs() >= 1e3 => format!("{:.1} k", x / 1e3),
        Some(x) => format!("{x}"),
    }
}

fn amount_cell(r: &RecordRow) -> String {
    let a = &r.record.amount;
    let cur = a.currency.clone().unwrap_or_default();
    let approx = if a.approx { "~" } else { "" };
    let base = if a.min == a.max { format!("{approx}{} {cur}", fmt_amount(a.max)) } else { format!("{approx}{}–{} {cur}", fmt_amount(a.min), fmt_amount(a.max)) };
    match &r.converted {
        Some((_, mx, c)) if Some(c.as_str()) != a.currency.as_deref() => format!("{base} (≈{} {c})", fmt_amount(Some(*mx))),
        _ => base,
    }
}

/// Prints an aligned text table, cutting long cells.
pub fn print_table(header: &[String], rows: &[Vec<String>]) {
    const MAX: usize = 48;
    let cut = |s: &str| if s.chars().count() > MAX { format!("{}…", s.chars().take(MAX - 1).collect::<String>()) } else { s.to_string() };
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cut(&c.replace('\n', " "))).collect()).collect();
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        cells.iter().enumerate().map(|(i, c)| format!("{c}{}", " ".repeat(w[i].saturating_sub(c.chars().count())))).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    println!("{}", line(header));
    println!("{}", w.iter().map(|n| "-".repeat(*n)).collect::<Vec<_>>().join("  "));
    for r in &rows {
        println!("{}", line(r));
    }
    println!("({} row{})", rows.len(), if rows.len() == 1 { "" } else { "s" });
}

pub fn run(a: Args) -> Result<()> {
    let query = RecordQuery::from_pairs(a.pairs())?;
    let store = Store::open_read_only(&a.db)?;
    let rows = filter::run(&store, &query)?;
    if a.json {
        for r in &rows {
            println!("{}", filter::row_json(r, a.distinct));
        }
        return Ok(());
    }
    let header: Vec<String> = ["actor", "action", "amount", "investors", "period", "tone", "target", if a.distinct { "sources" } else { "source" }, "evidence"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.record.actor.clone(),
                r.record.action.clone(),
                amount_cell(r),
                r.record.investors.join(", "),
                r.record.period.as_ref().map(|p| p.text.clone().unwrap_or_else(|| p.start.clone())).unwrap_or_default(),
                r.record.sentiment.clone(),
                r.record.target.clone().unwrap_or_default(),
                if a.distinct { r.sources.join(", ") } else { r.path.clone() },
                r.sentence_text.clone(),
            ]
        })
        .collect();
    if a.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record(&header)?;
        for c in &cells {
            w.write_record(c)?;
        }
        w.flush()?;
        return Ok(());
    }
    print_table(&header, &cells);
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum RatesCommand {
    /// Load rates from a CSV file with columns currency,usd[,as_of] (value of one unit in US dollars)
    Import {
        file: PathBuf,
        /// Store: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
        #[arg(long, default_value_os_t = super::default_db())]
        db: PathBuf,
    },
    /// Show the rates table
    List {
        /// Store: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
        #[arg(long, default_value_os_t = super::default_db())]
        db: PathBuf,
    },
}

pub fn rates(cmd: RatesCommand) -> Result<()> {
    match cmd {
        RatesCommand::Import { file, db } => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_path(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut rates = Vec::new();
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.with_context(|| format!("{}: line {}", file.display(), i + 2))?;
                let cur = rec.get(0).unwrap_or("").trim().to_uppercase();
                let usd: f64 = rec
                    .get(1)
                    .unwrap_or("")
                    .trim()
                    .parse()
                    .with_context(|| format!("{}: line {}: the second column must be a number", file.display(), i + 2))?;
                if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_alphabetic()) || !(usd > 0.0) {
                    bail!("{}: line {}: expected an ISO 4217 code and a positive rate, got {:?}", file.display(), i + 2, rec);
                }
                rates.push((cur, usd, rec.get(2).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())));
            }
            let mut store = Store::open(&db)?;
            let n = store.import_rates(&rates)?;
            println!("{n} rates imported into {}", db.display());
        }
        RatesCommand::List { db } => {
            let store = Store::open_read_only(&db)?;
            let rows: Vec<Vec<String>> = store.rates()?.into_iter().map(|(c, u, d)| vec![c, u.to_string(), d.unwrap_or_default()]).collect();
            print_table(&["currency".into(), "usd".into(), "as_of".into()], &rows);
        }
    }
    Ok(())
}
