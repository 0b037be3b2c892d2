//! Training material and fine-tuning of the task heads that read encoder features.

pub mod adapt;
pub mod corpus;
pub mod fit;

// The heads and their inputs live in `crate::reading` (analysis uses them without training);
// these paths stay so that code written against them keeps building.
pub use crate::reading::{features, heads, reader};
