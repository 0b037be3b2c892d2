//! The output contract of DESIGN.md: one JSON object per document. The store writes these
//! shapes and reads them back; export and query print them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceOut {
    pub start: usize,
    pub end: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityOut {
    pub text: String,
    pub label: String,
    pub start: usize,
    pub end: usize,
    /// Producers without confidences (a rule, a baseline) may write null; it reads as 0.
    #[serde(default, deserialize_with = "null_as_zero")]
    pub score: f64,
    #[serde(default)]
    pub sentence: usize,
}

fn null_as_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(0.0))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodOut {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub start: String,
    pub end: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    /// True when the period did not come from the record's own sentence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureOut {
    pub text: String,
    pub kind: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
    pub approx: bool,
    pub start: usize,
    pub end: usize,
    pub sentence: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodOut>,
    /// For money: what the amount is (invest, raise, revenue, ...), from the role head or rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub currency: Option<String>,
    pub approx: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedFigure {
    pub text: String,
    pub kind: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
    /// "growth", "count", "earlier", "other"
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordOut {
    pub actor: String,
    pub action: String,
    pub amount: Amount,
    pub target: Option<String>,
    pub period: Option<PeriodOut>,
    pub sentiment: String,
    pub confidence: f64,
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
    /// Who put the money in beside the actor: the investors of a round ("auprès de Coatue et
    /// Temasek", "led by Thrive Capital"), the lenders of a loan. Empty when the text names none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub investors: Vec<String>,
    /// True for an amount the text expects rather than reports: a guidance, an objective, a
    /// forecast ("prévoit", "expects", "erwartet", "prevé").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forecast: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actor_variants: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedFigure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentOut {
    #[serde(default)]
    pub doc_id: String,
    pub path: String,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub sentiment: Option<Sentiment>,
    #[serde(default)]
    pub entities: Vec<EntityOut>,
    #[serde(default)]
    pub figures: Vec<FigureOut>,
    #[serde(default)]
    pub records: Vec<RecordOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<SentenceOut>,
}
