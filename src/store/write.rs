//! Writes. One document = one transaction, so an interrupted run never leaves half a document.

use rusqlite::{params, ErrorCode, OptionalExtension, TransactionBehavior};

use super::{Result, Store, StoreError};

/// How many times a document transaction is run again when another writer keeps the store busy.
const BUSY_RETRIES: u32 = 8;

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}
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
    /// Another writer holding the store past the busy timeout makes the whole transaction run
    /// again (it rolled back, so nothing is half-written), a few times, before the error is given.
    pub fn insert_document(&mut self, new: &NewDocument) -> Result<bool> {
        let mut attempt = 0u32;
        loop {
            match self.insert_document_once(new) {
                Err(StoreError::Sql(e)) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50 << attempt.min(6)));
                }
                r => return r,
            }
        }
    }

    fn insert_document_once(&mut self, new: &NewDocument) -> Result<bool> {
        let d = new.doc;
        // IMMEDIATE takes the write lock first: a deferred transaction that starts reading and
        // then writes can fail at once with SQLITE_BUSY, without waiting for the busy timeout.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?;
            let mut variants = tx.prepare("INSERT OR IGNORE INTO actor_variants (doc_id, actor, variant) VALUES (?1, ?2, ?3)")?;
            for r in &d.records {
                let detail = serde_json::json!({
                    "actor_variants": r.actor_variants,
                    "related": r.related,
                    "mentions": r.mentions,
                });
                st.execute(params![
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
                ])?;
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
