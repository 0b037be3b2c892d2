//! Records as Parquet: one row per record with flat columns, written with the `parquet` crate's
//! low-level column writers (no Arrow, no compression codecs: a small build).

use std::io::Write;

use anyhow::{Context, Result};

use super::Store;

/// One record with its document, flattened for columnar output.
pub struct FlatRecord {
    pub doc: crate::output::DocumentOut,
    pub record: crate::output::RecordOut,
    pub evidence: String,
}

pub fn flat_records(store: &Store) -> Result<Vec<FlatRecord>> {
    let mut out = Vec::new();
    for id in store.document_ids()? {
        let (doc, text) = store.document(&id)?;
        for r in &doc.records {
            out.push(FlatRecord { doc: doc.clone(), record: r.clone(), evidence: crate::text::char_slice(&text, r.start, r.end).to_string() });
        }
    }
    Ok(out)
}

enum Column {
    Str(Vec<Option<String>>),
    F64(Vec<Option<f64>>),
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

/// The flat columns of the Parquet export, in the CSV header's order plus the mention count.
fn columns(rows: &[&FlatRecord]) -> Vec<(&'static str, Column)> {
    let s = |f: &dyn Fn(&FlatRecord) -> Option<String>| Column::Str(rows.iter().map(|r| f(r)).collect());
    let n = |f: &dyn Fn(&FlatRecord) -> Option<f64>| Column::F64(rows.iter().map(|r| f(r)).collect());
    let i = |f: &dyn Fn(&FlatRecord) -> Option<i64>| Column::I64(rows.iter().map(|r| f(r)).collect());
    let b = |f: &dyn Fn(&FlatRecord) -> Option<bool>| Column::Bool(rows.iter().map(|r| f(r)).collect());
    vec![
        ("doc_id", s(&|r| Some(r.doc.doc_id.clone()))),
        ("path", s(&|r| Some(r.doc.path.clone()))),
        ("lang", s(&|r| Some(r.doc.lang.clone()))),
        ("published", s(&|r| r.doc.published.clone())),
        ("actor", s(&|r| Some(r.record.actor.clone()))),
        ("action", s(&|r| Some(r.record.action.clone()))),
        ("amount_min", n(&|r| r.record.amount.min)),
        ("amount_max", n(&|r| r.record.amount.max)),
        ("currency", s(&|r| r.record.amount.currency.clone())),
        ("approx", b(&|r| Some(r.record.amount.approx))),
        ("target", s(&|r| r.record.target.clone())),
        ("period_text", s(&|r| r.record.period.as_ref().and_then(|p| p.text.clone()))),
        ("period_start", s(&|r| r.record.period.as_ref().map(|p| p.start.clone()))),
        ("period_end", s(&|r| r.record.period.as_ref().map(|p| p.end.clone()))),
        ("period_inferred", b(&|r| Some(r.record.period.as_ref().map(|p| p.inferred).unwrap_or(false)))),
        ("sentiment", s(&|r| Some(r.record.sentiment.clone()))),
        ("confidence", n(&|r| Some(r.record.confidence))),
        ("sentence", i(&|r| Some(r.record.sentence as i64))),
        ("start", i(&|r| Some(r.record.start as i64))),
        ("end", i(&|r| Some(r.record.end as i64))),
        ("actor_variants", s(&|r| Some(r.record.actor_variants.join("; ")))),
        ("mentions", i(&|r| Some(r.record.mentions.len().max(1) as i64))),
        ("investors", s(&|r| Some(r.record.investors.join("; ")))),
        ("forecast", b(&|r| Some(r.record.forecast))),
        ("related", s(&|r| Some(r.record.related.iter().map(|x| format!("{}:{}", x.relation, x.text)).collect::<Vec<_>>().join("; ")))),
        ("evidence", s(&|r| Some(r.evidence.clone()))),
    ]
}

/// Writes records as one Parquet row group with the low-level column writers (no Arrow).
pub fn write_parquet<W: Write + Send>(sink: W, rows: &[FlatRecord]) -> Result<()> {
    write_parquet_without(sink, &rows.iter().collect::<Vec<_>>(), None)
}

/// How `export --partition-by` splits records into folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// The year of the record's period, else of the document's publication date.
    Period,
    /// The document's language.
    Lang,
}

impl Partition {
    pub fn column(self) -> &'static str {
        match self {
            Partition::Period => "period",
            Partition::Lang => "lang",
        }
    }

    /// The folder value of one record. Hive's name for "no value" is read back as null by Spark,
    /// Hive and pyarrow.
    pub fn value(self, r: &FlatRecord) -> String {
        let year = |d: &str| Some(d.get(..4)?.to_string()).filter(|y| y.chars().all(|c| c.is_ascii_digit()));
        let v = match self {
            Partition::Period => r.record.period.as_ref().and_then(|p| year(&p.start)).or_else(|| r.doc.published.as_deref().and_then(year)),
            Partition::Lang => Some(r.doc.lang.clone()).filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
        };
        v.unwrap_or_else(|| "__HIVE_DEFAULT_PARTITION__".to_string())
    }
}

/// Writes a Hive-partitioned dataset under `dir`: `COLUMN=VALUE/part-0.parquet`, one folder per
/// value. The partition column lives in the folder names only, as Hive-style readers (DuckDB,
/// pyarrow, Polars, Spark) expect. `dir` must be empty or absent, so no file of an earlier export
/// is read back as part of this one. Returns (folder, records) per partition.
pub fn write_partitioned(dir: &std::path::Path, rows: &[FlatRecord], by: Partition) -> Result<Vec<(std::path::PathBuf, usize)>> {
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.next().is_some() {
        anyhow::bail!("{} is not empty: a partitioned export needs an empty (or new) folder", dir.display());
    }
    let mut groups: std::collections::BTreeMap<String, Vec<&FlatRecord>> = Default::default();
    for r in rows {
        groups.entry(by.value(r)).or_default().push(r);
    }
    let mut written = Vec::new();
    for (value, group) in groups {
        let folder = dir.join(format!("{}={value}", by.column()));
        std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
        let path = folder.join("part-0.parquet");
        let file = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        write_parquet_without(file, &group, Some(by.column()))?;
        written.push((folder, group.len()));
    }
    Ok(written)
}

fn write_parquet_without<W: Write + Send>(sink: W, rows: &[&FlatRecord], skip: Option<&str>) -> Result<()> {
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let mut cols = columns(rows);
    cols.retain(|(name, _)| Some(*name) != skip);
    let fields: Vec<String> = cols
        .iter()
        .map(|(name, c)| match c {
            Column::Str(_) => format!("OPTIONAL BYTE_ARRAY {name} (UTF8);"),
            Column::F64(_) => format!("OPTIONAL DOUBLE {name};"),
            Column::I64(_) => format!("OPTIONAL INT64 {name};"),
            Column::Bool(_) => format!("OPTIONAL BOOLEAN {name};"),
        })
        .collect();
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&format!("message record {{ {} }}", fields.join(" ")))?);
    let mut writer = SerializedFileWriter::new(sink, schema, Arc::new(WriterProperties::builder().build()))?;
    let mut group = writer.next_row_group()?;
    // Definition level 1 = value present, 0 = null; only present values go in the batch.
    fn split<T: Clone>(v: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
        (v.iter().flatten().cloned().collect(), v.iter().map(|x| x.is_some() as i16).collect())
    }
    let mut it = cols.iter();
    while let Some(mut col) = group.next_column()? {
        let (_, c) = it.next().context("parquet schema and columns disagree")?;
        match c {
            Column::Str(v) => {
                let (vals, def) = split(v);
                let vals: Vec<ByteArray> = vals.into_iter().map(|s| ByteArray::from(s.into_bytes())).collect();
                col.typed::<ByteArrayType>().write_batch(&vals, Some(&def), None)?;
            }
            Column::F64(v) => {
                let (vals, def) = split(v);
                col.typed::<DoubleType>().write_batch(&vals, Some(&def), None)?;
            }
            Column::I64(v) => {
                let (vals, def) = split(v);
                col.typed::<Int64Type>().write_batch(&vals, Some(&def), None)?;
            }
            Column::Bool(v) => {
                let (vals, def) = split(v);
                col.typed::<BoolType>().write_batch(&vals, Some(&def), None)?;
            }
        }
        col.close()?;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}
