//! The one error type of the model layer.
use std::path::PathBuf;

/// Everything that can go wrong while finding, loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file is not where it should be.
    #[error("model file missing: {path} — {hint}")]
    MissingFile { path: PathBuf, hint: String },
    /// A file exists but cannot be understood.
    #[error("bad model file {path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    /// config.json names an architecture this crate does not run.
    #[error("unsupported architecture {0:?} (supported: bert, xlm-roberta, camembert, roberta, distilbert, deberta-v2)")]
    UnsupportedArch(String),
    /// A device string that does not parse, or a device that this build cannot use.
    #[error("device error: {0}")]
    Device(String),
    /// The Hugging Face hub could not give a file.
    #[error("hub error for {repo}: {reason}")]
    Hub { repo: String, reason: String },
    /// The tokenizer failed.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("i/o error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("json error in {path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    /// Anything else (bad arguments, fetch script failure...).
    #[error("{0}")]
    Other(String),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io { path: path.into(), source }
    }
    pub(crate) fn missing_fetch(path: impl Into<PathBuf>) -> Self {
        ModelError::MissingFile {
            path: path.into(),
            hint: "run `models/fetch` (or `veille models fetch`) to install the offline base encoder".into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, ModelError>;
