//! Tiny synthetic models (random weights, small configs) for each architecture, written by the
//! test into a temp dir as model.safetensors + config.json + tokenizer.json.

mod common;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::{bert, debertav2, distilbert, xlm_roberta};
use serde_json::json;
use std::path::{Path, PathBuf};
use veille::model::{
    text::word_spans, DeviceChoice, Engine, EngineOptions, Head, ModelSource, Precision, SequenceClassifier,
    TokenClassifier,
};

const LABELS: [&str; 5] = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"];

/// A Unigram + Metaspace + NFKC tokenizer over single characters and a few words.
fn write_tokenizer(dir: &Path) -> usize {
    use tokenizers::models::unigram::Unigram;
    use tokenizers::normalizers::unicode::NFKC;
    use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
    let mut vocab: Vec<(String, f64)> = ["<s>", "<pad>", "</s>", "<unk>"].iter().map(|s| (s.to_string(), 0.0)).collect();
    let chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éèêëàâçôûùîïÉÈÊÀÇÔ,.;:!?'’«»-%€$()";
    vocab.push(("▁".into(), -3.0));
    for c in chars.chars() {
        vocab.push((c.to_string(), -8.0));
        vocab.push((format!("▁{c}"), -8.5));
    }
    for w in ["▁Meta", "▁investit", "▁milliards", "▁de", "▁dollars", "▁le", "▁la", "▁l", "Or", "éal", "▁Jean", "▁et", "ment", "tion"] {
        vocab.push((w.to_string(), -4.0));
    }
    let n = vocab.len();
    let model = Unigram::from(vocab, Some(3), false).unwrap();
    let mut tk = tokenizers::Tokenizer::new(model);
    tk.with_normalizer(Some(NFKC)).expect("NFKC normalizer");
    tk.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
    tk.save(dir.join("tokenizer.json"), false).unwrap();
    n
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum A {
    Bert,
    Xlmr,
    Distil,
    Deberta,
}
const ALL: [A; 4] = [A::Bert, A::Xlmr, A::Distil, A::Deberta];

fn id2label() -> serde_json::Value {
    json!(LABELS.iter().enumerate().map(|(i, l)| (i.to_string(), json!(l))).collect::<serde_json::Map<String, serde_json::Value>>())
}

/// Write a tiny random model; `seq` adds sequence-classification weights, else token ones.
fn make_model(a: A, seq: bool) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let v = write_tokenizer(&dir);
    let (h, nl) = (32usize, LABELS.len());
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let common = json!({"vocab_size": v, "max_position_embeddings": 64, "pad_token_id": 1, "id2label": id2label(),
        "initializer_range": 0.02, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0});
    let mut cfg = common.as_object().unwrap().clone();
    let extra = match a {
        A::Bert | A::Xlmr => json!({"model_type": if a == A::Bert {"bert"} else {"xlm-roberta"}, "hidden_size": h,
            "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu",
            "type_vocab_size": if a == A::Bert {2} else {1}, "layer_norm_eps": 1e-5, "position_embedding_type": "absolute"}),
        A::Distil => json!({"model_type": "distilbert", "dim": h, "n_layers": 2, "n_heads": 4, "hidden_dim": 64,
            "activation": "gelu", "hidden_size": h}),
        A::Deberta => json!({"model_type": "deberta-v2", "hidden_size": h, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 64, "hidden_act": "gelu", "type_vocab_size": 0, "layer_norm_eps": 1e-7,
            "relative_attention": true, "max_relative_positions": -1, "position_biased_input": false,
            "pos_att_type": ["p2c", "c2p"], "position_buckets": 16, "share_att_key": true, "norm_rel_ebd": "layer_norm",
            "pooler_dropout": 0.0, "pooler_hidden_act": "gelu", "pooler_hidden_size": h}),
    };
    cfg.extend(extra.as_object().unwrap().clone());
    let cfg = serde_json::Value::Object(cfg);
    match a {
        A::Bert => {
            let c: bert::Config = serde_json::from_value(cfg.clone()).unwrap();
            bert::BertModel::load(vb.pp("bert"), &c).unwrap();
            if seq {
                candle_nn::linear(h, h, vb.pp("bert.pooler.dense")).unwrap();
            }
            candle_nn::linear(h, nl, vb.pp("classifier")).unwrap();
        }
        A::Xlmr => {
            let c: xlm_roberta::Config = serde_json::from_value(cfg.clone()).unwrap();
            xlm_roberta::XLMRobertaModel::new(&c, vb.pp("roberta")).unwrap();
            if seq {
                candle_nn::linear(h, h, vb.pp("classifier.dense")).unwrap();
                candle_nn::linear(h, nl, vb.pp("classifier.out_proj")).unwrap();
            } else {
                candle_nn::linear(h, nl, vb.pp("classifier")).unwrap();
            }
        }
        A::Distil => {
            let c: distilbert::Config = serde_json::from_value(cfg.clone()).unwrap();
            distilbert::DistilBertModel::load(vb.pp("distilbert"), &c).unwrap();
            if seq {
                candle_nn::linear(h, h, vb.pp("pre_classifier")).unwrap();
            }
            candle_nn::linear(h, nl, vb.pp("classifier")).unwrap();
        }
        A::Deberta => {
            let c: debertav2::Config = serde_json::from_value(cfg.clone()).unwrap();
            debertav2::DebertaV2Model::load(vb.pp("deberta"), &c).unwrap();
            if seq {
                candle_nn::linear(h, h, vb.pp("pooler.dense")).unwrap();
            }
            candle_nn::linear(h, nl, vb.pp("classifier")).unwrap();
        }
    }
    // make LayerNorms and biases non-trivial so the test means something
    for (name, var) in varmap.data().lock().unwrap().iter() {
        if name.ends_with("bias") || name.contains("LayerNorm") {
            let t = var.as_tensor();
            let r = (Tensor::randn(0f32, 0.1, t.shape(), &Device::Cpu).unwrap() + t).unwrap();
            var.set(&r).unwrap();
        }
    }
    varmap.save(dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    (tmp, dir)
}

fn opts(max_tokens: usize, max_batch: usize) -> EngineOptions {
    EngineOptions { max_tokens, overlap: 4, token_budget: 4096, max_batch, precision: Precision::F32 }
}

fn engine(dir: &Path, o: EngineOptions) -> Engine {
    Engine::load_with(&ModelSource::Local(dir.into()), DeviceChoice::Cpu, o).unwrap()
}

const DOCS: [&str; 3] = [
    "Meta investit 65 milliards de dollars. Le groupe l'annonce. Jean-Baptiste Dupont est content.",
    "L’Oréal : «\u{a0}36,46\u{a0}%\u{a0}» de hausse, soit 1\u{202f}300\u{202f}000 euros 🚀. ÉCOLE, Été.",
    "Une phrase très longue sans point qui continue encore et encore avec des mots et des chiffres 12 34 56 78 pour dépasser la fenêtre du modèle plusieurs fois de suite",
];

fn sentences(t: &str) -> Vec<(usize, usize)> {
    let c: Vec<char> = t.chars().collect();
    let mut out = vec![];
    let mut s = 0;
    for i in 0..c.len() {
        if c[i] == '.' && (i + 1 == c.len() || c[i + 1] == ' ') {
            out.push((s, i + 1));
            s = i + 2;
        }
    }
    if s < c.len() {
        out.push((s, c.len()));
    }
    out
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn batched_equals_one_at_a_time_all_archs() {
    for a in ALL {
        let (_t, dir) = make_model(a, false);
        let batched = engine(&dir, opts(16, 32));
        let single = engine(&dir, opts(16, 1));
        let sents: Vec<Vec<(usize, usize)>> = DOCS.iter().map(|d| sentences(d)).collect();
        let docs: Vec<(&str, &[(usize, usize)])> = DOCS.iter().zip(&sents).map(|(d, s)| (*d, &s[..])).collect();
        let all = batched.encode_documents(&docs).unwrap();
        for (i, (d, s)) in docs.iter().enumerate() {
            let one = single.encode_document(d, s).unwrap();
            assert_eq!(one.tokens, all[i].tokens);
            assert!(all[i].n_chunks >= 1);
            let m = max_diff(&one.vectors, &all[i].vectors);
            assert!(m < 1e-4, "{a:?} doc {i}: batched vs single differ by {m}");
            assert!(one.vectors.iter().all(|x| x.is_finite()));
        }
        // embed: batch vs one by one
        let e_all = batched.embed(&DOCS).unwrap();
        for (i, d) in DOCS.iter().enumerate() {
            let e1 = single.embed(&[d]).unwrap();
            assert!(max_diff(&e1[0], &e_all[i]) < 1e-4, "{a:?} embed {i}");
        }
    }
}

#[test]
fn own_bert_matches_candle_transformers() {
    for a in [A::Bert, A::Xlmr] {
        let (_t, dir) = make_model(a, false);
        let e = engine(&dir, opts(64, 8));
        let cfg: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, &Device::Cpu).unwrap() };
        let (ids0, _) = e.tokenizer.encode(DOCS[0]).unwrap();
        let (ids1, _) = e.tokenizer.encode("Meta et Jean.").unwrap();
        let t = ids0.len() + 2;
        let mut ids = vec![1u32; 2 * t];
        let mut mask = vec![0u32; 2 * t];
        for (r, s) in [&ids0, &ids1].iter().enumerate() {
            ids[r * t] = 0;
            ids[r * t + 1..r * t + 1 + s.len()].copy_from_slice(s);
            ids[r * t + 1 + s.len()] = 2;
            mask[r * t..r * t + s.len() + 2].iter_mut().for_each(|m| *m = 1);
        }
        let ids = Tensor::from_vec(ids, (2, t), &Device::Cpu).unwrap();
        let mask = Tensor::from_vec(mask, (2, t), &Device::Cpu).unwrap();
        let ours = e.encoder.forward(&ids, &mask).unwrap();
        let theirs = match a {
            A::Bert => {
                let c: bert::Config = serde_json::from_value(cfg).unwrap();
                let m = bert::BertModel::load(vb.pp("bert"), &c).unwrap();
                m.forward(&ids, &ids.zeros_like().unwrap(), Some(&mask)).unwrap()
            }
            _ => {
                let c: xlm_roberta::Config = serde_json::from_value(cfg).unwrap();
                let m = xlm_roberta::XLMRobertaModel::new(&c, vb.pp("roberta")).unwrap();
                m.forward(&ids, &mask, &ids.zeros_like().unwrap(), None, None, None).unwrap()
            }
        };
        // compare the unpadded positions only
        let n1 = ids1.len() + 2;
        for (r, n) in [(0, t), (1, n1)] {
            let x = ours.get(r).unwrap().narrow(0, 0, n).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let y = theirs.get(r).unwrap().narrow(0, 0, n).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let m = max_diff(&x, &y);
            assert!(m < 1e-4, "{a:?}: ours vs candle-transformers differ by {m}");
        }
    }
}

#[test]
fn quantised_paths_run_close() {
    let (_t, dir) = make_model(A::Bert, false);
    let f = engine(&dir, opts(64, 8));
    let a = f.embed(&DOCS).unwrap();
    for p in [Precision::Q8_0, Precision::Int8] {
        let q = engine(&dir, EngineOptions { precision: p, ..opts(64, 8) });
        let b = q.embed(&DOCS).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!(veille::model::cosine(x, y) > 0.99, "{p:?}");
        }
    }
}

fn chars(t: &str, a: usize, b: usize) -> String {
    t.chars().skip(a).take(b - a).collect()
}

#[test]
fn offsets_on_french_typography() {
    let (_t, dir) = make_model(A::Xlmr, false);
    let e = engine(&dir, opts(32, 8));
    let text = "«\u{a0}L’Oréal\u{a0}» gagne 36,46\u{202f}% — ÉTÉ 2025 🚀 à Paris ; l'Été d’Élodie.";
    let n = text.chars().count();
    let doc = e.encode_document(text, &[(0, n)]).unwrap();
    let mut last = 0;
    for t in &doc.tokens {
        assert!(t.start <= t.end && t.end <= n, "{t:?}");
        assert!(t.start >= last || t.start == t.end, "offsets go back: {t:?}");
        last = t.start;
        let piece = e.tokenizer.inner.id_to_token(t.id).unwrap();
        let piece = piece.trim_start_matches('▁');
        if !piece.is_empty() && t.id != 3 {
            assert_eq!(chars(text, t.start, t.end).trim(), piece, "token {t:?}");
        }
    }
    let words: Vec<String> = doc.words.iter().map(|w| chars(text, w.start, w.end)).collect();
    for w in ["«", "L’Oréal", "»", "36,46", "%", "ÉTÉ", "🚀", "l'Été", "d’Élodie"] {
        assert!(words.iter().any(|x| x == w), "word {w:?} missing from {words:?}");
    }
    // every word has tokens whose spans overlap it (the emoji is <unk> but still covered)
    for w in &doc.words {
        assert!(!w.tokens.is_empty());
        let t = &doc.tokens[w.tokens[0]];
        assert!(t.start < w.end && t.end > w.start, "word {:?} token {t:?}", chars(text, w.start, w.end));
    }
    let v = doc.span_vector(2, 9).unwrap(); // "L’Oréal"
    assert_eq!(v.len(), 32);
}

#[test]
fn five_thousand_words_fully_covered() {
    let (_t, dir) = make_model(A::Bert, false);
    let e = engine(&dir, opts(64, 32));
    let vocab = ["Meta", "investit", "36,46", "milliards", "de", "dollars", "l'Oréal", "Jean-Baptiste", "1\u{a0}300\u{a0}000", "«", "»", "été"];
    let mut text = String::new();
    let mut sents = Vec::new();
    let mut start = 0usize;
    let mut pos = 0usize;
    for i in 0..5000 {
        let w = vocab[(i * 7 + i / 13) % vocab.len()];
        if !text.is_empty() {
            text.push(' ');
            pos += 1;
        }
        text.push_str(w);
        pos += w.chars().count();
        if i % 23 == 22 || (i > 3000 && i < 3400) && i % 400 == 399 {
            text.push('.');
            pos += 1;
            sents.push((start, pos));
            start = pos + 1;
        }
    }
    sents.push((start, pos));
    let doc = e.encode_document(&text, &sents).unwrap();
    assert!(doc.n_chunks > 50);
    assert_eq!(doc.words.len(), word_spans(&text).len());
    assert!(doc.words.len() >= 5000);
    let mut covered = vec![false; text.chars().count()];
    for t in &doc.tokens {
        (t.start..t.end).for_each(|i| covered[i] = true);
    }
    for w in &doc.words {
        assert!(!w.tokens.is_empty());
        assert!((w.start..w.end).any(|i| covered[i]), "word at {} not covered", w.start);
    }
    for i in 0..doc.tokens.len() {
        assert!(doc.token_vector(i).iter().any(|x| *x != 0.0), "token {i} has no vector");
    }
    assert_eq!(doc.sentence_vectors().len(), sents.len());
    // a single sentence of 5,000 words goes through overlapping windows
    let doc2 = e.encode_document(&text, &[(0, text.chars().count())]).unwrap();
    assert!(doc2.n_chunks > 50);
    for i in 0..doc2.tokens.len() {
        assert!(doc2.token_vector(i).iter().any(|x| *x != 0.0), "token {i} has no vector");
    }
}

#[test]
fn classifiers_for_every_arch() {
    for a in ALL {
        let (_t, dir) = make_model(a, false);
        let tc = TokenClassifier::load(&ModelSource::Local(dir.clone()), DeviceChoice::Cpu, opts(32, 8)).unwrap();
        assert_eq!(tc.labels(), LABELS);
        let text = DOCS[0];
        let spans = tc.predict(text, &sentences(text)).unwrap();
        for s in &spans {
            assert!(s.start < s.end && s.end <= text.chars().count());
            assert_eq!(chars(text, s.start, s.end), s.text);
            assert!(s.label != "O" && !s.label.contains('-'));
        }
        let (_t2, dir2) = make_model(a, true);
        let sc = SequenceClassifier::load(&ModelSource::Local(dir2), DeviceChoice::Cpu, opts(32, 8)).unwrap();
        let p = sc.probs(&DOCS).unwrap();
        for row in &p {
            assert_eq!(row.len(), LABELS.len());
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
        let c = sc.classify(&["", "Meta"]).unwrap();
        assert_eq!(c.len(), 2);
    }
}

#[test]
fn never_panics_on_odd_text() {
    let (_t, dir) = make_model(A::Xlmr, false);
    let e = engine(&dir, opts(32, 8));
    let long_word = "a".repeat(20_000);
    let odd = "\u{0}\u{1}\u{200b}\u{301}\u{202e}abc\u{feff} \t\n\r ﷽ 𝔘𝔫𝔦";
    for t in ["", "   ", "\n\n", long_word.as_str(), odd] {
        let n = t.chars().count();
        let d = e.encode_document(t, &[(0, n), (n + 5, n + 10), (3, 1)]).unwrap();
        assert!(d.vectors.iter().all(|x| x.is_finite()));
        let _ = d.sentence_vectors();
        let _ = d.span_vector(0, 1_000_000);
        let emb = e.embed(&[t]).unwrap();
        assert_eq!(emb[0].len(), 32);
    }
}

#[test]
fn head_roundtrip_and_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let head = Head::new(vec![1.0, 0.0, 0.0, 1.0, -1.0, -1.0], vec![0.0, 0.0, 0.5], vec!["a".into(), "b".into(), "c".into()]).unwrap();
    let (w, l) = (tmp.path().join("h.safetensors"), tmp.path().join("h.labels.json"));
    head.save(&w, &l).unwrap();
    let h2 = Head::load(&w, &l).unwrap();
    assert_eq!(head, h2);
    assert_eq!(h2.predict(&[3.0, 1.0]).label, "a");
    // missing packaged files name the path and models/fetch
    let err = Engine::load(&ModelSource::Packaged(Some(tmp.path().into())), DeviceChoice::Cpu).err().unwrap().to_string();
    assert!(err.contains("e5-small-q4.bin") && err.contains("models/fetch"), "{err}");
    let err = Engine::load(&ModelSource::Local(tmp.path().into()), DeviceChoice::Cpu).err().unwrap().to_string();
    assert!(err.contains("config.json"), "{err}");
    assert!("cuda:x".parse::<DeviceChoice>().is_err());
    assert_eq!("cuda:1".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cuda(1));
    assert_eq!("CPU".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
    // registry report lists the packaged base and heads found in a folder
    let rep = veille::model::registry::list_report(Some(tmp.path()));
    assert!(rep.contains("e5-small") && rep.contains("h\thead\tok"), "{rep}");
}

#[test]
fn hub_cache_layout_offline() {
    let (_t, dir) = make_model(A::Distil, false);
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("hub").join("models--test-org--tiny-distil");
    let snap = repo.join("snapshots").join("0123456789abcdef");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs").join("main"), "0123456789abcdef").unwrap();
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(dir.join(f), snap.join(f)).unwrap();
    }
    std::env::set_var("HF_HOME", home.path());
    std::env::set_var("HF_HUB_OFFLINE", "1");
    let src = ModelSource::parse("test-org/tiny-distil").unwrap();
    assert_eq!(src, ModelSource::Hub { repo: "test-org/tiny-distil".into(), revision: None });
    let e = Engine::load_with(&src, DeviceChoice::Cpu, opts(32, 8)).unwrap();
    let local = engine(&dir, opts(32, 8));
    let a = e.embed(&DOCS).unwrap();
    let b = local.embed(&DOCS).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!(max_diff(x, y) < 1e-6);
    }
    let err = Engine::load(&ModelSource::parse("test-org/absent").unwrap(), DeviceChoice::Cpu).err().unwrap().to_string();
    assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
}

#[test]
fn lower_layers_then_upper_layers_equal_one_full_pass() {
    let (_t, dir) = make_model(A::Bert, false);
    // A small window forces long sentences into overlapping chunks.
    let e = engine(&dir, opts(16, 3));
    let sents: Vec<Vec<(usize, usize)>> = DOCS.iter().map(|d| sentences(d)).collect();
    let input: Vec<(&str, &[(usize, usize)])> = DOCS.iter().zip(&sents).map(|(d, s)| (*d, s.as_slice())).collect();
    let full = e.encode_documents(&input).unwrap();
    for from in [0, 1, 2] {
        let (mut encs, chunks) = e.encode_lower(&input, from).unwrap();
        e.finish_documents(&mut encs, &chunks, from).unwrap();
        for (a, b) in full.iter().zip(&encs) {
            assert_eq!(a.tokens, b.tokens);
            assert_eq!(a.n_chunks, b.n_chunks);
            assert!(max_diff(&a.vectors, &b.vectors) < 1e-4, "from layer {from}: {}", max_diff(&a.vectors, &b.vectors));
        }
    }
}

#[test]
fn merged_adapter_runs_as_the_trainable_replica_and_survives_saving() {
    use veille::train::adapt::{AdaptConfig, Replica};
    let (_t, dir) = make_model(A::Bert, false);
    let mut e = engine(&dir, opts(64, 4));
    let text = DOCS[0];
    let sents = sentences(text);
    let (_, chunks) = e.encode_lower(&[(text, &sents)], 1).unwrap();
    let cfg = AdaptConfig { layers: 1, rank: 4, ..Default::default() };
    let rep = Replica::new(e.encoder.as_bert().unwrap(), &cfg).unwrap();
    // B starts at zero; give every update a value so that merging has something to prove.
    for v in rep.vars() {
        v.set(&Tensor::randn(0f32, 0.2, v.shape(), &Device::Cpu).unwrap()).unwrap();
    }
    let adapter = rep.adapter().unwrap();
    let h = 32;
    let c = &chunks[0];
    let t = c.states.len() / h;
    let x = Tensor::from_vec(c.states.clone(), (1, t, h), &Device::Cpu).unwrap();
    let mask = Tensor::zeros((1, 1, 1, t), DType::F32, &Device::Cpu).unwrap();
    let want: Vec<f32> = rep.forward(&x, &mask).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    let before = e.run_upper(&[c.states.as_slice()], 1).unwrap().remove(0);
    assert!(max_diff(&before, &want) > 1e-3, "the adapter changes the output");

    // Through the heads' files, as `veille analyze` loads them.
    let tmp = tempfile::tempdir().unwrap();
    let mut heads = veille::reading::heads::TaskHeads::new(1, h, &Device::Cpu).unwrap();
    heads.labels.adapter = Some(veille::reading::heads::AdapterMeta { rank: adapter.rank, alpha: adapter.alpha, layers: vec![1] });
    heads.adapter = Some(adapter);
    heads.save(tmp.path()).unwrap();
    let loaded = veille::reading::heads::TaskHeads::load(tmp.path(), &Device::Cpu).unwrap();
    e.apply_adapter(loaded.adapter.as_ref().expect("adapter read back")).unwrap();
    let got = e.run_upper(&[c.states.as_slice()], 1).unwrap().remove(0);
    assert!(max_diff(&got, &want) < 1e-4, "merged vs replica: {}", max_diff(&got, &want));
}

#[test]
fn adapter_training_is_seeded_and_reproducible() {
    use veille::reading::{features, heads::TaskHeads};
    use veille::train::{adapt, corpus::CorpusDoc, fit};
    let (_t, dir) = make_model(A::Bert, false);
    let e = engine(&dir, opts(32, 4));
    let labels = TaskHeads::new(1, 32, &Device::Cpu).unwrap().labels;
    let docs: Vec<CorpusDoc> = (0..6)
        .map(|i| {
            let text = format!("Meta investit {i} milliards de dollars. Le groupe est content.");
            let n = text.chars().count();
            let fig = format!("{i} milliards de dollars");
            serde_json::from_value(json!({"id": format!("fr-{i:04}"), "lang": "fr", "published": null,
                "split": if i < 4 {"train"} else {"dev"}, "tone": "positive", "text": text,
                "sentences": [{"start": 0, "end": 15 + fig.chars().count(), "tone": "positive"}, {"start": n - 22, "end": n, "tone": "neutral"}],
                "entities": [{"start": 0, "end": 4, "label": "ORG", "text": "Meta"}],
                "figures": [{"start": 14, "end": 14 + fig.chars().count(), "role": "invest"}]}))
            .unwrap()
        })
        .collect();
    let texts: Vec<(String, Vec<(usize, usize)>)> = docs.iter().map(fit::normalised).collect();
    let input: Vec<(&str, &[(usize, usize)])> = texts.iter().map(|(t, s)| (t.as_str(), s.as_slice())).collect();
    let (mut encs, chunks) = e.encode_lower(&input, 1).unwrap();
    e.finish_documents(&mut encs, &chunks, 1).unwrap();
    let prepared: Vec<fit::Prepared> = docs.iter().zip(&encs).map(|(d, en)| fit::prepare_with(d, features::from_encoding(en), &labels)).collect();
    let per_doc: Vec<Vec<&veille::model::CachedChunk>> = (0..docs.len()).map(|d| chunks.iter().filter(|c| c.chunk.doc == d).collect()).collect();
    let gold: Vec<Vec<adapt::ChunkGold>> = prepared.iter().zip(&per_doc).map(|(p, cs)| adapt::chunk_gold(p, cs, &labels.tags)).collect();
    assert!(gold.iter().flatten().any(|g| !g.figs.is_empty() && !g.sents.is_empty() && !g.tags.is_empty()));
    let pick = |split: &str| -> Vec<(&veille::model::CachedChunk, &adapt::ChunkGold)> {
        prepared.iter().enumerate().filter(|(_, p)| p.split == split).flat_map(|(d, _)| per_doc[d].iter().copied().zip(gold[d].iter())).collect()
    };
    let warm: Vec<&fit::Prepared> = prepared.iter().filter(|p| p.split == "train").collect();
    let cfg = adapt::AdaptConfig { layers: 1, rank: 2, epochs: 2, seed: 5, ..Default::default() };
    let bert = e.encoder.as_bert().unwrap();
    let n = (labels.tags.len(), labels.roles.len(), labels.tones.len());
    let mut lines = Vec::new();
    let a = adapt::fit_adapter(bert, &pick("train"), &pick("dev"), &warm, &labels.tags, n, cfg, &mut |l| lines.push(l)).unwrap();
    let b = adapt::fit_adapter(bert, &pick("train"), &pick("dev"), &warm, &labels.tags, n, cfg, &mut |_| {}).unwrap();
    assert!(lines.iter().any(|l| l.starts_with("adapter epoch 2")), "{lines:?}");
    assert_eq!(a.pairs.len(), 4);
    for (x, y) in a.pairs.iter().zip(&b.pairs) {
        let xv: Vec<f32> = x.b.flatten_all().unwrap().to_vec1().unwrap();
        let yv: Vec<f32> = y.b.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(xv, yv, "same seed, same adapter");
        assert!(xv.iter().any(|v| *v != 0.0), "training moved B away from zero");
    }
}

#[test]
fn streaming_analyze_equals_one_at_a_time_tiny_model() {
    use veille::reading::{heads::TaskHeads, reader::HeadsReader};
    let (_t, dir) = make_model(A::Bert, false);
    let heads = || TaskHeads::new(7, 32, &Device::Cpu).unwrap();
    // Short chunks, so that documents are cut into many, and batches of very different shapes:
    // at most 2 chunks per batch one document at a time, hundreds across documents.
    let single = HeadsReader::new(engine(&dir, opts(16, 2)), heads()).unwrap();
    let streamed = HeadsReader::new(engine(&dir, EngineOptions { token_budget: 4096, ..opts(16, 4096) }), heads()).unwrap();
    let arts = tempfile::tempdir().unwrap();
    for i in 0..12 {
        let body = format!("{} Meta {i} investit {i} milliards de dollars.", DOCS[i % DOCS.len()]);
        std::fs::write(arts.path().join(format!("a{i:02}.txt")), body).unwrap();
    }
    std::fs::write(arts.path().join("copy.txt"), format!("{} Meta 0 investit 0 milliards de dollars.", DOCS[0])).unwrap();
    std::fs::write(arts.path().join("lines.jsonl"), "{\"text\": \"Jean et Meta.\"}\nnot json\n{\"text\": \"La tion ment de 5 %.\"}\n").unwrap();
    std::fs::write(arts.path().join("empty.txt"), "").unwrap();
    let (want, want_failed) = common::one_at_a_time(arts.path(), Some(&single));
    let opts = veille::stream::StreamOptions { jobs: 3, window_tokens: 200, max_in_flight: 6, ..Default::default() };
    let (got, got_failed) = common::streaming(arts.path(), Some(&streamed), &opts);
    assert_eq!(want.len(), 14, "12 files, one copy, two good JSONL lines");
    assert_eq!(got_failed, want_failed);
    assert_eq!(got, want);
}
