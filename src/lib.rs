//! veille: folders of news articles in, structured investment records out.

pub mod cli;
pub mod eval;
pub mod figures;
pub mod filter;
pub mod ingest;
pub mod lang;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod reading;
pub mod records;
pub mod serve;
pub mod store;
pub mod stream;
pub mod text;
pub mod train;
