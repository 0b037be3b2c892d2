//! Inference with the task heads on one document's token features: entities (BIO, first-piece
//! aggregation over words), sentence tones and money-figure roles.

use candle_core::{Device, Tensor};

use super::features::{tagger_input, TokenFeatures};
use super::heads::{argmax_rows, TaskHeads};
use crate::pipeline::Reading;
use crate::text::Span;

fn stack(rows: &[Vec<f32>], dim: usize, dev: &Device) -> candle_core::Result<Tensor> {
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (rows.len(), dim), dev)
}

/// Groups tagged tokens into entities: a word takes its first piece's tag; `B-X` opens an
/// entity, `I-X` continues one of the same label (or opens one when none is open).
pub fn decode_bio(tags: &[(String, f32)], feats: &TokenFeatures, text: &str) -> Vec<(usize, usize, String, f64)> {
    let mut out: Vec<(usize, usize, String, f64)> = Vec::new();
    let mut open: Option<(usize, usize, String, f64, usize)> = None;
    let mut word_tag: Option<(String, f32)> = None;
    for (i, (tag, p)) in tags.iter().enumerate() {
        if feats.word_start.get(i).copied().unwrap_or(true) || word_tag.is_none() {
            word_tag = Some((tag.clone(), *p));
        } else if let Some(o) = open.as_mut() {
            // A continuation piece extends whatever its word opened.
            if word_tag.as_ref().map(|w| w.0 != "O").unwrap_or(false) {
                o.1 = feats.spans[i].1;
            }
            continue;
        } else {
            continue;
        }
        let (t, prob) = word_tag.clone().unwrap_or(("O".into(), 1.0));
        let (s, e) = feats.spans[i];
        let (bio, label) = t.split_once('-').map(|(b, l)| (b.to_string(), l.to_string())).unwrap_or(("O".into(), String::new()));
        match (bio.as_str(), open.as_mut()) {
            ("I", Some(o)) if o.2 == label => {
                o.1 = e;
                o.3 += prob as f64;
                o.4 += 1;
            }
            ("B", _) | ("I", _) => {
                if let Some(o) = open.take() {
                    out.push((o.0, o.1, o.2, o.3 / o.4 as f64));
                }
                open = Some((s, e, label, prob as f64, 1));
            }
            _ => {
                if let Some(o) = open.take() {
                    out.push((o.0, o.1, o.2, o.3 / o.4 as f64));
                }
            }
        }
    }
    if let Some(o) = open.take() {
        out.push((o.0, o.1, o.2, o.3 / o.4 as f64));
    }
    // Tokenizer spans may carry a leading space or trailing punctuation: trim to the name.
    let chars: Vec<char> = text.chars().collect();
    let trimmed: Vec<(usize, usize, String, f64)> = out
        .into_iter()
        .filter_map(|(mut s, mut e, l, p)| {
            e = e.min(chars.len());
            while s < e && (chars[s].is_whitespace() || matches!(chars[s], '"' | '(' | '«' | '\'')) {
                s += 1;
            }
            loop {
                while e > s && (chars[e - 1].is_whitespace() || matches!(chars[e - 1], ',' | '.' | ';' | ':' | '"' | ')' | '(' | '[' | '»' | '!' | '?')) {
                    e -= 1;
                }
                // English possessive: "Microsoft's" names Microsoft.
                if e >= s + 3 && matches!(chars[e - 1], 's' | 'S') && matches!(chars[e - 2], '\'' | '’') {
                    e -= 2;
                    continue;
                }
                break;
            }
            // Names are capitalised in the languages veille reads; an all-lowercase span
            // ("adtech", "capex") is a tagging slip.
            let has_capital = chars[s..e].iter().any(|c| c.is_uppercase() || c.is_ascii_digit());
            (e > s && has_capital).then_some((s, e, l, p))
        })
        .collect();
    // A name the tagger cut in two ("QTS" + "Data Centers"): spans separated by one space merge,
    // keeping the label of the more confident part.
    let mut merged: Vec<(usize, usize, String, f64)> = Vec::new();
    for ent in trimmed {
        if let Some(last) = merged.last_mut() {
            let gap: String = chars[last.1..ent.0.max(last.1)].iter().collect();
            if gap == " " {
                if ent.3 > last.3 {
                    last.2 = ent.2.clone();
                }
                last.1 = ent.1;
                last.3 = last.3.max(ent.3);
                continue;
            }
        }
        merged.push(ent);
    }
    merged.into_iter().map(|(s, e, l, p)| (s, e, l, (p * 1000.0).round() / 1000.0)).collect()
}

pub fn read(heads: &TaskHeads, feats: &TokenFeatures, text: &str, sentences: &[Span], figures: &[(usize, usize)]) -> candle_core::Result<Reading> {
    let dev = Device::Cpu;
    let mut reading = Reading { doc_tone_rule: heads.labels.doc_tone, ..Default::default() };
    if feats.is_empty() {
        reading.tones = vec![None; sentences.len()];
        reading.roles = vec![None; figures.len()];
        return Ok(reading);
    }
    let mut rows = Vec::with_capacity(feats.len() * feats.dim * 3);
    for i in 0..feats.len() {
        tagger_input(feats, i, &mut rows);
    }
    let x = Tensor::from_vec(rows, (feats.len(), feats.dim * 3), &dev)?;
    let tags: Vec<(String, f32)> =
        argmax_rows(&heads.tagger.forward(&x)?)?.into_iter().map(|(i, p)| (heads.labels.tags[i].clone(), p)).collect();
    reading.entities = super::names::repair(text, decode_bio(&tags, feats, text));

    let inputs = heads.inputs();
    if !sentences.is_empty() {
        let spans: Vec<(usize, usize)> = sentences.iter().map(|s| (s.start, s.end)).collect();
        let rows: Vec<Vec<f32>> = (0..spans.len()).map(|i| inputs.tone(feats, text, &spans, i)).collect();
        let t = heads.tone.forward(&stack(&rows, inputs.tone_dims(feats.dim), &dev)?)?;
        reading.tones = argmax_rows(&t)?.into_iter().map(|(i, p)| Some((heads.labels.tones[i].clone(), p as f64))).collect();
    }
    if !figures.is_empty() {
        let rows: Vec<Vec<f32>> = figures
            .iter()
            .map(|&(s, e)| {
                let sent = sentences.iter().find(|x| x.start <= s && s < x.end).map(|x| (x.start, x.end)).unwrap_or((s, e));
                inputs.role(feats, text, (s, e), sent)
            })
            .collect();
        let t = heads.role.forward(&stack(&rows, inputs.role_dims(feats.dim), &dev)?)?;
        reading.roles = argmax_rows(&t)?.into_iter().map(|(i, p)| Some((heads.labels.roles[i].clone(), p as f64))).collect();
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bio_groups_words_and_pieces() {
        // "Meta Platforms investit chez L'Oréal"
        let text = "Meta Platforms investit chez L'Oréal";
        let spans = vec![(0, 4), (4, 14), (14, 23), (23, 28), (28, 31), (31, 36)];
        let feats = TokenFeatures { dim: 1, vectors: vec![0.0; 6], spans, word_start: vec![true, true, true, true, true, false] };
        let t = |s: &str| (s.to_string(), 0.9f32);
        let tags = vec![t("B-ORG"), t("I-ORG"), t("O"), t("O"), t("B-ORG"), t("O")];
        let ents = decode_bio(&tags, &feats, text);
        assert_eq!(ents.iter().map(|e| (e.0, e.1, e.2.as_str())).collect::<Vec<_>>(), vec![(0, 14, "ORG"), (29, 36, "ORG")]);
    }

    #[test]
    fn possessives_and_split_names_are_repaired() {
        let text = "Microsoft's rival QTS Data Centers grows";
        let spans = vec![(0, 11), (11, 17), (17, 21), (21, 34), (34, 40)];
        let feats = TokenFeatures { dim: 1, vectors: vec![0.0; 5], spans, word_start: vec![true; 5] };
        let t = |s: &str, p: f32| (s.to_string(), p);
        let tags = vec![t("B-ORG", 0.9), t("O", 0.9), t("B-ORG", 0.6), t("B-LOC", 0.5), t("O", 0.9)];
        let ents = decode_bio(&tags, &feats, text);
        let got: Vec<(&str, &str)> = ents.iter().map(|e| (crate::text::char_slice(text, e.0, e.1), e.2.as_str())).collect();
        assert_eq!(got, vec![("Microsoft", "ORG"), ("QTS Data Centers", "ORG")]);
    }

    #[test]
    fn lowercase_spans_are_not_names() {
        let text = "la start-up adtech Criteo";
        let spans = vec![(0, 2), (2, 11), (11, 18), (18, 25)];
        let feats = TokenFeatures { dim: 1, vectors: vec![0.0; 4], spans, word_start: vec![true; 4] };
        let t = |s: &str| (s.to_string(), 0.9f32);
        let ents = decode_bio(&[t("O"), t("O"), t("B-ORG"), t("B-ORG")], &feats, text);
        assert_eq!(ents.len(), 1);
        assert_eq!(crate::text::char_slice(text, ents[0].0, ents[0].1), "Criteo");
    }
}

/// The default reader of `veille analyze`: one encoder pass per document, then the task heads.
pub struct HeadsReader<F: super::features::Featurizer> {
    pub featurizer: F,
    pub heads: TaskHeads,
}

impl HeadsReader<crate::model::Engine> {
    /// The engine with the heads' adapter (if any) merged into it, and the heads.
    pub fn new(mut engine: crate::model::Engine, heads: TaskHeads) -> Result<Self, String> {
        if let Some(a) = &heads.adapter {
            engine.apply_adapter(a).map_err(|e| format!("cannot apply the heads' encoder adapter: {e}"))?;
        }
        Ok(HeadsReader { featurizer: engine, heads })
    }
}

impl<F: super::features::Featurizer> crate::pipeline::Reader for HeadsReader<F> {
    fn read(&self, text: &str, sentences: &[Span], figures: &[(usize, usize)]) -> Result<Reading, String> {
        let spans: Vec<(usize, usize)> = sentences.iter().map(|s| (s.start, s.end)).collect();
        let feats = self.featurizer.features(text, &spans)?;
        read(&self.heads, &feats, text, sentences, figures).map_err(|e| e.to_string())
    }

    fn read_many(&self, docs: &[crate::pipeline::ReadInput]) -> (Vec<Result<Reading, String>>, usize) {
        let spans: Vec<Vec<(usize, usize)>> = docs.iter().map(|d| d.sentences.iter().map(|s| (s.start, s.end)).collect()).collect();
        let batch: Vec<(&str, &[(usize, usize)])> = docs.iter().zip(&spans).map(|(d, s)| (d.text, &s[..])).collect();
        match self.featurizer.features_many(&batch) {
            Ok(feats) => {
                let tokens = feats.iter().map(|f| f.len()).sum();
                let out = docs.iter().zip(&feats).map(|(d, f)| read(&self.heads, f, d.text, d.sentences, d.figures).map_err(|e| e.to_string())).collect();
                (out, tokens)
            }
            // One document the encoder refuses must not cost the others: read them one by one,
            // so that the error lands on the document that caused it.
            Err(_) => {
                let mut tokens = 0;
                let out = docs
                    .iter()
                    .zip(&batch)
                    .map(|(d, (text, sents))| {
                        let f = self.featurizer.features(text, sents)?;
                        tokens += f.len();
                        read(&self.heads, &f, d.text, d.sentences, d.figures).map_err(|e| e.to_string())
                    })
                    .collect();
                (out, tokens)
            }
        }
    }
}
