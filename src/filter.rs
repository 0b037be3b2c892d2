//! Record filters as users write them (`veille query` flags, `/api/records` parameters). Both the
//! command line and the HTTP API parse them here and run them with [`run`], so that the same words
//! give the same rows.

use chrono::NaiveDate;
use thiserror::Error;

use crate::store::{self, RecordFilter, RecordRow, SortKey, Store};

/// Every filter name, as written on the command line (without `--`) and in a query string.
pub const NAMES: &[&str] =
    &["actor", "investor", "action", "currency", "min", "max", "in", "from", "to", "lang", "sentiment", "text", "distinct", "sort", "limit", "offset"];

const SENTIMENTS: &[&str] = &["positive", "negative", "neutral"];

#[derive(Debug, Error, PartialEq)]
pub enum FilterError {
    #[error("unknown filter {0:?}; known filters: {names}", names = NAMES.join(", "))]
    Unknown(String),
    #[error("filter {0:?} is given twice")]
    Repeated(String),
    #[error("filter {name:?}: {value:?} is not {expected}")]
    BadValue { name: String, value: String, expected: String },
}

/// A parsed record query: the store's filter plus the rows to skip before the first one returned.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub filter: RecordFilter,
    pub offset: usize,
}

fn bad(name: &str, value: &str, expected: impl Into<String>) -> FilterError {
    FilterError::BadValue { name: name.to_string(), value: value.to_string(), expected: expected.into() }
}

fn number(name: &str, v: &str) -> Result<f64, FilterError> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| bad(name, v, "a number"))
}

fn count(name: &str, v: &str) -> Result<usize, FilterError> {
    v.trim().parse::<usize>().map_err(|_| bad(name, v, "a whole number ≥ 0"))
}

/// Resolves a user period ("2025", "2025-Q1", "2025-H2", "2025-03", "2025-03-15") to its first
/// (`end` false) or last day, as an ISO date.
pub fn period_bound(s: &str, end: bool) -> Option<String> {
    let s = s.trim();
    let (year, rest) = s.split_at(s.find('-').unwrap_or(s.len()));
    let year: i32 = year.parse().ok()?;
    let rest = rest.trim_start_matches('-').to_ascii_uppercase();
    let (m0, m1) = if rest.is_empty() {
        (1, 12)
    } else if let Some(q) = rest.strip_prefix('Q') {
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
        (q * 3 - 2, q * 3)
    } else if let Some(h) = rest.strip_prefix('H').or_else(|| rest.strip_prefix('S')) {
        let h: u32 = h.parse().ok().filter(|h| (1..=2).contains(h))?;
        (h * 6 - 5, h * 6)
    } else if rest.len() == 2 {
        let m: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
        (m, m)
    } else {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.to_string());
    };
    let d = if end {
        let first_next = if m1 == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, m1 + 1, 1) };
        first_next.and_then(|d| d.pred_opt())
    } else {
        NaiveDate::from_ymd_opt(year, m0, 1)
    };
    d.map(|d| d.to_string())
}

fn flag(name: &str, v: &str) -> Result<bool, FilterError> {
    // `?distinct` (empty value) reads as true, as the bare flag does on the command line.
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(bad(name, v, "true or false")),
    }
}

impl RecordQuery {
    /// Parses (name, value) pairs: unknown or repeated names and unreadable values are errors
    /// naming the filter. Empty values of text filters mean "no filter".
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<RecordQuery, FilterError> {
        let mut q = RecordQuery::default();
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in pairs {
            let (name, v) = (k.as_ref(), v.as_ref());
            if !NAMES.contains(&name) {
                return Err(FilterError::Unknown(name.to_string()));
            }
            if seen.iter().any(|s| s == name) {
                return Err(FilterError::Repeated(name.to_string()));
            }
            seen.push(name.to_string());
            let text = || Some(v.trim().to_string()).filter(|s| !s.is_empty());
            let f = &mut q.filter;
            match name {
                "actor" => f.actor = text(),
                "investor" => f.investor = text(),
                "action" => {
                    f.action = text();
                    if let Some(a) = &f.action {
                        if !crate::records::ACTIONS.contains(&crate::records::action_group(a)) {
                            return Err(bad(name, v, format!("one of {}", crate::records::ACTIONS.join(", "))));
                        }
                    }
                }
                "currency" => f.currency = text(),
                "in" => f.in_currency = text(),
                "lang" => f.lang = text(),
                "text" => f.text = text(),
                "sentiment" => {
                    f.sentiment = text();
                    if let Some(s) = &f.sentiment {
                        if !SENTIMENTS.contains(&s.to_lowercase().as_str()) {
                            return Err(bad(name, v, format!("one of {}", SENTIMENTS.join(", "))));
                        }
                    }
                }
                "min" => f.min_amount = text().map(|s| number(name, &s)).transpose()?,
                "max" => f.max_amount = text().map(|s| number(name, &s)).transpose()?,
                "from" | "to" => {
                    let d = match text() {
                        Some(s) => Some(period_bound(&s, name == "to").ok_or_else(|| bad(name, v, "a period: 2025, 2025-Q1, 2025-H2, 2025-03 or 2025-03-15"))?),
                        None => None,
                    };
                    if name == "from" {
                        f.period_from = d
                    } else {
                        f.period_to = d
                    }
                }
                "distinct" => f.distinct = flag(name, v)?,
                "sort" => {
                    f.sort = match v.trim().to_ascii_lowercase().as_str() {
                        "" | "amount" => SortKey::Amount,
                        "date" => SortKey::Date,
                        _ => return Err(bad(name, v, "amount or date")),
                    }
                }
                "limit" => f.limit = text().map(|s| count(name, &s)).transpose()?,
                "offset" => q.offset = text().map(|s| count(name, &s)).transpose()?.unwrap_or(0),
                _ => unreachable!("every name of NAMES is handled above"),
            }
        }
        Ok(q)
    }
}

/// Runs a parsed query: the store's rows after `offset`, at most `limit` of them.
pub fn run(store: &Store, q: &RecordQuery) -> store::Result<Vec<RecordRow>> {
    let mut f = q.filter.clone();
    // The store has no offset: ask it for offset + limit rows and skip the first ones.
    f.limit = f.limit.map(|l| l.saturating_add(q.offset));
    Ok(store.query_records(&f)?.into_iter().skip(q.offset).collect())
}

/// One row as JSON: the contract's record plus where it comes from and its evidence sentence.
pub fn row_json(r: &RecordRow, distinct: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(&r.record).unwrap_or_default();
    v["doc_id"] = r.doc_id.clone().into();
    v["path"] = r.path.clone().into();
    v["lang"] = r.lang.clone().into();
    v["published"] = r.published.clone().into();
    v["evidence"] = r.sentence_text.clone().into();
    if let Some((mn, mx, c)) = &r.converted {
        v["converted"] = serde_json::json!({"min": mn, "max": mx, "currency": c});
    }
    if distinct {
        v["sources"] = r.sources.clone().into();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_bounds() {
        assert_eq!(period_bound("2025", false).unwrap(), "2025-01-01");
        assert_eq!(period_bound("2025", true).unwrap(), "2025-12-31");
        assert_eq!(period_bound("2024-Q1", true).unwrap(), "2024-03-31");
        assert_eq!(period_bound("2025-H2", false).unwrap(), "2025-07-01");
        assert_eq!(period_bound("2024-02", true).unwrap(), "2024-02-29");
        assert_eq!(period_bound("2025-03-15", true).unwrap(), "2025-03-15");
        assert!(period_bound("soon", true).is_none());
    }

    #[test]
    fn pairs_parse_into_the_store_filter() {
        let q = RecordQuery::from_pairs([("actor", "Meta"), ("action", "raise"), ("min", "1e6"), ("from", "2025-Q2"), ("distinct", ""), ("sort", "date"), ("limit", "5"), ("offset", "2")])
            .unwrap();
        assert_eq!(q.filter.actor.as_deref(), Some("Meta"));
        assert_eq!(q.filter.action.as_deref(), Some("raise"));
        assert_eq!(q.filter.min_amount, Some(1e6));
        assert_eq!(q.filter.period_from.as_deref(), Some("2025-04-01"));
        assert!(q.filter.distinct);
        assert_eq!(q.filter.sort, SortKey::Date);
        assert_eq!((q.filter.limit, q.offset), (Some(5), 2));
    }

    #[test]
    fn bad_filters_are_named() {
        let e = |pairs: &[(&str, &str)]| RecordQuery::from_pairs(pairs.iter().copied()).unwrap_err().to_string();
        assert!(e(&[("acteur", "x")]).contains("unknown filter \"acteur\""));
        assert!(e(&[("min", "lots")]).contains("\"min\": \"lots\" is not a number"));
        assert!(e(&[("min", "NaN")]).contains("\"min\""));
        assert!(e(&[("limit", "-1")]).contains("\"limit\""));
        assert!(e(&[("action", "steal")]).contains("\"action\""));
        assert!(e(&[("sentiment", "happy")]).contains("\"sentiment\""));
        assert!(e(&[("from", "soon")]).contains("\"from\""));
        assert!(e(&[("sort", "size")]).contains("\"sort\""));
        assert!(e(&[("actor", "a"), ("actor", "b")]).contains("twice"));
    }

    #[test]
    fn empty_text_values_mean_no_filter() {
        let q = RecordQuery::from_pairs([("actor", ""), ("min", " "), ("from", "")]).unwrap();
        assert!(q.filter.actor.is_none() && q.filter.min_amount.is_none() && q.filter.period_from.is_none());
    }
}
