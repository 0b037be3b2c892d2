//! Reading documents back in the contract shape, and read-only SQL.

use rusqlite::types::ValueRef;

use super::backend::{Conn, Row, Val};
use super::{Result, Store, StoreError};
use crate::output::*;

fn period(start: Option<String>, end: Option<String>, text: Option<String>, granularity: Option<String>, inferred: bool) -> Option<PeriodOut> {
    match (start, end) {
        (Some(start), Some(end)) => Some(PeriodOut { text, start, end, granularity, inferred }),
        _ => None,
    }
}

/// Rebuilds a record from a `records` row selected with [`RECORD_COLUMNS`].
pub(crate) fn record_from_row(row: &Row, base: usize) -> Result<RecordOut> {
    let detail: String = row.text(base + 17)?;
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
    let list = |k: &str| detail.get(k).cloned().unwrap_or(serde_json::Value::Array(vec![]));
    Ok(RecordOut {
        sentence: row.usize(base)?,
        actor: row.text(base + 1)?,
        action: row.text(base + 2)?,
        amount: Amount { min: row.opt_f64(base + 3)?, max: row.opt_f64(base + 4)?, currency: row.opt_text(base + 5)?, approx: row.bool(base + 6)? },
        target: row.opt_text(base + 7)?,
        period: period(row.opt_text(base + 9)?, row.opt_text(base + 10)?, row.opt_text(base + 8)?, None, row.bool(base + 11)?),
        sentiment: row.text(base + 12)?,
        confidence: row.f64(base + 13)?,
        start: row.usize(base + 14)?,
        end: row.usize(base + 15)?,
        investors: serde_json::from_value(list("investors")).unwrap_or_default(),
        forecast: detail.get("forecast").and_then(|v| v.as_bool()).unwrap_or(false),
        actor_variants: serde_json::from_value(list("actor_variants")).unwrap_or_default(),
        related: serde_json::from_value(list("related")).unwrap_or_default(),
        mentions: serde_json::from_value(list("mentions")).unwrap_or_default(),
    })
}

pub(crate) const RECORD_COLUMNS: &str = "r.sentence, r.actor, r.action, r.amount_min, r.amount_max, r.currency, r.approx, r.target, \
     r.period_text, r.period_start, r.period_end, r.period_inferred, r.sentiment, r.confidence, r.start, r.\"end\", r.fact_key, r.detail";

/// The result of a read-only SQL statement: column names and rows as JSON values.
pub struct SqlResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

impl Store {
    pub fn document_count(&self) -> Result<usize> {
        self.conn.query_one("SELECT COUNT(*) FROM documents", &[])?.usize(0)
    }

    pub fn document_ids(&self) -> Result<Vec<String>> {
        self.conn.query("SELECT id FROM documents ORDER BY path, id", &[])?.iter().map(|r| r.text(0)).collect()
    }

    /// One document in the contract shape, with its text.
    pub fn document(&self, id: &str) -> Result<(DocumentOut, String)> {
        let c = &self.conn;
        let key = [Val::from(id)];
        let r = c
            .query_opt(
                "SELECT id, path, lang, title, published, sentiment, sentiment_score, encoding, url, text FROM documents WHERE id = ?1",
                &key,
            )?
            .ok_or_else(|| StoreError::Invalid(format!("no document {id} in the store")))?;
        let label = r.opt_text(5)?;
        let score = r.opt_f64(6)?;
        let mut doc = DocumentOut {
            doc_id: r.text(0)?,
            path: r.text(1)?,
            lang: r.text(2)?,
            title: r.opt_text(3)?,
            published: r.opt_text(4)?,
            sentiment: label.map(|label| Sentiment { label, score: score.unwrap_or(0.0) }),
            entities: vec![],
            figures: vec![],
            records: vec![],
            encoding: r.opt_text(7)?,
            url: r.opt_text(8)?,
            sentences: vec![],
        };
        let text = r.text(9)?;
        doc.sentences = c
            .query("SELECT start, \"end\", tone, tone_score FROM sentences WHERE doc_id = ?1 ORDER BY idx", &key)?
            .iter()
            .map(|r| Ok(SentenceOut { start: r.usize(0)?, end: r.usize(1)?, tone: r.opt_text(2)?, score: r.opt_f64(3)? }))
            .collect::<Result<_>>()?;
        doc.entities = c
            .query("SELECT text, label, start, \"end\", score, sentence FROM entities WHERE doc_id = ?1 ORDER BY start, id", &key)?
            .iter()
            .map(|r| {
                Ok(EntityOut {
                    text: r.text(0)?,
                    label: r.text(1)?,
                    start: r.usize(2)?,
                    end: r.usize(3)?,
                    score: r.f64(4)?,
                    sentence: r.usize(5)?,
                })
            })
            .collect::<Result<_>>()?;
        doc.figures = c
            .query(
                "SELECT text, kind, min, max, unit, approx, start, \"end\", sentence, bound, period_start, period_end, granularity, role
                 FROM figures WHERE doc_id = ?1 ORDER BY start, id",
                &key,
            )?
            .iter()
            .map(|r| {
                Ok(FigureOut {
                    text: r.text(0)?,
                    kind: r.text(1)?,
                    min: r.opt_f64(2)?,
                    max: r.opt_f64(3)?,
                    unit: r.opt_text(4)?,
                    approx: r.bool(5)?,
                    start: r.usize(6)?,
                    end: r.usize(7)?,
                    sentence: r.usize(8)?,
                    bound: r.opt_text(9)?,
                    period: period(r.opt_text(10)?, r.opt_text(11)?, None, r.opt_text(12)?, false),
                    role: r.opt_text(13)?,
                })
            })
            .collect::<Result<_>>()?;
        doc.records = c
            .query(&format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.doc_id = ?1 ORDER BY r.start, r.id"), &key)?
            .iter()
            .map(|r| record_from_row(r, 0))
            .collect::<Result<_>>()?;
        Ok((doc, text))
    }

    /// Runs one read-only SQL statement. SQLite: the store should be opened with `open_read_only`,
    /// and the statement is also checked with SQLite's own `sqlite3_stmt_readonly`. PostgreSQL: the
    /// statement runs alone in a READ ONLY transaction of a read-only session.
    pub fn sql(&self, statement: &str) -> Result<SqlResult> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut st = conn.prepare(statement)?;
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
            Conn::Postgres(_) => {
                let (columns, rows) = self.conn.pg_read_only(statement)?;
                Ok(SqlResult { columns, rows: rows.into_iter().map(|r| r.0.iter().map(Val::to_json).collect()).collect() })
            }
        }
    }
}
