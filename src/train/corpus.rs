//! The annotated corpus (corpora/annotated/{train,dev,test}/*.json, see corpora/README.md):
//! loading and validation (`veille corpus check`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::figures::{self, FigureKind};
use crate::lang::Lang;
use crate::text::char_slice;

pub use crate::reading::{DOC_TONES, ENTITY_LABELS, ROLES, TONES};
pub const SPLITS: &[&str] = &["train", "dev", "test"];

#[derive(Debug, Clone, Deserialize)]
pub struct SpanTone {
    pub start: usize,
    pub end: usize,
    pub tone: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpanLabel {
    pub start: usize,
    pub end: usize,
    pub label: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpanRole {
    pub start: usize,
    pub end: usize,
    pub role: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorpusDoc {
    pub id: String,
    pub lang: String,
    pub published: Option<String>,
    pub split: String,
    pub tone: String,
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    pub sentences: Vec<SpanTone>,
    pub entities: Vec<SpanLabel>,
    pub figures: Vec<SpanRole>,
    #[serde(default)]
    pub records: Vec<serde_json::Value>,
}

/// Loads every compiled document under `root` (recursively), with its path.
pub fn load(root: &Path) -> Result<Vec<(PathBuf, CorpusDoc)>, String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().map(|x| x == "json").unwrap_or(false))
        .collect();
    files.sort();
    for p in files {
        let s = std::fs::read_to_string(&p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
        let d: CorpusDoc = serde_json::from_str(&s).map_err(|e| format!("{}: invalid corpus JSON: {e}", p.display()))?;
        out.push((p, d));
    }
    Ok(out)
}

/// Every problem found in the corpus, one line each, naming the file.
pub fn check(docs: &[(PathBuf, CorpusDoc)]) -> Vec<String> {
    let mut errs = Vec::new();
    let mut ids: HashMap<&str, &Path> = HashMap::new();
    let mut texts: HashMap<String, &Path> = HashMap::new();
    for (p, d) in docs {
        let f = p.display();
        let n = d.text.chars().count();
        let mut e = |m: String| errs.push(format!("{f}: {m}"));
        if let Some(other) = ids.insert(&d.id, p) {
            e(format!("duplicate id {} (also in {})", d.id, other.display()));
        }
        if let Some(other) = texts.insert(crate::pipeline::doc_id(&d.text), p) {
            e(format!("duplicate text (same as {})", other.display()));
        }
        if !SPLITS.contains(&d.split.as_str()) {
            e(format!("split {:?} is not one of {SPLITS:?}", d.split));
        }
        if p.parent().and_then(|x| x.file_name()).map(|x| x != d.split.as_str()).unwrap_or(false) {
            e(format!("file is not under the folder of its split {:?}", d.split));
        }
        if !DOC_TONES.contains(&d.tone.as_str()) {
            e(format!("document tone {:?} is not one of {DOC_TONES:?}", d.tone));
        }
        let mut last_end = 0;
        for (i, s) in d.sentences.iter().enumerate() {
            if s.start >= s.end || s.end > n {
                e(format!("sentence {i} span {}..{} is out of range (text has {n} chars)", s.start, s.end));
            } else if s.start < last_end {
                e(format!("sentence {i} overlaps the previous one"));
            }
            last_end = last_end.max(s.end);
            if !TONES.contains(&s.tone.as_str()) {
                e(format!("sentence {i} tone {:?} is not one of {TONES:?}", s.tone));
            }
        }
        let mut ents: Vec<&SpanLabel> = d.entities.iter().collect();
        ents.sort_by_key(|x| (x.start, x.end));
        for (i, x) in ents.iter().enumerate() {
            if x.start >= x.end || x.end > n {
                e(format!("entity {:?} span {}..{} is out of range", x.text, x.start, x.end));
                continue;
            }
            if !ENTITY_LABELS.contains(&x.label.as_str()) {
                e(format!("entity {:?} label {:?} is not one of {ENTITY_LABELS:?}", x.text, x.label));
            }
            if !x.text.is_empty() && char_slice(&d.text, x.start, x.end) != x.text {
                e(format!("entity {:?} does not match the text at {}..{}", x.text, x.start, x.end));
            }
            if i > 0 && ents[i - 1].end > x.start {
                e(format!("entities {:?} and {:?} overlap", ents[i - 1].text, x.text));
            }
        }
        let lang = Lang::from_code(&d.lang);
        // The whole text, as `analyze` reads it: "9 milliards" borrows its currency from context.
        let ctx = figures::Context { lang, published: None };
        let money: Vec<(usize, usize)> =
            figures::extract(&d.text, &ctx).into_iter().filter(|f| f.kind == FigureKind::Money).map(|f| (f.start, f.end)).collect();
        for x in &d.figures {
            if x.start >= x.end || x.end > n {
                e(format!("figure {:?} span {}..{} is out of range", x.text, x.start, x.end));
                continue;
            }
            if !ROLES.contains(&x.role.as_str()) {
                e(format!("figure {:?} role {:?} is not one of {ROLES:?}", x.text, x.role));
            }
            let span = char_slice(&d.text, x.start, x.end);
            if !money.iter().any(|&(s, e)| s < x.end && x.start < e) {
                e(format!("figure {span:?} is not money that the figures grammar parses"));
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: serde_json::Value) -> (PathBuf, CorpusDoc) {
        (PathBuf::from("c/train/x.json"), serde_json::from_value(json).unwrap())
    }

    fn base() -> serde_json::Value {
        serde_json::json!({"id": "fr-0001", "lang": "fr", "published": "2025-01-01", "split": "train", "tone": "positive",
            "text": "Meta lève 65 milliards de dollars.",
            "sentences": [{"start": 0, "end": 34, "tone": "positive"}],
            "entities": [{"start": 0, "end": 4, "label": "ORG", "text": "Meta"}],
            "figures": [{"start": 10, "end": 33, "role": "raise", "text": "65 milliards de dollars"}]})
    }

    #[test]
    fn valid_document_passes() {
        assert_eq!(check(&[doc(base())]), Vec::<String>::new());
    }

    #[test]
    fn each_defect_is_reported() {
        let mut v = base();
        v["entities"] = serde_json::json!([{"start": 0, "end": 4, "label": "COMPANY", "text": "Meta"}, {"start": 2, "end": 9, "label": "ORG", "text": "ta lève"}]);
        v["figures"] = serde_json::json!([{"start": 5, "end": 9, "role": "raise", "text": "lève"}, {"start": 10, "end": 99, "role": "gift"}]);
        v["sentences"] = serde_json::json!([{"start": 0, "end": 34, "tone": "happy"}]);
        let errs = check(&[doc(v.clone()), doc(v)]).join("\n");
        for needle in ["label \"COMPANY\"", "overlap", "not money", "out of range", "tone \"happy\"", "duplicate id", "duplicate text"] {
            assert!(errs.contains(needle), "{needle} not in:\n{errs}");
        }
    }
}
