//! Training material and (with the model) fine-tuning of the task heads.

pub mod corpus;
