//! Tone without a model: cue counting per sentence; and the document tone from sentence tones.

use super::cues::{NEGATIVE, POSITIVE};
use crate::output::{Sentiment, SentenceOut};

fn count(words: &[String], cues: &[&str]) -> usize {
    words.iter().filter(|w| cues.iter().any(|c| w.starts_with(c))).count()
}

/// Positive and negative cue words in a sentence.
pub fn lexicon_counts(sentence: &str) -> (usize, usize) {
    let words: Vec<String> = sentence.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).map(|w| w.to_lowercase()).collect();
    (count(&words, POSITIVE), count(&words, NEGATIVE))
}

/// ("positive" | "negative" | "neutral", score) from cue words.
pub fn lexicon_tone(sentence: &str) -> (&'static str, f64) {
    let (p, n) = lexicon_counts(sentence);
    if p > n {
        ("positive", 0.5 + 0.1 * (p - n).min(4) as f64)
    } else if n > p {
        ("negative", 0.5 + 0.1 * (n - p).min(4) as f64)
    } else {
        ("neutral", 0.5)
    }
}

/// How sentence tones add up to a document tone. `veille train` fits it on the corpus's
/// document labels; the default is the hand-set rule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DocToneRule {
    /// Each side's weighted share of sentences needed for "mixed".
    pub mixed_share: f64,
    /// Smaller side / larger side needed for "mixed".
    pub mixed_balance: f64,
    /// Share of sentences the leading side needs; below it the document is neutral.
    pub lead_share: f64,
}

impl Default for DocToneRule {
    fn default() -> Self {
        DocToneRule { mixed_share: 0.15, mixed_balance: 0.4, lead_share: 0.15 }
    }
}

/// Document tone: mixed where strong positive and strong negative sentences both stand, else the
/// dominant tone. Sentences weigh by their tone score.
pub fn document_tone(sentences: &[SentenceOut]) -> Option<Sentiment> {
    document_tone_with(sentences, &DocToneRule::default())
}

pub fn document_tone_with(sentences: &[SentenceOut], rule: &DocToneRule) -> Option<Sentiment> {
    if sentences.is_empty() {
        return None;
    }
    let (mut pos, mut neg) = (0.0, 0.0);
    for s in sentences {
        let w = s.score.unwrap_or(0.5);
        match s.tone.as_deref() {
            Some("positive") => pos += w,
            Some("negative") => neg += w,
            _ => {}
        }
    }
    let total = sentences.len() as f64;
    let (ps, ns) = (pos / total, neg / total);
    let balance = if pos.max(neg) > 0.0 { pos.min(neg) / pos.max(neg) } else { 0.0 };
    let (label, score) = if ps >= rule.mixed_share && ns >= rule.mixed_share && balance >= rule.mixed_balance {
        ("mixed", balance)
    } else if pos > neg && ps >= rule.lead_share {
        ("positive", ps - ns)
    } else if neg > pos && ns >= rule.lead_share {
        ("negative", ns - ps)
    } else {
        ("neutral", 1.0 - ps - ns)
    };
    Some(Sentiment { label: label.into(), score: (score.clamp(0.0, 1.0) * 100.0).round() / 100.0 })
}

/// Words before a figure that make it a fall ("en baisse de 12 %", "fell 3%") or a rise.
const FALL_BEFORE: &[&str] = &[
    "baisse de", "recul de", "repli de", "chute de", "diminution de", "reculé de", "chuté de", "fell", "dropped", "declined", "down", "decrease of",
    "drop of", "decline of", "caída de", "descenso de", "cayó", "bajó", "rückgang um", "rückgang von", "sank um", "fiel um", "verlor",
];
const RISE_BEFORE: &[&str] = &[
    "hausse de", "progression de", "croissance de", "bond de", "augmentation de", "bondi de", "rose", "grew", "jumped", "climbed", "up",
    "increase of", "growth of", "aumento de", "crecimiento de", "subida de", "creció", "steigerte", "stieg um", "wuchs um", "kletterte", "um",
];
/// Words right after a figure that make it a fall or a rise ("28 % de moins qu'en janvier").
const FALL_AFTER: &[&str] = &["de moins", "en moins", "less", "lower", "menos", "weniger"];
const RISE_AFTER: &[&str] = &["de plus", "en plus", "more", "higher", "más", "mehr"];

/// How many money and percent figures of a document rise and how many fall, from the sign and
/// the words beside them. `text` is what the figures' offsets point into.
pub fn figure_moves(text: &str, figures: &[crate::output::FigureOut]) -> (usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let (mut rises, mut falls) = (0, 0);
    for f in figures.iter().filter(|f| f.kind == "percent" || f.kind == "money") {
        let before: String = chars[f.start.saturating_sub(25).min(chars.len())..f.start.min(chars.len())].iter().collect::<String>().to_lowercase();
        let before = before.rsplit([',', ';', '.']).next().unwrap_or("").to_string();
        let after: String = chars[f.end.min(chars.len())..(f.end + 12).min(chars.len())].iter().collect::<String>().to_lowercase();
        let padded = format!(" {before}");
        let ends = |cues: &[&str]| cues.iter().any(|c| padded.contains(&format!(" {c} ")) || padded.trim_end().ends_with(&format!(" {c}")));
        let sign = f.text.trim_start().chars().next();
        if sign == Some('-') || sign == Some('−') || f.min.map(|m| m < 0.0).unwrap_or(false) || FALL_AFTER.iter().any(|c| after.trim_start().starts_with(c)) || ends(FALL_BEFORE) {
            falls += 1;
        } else if sign == Some('+') || RISE_AFTER.iter().any(|c| after.trim_start().starts_with(c)) || ends(RISE_BEFORE) {
            rises += 1;
        }
    }
    (rises, falls)
}

/// The document tone from its sentences, checked against its figures: an article whose
/// sentences read one way while most of its moving figures go the other way ("lèvent 492
/// millions… soit 28 % de moins qu'en janvier et 34 % de moins qu'un an plus tôt") is mixed.
pub fn document_tone_of(text: &str, sentences: &[SentenceOut], figures: &[crate::output::FigureOut], rule: &DocToneRule) -> Option<Sentiment> {
    let tone = document_tone_with(sentences, rule)?;
    let (rises, falls) = figure_moves(text, figures);
    let against = match tone.label.as_str() {
        "positive" => falls >= 2 && falls > rises,
        "negative" => rises >= 2 && rises > falls,
        _ => false,
    };
    if against {
        let moving = (rises + falls) as f64;
        return Some(Sentiment { label: "mixed".into(), score: ((rises.min(falls) as f64 + 1.0) / (moving + 1.0) * 100.0).round() / 100.0 });
    }
    Some(tone)
}

/// Macro-F1 of a rule against documents' gold tones (over the labels the gold uses).
pub fn doc_tone_macro_f1(docs: &[(Vec<SentenceOut>, String)], rule: &DocToneRule) -> f64 {
    let pred: Vec<String> = docs.iter().map(|(s, _)| document_tone_with(s, rule).map(|x| x.label).unwrap_or_default()).collect();
    let labels: std::collections::BTreeSet<&str> = docs.iter().map(|(_, g)| g.as_str()).collect();
    let f1s: Vec<f64> = labels
        .iter()
        .map(|l| {
            let tp = docs.iter().zip(&pred).filter(|((_, g), p)| g == l && p == l).count() as f64;
            let fp = docs.iter().zip(&pred).filter(|((_, g), p)| g != l && p == l).count() as f64;
            let fn_ = docs.iter().zip(&pred).filter(|((_, g), p)| g == l && p != l).count() as f64;
            if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fn_) }
        })
        .collect();
    f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
}

/// The rule that best reproduces the given document labels (macro-F1), by grid search.
pub fn fit_doc_tone_rule(docs: &[(Vec<SentenceOut>, String)]) -> (DocToneRule, f64) {
    let mut best = (DocToneRule::default(), -1.0);
    for ms in 1..=8 {
        for mb in 1..=9 {
            for ls in 0..=6 {
                let rule = DocToneRule { mixed_share: ms as f64 * 0.04, mixed_balance: mb as f64 * 0.1, lead_share: ls as f64 * 0.05 };
                let f = doc_tone_macro_f1(docs, &rule);
                if f > best.1 {
                    best = (rule, f);
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(tone: &str) -> SentenceOut {
        SentenceOut { start: 0, end: 1, tone: Some(tone.into()), score: Some(0.9) }
    }

    #[test]
    fn mixed_needs_both_sides() {
        assert_eq!(document_tone(&[s("positive"), s("positive"), s("negative"), s("negative"), s("neutral")]).unwrap().label, "mixed");
        assert_eq!(document_tone(&[s("positive"), s("positive"), s("neutral")]).unwrap().label, "positive");
        assert_eq!(document_tone(&[s("neutral"), s("neutral")]).unwrap().label, "neutral");
    }

    #[test]
    fn fitted_rule_reproduces_separable_labels() {
        let doc = |p: usize, n: usize, z: usize| {
            let mut v: Vec<SentenceOut> = Vec::new();
            v.extend((0..p).map(|_| s("positive")));
            v.extend((0..n).map(|_| s("negative")));
            v.extend((0..z).map(|_| s("neutral")));
            v
        };
        let docs = vec![
            (doc(8, 0, 2), "positive".to_string()),
            (doc(7, 1, 2), "positive".to_string()),
            (doc(0, 8, 2), "negative".to_string()),
            (doc(1, 7, 2), "negative".to_string()),
            (doc(5, 4, 1), "mixed".to_string()),
            (doc(4, 5, 1), "mixed".to_string()),
            (doc(0, 0, 10), "neutral".to_string()),
        ];
        let (rule, f1) = fit_doc_tone_rule(&docs);
        assert!(f1 > 0.99, "{rule:?} {f1}");
    }

    #[test]
    fn lexicon() {
        assert_eq!(lexicon_tone("Le chiffre d'affaires bondit de 27 %, un record.").0, "positive");
        assert_eq!(lexicon_tone("Revenue fell and the company announced layoffs.").0, "negative");
    }
}
