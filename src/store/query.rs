//! `veille query`: record filters translated to one parameterised SQL statement.

use super::backend::Val;

use super::read::{record_from_row, RECORD_COLUMNS};
use super::{Result, Store, StoreError};
use crate::output::RecordOut;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Amount,
    Date,
}

#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Matches the canonical actor or any variant stored for it in any document (case-insensitive substring).
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Matches records whose investors include this name (case-insensitive substring).
    pub investor: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<f64>,
    pub max_amount: Option<f64>,
    /// Convert amounts to this currency (rates table) for filtering, sorting and display.
    pub in_currency: Option<String>,
    /// Inclusive ISO dates; a record matches when its period overlaps [from, to].
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    pub lang: Option<String>,
    pub sentiment: Option<String>,
    /// Substring of the record's sentence (case-insensitive).
    pub text: Option<String>,
    /// One row per fact (same actor, action, amount, period) with all its sources.
    pub distinct: bool,
    pub sort: SortKey,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct RecordRow {
    pub record: RecordOut,
    pub doc_id: String,
    pub path: String,
    pub lang: String,
    pub published: Option<String>,
    pub sentence_text: String,
    /// Amount (min, max) converted to the `in_currency` of the filter, when asked and known.
    pub converted: Option<(f64, f64, String)>,
    /// Paths of every document stating this fact (more than one only with `distinct`).
    pub sources: Vec<String>,
}

impl Store {
    pub fn query_records(&self, f: &RecordFilter) -> Result<Vec<RecordRow>> {
        let dialect = self.conn.dialect();
        let like = dialect.ilike();
        let mut wh: Vec<String> = Vec::new();
        let mut params: Vec<Val> = Vec::new();
        let p = |v: Val, params: &mut Vec<Val>| {
            params.push(v);
            format!("?{}", params.len())
        };
        if let Some(a) = &f.actor {
            let k = p(Val::Text(format!("%{}%", a)), &mut params);
            wh.push(format!(
                "(r.actor {like} {k} OR EXISTS (SELECT 1 FROM actor_variants v WHERE v.actor = r.actor AND v.variant {like} {k}))"
            ));
        }
        if let Some(i) = &f.investor {
            let k = p(Val::Text(format!("%{}%", i.to_lowercase())), &mut params);
            wh.push(format!("EXISTS (SELECT 1 FROM record_investors ri WHERE ri.record_id = r.id AND lower(ri.name) LIKE {k})"));
        }
        if let Some(a) = &f.action {
            let group = crate::records::action_group(a);
            let k = p(Val::Text(group.to_string()), &mut params);
            wh.push(format!("(CASE WHEN r.action IN ('capex','spend','budget') THEN 'invest' ELSE r.action END) = {k}"));
        }
        if let Some(c) = &f.currency {
            let k = p(Val::Text(c.to_uppercase()), &mut params);
            wh.push(format!("r.currency = {k}"));
        }
        let conv = match &f.in_currency {
            Some(c) => {
                let c = c.to_uppercase();
                let known = self.conn.query_one("SELECT COUNT(*) FROM rates WHERE currency = ?1", &[c.as_str().into()])?.i64(0)? > 0;
                if !known {
                    return Err(StoreError::Invalid(format!(
                        "no exchange rate for {c} in the store; add one with `veille rates import FILE.csv`"
                    )));
                }
                let k = p(Val::Text(c), &mut params);
                Some(format!("(SELECT rc.usd FROM rates rc WHERE rc.currency = r.currency) / (SELECT ri.usd FROM rates ri WHERE ri.currency = {k})"))
            }
            None => None,
        };
        let factor = conv.clone().unwrap_or_else(|| "1.0".into());
        if let Some(m) = f.min_amount {
            let k = p(Val::Real(m), &mut params);
            wh.push(format!("r.amount_max * {factor} >= {k}"));
        }
        if let Some(m) = f.max_amount {
            let k = p(Val::Real(m), &mut params);
            wh.push(format!("r.amount_min * {factor} <= {k}"));
        }
        if let Some(d) = &f.period_from {
            let k = p(Val::Text(d.clone()), &mut params);
            wh.push(format!("r.period_end >= {k}"));
        }
        if let Some(d) = &f.period_to {
            let k = p(Val::Text(d.clone()), &mut params);
            wh.push(format!("r.period_start <= {k}"));
        }
        if let Some(l) = &f.lang {
            let k = p(Val::Text(l.to_lowercase()), &mut params);
            wh.push(format!("d.lang = {k}"));
        }
        if let Some(s) = &f.sentiment {
            let k = p(Val::Text(s.to_lowercase()), &mut params);
            wh.push(format!("r.sentiment = {k}"));
        }
        let evidence = "substr(d.text, s.start + 1, s.\"end\" - s.start)";
        if let Some(t) = &f.text {
            let k = p(Val::Text(format!("%{}%", t)), &mut params);
            wh.push(format!("{evidence} {like} {k}"));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        let sort_key = match f.sort {
            SortKey::Amount => format!("r.amount_max * {factor}"),
            SortKey::Date => "COALESCE(r.period_start, d.published)".to_string(),
        };
        // With `distinct`, one row per fact: the first of its rows in the output order (a window
        // function both dialects run the same way, where a bare GROUP BY would pick any row).
        let (rank, keep) = if f.distinct {
            (format!("ROW_NUMBER() OVER (PARTITION BY r.fact_key ORDER BY {sort_key} DESC NULLS LAST, r.id)"), "WHERE q.rank_ = 1")
        } else {
            ("1".to_string(), "")
        };
        let sources = if f.distinct {
            format!(
                "(SELECT {} FROM records r2 JOIN documents d2 ON d2.id = r2.doc_id WHERE r2.fact_key = r.fact_key)",
                dialect.concat_unit_sep("d2.path")
            )
        } else {
            "d.path".to_string()
        };
        let limit = f.limit.map(|n| format!("LIMIT {n}")).unwrap_or_default();
        let conv_sql = conv.unwrap_or_else(|| "NULL".into());
        let sql = format!(
            "SELECT * FROM (
               SELECT {RECORD_COLUMNS}, d.id AS doc_id_, d.path AS path_, d.lang AS lang_, d.published AS published_, {evidence} AS evidence_,
                      {conv_sql} AS factor_, {sources} AS sources_, {sort_key} AS sort_, r.id AS rid_, {rank} AS rank_
               FROM records r JOIN documents d ON d.id = r.doc_id
               LEFT JOIN sentences s ON s.doc_id = r.doc_id AND s.idx = r.sentence
               {where_sql}
             ) q {keep} ORDER BY q.sort_ DESC NULLS LAST, q.rid_ {limit}"
        );
        let in_cur = f.in_currency.as_ref().map(|c| c.to_uppercase());
        self.conn
            .query(&sql, &params)?
            .iter()
            .map(|row| {
                let record = record_from_row(row, 0)?;
                let b = 18;
                let converted = match (row.opt_f64(b + 5)?, &in_cur) {
                    (Some(x), Some(c)) => Some((record.amount.min.unwrap_or(0.0) * x, record.amount.max.unwrap_or(0.0) * x, c.clone())),
                    _ => None,
                };
                let mut sources: Vec<String> =
                    row.opt_text(b + 6)?.unwrap_or_default().split('\u{1f}').filter(|s| !s.is_empty()).map(str::to_string).collect();
                sources.sort();
                sources.dedup();
                Ok(RecordRow {
                    record,
                    doc_id: row.text(b)?,
                    path: row.text(b + 1)?,
                    lang: row.text(b + 2)?,
                    published: row.opt_text(b + 3)?,
                    sentence_text: row.opt_text(b + 4)?.unwrap_or_default(),
                    converted,
                    sources,
                })
            })
            .collect()
    }

    /// Exchange rates as (currency, value in USD, as-of).
    pub fn rates(&self) -> Result<Vec<(String, f64, Option<String>)>> {
        self.conn
            .query("SELECT currency, usd, as_of FROM rates ORDER BY currency", &[])?
            .iter()
            .map(|r| Ok((r.text(0)?, r.f64(1)?, r.opt_text(2)?)))
            .collect()
    }
}
