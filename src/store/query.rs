//! `veille query`: record filters translated to one parameterised SQL statement.

use rusqlite::types::Value;

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
        let mut wh: Vec<String> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let p = |v: Value, params: &mut Vec<Value>| {
            params.push(v);
            format!("?{}", params.len())
        };
        if let Some(a) = &f.actor {
            let k = p(Value::Text(format!("%{}%", a)), &mut params);
            wh.push(format!(
                "(r.actor LIKE {k} OR EXISTS (SELECT 1 FROM actor_variants v WHERE v.actor = r.actor AND v.variant LIKE {k}))"
            ));
        }
        if let Some(i) = &f.investor {
            let k = p(Value::Text(format!("%{}%", i.to_lowercase())), &mut params);
            wh.push(format!("EXISTS (SELECT 1 FROM record_investors ri WHERE ri.record_id = r.id AND lower(ri.name) LIKE {k})"));
        }
        if let Some(a) = &f.action {
            let group = crate::records::action_group(a);
            let k = p(Value::Text(group.to_string()), &mut params);
            wh.push(format!("(CASE WHEN r.action IN ('capex','spend','budget') THEN 'invest' ELSE r.action END) = {k}"));
        }
        if let Some(c) = &f.currency {
            let k = p(Value::Text(c.to_uppercase()), &mut params);
            wh.push(format!("r.currency = {k}"));
        }
        let conv = match &f.in_currency {
            Some(c) => {
                let c = c.to_uppercase();
                let known: bool = self.conn.query_row("SELECT COUNT(*) FROM rates WHERE currency = ?1", [&c], |r| r.get::<_, i64>(0))? > 0;
                if !known {
                    return Err(StoreError::Invalid(format!(
                        "no exchange rate for {c} in the store; add one with `veille rates import FILE.csv`"
                    )));
                }
                let k = p(Value::Text(c), &mut params);
                Some(format!("(SELECT rc.usd FROM rates rc WHERE rc.currency = r.currency) / (SELECT ri.usd FROM rates ri WHERE ri.currency = {k})"))
            }
            None => None,
        };
        let factor = conv.clone().unwrap_or_else(|| "1.0".into());
        if let Some(m) = f.min_amount {
            let k = p(Value::Real(m), &mut params);
            wh.push(format!("r.amount_max * {factor} >= {k}"));
        }
        if let Some(m) = f.max_amount {
            let k = p(Value::Real(m), &mut params);
            wh.push(format!("r.amount_min * {factor} <= {k}"));
        }
        if let Some(d) = &f.period_from {
            let k = p(Value::Text(d.clone()), &mut params);
            wh.push(format!("r.period_end >= {k}"));
        }
        if let Some(d) = &f.period_to {
            let k = p(Value::Text(d.clone()), &mut params);
            wh.push(format!("r.period_start <= {k}"));
        }
        if let Some(l) = &f.lang {
            let k = p(Value::Text(l.to_lowercase()), &mut params);
            wh.push(format!("d.lang = {k}"));
        }
        if let Some(s) = &f.sentiment {
            let k = p(Value::Text(s.to_lowercase()), &mut params);
            wh.push(format!("r.sentiment = {k}"));
        }
        if let Some(t) = &f.text {
            let k = p(Value::Text(format!("%{}%", t)), &mut params);
            wh.push(format!("substr(d.text, s.start + 1, s.end - s.start) LIKE {k}"));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        let order = match f.sort {
            SortKey::Amount => format!("r.amount_max * {factor} DESC NULLS LAST, r.id"),
            SortKey::Date => "COALESCE(r.period_start, d.published) DESC NULLS LAST, r.id".to_string(),
        };
        let group = if f.distinct { "GROUP BY r.fact_key" } else { "" };
        let sources = if f.distinct {
            "(SELECT group_concat(d2.path, char(31)) FROM records r2 JOIN documents d2 ON d2.id = r2.doc_id WHERE r2.fact_key = r.fact_key)"
        } else {
            "d.path"
        };
        let limit = f.limit.map(|n| format!("LIMIT {n}")).unwrap_or_default();
        let conv_sql = conv.unwrap_or_else(|| "NULL".into());
        let sql = format!(
            "SELECT {RECORD_COLUMNS}, d.id, d.path, d.lang, d.published, substr(d.text, s.start + 1, s.end - s.start), {conv_sql}, {sources}
             FROM records r JOIN documents d ON d.id = r.doc_id
             LEFT JOIN sentences s ON s.doc_id = r.doc_id AND s.idx = r.sentence
             {where_sql} {group} ORDER BY {order} {limit}"
        );
        let mut st = self.conn.prepare(&sql)?;
        let in_cur = f.in_currency.as_ref().map(|c| c.to_uppercase());
        let rows = st
            .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                let record = record_from_row(row, 0)?;
                let b = 18;
                let factor: Option<f64> = row.get(b + 5)?;
                let converted = match (factor, &in_cur) {
                    (Some(x), Some(c)) => Some((record.amount.min.unwrap_or(0.0) * x, record.amount.max.unwrap_or(0.0) * x, c.clone())),
                    _ => None,
                };
                let sources: Option<String> = row.get(b + 6)?;
                let mut sources: Vec<String> = sources.unwrap_or_default().split('\u{1f}').filter(|s| !s.is_empty()).map(str::to_string).collect();
                sources.sort();
                sources.dedup();
                Ok(RecordRow {
                    record,
                    doc_id: row.get(b)?,
                    path: row.get(b + 1)?,
                    lang: row.get(b + 2)?,
                    published: row.get(b + 3)?,
                    sentence_text: row.get::<_, Option<String>>(b + 4)?.unwrap_or_default(),
                    converted,
                    sources,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Exchange rates as (currency, value in USD, as-of).
    pub fn rates(&self) -> Result<Vec<(String, f64, Option<String>)>> {
        let mut st = self.conn.prepare("SELECT currency, usd, as_of FROM rates ORDER BY currency")?;
        let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}
