//! Investment records: who, what, how much, on what, when, in what tone — from entities, figures
//! and sentence labels, each record traced to its sentence.

mod actors;
mod cues;
mod tone;

use crate::ingest::Article;
use crate::output::*;
use crate::text::{char_slice, Prepared};

pub use actors::Actors;
pub use tone::{doc_tone_macro_f1, document_tone, document_tone_with, fit_doc_tone_rule, lexicon_counts, lexicon_tone, DocToneRule};

/// The scorer's action groups: capex, spend and budget are all `invest`.
pub fn action_group(action: &str) -> &str {
    match action {
        "capex" | "spend" | "budget" | "invest" => "invest",
        other => other,
    }
}

pub const ACTIONS: &[&str] = &["invest", "raise", "revenue", "profit", "loss", "acquire", "valuation", "other"];

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Role of a money figure from the cue words nearest to it in its sentence (before it first).
pub fn rule_role(sentence_lower: &str, fig_start: usize, fig_end: usize) -> Option<(&'static str, f64)> {
    let chars: Vec<char> = sentence_lower.chars().collect();
    let mut best: Option<(&'static str, usize)> = None;
    for (cue, role) in cues::ROLE_CUES {
        let cue_chars: Vec<char> = cue.chars().collect();
        let n = cue_chars.len();
        if n > chars.len() {
            continue;
        }
        for i in 0..=chars.len() - n {
            if chars[i..i + n] != cue_chars[..] || (i > 0 && chars[i - 1].is_alphanumeric()) {
                continue;
            }
            if i >= fig_start && i < fig_end {
                continue;
            }
            // Cues before the figure weigh more: "a levé 600 M€" over "600 M€ ... de chiffre d'affaires".
            let d = if i < fig_start { fig_start - (i + n).min(fig_start) } else { (i - fig_end) * 2 + 4 };
            if best.map(|b| d < b.1).unwrap_or(true) {
                best = Some((role, d));
            }
        }
    }
    best.filter(|b| b.1 < 120).map(|(r, d)| (r, if d < 30 { 0.7 } else { 0.5 }))
}

const TARGET_LEADS: &[&str] = &[
    "dans ", "pour ", "en faveur de ", "consacrés à ", "dédiés à ", "destinés à ", "in ", "into ", "for ", "on ", "en ", "para ",
    "für ", "in den ", "in die ",
];

/// A short phrase naming what the money goes to: the words after "dans", "pour", "in", "for"...
/// following the figure, or the cue phrase itself.
fn target_phrase(sentence: &str, fig_end: usize) -> Option<String> {
    let after: String = sentence.chars().skip(fig_end).collect();
    let low = after.to_lowercase();
    for lead in TARGET_LEADS {
        if let Some(pos) = low.find(lead) {
            if low[..pos].chars().count() > 25 {
                continue;
            }
            let rest = &after[pos + lead.len()..];
            let phrase: String = rest
                .split(|c: char| matches!(c, ',' | '.' | ';' | ':' | '(' | '"' | '!' | '?'))
                .next()
                .unwrap_or("")
                .split_whitespace()
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            let phrase = phrase.trim_start_matches("l'").trim_start_matches("la ").trim_start_matches("le ").trim_start_matches("les ");
            let phrase = phrase.trim_start_matches("the ").trim();
            if !phrase.is_empty() && !phrase.chars().next().unwrap().is_ascii_digit() {
                return Some(phrase.to_string());
            }
        }
    }
    None
}

fn fallback_target(action: &str, lang: &str) -> &'static str {
    match (action, lang) {
        ("raise", "fr") => "levée de fonds",
        ("raise", _) => "funding round",
        ("revenue", "fr") => "chiffre d'affaires",
        ("revenue", _) => "revenue",
        ("profit", "fr") => "bénéfice",
        ("profit", _) => "profit",
        ("loss", "fr") => "perte",
        ("loss", _) => "loss",
        ("acquire", "fr") => "acquisition",
        ("acquire", _) => "acquisition",
        ("valuation", "fr") => "valorisation",
        ("valuation", _) => "valuation",
        ("invest", "fr") => "investissement",
        _ => "investment",
    }
}

fn period_of(figs: &[FigureOut], sentence: usize, article: &Article) -> Option<PeriodOut> {
    let in_sentence = |s: usize| figs.iter().find(|f| f.kind == "period" && f.sentence == s).and_then(|f| f.period.clone().map(|p| (p, f.text.clone())));
    if let Some((mut p, text)) = in_sentence(sentence) {
        p.text = Some(text);
        return Some(p);
    }
    for s in [sentence.checked_sub(1), Some(sentence + 1)].into_iter().flatten() {
        if let Some((mut p, text)) = in_sentence(s) {
            p.text = Some(text);
            p.inferred = true;
            return Some(p);
        }
    }
    article.published.map(|d| {
        use chrono::Datelike;
        PeriodOut {
            text: Some(d.year().to_string()),
            start: format!("{}-01-01", d.year()),
            end: format!("{}-12-31", d.year()),
            granularity: Some("year".into()),
            inferred: true,
        }
    })
}

const EARLIER_CUES: &[&str] = &["après", "contre", "against", "compared", "versus", "vs", "frente a", "nach", "gegenüber", "from"];

fn related(figs: &[FigureOut], me: &FigureOut, sentence_lower: &str, sent_start: usize) -> Vec<RelatedFigure> {
    figs.iter()
        .filter(|f| f.sentence == me.sentence && f.start != me.start && f.kind != "period" && f.kind != "number")
        .map(|f| {
            let before: String = sentence_lower.chars().take(f.start.saturating_sub(sent_start)).collect();
            let tail: String = before.chars().rev().take(14).collect::<Vec<_>>().into_iter().rev().collect();
            let relation = match f.kind.as_str() {
                "percent" => "growth",
                "count" => "count",
                "money" if EARLIER_CUES.iter().any(|c| tail.contains(c)) => "earlier",
                _ => "other",
            };
            RelatedFigure { text: f.text.clone(), kind: f.kind.clone(), min: f.min, max: f.max, unit: f.unit.clone(), relation: relation.into() }
        })
        .collect()
}

/// Builds the records of one document. Offsets in and out are in the normalised text.
pub fn build(prep: &Prepared, sentences: &[SentenceOut], entities: &[EntityOut], figs: &[FigureOut], article: &Article) -> Vec<RecordOut> {
    let text = &prep.norm.text;
    let lang = article.lang_code.as_str();
    let actors = Actors::new(entities, text);
    let mut out: Vec<RecordOut> = Vec::new();
    for f in figs.iter().filter(|f| f.kind == "money") {
        let Some(s) = prep.sentences.get(f.sentence) else { continue };
        let sentence = char_slice(text, s.start, s.end);
        let sl = lower(sentence);
        let (fs, fe) = (f.start - s.start, f.end - s.start);
        let (action, role_score) = match f.role.as_deref() {
            Some(r) => (r.to_string(), 0.8),
            None => match rule_role(&sl, fs, fe) {
                Some((r, sc)) => (r.to_string(), sc),
                None => continue,
            },
        };
        if action == "other" {
            continue;
        }
        let Some((actor, actor_score)) = actors.actor_for(f.sentence, f.start, s.start) else { continue };
        let tone = sentences.get(f.sentence).and_then(|t| t.tone.clone()).unwrap_or_else(|| lexicon_tone(sentence).0.to_string());
        let target = target_phrase(sentence, fe).unwrap_or_else(|| fallback_target(&action, lang).to_string());
        let record = RecordOut {
            actor: actor.clone(),
            action,
            amount: Amount { min: f.min, max: f.max, currency: f.unit.clone(), approx: f.approx },
            target: Some(target),
            period: period_of(figs, f.sentence, article),
            sentiment: tone,
            confidence: (role_score * actor_score * 100.0).round() / 100.0,
            sentence: f.sentence,
            start: s.start,
            end: s.end,
            actor_variants: actors.variants(&actor),
            related: related(figs, f, &sl, s.start),
            mentions: vec![Mention { sentence: f.sentence, start: f.start, end: f.end }],
        };
        // One record per fact: the same actor, action and amount again is another mention.
        if let Some(prev) = out.iter_mut().find(|r| {
            r.actor == record.actor && action_group(&r.action) == action_group(&record.action) && r.amount == record.amount
        }) {
            prev.mentions.extend(record.mentions);
            continue;
        }
        out.push(record);
    }
    out
}
