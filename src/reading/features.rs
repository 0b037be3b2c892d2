//! What the task heads read: one vector per sub-word token with its character span, from one
//! encoder pass over a document. Any encoder that yields these can feed training and inference.

/// Token vectors of one document, row-major `n × dim`, with char spans into the text encoded.
#[derive(Debug, Clone, Default)]
pub struct TokenFeatures {
    pub dim: usize,
    pub vectors: Vec<f32>,
    pub spans: Vec<(usize, usize)>,
    /// True for the first piece of a word (aggregation uses first-piece labels).
    pub word_start: Vec<bool>,
}

impl TokenFeatures {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    /// Tokens overlapping a char span.
    pub fn tokens_in(&self, start: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        self.spans.iter().enumerate().filter(move |(_, s)| s.0 < end && start < s.1).map(|(i, _)| i)
    }

    /// Mean of the token vectors over a char span; zeros when no token falls in it.
    pub fn mean(&self, start: usize, end: usize) -> Vec<f32> {
        self.mean_of(self.tokens_in(start, end))
    }

    /// Mean of the given token rows; zeros when there are none.
    fn mean_of(&self, rows: impl IntoIterator<Item = usize>) -> Vec<f32> {
        let mut acc = vec![0f32; self.dim];
        let mut n = 0;
        for i in rows {
            for (a, v) in acc.iter_mut().zip(self.row(i)) {
                *a += v;
            }
            n += 1;
        }
        if n > 0 {
            acc.iter_mut().for_each(|a| *a /= n as f32);
        }
        acc
    }

    /// Element-wise max of the token vectors over a char span; zeros when no token falls in it.
    pub fn max(&self, start: usize, end: usize) -> Vec<f32> {
        let mut acc: Option<Vec<f32>> = None;
        for i in self.tokens_in(start, end) {
            match acc.as_mut() {
                None => acc = Some(self.row(i).to_vec()),
                Some(a) => a.iter_mut().zip(self.row(i)).for_each(|(a, v)| *a = a.max(*v)),
            }
        }
        acc.unwrap_or_else(|| vec![0f32; self.dim])
    }

    /// Mean of the `k` tokens starting at or after char `pos` (right context of a figure).
    pub fn mean_after(&self, pos: usize, k: usize) -> Vec<f32> {
        self.mean_of(self.spans.iter().enumerate().filter(|(_, s)| s.0 >= pos).map(|(i, _)| i).take(k))
    }

    /// Mean of the `k` tokens just before char `pos` (left context of a figure).
    pub fn mean_before(&self, pos: usize, k: usize) -> Vec<f32> {
        let idx: Vec<usize> = self.spans.iter().enumerate().filter(|(_, s)| s.1 <= pos).map(|(i, _)| i).collect();
        self.mean_of(idx[idx.len().saturating_sub(k)..].iter().copied())
    }
}

/// Something that turns a document into token features (the encoder, or a test double).
pub trait Featurizer {
    /// `sentences` are char spans into `text`; chunks are built from whole sentences.
    fn features(&self, text: &str, sentences: &[(usize, usize)]) -> Result<TokenFeatures, String>;

    /// Features of several documents; an encoder shares its batches between them. The default
    /// reads them one by one.
    fn features_many(&self, docs: &[(&str, &[(usize, usize)])]) -> Result<Vec<TokenFeatures>, String> {
        docs.iter().map(|(t, s)| self.features(t, s)).collect()
    }
}

/// The input of the tagger for token `i`: its vector and its two neighbours' (zeros at the
/// edges), so that the head sees local context the last layer may have blurred.
pub fn tagger_input(f: &TokenFeatures, i: usize, out: &mut Vec<f32>) {
    out.extend_from_slice(f.row(i));
    let zeros = vec![0f32; f.dim];
    out.extend_from_slice(if i > 0 { f.row(i - 1) } else { &zeros });
    out.extend_from_slice(if i + 1 < f.len() { f.row(i + 1) } else { &zeros });
}

/// Extra inputs of the role head: one-hot of the role the nearest cue word signals.
pub const ROLE_CUE_DIMS: usize = 8;
/// Extra inputs of the tone head: positive and negative cue counts.
pub const TONE_CUE_DIMS: usize = 2;

/// The input of the role head: the figure's tokens, the 8 tokens before it, its sentence, and
/// the cue-word role (which the head learns when to trust).
pub fn role_input(f: &TokenFeatures, text: &str, fig: (usize, usize), sentence: (usize, usize)) -> Vec<f32> {
    let mut v = f.mean(fig.0, fig.1);
    v.extend(f.mean_before(fig.0, 8));
    v.extend(f.mean(sentence.0, sentence.1));
    let mut cue = [0f32; ROLE_CUE_DIMS];
    let sent = crate::text::char_slice(text, sentence.0, sentence.1).to_lowercase();
    let (fs, fe) = (fig.0.saturating_sub(sentence.0), fig.1.saturating_sub(sentence.0));
    if let Some((role, _)) = crate::records::rule_role(&sent, fs, fe) {
        if let Some(i) = crate::reading::ROLES.iter().position(|r| *r == role) {
            cue[i] = 1.0;
        }
    }
    v.extend(cue);
    v
}

/// Which inputs the role and tone heads read. Heads record it (`heads.json` `inputs`), so heads
/// trained on an earlier layout keep reading what they were trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inputs {
    /// Figure, 8 tokens before, sentence; sentence mean and max.
    V1,
    /// V1 plus the 8 tokens after the figure and the document mean; plus the previous and next
    /// sentences' means for tone (a sentence's tone often depends on what it answers).
    V2,
}

impl Inputs {
    pub fn from_version(v: u32) -> Inputs {
        if v >= 2 { Inputs::V2 } else { Inputs::V1 }
    }
    pub fn version(self) -> u32 {
        match self {
            Inputs::V1 => 1,
            Inputs::V2 => 2,
        }
    }
    pub fn role_dims(self, dim: usize) -> usize {
        match self {
            Inputs::V1 => dim * 3 + ROLE_CUE_DIMS,
            Inputs::V2 => dim * 5 + ROLE_CUE_DIMS,
        }
    }
    pub fn tone_dims(self, dim: usize) -> usize {
        match self {
            Inputs::V1 => dim * 2 + TONE_CUE_DIMS,
            Inputs::V2 => dim * 4 + TONE_CUE_DIMS,
        }
    }
    /// Role-head input of the figure `fig` in `sentence`.
    pub fn role(self, f: &TokenFeatures, text: &str, fig: (usize, usize), sentence: (usize, usize)) -> Vec<f32> {
        let mut v = role_input(f, text, fig, sentence);
        if self == Inputs::V2 {
            let cue = v.split_off(v.len() - ROLE_CUE_DIMS);
            v.extend(f.mean_after(fig.1, 8));
            v.extend(f.mean(0, usize::MAX));
            v.extend(cue);
        }
        v
    }
    /// Tone-head input of sentence `i` of `sentences`.
    pub fn tone(self, f: &TokenFeatures, text: &str, sentences: &[(usize, usize)], i: usize) -> Vec<f32> {
        let mut v = tone_input(f, text, sentences[i]);
        if self == Inputs::V2 {
            let cue = v.split_off(v.len() - TONE_CUE_DIMS);
            let zeros = vec![0f32; f.dim];
            v.extend(if i > 0 { f.mean(sentences[i - 1].0, sentences[i - 1].1) } else { zeros.clone() });
            v.extend(sentences.get(i + 1).map(|s| f.mean(s.0, s.1)).unwrap_or(zeros));
            v.extend(cue);
        }
        v
    }
}

/// The input of the tone head: the sentence's mean and max-pooled vectors (the max keeps one
/// strongly coloured word from being averaged away) and its cue-word counts.
pub fn tone_input(f: &TokenFeatures, text: &str, sentence: (usize, usize)) -> Vec<f32> {
    let mut v = f.mean(sentence.0, sentence.1);
    v.extend(f.max(sentence.0, sentence.1));
    let (p, n) = crate::records::lexicon_counts(crate::text::char_slice(text, sentence.0, sentence.1));
    v.push(p.min(3) as f32 / 3.0);
    v.push(n.min(3) as f32 / 3.0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling() {
        let f = TokenFeatures { dim: 2, vectors: vec![1., 0., 3., 2., 5., 4.], spans: vec![(0, 3), (4, 6), (6, 9)], word_start: vec![true, true, false] };
        assert_eq!(f.mean(4, 9), vec![4., 3.]);
        assert_eq!(f.mean(10, 12), vec![0., 0.]);
        assert_eq!(f.mean_before(6, 8), vec![2., 1.]);
        assert_eq!(f.max(0, 9), vec![5., 4.]);
        assert_eq!(tone_input(&f, "Orange lève", (0, 9)).len(), 4 + TONE_CUE_DIMS);
        assert_eq!(role_input(&f, "Orange lève 5 M€", (6, 9), (0, 9)).len(), 6 + ROLE_CUE_DIMS);
        assert_eq!(f.mean_after(4, 1), vec![3., 2.]);
        assert_eq!(f.mean_after(4, 8), vec![4., 3.]);
        assert_eq!(f.mean_after(10, 8), vec![0., 0.]);
    }

    #[test]
    fn v2_inputs_add_context_and_keep_v1_first() {
        let f = TokenFeatures { dim: 2, vectors: vec![1., 0., 3., 2., 5., 4.], spans: vec![(0, 3), (4, 6), (6, 9)], word_start: vec![true, true, false] };
        let text = "Orange lève";
        let sents = [(0, 3), (4, 9)];
        let v1 = Inputs::V1.tone(&f, text, &sents, 1);
        let v2 = Inputs::V2.tone(&f, text, &sents, 1);
        assert_eq!(v2.len(), Inputs::V2.tone_dims(2));
        assert_eq!(v2[..4], v1[..4]);
        // previous sentence's mean, then zeros for the missing next one, then the cue counts
        assert_eq!(v2[4..8], [1., 0., 0., 0.]);
        assert_eq!(v2[8..], v1[4..]);
        let r2 = Inputs::V2.role(&f, text, (4, 6), (4, 9));
        assert_eq!(r2.len(), Inputs::V2.role_dims(2));
        // after the figure: token (6, 9); document mean: (3, 2)
        assert_eq!(r2[6..10], [5., 4., 3., 2.]);
    }
}

impl Featurizer for crate::model::Engine {
    fn features(&self, text: &str, sentences: &[(usize, usize)]) -> Result<TokenFeatures, String> {
        let enc = self.encode_document(text, sentences).map_err(|e| e.to_string())?;
        Ok(from_encoding(&enc))
    }

    fn features_many(&self, docs: &[(&str, &[(usize, usize)])]) -> Result<Vec<TokenFeatures>, String> {
        let encs = self.encode_documents(docs).map_err(|e| e.to_string())?;
        Ok(encs.iter().map(from_encoding).collect())
    }
}

/// Token features from the engine's reading: spans per token, first pieces of words marked.
pub fn from_encoding(enc: &crate::model::DocEncoding) -> TokenFeatures {
    let mut word_start = vec![true; enc.tokens.len()];
    for w in &enc.words {
        for &t in w.tokens.iter().skip(1) {
            if let Some(x) = word_start.get_mut(t) {
                *x = false;
            }
        }
    }
    TokenFeatures { dim: enc.hidden, vectors: enc.vectors.clone(), spans: enc.tokens.iter().map(|t| (t.start, t.end)).collect(), word_start }
}
