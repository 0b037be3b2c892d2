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

    /// Reads several documents at once (the encoder then packs chunks of all of them into its
    /// batches); one result per document, in order, and the number of tokens encoded. The
    /// default reads them one by one.
    fn read_many(&self, docs: &[ReadInput]) -> (Vec<Result<Reading, String>>, usize) {
        (docs.iter().map(|d| self.read(d.text, d.sentences, d.figures)).collect(), 0)
    }
}

/// One document handed to [`Reader::read_many`].
#[derive(Debug, Clone, Copy)]
pub struct ReadInput<'a> {
    pub text: &'a str,
    pub sentences: &'a [text::Span],
    pub figures: &'a [(usize, usize)],
}

/// An article after the work that needs no model: prepared text and figures.
#[derive(Debug, Clone)]
pub struct PreparedDoc {
    pub prep: Prepared,
    pub figures: Vec<FigureOut>,
    /// Char spans (normalised text) of the money figures, in order: the spans given roles.
    pub money: Vec<(usize, usize)>,
}

impl PreparedDoc {
    pub fn input(&self) -> ReadInput<'_> {
        ReadInput { text: &self.prep.norm.text, sentences: &self.prep.sentences, figures: &self.money }
    }
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
    let doc = prepare(article);
    let reading = match reader {
        Some(r) => r.read(&doc.prep.norm.text, &doc.prep.sentences, &doc.money)?,
        None => Reading::default(),
    };
    Ok(finish(article, doc, reading))
}

/// The model-free first half of [`analyze`]: text preparation and figures.
pub fn prepare(article: &Article) -> PreparedDoc {
    let prep = text::prepare(&article.text);
    let ctx = figures::Context { lang: article.lang, published: article.published };
    let figures = find_figures(&prep, &ctx);
    let money: Vec<(usize, usize)> = figures.iter().filter(|f| f.kind == "money").map(|f| (f.start, f.end)).collect();
    PreparedDoc { prep, figures, money }
}

/// The second half of [`analyze`]: the model's reading (empty without a model) joined with the
/// figures into records, everything in offsets of the text as read.
pub fn finish(article: &Article, doc: PreparedDoc, reading: Reading) -> DocumentOut {
    let PreparedDoc { prep, figures: mut figs, .. } = doc;
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

    DocumentOut {
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
    }
}
