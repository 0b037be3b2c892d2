//! The engine: tokenizer + encoder + chunking/batching, and the per-document encoding that
//! heads read from.
use super::arch::Encoder;
use super::bert::Precision;
use super::error::{ModelError, Result};
use super::text::word_spans;
use candle_core::{DType, Device, Tensor};
use std::path::Path;

/// Tokenizer with the ids of its special tokens.
pub struct Tok {
    pub inner: tokenizers::Tokenizer,
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
}

impl Tok {
    pub fn from_file(path: &Path) -> Result<Tok> {
        if !path.exists() {
            return Err(ModelError::MissingFile { path: path.into(), hint: "tokenizer.json is required next to the weights".into() });
        }
        let mut inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| ModelError::BadFile { path: path.into(), reason: e.to_string() })?;
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let id = |names: &[&str]| names.iter().find_map(|n| inner.token_to_id(n));
        let cls = id(&["<s>", "[CLS]", "<cls>"]).ok_or_else(|| ModelError::Tokenizer("no CLS/<s> token".into()))?;
        let sep = id(&["</s>", "[SEP]", "<sep>"]).ok_or_else(|| ModelError::Tokenizer("no SEP/</s> token".into()))?;
        let pad = id(&["<pad>", "[PAD]"]).unwrap_or(0);
        Ok(Tok { inner, cls, sep, pad })
    }

    /// Ids and char-offset spans of `text`, without special tokens.
    pub fn encode(&self, text: &str) -> Result<(Vec<u32>, Vec<(usize, usize)>)> {
        if text.is_empty() {
            return Ok((vec![], vec![]));
        }
        let enc = self.inner.encode_char_offsets(text, false).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok((enc.get_ids().to_vec(), enc.get_offsets().to_vec()))
    }
}

/// Chunking and batching knobs.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Tokens per chunk, special tokens included (capped by the model's positions).
    pub max_tokens: usize,
    /// Tokens shared by consecutive windows of a sentence longer than a chunk.
    pub overlap: usize,
    /// Padded tokens per batch (batch size x longest chunk).
    pub token_budget: usize,
    /// Most chunks per batch.
    pub max_batch: usize,
    pub precision: Precision,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { max_tokens: 256, overlap: 32, token_budget: 2048, max_batch: 16, precision: Precision::Auto }
    }
}

/// One token of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpan {
    pub id: u32,
    /// Char offsets into the document text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Index into the document's sentences.
    pub sentence: usize,
}

/// A word (see [`super::text::word_spans`]) with the tokens that cover it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub tokens: Vec<usize>,
}

/// How sub-word vectors/predictions merge into a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregation {
    #[default]
    First,
    Average,
}

/// The encoder's reading of one document: a hidden vector per token (f32), with char spans and
/// sentence index. Tokens of a long sentence split into overlapping windows are taken from the
/// window where they sit furthest from an edge.
#[derive(Debug, Clone)]
pub struct DocEncoding {
    pub hidden: usize,
    pub tokens: Vec<TokenSpan>,
    /// (n_tokens x hidden), row-major.
    pub vectors: Vec<f32>,
    /// Sentence char spans as used (the caller's, sorted; the whole text when none were given).
    pub sentences: Vec<(usize, usize)>,
    /// Words of the text and their tokens.
    pub words: Vec<Word>,
    /// Number of chunks the document was cut into.
    pub n_chunks: usize,
}

impl DocEncoding {
    pub fn token_vector(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.hidden..(i + 1) * self.hidden]
    }

    fn mean_of(&self, idx: impl Iterator<Item = usize>) -> Option<Vec<f32>> {
        let mut acc = vec![0f32; self.hidden];
        let mut n = 0usize;
        for i in idx {
            for (a, v) in acc.iter_mut().zip(self.token_vector(i)) {
                *a += v;
            }
            n += 1;
        }
        if n == 0 {
            return None;
        }
        acc.iter_mut().for_each(|a| *a /= n as f32);
        Some(acc)
    }

    /// Mean of each sentence's token vectors (a zero vector for a sentence without tokens).
    pub fn sentence_vectors(&self) -> Vec<Vec<f32>> {
        (0..self.sentences.len())
            .map(|s| {
                self.mean_of(self.tokens.iter().enumerate().filter(|(_, t)| t.sentence == s).map(|(i, _)| i))
                    .unwrap_or_else(|| vec![0.0; self.hidden])
            })
            .collect()
    }

    /// Mean of the vectors of tokens overlapping chars `[start, end)`; None if no token does.
    pub fn span_vector(&self, start: usize, end: usize) -> Option<Vec<f32>> {
        self.mean_of(
            self.tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| t.start < end.max(start + 1) && t.end.max(t.start + 1) > start)
                .map(|(i, _)| i),
        )
    }

    /// One vector per word.
    pub fn word_vectors(&self, agg: Aggregation) -> Vec<Vec<f32>> {
        self.words
            .iter()
            .map(|w| match agg {
                Aggregation::First => self.token_vector(w.tokens[0]).to_vec(),
                Aggregation::Average => self.mean_of(w.tokens.iter().copied()).unwrap(),
            })
            .collect()
    }

    /// All token vectors as a (n_tokens, hidden) tensor.
    pub fn tensor(&self) -> Result<Tensor> {
        Ok(Tensor::from_slice(&self.vectors, (self.tokens.len(), self.hidden), &Device::Cpu)?)
    }
}

/// A chunk: tokens [start, end) of document `doc`; it owns tokens [own_start, own_end).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub doc: usize,
    pub start: usize,
    pub end: usize,
    pub own_start: usize,
    pub own_end: usize,
}

/// Cut sentence token ranges into chunks of at most `w` tokens.
fn chunk_ranges(doc: usize, sent_ranges: &[(usize, usize)], w: usize, overlap: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    let flush = |cur: &mut Option<(usize, usize)>, out: &mut Vec<Chunk>| {
        if let Some((a, b)) = cur.take() {
            if b > a {
                out.push(Chunk { doc, start: a, end: b, own_start: a, own_end: b });
            }
        }
    };
    for &(a, b) in sent_ranges {
        if b <= a {
            continue;
        }
        if b - a > w {
            flush(&mut cur, &mut out);
            let stride = (w - overlap.min(w / 2)).max(1);
            let mut starts = Vec::new();
            let mut s = a;
            loop {
                starts.push(s);
                if s + w >= b {
                    break;
                }
                s = (s + stride).min(b - w);
            }
            for (k, &s) in starts.iter().enumerate() {
                let e = (s + w).min(b);
                let own_start = if k == 0 { s } else { (s + starts[k - 1] + w) / 2 };
                let own_end = if k + 1 == starts.len() { e } else { (starts[k + 1] + e) / 2 };
                out.push(Chunk { doc, start: s, end: e, own_start, own_end });
            }
            continue;
        }
        match cur {
            Some((ca, cb)) if b - ca <= w && a == cb => cur = Some((ca, b)),
            _ => {
                flush(&mut cur, &mut out);
                cur = Some((a, b));
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// A chunk of a document with its hidden states at some layer: (end - start + 2) x H rows, CLS
/// first.
#[derive(Debug, Clone)]
pub struct CachedChunk {
    pub chunk: Chunk,
    pub states: Vec<f32>,
}

/// Copies each chunk's own token rows into its document's vectors.
fn scatter<'a>(encs: &mut [DocEncoding], chunks: impl IntoIterator<Item = &'a Chunk>, outs: &[Vec<f32>], h: usize) {
    for (c, o) in chunks.into_iter().zip(outs) {
        let e = &mut encs[c.doc];
        e.n_chunks += 1;
        for tok in c.own_start..c.own_end {
            let r = tok - c.start + 1;
            e.vectors[tok * h..(tok + 1) * h].copy_from_slice(&o[r * h..(r + 1) * h]);
        }
    }
}

/// Transformer encoder with its tokenizer, ready to read documents.
pub struct Engine {
    pub encoder: Encoder,
    pub tokenizer: Tok,
    pub opts: EngineOptions,
    /// Hidden size of the encoder output.
    pub hidden: usize,
    /// Most tokens per sequence the model accepts (special tokens included).
    pub max_positions: usize,
    /// Where the weights came from, for reports.
    pub description: String,
}

impl Engine {
    pub fn device(&self) -> Device {
        self.encoder.device()
    }

    /// Merges a low-rank adapter into the encoder's weights (BERT-layout encoders only).
    pub fn apply_adapter(&mut self, adapter: &super::lora::LoraAdapter) -> Result<()> {
        let bert = self.encoder.as_bert_mut().ok_or_else(|| ModelError::Other("adapters need a BERT-layout encoder".into()))?;
        adapter.merge_into(bert)?;
        self.description.push_str(" + adapter");
        Ok(())
    }

    fn window(&self) -> usize {
        self.opts.max_tokens.min(self.max_positions).max(3) - 2
    }

    /// Run sequences (ids without specials) through the encoder, batched by length under the
    /// token budget. Returns, per sequence, its (len + 2) x hidden f32 rows (CLS first).
    pub fn run_sequences(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        self.run_ids(seqs, |ids, mask| Ok(self.encoder.forward(ids, mask)?))
    }

    /// Batches `seqs` (with CLS/SEP added) by length and runs `f` on (B, T) ids and mask,
    /// returning each sequence's rows of the (B, T, H) output.
    fn run_ids(&self, seqs: &[Vec<u32>], f: impl Fn(&Tensor, &Tensor) -> Result<Tensor>) -> Result<Vec<Vec<f32>>> {
        let dev = self.device();
        let lens: Vec<usize> = seqs.iter().map(|s| s.len() + 2).collect();
        self.run_batched(&lens, |batch, t| {
            let b = batch.len();
            let mut ids = vec![self.tokenizer.pad; b * t];
            let mut mask = vec![0u32; b * t];
            for (r, &i) in batch.iter().enumerate() {
                let s = &seqs[i];
                ids[r * t] = self.tokenizer.cls;
                ids[r * t + 1..r * t + 1 + s.len()].copy_from_slice(s);
                ids[r * t + 1 + s.len()] = self.tokenizer.sep;
                mask[r * t..r * t + s.len() + 2].iter_mut().for_each(|m| *m = 1);
            }
            f(&Tensor::from_vec(ids, (b, t), &dev)?, &Tensor::from_vec(mask, (b, t), &dev)?)
        })
    }

    /// Sorts items of `lens` rows by length, packs them into batches under the token budget,
    /// runs `f(batch, padded_len)` -> (B, T, H) and returns each item's `lens[i]` rows.
    fn run_batched(&self, lens: &[usize], mut f: impl FnMut(&[usize], usize) -> Result<Tensor>) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let mut order: Vec<usize> = (0..lens.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(lens[i]));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); lens.len()];
        let mut k = 0;
        while k < order.len() {
            let t = lens[order[k]].max(1);
            let per = (self.opts.token_budget / t).clamp(1, self.opts.max_batch.max(1));
            let batch: Vec<usize> = order[k..(k + per).min(order.len())].to_vec();
            k += batch.len();
            let hs = f(&batch, t)?.to_dtype(DType::F32)?.to_device(&Device::Cpu)?;
            let flat = hs.flatten_all()?.to_vec1::<f32>()?;
            for (r, &i) in batch.iter().enumerate() {
                out[i] = flat[r * t * h..(r * t + lens[i]) * h].to_vec();
            }
        }
        Ok(out)
    }

    /// Read one document; `sentences` are char spans (start, end) given by the caller (the
    /// whole text is one sentence when empty).
    pub fn encode_document(&self, text: &str, sentences: &[(usize, usize)]) -> Result<DocEncoding> {
        Ok(self.encode_documents(&[(text, sentences)])?.pop().unwrap())
    }

    /// Read several documents, sharing batches between them.
    pub fn encode_documents(&self, docs: &[(&str, &[(usize, usize)])]) -> Result<Vec<DocEncoding>> {
        let (mut encs, chunks, seqs) = self.plan(docs)?;
        let outs = self.run_sequences(&seqs)?;
        scatter(&mut encs, &chunks, &outs, self.hidden);
        Ok(encs)
    }

    /// Read documents up to (not including) layer `upto`: the encodings without vectors, and each
    /// chunk with its hidden states there. [`Engine::finish_documents`] runs the rest. Training
    /// caches these so that only the top layers are recomputed. BERT-layout encoders only.
    pub fn encode_lower(&self, docs: &[(&str, &[(usize, usize)])], upto: usize) -> Result<(Vec<DocEncoding>, Vec<CachedChunk>)> {
        let bert = self.encoder.as_bert().ok_or_else(|| ModelError::Other("layer-level access needs a BERT-layout encoder".into()))?;
        let (encs, chunks, seqs) = self.plan(docs)?;
        let outs = self.run_ids(&seqs, |ids, mask| {
            let x = bert.embed(ids, None)?;
            Ok(bert.forward_layers(x, &bert.prepare_mask(mask)?, 0..upto)?)
        })?;
        let cached = chunks.into_iter().zip(outs).map(|(chunk, states)| CachedChunk { chunk, states }).collect();
        Ok((encs, cached))
    }

    /// Runs layers `from..` on cached chunk states and fills the encodings' vectors, exactly as
    /// [`Engine::encode_documents`] would have.
    pub fn finish_documents(&self, encs: &mut [DocEncoding], chunks: &[CachedChunk], from: usize) -> Result<()> {
        let outs = self.run_upper(&chunks.iter().map(|c| c.states.as_slice()).collect::<Vec<_>>(), from)?;
        for e in encs.iter_mut() {
            e.n_chunks = 0;
        }
        scatter(encs, chunks.iter().map(|c| &c.chunk), &outs, self.hidden);
        Ok(())
    }

    /// Runs layers `from..` of the encoder on hidden states ((len x H) rows per sequence).
    pub fn run_upper(&self, states: &[&[f32]], from: usize) -> Result<Vec<Vec<f32>>> {
        let bert = self.encoder.as_bert().ok_or_else(|| ModelError::Other("layer-level access needs a BERT-layout encoder".into()))?;
        let h = self.hidden;
        let dev = self.device();
        let lens: Vec<usize> = states.iter().map(|s| s.len() / h).collect();
        self.run_batched(&lens, |batch, t| {
            let b = batch.len();
            let mut x = vec![0f32; b * t * h];
            let mut mask = vec![0u32; b * t];
            for (r, &i) in batch.iter().enumerate() {
                x[r * t * h..r * t * h + states[i].len()].copy_from_slice(states[i]);
                mask[r * t..r * t + lens[i]].iter_mut().for_each(|m| *m = 1);
            }
            let x = Tensor::from_vec(x, (b, t, h), &dev)?.to_dtype(bert.dtype())?;
            let mask = bert.prepare_mask(&Tensor::from_vec(mask, (b, t), &dev)?)?;
            Ok(bert.forward_layers(x, &mask, from..bert.num_layers())?)
        })
    }

    /// Tokenises documents and cuts them into chunks: encodings without vectors, chunks, and the
    /// id sequence of each chunk.
    fn plan(&self, docs: &[(&str, &[(usize, usize)])]) -> Result<(Vec<DocEncoding>, Vec<Chunk>, Vec<Vec<u32>>)> {
        let w = self.window();
        let mut encs = Vec::with_capacity(docs.len());
        let mut chunks = Vec::new();
        let mut doc_ids: Vec<Vec<u32>> = Vec::new();
        for (d, (text, sents)) in docs.iter().enumerate() {
            let nchars = text.chars().count();
            let mut sentences: Vec<(usize, usize)> =
                sents.iter().map(|&(a, b)| (a.min(nchars), b.min(nchars).max(a.min(nchars)))).collect();
            sentences.sort();
            if sentences.is_empty() && nchars > 0 {
                sentences.push((0, nchars));
            }
            let (ids, offs) = self.tokenizer.encode(text)?;
            // sentence of each token: the last sentence starting at or before it (monotone)
            let mut tokens = Vec::with_capacity(ids.len());
            let mut s = 0usize;
            for (id, &(a, b)) in ids.iter().zip(&offs) {
                while s + 1 < sentences.len() && sentences[s + 1].0 <= a {
                    s += 1;
                }
                tokens.push(TokenSpan { id: *id, start: a, end: b, sentence: s });
            }
            let mut ranges = vec![(usize::MAX, 0usize); sentences.len()];
            for (i, t) in tokens.iter().enumerate() {
                let r = &mut ranges[t.sentence];
                if r.0 == usize::MAX {
                    r.0 = i;
                }
                r.1 = i + 1;
            }
            for r in ranges.iter_mut().filter(|r| r.0 == usize::MAX) {
                *r = (0, 0);
            }
            chunks.extend(chunk_ranges(d, &ranges, w, self.opts.overlap));
            let words = map_words(text, &tokens);
            encs.push(DocEncoding { hidden: self.hidden, vectors: vec![0.0; tokens.len() * self.hidden], tokens, sentences, words, n_chunks: 0 });
            doc_ids.push(ids);
        }
        let seqs: Vec<Vec<u32>> = chunks.iter().map(|c| doc_ids[c.doc][c.start..c.end].to_vec()).collect();
        Ok((encs, chunks, seqs))
    }

    /// Split ids into windows that fit the model.
    fn windows(&self, ids: &[u32]) -> Vec<Vec<u32>> {
        if ids.is_empty() {
            return vec![vec![]];
        }
        ids.chunks(self.window()).map(|c| c.to_vec()).collect()
    }

    /// Mean-pooled embeddings (special tokens included, as e5 does), one per text. Text longer
    /// than a window is cut into windows whose means are averaged, weighted by length.
    /// Vectors are not normalised; see [`l2_normalize`].
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut seqs = Vec::new();
        let mut owner = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let (ids, _) = self.tokenizer.encode(t)?;
            for w in self.windows(&ids) {
                seqs.push(w);
                owner.push(i);
            }
        }
        let outs = self.run_sequences(&seqs)?;
        let h = self.hidden;
        let mut acc = vec![vec![0f32; h]; texts.len()];
        let mut cnt = vec![0usize; texts.len()];
        for (o, &i) in outs.iter().zip(&owner) {
            for row in o.chunks_exact(h) {
                for (a, v) in acc[i].iter_mut().zip(row) {
                    *a += v;
                }
                cnt[i] += 1;
            }
        }
        for (a, n) in acc.iter_mut().zip(cnt) {
            a.iter_mut().for_each(|x| *x /= n.max(1) as f32);
        }
        Ok(acc)
    }

    /// First-token (CLS) vectors of each text's windows, for sequence classifiers.
    pub fn first_token_vectors(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>> {
        let mut seqs = Vec::new();
        let mut owner = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let (ids, _) = self.tokenizer.encode(t)?;
            for w in self.windows(&ids) {
                seqs.push(w);
                owner.push(i);
            }
        }
        let outs = self.run_sequences(&seqs)?;
        let mut res = vec![Vec::new(); texts.len()];
        for (o, &i) in outs.into_iter().zip(&owner) {
            res[i].push(o[..self.hidden].to_vec());
        }
        Ok(res)
    }
}

/// Words of `text` and the tokens overlapping each; a word that no token covers (characters the
/// tokenizer dropped) gets the nearest token.
fn map_words(text: &str, tokens: &[TokenSpan]) -> Vec<Word> {
    if tokens.is_empty() {
        return Vec::new();
    }
    let spans = word_spans(text);
    let mut out = Vec::with_capacity(spans.len());
    let mut j = 0usize;
    for (a, b) in spans {
        while j < tokens.len() && tokens[j].end <= a && !(tokens[j].start == tokens[j].end && tokens[j].start >= a) {
            j += 1;
        }
        let mut v = Vec::new();
        let mut k = j;
        while k < tokens.len() && tokens[k].start < b {
            if tokens[k].end > a && tokens[k].end > tokens[k].start {
                v.push(k);
            }
            k += 1;
        }
        if v.is_empty() {
            v.push(j.min(tokens.len() - 1));
        }
        out.push(Word { start: a, end: b, tokens: v });
    }
    out
}

/// Scale a vector to unit length (no-op for zero vectors).
pub fn l2_normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    d / (na * nb).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn chunks_cover_everything() {
        let ranges = vec![(0, 10), (10, 50), (50, 300), (300, 310)];
        let c = chunk_ranges(0, &ranges, 64, 16);
        let mut owned = vec![0; 310];
        for ch in &c {
            assert!(ch.end - ch.start <= 64);
            for t in ch.own_start..ch.own_end {
                owned[t] += 1;
                assert!(t >= ch.start && t < ch.end);
            }
        }
        assert!(owned.iter().all(|&n| n == 1), "{owned:?}");
        assert_eq!(c[0].start, 0);
        assert_eq!(c[0].end, 50);
    }
}
