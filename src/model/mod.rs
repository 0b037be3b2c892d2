//! The transformer engine: loading weights (hub, local folder, packaged e5), tokenizer,
//! chunking and batching, the encoder, heads, device choice.
//!
//! # Use from the pipeline
//!
//! ```no_run
//! use veille::model::{Engine, ModelSource, DeviceChoice, Head};
//! let engine = Engine::load(&ModelSource::base(), "auto".parse::<DeviceChoice>()?)?;
//! let text = "Meta investira 65 milliards de dollars. L'action a pris 3 %.";
//! let sentences = [(0, 39), (40, 61)];               // char spans from `text` segmentation
//! let doc = engine.encode_document(text, &sentences)?;  // one encoder pass per chunk
//! let per_sentence = doc.sentence_vectors();            // tone / event-type heads
//! let words = &doc.words;                               // word char spans + their tokens
//! let word_vecs = doc.word_vectors(Default::default()); // entity / figure BIO heads
//! let figure = doc.span_vector(15, 38);                 // figure-role head
//! let emb = engine.embed(&["query: investissement IA"])?; // e5 embeddings (mean-pooled)
//! # Ok::<(), veille::model::ModelError>(())
//! ```
//!
//! * [`Engine::load`]`(&ModelSource, DeviceChoice) -> Result<Engine, ModelError>`;
//!   [`Engine::load_with`] adds [`EngineOptions`] (window `max_tokens` = 256 by default,
//!   `overlap`, `token_budget`, `max_batch`, [`Precision`]: f32/f16/bf16/Q8_0/Q4_0).
//! * [`Engine::encode_document`]`(text, &[(start, end)]) -> DocEncoding` and
//!   [`Engine::encode_documents`] (batches shared across documents). Offsets are chars.
//! * [`DocEncoding`]: `tokens` (id, char span, sentence), `vectors` (f32, n x hidden),
//!   `words`, `sentence_vectors()`, `span_vector(start, end)`, `word_vectors(Aggregation)`.
//! * [`Engine::embed`]`(&[&str]) -> Vec<Vec<f32>>`: mean pooling incl. specials (e5 style;
//!   the "query: "/"passage: " prefix is the caller's), not normalised ([`l2_normalize`]).
//! * [`Head`]: `{weight, bias, labels}` from a safetensors file + labels JSON; `predict(&[f32])`.
//! * [`TokenClassifier`] / [`SequenceClassifier`]: Hugging Face checkpoints of BERT,
//!   XLM-RoBERTa/CamemBERT, DistilBERT, DeBERTa-v2; `predict(text, sentences) ->
//!   Vec<LabelledSpan>`, `classify(&[&str]) -> Vec<Scored>`.
//! * Layer split for training: [`BertEncoder::embed`] then [`BertEncoder::forward_layers`]
//!   with any layer range (`Encoder::Bert(b)` in `engine.encoder`).
//! * [`registry`]: `list_models`, `list_report`, `fetch_packaged` for `veille models`.
//! * [`bench`]: `run_bench` for `veille bench`.
#[cfg(target_arch = "x86_64")]
mod amx;
pub mod arch;
pub mod attention;
#[cfg(target_arch = "x86_64")]
mod attention_bf16;
pub mod bench;
pub mod bert;
pub mod device;
pub mod e5s1;
pub mod engine;
pub mod error;
pub mod f32gemm;
pub mod heads;
pub mod int8;
pub mod loader;
pub mod lora;
pub mod ops;
pub mod registry;
pub mod text;

pub use arch::{Arch, Encoder};
pub use bert::{BertConfig, BertEncoder, Precision};
pub use device::DeviceChoice;
pub use engine::{cosine, l2_normalize, Aggregation, DocEncoding, Engine, EngineOptions, TokenSpan, Word};
pub use error::ModelError;
pub use heads::{Head, LabelledSpan, Scored, SequenceClassifier, TokenClassifier};
pub use loader::{packaged_dir, ModelSource};
pub use lora::LoraAdapter;
pub use engine::{CachedChunk, Chunk};
