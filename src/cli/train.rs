use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::model::{DeviceChoice, Engine, ModelSource};
use crate::train::{corpus, fit, heads::TaskHeads};

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
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    #[arg(long, default_value_t = 13)]
    seed: u64,
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
}

pub fn run(a: Args) -> Result<()> {
    let t0 = Instant::now();
    let docs = corpus::load(&a.corpus).map_err(anyhow::Error::msg)?;
    let errs = corpus::check(&docs);
    anyhow::ensure!(errs.is_empty(), "the corpus has {} problem(s); run `veille corpus check`:\n{}", errs.len(), errs.join("\n"));
    let source = ModelSource::parse(&a.model)?;
    let device: DeviceChoice = a.device.parse()?;
    let engine = Engine::load(&source, device).context("loading the base encoder")?;
    let labels = TaskHeads::new(a.seed, 1, &candle_core::Device::Cpu)?.labels;
    eprintln!("encoding {} documents (frozen encoder)...", docs.len());
    let mut prepared = Vec::with_capacity(docs.len());
    for (i, (_, d)) in docs.iter().enumerate() {
        prepared.push(fit::prepare(d, &engine, &labels).map_err(anyhow::Error::msg)?);
        if (i + 1) % 25 == 0 {
            eprintln!("  {}/{} ({:.0} s)", i + 1, docs.len(), t0.elapsed().as_secs_f64());
        }
    }
    let dim = prepared.iter().map(|p| p.feats.dim).find(|&d| d > 0).unwrap_or(384);
    let cfg = fit::FitConfig { seed: a.seed, epochs: a.epochs, lr: a.lr, ..Default::default() };
    let (mut heads, history) = fit::fit(&prepared, dim, cfg, &mut |line| eprintln!("{line}"))?;
    let test: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == "test").collect();
    // Document tone: fit the aggregation rule on train documents, report it on dev and test.
    let gold_tone: std::collections::HashMap<String, String> = docs.iter().map(|(_, d)| (d.id.clone(), d.tone.clone())).collect();
    let split = |s: &str| prepared.iter().filter(|p| p.split == s).collect::<Vec<_>>();
    let (rule, train_f1) = crate::records::fit_doc_tone_rule(&fit::predicted_tones(&heads, &split("train"), &gold_tone)?);
    let doc_f1 = |s: &str| -> Result<f64> {
        let d = fit::predicted_tones(&heads, &split(s), &gold_tone)?;
        Ok(crate::records::doc_tone_macro_f1(&d, &rule))
    };
    let (dev_doc, test_doc) = (doc_f1("dev")?, doc_f1("test")?);
    eprintln!("document tone rule {rule:?}: macro-F1 train {train_f1:.3}, dev {dev_doc:.3}, test {test_doc:.3}");
    heads.labels.doc_tone = Some(rule);
    let test_scores = fit::evaluate(&heads, &test)?;
    let dev: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == "dev").collect();
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
        "settings": {"seed": a.seed, "epochs": a.epochs, "lr": a.lr, "batch": cfg.batch, "optimizer": "AdamW (weight decay 0.01)", "encoder_frozen": true},
        "dev": dev_scores,
        "document_tone_macro_f1": {"train": train_f1, "dev": dev_doc, "test": test_doc},
        "test": test_scores,
        "seconds": t0.elapsed().as_secs(),
    });
    heads.save(&a.out).map_err(anyhow::Error::msg)?;
    eprintln!("wrote {} in {:.0} s", a.out.display(), t0.elapsed().as_secs_f64());
    Ok(())
}

