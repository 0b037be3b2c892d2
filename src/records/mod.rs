//! Investment records: who, what, how much, on what, when, in what tone — from entities, figures
//! and sentence labels, each record traced to its sentence.

mod actors;
mod cues;
mod tone;

use crate::ingest::Article;
use crate::output::*;
use crate::text::{char_slice, Prepared};

pub use actors::{ActorPick, Actors, Basis};
pub use tone::{doc_tone_macro_f1, document_tone, document_tone_of, document_tone_with, figure_moves, fit_doc_tone_rule, lexicon_counts, lexicon_tone, DocToneRule};

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
    target_after(sentence, fig_end, TARGET_LEADS)
}

/// Purposes of a round: "pour défier les géants", "to expand in Europe", "para crecer".
const PURPOSE_LEADS: &[&str] = &["pour ", "afin de ", "afin d'", "to ", "para ", "um "];

/// The phrase after the first of `leads` (as a whole word) within 25 characters of the figure.
fn target_after(sentence: &str, fig_end: usize, leads: &[&str]) -> Option<String> {
    let after: String = sentence.chars().skip(fig_end).collect();
    let low = after.to_lowercase();
    for lead in leads {
        let found = low.match_indices(lead).map(|(i, _)| i).find(|&i| low[..i].chars().last().map(|c| !c.is_alphanumeric() && c != '\'').unwrap_or(true));
        if let Some(pos) = found {
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
            let mut phrase = phrase.as_str();
            for art in ["l'", "la ", "le ", "les ", "un ", "une ", "des ", "the ", "a ", "an ", "el ", "los ", "las ", "der ", "die ", "das "] {
                phrase = phrase.strip_prefix(art).unwrap_or(phrase);
            }
            // Stop before a date or a number: "centres de données en 2025" -> "centres de données".
            let kept: Vec<&str> = phrase.split_whitespace().take_while(|w| !w.chars().next().map(|c| c.is_ascii_digit()).unwrap_or(false)).collect();
            let kept: Vec<&str> = match kept.iter().rposition(|w| !["en", "in", "de", "du", "d'", "à", "au", "of", "for", "el", "del", "im", "en el", "fin", "finales", "end", "et", "and", "y", "und", "by", "bis", "hasta", "d'ici", "avant", "before"].contains(&w.to_lowercase().as_str())) {
                Some(i) => kept[..=i].to_vec(),
                None => Vec::new(),
            };
            let first = kept.first().map(|w| w.to_lowercase()).unwrap_or_default();
            if !kept.is_empty() && !PERIOD_WORDS.contains(&first.as_str()) && !(kept.len() == 1 && kept[0].chars().count() <= 2) {
                return Some(kept.join(" "));
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
    const COMPARE_BEFORE: &[&str] = &[
        "supérieur", "inférieur", "la barre des", "seuil", "contre ", "comparé", "compared with", "compared to", "versus", " vs", "expectations for",
        "estimates of", "frente a ", "en comparación", "analystes (", "analysts (", "consensus", "attentes (", "projections (", "analistas (",
        "analysten (", "erwartungen von", "schätzungen von",
    ];
    const COMPARE_AFTER: &[&str] = &[" attendu", " expected", "un an plus tôt", "a year earlier", "a year ago", "l'an dernier à la même", "de moins", "de plus qu", " less than", " more than in"];
    const PER_SHARE: &[&str] = &["par action", "per share", "je aktie", "por acción"];
    COMPARE_BEFORE.iter().any(|c| before.contains(c))
        || COMPARE_AFTER.iter().any(|c| after.starts_with(c) || after.contains(c) && after.find(c).unwrap() < 14)
        || PER_SHARE.iter().any(|c| wide_before.contains(c) || after.contains(c))
}

/// Words that make the amount after them a valuation even when a raise shares the sentence:
/// "valorisée 6 milliards", "values the ChatGPT maker at $157bn", "mit rund 4,5 Milliarden Euro
/// bewertet" (the cue after the figure in German), "una valoración de".
const VALUATION_SLOT: &[&str] = &[
    "valoris", "vaut", "vaudrait", "valait", "valuation of", "valuation at", "valued at", "values ", "valuing", "a valuation", "bewertung von",
    "bewertung in höhe", "bewertet", "valoración de", "valoración en", "valorada en", "valorado en", "valora ",
];

/// A valuation cue in the clause just before the figure, with no raise cue between them, or
/// German "mit X bewertet" right after it.
pub fn valuation_slot(sentence_lower: &str, fs: usize, fe: usize) -> bool {
    let chars: Vec<char> = sentence_lower.chars().collect();
    let before: String = chars[fs.saturating_sub(45).min(chars.len())..fs.min(chars.len())].iter().collect();
    let clause = before.rsplit([',', ';', '(']).next().unwrap_or("");
    let hit = VALUATION_SLOT.iter().filter_map(|c| clause.rfind(c).map(|i| i + c.len())).max();
    if let Some(end) = hit {
        let between = &clause[end..];
        if !cues::ROLE_CUES.iter().any(|(c, r)| *r == "raise" && between.contains(c)) && !between.contains(" et ") && !between.contains(" and ") {
            return true;
        }
    }
    let after: String = chars[fe.min(chars.len())..(fe + 16).min(chars.len())].iter().collect();
    after.split([',', ';', '.']).next().unwrap_or("").contains("bewertet")
}

/// Words after an amount that say what it will be spent on: money put to use, not raised
/// ("18 Md$ pourraient être utilisés pour financer", "$2 billion will be used to build").
const USE_OF_FUNDS: &[&str] = &["utilisé", "consacré", "destiné", "affecté", "used to", "used for", "will go to", "earmarked", "destinad", "verwendet", "fließen in"];

fn spent_on(sentence_lower: &str, fe: usize) -> bool {
    let after: String = sentence_lower.chars().skip(fe).take(40).collect();
    let clause = after.split([',', ';', '.']).next().unwrap_or("");
    USE_OF_FUNDS.iter().any(|c| clause.contains(c))
}

/// Modals of obligation before a raise verb: the money is needed, not raised.
const OBLIGATIONS: &[&str] = &["doit ", "doivent ", "devra ", "must ", "needs to ", "need to ", "has to ", "debe ", "deben ", "tiene que ", "muss ", "müssen "];

fn must_raise(sentence_lower: &str, fs: usize) -> bool {
    let before: String = sentence_lower.chars().take(fs).collect();
    let tail: String = before.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let clause = tail.rsplit([',', ';']).next().unwrap_or("");
    OBLIGATIONS.iter().any(|o| clause.contains(o))
}

/// Words that make an amount expected rather than reported: a guidance, an objective, a forecast.
const FORECAST_CUES: &[&str] = &[
    "prévoit", "prévoient", "prévoir", "prévision", "objectif", "guidance", "s'attend", "table sur", "vise ", "en passe de", "devrait", "devraient",
    "sur le point de", "forecast", "expects", "expected to", "expect ", "outlook", "on track to", "projects", "anticipates", "targets",
    "prevé", "prevén", "previsión", "prevision", "espera", "objetivo", "en camino de", "erwartet", "rechnet mit", "rechnet nvidia mit", "prognose",
    "ausblick", "ziel", "dürfte",
];

/// Whether the amount at `fs` is a forecast: a forecast cue before it in its clause.
pub fn is_forecast(sentence_lower: &str, fs: usize) -> bool {
    let before: String = sentence_lower.chars().take(fs).collect();
    let clause = before.rsplit(';').next().unwrap_or("");
    FORECAST_CUES.iter().any(|c| {
        clause.match_indices(c).any(|(i, _)| clause[..i].chars().last().map(|ch| !ch.is_alphanumeric()).unwrap_or(true))
    }) || ["rechnet", "erwartet"].iter().any(|v| clause.contains(v) && clause.contains(" mit "))
}

/// A threshold that the amount is on track to pass ("en passe de franchir la barre des 100
/// millions", "on track to pass $1 billion"): the amount is a forecast of the figure itself.
fn forecast_threshold(sentence_lower: &str, fs: usize) -> bool {
    let before: String = sentence_lower.chars().take(fs).collect();
    let tail: String = before.chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    ["en passe de", "on track to", "sur le point de", "en camino de", "auf dem weg"].iter().any(|c| tail.contains(c))
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
    collective_in(&head)
}

/// "Avec plus de 55 millions d'euros levés, les jeunes pousses adtech … prennent la première
/// place": the collective subject may follow the amount.
fn collective_after(sentence: &str, fe: usize) -> Option<String> {
    let tail: String = sentence.chars().skip(fe).collect();
    // Only the subject of the main clause that follows the figure's opening phrase.
    let (_, main) = tail.split_once(", ")?;
    let low = main.to_lowercase();
    let det = ["les ", "the ", "los ", "las ", "die "].iter().find(|d| low.starts_with(*d))?;
    let rest = &main[det.len()..];
    let rl = rest.to_lowercase();
    COLLECTIVES.iter().any(|c| rl.starts_with(c)).then(|| collective_in(rest)).flatten()
}

/// The first collective subject of `head`, as written, with the French "jeunes pousses" read as
/// "start-up" and the filler before a sector dropped ("jeunes pousses de la foodtech" ->
/// "start-up foodtech"), so that one kind of subject reads one way.
fn collective_in(head: &str) -> Option<String> {
    let low = head.to_lowercase();
    let at = COLLECTIVES.iter().filter_map(|c| low.match_indices(c).map(|(i, _)| i).find(|&i| low[..i].chars().last().map(|ch| !ch.is_alphanumeric()).unwrap_or(true))).min()?;
    let mut words: Vec<String> = Vec::new();
    let rest = &head[at..];
    let rest = if rest.to_lowercase().starts_with("jeunes pousses") { format!("start-up{}", &rest["jeunes pousses".len()..]) } else { rest.to_string() };
    let mut it = rest.split_whitespace().peekable();
    if let Some(first) = it.next() {
        let bare = first.trim_end_matches([',', ';', ':', '.']);
        words.push(bare.to_string());
        if bare.len() != first.len() {
            return Some(words.join(" "));
        }
    }
    // "de la foodtech", "of the fintech sector": the filler goes, the sector stays.
    while let Some(w) = it.peek() {
        if ["de", "la", "du", "des", "de l'", "l'", "of", "the"].contains(&w.to_lowercase().as_str()) && words.len() == 1 {
            it.next();
        } else {
            break;
        }
    }
    for w in it {
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
    let words: Vec<String> = words.into_iter().map(|w| w.strip_prefix("l'").map(str::to_string).unwrap_or(w)).collect();
    Some(words.join(" ")).filter(|w| !w.is_empty())
}

/// The funders of a raise: named in its own sentence, else in one of the two sentences after
/// it ("Le tour est mené par ICONIQ Growth…", "The round was led by Thrive Capital…"), unless
/// that sentence reports a raise of its own.
fn funders_of(actors: &Actors, figs: &[FigureOut], prep: &Prepared, text: &str, sentence: usize, actor: &str) -> Vec<String> {
    let here = actors.funders_in(sentence, actor);
    if !here.is_empty() {
        return here;
    }
    for s in sentence + 1..=sentence + 2 {
        let Some(span) = prep.sentences.get(s) else { break };
        let sl = lower(char_slice(text, span.start, span.end));
        let own_raise = figs.iter().filter(|g| g.kind == "money" && g.sentence == s).any(|g| {
            let (gs, ge) = (g.start - span.start, g.end - span.start);
            !valuation_slot(&sl, gs, ge) && resolve_role(g.role.as_deref(), &sl, gs, ge).map(|r| r.0 == "raise").unwrap_or(false)
        });
        if own_raise {
            break;
        }
        let found = actors.funders_in(s, actor);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Words that start a period or a date, never a target: "de 2025", "en février", "in Q3".
const PERIOD_WORDS: &[&str] = &[
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre", "trimestre",
    "semestre", "exercice", "l'exercice", "l'année", "année", "an", "ans", "mois", "fiscal", "the", "q1", "q2", "q3", "q4", "year", "quarter",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    "año", "januar", "februar", "märz", "juni", "juli", "oktober", "dezember", "jahr", "quartal", "cinq", "five", "ce", "cette", "this",
];

/// Rounds named by their letter: "série D", "Series B", "serie A", "Serie-C-Runde", "Serie C".
fn round_name(sentence: &str) -> Option<String> {
    let low = sentence.to_lowercase();
    for lead in ["série ", "series ", "serie ", "serie-", "seed", "amorçage", "pre-seed"] {
        for (i, _) in low.match_indices(lead) {
            if low[..i].chars().last().map(|c| c.is_alphanumeric()).unwrap_or(false) {
                continue;
            }
            if lead.ends_with(' ') || lead.ends_with('-') {
                let letter = low[i + lead.len()..].chars().next()?;
                let next = low[i + lead.len()..].chars().nth(1);
                if letter.is_ascii_alphabetic() && letter <= 'h' && next.map(|c| !c.is_alphanumeric()).unwrap_or(true) {
                    let written: String = sentence[i..].chars().take(lead.chars().count() + 1).collect();
                    return Some(written.replace('-', " "));
                }
            } else {
                return Some(sentence[i..i + lead.len()].to_string());
            }
        }
    }
    None
}

/// The metric an amount measures, as the sentence names it: the role cue nearest to the figure
/// with its complement ("chiffre d'affaires du premier trimestre", "operating income").
fn metric_phrase(action: &str, sentence: &str, sl: &str, fs: usize, fe: usize) -> Option<String> {
    let chars: Vec<char> = sl.chars().collect();
    let mut best: Option<(usize, usize, usize)> = None; // (distance, start, end) in chars
    for (cue, role) in cues::ROLE_CUES.iter().filter(|(_, r)| *r == action) {
        let _ = role;
        let cc: Vec<char> = cue.chars().collect();
        if cc.len() > chars.len() {
            continue;
        }
        for i in 0..=chars.len() - cc.len() {
            if chars[i..i + cc.len()] != cc[..] || (i > 0 && chars[i - 1].is_alphanumeric()) || (i >= fs && i < fe) {
                continue;
            }
            let d = if i < fs { fs - i } else { i - fe };
            if best.map(|b| d < b.0).unwrap_or(true) {
                best = Some((d, i, i + cc.len()));
            }
        }
    }
    let (_, a, mut b) = best?;
    // Complete the cue's word, then take a complement: "du premier trimestre", "of the group".
    let orig: Vec<char> = sentence.chars().collect();
    while b < orig.len() && (orig[b].is_alphanumeric() || orig[b] == '\'' || orig[b] == '-') {
        b += 1;
    }
    let head: String = orig[a..b].iter().collect();
    let rest: String = orig[b..].iter().collect();
    let mut words = rest.split_whitespace();
    let mut phrase = head;
    if let Some(w) = words.next() {
        if ["du", "de", "des", "of", "del", "der", "des", "de la", "d'"].contains(&w.to_lowercase().as_str()) {
            let mut comp = vec![w.to_string()];
            for w in words.take(3) {
                let bare = w.trim_end_matches([',', '.', ';', ':', ')']);
                let wl = bare.to_lowercase();
                if (comp.len() > 1 && ["de", "du", "des", "of", "del", "der", "d'"].contains(&wl.as_str())) || bare.chars().next().map(|c| c.is_ascii_digit()).unwrap_or(true) || ["a", "est", "s'est", "was", "is", "rose", "ha", "hat", "a-t-il", "atteint", "reached"].contains(&wl.as_str()) || (fs >= b && b + 2 > fs) {
                    break;
                }
                comp.push(bare.to_string());
                if bare.len() != w.len() {
                    break;
                }
            }
            if comp.len() > 1 {
                phrase = format!("{phrase} {}", comp.join(" "));
            }
        }
    }
    Some(phrase)
}

/// A target a reader can use: the thing invested in ("centres de données en Louisiane"), the
/// round ("série D"), the metric ("chiffre d'affaires du premier trimestre"); never a period.
fn target_for(action: &str, sentence: &str, sl: &str, fs: usize, fe: usize) -> Option<String> {
    match action_group(action) {
        "raise" => round_name(sentence).or_else(|| target_after(sentence, fe, PURPOSE_LEADS)),
        "revenue" | "profit" | "loss" => metric_phrase(action, sentence, sl, fs, fe),
        "valuation" => None,
        _ => target_phrase(sentence, fe),
    }
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
        let forecast = is_forecast(&sl, fs);
        // A valuation slot wins over any role: "lève 600 millions et est valorisée 6 milliards".
        let action = if valuation_slot(&sl, fs, fe) { "valuation".to_string() } else { action };
        if action == "other" || (is_side_amount(&sl, fs, fe) && !(forecast && forecast_threshold(&sl, fs))) {
            continue;
        }
        // "dont 35 millions auprès de Tencent": money put in by the one named after it.
        let action = if actors.has_agent_after(f.sentence, f.end, s.end) && adjacent_cue(&sl, fs, fe).is_none() { "invest".to_string() } else { action };
        // "doit refinancer près de 5 milliards de dette", "needs to raise $2bn": a need, not a raise.
        if action == "raise" && must_raise(&sl, fs) {
            continue;
        }
        // "18 Md$ pourraient être utilisés pour financer …": money spent, whatever raised it.
        let action = if action == "raise" && spent_on(&sl, fe) { "invest".to_string() } else { action };
        let pick = match actors.actor_of(f.sentence, s.start, s.end, f.start, f.end, action_group(&action)) {
            Some(p) if p.basis != Basis::Topic => Some(p),
            topic => collective_subject(sentence, fs).or_else(|| collective_after(sentence, fe)).map(|name| ActorPick { name, score: 0.5, basis: Basis::Topic }).or(topic),
        };
        let Some(pick) = pick else { continue };
        let investors = if action == "raise" { funders_of(&actors, figs, prep, text, f.sentence, &pick.name) } else { Vec::new() };
        let tone = sentences.get(f.sentence).and_then(|t| t.tone.clone()).unwrap_or_else(|| lexicon_tone(sentence).0.to_string());
        let target = target_for(&action, sentence, &sl, fs, fe).unwrap_or_else(|| fallback_target(&action, lang).to_string());
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
            investors,
            forecast,
            actor_variants: actors.variants(&pick.name),
            related: related(figs, f, &sl, s.start),
            mentions: vec![Mention { sentence: f.sentence, start: f.start, end: f.end }],
        };
        // One record per fact: the same amount again, by the same actor or by one only guessed
        // (a pronoun, the article's topic), is another mention of the earlier record.
        if let Some((prev, prev_basis)) = out.iter_mut().find(|(r, b)| {
            action_group(&r.action) == action_group(&record.action)
                && same_amount(&r.amount, &record.amount)
                // "envisage une levée d'un milliard" and "a déjà levé plus d'un milliard": an
                // exact amount and a bound in the body are two facts; a headline rounds either.
                && (r.amount.approx == record.amount.approx || r.mentions.iter().any(|m| m.sentence == 0) || record.sentence == 0)
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
    let title_then_body = prev.sentence == 0 && new.sentence > 0;
    if better_amount(&prev.amount, &new.amount) || title_then_body {
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
    for name in new.investors {
        if !prev.investors.contains(&name) && name != prev.actor {
            prev.investors.push(name);
        }
    }
    prev.forecast = prev.forecast && new.forecast;
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
