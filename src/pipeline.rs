//! From an ingested article to the contract object: text preparation, the model reading (when
//! one is loaded), the figures grammar, records. The CLI calls this; it knows no tensors.

use sha2::{Digest, Sha256};

use crate::figures::{self, FigureKind};
use crate::ingest::Article;
use crate::output::*;
use crate::text::{self, Prepared};

/// What a model says about a document: entities, sentence tones and money-figure roles, all in
/// character offsets of the normalised text handed to it.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub entities: Vec<(usize, usize, String, f64)>,
    /// Per sentence: (tone label, score).
    pub tones: Vec<Option<(String, f64)>>,
    /// Per queried span: (role label, score).
    pub roles: Vec<Option<(String, f64)>>,
    /// The reader's own rule for the document tone, when it has one.
    pub doc_tone_rule: Option<crate::records::DocToneRule>,
}

/// Anything that reads prepared text: the trained heads on the encoder, or a test double.
pub trait Reader {
    /// `sentences` are char spans into `text`; `figure_spans` are the money spans to give roles to.
    fn read(&self, text: &str, sentences: &[text::Span], figure_spans: &[(usize, usize)]) -> Result<Reading, String>;
}

pub fn doc_id(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn kind_name(k: FigureKind) -> &'static str {
    match k {
        FigureKind::Money => "money",
        FigureKind::Percent => "percent",
        FigureKind::Count => "count",
        FigureKind::Period => "period",
        FigureKind::Number => "number",
    }
}

/// Figures of the whole text (the grammar borrows a currency from neighbouring sentences, so it
/// reads the document at once), each tagged with the sentence that holds its start.
pub fn find_figures(prep: &Prepared, ctx: &figures::Context) -> Vec<FigureOut> {
    let sentence_of = |pos: usize| prep.sentences.partition_point(|s| s.end <= pos).min(prep.sentences.len().saturating_sub(1));
    figures::extract(&prep.norm.text, ctx)
        .into_iter()
        .map(|f| FigureOut {
            sentence: sentence_of(f.start),
            text: f.text,
            kind: kind_name(f.kind).to_string(),
            min: f.min,
            max: f.max,
            unit: f.unit,
            approx: f.approx,
            start: f.start,
            end: f.end,
            bound: f.bound.map(|b| format!("{b:?}").to_lowercase()),
            period: f.period.map(|p| PeriodOut {
                text: None,
                start: p.start.to_string(),
                end: p.end.to_string(),
                granularity: Some(p.granularity),
                inferred: p.relative,
            }),
            role: None,
        })
        .collect()
}

/// Analyses one article. `reader` is the model, when one is loaded.
pub fn analyze(article: &Article, reader: Option<&dyn Reader>) -> Result<DocumentOut, String> {
    let prep = text::prepare(&article.text);
    let ctx = figures::Context { lang: article.lang, published: article.published };
    let mut figs = find_figures(&prep, &ctx);

    let money: Vec<(usize, usize)> = figs.iter().filter(|f| f.kind == "money").map(|f| (f.start, f.end)).collect();
    let reading = match reader {
        Some(r) => r.read(&prep.norm.text, &prep.sentences, &money)?,
        None => Reading::default(),
    };
    let mut mi = 0;
    for f in figs.iter_mut().filter(|f| f.kind == "money") {
        if let Some(Some((role, _))) = reading.roles.get(mi) {
            f.role = Some(role.clone());
        }
        mi += 1;
    }
    let sentence_of = |pos: usize| prep.sentences.iter().position(|s| s.start <= pos && pos < s.end).unwrap_or(0);
    let mut entities: Vec<EntityOut> = reading
        .entities
        .iter()
        .map(|(s, e, label, score)| EntityOut {
            text: text::char_slice(&prep.norm.text, *s, *e).to_string(),
            label: label.clone(),
            start: *s,
            end: *e,
            score: *score,
            sentence: sentence_of(*s),
        })
        .collect();
    let sentences: Vec<SentenceOut> = prep
        .sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // Without a model tone, the cue lexicon reads the sentence.
            let tone = reading.tones.get(i).cloned().flatten().or_else(|| {
                let (label, score) = crate::records::lexicon_tone(text::char_slice(&prep.norm.text, s.start, s.end));
                Some((label.to_string(), score))
            });
            SentenceOut { start: s.start, end: s.end, tone: tone.as_ref().map(|t| t.0.clone()), score: tone.map(|t| t.1) }
        })
        .collect();

    let records = crate::records::build(&prep, &sentences, &entities, &figs, article);
    let sentiment = crate::records::document_tone_of(&prep.norm.text, &sentences, &figs, &reading.doc_tone_rule.unwrap_or_default());

    // Everything above is in normalised offsets; the contract wants the text as read.
    let orig = &article.text;
    let remap = |s: &mut usize, e: &mut usize| {
        let (a, b) = prep.norm.span_to_original(*s, *e);
        *s = a;
        *e = b;
    };
    for en in &mut entities {
        remap(&mut en.start, &mut en.end);
        en.text = text::char_slice(orig, en.start, en.end).to_string();
    }
    for f in &mut figs {
        remap(&mut f.start, &mut f.end);
        f.text = text::char_slice(orig, f.start, f.end).to_string();
    }
    let mut sentences = sentences;
    for s in &mut sentences {
        remap(&mut s.start, &mut s.end);
    }
    let mut records = records;
    for r in &mut records {
        remap(&mut r.start, &mut r.end);
        for m in &mut r.mentions {
            remap(&mut m.start, &mut m.end);
        }
    }

    Ok(DocumentOut {
        doc_id: doc_id(&article.text),
        path: article.path.clone(),
        lang: article.lang_code.clone(),
        title: article.title.clone(),
        published: article.published.map(|d| d.to_string()).or_else(|| article.published_raw.clone()),
        sentiment,
        entities,
        figures: figs,
        records,
        encoding: Some(article.encoding.clone()),
        url: article.url.clone(),
        sentences,
    })
}
