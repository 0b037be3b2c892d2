//! Encoder throughput: `cargo bench --bench encoder` (release build).
//! Env: VEILLE_BENCH_PREC (e.g. "f32,int8,q8_0,q4_0"), VEILLE_BENCH_BATCHES ("1,8,32"),
//! VEILLE_BENCH_CHUNK (128), VEILLE_BENCH_MIN_TOKENS (8000), VEILLE_BENCH_DIRS, VEILLE_MODEL,
//! VEILLE_BENCH_DEVICE (cpu), VEILLE_BENCH_CANDLE_BERT=1 to add candle-transformers' bert (f32).
use veille::model::bench::{self, BenchConfig};
use veille::model::{DeviceChoice, ModelSource, Precision};

fn list<T: std::str::FromStr>(var: &str, default: &str) -> Vec<T> {
    std::env::var(var).unwrap_or_else(|_| default.into()).split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn candle_bert(texts: &[String], batch: usize, chunk: usize) -> Option<f64> {
    use candle_core::{Device, Tensor};
    use candle_transformers::models::bert;
    let dir = veille::model::packaged_dir();
    let f = veille::model::e5s1::E5File::open(&dir.join("e5-small-q4.bin")).ok()?;
    let mut t = f.hf_tensors(true).ok()?;
    let h = &f.header;
    t.insert("embeddings.word_embeddings.weight".into(), f.f32("emb.word", &[h.vocab, h.hidden]).ok()?);
    let vb = candle_nn::VarBuilder::from_tensors(t, candle_core::DType::F32, &Device::Cpu);
    let cfg: bert::Config = serde_json::from_value(serde_json::json!({"vocab_size": h.vocab, "hidden_size": h.hidden,
        "num_hidden_layers": h.layers, "num_attention_heads": h.heads, "intermediate_size": h.ff, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "max_position_embeddings": h.max_pos, "type_vocab_size": 2, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 1})).ok()?;
    let m = bert::BertModel::load(vb, &cfg).ok()?;
    let tok = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).ok()?;
    let mut ids: Vec<u32> = Vec::new();
    for t in texts {
        ids.extend(tok.encode(t.as_str(), false).ok()?.get_ids());
    }
    let w = chunk - 2;
    let seqs: Vec<Vec<u32>> = ids.chunks(w).filter(|c| c.len() == w).map(|c| {
        let mut v = vec![0u32];
        v.extend_from_slice(c);
        v.push(2);
        v
    }).collect();
    let t0 = std::time::Instant::now();
    let mut n = 0;
    for b in seqs.chunks(batch) {
        let flat: Vec<u32> = b.concat();
        let x = Tensor::from_vec(flat, (b.len(), chunk), &Device::Cpu).ok()?;
        m.forward(&x, &x.zeros_like().ok()?, None).ok()?;
        n += b.len() * w;
    }
    Some(n as f64 / t0.elapsed().as_secs_f64())
}

fn main() {
    let dirs = bench::default_text_dirs();
    let texts = bench::load_texts(&dirs);
    let cfg = BenchConfig {
        source: std::env::var("VEILLE_MODEL").ok().and_then(|m| ModelSource::parse(&m).ok()).unwrap_or(ModelSource::Packaged(None)),
        device: std::env::var("VEILLE_BENCH_DEVICE").ok().and_then(|d| d.parse().ok()).unwrap_or(DeviceChoice::Cpu),
        precisions: list::<Precision>("VEILLE_BENCH_PREC", "f32,int8,q8_0,q4_0"),
        batch_sizes: list("VEILLE_BENCH_BATCHES", "1,8,32"),
        chunk_tokens: std::env::var("VEILLE_BENCH_CHUNK").ok().and_then(|x| x.parse().ok()).unwrap_or(128),
        min_tokens: std::env::var("VEILLE_BENCH_MIN_TOKENS").ok().and_then(|x| x.parse().ok()).unwrap_or(8000),
        texts,
    };
    println!("encoder bench: {} ({} articles from {:?}), chunk {} tokens, {} threads",
        cfg.source, cfg.texts.len().max(1), dirs, cfg.chunk_tokens,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    // one configuration at a time so rows appear as they are measured
    let mut header = true;
    for &p in &cfg.precisions {
        for &b in &cfg.batch_sizes {
            let one = BenchConfig { precisions: vec![p], batch_sizes: vec![b], ..cfg.clone() };
            match bench::run_bench(&one) {
                Ok(rows) => {
                    let rep = bench::report(&rows);
                    let mut lines = rep.lines();
                    let head = lines.next().unwrap_or_default();
                    if header {
                        println!("{head}");
                        header = false;
                    }
                    lines.for_each(|l| println!("{l}"));
                }
                Err(e) => {
                    eprintln!("encoder bench skipped: {e}");
                    return;
                }
            }
        }
    }
    if std::env::var("VEILLE_BENCH_CANDLE_BERT").is_ok() {
        let texts = if cfg.texts.is_empty() { vec![include_str!("../src/model/bench_fallback.txt").to_string()] } else { cfg.texts.clone() };
        let texts: Vec<String> = texts.iter().cycle().take(8).cloned().collect();
        if let Some(tps) = candle_bert(&texts, 32, cfg.chunk_tokens) {
            println!("candle-transformers bert, f32, batch 32: {tps:.0} tokens/s");
        }
    }
}
