//! The whole pipeline with the real encoder and the committed heads. Skips (with a message) when
//! `models/fetch` has not been run.

use std::path::{Path, PathBuf};

use veille::model::{packaged_dir, DeviceChoice, Engine, ModelSource};
use veille::reading::{heads::TaskHeads, reader::HeadsReader};
use veille::train::{corpus, fit};

fn heads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heads")
}

fn engine() -> Option<Engine> {
    if !packaged_dir().join("e5-small-q4.bin").exists() {
        eprintln!("SKIP: base encoder absent in {} (run models/fetch)", packaged_dir().display());
        return None;
    }
    // VEILLE_TEST_PRECISION=int8 measures another precision with the same tests (README, "Precision").
    let mut opts = veille::model::EngineOptions::default();
    if let Ok(p) = std::env::var("VEILLE_TEST_PRECISION") {
        opts.precision = p.parse().expect("VEILLE_TEST_PRECISION: a precision such as f32 or int8");
    }
    Some(Engine::load_with(&ModelSource::Packaged(None), DeviceChoice::Cpu, opts).expect("load the packaged encoder"))
}

#[test]
fn committed_heads_keep_their_quality_on_the_corpus_test_split() {
    let Some(mut engine) = engine() else { return };
    let heads = TaskHeads::load(&heads_dir(), &candle_core::Device::Cpu).unwrap();
    if let Some(a) = &heads.adapter {
        engine.apply_adapter(a).unwrap();
    }
    let docs = corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/annotated/test")).unwrap();
    assert!(docs.len() >= 20, "test split has {} documents", docs.len());
    let prepared: Vec<fit::Prepared> = docs.iter().map(|(_, d)| fit::prepare(d, &engine, &heads.labels).unwrap()).collect();
    let refs: Vec<&fit::Prepared> = prepared.iter().collect();
    let s = fit::evaluate(&heads, &refs).unwrap();
    eprintln!("corpus test split, precision {:?}: {s:?}", engine.opts.precision);
    // Measured 0.862 / 0.881 / 0.759 in f32 and 0.860 / 0.875 / 0.751 in int8 (what `auto` picks
    // on a CPU with AMX or AVX-512 VNNI); the role and tone floors are issue 5's targets, so a
    // regression below them shows here.
    assert!(s.entity_f1 >= 0.83, "{s:?}");
    assert!(s.role_accuracy >= 0.85, "{s:?}");
    assert!(s.tone_macro_f1 >= 0.75, "{s:?}");
}

#[test]
fn seed_example_gives_its_three_gold_records() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/fr_meta_ia_2025.txt");
    let gold = example.with_extension("gold.json");
    if !example.exists() || !gold.exists() {
        eprintln!("SKIP: {} is not beside the checkout", example.display());
        return;
    }
    let Some(engine) = engine() else { return };
    let heads = TaskHeads::load(&heads_dir(), &candle_core::Device::Cpu).unwrap();
    let reader = HeadsReader::new(engine, heads).unwrap();
    let bytes = std::fs::read(&example).unwrap();
    let article = veille::ingest::read_bytes("fr_meta_ia_2025.txt", "txt", &bytes).unwrap().remove(0).unwrap();
    let doc = veille::pipeline::analyze(&article, Some(&reader)).unwrap();
    let g: veille::eval::Gold = serde_json::from_str(&std::fs::read_to_string(&gold).unwrap()).unwrap();
    let report = veille::eval::score(&[("fr_meta_ia_2025.txt".into(), g)], &[doc.clone()]);
    let row = |n: &str| report.rows.iter().find(|(k, _)| k == n).unwrap().1;
    assert_eq!((row("records").tp, row("records").fp, row("records").fn_), (3, 0, 0), "{:#?}", doc.records);
    assert_eq!(row("figures.all").fn_, 0);
    assert!(doc.entities.iter().any(|e| e.text == "Meta" && e.label == "ORG"));
}

#[test]
fn batched_documents_read_as_one_at_a_time() {
    let Some(engine) = engine() else { return };
    let texts = ["Meta investira 65 milliards de dollars en 2025. Le groupe vise 1,3 million de GPU.", "Nvidia a publié un chiffre d'affaires record."];
    let spans: Vec<Vec<(usize, usize)>> = texts
        .iter()
        .map(|t| veille::text::segment(t).into_iter().map(|s| (s.start, s.end)).collect())
        .collect();
    let batch = engine.encode_documents(&[(texts[0], &spans[0]), (texts[1], &spans[1])]).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let one = engine.encode_document(t, &spans[i]).unwrap();
        assert_eq!(one.tokens, batch[i].tokens);
        let max = one.vectors.iter().zip(&batch[i].vectors).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(max < 1e-4, "doc {i}: max diff {max}");
    }
}
