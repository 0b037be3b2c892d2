//! The real packaged encoder (models/fetch) against reference embeddings computed with
//! transformers' BertModel on the dequantised weights (models/make_e5_reference.py).
use veille::model::{cosine, DeviceChoice, Engine, EngineOptions, ModelSource, Precision};

fn engine(prec: Precision) -> Option<Engine> {
    let dir = veille::model::packaged_dir();
    if !dir.join("e5-small-q4.bin").exists() || !dir.join("tokenizer.json").exists() {
        eprintln!("SKIP: packaged e5-small not found in {} — run models/fetch", dir.display());
        return None;
    }
    let opts = EngineOptions { precision: prec, ..Default::default() };
    Some(Engine::load_with(&ModelSource::Packaged(None), DeviceChoice::Cpu, opts).expect("load packaged e5"))
}

struct Ref {
    text: String,
    ids: Vec<u32>,
    mean: Vec<f32>,
}

fn reference() -> Vec<Ref> {
    let j: serde_json::Value = serde_json::from_str(include_str!("fixtures/e5_reference.json")).unwrap();
    j["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Ref {
            text: s["text"].as_str().unwrap().into(),
            ids: s["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect(),
            mean: s["mean"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect(),
        })
        .collect()
}

fn check(prec: Precision, min_cos: f32) {
    let Some(e) = engine(prec) else { return };
    let refs = reference();
    for r in &refs {
        let (ids, _) = e.tokenizer.encode(&r.text).unwrap();
        assert_eq!(&ids[..], &r.ids[1..r.ids.len() - 1], "tokenizer ids for {:?}", r.text);
    }
    let texts: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
    let embs = e.embed(&texts).unwrap();
    let mut worst = 1.0f32;
    for (r, v) in refs.iter().zip(&embs) {
        let c = cosine(&r.mean, v);
        worst = worst.min(c);
        assert!(c >= min_cos, "{prec:?}: cosine {c} for {:?}", r.text);
    }
    eprintln!("{prec:?}: lowest cosine to reference {worst:.6}");
    // related sentences closer than unrelated ones
    assert!(cosine(&embs[0], &embs[1]) > cosine(&embs[0], &embs[2]));
    assert!(cosine(&embs[3], &embs[4]) > cosine(&embs[3], &embs[5]));
    assert!(cosine(&embs[0], &embs[3]) > cosine(&embs[0], &embs[5]));
}

#[test]
fn e5_f32_matches_reference() {
    check(Precision::F32, 0.999);
}

#[test]
fn e5_q4_matches_reference() {
    check(Precision::Q4_0, 0.99);
}

#[test]
fn e5_q8_matches_reference() {
    check(Precision::Q8_0, 0.995);
}

#[test]
fn e5_int8_matches_reference() {
    check(Precision::Int8, 0.995);
}

#[test]
fn e5_document_on_example() {
    let Some(e) = engine(Precision::F32) else { return };
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/fr_meta_ia_2025.txt"))
        .or_else(|_| std::fs::read_to_string("/work/shared/examples/fr_meta_ia_2025.txt"))
        .unwrap_or_else(|_| "Meta va investir 65 milliards de dollars. L'action gagne 3 %.".into());
    let doc = e.encode_document(&text, &[]).unwrap();
    assert!(!doc.tokens.is_empty());
    assert!(doc.vectors.iter().all(|x| x.is_finite()));
    assert_eq!(doc.sentence_vectors().len(), 1);
}
