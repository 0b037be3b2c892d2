//! A BERT / XLM-RoBERTa encoder written for throughput: fused QKV projection with the attention
//! scale folded into the query weights, contiguous per-head layouts, the additive mask applied only
//! when a batch is padded, and linear layers that are either dense (f32/f16/bf16) or quantised
//! (`QMatMul`, Q4_0 as shipped or Q8_0). It reads Hugging Face names from a `VarBuilder` and knows
//! nothing about where the weights come from. Checked against candle-transformers' `bert` and
//! `xlm_roberta` in `tests/model_tiny.rs`.
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::VarBuilder;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Activation of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Act {
    /// Exact erf GELU (`"gelu"` in Hugging Face configs).
    #[default]
    Gelu,
    #[serde(alias = "gelu_new", alias = "gelu_pytorch_tanh")]
    GeluApproximate,
    Relu,
}

fn default_eps() -> f64 {
    1e-12
}
fn default_types() -> usize {
    2
}

/// The subset of a Hugging Face BERT / RoBERTa `config.json` that the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default)]
    pub hidden_act: Act,
    pub max_position_embeddings: usize,
    #[serde(default = "default_types")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: usize,
    /// First position id: 0 for BERT, `pad_token_id + 1` for RoBERTa-style models (set by the loader).
    #[serde(default)]
    pub position_offset: usize,
}

/// How linear layers are stored and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// int8 or f32 on CPU, f16 on GPU (see [`Precision::resolve`]).
    #[default]
    Auto,
    F32,
    F16,
    BF16,
    /// 8-bit blocks (GGML Q8_0) through `QMatMul`.
    Q8_0,
    /// 4-bit blocks (GGML Q4_0) through `QMatMul`: the packaged e5 weights as shipped.
    Q4_0,
    /// i8 weights per output channel, u8 activations per row, i32 sums (AMX-INT8 or AVX-512
    /// VNNI on CPU).
    Int8,
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" => Precision::Auto,
            "f32" => Precision::F32,
            "f16" => Precision::F16,
            "bf16" => Precision::BF16,
            "q8" | "q8_0" => Precision::Q8_0,
            "q4" | "q4_0" => Precision::Q4_0,
            "int8" | "i8" => Precision::Int8,
            o => return Err(format!("unknown precision {o:?} (auto, f32, f16, bf16, q8_0, q4_0, int8)")),
        })
    }
}

impl Precision {
    /// The quantised block type, if any.
    pub fn ggml(self) -> Option<GgmlDType> {
        match self {
            Precision::Q8_0 => Some(GgmlDType::Q8_0),
            Precision::Q4_0 => Some(GgmlDType::Q4_0),
            _ => None,
        }
    }
    /// `Auto` made concrete for a device: int8 on a CPU with an int8 matrix unit (AMX-INT8 or
    /// AVX-512 VNNI), f32 on other CPUs (where int8 would run the slow portable loop), the
    /// device's half type on a GPU. int8 reads as well as f32 within the noise of every
    /// measurement (README, "Precision") at 1.5 to 3.5 times the speed.
    pub fn resolve(self, device: &Device) -> Precision {
        match self {
            Precision::Auto if device.is_cpu() && super::int8::has_fast_kernel() => Precision::Int8,
            Precision::Auto if device.is_cpu() => Precision::F32,
            p => p,
        }
    }
    /// Activation dtype on a device.
    pub fn act_dtype(self, device: &Device) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F16 => DType::F16,
            Precision::BF16 => DType::BF16,
            // quantised matmuls take f32 activations on CPU
            Precision::Q8_0 | Precision::Q4_0 | Precision::Int8 if device.is_cpu() => DType::F32,
            _ => super::device::default_dtype(device),
        }
    }
}

/// A linear layer `y = x W^T + b`.
#[derive(Debug, Clone)]
pub enum Lin {
    /// `wt` is W transposed and contiguous: shape (in, out).
    Dense { wt: Tensor, b: Tensor },
    Quant { w: Arc<QMatMul>, b: Tensor },
    /// CPU int8 (see [`super::int8`]); the bias lives inside.
    Int8(Arc<super::int8::Int8Linear>),
    /// CPU f32 with the AVX-512 kernel of [`super::f32gemm`]; the bias lives inside.
    Packed(Arc<super::f32gemm::PackedLinear>),
}

impl Lin {
    /// From a dense (out, in) weight, stored at the requested precision.
    pub fn new(w: &Tensor, b: &Tensor, prec: Precision, dtype: DType) -> Result<Self> {
        if prec == Precision::Int8 && w.device().is_cpu() {
            let (n, k) = w.dims2()?;
            return Ok(Lin::Int8(Arc::new(super::int8::Int8Linear::new(&host(w)?, &host(b)?, n, k))));
        }
        match prec.ggml() {
            Some(q) if w.dim(1)? % q.block_size() == 0 && w.device().is_cpu() => {
                let qt = QTensor::quantize(&w.to_dtype(DType::F32)?, q)?;
                Ok(Lin::Quant { w: Arc::new(QMatMul::from_qtensor(qt)?), b: b.to_dtype(DType::F32)? })
            }
            _ if dtype == DType::F32 && w.device().is_cpu() && super::f32gemm::PackedLinear::available() => {
                let (n, k) = w.dims2()?;
                Ok(Lin::Packed(Arc::new(super::f32gemm::PackedLinear::new(&host(w)?, &host(b)?, n, k))))
            }
            _ => Ok(Lin::Dense { wt: w.to_dtype(dtype)?.t()?.contiguous()?, b: b.to_dtype(dtype)? }),
        }
    }
    /// From an already quantised (out, in) weight.
    pub fn from_qtensor(w: QTensor, b: &Tensor, dtype: DType) -> Result<Self> {
        if w.device().is_cpu() {
            Ok(Lin::Quant { w: Arc::new(QMatMul::from_qtensor(w)?), b: b.to_dtype(DType::F32)? })
        } else {
            let d = w.dequantize(&w.device())?;
            Lin::new(&d, b, Precision::F32, dtype)
        }
    }
    pub fn out_dim(&self) -> usize {
        match self {
            Lin::Dense { b, .. } | Lin::Quant { b, .. } => b.dims1().unwrap_or(0),
            Lin::Int8(l) => l.n,
            Lin::Packed(l) => l.n,
        }
    }
    /// x: (..., in) -> (..., out).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Lin::Dense { wt, b } => {
                let dims = x.dims().to_vec();
                let k = dims[dims.len() - 1];
                let rows: usize = dims[..dims.len() - 1].iter().product();
                let y = x.reshape((rows, k))?.matmul(wt)?.broadcast_add(b)?;
                let mut od = dims.clone();
                *od.last_mut().unwrap() = wt.dim(1)?;
                y.reshape(od)
            }
            Lin::Quant { w, b } => w.forward(x)?.broadcast_add(b),
            Lin::Int8(l) => rows_through(x, l.n, |v, rows| l.forward(v, rows)),
            Lin::Packed(l) => rows_through(x, l.n, |v, rows| l.forward(v, rows)),
        }
    }
}

impl Lin {
    /// `x Wᵀ + b` (then GELU when `gelu`) on host rows into `y` (rows × out), every element
    /// written, for the CPU kernels; false for the candle-backed kinds.
    fn host_rows_into(&self, x: &[f32], rows: usize, gelu: bool, y: &mut [f32]) -> bool {
        match self {
            Lin::Int8(l) => l.forward_act_into(x, rows, gelu, y),
            Lin::Packed(l) => l.forward_act_into(x, rows, gelu, y),
            Lin::Dense { .. } | Lin::Quant { .. } => return false,
        }
        true
    }
    /// Output width of the CPU kernels' kinds.
    fn host_cols(&self) -> Option<usize> {
        match self {
            Lin::Int8(l) => Some(l.n),
            Lin::Packed(l) => Some(l.n),
            Lin::Dense { .. } | Lin::Quant { .. } => None,
        }
    }
    fn on_host(&self) -> bool {
        matches!(self, Lin::Int8(_) | Lin::Packed(_))
    }

    /// The weight as a dense f32 (in, out) tensor on the CPU, dequantised if stored in blocks.
    pub fn dense_wt(&self) -> Result<Tensor> {
        match self {
            Lin::Dense { wt, .. } => wt.to_dtype(DType::F32)?.to_device(&Device::Cpu),
            Lin::Quant { w, .. } => match w.as_ref() {
                QMatMul::QTensor(q) => q.dequantize(&Device::Cpu)?.t()?.contiguous(),
                QMatMul::Tensor(t) | QMatMul::TensorF16(t) => t.to_dtype(DType::F32)?.to_device(&Device::Cpu)?.t()?.contiguous(),
            },
            Lin::Int8(l) => Tensor::from_vec(l.dequantized(), (l.n, l.k), &Device::Cpu)?.t()?.contiguous(),
            Lin::Packed(l) => Tensor::from_vec(l.weight(), (l.n, l.k), &Device::Cpu)?.t()?.contiguous(),
        }
    }
    /// The bias as f32 on the CPU.
    pub fn bias_f32(&self) -> Result<Tensor> {
        match self {
            Lin::Dense { b, .. } | Lin::Quant { b, .. } => b.to_dtype(DType::F32)?.to_device(&Device::Cpu),
            Lin::Int8(l) => Tensor::from_vec(l.bias().to_vec(), l.n, &Device::Cpu),
            Lin::Packed(l) => Tensor::from_vec(l.bias().to_vec(), l.n, &Device::Cpu),
        }
    }
    /// `W += delta` with `delta` in the (in, out) orientation; quantised weights are requantised
    /// to their block type, so a merged adapter costs nothing at run time.
    pub fn add_delta(&mut self, delta: &Tensor) -> Result<()> {
        let w = (self.dense_wt()? + delta.to_dtype(DType::F32)?.to_device(&Device::Cpu)?)?;
        *self = match self {
            Lin::Dense { wt, b } => Lin::Dense { wt: w.to_dtype(wt.dtype())?.to_device(wt.device())?.contiguous()?, b: b.clone() },
            Lin::Quant { w: q, b } => {
                let qt = match q.as_ref() {
                    QMatMul::QTensor(qt) => QTensor::quantize(&w.t()?.contiguous()?, qt.dtype())?,
                    _ => QTensor::quantize(&w.t()?.contiguous()?, GgmlDType::Q8_0)?,
                };
                Lin::Quant { w: Arc::new(QMatMul::from_qtensor(qt)?), b: b.clone() }
            }
            Lin::Int8(l) => Lin::Int8(Arc::new(super::int8::Int8Linear::new(&host(&w.t()?)?, l.bias(), l.n, l.k))),
            Lin::Packed(l) => Lin::Packed(Arc::new(super::f32gemm::PackedLinear::new(&host(&w.t()?)?, l.bias(), l.n, l.k))),
        };
        Ok(())
    }
}

/// The four linear maps of a transformer layer, in the engine's layout (Q/K/V fused, with the
/// attention scale folded into the Q rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinName {
    Qkv,
    AttnOut,
    FfIn,
    FfOut,
}

impl LinName {
    pub const ALL: [LinName; 4] = [LinName::Qkv, LinName::AttnOut, LinName::FfIn, LinName::FfOut];
    pub fn as_str(self) -> &'static str {
        match self {
            LinName::Qkv => "qkv",
            LinName::AttnOut => "ao",
            LinName::FfIn => "fi",
            LinName::FfOut => "fo",
        }
    }
    pub fn parse(s: &str) -> Option<LinName> {
        LinName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// Dense f32 CPU copies of one layer's parameters, in the order of [`LinName::ALL`] for the
/// linear maps (weight (in, out), bias), then the two LayerNorms (weight, bias).
pub struct LayerTensors {
    pub lins: Vec<(Tensor, Tensor)>,
    pub attn_norm: (Tensor, Tensor),
    pub out_norm: (Tensor, Tensor),
    pub eps: f64,
}

/// A tensor's elements as a row-major f32 vector (for the CPU row kernels).
fn host(t: &Tensor) -> Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()
}

/// Runs a row kernel over x (..., k) and shapes its (rows × n) output like x.
fn rows_through(x: &Tensor, n: usize, f: impl Fn(&[f32], usize) -> Vec<f32>) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    let rows: usize = dims[..dims.len() - 1].iter().product();
    let xv = host(x)?;
    let mut od = dims;
    *od.last_mut().unwrap() = n;
    Tensor::from_vec(f(&xv, rows), od, x.device())
}

/// Token embedding table: dense, or Q4_0 rows dequantised on lookup (the packaged e5 table is
/// 250k x 384; kept as 4-bit blocks it is 54 MB instead of 384 MB).
#[derive(Debug, Clone)]
pub enum WordEmb {
    Dense(Tensor),
    Q4Rows { raw: Arc<Vec<u8>>, rows: usize, dim: usize },
}

/// Dequantise Q4_0 blocks (18 bytes: f16 scale, 16 bytes of nibbles) into `out`.
pub fn dequant_q4_0(raw: &[u8], out: &mut [f32]) {
    for (blk, o) in raw.chunks_exact(18).zip(out.chunks_exact_mut(32)) {
        let d = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        for j in 0..16 {
            let q = blk[2 + j];
            o[j] = ((q & 0x0f) as i32 - 8) as f32 * d;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
}

impl WordEmb {
    fn lookup(&self, ids: &Tensor) -> Result<Tensor> {
        match self {
            WordEmb::Dense(t) => {
                let (b, s) = ids.dims2()?;
                t.index_select(&ids.flatten_all()?, 0)?.reshape((b, s, t.dim(1)?))
            }
            WordEmb::Q4Rows { raw, rows, dim } => {
                let (b, s) = ids.dims2()?;
                let idv = ids.flatten_all()?.to_vec1::<u32>()?;
                let rb = dim / 32 * 18;
                let mut out = vec![0f32; idv.len() * dim];
                for (i, &id) in idv.iter().enumerate() {
                    let id = (id as usize).min(rows - 1);
                    dequant_q4_0(&raw[id * rb..(id + 1) * rb], &mut out[i * dim..(i + 1) * dim]);
                }
                Tensor::from_vec(out, (b, s, *dim), &Device::Cpu)?.to_device(ids.device())
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Norm {
    w: Tensor,
    b: Tensor,
    eps: f32,
    /// Weight and bias as host f32, for the host layer path (CPU only).
    host: Option<(Vec<f32>, Vec<f32>)>,
}
impl Norm {
    fn load(vb: &VarBuilder, n: usize, eps: f64, dtype: DType) -> Result<Self> {
        let (w, b) = if vb.contains_tensor("weight") {
            (vb.get(n, "weight")?, vb.get(n, "bias")?)
        } else {
            (vb.get(n, "gamma")?, vb.get(n, "beta")?)
        };
        let host = if w.device().is_cpu() { Some((host(&w)?, host(&b)?)) } else { None };
        Ok(Norm { w: w.to_dtype(dtype)?, b: b.to_dtype(dtype)?, eps: eps as f32, host })
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(&x.contiguous()?, &self.w, &self.b, self.eps)
    }
}

#[derive(Debug, Clone)]
pub struct Layer {
    qkv: Lin,
    ao: Lin,
    aln: Norm,
    fi: Lin,
    fo: Lin,
    oln: Norm,
}

/// Weights of one layer given already-quantised matrices (used by the packaged e5 loader).
pub struct QLayerWeights {
    /// Fused (3H, H) Q/K/V weight with the 1/sqrt(d) scale already folded into the Q rows.
    pub qkv: QTensor,
    pub ao: QTensor,
    pub fi: QTensor,
    pub fo: QTensor,
}

/// The encoder: embeddings then `num_hidden_layers` transformer layers.
#[derive(Debug, Clone)]
pub struct BertEncoder {
    pub cfg: BertConfig,
    word: WordEmb,
    pos: Tensor,
    typ: Tensor,
    eln: Norm,
    layers: Vec<Layer>,
    dtype: DType,
    device: Device,
}

fn linear_parts(vb: &VarBuilder, out: usize, inp: usize) -> Result<(Tensor, Tensor)> {
    Ok((vb.get((out, inp), "weight")?, vb.get(out, "bias")?))
}

impl BertEncoder {
    /// Load from Hugging Face names under `vb` (`embeddings.*`, `encoder.layer.N.*`).
    /// `word` replaces the word-embedding table when given; `qlayers` replaces the layers'
    /// matrices when given (their biases and norms still come from `vb`).
    pub fn load_with(
        vb: VarBuilder,
        cfg: &BertConfig,
        prec: Precision,
        word: Option<WordEmb>,
        qlayers: Option<Vec<QLayerWeights>>,
    ) -> Result<Self> {
        let device = vb.device().clone();
        let dtype = prec.act_dtype(&device);
        let h = cfg.hidden_size;
        let e = vb.pp("embeddings");
        let word = match word {
            Some(w) => w,
            None => WordEmb::Dense(e.get((cfg.vocab_size, h), "word_embeddings.weight")?.to_dtype(dtype)?),
        };
        let pos = e.get((cfg.max_position_embeddings, h), "position_embeddings.weight")?.to_dtype(dtype)?;
        let typ = e.get((cfg.type_vocab_size.max(1), h), "token_type_embeddings.weight")?.to_dtype(dtype)?;
        let eln = Norm::load(&e.pp("LayerNorm"), h, cfg.layer_norm_eps, dtype)?;
        let nh = cfg.num_attention_heads;
        let scale = 1.0 / ((h / nh) as f64).sqrt();
        let mut qlayers = qlayers.map(|v| v.into_iter());
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let lv = vb.pp(format!("encoder.layer.{l}"));
            let a = lv.pp("attention");
            let (wq, bq) = linear_parts(&a.pp("self.query"), h, h)?;
            let (wk, bk) = linear_parts(&a.pp("self.key"), h, h)?;
            let (wv, bv) = linear_parts(&a.pp("self.value"), h, h)?;
            let bqkv = Tensor::cat(&[(bq * scale)?, bk, bv], 0)?;
            let (wao, bao) = linear_parts(&a.pp("output.dense"), h, h)?;
            let (wfi, bfi) = linear_parts(&lv.pp("intermediate.dense"), cfg.intermediate_size, h)?;
            let (wfo, bfo) = linear_parts(&lv.pp("output.dense"), h, cfg.intermediate_size)?;
            let aln = Norm::load(&a.pp("output.LayerNorm"), h, cfg.layer_norm_eps, dtype)?;
            let oln = Norm::load(&lv.pp("output.LayerNorm"), h, cfg.layer_norm_eps, dtype)?;
            let layer = match qlayers.as_mut().and_then(|it| it.next()) {
                Some(q) => Layer {
                    qkv: Lin::from_qtensor(q.qkv, &bqkv, dtype)?,
                    ao: Lin::from_qtensor(q.ao, &bao, dtype)?,
                    fi: Lin::from_qtensor(q.fi, &bfi, dtype)?,
                    fo: Lin::from_qtensor(q.fo, &bfo, dtype)?,
                    aln,
                    oln,
                },
                None => {
                    let wqkv = Tensor::cat(&[(wq * scale)?, wk, wv], 0)?;
                    Layer {
                        qkv: Lin::new(&wqkv, &bqkv, prec, dtype)?,
                        ao: Lin::new(&wao, &bao, prec, dtype)?,
                        fi: Lin::new(&wfi, &bfi, prec, dtype)?,
                        fo: Lin::new(&wfo, &bfo, prec, dtype)?,
                        aln,
                        oln,
                    }
                }
            };
            layers.push(layer);
        }
        Ok(BertEncoder { cfg: cfg.clone(), word, pos, typ, eln, layers, dtype, device })
    }

    /// Load a plain checkpoint at the given precision.
    pub fn load(vb: VarBuilder, cfg: &BertConfig, prec: Precision) -> Result<Self> {
        Self::load_with(vb, cfg, prec, None, None)
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn act(&self) -> Act {
        self.cfg.hidden_act
    }

    fn lin_mut(&mut self, layer: usize, name: LinName) -> Result<&mut Lin> {
        let n = self.layers.len();
        let l = self.layers.get_mut(layer).ok_or_else(|| candle_core::Error::Msg(format!("layer {layer} out of range (the encoder has {n})")))?;
        Ok(match name {
            LinName::Qkv => &mut l.qkv,
            LinName::AttnOut => &mut l.ao,
            LinName::FfIn => &mut l.fi,
            LinName::FfOut => &mut l.fo,
        })
    }

    /// Dense copies of layer `layer`'s parameters (for training a replica of it).
    pub fn layer_tensors(&self, layer: usize) -> Result<LayerTensors> {
        let l = self.layers.get(layer).ok_or_else(|| candle_core::Error::Msg(format!("layer {layer} out of range")))?;
        let norm = |n: &Norm| -> Result<(Tensor, Tensor)> { Ok((n.w.to_dtype(DType::F32)?.to_device(&Device::Cpu)?, n.b.to_dtype(DType::F32)?.to_device(&Device::Cpu)?)) };
        let lins = [&l.qkv, &l.ao, &l.fi, &l.fo].iter().map(|x| Ok((x.dense_wt()?, x.bias_f32()?))).collect::<Result<Vec<_>>>()?;
        Ok(LayerTensors { lins, attn_norm: norm(&l.aln)?, out_norm: norm(&l.oln)?, eps: l.aln.eps as f64 })
    }

    /// Adds `delta` ((in, out) orientation) to one linear map of one layer.
    pub fn add_delta(&mut self, layer: usize, name: LinName, delta: &Tensor) -> Result<()> {
        self.lin_mut(layer, name)?.add_delta(delta)
    }

    /// Embedding output, (B, T, H). `ids` and `type_ids` are (B, T) u32.
    pub fn embed(&self, ids: &Tensor, type_ids: Option<&Tensor>) -> Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let off = self.cfg.position_offset;
        if off + t > self.cfg.max_position_embeddings {
            candle_core::bail!(
                "sequence of {t} tokens exceeds the model's {} positions",
                self.cfg.max_position_embeddings - off
            );
        }
        let w = self.word.lookup(ids)?.to_dtype(self.dtype)?;
        let p = self.pos.narrow(0, off, t)?;
        let mut x = w.broadcast_add(&p)?;
        x = match type_ids {
            Some(tt) => {
                let (b, s) = tt.dims2()?;
                (x + self.typ.index_select(&tt.flatten_all()?, 0)?.reshape((b, s, ()))?)?
            }
            None => x.broadcast_add(&self.typ.narrow(0, 0, 1)?)?,
        };
        self.eln.forward(&x)
    }

    /// Prepare a (B, T) 0/1 attention mask: nothing when no position is padded; per-row
    /// lengths when every row is right-padded (the CPU kernel then skips padded keys);
    /// otherwise an additive (B, 1, 1, T) mask.
    pub fn prepare_mask(&self, mask: &Tensor) -> Result<AttnMask> {
        let (b, t) = mask.dims2()?;
        let m = mask.to_dtype(DType::U32)?.to_device(&Device::Cpu)?.flatten_all()?.to_vec1::<u32>()?;
        let lens: Vec<usize> = m.chunks(t).map(|r| r.iter().filter(|&&x| x != 0).count()).collect();
        if lens.iter().all(|&l| l == t) {
            return Ok(AttnMask::default());
        }
        let right_padded = m.chunks(t).zip(&lens).all(|(r, &l)| r[..l].iter().all(|&x| x != 0));
        let use_lens = right_padded && self.device.is_cpu() && self.dtype == DType::F32;
        let add = if use_lens {
            None
        } else {
            let neg = if self.dtype == DType::F16 { -6.0e4 } else { -1.0e30 };
            let mf = mask.to_dtype(DType::F32)?;
            Some(((mf - 1.0)? * (-neg))?.to_dtype(self.dtype)?.reshape((b, 1, 1, t))?)
        };
        Ok(AttnMask { add, lens: if use_lens { Some(lens) } else { None } })
    }

    /// Run layers `range` on hidden states `x` (B, T, H) under a prepared mask.
    pub fn forward_layers(&self, mut x: Tensor, mask: &AttnMask, range: std::ops::Range<usize>) -> Result<Tensor> {
        let layers = &self.layers[range.start.min(self.layers.len())..range.end.min(self.layers.len())];
        if let Some(y) = self.forward_layers_host(&x, mask, layers)? {
            return Ok(y);
        }
        let (b, t, h) = x.dims3()?;
        let nh = self.cfg.num_attention_heads;
        let d = h / nh;
        for layer in layers {
            let qkv = layer.qkv.forward(&x)?; // (B, T, 3H)
            let fused = match mask.add {
                None => super::attention::context(&qkv, nh, mask.lens.as_deref())?,
                Some(_) => None,
            };
            let ctx = match fused {
                Some(ctx) => ctx,
                None => {
                    let qkv = qkv.reshape((b, t, 3, nh, d))?.permute((2, 0, 3, 1, 4))?.contiguous()?;
                    let q = qkv.get(0)?;
                    let k = qkv.get(1)?;
                    let v = qkv.get(2)?;
                    let att = q.matmul(&k.t()?)?; // (B, NH, T, T)
                    let att = super::ops::attention_softmax(&att, mask.lens.as_deref(), mask.add.as_ref())?;
                    att.matmul(&v)?.transpose(1, 2)?.reshape((b, t, h))?
                }
            };
            let a = layer.ao.forward(&ctx)?;
            x = layer.aln.forward(&(a + &x)?)?;
            let f = layer.fi.forward(&x)?;
            let f = match self.cfg.hidden_act {
                Act::Gelu => super::ops::gelu(&f)?,
                Act::GeluApproximate => f.gelu()?,
                Act::Relu => f.relu()?,
            };
            let f = layer.fo.forward(&f)?;
            x = layer.oln.forward(&(f + &x)?)?;
        }
        Ok(x)
    }

    /// The layers on host memory with the CPU kernels (int8 or packed f32 linears, the fused
    /// attention, GELU in the feed-forward's epilogue, residual and LayerNorm in one pass): one
    /// copy in and one out instead of candle tensors between every step, which cost a third of
    /// the time at 8 × 128. The arithmetic is that of the tensor path below (same kernels and
    /// GELU); only the LayerNorm sums are taken in another order. None where it does not apply
    /// (other devices, an additive mask, candle-backed linears).
    fn forward_layers_host(&self, x: &Tensor, mask: &AttnMask, layers: &[Layer]) -> Result<Option<Tensor>> {
        let host_ok = |l: &Layer| {
            [&l.qkv, &l.ao, &l.fi, &l.fo].iter().all(|x| x.on_host()) && l.aln.host.is_some() && l.oln.host.is_some()
        };
        if !x.device().is_cpu()
            || x.dtype() != DType::F32
            || mask.add.is_some()
            || self.cfg.hidden_act != Act::Gelu
            || layers.is_empty()
            || !layers.iter().all(host_ok)
        {
            return Ok(None);
        }
        let (b, t, h) = x.dims3()?;
        let nh = self.cfg.num_attention_heads;
        let d = h / nh;
        let m = b * t;
        let lens = mask.lens.clone().unwrap_or_else(|| vec![t; b]);
        let mut xv = host(x)?;
        let missing = || candle_core::Error::Msg("host layer path: a layer lost its CPU kernels".into());
        // One buffer per product, sized on first use and reused by every layer: fresh multi-MB
        // vectors cost a zeroing pass (and page faults) on one thread while the other waits.
        let run = |lin: &Lin, x: &[f32], gelu: bool, y: &mut Vec<f32>| -> Result<()> {
            let n = lin.host_cols().ok_or_else(missing)?;
            y.resize(m * n, 0.0);
            lin.host_rows_into(x, m, gelu, y).then_some(()).ok_or_else(missing)
        };
        let (mut qkv, mut o, mut f) = (Vec::new(), Vec::new(), Vec::new());
        let mut ctx = vec![0f32; m * h];
        for l in layers {
            run(&l.qkv, &xv, false, &mut qkv)?;
            let bf16 = match &l.qkv {
                // int8 layers: the attention products on bf16 tiles where the CPU has them.
                #[cfg(target_arch = "x86_64")]
                Lin::Int8(_) => super::attention_bf16::attend_into(&qkv, b, t, nh, d, &lens, &mut ctx),
                _ => false,
            };
            if !bf16 {
                super::attention::attend_into(&qkv, b, t, nh, d, &lens, &mut ctx);
            }
            run(&l.ao, &ctx, false, &mut o)?;
            let (w, bias) = l.aln.host.as_ref().ok_or_else(missing)?;
            super::ops::add_layer_norm(&mut xv, &o, w, bias, l.aln.eps);
            run(&l.fi, &xv, true, &mut f)?;
            run(&l.fo, &f, false, &mut o)?;
            let (w, bias) = l.oln.host.as_ref().ok_or_else(missing)?;
            super::ops::add_layer_norm(&mut xv, &o, w, bias, l.oln.eps);
        }
        Ok(Some(Tensor::from_vec(xv, (b, t, h), x.device())?))
    }

    /// Full forward: (B, T) ids and 0/1 mask -> (B, T, H) last hidden states.
    pub fn forward(&self, ids: &Tensor, type_ids: Option<&Tensor>, mask: &Tensor) -> Result<Tensor> {
        let x = self.embed(ids, type_ids)?;
        let m = self.prepare_mask(mask)?;
        self.forward_layers(x, &m, 0..self.layers.len())
    }
}

/// A prepared attention mask (see [`BertEncoder::prepare_mask`]).
#[derive(Debug, Clone, Default)]
pub struct AttnMask {
    pub add: Option<Tensor>,
    pub lens: Option<Vec<usize>>,
}

/// Mean of `x` (B, T, H) over positions where `mask` (B, T) is 1.
pub fn masked_mean(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mask.to_dtype(x.dtype())?.unsqueeze(D::Minus1)?;
    let s = x.broadcast_mul(&m)?.sum(1)?;
    s.broadcast_div(&m.sum(1)?.clamp(1e-6, f64::MAX)?)
}

/// Parse the tensors of a safetensors file into a name -> tensor map (helper for tests/tools).
pub fn tensors_from_safetensors(path: &std::path::Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(path, device)
}
