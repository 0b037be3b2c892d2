//! The numeric grammar: finds figures in text and returns exact values.
//!
//! Contract (used by `records`, `store` and the export):
//! - `extract(text, &Context)` returns every figure in `text`, sorted by `start`, non-overlapping.
//! - `start`/`end` are character offsets (Unicode scalar values) into `text`, end exclusive;
//!   `text[start..end]` (in chars) equals `Figure::text`.
//! - `min <= max` whenever both are set; periods have `min`/`max` = None and `period` = Some.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::lang::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureKind {
    Money,
    Percent,
    Count,
    Period,
    Number,
}

/// Which side of the value a bound phrase points to ("plus de" = Above, "jusqu'à" = Below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    Above,
    Below,
    Around,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// "year", "quarter", "half", "month", "day", "range"
    pub granularity: String,
    /// Resolved from a relative form ("l'an prochain") against the publication date.
    pub relative: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub text: String,
    pub kind: FigureKind,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// ISO 4217 for money, "%" or "pp" for percent, the counted noun (singular) for count.
    pub unit: Option<String>,
    pub approx: bool,
    pub bound: Option<Bound>,
    pub start: usize,
    pub end: usize,
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Default)]
pub struct Context {
    pub lang: Lang,
    /// Publication date, for relative periods ("cette année", "next year").
    pub published: Option<NaiveDate>,
}

pub fn extract(text: &str, ctx: &Context) -> Vec<Figure> {
    let _ = (text, ctx);
    Vec::new()
}
