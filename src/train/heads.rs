//! The task heads that read encoder features: a BIO token tagger (entities), a figure-role
//! classifier and a sentence-tone classifier. Small MLPs, saved as one safetensors file plus a
//! JSON label file; they need no second encoder pass.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var, D};
use serde::{Deserialize, Serialize};

use super::features::{ROLE_CUE_DIMS, TONE_CUE_DIMS};

/// One hidden layer MLP: `gelu(x W1ᵀ + b1) W2ᵀ + b2`.
pub struct Mlp {
    pub w1: Var,
    pub b1: Var,
    pub w2: Var,
    pub b2: Var,
}

/// A tiny deterministic generator: training must be reproducible from a seed, and candle's CPU
/// random functions are not seedable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn init(rng: &mut Rng, rows: usize, cols: usize, dev: &Device) -> candle_core::Result<Var> {
    // Uniform ±1/sqrt(fan_in), as torch.nn.Linear does.
    let bound = 1.0 / (cols as f32).sqrt();
    let data: Vec<f32> = (0..rows * cols).map(|_| (rng.uniform() * 2.0 - 1.0) * bound).collect();
    Var::from_tensor(&Tensor::from_vec(data, (rows, cols), dev)?)
}

impl Mlp {
    pub fn new(rng: &mut Rng, input: usize, hidden: usize, out: usize, dev: &Device) -> candle_core::Result<Mlp> {
        Ok(Mlp {
            w1: init(rng, hidden, input, dev)?,
            b1: Var::zeros(hidden, DType::F32, dev)?,
            w2: init(rng, out, hidden, dev)?,
            b2: Var::zeros(out, DType::F32, dev)?,
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = x.matmul(&self.w1.as_tensor().t()?)?.broadcast_add(self.b1.as_tensor())?.gelu_erf()?;
        h.matmul(&self.w2.as_tensor().t()?)?.broadcast_add(self.b2.as_tensor())
    }

    pub fn vars(&self) -> Vec<Var> {
        vec![self.w1.clone(), self.b1.clone(), self.w2.clone(), self.b2.clone()]
    }

    /// A copy of the current weights (for keeping the best epoch).
    pub fn snapshot(&self) -> candle_core::Result<Vec<Tensor>> {
        self.vars().iter().map(|v| v.as_tensor().copy()).collect()
    }

    pub fn restore(&self, snap: &[Tensor]) -> candle_core::Result<()> {
        for (v, t) in self.vars().iter().zip(snap) {
            v.set(t)?;
        }
        Ok(())
    }

    fn save_into(&self, prefix: &str, out: &mut HashMap<String, Tensor>) {
        for (n, v) in [("w1", &self.w1), ("b1", &self.b1), ("w2", &self.w2), ("b2", &self.b2)] {
            out.insert(format!("{prefix}.{n}"), v.as_tensor().clone());
        }
    }

    fn load_from(prefix: &str, t: &HashMap<String, Tensor>) -> Result<Mlp, String> {
        let get = |n: &str| {
            t.get(&format!("{prefix}.{n}"))
                .ok_or_else(|| format!("head weights lack {prefix}.{n}"))
                .and_then(|x| Var::from_tensor(x).map_err(|e| e.to_string()))
        };
        Ok(Mlp { w1: get("w1")?, b1: get("b1")?, w2: get("w2")?, b2: get("b2")? })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadLabels {
    pub tags: Vec<String>,
    pub roles: Vec<String>,
    pub tones: Vec<String>,
    /// Encoder dimension the heads were trained on.
    pub dim: usize,
    /// How sentence tones add up to a document tone, fitted on the corpus.
    #[serde(default)]
    pub doc_tone: Option<crate::records::DocToneRule>,
    /// Free-form provenance: corpus, settings, scores.
    #[serde(default)]
    pub card: serde_json::Value,
    /// The encoder adapter the heads were trained on top of (its tensors sit in heads.safetensors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<AdapterMeta>,
}

/// Shape of the LoRA adapter shipped with the heads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AdapterMeta {
    pub rank: usize,
    pub alpha: f64,
    /// Encoder layers (0-based) that carry updates.
    pub layers: Vec<usize>,
}

pub struct TaskHeads {
    pub tagger: Mlp,
    pub role: Mlp,
    pub tone: Mlp,
    pub labels: HeadLabels,
    /// Low-rank updates of the encoder the heads read; merged into it before reading.
    pub adapter: Option<crate::model::LoraAdapter>,
}

pub fn tag_labels() -> Vec<String> {
    let mut v = vec!["O".to_string()];
    for l in crate::train::corpus::ENTITY_LABELS {
        v.push(format!("B-{l}"));
        v.push(format!("I-{l}"));
    }
    v
}

/// Softmax rows → (argmax, probability) per row.
pub fn argmax_rows(logits: &Tensor) -> candle_core::Result<Vec<(usize, f32)>> {
    let p = candle_nn::ops::softmax(logits, D::Minus1)?;
    let rows: Vec<Vec<f32>> = p.to_vec2()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.iter().enumerate().fold((0, f32::MIN), |best, (i, &x)| if x > best.1 { (i, x) } else { best })
        })
        .collect())
}

impl TaskHeads {
    pub fn new(seed: u64, dim: usize, dev: &Device) -> candle_core::Result<TaskHeads> {
        let mut rng = Rng::new(seed);
        let labels = HeadLabels {
            tags: tag_labels(),
            roles: crate::train::corpus::ROLES.iter().map(|s| s.to_string()).collect(),
            tones: crate::train::corpus::TONES.iter().map(|s| s.to_string()).collect(),
            dim,
            doc_tone: None,
            card: serde_json::Value::Null,
            adapter: None,
        };
        Ok(TaskHeads {
            tagger: Mlp::new(&mut rng, dim * 3, 256, labels.tags.len(), dev)?,
            role: Mlp::new(&mut rng, dim * 3 + ROLE_CUE_DIMS, 128, labels.roles.len(), dev)?,
            tone: Mlp::new(&mut rng, dim * 2 + TONE_CUE_DIMS, 128, labels.tones.len(), dev)?,
            labels,
            adapter: None,
        })
    }

    /// Writes `heads.safetensors` and `heads.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut t = HashMap::new();
        self.tagger.save_into("tagger", &mut t);
        self.role.save_into("role", &mut t);
        self.tone.save_into("tone", &mut t);
        if let Some(a) = &self.adapter {
            a.to_tensors(&mut t);
        }
        candle_core::safetensors::save(&t, dir.join("heads.safetensors")).map_err(|e| e.to_string())?;
        let json = serde_json::to_string_pretty(&self.labels).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("heads.json"), json).map_err(|e| format!("{}: {e}", dir.display()))
    }

    pub fn load(dir: &Path, dev: &Device) -> Result<TaskHeads, String> {
        let w = dir.join("heads.safetensors");
        let t = candle_core::safetensors::load(&w, dev).map_err(|e| format!("{}: {e}", w.display()))?;
        let j = dir.join("heads.json");
        let labels: HeadLabels = serde_json::from_str(&std::fs::read_to_string(&j).map_err(|e| format!("{}: {e}", j.display()))?)
            .map_err(|e| format!("{}: {e}", j.display()))?;
        let adapter = match &labels.adapter {
            Some(m) => Some(
                crate::model::LoraAdapter::from_tensors(&t, m.rank, m.alpha)
                    .map_err(|e| format!("{}: {e}", w.display()))?
                    .ok_or_else(|| format!("{}: heads.json names an adapter but the weights hold none", w.display()))?,
            ),
            None => None,
        };
        Ok(TaskHeads { tagger: Mlp::load_from("tagger", &t)?, role: Mlp::load_from("role", &t)?, tone: Mlp::load_from("tone", &t)?, labels, adapter })
    }

    pub fn vars(&self) -> Vec<Var> {
        let mut v = self.tagger.vars();
        v.extend(self.role.vars());
        v.extend(self.tone.vars());
        v
    }
}
