//! Investment records: who, what, how much, on what, when, in what tone — from entities, figures
//! and sentence labels, each record traced to its sentence.

mod actors;
mod cues;
mod tone;

use crate::ingest::Article;
use crate::output::*;
use crate::text::{char_slice, Prepared};

pub use actors::{ActorPick, Actors, Basis};
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
    nearest_cue(sentence_lower, fig_start, fig_end, None).filter(|b| b.1 < 120).map(|(r, d)| (r, if d < 30 { 0.7 } else { 0.5 }))
}

/// The nearest role cue to a figure (of one role, when given) and its weighted distance: cues
/// before the figure count their gap, cues after it twice theirs plus four.
fn nearest_cue(sentence_lower: &str, fig_start: usize, fig_end: usize, only: Option<&str>) -> Option<(&'static str, usize)> {
    let chars: Vec<char> = sentence_lower.chars().collect();
    let mut best: Option<(&'static str, usize)> = None;
    for (cue, role) in cues::ROLE_CUES.iter().filter(|(_, r)| only.map(|o| o == *r).unwrap_or(true)) {
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
            // A cue after the figure but past a comma belongs to the next clause.
            if i >= fig_end && chars[fig_end..i].iter().any(|c| matches!(c, ',' | ';')) {
                continue;
            }
            // Cues before the figure weigh more: "a levé 600 M€" over "600 M€ ... de chiffre d'affaires".
            let d = if i < fig_start { fig_start - (i + n).min(fig_start) } else { (i - fig_end) * 2 + 4 };
            if best.map(|b| d < b.1).unwrap_or(true) {
                best = Some((role, d));
            }
        }
    }
    best
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

/// Which role to trust. The head reads context better, but a cue word right beside the figure
/// ("valorisée 6 milliards", "$49 billion in cloud revenue") is stronger evidence than it; and a
/// head role that no word of the sentence supports yields to a nearby cue that does.
pub fn resolve_role(head: Option<&str>, sentence_lower: &str, fs: usize, fe: usize) -> Option<(String, f64)> {
    let cue = rule_role(sentence_lower, fs, fe);
    let Some(head) = head else { return cue.map(|(r, s)| (r.to_string(), s)) };
    let Some((cue_role, _)) = cue else { return Some((head.to_string(), 0.8)) };
    if action_group(cue_role) == action_group(head) {
        return Some((head.to_string(), 0.9));
    }
    if let Some(adj) = adjacent_cue(sentence_lower, fs, fe) {
        return Some((adj.to_string(), 0.75));
    }
    // The head's role must have a cue about as near as the nearest cue: "der Gewinn
    // explodierte um 282 Prozent auf 2,4 Mrd." is profit even if "Umsatz" opened the sentence.
    let (_, cue_d) = nearest_cue(sentence_lower, fs, fe, None).unwrap_or(("", usize::MAX));
    let head_d = nearest_cue(sentence_lower, fs, fe, Some(action_group(head))).map(|b| b.1);
    if head != "other" && cue_d < 40 && head_d.map(|d| d > 2 * cue_d + 10).unwrap_or(true) {
        return Some((cue_role.to_string(), 0.6));
    }
    Some((head.to_string(), 0.7))
}

/// A role cue touching the figure: ending at most 16 characters before it, or starting at most
/// 12 after it ("51,2 milliards de revenus").
fn adjacent_cue(sentence_lower: &str, fs: usize, fe: usize) -> Option<&'static str> {
    let chars: Vec<char> = sentence_lower.chars().collect();
    let before: String = chars[fs.saturating_sub(16).min(chars.len())..fs.min(chars.len())].iter().collect();
    let after: String = chars[fe.min(chars.len())..(fe + 12).min(chars.len())].iter().take_while(|c| !matches!(c, ',' | ';' | '(')).collect();
    let before_words = format!(" {before}");
    let mut best: Option<(&'static str, usize)> = None;
    for (cue, role) in cues::ROLE_CUES {
        if let Some(i) = before_words.rfind(&format!(" {cue}")).or_else(|| before_words.rfind(&format!("'{cue}"))) {
            let gap = before_words.len() - i;
            if best.map(|b| gap < b.1).unwrap_or(true) {
                best = Some((role, gap));
            }
        }
        if let Some(i) = format!(" {after}").find(&format!(" {cue}")) {
            let gap = i + 20;
            if best.map(|b| gap < b.1).unwrap_or(true) {
                best = Some((role, gap));
            }
        }
    }
    best.map(|b| b.0)
}

/// Money that is not a fact of its own: a comparison ("contre 54,92 milliards attendus",
/// "compared with $10.4 billion"), a per-share figure, a difference ("190 millions de moins").
pub fn is_side_amount(sentence_lower: &str, fs: usize, fe: usize) -> bool {
    let chars: Vec<char> = sentence_lower.chars().collect();
    let window = |a: usize, b: usize| -> String { chars[a.min(chars.len())..b.min(chars.len())].iter().collect() };
    let before = window(fs.saturating_sub(20), fs);
    let after = window(fe, fe + 30);
    let wide_before = window(fs.saturating_sub(30), fs);
    const COMPARE_BEFORE: &[&str] = &["supérieur", "inférieur", "la barre des", "seuil", "contre ", "comparé", "compared with", "compared to", "versus", " vs", "expectations for", "estimates of", "frente a ", "en comparación"];
    const COMPARE_AFTER: &[&str] = &[" attendu", " expected", "un an plus tôt", "a year earlier", "a year ago", "l'an dernier à la même", "de moins", "de plus qu", " less than", " more than in"];
    const PER_SHARE: &[&str] = &["par action", "per share", "je aktie", "por acción"];
    COMPARE_BEFORE.iter().any(|c| before.contains(c))
        || COMPARE_AFTER.iter().any(|c| after.starts_with(c) || after.contains(c) && after.find(c).unwrap() < 14)
        || PER_SHARE.iter().any(|c| wide_before.contains(c) || after.contains(c))
}

/// Two statements of one fact in a document: same action group and currency, and the amounts
/// agree within 0.5 % (a headline rounds "491,85" to "492"), or one is the upper bound of the
/// other's range ("65 milliards" in the title, "entre 60 et 65 milliards" in the body).
fn same_amount(a: &Amount, b: &Amount) -> bool {
    let near = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() <= 0.005 * x.abs().max(y.abs()),
        (None, None) => true,
        _ => false,
    };
    if a.currency != b.currency {
        return false;
    }
    let point = |m: &Amount| m.min == m.max;
    (near(a.min, b.min) && near(a.max, b.max)) || (point(a) && near(a.max, b.max)) || (point(b) && near(a.max, b.max))
}

/// The more informative of two amounts for one fact: a range over a point, else the more precise.
fn better_amount(a: &Amount, b: &Amount) -> bool {
    let digits = |m: &Amount| format!("{}", m.max.unwrap_or(0.0)).trim_end_matches('0').len();
    (b.min != b.max && a.min == a.max) || (a.min == a.max && b.min == b.max && digits(b) > digits(a))
}

/// Collective subjects that name no company but are what an article reports on.
const COLLECTIVES: &[&str] = &["start-up", "start-ups", "startups", "startup", "jeunes pousses", "entreprises", "companies", "big tech", "hyperscalers", "empresas", "unternehmen"];

/// Words that end a collective subject: verbs and auxiliaries.
const SUBJECT_ENDS: &[&str] = &["ont", "sont", "a", "est", "have", "has", "are", "raised", "rose", "spent", "han", "haben", "que", "qui", "which", "who"];

/// "Les start-up e-RH suivent de près, en récoltant 51,15 millions": with no name to hold the
/// amount, the collective subject before it, as written ("start-up e-RH"), up to its verb.
fn collective_subject(sentence: &str, fs: usize) -> Option<String> {
    let head: String = sentence.chars().take(fs).collect();
    let low = head.to_lowercase();
    let at = COLLECTIVES.iter().filter_map(|c| low.match_indices(c).map(|(i, _)| i).find(|&i| low[..i].chars().last().map(|ch| !ch.is_alphanumeric()).unwrap_or(true))).min()?;
    let mut words = Vec::new();
    for w in head[at..].split_whitespace() {
        let bare = w.trim_end_matches([',', ';', ':', '.']);
        let wl = bare.to_lowercase();
        if !words.is_empty() && (SUBJECT_ENDS.contains(&wl.as_str()) || (wl.ends_with("ent") && wl.chars().count() > 4) || wl.starts_with("s'")) {
            break;
        }
        words.push(bare.to_string());
        if bare.len() != w.len() || words.len() == 4 {
            break;
        }
    }
    Some(words.join(" ")).filter(|w| !w.is_empty())
}

/// Builds the records of one document. Offsets in and out are in the normalised text.
pub fn build(prep: &Prepared, sentences: &[SentenceOut], entities: &[EntityOut], figs: &[FigureOut], article: &Article) -> Vec<RecordOut> {
    let text = &prep.norm.text;
    let lang = article.lang_code.as_str();
    let actors = Actors::new(entities, text);
    let mut out: Vec<(RecordOut, Basis)> = Vec::new();
    for f in figs.iter().filter(|f| f.kind == "money") {
        let Some(s) = prep.sentences.get(f.sentence) else { continue };
        let sentence = char_slice(text, s.start, s.end);
        let sl = lower(sentence);
        let (fs, fe) = (f.start - s.start, f.end - s.start);
        // Without any role word, an investor named after the amount still makes it an investment.
        let role = resolve_role(f.role.as_deref(), &sl, fs, fe)
            .or_else(|| actors.has_agent_after(f.sentence, f.end, s.end).then(|| ("invest".to_string(), 0.5)));
        let Some((action, role_score)) = role else { continue };
        if action == "other" || is_side_amount(&sl, fs, fe) {
            continue;
        }
        // "dont 35 millions auprès de Tencent": money put in by the one named after it.
        let action = if actors.has_agent_after(f.sentence, f.end, s.end) && adjacent_cue(&sl, fs, fe).is_none() { "invest".to_string() } else { action };
        let invests = matches!(action_group(&action), "invest" | "acquire");
        let pick = match actors.actor_for(f.sentence, s.start, s.end, f.start, f.end, invests) {
            Some(p) if p.basis != Basis::Topic => Some(p),
            topic => collective_subject(sentence, fs).map(|name| ActorPick { name, score: 0.5, basis: Basis::Topic }).or(topic),
        };
        let Some(pick) = pick else { continue };
        let tone = sentences.get(f.sentence).and_then(|t| t.tone.clone()).unwrap_or_else(|| lexicon_tone(sentence).0.to_string());
        let target = target_phrase(sentence, fe).unwrap_or_else(|| fallback_target(&action, lang).to_string());
        let record = RecordOut {
            actor: pick.name.clone(),
            action,
            amount: Amount { min: f.min, max: f.max, currency: f.unit.clone(), approx: f.approx },
            target: Some(target),
            period: period_of(figs, f.sentence, article),
            sentiment: tone,
            confidence: (role_score * pick.score.max(0.3) * 100.0).round() / 100.0,
            sentence: f.sentence,
            start: s.start,
            end: s.end,
            actor_variants: actors.variants(&pick.name),
            related: related(figs, f, &sl, s.start),
            mentions: vec![Mention { sentence: f.sentence, start: f.start, end: f.end }],
        };
        // One record per fact: the same amount again, by the same actor or by one only guessed
        // (a pronoun, the article's topic), is another mention of the earlier record.
        if let Some((prev, prev_basis)) = out.iter_mut().find(|(r, b)| {
            action_group(&r.action) == action_group(&record.action)
                && same_amount(&r.amount, &record.amount)
                && (r.actor == record.actor || pick.basis >= Basis::Anaphor || *b >= Basis::Anaphor)
        }) {
            merge_into(prev, record, *prev_basis > pick.basis);
            *prev_basis = (*prev_basis).min(pick.basis);
            continue;
        }
        out.push((record, pick.basis));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

/// Folds a second statement of a fact into its record: mentions and related figures add up; the
/// amount becomes the more informative one; the actor the one found with more certainty.
fn merge_into(prev: &mut RecordOut, new: RecordOut, new_actor_stronger: bool) {
    if new_actor_stronger {
        prev.actor = new.actor.clone();
        prev.actor_variants = new.actor_variants.clone();
    }
    if better_amount(&prev.amount, &new.amount) {
        prev.amount = new.amount.clone();
        // The body sentence that states the fact fully is the better provenance than a headline.
        prev.sentence = new.sentence;
        prev.start = new.start;
        prev.end = new.end;
        prev.target = new.target.clone();
        if new.period.as_ref().map(|p| !p.inferred).unwrap_or(false) {
            prev.period = new.period.clone();
        }
    }
    for rf in new.related {
        if !prev.related.iter().any(|x| x.text == rf.text && x.kind == rf.kind) {
            prev.related.push(rf);
        }
    }
    prev.mentions.extend(new.mentions);
    prev.mentions.sort_by_key(|m| m.start);
    prev.confidence = prev.confidence.max(new.confidence);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, fig: &str) -> (usize, usize) {
        let b = s.find(fig).unwrap();
        let st = s[..b].chars().count();
        (st, st + fig.chars().count())
    }

    #[test]
    fn adjacent_cues_overrule_the_head() {
        let s = "elle a levé 600 millions de dollars et est valorisée 6 milliards d'euros.";
        let (a, b) = at(s, "6 milliards");
        assert_eq!(resolve_role(Some("raise"), s, a, b).unwrap().0, "valuation");
        let s = "microsoft reported $49 billion in cloud revenue wednesday.";
        let (a, b) = at(s, "$49 billion");
        assert_eq!(resolve_role(Some("invest"), s, a, b).unwrap().0, "revenue");
        let s = "der umsatz stieg um 68 prozent auf 6,5 mrd. dollar, der gewinn explodierte um 282 prozent auf 2,4 mrd. dollar.";
        let (a, b) = at(s, "6,5 mrd. dollar");
        assert_eq!(resolve_role(Some("revenue"), s, a, b).unwrap().0, "revenue");
        let (a, b) = at(s, "2,4 mrd. dollar");
        assert_eq!(resolve_role(Some("revenue"), s, a, b).unwrap().0, "profit");
    }

    #[test]
    fn comparisons_and_per_share_amounts_are_not_facts() {
        let s = "le chiffre d'affaires a atteint 57 milliards, contre 54,92 milliards attendus, et le bénéfice par action 1,30 dollar.";
        assert!(!is_side_amount(s, at(s, "57 milliards").0, at(s, "57 milliards").1));
        assert!(is_side_amount(s, at(s, "54,92 milliards").0, at(s, "54,92 milliards").1));
        assert!(is_side_amount(s, at(s, "1,30 dollar").0, at(s, "1,30 dollar").1));
        let s = "operating income hit $11.4 billion compared with $10.4 billion a year earlier.";
        assert!(!is_side_amount(s, at(s, "$11.4 billion").0, at(s, "$11.4 billion").1));
        assert!(is_side_amount(s, at(s, "$10.4 billion").0, at(s, "$10.4 billion").1));
    }

    #[test]
    fn collective_subjects() {
        let s = "Les start-up e-RH suivent de près, en récoltant 51,15 millions d'euros.";
        assert_eq!(collective_subject(s, at(s, "51,15").0).as_deref(), Some("start-up e-RH"));
        let s = "Startups raised $2 billion in March.";
        assert_eq!(collective_subject(s, at(s, "$2").0).as_deref(), Some("Startups"));
        assert_eq!(collective_subject("Meta a investi 5 milliards", 15), None);
    }

    #[test]
    fn one_fact_many_statements() {
        let amt = |a: f64, b: f64| Amount { min: Some(a), max: Some(b), currency: Some("USD".into()), approx: false };
        assert!(same_amount(&amt(65e9, 65e9), &amt(60e9, 65e9)));
        assert!(same_amount(&amt(492e6, 492e6), &amt(491.85e6, 491.85e6)));
        assert!(!same_amount(&amt(40e9, 40e9), &amt(60e9, 65e9)));
        assert!(better_amount(&amt(65e9, 65e9), &amt(60e9, 65e9)));
        assert!(better_amount(&amt(492e6, 492e6), &amt(491.85e6, 491.85e6)));
    }
}
