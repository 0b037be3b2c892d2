//! Training material and fine-tuning of the task heads that read encoder features.

pub mod adapt;
pub mod corpus;
pub mod features;
pub mod fit;
pub mod heads;
pub mod reader;
