//! Writes the adapted encoder's token vectors of the annotated corpus, with the gold labels, for
//! offline experiments on head inputs (e.g. with numpy): `DIR/tokens.f32` (row-major, n × dim)
//! and `DIR/index.json` (per document: split, token range, spans, sentences, figures, cue inputs).
//! Usage: cargo run --release --example dump_features -- [CORPUS] [HEADS] [OUT_DIR]

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;
use veille::model::{DeviceChoice, Engine, ModelSource};
use veille::reading::{features, heads::TaskHeads};
use veille::train::{corpus, fit};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus_dir = PathBuf::from(args.first().map(String::as_str).unwrap_or("corpora/annotated"));
    let heads_dir = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("models/heads"));
    let out = PathBuf::from(args.get(2).map(String::as_str).unwrap_or("/tmp/veille-features"));
    std::fs::create_dir_all(&out)?;
    let docs = corpus::load(&corpus_dir).map_err(anyhow::Error::msg)?;
    let mut engine = Engine::load(&ModelSource::parse("base")?, DeviceChoice::Cpu)?;
    let heads = TaskHeads::load(&heads_dir, &candle_core::Device::Cpu).map_err(anyhow::Error::msg)?;
    if let Some(a) = &heads.adapter {
        engine.apply_adapter(a)?;
    }
    let mut vecs = std::io::BufWriter::new(std::fs::File::create(out.join("tokens.f32"))?);
    let mut index = Vec::new();
    let mut offset = 0usize;
    for (n, (_, d)) in docs.iter().enumerate() {
        let p = fit::prepare(d, &engine, &heads.labels).map_err(anyhow::Error::msg)?;
        for v in &p.feats.vectors {
            vecs.write_all(&v.to_le_bytes())?;
        }
        let role_cue: Vec<Vec<f32>> = p
            .figures
            .iter()
            .map(|f| {
                let s = p.sentences.get(f.3).map(|s| (s.0, s.1)).unwrap_or((f.0, f.1));
                let v = features::role_input(&p.feats, &p.text, (f.0, f.1), s);
                v[v.len() - features::ROLE_CUE_DIMS..].to_vec()
            })
            .collect();
        let tone_cue: Vec<Vec<f32>> = p
            .sentences
            .iter()
            .map(|s| {
                let v = features::tone_input(&p.feats, &p.text, (s.0, s.1));
                v[v.len() - features::TONE_CUE_DIMS..].to_vec()
            })
            .collect();
        index.push(json!({
            "id": p.id, "split": p.split, "lang": d.lang, "offset": offset, "n": p.feats.len(), "dim": p.feats.dim,
            "spans": p.feats.spans, "word_start": p.feats.word_start, "text": p.text,
            "sentences": p.sentences, "figures": p.figures, "entities": p.entities,
            "role_cue": role_cue, "tone_cue": tone_cue, "doc_tone": d.tone,
        }));
        offset += p.feats.len();
        if (n + 1) % 32 == 0 {
            eprintln!("{}/{}", n + 1, docs.len());
        }
    }
    vecs.flush()?;
    std::fs::write(out.join("index.json"), serde_json::to_string(&index)?)?;
    eprintln!("wrote {} tokens into {}", offset, out.display());
    Ok(())
}
