//! Tone without a model: cue counting per sentence; and the document tone from sentence tones.

use super::cues::{NEGATIVE, POSITIVE};
use crate::output::{Sentiment, SentenceOut};

fn count(words: &[String], cues: &[&str]) -> usize {
    words.iter().filter(|w| cues.iter().any(|c| w.starts_with(c))).count()
}

/// ("positive" | "negative" | "neutral", score) from cue words.
pub fn lexicon_tone(sentence: &str) -> (&'static str, f64) {
    let words: Vec<String> = sentence.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).map(|w| w.to_lowercase()).collect();
    let (p, n) = (count(&words, POSITIVE), count(&words, NEGATIVE));
    if p > n {
        ("positive", 0.5 + 0.1 * (p - n).min(4) as f64)
    } else if n > p {
        ("negative", 0.5 + 0.1 * (n - p).min(4) as f64)
    } else {
        ("neutral", 0.5)
    }
}

/// Document tone: mixed where strong positive and strong negative sentences both stand, else the
/// dominant tone. Sentences without a model tone are read with the cue lexicon by the caller.
pub fn document_tone(sentences: &[SentenceOut]) -> Option<Sentiment> {
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
    let (label, score) = if pos >= 1.0 && neg >= 1.0 && pos.min(neg) / pos.max(neg) >= 0.4 {
        ("mixed", pos.min(neg) / pos.max(neg))
    } else if pos > neg && pos / total >= 0.15 {
        ("positive", (pos - neg) / total)
    } else if neg > pos && neg / total >= 0.15 {
        ("negative", (neg - pos) / total)
    } else {
        ("neutral", 1.0 - (pos + neg) / total)
    };
    Some(Sentiment { label: label.into(), score: (score.clamp(0.0, 1.0) * 100.0).round() / 100.0 })
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
    fn lexicon() {
        assert_eq!(lexicon_tone("Le chiffre d'affaires bondit de 27 %, un record.").0, "positive");
        assert_eq!(lexicon_tone("Revenue fell and the company announced layoffs.").0, "negative");
    }
}
