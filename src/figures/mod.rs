//! The numeric grammar: finds figures in text and returns exact values.
//!
//! Contract (used by `records`, `store` and the export):
//! - `extract(text, &Context)` returns every figure in `text`, sorted by `start`, non-overlapping.
//! - `start`/`end` are character offsets (Unicode scalar values) into `text`, end exclusive;
//!   `text[start..end]` (in chars) equals `Figure::text`.
//! - `min <= max` whenever both are set; periods have `min`/`max` = None and `period` = Some.

mod currency;
mod grammar;
mod lex;
mod lexicon;
mod numbers;
mod period;
mod quantity;
#[cfg(test)]
mod tests;

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
    let toks = lex::tokenize(text, ctx.lang);
    let g = grammar::G::new(text, &toks, ctx);
    let raws = grammar::scan(&g);
    // Byte spans to char offsets in one forward walk (figures are sorted).
    let mut out = Vec::with_capacity(raws.len());
    let mut byte = 0usize;
    let mut chars = 0usize;
    let mut to_char = |b: usize| -> usize {
        if b >= byte {
            chars += text.get(byte..b).map_or(0, |s| s.chars().count());
        } else {
            chars -= text.get(b..byte).map_or(0, |s| s.chars().count());
        }
        byte = b;
        chars
    };
    for r in raws {
        if r.e <= r.s || r.e > toks.len() {
            continue;
        }
        let (bs, be) = (toks[r.s].s, toks[r.e - 1].e);
        let Some(t) = text.get(bs..be) else { continue };
        let start = to_char(bs);
        let end = to_char(be);
        out.push(Figure {
            text: t.to_string(),
            kind: r.kind,
            min: r.min,
            max: r.max,
            unit: r.unit,
            approx: r.approx,
            bound: r.bound,
            start,
            end,
            period: r.period,
        });
    }
    out
}
