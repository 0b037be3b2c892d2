//! Reading a document at analysis time: the task heads, the inputs they read from encoder
//! features, and the reader that runs them for `veille analyze`. Training (`crate::train`) fits
//! these heads; analysis needs nothing from it.

pub mod features;
pub mod heads;
pub mod names;
pub mod reader;

/// The label sets the heads predict (the corpus is validated against the same lists).
pub const ENTITY_LABELS: &[&str] = &["ORG", "PER", "LOC", "PRODUCT", "MISC"];
pub const ROLES: &[&str] = &["invest", "raise", "revenue", "profit", "loss", "acquire", "valuation", "other"];
pub const TONES: &[&str] = &["positive", "negative", "neutral"];
pub const DOC_TONES: &[&str] = &["positive", "negative", "neutral", "mixed"];
