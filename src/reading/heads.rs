//! The task heads that read encoder features: a BIO token tagger (entities), a figure-role
//! classifier and a sentence-tone classifier. Small MLPs, saved as one safetensors file plus a
//! JSON label file; they need no second encoder pass.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var, D};
use serde::{Deserialize, Serialize};

use super::features::Inputs;

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
        let get = |n: &str| stored_var(t, prefix, n);
        Ok(Mlp { w1: get("w1")?, b1: get("b1")?, w2: get("w2")?, b2: get("b2")? })
    }
}

/// The stored tensor `prefix.name` as a trainable variable.
fn stored_var(t: &HashMap<String, Tensor>, prefix: &str, name: &str) -> Result<Var, String> {
    t.get(&format!("{prefix}.{name}"))
        .ok_or_else(|| format!("head weights lack {prefix}.{name}"))
        .and_then(|x| Var::from_tensor(x).map_err(|e| e.to_string()))
}

/// A linear (softmax-regression) head: `x Wᵀ + b`. With an L2 penalty it generalises better
/// than an MLP on a few thousand pooled examples (the role and tone heads).
pub struct Linear {
    pub w: Var,
    pub b: Var,
}

impl Linear {
    pub fn zeros(input: usize, out: usize, dev: &Device) -> candle_core::Result<Linear> {
        Ok(Linear { w: Var::zeros((out, input), DType::F32, dev)?, b: Var::zeros(out, DType::F32, dev)? })
    }
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.w.as_tensor().t()?)?.broadcast_add(self.b.as_tensor())
    }
}

/// A head network: an MLP or a linear map.
pub enum Net {
    Mlp(Mlp),
    Linear(Linear),
}

impl Net {
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Net::Mlp(m) => m.forward(x),
            Net::Linear(l) => l.forward(x),
        }
    }

    pub fn vars(&self) -> Vec<Var> {
        match self {
            Net::Mlp(m) => m.vars(),
            Net::Linear(l) => vec![l.w.clone(), l.b.clone()],
        }
    }

    fn save_into(&self, prefix: &str, out: &mut HashMap<String, Tensor>) {
        match self {
            Net::Mlp(m) => m.save_into(prefix, out),
            Net::Linear(l) => {
                out.insert(format!("{prefix}.w"), l.w.as_tensor().clone());
                out.insert(format!("{prefix}.b"), l.b.as_tensor().clone());
            }
        }
    }

    /// (suffix, weight, bias) of each layer, input side first.
    fn layers(&self) -> Vec<(&'static str, &Var, &Var)> {
        match self {
            Net::Mlp(m) => vec![("1", &m.w1, &m.b1), ("2", &m.w2, &m.b2)],
            Net::Linear(l) => vec![("", &l.w, &l.b)],
        }
    }

    /// An MLP where `prefix.w1` is stored, else a linear head (`prefix.w`, `prefix.b`).
    fn load_from(prefix: &str, t: &HashMap<String, Tensor>) -> Result<Net, String> {
        if t.contains_key(&format!("{prefix}.w1")) {
            return Mlp::load_from(prefix, t).map(Net::Mlp);
        }
        Ok(Net::Linear(Linear { w: stored_var(t, prefix, "w")?, b: stored_var(t, prefix, "b")? }))
    }
}

/// Checks `x W1ᵀ + b1 → W2ᵀ + b2` (or `x Wᵀ + b`) chains: `input` columns when known, `out` rows.
fn layer_shapes(name: &str, layers: &[(&str, &Var, &Var)], input: Option<usize>, out: usize) -> Result<(), String> {
    let mut cols = input;
    for (i, (suffix, w, b)) in layers.iter().enumerate() {
        let (w, b) = (w.as_tensor().dims(), b.as_tensor().dims());
        let bad = |what: String| Err(format!("{name}.w{suffix} {what}"));
        if w.len() != 2 || b.len() != 1 || b[0] != w[0] {
            return bad(format!("has shape {w:?} with bias {b:?}"));
        }
        if let Some(c) = cols {
            if w[1] != c {
                return bad(format!("has shape {w:?}, expected {c} inputs"));
            }
        }
        if i + 1 == layers.len() && w[0] != out {
            return bad(format!("has shape {w:?}, expected {out} outputs (labels in heads.json)"));
        }
        cols = Some(w[0]);
    }
    Ok(())
}

fn inputs_v1() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadLabels {
    /// Input layout of the role and tone heads ([`Inputs`]); 1 where heads.json predates it.
    #[serde(default = "inputs_v1")]
    pub inputs: u32,
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
    pub role: Net,
    pub tone: Net,
    pub labels: HeadLabels,
    /// Low-rank updates of the encoder the heads read; merged into it before reading.
    pub adapter: Option<crate::model::LoraAdapter>,
}

pub fn tag_labels() -> Vec<String> {
    let mut v = vec!["O".to_string()];
    for l in crate::reading::ENTITY_LABELS {
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
            inputs: Inputs::V2.version(),
            tags: tag_labels(),
            roles: crate::reading::ROLES.iter().map(|s| s.to_string()).collect(),
            tones: crate::reading::TONES.iter().map(|s| s.to_string()).collect(),
            dim,
            doc_tone: None,
            card: serde_json::Value::Null,
            adapter: None,
        };
        Ok(TaskHeads {
            tagger: Mlp::new(&mut rng, dim * 3, 256, labels.tags.len(), dev)?,
            role: Net::Linear(Linear::zeros(Inputs::V2.role_dims(dim), labels.roles.len(), dev)?),
            tone: Net::Linear(Linear::zeros(Inputs::V2.tone_dims(dim), labels.tones.len(), dev)?),
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
        let heads = TaskHeads { tagger: Mlp::load_from("tagger", &t)?, role: Net::load_from("role", &t)?, tone: Net::load_from("tone", &t)?, labels, adapter };
        heads.check_shapes().map_err(|e| format!("{}: {e} (the weights do not match heads.json)", w.display()))?;
        Ok(heads)
    }

    /// Every weight has the shape heads.json implies, so that a damaged or mismatched file fails
    /// here, naming the tensor, rather than at the first document.
    fn check_shapes(&self) -> Result<(), String> {
        let inputs = self.inputs();
        let l = &self.labels;
        let t = &self.tagger;
        layer_shapes("tagger", &[("1", &t.w1, &t.b1), ("2", &t.w2, &t.b2)], None, l.tags.len())?;
        layer_shapes("role", &self.role.layers(), Some(inputs.role_dims(l.dim)), l.roles.len())?;
        layer_shapes("tone", &self.tone.layers(), Some(inputs.tone_dims(l.dim)), l.tones.len())
    }

    pub fn inputs(&self) -> Inputs {
        Inputs::from_version(self.labels.inputs)
    }

    pub fn vars(&self) -> Vec<Var> {
        let mut v = self.tagger.vars();
        v.extend(self.role.vars());
        v.extend(self.tone.vars());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_heads_save_and_load_to_the_same_outputs() {
        let dev = Device::Cpu;
        let heads = TaskHeads::new(3, 4, &dev).unwrap();
        // Non-zero linear weights, so that a load that dropped them would show.
        for v in heads.role.vars().iter().chain(heads.tone.vars().iter()) {
            let n = v.as_tensor().elem_count();
            let data: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            v.set(&Tensor::from_vec(data, v.as_tensor().shape(), &dev).unwrap()).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        heads.save(dir.path()).unwrap();
        let back = TaskHeads::load(dir.path(), &dev).unwrap();
        assert_eq!(back.labels.inputs, 2);
        assert!(matches!(back.role, Net::Linear(_)) && matches!(back.tone, Net::Linear(_)));
        let x = Tensor::ones((2, Inputs::V2.tone_dims(4)), DType::F32, &dev).unwrap();
        let a: Vec<Vec<f32>> = heads.tone.forward(&x).unwrap().to_vec2().unwrap();
        let b: Vec<Vec<f32>> = back.tone.forward(&x).unwrap().to_vec2().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn heads_json_without_inputs_reads_as_the_first_layout() {
        let j = r#"{"tags": ["O"], "roles": ["other"], "tones": ["neutral"], "dim": 4}"#;
        let l: HeadLabels = serde_json::from_str(j).unwrap();
        assert_eq!(Inputs::from_version(l.inputs), Inputs::V1);
    }
}
