//! Document-level repair of the tagger's entity spans. The tagger labels word pieces one sentence
//! window at a time; on real prose it cuts names at company designators ("Aptus Capital" +
//! "Advisors", "AI" without "Inflection"), keeps job titles and common nouns next to a name
//! ("Amazon Senior"), tags generic terms ("GPU", "CapEx"), and gives one name different labels in
//! one article. These rules are facts about how names are written, not about given articles.

use std::collections::HashMap;

/// An entity as the reader returns it: char start, char end, label, confidence.
pub type Entity = (usize, usize, String, f64);

/// Words that end company names ("Aptus Capital Advisors", "Merlin Properties", "Inflection AI").
const DESIGNATORS: &[&str] = &[
    "advisors", "advisers", "capital", "partners", "ventures", "group", "groupe", "holding", "holdings",
    "properties", "centers", "centres", "technologies", "labs", "inc", "corp", "corporation", "sa", "sas",
    "se", "ag", "gmbh", "ltd", "llc", "plc", "ai", "services", "systems", "networks", "investments",
    "management", "therapeutics", "bank", "banque", "industries", "energy", "motors", "pharmaceuticals",
];
/// Words that join a designator chain but do not end one alone ("Amazon Web Services", "QTS Data Centers").
const LINKS: &[&str] = &["data", "web", "asset", "cloud", "private", "global", "investment"];
/// Job titles that follow a company name without being part of it ("Amazon Senior VP").
const TITLES: &[&str] = &[
    "senior", "vp", "svp", "evp", "ceo", "cfo", "coo", "cto", "chief", "president", "président", "pdg",
    "dg", "directeur", "directrice", "director", "chairman", "founder", "fondateur", "executive",
];
/// Generic terms that are never a name on their own. ("Big Tech" stays: it acts in records.)
const GENERIC: &[&str] = &[
    "gpu", "gpus", "cpu", "cpus", "ia", "ai", "capex", "opex", "ceo", "pdg", "ipo",
    "cloud", "data", "ebitda", "pib", "gdp", "r&d",
];
/// Connectors between two places in one span ("Europa en Barcelona").
const PLACE_LINKS: &[&str] = &["en", "in", "à", "a", "y", "et", "and", "und"];

fn word_is(set: &[&str], w: &str) -> bool {
    let w = w.trim_end_matches('.').to_lowercase();
    set.contains(&w.as_str())
}

fn capitalised(w: &str) -> bool {
    w.chars().next().map(|c| c.is_uppercase() || c.is_ascii_digit()).unwrap_or(false)
}

fn all_lowercase(w: &str) -> bool {
    w.chars().any(|c| c.is_alphabetic()) && !w.chars().any(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Word boundaries (char start, end) of `chars[s..e]`, split on whitespace.
fn words(chars: &[char], s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = s;
    while i < e {
        while i < e && chars[i].is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < e && !chars[i].is_whitespace() {
            i += 1;
        }
        if i > start {
            out.push((start, i));
        }
    }
    out
}

fn text_of(chars: &[char], s: usize, e: usize) -> String {
    chars[s..e].iter().collect()
}

/// The word after position `e` when exactly one plain space separates them.
fn next_word(chars: &[char], e: usize) -> Option<(usize, usize)> {
    if e + 1 >= chars.len() || chars[e] != ' ' || chars[e + 1].is_whitespace() {
        return None;
    }
    let mut j = e + 1;
    while j < chars.len() && !chars[j].is_whitespace() && !matches!(chars[j], ',' | ';' | ':' | '(' | ')' | '"' | '»' | '«') {
        j += 1;
    }
    // A full stop ends the word unless it is an abbreviation's ("Inc.").
    while j > e + 1 && matches!(chars[j - 1], '.' | '!' | '?') {
        j -= 1;
    }
    (j > e + 1).then_some((e + 1, j))
}

/// The capitalised word before position `s`: after one space, or glued by an elided article
/// ("d’Inflection AI").
fn prev_word(chars: &[char], s: usize) -> Option<(usize, usize)> {
    if s < 2 || chars[s - 1] != ' ' {
        return None;
    }
    let end = s - 1;
    let mut j = end;
    while j > 0 && !chars[j - 1].is_whitespace() && !matches!(chars[j - 1], '\'' | '’' | '(' | '"' | '«') {
        j -= 1;
    }
    (j < end && capitalised(&text_of(chars, j, end)) && chars[end - 1].is_alphanumeric()).then_some((j, end))
}

/// Trims lowercase words at the start and job titles at the end ("socimi Merlin Properties",
/// "Amazon Senior"). Lowercase words at the end stay: "Émirats arabes unis", "Société générale".
fn trim_words(chars: &[char], ent: &mut Entity) {
    let ws = words(chars, ent.0, ent.1);
    if ws.len() < 2 {
        return;
    }
    let text = |w: &(usize, usize)| text_of(chars, w.0, w.1);
    let mut a = 0;
    let mut b = ws.len();
    while b - a > 1 && all_lowercase(&text(&ws[a])) {
        a += 1;
    }
    while b - a > 1 && word_is(TITLES, &text(&ws[b - 1])) {
        b -= 1;
    }
    ent.0 = ws[a].0;
    ent.1 = ws[b - 1].1;
}

/// Extends a name over the designators that follow it ("Aptus Capital" + "Advisors"), and a span
/// that is only designators over the name before it ("AI" → "Inflection AI").
fn extend(chars: &[char], ent: &mut Entity) {
    let mut end = ent.1;
    let mut commit = ent.1;
    for _ in 0..3 {
        let Some((ws, we)) = next_word(chars, end) else { break };
        let w = text_of(chars, ws, we);
        if !capitalised(&w) {
            break;
        }
        // "Meta" + "AI" is a product as often as a company: "AI" completes only a bare "AI" span.
        if word_is(DESIGNATORS, &w) && !w.eq_ignore_ascii_case("ai") {
            end = we;
            commit = we;
        } else if word_is(LINKS, &w) {
            end = we;
        } else {
            break;
        }
    }
    ent.1 = commit;
    let inner = words(chars, ent.0, ent.1);
    let only_designators = !inner.is_empty()
        && inner.iter().all(|&(a, b)| {
            let w = text_of(chars, a, b);
            word_is(DESIGNATORS, &w) || word_is(LINKS, &w)
        });
    if only_designators {
        if let Some((ps, _)) = prev_word(chars, ent.0) {
            ent.0 = ps;
        }
    }
}

/// Splits "Europa en Barcelona" (two places joined by a connector) into its places.
fn split_places(chars: &[char], ent: &Entity) -> Vec<Entity> {
    if ent.2 != "LOC" {
        return vec![ent.clone()];
    }
    let ws = words(chars, ent.0, ent.1);
    for (i, &(a, b)) in ws.iter().enumerate() {
        if i == 0 || i + 1 == ws.len() {
            continue;
        }
        let w = text_of(chars, a, b);
        let before = text_of(chars, ws[i - 1].0, ws[i - 1].1);
        let after = text_of(chars, ws[i + 1].0, ws[i + 1].1);
        if all_lowercase(&w) && word_is(PLACE_LINKS, &w) && capitalised(&before) && capitalised(&after) {
            let left = (ent.0, ws[i - 1].1, ent.2.clone(), ent.3);
            let right = (ws[i + 1].0, ent.1, ent.2.clone(), ent.3);
            let mut out = vec![left];
            out.extend(split_places(chars, &right));
            return out;
        }
    }
    vec![ent.clone()]
}

fn fold(chars: &[char], e: &Entity) -> String {
    text_of(chars, e.0, e.1).to_lowercase()
}

/// Applies the repairs to one document's entities (sorted by start), returning them sorted.
pub fn repair(text: &str, ents: Vec<Entity>) -> Vec<Entity> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Entity> = Vec::with_capacity(ents.len());
    for mut e in ents {
        if e.1 > chars.len() || e.0 >= e.1 {
            continue;
        }
        trim_words(&chars, &mut e);
        extend(&chars, &mut e);
        out.extend(split_places(&chars, &e));
    }
    out.retain(|e| !GENERIC.contains(&fold(&chars, e).as_str()));
    // A span inside a longer one (after extension) is the same name: keep the longer.
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept: Vec<Entity> = Vec::with_capacity(out.len());
    for e in out {
        match kept.last_mut() {
            Some(last) if e.0 < last.1 => {
                last.1 = last.1.max(e.1);
                last.3 = last.3.max(e.3);
            }
            _ => kept.push(e),
        }
    }
    // German genitive: "Nvidias" where the article also names "Nvidia".
    let names: std::collections::HashSet<String> = kept.iter().map(|e| fold(&chars, e)).collect();
    for e in &mut kept {
        let f = fold(&chars, e);
        if e.1 - e.0 > 3 && f.ends_with('s') && names.contains(&f[..f.len() - 1]) {
            e.1 -= 1;
        }
    }
    // One name, one label per article: the label with the most confidence over its mentions.
    let mut votes: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for e in &kept {
        *votes.entry(fold(&chars, e)).or_default().entry(e.2.clone()).or_default() += e.3;
    }
    for e in &mut kept {
        if let Some(v) = votes.get(&fold(&chars, e)) {
            if let Some((label, _)) = v.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))) {
                e.2 = label.clone();
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, spans: &[(&str, &str)]) -> Vec<(String, String)> {
        // Builds entities from (surface, label) pairs found in order in the text.
        let mut from = 0;
        let mut ents = Vec::new();
        for (surface, label) in spans {
            let byte = text[from..].find(surface).expect("surface in text") + from;
            let s = text[..byte].chars().count();
            ents.push((s, s + surface.chars().count(), label.to_string(), 0.9));
            from = byte + surface.len();
        }
        repair(text, ents).into_iter().map(|e| (crate::text::char_slice(text, e.0, e.1).to_string(), e.2)).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_name_cut_before_its_designator_is_extended() {
        let got = names("said Dave Wagner at Aptus Capital Advisors, which", &[("Dave Wagner", "PER"), ("Aptus Capital", "ORG")]);
        assert_eq!(got, pairs(&[("Dave Wagner", "PER"), ("Aptus Capital Advisors", "ORG")]));
        let got = names("su empresa DGNEX Data Centers en Toledo", &[("DGNEX", "ORG"), ("Centers", "ORG")]);
        assert_eq!(got, pairs(&[("DGNEX Data Centers", "ORG")]));
    }

    #[test]
    fn a_link_word_alone_does_not_extend_a_name() {
        let got = names("Nvidia Data reste en tête", &[("Nvidia", "ORG")]);
        assert_eq!(got, pairs(&[("Nvidia", "ORG")]));
    }

    #[test]
    fn a_designator_alone_takes_the_name_before_it() {
        let got = names("les équipes d’Inflection AI, dont", &[("AI", "ORG")]);
        assert_eq!(got, pairs(&[("Inflection AI", "ORG")]));
    }

    #[test]
    fn lowercase_words_and_titles_at_the_edges_are_trimmed() {
        let got = names("la socimi Merlin Properties y Amazon Senior VP", &[("socimi Merlin Properties", "ORG"), ("Amazon Senior", "ORG")]);
        assert_eq!(got, pairs(&[("Merlin Properties", "ORG"), ("Amazon", "ORG")]));
        let got = names("les Émirats arabes unis et Meta AI", &[("Émirats arabes unis", "LOC"), ("Meta", "ORG")]);
        assert_eq!(got, pairs(&[("Émirats arabes unis", "LOC"), ("Meta", "ORG")]));
    }

    #[test]
    fn generic_terms_are_not_names() {
        let got = names("plus de GPU et de CapEx pour Big Tech chez Meta", &[("GPU", "ORG"), ("CapEx", "ORG"), ("Big Tech", "ORG"), ("Meta", "ORG")]);
        assert_eq!(got, pairs(&[("Big Tech", "ORG"), ("Meta", "ORG")]));
    }

    #[test]
    fn two_places_in_one_span_are_split() {
        let got = names("centros en Europa en Barcelona", &[("Europa en Barcelona", "LOC")]);
        assert_eq!(got, pairs(&[("Europa", "LOC"), ("Barcelona", "LOC")]));
        // An organisation keeps its inner words.
        let got = names("la Banque de France", &[("Banque de France", "ORG")]);
        assert_eq!(got, pairs(&[("Banque de France", "ORG")]));
    }

    #[test]
    fn german_genitive_names_the_company() {
        let got = names("Nvidia meldet Umsatz. Nvidias Aktie fiel", &[("Nvidia", "ORG"), ("Nvidias", "ORG")]);
        assert_eq!(got, pairs(&[("Nvidia", "ORG"), ("Nvidia", "ORG")]));
    }

    #[test]
    fn one_name_gets_one_label_per_article() {
        let text = "Blackstone invierte. Blackstone compra. Blackstone vende.";
        let ents = vec![(0, 10, "ORG".to_string(), 0.9), (21, 31, "LOC".to_string(), 0.6), (40, 50, "ORG".to_string(), 0.8)];
        let got: Vec<String> = repair(text, ents).into_iter().map(|e| e.2).collect();
        assert_eq!(got, vec!["ORG", "ORG", "ORG"]);
    }
}
