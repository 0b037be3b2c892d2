//! Reading documents back in the contract shape, and read-only SQL.

use rusqlite::types::ValueRef;

use super::{Result, Store, StoreError};
use crate::output::*;

fn period(start: Option<String>, end: Option<String>, text: Option<String>, granularity: Option<String>, inferred: bool) -> Option<PeriodOut> {
    match (start, end) {
        (Some(start), Some(end)) => Some(PeriodOut { text, start, end, granularity, inferred }),
        _ => None,
    }
}

/// Rebuilds a record from a `records` row selected with [`RECORD_COLUMNS`].
pub(crate) fn record_from_row(row: &rusqlite::Row, base: usize) -> rusqlite::Result<RecordOut> {
    let detail: String = row.get(base + 17)?;
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
    let list = |k: &str| detail.get(k).cloned().unwrap_or(serde_json::Value::Array(vec![]));
    Ok(RecordOut {
        sentence: row.get::<_, i64>(base)? as usize,
        actor: row.get(base + 1)?,
        action: row.get(base + 2)?,
        amount: Amount { min: row.get(base + 3)?, max: row.get(base + 4)?, currency: row.get(base + 5)?, approx: row.get(base + 6)? },
        target: row.get(base + 7)?,
        period: period(row.get(base + 9)?, row.get(base + 10)?, row.get(base + 8)?, None, row.get(base + 11)?),
        sentiment: row.get(base + 12)?,
        confidence: row.get(base + 13)?,
        start: row.get::<_, i64>(base + 14)? as usize,
        end: row.get::<_, i64>(base + 15)? as usize,
        investors: serde_json::from_value(list("investors")).unwrap_or_default(),
        forecast: detail.get("forecast").and_then(|v| v.as_bool()).unwrap_or(false),
        actor_variants: serde_json::from_value(list("actor_variants")).unwrap_or_default(),
        related: serde_json::from_value(list("related")).unwrap_or_default(),
        mentions: serde_json::from_value(list("mentions")).unwrap_or_default(),
    })
}

pub(crate) const RECORD_COLUMNS: &str = "r.sentence, r.actor, r.action, r.amount_min, r.amount_max, r.currency, r.approx, r.target, \
     r.period_text, r.period_start, r.period_end, r.period_inferred, r.sentiment, r.confidence, r.start, r.end, r.fact_key, r.detail";

/// The result of a read-only SQL statement: column names and rows as JSON values.
pub struct SqlResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

impl Store {
    pub fn document_count(&self) -> Result<usize> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get::<_, i64>(0))? as usize)
    }

    pub fn document_ids(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT id FROM documents ORDER BY path, id")?;
        let ids = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// One document in the contract shape, with its text.
    pub fn document(&self, id: &str) -> Result<(DocumentOut, String)> {
        let c = &self.conn;
        let (mut doc, text) = c.query_row(
            "SELECT id, path, lang, title, published, sentiment, sentiment_score, encoding, url, text FROM documents WHERE id = ?1",
            [id],
            |r| {
                let label: Option<String> = r.get(5)?;
                let score: Option<f64> = r.get(6)?;
                Ok((
                    DocumentOut {
                        doc_id: r.get(0)?,
                        path: r.get(1)?,
                        lang: r.get(2)?,
                        title: r.get(3)?,
                        published: r.get(4)?,
                        sentiment: label.map(|label| Sentiment { label, score: score.unwrap_or(0.0) }),
                        entities: vec![],
                        figures: vec![],
                        records: vec![],
                        encoding: r.get(7)?,
                        url: r.get(8)?,
                        sentences: vec![],
                    },
                    r.get::<_, String>(9)?,
                ))
            },
        )?;
        let mut st = c.prepare("SELECT start, end, tone, tone_score FROM sentences WHERE doc_id = ?1 ORDER BY idx")?;
        doc.sentences = st
            .query_map([id], |r| {
                Ok(SentenceOut { start: r.get::<_, i64>(0)? as usize, end: r.get::<_, i64>(1)? as usize, tone: r.get(2)?, score: r.get(3)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare("SELECT text, label, start, end, score, sentence FROM entities WHERE doc_id = ?1 ORDER BY start, id")?;
        doc.entities = st
            .query_map([id], |r| {
                Ok(EntityOut {
                    text: r.get(0)?,
                    label: r.get(1)?,
                    start: r.get::<_, i64>(2)? as usize,
                    end: r.get::<_, i64>(3)? as usize,
                    score: r.get(4)?,
                    sentence: r.get::<_, i64>(5)? as usize,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare(
            "SELECT text, kind, min, max, unit, approx, start, end, sentence, bound, period_start, period_end, granularity, role
             FROM figures WHERE doc_id = ?1 ORDER BY start, id",
        )?;
        doc.figures = st
            .query_map([id], |r| {
                Ok(FigureOut {
                    text: r.get(0)?,
                    kind: r.get(1)?,
                    min: r.get(2)?,
                    max: r.get(3)?,
                    unit: r.get(4)?,
                    approx: r.get(5)?,
                    start: r.get::<_, i64>(6)? as usize,
                    end: r.get::<_, i64>(7)? as usize,
                    sentence: r.get::<_, i64>(8)? as usize,
                    bound: r.get(9)?,
                    period: period(r.get(10)?, r.get(11)?, None, r.get(12)?, false),
                    role: r.get(13)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare(&format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.doc_id = ?1 ORDER BY r.start, r.id"))?;
        doc.records = st.query_map([id], |r| record_from_row(r, 0))?.collect::<rusqlite::Result<_>>()?;
        Ok((doc, text))
    }

    /// Runs one read-only SQL statement. The store should be opened with `open_read_only`; the
    /// statement is also checked with SQLite's own `sqlite3_stmt_readonly`.
    pub fn sql(&self, statement: &str) -> Result<SqlResult> {
        let mut st = self.conn.prepare(statement)?;
        if !st.readonly() {
            return Err(StoreError::NotReadOnly(statement.trim().to_string()));
        }
        let columns: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
        let n = columns.len();
        let mut rows = Vec::new();
        let mut q = st.query([])?;
        while let Some(row) = q.next()? {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(match row.get_ref(i)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(v) => v.into(),
                    ValueRef::Real(v) => v.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(b) => format!("<{} bytes>", b.len()).into(),
                });
            }
            rows.push(out);
        }
        Ok(SqlResult { columns, rows })
    }
}
