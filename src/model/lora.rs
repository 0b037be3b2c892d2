//! Low-rank adapters (LoRA) on the linear maps of an encoder's layers. An adapter is a set of
//! pairs (A: in x r, B: r x out) per (layer, map); merging adds `scale · A·B` to the map's weight
//! in the engine's (in, out) orientation, so an adapted encoder runs as fast as the base one.
//! The maps are the engine's own (Q/K/V fused with the attention scale folded into Q), which is
//! the space training works in; adapters therefore apply to any BERT-layout base of the same shape.
use super::bert::{BertEncoder, LinName};
use candle_core::{Result, Tensor};
use std::collections::HashMap;

/// One low-rank update.
#[derive(Debug, Clone)]
pub struct LoraPair {
    pub layer: usize,
    pub name: LinName,
    /// (in, r)
    pub a: Tensor,
    /// (r, out)
    pub b: Tensor,
}

#[derive(Debug, Clone)]
pub struct LoraAdapter {
    pub rank: usize,
    /// The update is `alpha / rank · A·B`.
    pub alpha: f64,
    pub pairs: Vec<LoraPair>,
}

impl LoraAdapter {
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank.max(1) as f64
    }

    /// Tensors named `lora.l{layer}.{map}.a|b`.
    pub fn to_tensors(&self, out: &mut HashMap<String, Tensor>) {
        for p in &self.pairs {
            out.insert(format!("lora.l{}.{}.a", p.layer, p.name.as_str()), p.a.clone());
            out.insert(format!("lora.l{}.{}.b", p.layer, p.name.as_str()), p.b.clone());
        }
    }

    /// The pairs found among `tensors` (names as written by [`LoraAdapter::to_tensors`]); `None`
    /// when there are none.
    pub fn from_tensors(tensors: &HashMap<String, Tensor>, rank: usize, alpha: f64) -> std::result::Result<Option<LoraAdapter>, String> {
        let mut pairs = Vec::new();
        let mut names: Vec<&String> = tensors.keys().filter(|k| k.starts_with("lora.") && k.ends_with(".a")).collect();
        names.sort();
        for k in names {
            let mid = &k["lora.l".len()..k.len() - 2];
            let (layer, map) = mid.split_once('.').ok_or_else(|| format!("bad adapter tensor name {k}"))?;
            let layer: usize = layer.parse().map_err(|_| format!("bad layer in adapter tensor name {k}"))?;
            let name = LinName::parse(map).ok_or_else(|| format!("unknown linear map {map:?} in {k}"))?;
            let bk = format!("{}.b", &k[..k.len() - 2]);
            let b = tensors.get(&bk).ok_or_else(|| format!("adapter tensor {bk} is missing"))?;
            let a = &tensors[k];
            if a.dims().len() != 2 || b.dims().len() != 2 || a.dims()[1] != rank || b.dims()[0] != rank {
                return Err(format!("adapter tensors {k}/{bk} do not have rank {rank}: {:?} {:?}", a.dims(), b.dims()));
            }
            pairs.push(LoraPair { layer, name, a: a.clone(), b: b.clone() });
        }
        Ok(if pairs.is_empty() { None } else { Some(LoraAdapter { rank, alpha, pairs }) })
    }

    /// Adds every update to `enc`'s weights.
    pub fn merge_into(&self, enc: &mut BertEncoder) -> Result<()> {
        let s = self.scale();
        for p in &self.pairs {
            let delta = (p.a.matmul(&p.b)? * s)?;
            enc.add_delta(p.layer, p.name, &delta)?;
        }
        Ok(())
    }
}
