//! Architectures: one encoder type over BERT, XLM-RoBERTa/CamemBERT (our [`BertEncoder`] with
//! RoBERTa positions), DistilBERT and DeBERTa-v2 (candle-transformers), plus the Hugging Face
//! classification heads read from checkpoint weights. Everything here takes a config and a
//! `VarBuilder`; where the weights come from is [`super::loader`]'s business.
use super::bert::{Act, BertConfig, BertEncoder, Lin, Precision};
use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::{debertav2, distilbert};
use serde_json::Value;

/// Supported encoder families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Bert,
    /// XLM-RoBERTa, RoBERTa, CamemBERT.
    XlmRoberta,
    DistilBert,
    DebertaV2,
}

impl Arch {
    /// From `model_type` (or `architectures[0]`) of a config.json.
    pub fn from_config(cfg: &Value) -> std::result::Result<Arch, String> {
        let mt = cfg.get("model_type").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let arch0 = cfg
            .get("architectures")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let key = if mt.is_empty() { arch0.as_str() } else { mt.as_str() };
        match key {
            k if k.starts_with("xlm-roberta") || k.starts_with("xlmroberta") || k.starts_with("camembert") || k.starts_with("roberta") => Ok(Arch::XlmRoberta),
            k if k.starts_with("distilbert") => Ok(Arch::DistilBert),
            k if k.starts_with("deberta-v2") || k.starts_with("debertav2") => Ok(Arch::DebertaV2),
            k if k.starts_with("bert") => Ok(Arch::Bert),
            _ => Err(if mt.is_empty() { arch0 } else { mt }),
        }
    }
    /// Weight-name prefix used by `*ForTokenClassification` / `*ForSequenceClassification`.
    pub fn prefix(self, _cfg: &Value) -> &'static str {
        match self {
            Arch::Bert => "bert",
            // CamemBERT checkpoints also use "roberta." (the loader falls back to "camembert.")
            Arch::XlmRoberta => "roberta",
            Arch::DistilBert => "distilbert",
            Arch::DebertaV2 => "deberta",
        }
    }
}

/// An encoder of any supported architecture.
pub enum Encoder {
    Bert(BertEncoder),
    Distil { model: distilbert::DistilBertModel, dtype: DType },
    Deberta { model: debertav2::DebertaV2Model, dtype: DType },
}

fn has_prefix(vb: &VarBuilder, p: &str, probe: &str) -> bool {
    vb.contains_tensor(&format!("{p}.{probe}"))
}

impl Encoder {
    /// Build the encoder of `arch` from `config` (config.json) and the checkpoint's `vb`.
    /// Handles both bare checkpoints (`embeddings.*`) and task checkpoints (`bert.embeddings.*`).
    pub fn load(arch: Arch, config: &Value, vb: VarBuilder, prec: Precision) -> Result<Encoder> {
        let dtype = prec.act_dtype(vb.device());
        let pre = arch.prefix(config);
        match arch {
            Arch::Bert | Arch::XlmRoberta => {
                let mut cfg: BertConfig = serde_json::from_value(config.clone()).map_err(candle_core::Error::wrap)?;
                if let Some(a) = config.get("hidden_act").and_then(Value::as_str) {
                    cfg.hidden_act = match a {
                        "relu" => Act::Relu,
                        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Act::GeluApproximate,
                        _ => Act::Gelu,
                    };
                }
                if arch == Arch::XlmRoberta {
                    cfg.position_offset = cfg.pad_token_id + 1;
                }
                let probe = "embeddings.word_embeddings.weight";
                let vb = if vb.contains_tensor(probe) { vb } else if has_prefix(&vb, pre, probe) { vb.pp(pre) } else {
                    // some checkpoints use "roberta" for camembert, some "camembert"
                    let alt = config.get("model_type").and_then(Value::as_str).unwrap_or("").replace('-', "_");
                    if has_prefix(&vb, &alt, probe) { vb.pp(alt) } else { vb.pp(pre) }
                };
                Ok(Encoder::Bert(BertEncoder::load(vb, &cfg, prec)?))
            }
            Arch::DistilBert => {
                let cfg: distilbert::Config = serde_json::from_value(config.clone()).map_err(candle_core::Error::wrap)?;
                let vb = vb.set_dtype(dtype);
                let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") { vb } else { vb.pp(pre) };
                Ok(Encoder::Distil { model: distilbert::DistilBertModel::load(vb, &cfg)?, dtype })
            }
            Arch::DebertaV2 => {
                let cfg: debertav2::Config = serde_json::from_value(config.clone()).map_err(candle_core::Error::wrap)?;
                let vb = vb.set_dtype(dtype);
                let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") { vb } else { vb.pp(pre) };
                Ok(Encoder::Deberta { model: debertav2::DebertaV2Model::load(vb, &cfg)?, dtype })
            }
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Encoder::Bert(b) => b.device().clone(),
            Encoder::Distil { model, .. } => model.device.clone(),
            Encoder::Deberta { model, .. } => model.device.clone(),
        }
    }

    /// The BERT-layout encoder, where it is one (layer-level access for adapters and training).
    pub fn as_bert(&self) -> Option<&BertEncoder> {
        match self {
            Encoder::Bert(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_bert_mut(&mut self) -> Option<&mut BertEncoder> {
        match self {
            Encoder::Bert(b) => Some(b),
            _ => None,
        }
    }

    /// Most tokens one sequence may hold (special tokens included).
    pub fn max_positions(&self, config_max: usize) -> usize {
        match self {
            Encoder::Bert(b) => b.cfg.max_position_embeddings - b.cfg.position_offset,
            _ => config_max,
        }
    }

    /// (B, T) u32 ids, (B, T) u32 0/1 mask -> (B, T, H) last hidden states (model dtype).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        match self {
            Encoder::Bert(b) => b.forward(ids, None, mask),
            Encoder::Distil { model, .. } => {
                let (b, t) = mask.dims2()?;
                // candle's DistilBERT masks where the mask is 1: pass "is padding".
                let pad = mask.eq(0u32)?.reshape((b, 1, 1, t))?;
                model.forward(ids, &pad)
            }
            Encoder::Deberta { model, .. } => {
                model.forward(ids, Some(ids.zeros_like()?), Some(mask.to_dtype(DType::I64)?))
            }
        }
    }
}

/// The pooling step a sequence-classification checkpoint applies to the first token before its
/// final linear layer.
pub enum Pooler {
    /// BERT: `bert.pooler.dense` + tanh.
    Tanh(Lin),
    /// DistilBERT: `pre_classifier` + ReLU.
    Relu(Lin),
    /// DeBERTa-v2: `pooler.dense` + activation.
    Act(Lin, Act),
    /// XLM-R head: `classifier.dense` + tanh (then `classifier.out_proj`).
    None,
}

/// A Hugging Face classification head: pooler (sequence heads) then a linear layer.
pub struct HfHead {
    pub pooler: Option<Pooler>,
    pub roberta_dense: Option<Lin>,
    pub out: Lin,
    pub labels: Vec<String>,
}

fn lin(vb: &VarBuilder, o: usize, i: usize, dtype: DType) -> Result<Lin> {
    let w = vb.get((o, i), "weight")?;
    let b = if vb.contains_tensor("bias") { vb.get(o, "bias")? } else { Tensor::zeros(o, DType::F32, vb.device())? };
    Lin::new(&w, &b, Precision::F32, dtype)
}

/// Ordered labels from `id2label`, or LABEL_i.
pub fn labels_from_config(cfg: &Value, n: Option<usize>) -> Vec<String> {
    let mut v: Vec<(usize, String)> = cfg
        .get("id2label")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    v.sort();
    let mut out: Vec<String> = v.into_iter().map(|(_, s)| s).collect();
    if let Some(n) = n {
        while out.len() < n {
            out.push(format!("LABEL_{}", out.len()));
        }
        out.truncate(n);
    }
    out
}

fn hidden_of(cfg: &Value) -> usize {
    cfg.get("hidden_size").or_else(|| cfg.get("dim")).and_then(Value::as_u64).unwrap_or(768) as usize
}

impl HfHead {
    /// Token-classification head: `classifier` linear on every token.
    pub fn token(cfg: &Value, vb: &VarBuilder) -> Result<HfHead> {
        let h = hidden_of(cfg);
        let n = vb.pp("classifier").get_unchecked("weight")?.dim(0)?;
        let dtype = DType::F32;
        Ok(HfHead { pooler: None, roberta_dense: None, out: lin(&vb.pp("classifier"), n, h, dtype)?, labels: labels_from_config(cfg, Some(n)) })
    }

    /// Sequence-classification head of `arch`.
    pub fn sequence(arch: Arch, cfg: &Value, vb: &VarBuilder) -> Result<HfHead> {
        let h = hidden_of(cfg);
        let dtype = DType::F32;
        match arch {
            Arch::Bert => {
                let n = vb.pp("classifier").get_unchecked("weight")?.dim(0)?;
                let pooler = lin(&vb.pp("bert.pooler.dense"), h, h, dtype)?;
                Ok(HfHead { pooler: Some(Pooler::Tanh(pooler)), roberta_dense: None, out: lin(&vb.pp("classifier"), n, h, dtype)?, labels: labels_from_config(cfg, Some(n)) })
            }
            Arch::XlmRoberta => {
                let n = vb.pp("classifier.out_proj").get_unchecked("weight")?.dim(0)?;
                Ok(HfHead {
                    pooler: Some(Pooler::None),
                    roberta_dense: Some(lin(&vb.pp("classifier.dense"), h, h, dtype)?),
                    out: lin(&vb.pp("classifier.out_proj"), n, h, dtype)?,
                    labels: labels_from_config(cfg, Some(n)),
                })
            }
            Arch::DistilBert => {
                let n = vb.pp("classifier").get_unchecked("weight")?.dim(0)?;
                Ok(HfHead {
                    pooler: Some(Pooler::Relu(lin(&vb.pp("pre_classifier"), h, h, dtype)?)),
                    roberta_dense: None,
                    out: lin(&vb.pp("classifier"), n, h, dtype)?,
                    labels: labels_from_config(cfg, Some(n)),
                })
            }
            Arch::DebertaV2 => {
                let n = vb.pp("classifier").get_unchecked("weight")?.dim(0)?;
                let ph = cfg.get("pooler_hidden_size").and_then(Value::as_u64).map(|x| x as usize).unwrap_or(h);
                let act = match cfg.get("pooler_hidden_act").and_then(Value::as_str) {
                    Some("relu") => Act::Relu,
                    Some("tanh") => Act::GeluApproximate, // placeholder, handled below
                    _ => Act::Gelu,
                };
                let pooler = lin(&vb.pp("pooler.dense"), ph, h, dtype)?;
                Ok(HfHead {
                    pooler: Some(Pooler::Act(pooler, act)),
                    roberta_dense: None,
                    out: lin(&vb.pp("classifier"), n, ph, dtype)?,
                    labels: labels_from_config(cfg, Some(n)),
                })
            }
        }
    }

    /// Logits for token vectors (N, H) f32 (token heads) or first-token vectors (sequence heads).
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let x = x.to_dtype(DType::F32)?;
        let x = match &self.pooler {
            None => x,
            Some(Pooler::Tanh(l)) => l.forward(&x)?.tanh()?,
            Some(Pooler::Relu(l)) => l.forward(&x)?.relu()?,
            Some(Pooler::Act(l, a)) => {
                let y = l.forward(&x)?;
                match a {
                    Act::Relu => y.relu()?,
                    Act::GeluApproximate => y.tanh()?,
                    Act::Gelu => y.gelu_erf()?,
                }
            }
            Some(Pooler::None) => match &self.roberta_dense {
                Some(d) => d.forward(&x)?.tanh()?,
                None => x,
            },
        };
        self.out.forward(&x)
    }
}

/// Softmax over the last dimension of (N, L) logits, as rows of f32.
pub fn softmax_rows(logits: &Tensor) -> Result<Vec<Vec<f32>>> {
    candle_nn::ops::softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?.to_vec2::<f32>()
}
