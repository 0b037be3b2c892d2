//! Scoring against gold files, with the measures of shared/eval/score.py: figures (money,
//! percent, count) matched on kind, unit and value within 0.5 %; entities per document on label
//! and case-folded name; records on actor (either contains the other), action group, currency and
//! amount within 1 %; document tone by accuracy and macro-F1.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::output::DocumentOut;

#[derive(Debug, Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: invalid JSON: {source}")]
    Json { path: String, source: serde_json::Error },
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldFigure {
    pub text: Option<String>,
    pub kind: String,
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldRecord {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub amount_min: Option<f64>,
    pub amount_max: Option<f64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    pub file: Option<String>,
    pub doc_sentiment: Option<String>,
    #[serde(default)]
    pub figures: Vec<GoldFigure>,
    #[serde(default)]
    pub records: Vec<GoldRecord>,
    #[serde(default)]
    pub entities: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Prf {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Prf {
    fn add(&mut self, tp: usize, fp: usize, fn_: usize) {
        self.tp += tp;
        self.fp += fp;
        self.fn_ += fn_;
    }
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 0.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 0.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    /// Rows in print order: figures.*, entities.*, records.
    pub rows: Vec<(String, Prf)>,
    pub sentiment_accuracy: f64,
    pub sentiment_macro_f1: f64,
    pub documents: usize,
    pub missing: Vec<String>,
    pub misses: Vec<String>,
}

pub const FIGURE_KINDS: &[&str] = &["money", "percent", "count"];
pub const ENTITY_LABELS: &[&str] = &["ORG", "PER", "LOC", "PRODUCT"];

/// Case-folded, accent-stripped, whitespace-squashed form used for names.
pub fn fold(s: &str) -> String {
    let stripped: String = s
        .chars()
        .flat_map(|c| c.to_lowercase())
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            '’' => '\'',
            c => c,
        })
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn close(a: Option<f64>, b: Option<f64>, tol: f64) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (a - b).abs() <= tol * a.abs().max(b.abs()),
        _ => false,
    }
}

fn unit_key(kind: &str, unit: Option<&str>) -> String {
    let u = fold(unit.unwrap_or(""));
    match kind {
        "percent" => if matches!(u.as_str(), "pp" | "point" | "points") { "pp".into() } else { "%".into() },
        "count" => u.trim_end_matches('s').to_string(),
        _ => u.to_uppercase(),
    }
}

fn action_group(a: &str) -> &str {
    match a {
        "capex" | "spend" | "budget" | "invest" => "invest",
        o => o,
    }
}

fn greedy<G, P>(gold: &[G], pred: &[P], same: impl Fn(&G, &P) -> bool) -> (usize, Vec<usize>, Vec<usize>) {
    let mut used = vec![false; pred.len()];
    let mut tp = 0;
    let mut missed = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        match pred.iter().enumerate().find(|(i, p)| !used[*i] && same(g, p)) {
            Some((i, _)) => {
                used[i] = true;
                tp += 1;
            }
            None => missed.push(gi),
        }
    }
    let extra = (0..pred.len()).filter(|i| !used[*i]).collect();
    (tp, missed, extra)
}

pub fn load_gold(dir: &Path) -> Result<Vec<(String, Gold)>, EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?;
    let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().map(|x| x == "json").unwrap_or(false)).collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let path = p.display().to_string();
        let s = std::fs::read_to_string(&p).map_err(|source| EvalError::Io { path: path.clone(), source })?;
        let g: Gold = serde_json::from_str(&s).map_err(|source| EvalError::Json { path: path.clone(), source })?;
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let key = g.file.as_deref().map(|f| f.rsplit('/').next().unwrap_or(f).to_string()).unwrap_or(format!("{stem}.txt"));
        out.push((key, g));
    }
    Ok(out)
}

/// Scores predictions (keyed by the file name of their path) against gold files.
pub fn score(gold: &[(String, Gold)], preds: &[DocumentOut]) -> Report {
    let by_name: HashMap<String, &DocumentOut> = preds.iter().map(|d| (d.path.rsplit('/').next().unwrap_or(&d.path).to_string(), d)).collect();
    let mut fig: BTreeMap<&str, Prf> = BTreeMap::new();
    let mut ent: BTreeMap<&str, Prf> = BTreeMap::new();
    let mut rec = Prf::default();
    let mut report = Report::default();
    let (mut sg, mut sp): (Vec<String>, Vec<Option<String>>) = (vec![], vec![]);
    let empty = DocumentOut {
        doc_id: String::new(), path: String::new(), lang: String::new(), title: None, published: None, sentiment: None,
        entities: vec![], figures: vec![], records: vec![], encoding: None, url: None, sentences: vec![],
    };
    for (key, g) in gold {
        let pred = match by_name.get(key) {
            Some(p) => *p,
            None => {
                report.missing.push(key.clone());
                &empty
            }
        };
        for kind in FIGURE_KINDS {
            let gk: Vec<&GoldFigure> = g.figures.iter().filter(|f| f.kind == *kind).collect();
            let pk: Vec<_> = pred.figures.iter().filter(|f| f.kind == *kind).collect();
            let (tp, missed, extra) = greedy(&gk, &pk, |g, p| {
                let unit_ok = *kind == "count" || unit_key(kind, g.unit.as_deref()) == unit_key(kind, p.unit.as_deref());
                unit_ok && close(g.value_min, p.min, 0.005) && close(g.value_max, p.max, 0.005)
            });
            fig.entry(kind).or_default().add(tp, extra.len(), missed.len());
            fig.entry("all").or_default().add(tp, extra.len(), missed.len());
            for i in missed {
                report.misses.push(format!("{key}: missed {kind} {:?} {:?}..{:?} {:?}", gk[i].text.as_deref().unwrap_or(""), gk[i].value_min, gk[i].value_max, gk[i].unit));
            }
            for i in extra {
                report.misses.push(format!("{key}: extra  {kind} {:?} {:?}..{:?} {:?}", pk[i].text, pk[i].min, pk[i].max, pk[i].unit));
            }
        }
        let mut pents: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for e in &pred.entities {
            pents.entry(e.label.as_str()).or_default().insert(fold(&e.text));
        }
        for label in ENTITY_LABELS {
            let gs: BTreeSet<String> = g.entities.get(*label).map(|v| v.iter().map(|x| fold(x)).collect()).unwrap_or_default();
            let ps = pents.remove(label).unwrap_or_default();
            let tp = gs.intersection(&ps).count();
            let (fp, fn_) = (ps.len() - tp, gs.len() - tp);
            ent.entry(label).or_default().add(tp, fp, fn_);
            ent.entry("all").or_default().add(tp, fp, fn_);
            for m in gs.difference(&ps) {
                report.misses.push(format!("{key}: missed {label} {m:?}"));
            }
            for x in ps.difference(&gs) {
                report.misses.push(format!("{key}: extra  {label} {x:?}"));
            }
        }
        let (tp, missed, extra) = greedy(&g.records, &pred.records, |g, p| {
            let (ga, pa) = (fold(g.actor.as_deref().unwrap_or("")), fold(&p.actor));
            !ga.is_empty()
                && !pa.is_empty()
                && (ga.contains(&pa) || pa.contains(&ga))
                && action_group(g.action.as_deref().unwrap_or("")) == action_group(&p.action)
                && g.currency.as_deref().unwrap_or("").to_uppercase() == p.amount.currency.as_deref().unwrap_or("").to_uppercase()
                && close(g.amount_min, p.amount.min, 0.01)
                && close(g.amount_max, p.amount.max, 0.01)
        });
        rec.add(tp, extra.len(), missed.len());
        for i in missed {
            let m = &g.records[i];
            report.misses.push(format!("{key}: missed record {:?} {:?} {:?}..{:?} {:?}", m.actor, m.action, m.amount_min, m.amount_max, m.currency));
        }
        for i in extra {
            let x = &pred.records[i];
            report.misses.push(format!("{key}: extra  record {} {} {:?} {:?}", x.actor, x.action, x.amount.min, x.amount.currency));
        }
        if let Some(s) = &g.doc_sentiment {
            sg.push(s.clone());
            sp.push(pred.sentiment.as_ref().map(|s| s.label.clone()));
        }
    }
    for k in ["money", "percent", "count", "all"] {
        report.rows.push((format!("figures.{k}"), fig.get(k).copied().unwrap_or_default()));
    }
    for k in ["ORG", "PER", "LOC", "PRODUCT", "all"] {
        report.rows.push((format!("entities.{k}"), ent.get(k).copied().unwrap_or_default()));
    }
    report.rows.push(("records".into(), rec));
    report.documents = sg.len();
    if !sg.is_empty() {
        report.sentiment_accuracy = sg.iter().zip(&sp).filter(|(g, p)| Some(*g) == p.as_ref()).count() as f64 / sg.len() as f64;
        let labels: BTreeSet<&String> = sg.iter().collect();
        let f1s: Vec<f64> = labels
            .iter()
            .map(|lab| {
                let tp = sg.iter().zip(&sp).filter(|(g, p)| g == lab && p.as_ref() == Some(*lab)).count();
                let fp = sg.iter().zip(&sp).filter(|(g, p)| g != lab && p.as_ref() == Some(*lab)).count();
                let fn_ = sg.iter().zip(&sp).filter(|(g, p)| g == lab && p.as_ref() != Some(*lab)).count();
                if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64 }
            })
            .collect();
        report.sentiment_macro_f1 = f1s.iter().sum::<f64>() / f1s.len() as f64;
    }
    report
}

impl Report {
    pub fn table(&self) -> String {
        let mut s = String::new();
        if !self.missing.is_empty() {
            s.push_str(&format!("no prediction for {} gold document(s): {}\n", self.missing.len(), self.missing.join(", ")));
        }
        s.push_str(&format!("{:<20}{:>10}{:>10}{:>8}\n", "measure", "precision", "recall", "f1"));
        for (name, p) in &self.rows {
            s.push_str(&format!("{:<20}{:>10.3}{:>10.3}{:>8.3}\n", name, p.precision(), p.recall(), p.f1()));
        }
        s.push_str(&format!("{:<20}{:>10}{:>10.3}   macro-f1 {:.3}\n", "sentiment.doc", "accuracy", self.sentiment_accuracy, self.sentiment_macro_f1));
        s
    }

    pub fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (name, p) in &self.rows {
            m.insert(format!("{name}.f1"), ((p.f1() * 1e4).round() / 1e4).into());
        }
        m.insert("sentiment.accuracy".into(), ((self.sentiment_accuracy * 1e4).round() / 1e4).into());
        m.insert("sentiment.macro_f1".into(), ((self.sentiment_macro_f1 * 1e4).round() / 1e4).into());
        m.insert("documents".into(), self.documents.into());
        m.insert("missing_predictions".into(), self.missing.len().into());
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::*;

    fn pred() -> DocumentOut {
        serde_json::from_value(serde_json::json!({
            "doc_id": "x", "path": "dir/a.txt", "lang": "fr", "title": null, "published": null,
            "sentiment": {"label": "mixed", "score": 0.6},
            "entities": [{"text": "Méta", "label": "ORG", "start": 0, "end": 4, "score": 0.9},
                         {"text": "Paris", "label": "ORG", "start": 5, "end": 10, "score": 0.9}],
            "figures": [{"text": "65 milliards de dollars", "kind": "money", "min": 65.1e9, "max": 65.1e9, "unit": "USD",
                         "approx": false, "start": 0, "end": 1, "sentence": 0},
                        {"text": "27 %", "kind": "percent", "min": 27.0, "max": 27.0, "unit": "%", "approx": false, "start": 0, "end": 1, "sentence": 0}],
            "records": [{"actor": "Meta Platforms", "action": "capex", "amount": {"min": 60e9, "max": 65e9, "currency": "USD", "approx": false},
                         "target": null, "period": null, "sentiment": "positive", "confidence": 0.5, "sentence": 0, "start": 0, "end": 1}]
        }))
        .unwrap()
    }

    #[test]
    fn matches_the_python_scorer_rules() {
        let gold: Gold = serde_json::from_value(serde_json::json!({
            "file": "a.txt", "doc_sentiment": "mixed",
            "figures": [{"kind": "money", "value_min": 65e9, "value_max": 65e9, "unit": "USD"},
                        {"kind": "count", "value_min": 1e6, "value_max": 1e6, "unit": "GPU"},
                        {"kind": "date_period", "value_min": 2025, "value_max": 2025, "unit": "year"}],
            "records": [{"actor": "Meta", "action": "invest", "amount_min": 60e9, "amount_max": 65e9, "currency": "USD"}],
            "entities": {"ORG": ["Meta"], "LOC": ["Paris"]}
        }))
        .unwrap();
        let r = score(&[("a.txt".into(), gold)], &[pred()]);
        let row = |n: &str| r.rows.iter().find(|(k, _)| k == n).unwrap().1;
        // 65.1e9 vs 65e9 is within 0.5 %; the percent is extra; the count is missed.
        assert_eq!((row("figures.money").tp, row("figures.all").fp, row("figures.all").fn_), (1, 1, 1));
        // "Méta" folds to "meta"; Paris has the wrong label: one FP, one FN.
        assert_eq!((row("entities.all").tp, row("entities.all").fp, row("entities.all").fn_), (1, 1, 1));
        assert_eq!(row("records").tp, 1);
        assert_eq!(r.sentiment_accuracy, 1.0);
    }
}
