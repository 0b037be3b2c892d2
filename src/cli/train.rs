use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::model::{CachedChunk, DeviceChoice, Engine, EngineOptions, ModelSource, Precision};
use crate::reading::{features, heads::AdapterMeta, heads::TaskHeads};
use crate::train::{adapt, corpus, fit};

#[derive(clap::Args)]
pub struct Args {
    /// Compiled annotated corpus
    #[arg(long, default_value = "corpora/annotated")]
    corpus: PathBuf,
    /// Where to write heads.safetensors and heads.json
    #[arg(long, default_value = "models/heads")]
    out: PathBuf,
    /// Base encoder: "base" (packaged e5-small), a local folder, or a hub id ORG/NAME[@REV]
    #[arg(long, default_value = "base")]
    model: String,
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Epochs of the MLP heads
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Learning rate of the MLP heads
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Top encoder layers fine-tuned with LoRA adapters (0: frozen encoder, heads only)
    #[arg(long, default_value_t = 4)]
    adapt_layers: usize,
    #[arg(long, default_value_t = 16)]
    adapt_rank: usize,
    #[arg(long, default_value_t = 5)]
    adapt_epochs: usize,
    #[arg(long, default_value_t = 1e-3)]
    adapt_lr: f64,
    /// Weight of the sentence-tone loss in adapter training (tag and role losses weigh 1)
    #[arg(long, default_value_t = 5.0)]
    adapt_tone_weight: f64,
    /// Document-tone rule MIXED_SHARE,MIXED_BALANCE,LEAD_SHARE instead of fitting it on the train documents
    #[arg(long)]
    doc_tone_rule: Option<String>,
    /// Keep the heads in --out and only set (or refit) their document-tone rule, re-reading the corpus once
    #[arg(long)]
    doc_tone_only: bool,
    /// Only score the heads in --out on the corpus's dev and test splits; write nothing
    #[arg(long)]
    score_only: bool,
    /// Encoder precision for --score-only (f32, int8, auto: what `analyze` would pick); training
    /// always reads the corpus in f32
    #[arg(long, default_value = "f32")]
    precision: String,
    /// Take the encoder adapter of the heads in DIR instead of training one, and fit only the heads on it
    #[arg(long, value_name = "DIR")]
    adapter_from: Option<PathBuf>,
}

fn parse_rule(s: &str) -> Result<crate::records::DocToneRule> {
    let v: Vec<f64> = s.split(',').map(|x| x.trim().parse::<f64>()).collect::<std::result::Result<_, _>>().with_context(|| format!("--doc-tone-rule {s:?}"))?;
    anyhow::ensure!(v.len() == 3, "--doc-tone-rule takes three numbers: MIXED_SHARE,MIXED_BALANCE,LEAD_SHARE");
    Ok(crate::records::DocToneRule { mixed_share: v[0], mixed_balance: v[1], lead_share: v[2] })
}

/// Each document's gold document tone, by id.
fn gold_tones(docs: &[(PathBuf, corpus::CorpusDoc)]) -> std::collections::HashMap<String, String> {
    docs.iter().map(|(_, d)| (d.id.clone(), d.tone.clone())).collect()
}

/// The heads stored in `dir`, their adapter merged into `engine`, and the corpus read through them.
fn read_with_heads(dir: &std::path::Path, engine: &mut Engine, docs: &[(PathBuf, corpus::CorpusDoc)]) -> Result<(TaskHeads, Vec<fit::Prepared>)> {
    let heads = TaskHeads::load(dir, &candle_core::Device::Cpu).map_err(anyhow::Error::msg)?;
    if let Some(ad) = &heads.adapter {
        engine.apply_adapter(ad)?;
    }
    eprintln!("reading {} documents with the heads in {}...", docs.len(), dir.display());
    let prepared = docs.iter().map(|(_, d)| fit::prepare(d, engine, &heads.labels).map_err(anyhow::Error::msg)).collect::<Result<_>>()?;
    Ok((heads, prepared))
}

/// Sets the heads' document-tone rule (given, or fitted on the train documents) and returns its
/// macro-F1 on train, dev and test.
fn doc_tone(heads: &mut TaskHeads, prepared: &[fit::Prepared], docs: &[(PathBuf, corpus::CorpusDoc)], given: Option<crate::records::DocToneRule>) -> Result<(f64, f64, f64)> {
    let gold_tone = gold_tones(docs);
    let split = |s: &str| prepared.iter().filter(|p| p.split == s).collect::<Vec<_>>();
    let train = fit::predicted_tones(heads, &split("train"), &gold_tone)?;
    let rule = match given {
        Some(r) => r,
        None => crate::records::fit_doc_tone_rule(&train).0,
    };
    let f1 = |s: &str| -> Result<f64> { Ok(crate::records::doc_tone_macro_f1(&fit::predicted_tones(heads, &split(s), &gold_tone)?, &rule)) };
    let scores = (crate::records::doc_tone_macro_f1(&train, &rule), f1("dev")?, f1("test")?);
    eprintln!("document tone rule {rule:?}{}: macro-F1 train {:.3}, dev {:.3}, test {:.3}", if given.is_some() { " (given)" } else { "" }, scores.0, scores.1, scores.2);
    heads.labels.doc_tone = Some(rule);
    Ok(scores)
}

pub fn run(a: Args) -> Result<()> {
    let t0 = Instant::now();
    let docs = corpus::load(&a.corpus).map_err(anyhow::Error::msg)?;
    let errs = corpus::check(&docs);
    anyhow::ensure!(errs.is_empty(), "the corpus has {} problem(s); run `veille corpus check`:\n{}", errs.len(), errs.join("\n"));
    let source = ModelSource::parse(&a.model)?;
    let device: DeviceChoice = a.device.parse()?;
    let precision = if a.score_only { a.precision.parse::<Precision>().map_err(anyhow::Error::msg)? } else { Precision::F32 };
    anyhow::ensure!(a.score_only || a.precision == "f32", "--precision applies to --score-only; training reads the corpus in f32");
    let opts = EngineOptions { precision, ..EngineOptions::default() };
    let mut engine = Engine::load_with(&source, device, opts).context("loading the base encoder")?;
    let given_rule = a.doc_tone_rule.as_deref().map(parse_rule).transpose()?;
    if a.score_only {
        let (heads, prepared) = read_with_heads(&a.out, &mut engine, &docs)?;
        let gold_tone = gold_tones(&docs);
        let rule = heads.labels.doc_tone.unwrap_or_default();
        for split in ["dev", "test"] {
            let ps: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == split).collect();
            let s = fit::evaluate(&heads, &ps)?;
            let doc = crate::records::doc_tone_macro_f1(&fit::predicted_tones(&heads, &ps, &gold_tone)?, &rule);
            println!(
                "{split}: entities F1 {:.3} (P {:.3} R {:.3}), roles acc {:.3}, tone macro-F1 {:.3} (acc {:.3}), document tone macro-F1 {doc:.3}",
                s.entity_f1, s.entity_p, s.entity_r, s.role_accuracy, s.tone_macro_f1, s.tone_accuracy
            );
        }
        return Ok(());
    }
    if a.doc_tone_only {
        let (mut heads, prepared) = read_with_heads(&a.out, &mut engine, &docs)?;
        let (train_f1, dev_doc, test_doc) = doc_tone(&mut heads, &prepared, &docs, given_rule)?;
        if let Some(card) = heads.labels.card.as_object_mut() {
            card.insert("document_tone_macro_f1".into(), serde_json::json!({"train": train_f1, "dev": dev_doc, "test": test_doc}));
        }
        heads.save(&a.out).map_err(anyhow::Error::msg)?;
        eprintln!("wrote {} in {:.0} s", a.out.display(), t0.elapsed().as_secs_f64());
        return Ok(());
    }
    let labels = TaskHeads::new(a.seed, 1, &candle_core::Device::Cpu)?.labels;
    // A reused adapter is merged before the corpus is read; no adapter is trained then.
    let mut reused_settings = serde_json::Value::Null;
    let reused = match &a.adapter_from {
        Some(dir) => {
            let h = TaskHeads::load(dir, &candle_core::Device::Cpu).map_err(anyhow::Error::msg)?;
            let ad = h.adapter.with_context(|| format!("{}: these heads carry no encoder adapter", dir.display()))?;
            engine.apply_adapter(&ad)?;
            eprintln!("encoder adapter taken from {} (rank {}, {} maps)", dir.display(), ad.rank, ad.pairs.len());
            reused_settings = h.labels.card.get("settings").cloned().unwrap_or_default();
            Some(ad)
        }
        None => None,
    };
    let adapt_layers = if reused.is_some() { 0 } else { a.adapt_layers };
    let n_layers = engine.encoder.as_bert().map(|b| b.num_layers());
    anyhow::ensure!(adapt_layers == 0 || n_layers.is_some(), "--adapt-layers needs a BERT-layout encoder; pass --adapt-layers 0");
    let n_layers = n_layers.unwrap_or(0);
    let from = n_layers - adapt_layers.min(n_layers);

    // One pass of the frozen lower layers over the corpus, cached per chunk.
    let texts: Vec<(String, Vec<(usize, usize)>)> = docs.iter().map(|(_, d)| fit::normalised(d)).collect();
    eprintln!("encoding {} documents (layers below {from} frozen and cached)...", docs.len());
    let mut encs = Vec::with_capacity(docs.len());
    let mut chunks: Vec<CachedChunk> = Vec::new();
    for (g, group) in texts.chunks(8).enumerate() {
        let input: Vec<(&str, &[(usize, usize)])> = group.iter().map(|(t, s)| (t.as_str(), s.as_slice())).collect();
        if adapt_layers == 0 {
            encs.extend(engine.encode_documents(&input)?);
            continue;
        }
        let (e, c) = engine.encode_lower(&input, from)?;
        let base = encs.len();
        encs.extend(e);
        chunks.extend(c.into_iter().map(|mut c| {
            c.chunk.doc += base;
            c
        }));
        if (g + 1) % 4 == 0 {
            eprintln!("  {}/{} ({:.0} s)", encs.len(), docs.len(), t0.elapsed().as_secs_f64());
        }
    }
    if adapt_layers > 0 {
        engine.finish_documents(&mut encs, &chunks, from)?;
    }
    let mut prepared: Vec<fit::Prepared> =
        docs.iter().zip(&encs).map(|((_, d), e)| fit::prepare_with(d, features::from_encoding(e), &labels)).collect();

    let adapter = if adapt_layers > 0 {
        let mut per_doc: Vec<Vec<&CachedChunk>> = vec![Vec::new(); docs.len()];
        for c in &chunks {
            per_doc[c.chunk.doc].push(c);
        }
        let gold: Vec<Vec<adapt::ChunkGold>> = prepared.iter().zip(&per_doc).map(|(p, cs)| adapt::chunk_gold(p, cs, &labels.tags)).collect();
        let pick = |split: &str| -> Vec<(&CachedChunk, &adapt::ChunkGold)> {
            prepared.iter().enumerate().filter(|(_, p)| p.split == split).flat_map(|(d, _)| per_doc[d].iter().copied().zip(gold[d].iter())).collect()
        };
        let cfg = adapt::AdaptConfig { layers: a.adapt_layers, rank: a.adapt_rank, alpha: 2.0 * a.adapt_rank as f64, epochs: a.adapt_epochs, lr: a.adapt_lr, seed: a.seed, tone_weight: a.adapt_tone_weight, ..Default::default() };
        let bert = engine.encoder.as_bert().expect("checked above");
        let n = (labels.tags.len(), labels.roles.len(), labels.tones.len());
        let warm: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == "train").collect();
        let adapter = adapt::fit_adapter(bert, &pick("train"), &pick("dev"), &warm, &labels.tags, n, cfg, &mut |l| eprintln!("{l}"))?;
        engine.apply_adapter(&adapter)?;
        engine.finish_documents(&mut encs, &chunks, from)?;
        for (p, e) in prepared.iter_mut().zip(&encs) {
            p.feats = features::from_encoding(e);
        }
        eprintln!("adapted features ready ({:.0} s)", t0.elapsed().as_secs_f64());
        Some(adapter)
    } else {
        reused
    };
    drop(chunks);

    let dim = prepared.iter().map(|p| p.feats.dim).find(|&d| d > 0).unwrap_or(384);
    let cfg = fit::FitConfig { seed: a.seed, epochs: a.epochs, lr: a.lr, ..Default::default() };
    let (mut heads, history) = fit::fit(&prepared, dim, cfg, &mut |line| eprintln!("{line}"))?;
    let test: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == "test").collect();
    // Document tone: fit the aggregation rule on train documents (unless given), report it on dev and test.
    let (train_f1, dev_doc, test_doc) = doc_tone(&mut heads, &prepared, &docs, given_rule)?;
    let split = |s: &str| prepared.iter().filter(|p| p.split == s).collect::<Vec<_>>();
    let test_scores = fit::evaluate(&heads, &test)?;
    let dev = split("dev");
    let dev_scores = fit::evaluate(&heads, &dev)?;
    let _ = &history;
    eprintln!(
        "test: entities F1 {:.3} (P {:.3} R {:.3}), roles acc {:.3}, tone macro-F1 {:.3}",
        test_scores.entity_f1, test_scores.entity_p, test_scores.entity_r, test_scores.role_accuracy, test_scores.tone_macro_f1
    );
    let count = |s: &str| prepared.iter().filter(|p| p.split == s).map(|p| p.sentences.len()).sum::<usize>();
    heads.labels.card = serde_json::json!({
        "encoder": a.model,
        "corpus": a.corpus.display().to_string(),
        "documents": prepared.len(),
        "sentences": {"train": count("train"), "dev": count("dev"), "test": count("test")},
        "settings": {"seed": a.seed, "epochs": a.epochs, "lr": a.lr, "batch": cfg.batch, "optimizer": "AdamW (weight decay 0.01)",
                     "encoder_frozen": adapter.is_none(), "adapter_layers": a.adapt_layers, "adapter_rank": a.adapt_rank,
                     "adapter_epochs": a.adapt_epochs, "adapter_lr": a.adapt_lr, "adapter_tone_weight": a.adapt_tone_weight,
                     "adapter_from": a.adapter_from.as_ref().map(|d| d.display().to_string())},
        "adapter_settings": reused_settings,
        "linear_heads": {"c_grid": fit::LINEAR_C_GRID, "role": "accuracy on dev picks C", "tone": "class-balanced loss; macro-F1 on dev picks C"},
        "dev": dev_scores,
        "document_tone_macro_f1": {"train": train_f1, "dev": dev_doc, "test": test_doc},
        "test": test_scores,
        "seconds": t0.elapsed().as_secs(),
    });
    if let Some(ad) = &adapter {
        let mut layers: Vec<usize> = ad.pairs.iter().map(|p| p.layer).collect();
        layers.dedup();
        heads.labels.adapter = Some(AdapterMeta { rank: ad.rank, alpha: ad.alpha, layers });
    }
    heads.adapter = adapter;
    heads.save(&a.out).map_err(anyhow::Error::msg)?;
    eprintln!("wrote {} in {:.0} s", a.out.display(), t0.elapsed().as_secs_f64());
    Ok(())
}
