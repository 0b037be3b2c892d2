//! Fine-tuning the encoder's top layers with LoRA adapters, on all three tasks at once.
//!
//! The lower layers stay frozen, so their output is computed once per chunk and cached
//! ([`crate::model::Engine::encode_lower`]); each step then runs only a trainable replica of the
//! top `k` layers (frozen base weights plus low-rank `A·B` updates) and three linear probes
//! (token tags, money-figure role, sentence tone) on that pass, and back-propagates their summed
//! cross-entropy into the adapters. The adapter that scores best on the dev documents is kept;
//! it is merged into the encoder and the MLP heads are then fitted on the adapted features.

use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use super::fit::{token_tags, train_epoch, Prepared, Set};
use crate::reading::heads::Rng;
use crate::model::bert::{Act, BertEncoder, LinName};
use crate::model::lora::{LoraAdapter, LoraPair};
use crate::model::CachedChunk;

#[derive(Debug, Clone, Copy)]
pub struct AdaptConfig {
    /// Top layers that get adapters.
    pub layers: usize,
    pub rank: usize,
    pub alpha: f64,
    pub epochs: usize,
    pub lr: f64,
    pub seed: u64,
    /// Padded tokens per step.
    pub step_tokens: usize,
    /// Weight of the sentence-tone loss against the tag and role losses (each 1).
    pub tone_weight: f64,
}

impl Default for AdaptConfig {
    fn default() -> Self {
        AdaptConfig { layers: 4, rank: 16, alpha: 32.0, epochs: 4, lr: 1e-3, seed: 13, step_tokens: 2048, tone_weight: 1.0 }
    }
}

const PROBE_LR_FACTOR: f64 = 2.0;

/// Gold examples of one chunk, as row indices into its states (row 0 is CLS).
#[derive(Debug, Clone, Default)]
pub struct ChunkGold {
    pub tags: Vec<(usize, u32)>,
    /// Figure rows, its sentence's rows, role id.
    pub figs: Vec<(Vec<usize>, Vec<usize>, u32)>,
    /// Sentence rows, tone id.
    pub sents: Vec<(Vec<usize>, u32)>,
}

/// Which chunk answers for each token of a document, from the chunks' own ranges.
fn owners(n_tokens: usize, chunks: &[&CachedChunk]) -> Vec<usize> {
    let mut own = vec![usize::MAX; n_tokens];
    for (c, ch) in chunks.iter().enumerate() {
        for t in ch.chunk.own_start..ch.chunk.own_end.min(n_tokens) {
            own[t] = c;
        }
    }
    own
}

/// The gold examples of a document's chunks. A figure or sentence belongs to the chunk that
/// owns its first token and is pooled over its tokens inside that chunk.
pub fn chunk_gold(p: &Prepared, chunks: &[&CachedChunk], tags: &[String]) -> Vec<ChunkGold> {
    let mut out = vec![ChunkGold::default(); chunks.len()];
    let own = owners(p.feats.len(), chunks);
    for (i, t) in token_tags(p, tags).into_iter().enumerate() {
        if let Some(&c) = own.get(i).filter(|&&c| c != usize::MAX) {
            out[c].tags.push((i - chunks[c].chunk.start + 1, t));
        }
    }
    let rows_in = |c: usize, toks: &[usize]| -> Vec<usize> {
        let ch = &chunks[c].chunk;
        toks.iter().filter(|&&t| t >= ch.start && t < ch.end).map(|&t| t - ch.start + 1).collect()
    };
    let sent_tokens: Vec<Vec<usize>> = p.sentences.iter().map(|s| p.feats.tokens_in(s.0, s.1).collect()).collect();
    for f in &p.figures {
        let toks: Vec<usize> = p.feats.tokens_in(f.0, f.1).collect();
        let Some(&c) = toks.first().and_then(|&t| own.get(t)).filter(|&&c| c != usize::MAX) else { continue };
        let sent = sent_tokens.get(f.3).map(|s| rows_in(c, s)).unwrap_or_default();
        let rows = rows_in(c, &toks);
        if !rows.is_empty() && !sent.is_empty() {
            out[c].figs.push((rows, sent, f.2 as u32));
        }
    }
    for (s, toks) in p.sentences.iter().zip(&sent_tokens) {
        let Some(&c) = toks.first().and_then(|&t| own.get(t)).filter(|&&c| c != usize::MAX) else { continue };
        let rows = rows_in(c, toks);
        if !rows.is_empty() {
            out[c].sents.push((rows, s.2 as u32));
        }
    }
    out
}

/// A linear map of the replica: frozen weight and bias, optional trainable low-rank update.
struct RLin {
    wt: Tensor,
    b: Tensor,
    lora: Option<(Var, Var)>,
}

impl RLin {
    fn forward(&self, x: &Tensor, scale: f64) -> candle_core::Result<Tensor> {
        let y = x.matmul(&self.wt)?.broadcast_add(&self.b)?;
        match &self.lora {
            Some((a, b)) => y + (x.matmul(a.as_tensor())?.matmul(b.as_tensor())? * scale)?,
            None => Ok(y),
        }
    }
}

struct RLayer {
    index: usize,
    lins: Vec<RLin>,
    aln: (Tensor, Tensor),
    oln: (Tensor, Tensor),
    eps: f64,
}

/// Layer norm from primitive ops, so that it back-propagates.
fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let mu = x.mean_keepdim(D::Minus1)?;
    let xc = x.broadcast_sub(&mu)?;
    let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
    xc.broadcast_div(&(var + eps)?.sqrt()?)?.broadcast_mul(w)?.broadcast_add(b)
}

/// A trainable copy of the encoder's top layers.
pub struct Replica {
    layers: Vec<RLayer>,
    heads: usize,
    act: Act,
    scale: f64,
    rank: usize,
    alpha: f64,
}

fn uniform(rng: &mut Rng, rows: usize, cols: usize, bound: f32) -> candle_core::Result<Var> {
    let data: Vec<f32> = (0..rows * cols).map(|_| (rng.uniform() * 2.0 - 1.0) * bound).collect();
    Var::from_tensor(&Tensor::from_vec(data, (rows, cols), &Device::Cpu)?)
}

impl Replica {
    /// The top `cfg.layers` layers of `enc`, with fresh adapters (A random, B zero: the replica
    /// starts as the base model).
    pub fn new(enc: &BertEncoder, cfg: &AdaptConfig) -> candle_core::Result<Replica> {
        let n = enc.num_layers();
        let mut rng = Rng::new(cfg.seed ^ 0x10ba);
        let mut layers = Vec::new();
        for index in n.saturating_sub(cfg.layers)..n {
            let t = enc.layer_tensors(index)?;
            let mut lins = Vec::new();
            for (wt, b) in t.lins {
                let (inp, out) = wt.dims2()?;
                let a = uniform(&mut rng, inp, cfg.rank, 1.0 / (inp as f32).sqrt())?;
                let bz = Var::zeros((cfg.rank, out), DType::F32, &Device::Cpu)?;
                lins.push(RLin { wt, b, lora: Some((a, bz)) });
            }
            layers.push(RLayer { index, lins, aln: t.attn_norm, oln: t.out_norm, eps: t.eps });
        }
        Ok(Replica { layers, heads: enc.cfg.num_attention_heads, act: enc.act(), scale: cfg.alpha / cfg.rank as f64, rank: cfg.rank, alpha: cfg.alpha })
    }

    pub fn vars(&self) -> Vec<Var> {
        self.layers.iter().flat_map(|l| l.lins.iter().filter_map(|x| x.lora.clone()).flat_map(|(a, b)| [a, b])).collect()
    }

    /// x: (B, T, H) states entering the first replicated layer; `mask`: (B, 1, 1, T) additive.
    pub fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let nh = self.heads;
        let d = h / nh;
        let mut x = x.reshape((b * t, h))?;
        for l in &self.layers {
            let qkv = l.lins[0].forward(&x, self.scale)?;
            let qkv = qkv.reshape((b, t, 3, nh, d))?.permute((2, 0, 3, 1, 4))?.contiguous()?;
            let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
            let att = q.matmul(&k.t()?.contiguous()?)?.broadcast_add(mask)?;
            let att = candle_nn::ops::softmax(&att, D::Minus1)?;
            let ctx = att.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b * t, h))?;
            let a = l.lins[1].forward(&ctx, self.scale)?;
            x = layer_norm(&(a + &x)?, &l.aln.0, &l.aln.1, l.eps)?;
            let f = l.lins[2].forward(&x, self.scale)?;
            let f = match self.act {
                Act::Gelu => f.gelu_erf()?,
                Act::GeluApproximate => f.gelu()?,
                Act::Relu => f.relu()?,
            };
            let f = l.lins[3].forward(&f, self.scale)?;
            x = layer_norm(&(f + &x)?, &l.oln.0, &l.oln.1, l.eps)?;
        }
        x.reshape((b, t, h))
    }

    /// The adapter as it stands (copies of the current weights).
    pub fn adapter(&self) -> candle_core::Result<LoraAdapter> {
        let mut pairs = Vec::new();
        for l in &self.layers {
            for (lin, name) in l.lins.iter().zip(LinName::ALL) {
                if let Some((a, b)) = &lin.lora {
                    pairs.push(LoraPair { layer: l.index, name, a: a.as_tensor().copy()?, b: b.as_tensor().copy()? });
                }
            }
        }
        Ok(LoraAdapter { rank: self.rank, alpha: self.alpha, pairs })
    }
}

/// Linear probes read during fine-tuning only: the MLP heads are refitted afterwards.
struct Probes {
    tag: (Var, Var),
    role: (Var, Var),
    tone: (Var, Var),
}

impl Probes {
    fn new(rng: &mut Rng, h: usize, n_tags: usize, n_roles: usize, n_tones: usize) -> candle_core::Result<Probes> {
        let lin = |rng: &mut Rng, i: usize, o: usize| -> candle_core::Result<(Var, Var)> {
            Ok((uniform(rng, i, o, 1.0 / (i as f32).sqrt())?, Var::zeros(o, DType::F32, &Device::Cpu)?))
        };
        Ok(Probes { tag: lin(rng, h, n_tags)?, role: lin(rng, 2 * h, n_roles)?, tone: lin(rng, h, n_tones)? })
    }
    fn vars(&self) -> Vec<Var> {
        [&self.tag, &self.role, &self.tone].iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect()
    }
}

fn apply(p: &(Var, Var), x: &Tensor) -> candle_core::Result<Tensor> {
    x.matmul(p.0.as_tensor())?.broadcast_add(p.1.as_tensor())
}

/// Dense (n, B*T) mean-pooling matrix over row lists, each offset by its chunk's base row.
fn pool_matrix(rows: &[(usize, &[usize])], total: usize) -> candle_core::Result<Tensor> {
    let mut m = vec![0f32; rows.len() * total];
    for (i, (base, r)) in rows.iter().enumerate() {
        let w = 1.0 / r.len().max(1) as f32;
        for &x in r.iter() {
            m[i * total + base + x] += w;
        }
    }
    Tensor::from_vec(m, (rows.len(), total), &Device::Cpu)
}

/// The probes' logits and gold labels for one batch of chunks.
struct BatchOut {
    tag: Option<(Tensor, Tensor)>,
    role: Option<(Tensor, Tensor)>,
    tone: Option<(Tensor, Tensor)>,
}

fn run_batch(rep: &Replica, probes: &Probes, chunks: &[(&CachedChunk, &ChunkGold)], h: usize) -> candle_core::Result<BatchOut> {
    let dev = Device::Cpu;
    let b = chunks.len();
    let t = chunks.iter().map(|(c, _)| c.states.len() / h).max().unwrap_or(1);
    let mut x = vec![0f32; b * t * h];
    let mut mask = vec![-1.0e9f32; b * t];
    for (r, (c, _)) in chunks.iter().enumerate() {
        x[r * t * h..r * t * h + c.states.len()].copy_from_slice(&c.states);
        mask[r * t..r * t + c.states.len() / h].iter_mut().for_each(|m| *m = 0.0);
    }
    let x = Tensor::from_vec(x, (b, t, h), &dev)?;
    let mask = Tensor::from_vec(mask, (b, 1, 1, t), &dev)?;
    let hs = rep.forward(&x, &mask)?.reshape((b * t, h))?;
    let (mut tag_idx, mut tag_y) = (Vec::new(), Vec::new());
    let (mut fig_rows, mut fig_sent, mut role_y) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sent_rows, mut tone_y) = (Vec::new(), Vec::new());
    for (r, (_, g)) in chunks.iter().enumerate() {
        let base = r * t;
        for &(row, y) in &g.tags {
            tag_idx.push((base + row) as u32);
            tag_y.push(y);
        }
        for (fr, sr, y) in &g.figs {
            fig_rows.push((base, fr.as_slice()));
            fig_sent.push((base, sr.as_slice()));
            role_y.push(*y);
        }
        for (sr, y) in &g.sents {
            sent_rows.push((base, sr.as_slice()));
            tone_y.push(*y);
        }
    }
    let tag = if tag_idx.is_empty() {
        None
    } else {
        let n = tag_idx.len();
        let sel = hs.index_select(&Tensor::from_vec(tag_idx, n, &dev)?, 0)?;
        Some((apply(&probes.tag, &sel)?, Tensor::from_vec(tag_y, n, &dev)?))
    };
    let role = if role_y.is_empty() {
        None
    } else {
        let n = role_y.len();
        let f = pool_matrix(&fig_rows, b * t)?.matmul(&hs)?;
        let s = pool_matrix(&fig_sent, b * t)?.matmul(&hs)?;
        Some((apply(&probes.role, &Tensor::cat(&[f, s], 1)?)?, Tensor::from_vec(role_y, n, &dev)?))
    };
    let tone = if tone_y.is_empty() {
        None
    } else {
        let n = tone_y.len();
        let s = pool_matrix(&sent_rows, b * t)?.matmul(&hs)?;
        Some((apply(&probes.tone, &s)?, Tensor::from_vec(tone_y, n, &dev)?))
    };
    Ok(BatchOut { tag, role, tone })
}

/// Batches of chunk indices whose padded size stays under `budget` tokens.
fn batches(order: &[usize], lens: &[usize], budget: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut longest = 0;
    for &i in order {
        let l = lens[i].max(longest);
        if !cur.is_empty() && l * (cur.len() + 1) > budget {
            out.push(std::mem::take(&mut cur));
            longest = 0;
        }
        longest = longest.max(lens[i]);
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Dev scores of the probes: token-tag accuracy on entity tokens, role accuracy, tone macro-F1.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProbeScores {
    pub entity_token_acc: f64,
    pub role_acc: f64,
    pub tone_macro_f1: f64,
}

fn argmax(logits: &Tensor) -> candle_core::Result<Vec<u32>> {
    logits.argmax(D::Minus1)?.to_vec1::<u32>()
}

fn score(rep: &Replica, probes: &Probes, items: &[(&CachedChunk, &ChunkGold)], h: usize, budget: usize, n_tones: usize) -> candle_core::Result<ProbeScores> {
    let lens: Vec<usize> = items.iter().map(|(c, _)| c.states.len() / h).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| lens[i]);
    let (mut ent_ok, mut ent_n, mut role_ok, mut role_n) = (0usize, 0usize, 0usize, 0usize);
    let mut conf = vec![vec![0usize; n_tones]; n_tones];
    for bt in batches(&order, &lens, budget) {
        let sel: Vec<(&CachedChunk, &ChunkGold)> = bt.iter().map(|&i| items[i]).collect();
        let o = run_batch(rep, probes, &sel, h)?;
        if let Some((l, y)) = o.tag {
            for (p, g) in argmax(&l)?.into_iter().zip(y.to_vec1::<u32>()?) {
                if g != 0 {
                    ent_n += 1;
                    ent_ok += (p == g) as usize;
                }
            }
        }
        if let Some((l, y)) = o.role {
            for (p, g) in argmax(&l)?.into_iter().zip(y.to_vec1::<u32>()?) {
                role_n += 1;
                role_ok += (p == g) as usize;
            }
        }
        if let Some((l, y)) = o.tone {
            for (p, g) in argmax(&l)?.into_iter().zip(y.to_vec1::<u32>()?) {
                conf[g as usize][p as usize] += 1;
            }
        }
    }
    Ok(ProbeScores {
        entity_token_acc: ent_ok as f64 / ent_n.max(1) as f64,
        role_acc: role_ok as f64 / role_n.max(1) as f64,
        tone_macro_f1: super::fit::macro_f1(&conf),
    })
}

/// Fits the probes alone on the frozen encoder's features (what the replica computes before any
/// update), so that the adapters' first gradients come from probes that already read something.
fn warm_probes(probes: &Probes, docs: &[&Prepared], tags: &[String], cfg: &AdaptConfig, log: &mut dyn FnMut(String)) -> candle_core::Result<()> {
    let h = docs.first().map(|p| p.feats.dim).unwrap_or(0);
    let mut sets = [Set::new(h), Set::new(2 * h), Set::new(h)];
    for p in docs {
        for (i, t) in token_tags(p, tags).into_iter().enumerate() {
            sets[0].push(p.feats.row(i), t);
        }
        for f in &p.figures {
            let s = p.sentences.get(f.3).map(|s| (s.0, s.1)).unwrap_or((f.0, f.1));
            let mut x = p.feats.mean(f.0, f.1);
            x.extend(p.feats.mean(s.0, s.1));
            sets[1].push(&x, f.2 as u32);
        }
        for s in &p.sentences {
            sets[2].push(&p.feats.mean(s.0, s.1), s.2 as u32);
        }
    }
    let mut rng = Rng::new(cfg.seed ^ 0x3a7);
    for (k, set) in sets.iter().enumerate() {
        let probe = [&probes.tag, &probes.role, &probes.tone][k];
        if set.len() == 0 {
            continue;
        }
        let mut opt = AdamW::new(vec![probe.0.clone(), probe.1.clone()], ParamsAdamW { lr: 5e-3, weight_decay: 0.01, ..Default::default() })?;
        let batch = if k == 0 { 512 } else { 64 };
        let mut last = 0f32;
        for _ in 0..WARM_EPOCHS {
            last = train_epoch(&|x| apply(probe, x), &mut opt, set, batch, &mut rng, &Device::Cpu)?;
        }
        log(format!("probe {} warmed on frozen features: {} examples, last epoch loss {last:.4}", ["tag", "role", "tone"][k], set.len()));
    }
    Ok(())
}

const WARM_EPOCHS: usize = 8;

/// Fine-tunes adapters on the top layers of `enc`. `train` and `dev` pair each chunk (with its
/// states entering the first adapted layer) with its gold examples.
pub fn fit_adapter(
    enc: &BertEncoder,
    train: &[(&CachedChunk, &ChunkGold)],
    dev: &[(&CachedChunk, &ChunkGold)],
    warm: &[&Prepared],
    tags: &[String],
    labels: (usize, usize, usize),
    cfg: AdaptConfig,
    log: &mut dyn FnMut(String),
) -> candle_core::Result<LoraAdapter> {
    let h = enc.cfg.hidden_size;
    let rep = Replica::new(enc, &cfg)?;
    let mut rng = Rng::new(cfg.seed ^ 0xada9);
    let probes = Probes::new(&mut rng, h, labels.0, labels.1, labels.2)?;
    warm_probes(&probes, warm, tags, &cfg, log)?;
    let lens: Vec<usize> = train.iter().map(|(c, _)| c.states.len() / h).collect();
    let steps_per_epoch = batches(&(0..train.len()).collect::<Vec<_>>(), &lens, cfg.step_tokens).len();
    // The probes are only linear: they move at a higher rate than the adapters.
    let mut opt = AdamW::new(rep.vars(), ParamsAdamW { lr: cfg.lr, weight_decay: 0.01, ..Default::default() })?;
    let mut opt_probes = AdamW::new(probes.vars(), ParamsAdamW { lr: cfg.lr * PROBE_LR_FACTOR, weight_decay: 0.01, ..Default::default() })?;
    let total_steps = (steps_per_epoch * cfg.epochs).max(1);
    let warmup = (total_steps / 10).max(1);
    let mut best = (f64::MIN, 0usize, rep.adapter()?);
    let base = score(&rep, &probes, dev, h, cfg.step_tokens, labels.2)?;
    log(format!("adapter: {} layers, rank {}, {} trainable parameters; {} train chunks, {steps_per_epoch} steps per epoch", cfg.layers, cfg.rank, rep.vars().iter().map(|v| v.elem_count()).sum::<usize>(), train.len()));
    let mut step = 0usize;
    for epoch in 1..=cfg.epochs {
        let t0 = std::time::Instant::now();
        // Shuffle, then sort within windows of 32 so that batches hold chunks of similar length.
        let mut order: Vec<usize> = (0..train.len()).collect();
        rng.shuffle(&mut order);
        for w in order.chunks_mut(32) {
            w.sort_by_key(|&i| lens[i]);
        }
        let mut bts = batches(&order, &lens, cfg.step_tokens);
        rng.shuffle(&mut bts);
        let (mut total, mut n) = (0f64, 0usize);
        for bt in bts {
            // Linear warm-up then linear decay.
            step += 1;
            let f = if step <= warmup { step as f64 / warmup as f64 } else { (total_steps - step.min(total_steps)) as f64 / (total_steps - warmup).max(1) as f64 };
            opt.set_learning_rate(cfg.lr * f.max(0.02));
            opt_probes.set_learning_rate(cfg.lr * PROBE_LR_FACTOR * f.max(0.02));
            let sel: Vec<(&CachedChunk, &ChunkGold)> = bt.iter().map(|&i| train[i]).collect();
            let o = run_batch(&rep, &probes, &sel, h)?;
            let mut loss: Option<Tensor> = None;
            for ((l, y), w) in [o.tag.map(|x| (x, 1.0)), o.role.map(|x| (x, 1.0)), o.tone.map(|x| (x, cfg.tone_weight))].into_iter().flatten() {
                let ce = (candle_nn::loss::cross_entropy(&l, &y)? * w)?;
                loss = Some(match loss {
                    Some(acc) => (acc + ce)?,
                    None => ce,
                });
            }
            if let Some(loss) = loss {
                let grads = loss.backward()?;
                opt.step(&grads)?;
                opt_probes.step(&grads)?;
                total += loss.to_scalar::<f32>()? as f64;
                n += 1;
            }
        }
        let s = score(&rep, &probes, dev, h, cfg.step_tokens, labels.2)?;
        log(format!(
            "adapter epoch {epoch}: loss {:.4}, dev probes: entity tokens {:.3} (base {:.3}), roles {:.3} (base {:.3}), tone macro-F1 {:.3} (base {:.3}) [{:.0} s]",
            total / n.max(1) as f64,
            s.entity_token_acc,
            base.entity_token_acc,
            s.role_acc,
            base.role_acc,
            s.tone_macro_f1,
            base.tone_macro_f1,
            t0.elapsed().as_secs_f64()
        ));
        let key = s.role_acc + s.tone_macro_f1 + s.entity_token_acc;
        if dev.is_empty() || key > best.0 {
            best = (key, epoch, rep.adapter()?);
        }
    }
    log(format!("adapter: kept epoch {}", best.1));
    Ok(best.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_the_token_budget() {
        let lens = vec![10, 50, 20, 60, 5];
        let b = batches(&[0, 1, 2, 3, 4], &lens, 100);
        for bt in &b {
            let longest = bt.iter().map(|&i| lens[i]).max().unwrap();
            assert!(longest * bt.len() <= 100 || bt.len() == 1, "{b:?}");
        }
        assert_eq!(b.iter().map(|x| x.len()).sum::<usize>(), 5);
    }

    #[test]
    fn pool_matrix_averages_rows_at_their_offsets() {
        let m = pool_matrix(&[(0, &[1, 2][..]), (4, &[0][..])], 6).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(m, vec![vec![0., 0.5, 0.5, 0., 0., 0.], vec![0., 0., 0., 0., 1., 0.]]);
    }
}
