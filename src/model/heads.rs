//! Heads: small linear layers over encoder vectors (trained by `veille train`), and Hugging Face
//! token / sequence classifiers that return labelled char spans and labels with scores.
use super::arch::HfHead;
use super::device::DeviceChoice;
use super::engine::{Aggregation, DocEncoding, Engine, EngineOptions};
use super::error::{ModelError, Result};
use super::loader::{self, ModelSource};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// A linear head `logits = W x + b` with label names. Stored as safetensors (`weight` (L, H),
/// `bias` (L)) plus a JSON array of labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// (labels x input) row-major.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub labels: Vec<String>,
    pub input: usize,
}

/// A prediction: label index, label, probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub index: usize,
    pub label: String,
    pub score: f32,
}

fn softmax(v: &mut [f32]) {
    let m = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    v.iter_mut().for_each(|x| *x /= s);
}

fn best(p: &[f32], labels: &[String]) -> Scored {
    let (i, s) = p.iter().enumerate().fold((0, f32::MIN), |a, (i, &x)| if x > a.1 { (i, x) } else { a });
    Scored { index: i, label: labels.get(i).cloned().unwrap_or_default(), score: s }
}

impl Head {
    pub fn new(weight: Vec<f32>, bias: Vec<f32>, labels: Vec<String>) -> Result<Head> {
        let l = labels.len();
        if l == 0 || bias.len() != l || weight.len() % l != 0 {
            return Err(ModelError::Other(format!("head shapes disagree: {} weights, {} biases, {l} labels", weight.len(), bias.len())));
        }
        Ok(Head { input: weight.len() / l, weight, bias, labels })
    }

    /// Load `weights` (safetensors with `weight` and `bias`) and `labels` (JSON array of strings).
    pub fn load(weights: &Path, labels: &Path) -> Result<Head> {
        if !weights.exists() {
            return Err(ModelError::MissingFile { path: weights.into(), hint: "head weights not found (train them with `veille train`)".into() });
        }
        let t = candle_core::safetensors::load(weights, &Device::Cpu)?;
        let get = |n: &str| -> Result<Vec<f32>> {
            let x = t.get(n).ok_or_else(|| ModelError::BadFile { path: weights.into(), reason: format!("no tensor {n:?}") })?;
            Ok(x.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?)
        };
        let lab: Vec<String> = serde_json::from_value(loader::read_json(labels)?)
            .map_err(|e| ModelError::Json { path: labels.into(), source: e })?;
        Head::new(get("weight")?, get("bias")?, lab)
    }

    /// Write the head (see [`Head::load`]).
    pub fn save(&self, weights: &Path, labels: &Path) -> Result<()> {
        let l = self.labels.len();
        let mut m = HashMap::new();
        m.insert("weight".to_string(), Tensor::from_slice(&self.weight, (l, self.input), &Device::Cpu)?);
        m.insert("bias".to_string(), Tensor::from_slice(&self.bias, l, &Device::Cpu)?);
        candle_core::safetensors::save(&m, weights)?;
        let j = serde_json::to_string_pretty(&self.labels).unwrap();
        std::fs::write(labels, j).map_err(|e| ModelError::io(labels, e))
    }

    pub fn logits(&self, x: &[f32]) -> Vec<f32> {
        (0..self.labels.len())
            .map(|l| self.bias[l] + self.weight[l * self.input..(l + 1) * self.input].iter().zip(x).map(|(w, v)| w * v).sum::<f32>())
            .collect()
    }
    pub fn probs(&self, x: &[f32]) -> Vec<f32> {
        let mut v = self.logits(x);
        softmax(&mut v);
        v
    }
    pub fn predict(&self, x: &[f32]) -> Scored {
        best(&self.probs(x), &self.labels)
    }
}

/// A labelled span of text.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub score: f32,
    pub text: String,
}

/// Per-word probabilities → entity spans. Tags `B-X`, `I-X`, `E-X`, `S-X`, `X` and `O`; a new
/// span starts at `B-`/`S-` or a change of type.
pub fn group_entities(text: &str, words: &[(usize, usize)], word_probs: &[Vec<f32>], labels: &[String]) -> Vec<LabelledSpan> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<LabelledSpan> = Vec::new();
    let mut cur: Option<(usize, usize, String, Vec<f32>)> = None;
    let close = |cur: &mut Option<(usize, usize, String, Vec<f32>)>, out: &mut Vec<LabelledSpan>| {
        if let Some((a, b, l, s)) = cur.take() {
            let score = s.iter().sum::<f32>() / s.len() as f32;
            out.push(LabelledSpan { start: a, end: b, label: l, score, text: chars[a..b].iter().collect() });
        }
    };
    for (&(a, b), p) in words.iter().zip(word_probs) {
        let sc = best(p, labels);
        let tag = sc.label.as_str();
        if tag == "O" || tag.is_empty() {
            close(&mut cur, &mut out);
            continue;
        }
        let (prefix, ty) = match tag.split_once('-') {
            Some((p, t)) if p.len() == 1 => (p, t.to_string()),
            _ => ("I", tag.to_string()),
        };
        let cont = matches!(&cur, Some((_, _, l, _)) if *l == ty) && !(prefix == "B" || prefix == "S");
        if cont {
            let c = cur.as_mut().unwrap();
            c.1 = b;
            c.3.push(sc.score);
        } else {
            close(&mut cur, &mut out);
            cur = Some((a, b, ty, vec![sc.score]));
        }
        if prefix == "E" || prefix == "S" {
            close(&mut cur, &mut out);
        }
    }
    close(&mut cur, &mut out);
    out
}

/// A Hugging Face `*ForTokenClassification` checkpoint (NER).
pub struct TokenClassifier {
    pub engine: Engine,
    pub head: HfHead,
    pub aggregation: Aggregation,
}

impl TokenClassifier {
    pub fn load(source: &ModelSource, device: DeviceChoice, opts: EngineOptions) -> Result<Self> {
        let l = loader::load(source, device, opts)?;
        let head = loader::token_head(&l)?;
        Ok(TokenClassifier { engine: l.engine, head, aggregation: Aggregation::First })
    }

    pub fn labels(&self) -> &[String] {
        &self.head.labels
    }

    /// Per-word label probabilities of an encoded document (aggregated as configured).
    pub fn word_probs(&self, enc: &DocEncoding) -> Result<Vec<Vec<f32>>> {
        if enc.tokens.is_empty() {
            return Ok(vec![]);
        }
        let probs = super::arch::softmax_rows(&self.head.logits(&enc.tensor()?)?)?;
        Ok(enc
            .words
            .iter()
            .map(|w| match self.aggregation {
                Aggregation::First => probs[w.tokens[0]].clone(),
                Aggregation::Average => {
                    let mut acc = vec![0f32; self.head.labels.len()];
                    for &t in &w.tokens {
                        acc.iter_mut().zip(&probs[t]).for_each(|(a, p)| *a += p);
                    }
                    acc.iter_mut().for_each(|a| *a /= w.tokens.len() as f32);
                    acc
                }
            })
            .collect())
    }

    /// Labelled entity spans (char offsets) of `text`.
    pub fn predict(&self, text: &str, sentences: &[(usize, usize)]) -> Result<Vec<LabelledSpan>> {
        let enc = self.engine.encode_document(text, sentences)?;
        let wp = self.word_probs(&enc)?;
        let words: Vec<(usize, usize)> = enc.words.iter().map(|w| (w.start, w.end)).collect();
        Ok(group_entities(text, &words, &wp, &self.head.labels))
    }
}

/// A Hugging Face `*ForSequenceClassification` checkpoint (e.g. sentiment).
pub struct SequenceClassifier {
    pub engine: Engine,
    pub head: HfHead,
}

impl SequenceClassifier {
    pub fn load(source: &ModelSource, device: DeviceChoice, opts: EngineOptions) -> Result<Self> {
        let l = loader::load(source, device, opts)?;
        let head = loader::sequence_head(&l)?;
        Ok(SequenceClassifier { engine: l.engine, head })
    }

    pub fn labels(&self) -> &[String] {
        &self.head.labels
    }

    /// Label probabilities per text (texts longer than the window: mean over windows).
    pub fn probs(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let firsts = self.engine.first_token_vectors(texts)?;
        let mut out = Vec::with_capacity(texts.len());
        for wins in firsts {
            let n = wins.len();
            let flat: Vec<f32> = wins.concat();
            let x = Tensor::from_vec(flat, (n, self.engine.hidden), &Device::Cpu)?;
            let p = super::arch::softmax_rows(&self.head.logits(&x)?)?;
            let mut acc = vec![0f32; self.head.labels.len()];
            for r in &p {
                acc.iter_mut().zip(r).for_each(|(a, v)| *a += v / n as f32);
            }
            out.push(acc);
        }
        Ok(out)
    }

    /// Best label per text.
    pub fn classify(&self, texts: &[&str]) -> Result<Vec<Scored>> {
        Ok(self.probs(texts)?.iter().map(|p| best(p, &self.head.labels)).collect())
    }
}
