//! Writes. One document = one transaction, so an interrupted run never leaves half a document.

use super::{retry_when_busy, Result, Store};
use crate::output::DocumentOut;

/// How many times a document transaction is run again when another writer keeps the store busy.
const BUSY_RETRIES: u32 = 8;

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
        Ok(self.conn.query_opt("SELECT 1 FROM documents WHERE id = ?1", &[id.into()])?.is_some())
    }

    /// Stores one document with everything found in it, in one transaction. Returns false if it
    /// was already there. The document row goes first with ON CONFLICT DO NOTHING: when two
    /// workers store the same text at once, the second waits for the first's transaction and
    /// then finds the key taken, so it stores nothing. Another SQLite writer holding the store
    /// past the busy timeout makes the whole transaction run again (it rolled back, so nothing is
    /// half-written), a few times, before the error is given.
    pub fn insert_document(&mut self, new: &NewDocument) -> Result<bool> {
        retry_when_busy(BUSY_RETRIES, std::time::Duration::from_millis(50), || self.insert_document_once(new))
    }

    fn insert_document_once(&mut self, new: &NewDocument) -> Result<bool> {
        let d = new.doc;
        self.conn.transaction(|tx| {
            let inserted = tx.execute(
                "INSERT INTO documents (id, path, title, lang, published, encoding, url, text, sentiment, sentiment_score, ingested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
                &[
                    (&d.doc_id).into(),
                    (&d.path).into(),
                    d.title.clone().into(),
                    (&d.lang).into(),
                    d.published.clone().into(),
                    d.encoding.clone().unwrap_or_default().into(),
                    d.url.clone().into(),
                    new.text.into(),
                    d.sentiment.as_ref().map(|s| s.label.clone()).into(),
                    d.sentiment.as_ref().map(|s| s.score).into(),
                    chrono::Utc::now().to_rfc3339().into(),
                ],
            )?;
            if inserted == 0 {
                return Ok(false);
            }
            for (i, s) in d.sentences.iter().enumerate() {
                tx.execute(
                    "INSERT INTO sentences (doc_id, idx, start, \"end\", tone, tone_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &[(&d.doc_id).into(), i.into(), s.start.into(), s.end.into(), s.tone.clone().into(), s.score.into()],
                )?;
            }
            for e in &d.entities {
                tx.execute(
                    "INSERT INTO entities (doc_id, sentence, text, label, start, \"end\", score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    &[(&d.doc_id).into(), e.sentence.into(), (&e.text).into(), (&e.label).into(), e.start.into(), e.end.into(), e.score.into()],
                )?;
            }
            for f in &d.figures {
                tx.execute(
                    "INSERT INTO figures (doc_id, sentence, text, kind, min, max, unit, approx, bound, start, \"end\", period_start, period_end, granularity, role)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    &[
                        (&d.doc_id).into(),
                        f.sentence.into(),
                        (&f.text).into(),
                        (&f.kind).into(),
                        f.min.into(),
                        f.max.into(),
                        f.unit.clone().into(),
                        f.approx.into(),
                        f.bound.clone().into(),
                        f.start.into(),
                        f.end.into(),
                        f.period.as_ref().map(|p| p.start.clone()).into(),
                        f.period.as_ref().map(|p| p.end.clone()).into(),
                        f.period.as_ref().and_then(|p| p.granularity.clone()).into(),
                        f.role.clone().into(),
                    ],
                )?;
            }
            for r in &d.records {
                let detail = serde_json::json!({
                    "investors": r.investors,
                    "forecast": r.forecast,
                    "actor_variants": r.actor_variants,
                    "related": r.related,
                    "mentions": r.mentions,
                });
                let record_id = tx.query_one(
                    "INSERT INTO records (doc_id, sentence, actor, action, amount_min, amount_max, currency, approx, target, period_text,
                       period_start, period_end, period_inferred, sentiment, confidence, start, \"end\", fact_key, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id",
                    &[
                        (&d.doc_id).into(),
                        r.sentence.into(),
                        (&r.actor).into(),
                        (&r.action).into(),
                        r.amount.min.into(),
                        r.amount.max.into(),
                        r.amount.currency.clone().into(),
                        r.amount.approx.into(),
                        r.target.clone().into(),
                        r.period.as_ref().and_then(|p| p.text.clone()).into(),
                        r.period.as_ref().map(|p| p.start.clone()).into(),
                        r.period.as_ref().map(|p| p.end.clone()).into(),
                        r.period.as_ref().map(|p| p.inferred).unwrap_or(false).into(),
                        (&r.sentiment).into(),
                        r.confidence.into(),
                        r.start.into(),
                        r.end.into(),
                        fact_key(r).into(),
                        detail.to_string().into(),
                    ],
                )?
                .i64(0)?;
                // The investors live in `detail` for reading back; this table indexes them for
                // `query --investor`.
                for name in &r.investors {
                    tx.execute("INSERT INTO record_investors (record_id, name) VALUES (?1, ?2)", &[record_id.into(), name.into()])?;
                }
                for v in std::iter::once(&r.actor).chain(&r.actor_variants) {
                    tx.execute(
                        "INSERT INTO actor_variants (doc_id, actor, variant) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                        &[(&d.doc_id).into(), (&r.actor).into(), v.into()],
                    )?;
                }
            }
            Ok(true)
        })
    }

    /// Replaces the exchange-rate table rows given (currency, value of one unit in USD).
    pub fn import_rates(&mut self, rates: &[(String, f64, Option<String>)]) -> Result<usize> {
        self.conn.transaction(|tx| {
            for (c, usd, as_of) in rates {
                tx.execute(
                    "INSERT INTO rates (currency, usd, as_of) VALUES (?1, ?2, ?3)
                     ON CONFLICT (currency) DO UPDATE SET usd = excluded.usd, as_of = excluded.as_of",
                    &[c.to_uppercase().into(), (*usd).into(), as_of.clone().into()],
                )?;
            }
            Ok(rates.len())
        })
    }
}
