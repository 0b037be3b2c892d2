//! Fitting the task heads on frozen encoder features of the annotated corpus: seeded, with
//! AdamW, logging loss and dev scores per epoch.

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use super::corpus::CorpusDoc;
use crate::reading::features::{tagger_input, Featurizer, Inputs, TokenFeatures};
use crate::reading::heads::{Linear, Net, Rng, TaskHeads};
use crate::text::normalize;

/// One document prepared for training: normalised text, features, gold labels in normalised offsets.
pub struct Prepared {
    pub id: String,
    pub split: String,
    pub text: String,
    pub feats: TokenFeatures,
    pub sentences: Vec<(usize, usize, usize)>,
    pub entities: Vec<(usize, usize, String)>,
    pub figures: Vec<(usize, usize, usize, usize)>,
}

pub fn prepare(doc: &CorpusDoc, featurizer: &dyn Featurizer, heads_labels: &crate::reading::heads::HeadLabels) -> Result<Prepared, String> {
    let (text, spans) = normalised(doc);
    let feats = featurizer.features(&text, &spans).map_err(|e| format!("{}: {e}", doc.id))?;
    Ok(prepare_with(doc, feats, heads_labels))
}

/// A document's normalised text and its sentence spans in it (what the featurizer reads).
pub fn normalised(doc: &CorpusDoc) -> (String, Vec<(usize, usize)>) {
    let norm = normalize(&doc.text);
    let spans = doc.sentences.iter().map(|s| (norm.from_original(s.start), norm.from_original(s.end))).collect();
    (norm.text, spans)
}

/// [`prepare`] with features already computed on the [`normalised`] text.
pub fn prepare_with(doc: &CorpusDoc, feats: TokenFeatures, heads_labels: &crate::reading::heads::HeadLabels) -> Prepared {
    let norm = normalize(&doc.text);
    let m = |a: usize, b: usize| (norm.from_original(a), norm.from_original(b));
    let tone_id = |t: &str| heads_labels.tones.iter().position(|x| x == t).unwrap_or(2);
    let sentences: Vec<(usize, usize, usize)> = doc.sentences.iter().map(|s| {
        let (a, b) = m(s.start, s.end);
        (a, b, tone_id(&s.tone))
    }).collect();
    let spans: Vec<(usize, usize)> = sentences.iter().map(|s| (s.0, s.1)).collect();
    let entities = doc.entities.iter().map(|e| {
        let (a, b) = m(e.start, e.end);
        (a, b, e.label.clone())
    }).collect();
    let figures = doc
        .figures
        .iter()
        .map(|f| {
            let (a, b) = m(f.start, f.end);
            let sent = spans.iter().position(|s| s.0 <= a && a < s.1).unwrap_or(0);
            (a, b, heads_labels.roles.iter().position(|r| *r == f.role).unwrap_or(heads_labels.roles.len() - 1), sent)
        })
        .collect();
    Prepared { id: doc.id.clone(), split: doc.split.clone(), text: norm.text, feats, sentences, entities, figures }
}

/// Gold BIO tag id of every token.
pub fn token_tags(p: &Prepared, tags: &[String]) -> Vec<u32> {
    let id = |s: &str| tags.iter().position(|t| t == s).unwrap_or(0) as u32;
    let mut out = vec![0u32; p.feats.len()];
    for (s, e, label) in &p.entities {
        let mut first = true;
        for i in p.feats.tokens_in(*s, *e) {
            out[i] = id(&format!("{}-{label}", if first { "B" } else { "I" }));
            first = false;
        }
    }
    out
}

/// Labelled feature rows, `dim` floats each.
pub(crate) struct Set {
    x: Vec<f32>,
    y: Vec<u32>,
    dim: usize,
}

impl Set {
    pub(crate) fn new(dim: usize) -> Set {
        Set { x: vec![], y: vec![], dim }
    }
    pub(crate) fn push(&mut self, x: &[f32], y: u32) {
        self.x.extend_from_slice(x);
        self.y.push(y);
    }
    pub(crate) fn len(&self) -> usize {
        self.y.len()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FitConfig {
    pub seed: u64,
    pub epochs: usize,
    pub lr: f64,
    pub batch: usize,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig { seed: 13, epochs: 30, lr: 2e-3, batch: 256 }
    }
}

/// One shuffled pass of mini-batch cross-entropy over `set` through `forward`; the mean loss.
pub(crate) fn train_epoch(forward: &dyn Fn(&Tensor) -> candle_core::Result<Tensor>, opt: &mut AdamW, set: &Set, batch: usize, rng: &mut Rng, dev: &Device) -> candle_core::Result<f32> {
    let n = set.len();
    if n == 0 {
        return Ok(0.0);
    }
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut total = 0f32;
    let mut steps = 0;
    for chunk in order.chunks(batch) {
        let mut xb = Vec::with_capacity(chunk.len() * set.dim);
        let mut yb = Vec::with_capacity(chunk.len());
        for &i in chunk {
            xb.extend_from_slice(&set.x[i * set.dim..(i + 1) * set.dim]);
            yb.push(set.y[i]);
        }
        let x = Tensor::from_vec(xb, (chunk.len(), set.dim), dev)?;
        let y = Tensor::from_vec(yb, chunk.len(), dev)?;
        let loss = candle_nn::loss::cross_entropy(&forward(&x)?, &y)?;
        opt.backward_step(&loss)?;
        total += loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        steps += 1;
    }
    Ok(total / steps as f32)
}

/// Scores of the heads on prepared documents: entity span F1 (exact start, end and label),
/// role accuracy, tone macro-F1.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Scores {
    pub entity_p: f64,
    pub entity_r: f64,
    pub entity_f1: f64,
    pub role_accuracy: f64,
    pub tone_macro_f1: f64,
    pub tone_accuracy: f64,
}

pub fn evaluate(heads: &TaskHeads, docs: &[&Prepared]) -> candle_core::Result<Scores> {
    let dev = Device::Cpu;
    let (mut tp, mut np, mut ng) = (0usize, 0usize, 0usize);
    let (mut role_ok, mut role_n) = (0usize, 0usize);
    let nt = heads.labels.tones.len();
    let mut conf = vec![vec![0usize; nt]; nt];
    for p in docs {
        let sents: Vec<crate::text::Span> = p.sentences.iter().map(|s| crate::text::Span { start: s.0, end: s.1 }).collect();
        let figs: Vec<(usize, usize)> = p.figures.iter().map(|f| (f.0, f.1)).collect();
        let r = crate::reading::reader::read(heads, &p.feats, &p.text, &sents, &figs)?;
        let gold: std::collections::HashSet<(usize, usize, &str)> = p.entities.iter().map(|e| (e.0, e.1, e.2.as_str())).collect();
        ng += gold.len();
        np += r.entities.len();
        tp += r.entities.iter().filter(|e| gold.contains(&(e.0, e.1, e.2.as_str()))).count();
        for (f, pred) in p.figures.iter().zip(&r.roles) {
            role_n += 1;
            if pred.as_ref().map(|x| x.0 == heads.labels.roles[f.2]).unwrap_or(false) {
                role_ok += 1;
            }
        }
        for (s, pred) in p.sentences.iter().zip(&r.tones) {
            let pi = pred.as_ref().and_then(|x| heads.labels.tones.iter().position(|t| *t == x.0)).unwrap_or(0);
            conf[s.2][pi] += 1;
        }
    }
    let _ = dev;
    let prec = if np > 0 { tp as f64 / np as f64 } else { 0.0 };
    let rec = if ng > 0 { tp as f64 / ng as f64 } else { 0.0 };
    let total: usize = conf.iter().flatten().sum();
    Ok(Scores {
        entity_p: prec,
        entity_r: rec,
        entity_f1: if prec + rec > 0.0 { 2.0 * prec * rec / (prec + rec) } else { 0.0 },
        role_accuracy: if role_n > 0 { role_ok as f64 / role_n as f64 } else { 0.0 },
        tone_macro_f1: macro_f1(&conf),
        tone_accuracy: if total > 0 { (0..nt).map(|k| conf[k][k]).sum::<usize>() as f64 / total as f64 } else { 0.0 },
    })
}

/// Macro-averaged F1 of a confusion matrix (`conf[gold][predicted]`).
pub fn macro_f1(conf: &[Vec<usize>]) -> f64 {
    let nt = conf.len();
    let f1s: Vec<f64> = (0..nt)
        .map(|k| {
            let tp = conf[k][k] as f64;
            let fp: f64 = (0..nt).filter(|&g| g != k).map(|g| conf[g][k] as f64).sum();
            let fn_: f64 = (0..nt).filter(|&q| q != k).map(|q| conf[k][q] as f64).sum();
            if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fn_) }
        })
        .collect();
    f1s.iter().sum::<f64>() / nt.max(1) as f64
}

/// Role and tone examples of the documents of one split, in the heads' input layout.
fn pooled_sets(docs: &[Prepared], split: &str, inputs: Inputs, dim: usize) -> (Set, Set) {
    let (mut role, mut tone) = (Set::new(inputs.role_dims(dim)), Set::new(inputs.tone_dims(dim)));
    for p in docs.iter().filter(|p| p.split == split) {
        let spans: Vec<(usize, usize)> = p.sentences.iter().map(|s| (s.0, s.1)).collect();
        for f in &p.figures {
            let s = spans.get(f.3).copied().unwrap_or((f.0, f.1));
            role.push(&inputs.role(&p.feats, &p.text, (f.0, f.1), s), f.2 as u32);
        }
        for (i, s) in p.sentences.iter().enumerate() {
            tone.push(&inputs.tone(&p.feats, &p.text, &spans, i), s.2 as u32);
        }
    }
    (role, tone)
}

/// Inverse L2 strengths tried for the linear heads (as scikit-learn's `C`: the penalty is
/// `|W|² / (2 C n)` on the mean loss); the one with the best dev score is kept.
pub const LINEAR_C_GRID: [f64; 6] = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0];
/// Full-batch Adam steps per linear fit, the rate decaying linearly to a tenth: enough for the
/// convex loss to settle near its optimum, so that `C` alone sets the regularisation.
const LINEAR_STEPS: usize = 1500;

/// Per-example weights that give every class the same total weight (scikit-learn's
/// `class_weight="balanced"`: `n / (k · n_class)`), so that a head judged by macro-F1 is also
/// trained for it rather than for the majority class.
fn balanced_weights(y: &[u32], n_out: usize) -> Vec<f32> {
    let mut count = vec![0usize; n_out];
    for &c in y {
        count[c as usize] += 1;
    }
    let present = count.iter().filter(|&&c| c > 0).count().max(1);
    y.iter().map(|&c| y.len() as f32 / (present * count[c as usize]) as f32).collect()
}

/// Fits a linear softmax head on `train` with an L2 penalty of strength 1/`c`, its examples
/// weighted per [`balanced_weights`] when `balanced`. Deterministic: zero start, full batch.
pub(crate) fn fit_linear(train: &Set, n_out: usize, c: f64, balanced: bool, dev: &Device) -> candle_core::Result<(Linear, f32)> {
    let lin = Linear::zeros(train.dim, n_out, dev)?;
    let n = train.len();
    if n == 0 {
        return Ok((lin, 0.0));
    }
    let x = Tensor::from_slice(&train.x, (n, train.dim), dev)?;
    let y = Tensor::from_slice(&train.y, n, dev)?;
    let mut opt = AdamW::new(vec![lin.w.clone(), lin.b.clone()], ParamsAdamW { lr: 1e-2, weight_decay: 0.0, ..Default::default() })?;
    let l2 = 1.0 / (2.0 * c * n as f64);
    let w = if balanced { balanced_weights(&train.y, n_out) } else { vec![1.0; n] };
    let w = Tensor::from_vec(w, n, dev)?;
    let mut last = 0f32;
    for step in 0..LINEAR_STEPS {
        opt.set_learning_rate(1e-2 * (1.0 - 0.9 * step as f64 / LINEAR_STEPS as f64));
        let logp = candle_nn::ops::log_softmax(&lin.forward(&x)?, candle_core::D::Minus1)?;
        let nll = logp.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?.neg()?;
        let ce = (nll * &w)?.mean_all()?;
        let loss = (&ce + (lin.w.as_tensor().sqr()?.sum_all()? * l2)?)?;
        opt.backward_step(&loss)?;
        last = ce.to_scalar::<f32>()?;
    }
    Ok((lin, last))
}

/// Predicted class of every row of `set`.
fn predict(lin: &Linear, set: &Set, dev: &Device) -> candle_core::Result<Vec<usize>> {
    if set.len() == 0 {
        return Ok(vec![]);
    }
    let x = Tensor::from_slice(&set.x, (set.len(), set.dim), dev)?;
    Ok(crate::reading::heads::argmax_rows(&lin.forward(&x)?)?.into_iter().map(|(i, _)| i).collect())
}

/// Accuracy and macro-F1 of predictions against a set's labels.
fn set_scores(pred: &[usize], set: &Set, n_out: usize) -> (f64, f64) {
    let mut conf = vec![vec![0usize; n_out]; n_out];
    for (p, &g) in pred.iter().zip(&set.y) {
        conf[g as usize][*p] += 1;
    }
    let ok: usize = (0..n_out).map(|k| conf[k][k]).sum();
    (ok as f64 / pred.len().max(1) as f64, macro_f1(&conf))
}

/// The linear head of the best dev score over [`LINEAR_C_GRID`] (`macro` picks macro-F1, else
/// accuracy); without dev examples, the middle of the grid.
fn select_linear(name: &str, train: &Set, dev_set: &Set, n_out: usize, macro_: bool, dev: &Device, log: &mut dyn FnMut(String)) -> candle_core::Result<(Linear, f64)> {
    let mut best: Option<(f64, f64, Linear)> = None;
    let grid: Vec<f64> = if dev_set.len() == 0 { vec![LINEAR_C_GRID[2]] } else { LINEAR_C_GRID.to_vec() };
    for c in grid {
        let (lin, loss) = fit_linear(train, n_out, c, macro_, dev)?;
        let (acc, mf1) = set_scores(&predict(&lin, dev_set, dev)?, dev_set, n_out);
        let score = if macro_ { mf1 } else { acc };
        log(format!("{name} head (linear, C {c}): train loss {loss:.4}  dev accuracy {acc:.3} macro-F1 {mf1:.3}"));
        if best.as_ref().map(|b| score > b.0).unwrap_or(true) {
            best = Some((score, c, lin));
        }
    }
    let (score, c, lin) = best.expect("grid is not empty");
    log(format!("{name} head: kept C {c} (dev {score:.3})"));
    Ok((lin, c))
}

/// Trains fresh heads on the `train` documents, logging every epoch through `log`, and returns
/// them with their dev scores per tagger epoch. The tagger (an MLP) keeps its best dev epoch; the
/// role and tone heads are linear, their L2 strength chosen on dev.
pub fn fit(docs: &[Prepared], dim: usize, cfg: FitConfig, log: &mut dyn FnMut(String)) -> candle_core::Result<(TaskHeads, Vec<Scores>)> {
    let dev = Device::Cpu;
    let mut heads = TaskHeads::new(cfg.seed, dim, &dev)?;
    let inputs = heads.inputs();
    let mut tok = Set::new(dim * 3);
    for p in docs.iter().filter(|p| p.split == "train") {
        let mut buf = Vec::with_capacity(dim * 3);
        for (i, t) in token_tags(p, &heads.labels.tags).into_iter().enumerate() {
            buf.clear();
            tagger_input(&p.feats, i, &mut buf);
            tok.push(&buf, t);
        }
    }
    let (role, tone) = pooled_sets(docs, "train", inputs, dim);
    let (role_dev, tone_dev) = pooled_sets(docs, "dev", inputs, dim);
    log(format!("train examples: {} tokens, {} money figures, {} sentences", tok.len(), role.len(), tone.len()));
    let (role_head, role_c) = select_linear("role", &role, &role_dev, heads.labels.roles.len(), false, &dev, log)?;
    let (tone_head, tone_c) = select_linear("tone", &tone, &tone_dev, heads.labels.tones.len(), true, &dev, log)?;
    heads.role = Net::Linear(role_head);
    heads.tone = Net::Linear(tone_head);

    let params = ParamsAdamW { lr: cfg.lr, weight_decay: 0.01, ..Default::default() };
    let mut opt_tag = AdamW::new(heads.tagger.vars(), params)?;
    let mut rng = Rng::new(cfg.seed ^ 0x5eed);
    let dev_docs: Vec<&Prepared> = docs.iter().filter(|p| p.split == "dev").collect();
    let mut history = Vec::new();
    // The tagger keeps the weights of its best dev epoch (early stopping without a fixed patience).
    let mut best = (f64::MIN, 0usize, None);
    for epoch in 1..=cfg.epochs {
        let lt = train_epoch(&|x| heads.tagger.forward(x), &mut opt_tag, &tok, cfg.batch, &mut rng, &dev)?;
        let s = evaluate(&heads, &dev_docs)?;
        log(format!(
            "epoch {epoch:>3}  loss tag {lt:.4}  dev entities F1 {:.3} (P {:.3} R {:.3})  roles acc {:.3}  tone macro-F1 {:.3}",
            s.entity_f1, s.entity_p, s.entity_r, s.role_accuracy, s.tone_macro_f1
        ));
        if dev_docs.is_empty() || s.entity_f1 > best.0 {
            best = (s.entity_f1, epoch, Some(heads.tagger.snapshot()?));
        }
        history.push(s);
    }
    if let Some(snap) = &best.2 {
        heads.tagger.restore(snap)?;
    }
    log(format!("kept: tagger epoch {}, role C {role_c}, tone C {tone_c}", best.1));
    Ok((heads, history))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::features::Featurizer;

    /// A featurizer whose vectors make the labels learnable: capitalised words and money words
    /// light up distinct dimensions.
    struct Toy;
    impl Featurizer for Toy {
        fn features(&self, text: &str, _s: &[(usize, usize)]) -> Result<TokenFeatures, String> {
            let mut f = TokenFeatures { dim: 4, ..Default::default() };
            let mut pos = 0;
            for w in text.split(' ') {
                let n = w.chars().count();
                let cap = w.chars().next().map(|c| c.is_uppercase()).unwrap_or(false);
                let num = w.chars().any(|c| c.is_ascii_digit());
                f.vectors.extend([cap as u8 as f32, num as u8 as f32, (w == "lève") as u8 as f32, 1.0]);
                f.spans.push((pos, pos + n));
                f.word_start.push(true);
                pos += n + 1;
            }
            Ok(f)
        }
    }

    #[test]
    fn balanced_weights_give_each_class_the_same_total() {
        let w = balanced_weights(&[0, 0, 0, 1], 3);
        assert_eq!(w, vec![4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0]);
        assert!((w[..3].iter().sum::<f32>() - w[3]).abs() < 1e-6);
    }

    #[test]
    fn balanced_fit_recalls_the_minority_class_better() {
        // 9:1 classes whose first input overlaps: the unweighted fit favours the majority.
        let mut set = Set::new(2);
        let mut rng = Rng::new(7);
        for i in 0..400 {
            let y = (i % 10 == 0) as u32;
            set.push(&[rng.uniform() * 2.0 - 1.0 + y as f32 * 0.8, 1.0], y);
        }
        let dev = Device::Cpu;
        let recall = |balanced: bool| {
            let (lin, _) = fit_linear(&set, 2, 1.0, balanced, &dev).unwrap();
            let p = predict(&lin, &set, &dev).unwrap();
            let hits = p.iter().zip(&set.y).filter(|(p, &y)| y == 1 && **p == 1).count();
            hits as f64 / 40.0
        };
        let (plain, balanced) = (recall(false), recall(true));
        assert!(balanced > plain + 0.2, "minority recall {plain} unweighted vs {balanced} balanced");
    }

    #[test]
    fn linear_head_separates_and_its_penalty_shrinks_weights() {
        // Two classes split by the sign of the first input; the second input is noise.
        let mut set = Set::new(2);
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let a = rng.uniform() * 2.0 - 1.0;
            set.push(&[a, rng.uniform()], (a > 0.0) as u32);
        }
        let dev = Device::Cpu;
        let norm = |c: f64| {
            let (lin, _) = fit_linear(&set, 2, c, false, &dev).unwrap();
            let acc = set_scores(&predict(&lin, &set, &dev).unwrap(), &set, 2).0;
            (acc, lin.w.as_tensor().sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap())
        };
        let (acc_loose, w_loose) = norm(10.0);
        let (_, w_tight) = norm(0.01);
        assert!(acc_loose > 0.95, "{acc_loose}");
        assert!(w_tight < w_loose / 4.0, "{w_tight} vs {w_loose}");
        // Deterministic: the same fit twice gives the same weights.
        assert_eq!(norm(1.0), norm(1.0));
    }

    #[test]
    fn heads_learn_a_separable_toy_task_and_training_is_reproducible() {
        let mut docs = Vec::new();
        for i in 0..20 {
            let text = format!("Orange lève {i} millions d'euros pour grandir");
            let v = serde_json::json!({"id": format!("fr-{i:04}"), "lang": "fr", "published": null, "split": if i < 16 {"train"} else {"dev"},
                "tone": "positive", "text": text,
                "sentences": [{"start": 0, "end": text.chars().count(), "tone": "positive"}],
                "entities": [{"start": 0, "end": 6, "label": "ORG", "text": "Orange"}],
                "figures": [{"start": 12, "end": 12 + format!("{i} millions d'euros").chars().count(), "role": "raise"}]});
            docs.push(serde_json::from_value::<CorpusDoc>(v).unwrap());
        }
        let labels = TaskHeads::new(1, 4, &Device::Cpu).unwrap().labels;
        let prepared: Vec<Prepared> = docs.iter().map(|d| prepare(d, &Toy, &labels).unwrap()).collect();
        let cfg = FitConfig { seed: 7, epochs: 60, lr: 1e-2, batch: 32 };
        let (heads, hist) = fit(&prepared, 4, cfg, &mut |_| {}).unwrap();
        let last = hist.last().unwrap();
        assert!(last.entity_f1 > 0.99, "{last:?}");
        assert!(last.role_accuracy > 0.99, "{last:?}");
        let (heads2, _) = fit(&prepared, 4, cfg, &mut |_| {}).unwrap();
        let a: Vec<f32> = heads.tagger.w1.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        let b: Vec<f32> = heads2.tagger.w1.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(a, b, "same seed, same weights");
    }
}

/// Predicted sentence tones of each document with its gold document tone, for fitting the rule.
pub fn predicted_tones(heads: &TaskHeads, docs: &[&Prepared], gold: &std::collections::HashMap<String, String>) -> candle_core::Result<Vec<(Vec<crate::output::SentenceOut>, String)>> {
    let mut out = Vec::new();
    for p in docs {
        let sents: Vec<crate::text::Span> = p.sentences.iter().map(|s| crate::text::Span { start: s.0, end: s.1 }).collect();
        let r = crate::reading::reader::read(heads, &p.feats, &p.text, &sents, &[])?;
        let so = sents
            .iter()
            .zip(&r.tones)
            .map(|(s, t)| crate::output::SentenceOut { start: s.start, end: s.end, tone: t.as_ref().map(|x| x.0.clone()), score: t.as_ref().map(|x| x.1) })
            .collect();
        if let Some(g) = gold.get(&p.id) {
            out.push((so, g.clone()));
        }
    }
    Ok(out)
}
