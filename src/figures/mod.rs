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

/// Rounds to 15 significant digits: "4,23 milliards" is 4.23 × 10⁹ computed in binary
/// floating point (4230000000.0000005); the text states 4230000000 exactly.
pub fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let mag = 10f64.powi(15 - v.abs().log10().ceil() as i32);
    if !mag.is_finite() || mag == 0.0 {
        return v;
    }
    let r = (v * mag).round() / mag;
    if r.is_finite() { r } else { v }
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
        // A line break ends a sentence (titles, list items): a figure read across one joins words
        // of two sentences ("2025/26\nde janvier" read as a date).
        if t.contains('\n') {
            continue;
        }
        let start = to_char(bs);
        let end = to_char(be);
        out.push(Figure {
            text: t.to_string(),
            kind: r.kind,
            min: r.min.map(tidy),
            max: r.max.map(tidy),
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

#[cfg(test)]
mod tidy_tests {
    use super::*;

    /// Regression (found by the long `pipeline_offsets` property run, 127 842 cases in): a figure
    /// spanned a line break and so lay in two sentences.
    #[test]
    fn figure_never_spans_a_line_break() {
        for t in ["2025/26\nde janvier ", "Titre 26\nde janvier 2025", "12\nmillions d'euros"] {
            let f = extract(t, &Context::default());
            assert!(f.iter().all(|f| !f.text.contains('\n')), "{t:?}: {f:?}");
        }
    }

    #[test]
    fn decimal_scales_give_the_stated_value_exactly() {
        let f = extract("Le bénéfice atteint 4,23 milliards d'euros et 36,46 milliards de dollars.", &Context::default());
        assert_eq!(f[0].min, Some(4_230_000_000.0));
        assert_eq!(f[1].min, Some(36_460_000_000.0));
        assert_eq!(tidy(0.1 + 0.2), 0.3);
        assert_eq!(tidy(-13.81), -13.81);
    }
}
