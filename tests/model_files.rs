//! Damaged model and heads files: truncated, wrong format, wrong shapes, wrong checksum. Each gives
//! an error that names the file and what to do, never a panic. Synthetic files and temporary
//! copies only: nothing here needs the real model.

use std::path::Path;

use proptest::prelude::*;
use veille::model::e5s1::E5File;
use veille::model::{DeviceChoice, Engine, ModelSource, Precision};
use veille::train::heads::TaskHeads;

/// A tiny but complete E5S1 file (hidden 8, one layer, f32 tensors), as `models/README.md`
/// describes the layout.
fn tiny_e5s1() -> Vec<u8> {
    let (h, layers, heads, ff, vocab, max_pos, types) = (8i32, 1i32, 2i32, 16i32, 12i32, 16i32, 2i32);
    let mut tensors: Vec<(String, usize)> = vec![
        ("emb.word".into(), (vocab * h) as usize),
        ("emb.pos".into(), (max_pos * h) as usize),
        ("emb.type".into(), (types * h) as usize),
        ("emb.ln.w".into(), h as usize),
        ("emb.ln.b".into(), h as usize),
    ];
    for l in 0..layers {
        for (k, o, i) in [("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)] {
            tensors.push((format!("l{l}.{k}.w"), (o * i) as usize));
            tensors.push((format!("l{l}.{k}.b"), o as usize));
        }
        for k in ["aln", "oln"] {
            tensors.push((format!("l{l}.{k}.w"), h as usize));
            tensors.push((format!("l{l}.{k}.b"), h as usize));
        }
    }
    let mut b = b"E5S1".to_vec();
    b.extend(1u32.to_le_bytes());
    for v in [h, layers, heads, ff, vocab, max_pos, types] {
        b.extend(v.to_le_bytes());
    }
    b.extend(1e-12f32.to_le_bytes());
    b.extend(32i32.to_le_bytes()); // qk
    b.extend(0i32.to_le_bytes()); // n_pieces
    for v in [0i32, 1, 0, 3] {
        b.extend(v.to_le_bytes()); // bos eos pad unk
    }
    b.extend(0u64.to_le_bytes()); // blob
    b.extend(0u32.to_le_bytes()); // offsets[n_pieces + 1]
    b.extend(0i32.to_le_bytes()); // n_norm
    b.extend(0u32.to_le_bytes()); // norm-map bytes
    b.extend((tensors.len() as i32).to_le_bytes());
    let dir_len: usize = tensors.iter().map(|(n, _)| 2 + n.len() + 1 + 4 + 8 + 8).sum();
    let mut off = b.len() + dir_len;
    for (name, n) in &tensors {
        b.extend((name.len() as u16).to_le_bytes());
        b.extend(name.as_bytes());
        b.push(0);
        b.extend((*n as u32).to_le_bytes());
        b.extend((off as u64).to_le_bytes());
        b.extend(((n * 4) as u64).to_le_bytes());
        off += n * 4;
    }
    for (i, (_, n)) in tensors.iter().enumerate() {
        for j in 0..*n {
            b.extend((((i * 31 + j * 7) % 13) as f32 * 0.01).to_le_bytes());
        }
    }
    b
}

fn bad_file_error(bytes: Vec<u8>) -> String {
    match E5File::parse(Path::new("/models/e5-small-q4.bin"), bytes) {
        Ok(f) => match f.encoder(Precision::F32, &candle_core::Device::Cpu) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn tiny_e5s1_is_valid() {
    assert_eq!(bad_file_error(tiny_e5s1()), "", "the synthetic file should load");
}

#[test]
fn e5s1_wrong_format_truncated_and_wrong_shapes_name_the_file() {
    let good = tiny_e5s1();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("gguf magic", b"GGUF\x03\x00\x00\x00rest".to_vec(), "bad magic"),
        ("empty", Vec::new(), "truncated"),
        ("header cut", good[..30].to_vec(), "truncated"),
        ("tensors cut", good[..good.len() - 100].to_vec(), "past end of file"),
    ];
    let mut zero_heads = good.clone();
    zero_heads[16..20].copy_from_slice(&0i32.to_le_bytes());
    cases.push(("zero heads", zero_heads, "implausible header"));
    let mut huge = good.clone();
    huge[8..12].copy_from_slice(&i32::MAX.to_le_bytes());
    cases.push(("huge hidden size", huge, "implausible header"));
    let mut pieces = good.clone();
    pieces[44..48].copy_from_slice(&i32::MAX.to_le_bytes());
    cases.push(("huge piece count", pieces, "truncated"));
    let mut blob = good.clone();
    blob[64..72].copy_from_slice(&u64::MAX.to_le_bytes());
    cases.push(("blob length past memory", blob, "truncated"));
    // hidden 8 -> 4: every [*, hidden] tensor now has the wrong number of values.
    let mut shape = good.clone();
    shape[8..12].copy_from_slice(&4i32.to_le_bytes());
    cases.push(("shapes disagree with header", shape, "values, want"));
    for (what, bytes, want) in cases {
        let err = bad_file_error(bytes);
        assert!(err.contains("e5-small-q4.bin") && err.contains(want), "{what}: {err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Any cut or byte change of a valid file: an error or a model, never a panic or an abort.
    #[test]
    fn e5s1_damaged_never_panics(cut in 0usize..4000, flips in prop::collection::vec((0usize..4000, any::<u8>()), 0..6)) {
        let mut b = tiny_e5s1();
        for (at, v) in flips {
            let n = b.len();
            b[at % n] = v;
        }
        b.truncate(cut.max(1).min(b.len()) + if cut % 3 == 0 { b.len() } else { 0 });
        let _ = bad_file_error(b);
    }
}

fn packaged_dir_with(bin: &[u8]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("e5-small-q4.bin"), bin).unwrap();
    std::fs::write(tmp.path().join("tokenizer.json"), "{}").unwrap();
    tmp
}

#[test]
fn packaged_model_with_wrong_checksum_says_to_fetch_again() {
    // Truncated copy of a valid-looking file, and a file of another format.
    for bytes in [tiny_e5s1()[..500].to_vec(), tiny_e5s1(), b"\x89HDF\r\n\x1a\n".to_vec()] {
        let tmp = packaged_dir_with(&bytes);
        let err = Engine::load(&ModelSource::Packaged(Some(tmp.path().into())), DeviceChoice::Cpu).err().expect("must fail").to_string();
        println!("damaged packaged model: {err}");
        assert!(err.contains("e5-small-q4.bin") && err.contains("checksum mismatch") && err.contains("models/fetch"), "{err}");
    }
}

#[test]
fn analyze_with_a_damaged_model_fails_clearly() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("models").join("e5-small");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("e5-small-q4.bin"), &tiny_e5s1()[..1000]).unwrap();
    std::fs::write(dir.join("tokenizer.json"), "{\"truncated\": ").unwrap();
    let arts = home.path().join("in");
    std::fs::create_dir(&arts).unwrap();
    std::fs::write(arts.join("a.txt"), "Orange investit 1 milliard d'euros.").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(["analyze"])
        .arg(&arts)
        .arg("--db")
        .arg(home.path().join("v.db"))
        .env("VEILLE_HOME", home.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("e5-small-q4.bin") && err.contains("models/fetch"), "{err}");
}

#[test]
fn damaged_heads_name_the_file() {
    let dev = candle_core::Device::Cpu;
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    TaskHeads::new(3, 8, &dev).unwrap().save(&good).unwrap();
    assert!(TaskHeads::load(&good, &dev).is_ok());
    let copy = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for f in ["heads.safetensors", "heads.json"] {
            std::fs::copy(good.join(f), d.join(f)).unwrap();
        }
        d
    };

    let d = copy("truncated");
    let w = std::fs::read(d.join("heads.safetensors")).unwrap();
    std::fs::write(d.join("heads.safetensors"), &w[..w.len() / 2]).unwrap();
    let err = TaskHeads::load(&d, &dev).err().unwrap();
    assert!(err.contains("heads.safetensors"), "{err}");

    let d = copy("wrong-format");
    std::fs::write(d.join("heads.safetensors"), b"PK\x03\x04 a zip, not safetensors").unwrap();
    let err = TaskHeads::load(&d, &dev).err().unwrap();
    assert!(err.contains("heads.safetensors"), "{err}");

    let d = copy("bad-json");
    std::fs::write(d.join("heads.json"), "{\"tags\": [").unwrap();
    let err = TaskHeads::load(&d, &dev).err().unwrap();
    assert!(err.contains("heads.json"), "{err}");

    // Weights of another size than heads.json states: refused at load, naming the tensor.
    let d = copy("wrong-shapes");
    TaskHeads::new(3, 16, &dev).unwrap().save(&tmp.path().join("other")).unwrap();
    std::fs::copy(tmp.path().join("other").join("heads.safetensors"), d.join("heads.safetensors")).unwrap();
    let err = TaskHeads::load(&d, &dev).err().unwrap();
    println!("wrong shapes: {err}");
    assert!(err.contains("heads.safetensors") && err.contains("expected") && err.contains("inputs"), "{err}");

    // Fewer labels in heads.json than the weights give.
    let d = copy("wrong-labels");
    let mut j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("heads.json")).unwrap()).unwrap();
    j["tones"].as_array_mut().unwrap().pop();
    std::fs::write(d.join("heads.json"), j.to_string()).unwrap();
    let err = TaskHeads::load(&d, &dev).err().unwrap();
    println!("wrong labels: {err}");
    assert!(err.contains("tone") && err.contains("outputs"), "{err}");
}
