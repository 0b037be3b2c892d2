//! Encoder throughput benchmark (for `veille bench` and `benches/encoder.rs`): tokens/s and
//! articles/s over real article text, per precision and batch size, with peak memory (VmHWM).
use super::bert::Precision;
use super::device::DeviceChoice;
use super::engine::{Engine, EngineOptions};
use super::error::Result;
use super::loader::ModelSource;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub source: ModelSource,
    pub device: DeviceChoice,
    pub precisions: Vec<Precision>,
    pub batch_sizes: Vec<usize>,
    /// Chunk length in tokens, special tokens included.
    pub chunk_tokens: usize,
    /// Articles to read (see [`load_texts`]).
    pub texts: Vec<String>,
    /// Read the articles again until at least this many tokens went through.
    pub min_tokens: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            source: ModelSource::base(),
            device: DeviceChoice::Cpu,
            precisions: vec![Precision::F32, Precision::Int8, Precision::Q8_0, Precision::Q4_0],
            batch_sizes: vec![1, 8, 32],
            chunk_tokens: 128,
            texts: Vec::new(),
            min_tokens: 8_000,
        }
    }
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct BenchRow {
    pub precision: Precision,
    pub batch: usize,
    pub tokens: usize,
    pub chunks: usize,
    pub articles: usize,
    pub seconds: f64,
    pub tokens_per_s: f64,
    pub articles_per_s: f64,
    /// Peak resident memory of the process so far, MB (VmHWM).
    pub peak_mb: f64,
}

/// Peak resident set size in kB from /proc/self/status (VmHWM); None off Linux.
pub fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Default article folders: `$VEILLE_BENCH_DIRS` (colon-separated), else the first of
/// `shared/examples`, `../shared/examples`, `/work/shared/examples` that exists, plus `corpora`.
pub fn default_text_dirs() -> Vec<PathBuf> {
    if let Ok(v) = std::env::var("VEILLE_BENCH_DIRS") {
        return v.split(':').filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    }
    let mut out: Vec<PathBuf> = ["shared/examples", "../shared/examples", "/work/shared/examples"]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .take(1)
        .collect();
    if Path::new("corpora").is_dir() {
        out.push("corpora".into());
    }
    out
}

/// Every `.txt` file under `dirs` (recursively) with at least 200 characters.
pub fn load_texts(dirs: &[PathBuf]) -> Vec<String> {
    fn walk(p: &Path, out: &mut Vec<String>) {
        if p.is_dir() {
            let mut es: Vec<_> = std::fs::read_dir(p).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            es.sort();
            es.iter().for_each(|e| walk(e, out));
        } else if p.extension().map(|e| e == "txt").unwrap_or(false) {
            if let Ok(t) = std::fs::read_to_string(p) {
                if t.chars().count() >= 200 {
                    out.push(t);
                }
            }
        }
    }
    let mut out = Vec::new();
    dirs.iter().for_each(|d| walk(d, &mut out));
    out
}

/// Naive sentence spans (split after . ! ? followed by whitespace) for benchmarking.
pub fn rough_sentences(text: &str) -> Vec<(usize, usize)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut s = 0;
    for i in 0..c.len() {
        if matches!(c[i], '.' | '!' | '?' | '\n') && c.get(i + 1).map(|x| x.is_whitespace()).unwrap_or(true) {
            if i + 1 > s {
                out.push((s, i + 1));
            }
            s = i + 1;
        }
    }
    if s < c.len() {
        out.push((s, c.len()));
    }
    out
}

/// Run the benchmark; rows in precision-major order.
pub fn run_bench(cfg: &BenchConfig) -> Result<Vec<BenchRow>> {
    let mut texts = cfg.texts.clone();
    if texts.is_empty() {
        texts.push(include_str!("bench_fallback.txt").to_string());
    }
    let sents: Vec<Vec<(usize, usize)>> = texts.iter().map(|t| rough_sentences(t)).collect();
    let mut rows = Vec::new();
    for &prec in &cfg.precisions {
        for &b in &cfg.batch_sizes {
            let opts = EngineOptions {
                max_tokens: cfg.chunk_tokens,
                overlap: cfg.chunk_tokens / 8,
                token_budget: b * cfg.chunk_tokens,
                max_batch: b,
                precision: prec,
            };
            let engine = Engine::load_with(&cfg.source, cfg.device, opts)?;
            let docs: Vec<(&str, &[(usize, usize)])> = texts.iter().zip(&sents).map(|(t, s)| (t.as_str(), &s[..])).collect();
            // warm-up, and the article size to read enough articles in one call (so batches fill)
            let per_article: usize = engine.encode_documents(&docs)?.iter().map(|e| e.tokens.len()).sum::<usize>().max(1);
            let reps = cfg.min_tokens.div_ceil(per_article).max(1);
            let all: Vec<(&str, &[(usize, usize)])> = docs.iter().cycle().take(docs.len() * reps).cloned().collect();
            let (mut tokens, mut chunks, mut articles) = (0usize, 0usize, 0usize);
            let t0 = Instant::now();
            for e in engine.encode_documents(&all)? {
                tokens += e.tokens.len();
                chunks += e.n_chunks;
            }
            articles += all.len();
            let secs = t0.elapsed().as_secs_f64();
            rows.push(BenchRow {
                precision: prec,
                batch: b,
                tokens,
                chunks,
                articles,
                seconds: secs,
                tokens_per_s: tokens as f64 / secs,
                articles_per_s: articles as f64 / secs,
                peak_mb: peak_rss_kb().unwrap_or(0) as f64 / 1024.0,
            });
        }
    }
    Ok(rows)
}

/// A printable table.
pub fn report(rows: &[BenchRow]) -> String {
    let mut s = format!("# int8 kernel: {}\n", super::int8::kernel_name());
    s += &format!(
        "{:<6} {:>5} {:>8} {:>7} {:>8} {:>10} {:>10} {:>9}\n",
        "prec", "batch", "tokens", "chunks", "secs", "tokens/s", "articles/s", "peak MB"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<6} {:>5} {:>8} {:>7} {:>8.2} {:>10.0} {:>10.2} {:>9.0}\n",
            format!("{:?}", r.precision),
            r.batch,
            r.tokens,
            r.chunks,
            r.seconds,
            r.tokens_per_s,
            r.articles_per_s,
            r.peak_mb
        ));
    }
    s
}

/// One fixed-shape measurement (the protocol of `benches/pytorch_bench.py`).
#[derive(Debug, Clone)]
pub struct FixedRow {
    pub precision: Precision,
    pub batch: usize,
    pub seq: usize,
    pub median_ms: f64,
    pub min_ms: f64,
    pub tokens_per_s: f64,
    pub peak_mb: f64,
}

/// Fixed shapes, as the PyTorch side-by-side runs them: the articles' tokens laid end to end,
/// each row `<s>` + a window of that stream + `</s>` (no padding), `warmup` untimed forwards, then
/// the median of `runs` timed ones; tokens/s = batch × seq / median.
pub fn run_fixed(cfg: &BenchConfig, cases: &[(usize, usize)], warmup: usize, runs: usize) -> Result<Vec<FixedRow>> {
    let mut texts = cfg.texts.clone();
    if texts.is_empty() {
        texts.push(include_str!("bench_fallback.txt").to_string());
    }
    let mut rows = Vec::new();
    for &prec in &cfg.precisions {
        let opts = EngineOptions { precision: prec, ..Default::default() };
        let engine = Engine::load_with(&cfg.source, cfg.device, opts)?;
        let mut stream: Vec<u32> = Vec::new();
        for t in &texts {
            stream.extend(engine.tokenizer.encode(t)?.0);
        }
        for &(b, t) in cases {
            let w = t.saturating_sub(2).max(1);
            let mut ids = Vec::with_capacity(b * t);
            for r in 0..b {
                ids.push(engine.tokenizer.cls);
                for j in 0..w {
                    ids.push(stream.get((r * w + j) % stream.len().max(1)).copied().unwrap_or(engine.tokenizer.pad));
                }
                ids.push(engine.tokenizer.sep);
            }
            let dev = engine.device();
            let idt = candle_core::Tensor::from_vec(ids, (b, w + 2), &dev)?;
            let mask = candle_core::Tensor::ones((b, w + 2), candle_core::DType::U32, &dev)?;
            let mut times = Vec::with_capacity(runs);
            for i in 0..warmup + runs {
                let t0 = Instant::now();
                let out = engine.encoder.forward(&idt, &mask)?;
                // make sure the work is done (GPU queues) before the clock stops
                let _ = out.sum_all()?.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()?;
                if i >= warmup {
                    times.push(t0.elapsed().as_secs_f64());
                }
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let med = times[times.len() / 2];
            rows.push(FixedRow {
                precision: prec,
                batch: b,
                seq: w + 2,
                median_ms: med * 1e3,
                min_ms: times[0] * 1e3,
                tokens_per_s: (b * (w + 2)) as f64 / med,
                peak_mb: peak_rss_kb().unwrap_or(0) as f64 / 1024.0,
            });
        }
    }
    Ok(rows)
}

/// A printable table of fixed-shape rows.
pub fn report_fixed(rows: &[FixedRow]) -> String {
    let mut s = format!("# int8 kernel: {}\n", super::int8::kernel_name());
    s += &format!("{:<6} {:>5} {:>5} {:>10} {:>9} {:>10} {:>9}\n", "prec", "batch", "seq", "median ms", "min ms", "tokens/s", "peak MB");
    for r in rows {
        s.push_str(&format!(
            "{:<6} {:>5} {:>5} {:>10.1} {:>9.1} {:>10.0} {:>9.0}\n",
            format!("{:?}", r.precision),
            r.batch,
            r.seq,
            r.median_ms,
            r.min_ms,
            r.tokens_per_s,
            r.peak_mb
        ));
    }
    s
}
