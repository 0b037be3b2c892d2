//! Writes. One document = one transaction, so an interrupted run never leaves half a document.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store};
use crate::output::DocumentOut;

/// A document ready to store: the contract object plus the text its offsets point into.
pub struct NewDocument<'a> {
    pub doc: &'a DocumentOut,
    pub text: &'a str,
}

/// The key that links one fact across documents: same actor, action, amount and period.
pub fn fact_key(r: &crate::output::RecordOut) -> String {
    let amount = |v: Option<f64>| v.map(|x| format!("{:.4e}", x)).unwrap_or_default();
    format!(
        "{}|{}|{}|{}|{}|{}",
        r.actor.to_lowercase(),
        crate::records::action_group(&r.action),
        amount(r.amount.min),
        amount(r.amount.max),
        r.amount.currency.clone().unwrap_or_default(),
        r.period.as_ref().map(|p| format!("{}..{}", p.start, p.end)).unwrap_or_default()
    )
}

impl Store {
    pub fn has_document(&self, id: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM documents WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
    }

    /// Stores one document with everything found in it. Returns false if it was already there.
    pub fn insert_document(&mut self, new: &NewDocument) -> Result<bool> {
        let d = new.doc;
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO documents (id, path, title, lang, published, encoding, url, text, sentiment, sentiment_score, ingested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                d.doc_id,
                d.path,
                d.title,
                d.lang,
                d.published,
                d.encoding.clone().unwrap_or_default(),
                d.url,
                new.text,
                d.sentiment.as_ref().map(|s| s.label.clone()),
                d.sentiment.as_ref().map(|s| s.score),
                chrono::Utc::now().to_rfc3339(),
            ],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        {
            let mut st = tx.prepare("INSERT INTO sentences (doc_id, idx, start, end, tone, tone_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for (i, s) in d.sentences.iter().enumerate() {
                st.execute(params![d.doc_id, i as i64, s.start as i64, s.end as i64, s.tone, s.score])?;
            }
            let mut st = tx.prepare(
                "INSERT INTO entities (doc_id, sentence, text, label, start, end, score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in &d.entities {
                st.execute(params![d.doc_id, e.sentence as i64, e.text, e.label, e.start as i64, e.end as i64, e.score])?;
            }
            let mut st = tx.prepare(
                "INSERT INTO figures (doc_id, sentence, text, kind, min, max, unit, approx, bound, start, end, period_start, period_end, granularity, role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            for f in &d.figures {
                st.execute(params![
                    d.doc_id,
                    f.sentence as i64,
                    f.text,
                    f.kind,
                    f.min,
                    f.max,
                    f.unit,
                    f.approx,
                    f.bound,
                    f.start as i64,
                    f.end as i64,
                    f.period.as_ref().map(|p| p.start.clone()),
                    f.period.as_ref().map(|p| p.end.clone()),
                    f.period.as_ref().and_then(|p| p.granularity.clone()),
                    f.role,
                ])?;
            }
            let mut st = tx.prepare(
                "INSERT INTO records (doc_id, sentence, actor, action, amount_min, amount_max, currency, approx, target, period_text,
                   period_start, period_end, period_inferred, sentiment, confidence, start, end, fact_key, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id",
            )?;
            let mut variants = tx.prepare("INSERT OR IGNORE INTO actor_variants (doc_id, actor, variant) VALUES (?1, ?2, ?3)")?;
            let mut investors = tx.prepare("INSERT INTO record_investors (record_id, name) VALUES (?1, ?2)")?;
            for r in &d.records {
                let detail = serde_json::json!({
                    "investors": r.investors,
                    "forecast": r.forecast,
                    "actor_variants": r.actor_variants,
                    "related": r.related,
                    "mentions": r.mentions,
                });
                let record_id: i64 = st.query_row(params![
                    d.doc_id,
                    r.sentence as i64,
                    r.actor,
                    r.action,
                    r.amount.min,
                    r.amount.max,
                    r.amount.currency,
                    r.amount.approx,
                    r.target,
                    r.period.as_ref().and_then(|p| p.text.clone()),
                    r.period.as_ref().map(|p| p.start.clone()),
                    r.period.as_ref().map(|p| p.end.clone()),
                    r.period.as_ref().map(|p| p.inferred).unwrap_or(false),
                    r.sentiment,
                    r.confidence,
                    r.start as i64,
                    r.end as i64,
                    fact_key(r),
                    detail.to_string(),
                ], |row| row.get(0))?;
                // The investors live in `detail` for reading back; this table indexes them for
                // `query --investor`.
                for name in &r.investors {
                    investors.execute(params![record_id, name])?;
                }
                variants.execute(params![d.doc_id, r.actor, r.actor])?;
                for v in &r.actor_variants {
                    variants.execute(params![d.doc_id, r.actor, v])?;
                }
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Replaces the exchange-rate table rows given (currency, value of one unit in USD).
    pub fn import_rates(&mut self, rates: &[(String, f64, Option<String>)]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        for (c, usd, as_of) in rates {
            tx.execute(
                "INSERT INTO rates (currency, usd, as_of) VALUES (?1, ?2, ?3)
                 ON CONFLICT(currency) DO UPDATE SET usd = excluded.usd, as_of = excluded.as_of",
                params![c.to_uppercase(), usd, as_of],
            )?;
        }
        tx.commit()?;
        Ok(rates.len())
    }
}
