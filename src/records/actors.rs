//! Actors of a document: companies, people and states named in it, grouped so that name
//! variants ("Meta", "Meta Platforms"; "Mark Zuckerberg", "Zuckerberg"; "AWS", "Amazon Web
//! Services"; "Nvidia's", "Nvidias") share one canonical name; and the choice of the actor behind a
//! money figure: the subject of its clause, an investor named after it ("de la part de X"), the
//! entity a pronoun or "la firme" refers back to, or the company the whole article is about.

use crate::output::EntityOut;

/// How an actor was found for a figure, strongest first. Weak picks (after the figure, by
/// anaphora, the article's topic) let a repeated amount merge into an earlier record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Basis {
    /// A name before the figure in its sentence.
    Subject,
    /// An investor introduced after the figure: "de la part de X", "auprès de X", "from X".
    Agent,
    /// A pronoun or "la firme", "the company": the salient actor of the preceding sentences.
    Anaphor,
    /// The first name after the figure in its sentence.
    After,
    /// No name nearby: the company the article is about.
    Topic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActorPick {
    pub name: String,
    pub score: f64,
    pub basis: Basis,
}

#[derive(Debug, Clone)]
struct Mention {
    sentence: usize,
    start: usize,
    end: usize,
    canon: String,
    label: String,
    score: f64,
    /// Introduced by a preposition ("dans OpenAI", "of Meta", "dont Microsoft"): a complement,
    /// rarely the one who spends.
    object: bool,
    /// Inside a list of funders ("mené par X, accompagné d'Y", "led by X, with participation
    /// from Y", "auprès de X et Y"): an investor of a round, never the one raising.
    funder: bool,
}

pub struct Actors {
    chars: Vec<char>,
    mentions: Vec<Mention>,
    /// canonical name -> variants seen
    groups: Vec<(String, Vec<String>)>,
    topic: Option<String>,
}

/// Words before a name that make it a complement rather than a subject.
const OBJECT_MARKERS: &[&str] = &[
    "dans", "de", "d'", "du", "des", "à", "au", "aux", "in", "into", "of", "for", "pour", "avec", "with", "chez", "sur", "on",
    "dont", "including", "such as", "comme", "like", "notamment", "auprès de", "auprès d'", "to", "from", "en", "con", "del",
    "para", "von", "mit", "bei", "für",
];

/// Words before a name that make it the source of the news, never an actor.
const SOURCE_MARKERS: &[&str] =
    &["selon", "d'après", "according to", "rapporte", "reports", "reported by", "told", "a indiqué", "según", "laut", "zufolge"];

/// Markers after a figure that introduce who puts the money in.
const AGENT_MARKERS: &[&str] = &["de la part de", "de la part du", "de la part des", "auprès de", "auprès d'", "auprès du", "auprès des", "from ", "por parte de"];

/// Markers that open a list of those who put money into a round or a loan. The list runs to the
/// end of the clause (see [`FUNDER_LIST_ENDS`]).
const FUNDER_MARKERS: &[&str] = &[
    "auprès de", "auprès d'", "auprès du", "auprès des", "mené par", "menée par", "menés par", "conduit par", "conduite par",
    "emmené par", "emmenée par", "piloté par", "pilotée par", "accompagné de", "accompagné d'", "accompagné par", "aux côtés de",
    "aux côtés d'", "avec la participation de", "avec la participation d'", "parmi les nouveaux investisseurs figurent",
    "parmi les investisseurs figurent", "souscrit par", "led by", "co-led by", "with participation from", "with participation of",
    "backed by", "from ", "de la part de", "de la part du", "de la part des", "por parte de", "from investors including", "from investors such as", "liderada por", "liderado por", "encabezada por",
    "de la mano de", "con la participación de", "angeführt von", "angeführt vom", "angeführt wurde", "unter führung von",
    "unter der führung von", "beteiligt waren", "beteiligt sind", "mit beteiligung von", "von investoren wie",
];

/// Words that end a list of funders: a new clause, a relative pronoun, a purpose or a source.
const FUNDER_LIST_ENDS: &[&str] = &[
    ". ", ".\n", ";", ":", "(", " qui ", " pour ", " afin ", " selon ", " valoris", ", soit", ", ce qui", " which ", " who ", " to ",
    " at a ", " that ", " according", " que ", " para ", " según", " um ", " laut ", " zu ",
];

/// Verbs that only an organisation does with money: a name that is their subject is a company,
/// even when the tagger read it as a product ("Don't Nod récolte 46 millions").
const RAISE_VERBS: &[&str] = &["lève", "lèvent", "récolte", "récoltent", "a levé", "boucle", "raises", "raised", "has raised", "recauda", "capta", "sammelt", "hat eingesammelt"];

/// Relative pronouns that make the name before them the subject of what follows.
/// With `true`, only after a comma ("Meta, que invertirá"; "Nvidia, die …").
const RELATIVES: &[(&str, bool)] = &[("qui ", false), ("which ", true), ("who ", true), ("quien ", true), ("que ", true), ("der ", true), ("die ", true)];

/// Words that refer back to an organisation named earlier.
const NOMINAL_ANAPHORS: &[&str] = &[
    "la firme", "le groupe", "l'entreprise", "la société", "la start-up", "la startup", "le géant", "le conglomérat", "la pépite",
    "le champion", "l'éditeur", "le constructeur", "le fabricant", "the company", "the firm", "the group", "the giant",
    "the software company", "the startup", "the conglomerate", "das unternehmen", "der konzern", "la empresa", "la compañía", "el grupo",
];

/// Words that point at the last name of the sentence before.
const LATTER: &[&str] = &["ce dernier", "cette dernière", "the latter", "este último", "letzterer"];

/// Pronouns that refer back to any actor.
const PRONOUNS: &[&str] = &["il", "elle", "lui", "sa", "son", "ses", "it", "its", "he", "she", "his", "her", "er", "sie", "ella", "su", "sus"];

/// Where a new clause starts inside a sentence: the subject of "…, while Microsoft reported $49
/// billion" is Microsoft, not the name that opened the sentence.
const CLAUSE_BREAKS: &[&str] = &[";", ", tandis", ", alors que", ", while", ", whereas", ", sans quoi", ", mais", ", but", " tandis que ", " while ", ", et ", ", and ", ", mientras", ", während"];

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| t.to_lowercase()).collect()
}

/// Name as it should be stored: trimmed, possessive removed ("Meta's" -> "Meta"), leading
/// common nouns the tagger swept in dropped ("socimi Merlin Properties" -> "Merlin Properties").
pub fn clean_name(raw: &str) -> String {
    let mut n = raw.trim().trim_end_matches(['.', ',', ';', ':', '(', ')']).trim();
    while let Some((first, rest)) = n.split_once(' ') {
        if first.chars().next().map(|c| c.is_lowercase()).unwrap_or(false) && rest.chars().next().map(|c| c.is_uppercase()).unwrap_or(false) {
            n = rest.trim_start();
        } else {
            break;
        }
    }
    let n = n.strip_suffix("'s").or_else(|| n.strip_suffix("’s")).or_else(|| n.strip_suffix('\'')).or_else(|| n.strip_suffix('’')).unwrap_or(n);
    n.trim().to_string()
}

/// Levenshtein distance at most one ("Sofbank" / "Softbank"), for long enough names only.
fn one_typo(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().min(b.len()) < 6 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// Whether `short` names the same actor as `long`: a leading part ("Meta" / "Meta Platforms"),
/// a surname ("Zuckerberg" / "Mark Zuckerberg"), initials ("AWS"), a genitive ("Nvidias"), a typo.
pub fn is_variant(short: &str, long: &str, label: &str) -> bool {
    let (a, b) = (tokens(short), tokens(long));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b || (a.len() <= b.len() && b[..a.len()] == a[..]) {
        return true;
    }
    if label == "PER" && a.len() == 1 && b.last() == a.last() {
        return true;
    }
    // A tagger fragment: "AI" alone where "Mistral AI" is named.
    if label == "ORG" && a.len() == 1 && b.len() >= 2 && b.last() == a.last() && a[0].chars().count() <= 3 {
        return true;
    }
    let initials: String = b.iter().filter_map(|t| t.chars().next()).collect();
    if a.len() == 1 && b.len() >= 2 && a[0] == initials {
        return true;
    }
    if a.len() == 1 && b.len() == 1 {
        let (x, y) = (&a[0], &b[0]);
        if x.strip_suffix('s') == Some(y.as_str()) || y.strip_suffix('s') == Some(x.as_str()) || one_typo(x, y) {
            return true;
        }
    }
    false
}

fn ends_with_marker(before: &str, markers: &[&str]) -> bool {
    let b = before.trim_end();
    markers.iter().any(|m| {
        let m = m.trim_end();
        b.ends_with(m) && b[..b.len() - m.len()].chars().last().map(|c| !c.is_alphanumeric()).unwrap_or(true)
    })
}

impl Actors {
    /// `text` is the text the entity offsets point into.
    pub fn new(entities: &[EntityOut], text: &str) -> Actors {
        let chars: Vec<char> = text.chars().collect();
        let lower_before = |pos: usize, n: usize| -> String { chars[pos.saturating_sub(n).min(chars.len())..pos.min(chars.len())].iter().collect::<String>().to_lowercase() };
        // Only names: lowercase fragments ("software", "adtech") are tagging noise, and a name
        // introduced by "selon" is the news source.
        let lower_after = |pos: usize, n: usize| -> String { chars[pos.min(chars.len())..(pos + n).min(chars.len())].iter().collect::<String>().to_lowercase() };
        // A product never acts, but a name the tagger read as a product that raises money is a
        // company.
        let relabelled: Vec<EntityOut> = entities
            .iter()
            .map(|e| {
                let mut e = e.clone();
                let after = lower_after(e.end, 20);
                if e.label == "PRODUCT" && RAISE_VERBS.iter().any(|v| after.trim_start().starts_with(v)) {
                    e.label = "ORG".into();
                }
                e
            })
            .collect();
        let names: Vec<(&EntityOut, String)> = relabelled
            .iter()
            // Places are kept only for "de la part des Émirats": a state that pays.
            .filter(|e| e.label == "ORG" || e.label == "PER" || e.label == "LOC")
            .map(|e| (e, clean_name(&e.text)))
            .filter(|(_, n)| n.chars().count() >= 2 && n.chars().next().map(|c| !c.is_lowercase()).unwrap_or(false))
            .filter(|(e, _)| !ends_with_marker(&lower_before(e.start, 20), SOURCE_MARKERS))
            // "CapEx", "Revenue": a metric the tagger took for a company.
            .filter(|(_, n)| !super::cues::ROLE_CUES.iter().any(|(c, _)| n.to_lowercase() == *c))
            .collect();
        let mut groups: Vec<(Vec<String>, Vec<usize>, &str)> = Vec::new();
        for (e, n) in &names {
            let found = groups.iter_mut().find(|(vs, _, label)| *label == e.label && vs.iter().any(|v| is_variant(v, n, label) || is_variant(n, v, label)));
            match found {
                Some((vs, counts, _)) => match vs.iter().position(|v| v == n) {
                    Some(i) => counts[i] += 1,
                    None => {
                        vs.push(n.clone());
                        counts.push(1);
                    }
                },
                None => groups.push((vec![n.clone()], vec![1], e.label.as_str())),
            }
        }
        // Canonical: the name the article uses most; ties go to the shortest organisation name
        // ("Meta") and the fullest person name ("Mark Zuckerberg"). Genitives never win.
        let groups: Vec<(String, Vec<String>, usize, bool)> = groups
            .into_iter()
            .map(|(vs, counts, label)| {
                let mut order: Vec<usize> = (0..vs.len()).collect();
                let len = |i: usize| vs[i].chars().count() as i64;
                let genitive = |i: usize| vs.iter().any(|o| o != &vs[i] && vs[i].strip_suffix('s') == Some(o.as_str()));
                order.sort_by_key(|&i| (genitive(i), std::cmp::Reverse(counts[i]), if label == "PER" { -len(i) } else { len(i) }));
                // Only a company can be the article's topic: a chief executive named as often as
                // the company ("Zuckerberg") does not make it topic-less.
                (vs[order[0]].clone(), vs, counts.iter().sum(), label != "ORG")
            })
            .collect();
        let lower_text: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
        let spans = if lower_text.len() == chars.len() { funder_spans(&lower_text) } else { funder_spans(&chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect::<Vec<_>>()) };
        let mentions: Vec<Mention> = names
            .iter()
            .map(|(e, n)| {
                let canon = groups.iter().find(|g| g.1.contains(n)).map(|g| g.0.clone()).unwrap_or_else(|| n.clone());
                Mention {
                    sentence: e.sentence,
                    start: e.start,
                    end: e.end,
                    canon,
                    label: e.label.clone(),
                    score: e.score,
                    object: ends_with_marker(&lower_before(e.start, 14), OBJECT_MARKERS),
                    funder: spans.iter().any(|(a, b)| e.start >= *a && e.start < *b),
                }
            })
            .collect();
        // The article's topic: one company named at least three times and twice as often as any other.
        let mut counts: Vec<(usize, &String)> = groups.iter().filter(|g| !g.3).map(|g| (g.2, &g.0)).collect();
        counts.sort_by(|x, y| y.0.cmp(&x.0));
        let runner_up = counts.get(1).map(|c| c.0).unwrap_or(0);
        let topic = counts.first().filter(|c| c.0 >= 3 && c.0 >= 2 * runner_up).map(|c| c.1.clone());
        Actors { chars, mentions, groups: groups.into_iter().map(|(c, vs, _, _)| (c, vs)).collect(), topic }
    }

    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    pub fn variants(&self, canonical: &str) -> Vec<String> {
        self.groups.iter().find(|(c, _)| c == canonical).map(|(_, vs)| vs.iter().filter(|v| *v != canonical).cloned().collect()).unwrap_or_default()
    }

    fn lower(&self, start: usize, end: usize) -> String {
        let (s, e) = (start.min(self.chars.len()), end.min(self.chars.len()));
        self.chars[s..e.max(s)].iter().collect::<String>().to_lowercase()
    }

    fn pick(m: &Mention, basis: Basis, factor: f64) -> ActorPick {
        ActorPick { name: m.canon.clone(), score: m.score * factor, basis }
    }

    /// The actor behind the money figure `fig_start..fig_end` of sentence `sentence`
    /// (`sent_start..sent_end`); `invests` is true for invest/acquire roles, where an investor
    /// named after the figure ("20 milliards de la part de Brookfield") is the one who spends.
    pub fn actor_for(&self, sentence: usize, sent_start: usize, sent_end: usize, fig_start: usize, fig_end: usize, invests: bool) -> Option<ActorPick> {
        self.actor_of(sentence, sent_start, sent_end, fig_start, fig_end, if invests { "invest" } else { "other" })
    }

    /// As [`Actors::actor_for`], by action group. A person is an actor only of money they invest
    /// or spend; the funders of a round ("auprès de X", "led by X") are never the one raising.
    pub fn actor_of(&self, sentence: usize, sent_start: usize, sent_end: usize, fig_start: usize, fig_end: usize, action: &str) -> Option<ActorPick> {
        let invests = matches!(action, "invest" | "acquire");
        let raises = action == "raise";
        let with_places: Vec<&Mention> = self.mentions.iter().filter(|m| m.sentence == sentence && (!raises || !m.funder) && (invests || m.label != "PER")).collect();
        let here: Vec<&Mention> = with_places.iter().copied().filter(|m| m.label != "LOC").collect();
        if invests {
            if let Some(m) = self.agent_after(&with_places, fig_end, sent_end) {
                return Some(Self::pick(m, Basis::Agent, 1.0));
            }
        }
        if let Some(m) = self.subject_before(&here, sent_start, fig_start) {
            return Some(Self::pick(m, Basis::Subject, 1.0));
        }
        if !invests && !raises {
            if let Some(m) = self.agent_after(&here, fig_end, sent_end) {
                return Some(Self::pick(m, Basis::Agent, 0.9));
            }
        }
        let head = self.lower(sent_start, fig_start);
        if LATTER.iter().any(|l| head.contains(l)) {
            // "Ce dernier": the last name of the sentence before.
            if let Some(m) = self.mentions.iter().filter(|m| m.label == "ORG" && m.sentence + 1 == sentence).max_by_key(|m| m.start) {
                return Some(Self::pick(m, Basis::Anaphor, 0.8));
            }
        }
        if let Some(org_only) = anaphor_in(&head) {
            if let Some(m) = self.antecedent(sentence, org_only || !invests, raises) {
                return Some(Self::pick(m, Basis::Anaphor, 0.8));
            }
        }
        if let Some(m) = here.iter().find(|m| m.start >= fig_end && !m.object).or_else(|| here.iter().find(|m| m.start >= fig_end)) {
            return Some(Self::pick(m, Basis::After, 0.7));
        }
        // "Un tour de table de 54 millions qui lui permettra…": the pronoun may follow the figure.
        if let Some(org_only) = anaphor_in(&self.lower(fig_end, sent_end)) {
            if let Some(m) = self.antecedent(sentence, org_only || !invests, raises) {
                return Some(Self::pick(m, Basis::Anaphor, 0.7));
            }
        }
        // No name, no pronoun and no article topic ("Se trata de un programa dotado con 7.500
        // millones"): the company of the sentence before, if it names one.
        let Some(topic) = self.topic.as_ref() else {
            return self.antecedent_within(sentence, 1).map(|m| Self::pick(m, Basis::Topic, 0.5));
        };
        let score = self.mentions.iter().filter(|m| &m.canon == topic).map(|m| m.score).fold(0.0, f64::max);
        Some(ActorPick { name: topic.clone(), score: score * 0.6, basis: Basis::Topic })
    }

    /// The funders named in a sentence ("auprès de Coatue et Temasek", "led by Thrive Capital,
    /// with participation from Microsoft"), canonical names in order, `except` left out.
    pub fn funders_in(&self, sentence: usize, except: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.mentions.iter().filter(|m| m.sentence == sentence && m.funder && m.label != "LOC" && m.canon != except) {
            if !out.contains(&m.canon) {
                out.push(m.canon.clone());
            }
        }
        out
    }

    /// Whether an investor is named right after the figure ("… auprès de Tencent").
    pub fn has_agent_after(&self, sentence: usize, fig_end: usize, sent_end: usize) -> bool {
        let here: Vec<&Mention> = self.mentions.iter().filter(|m| m.sentence == sentence).collect();
        self.agent_after(&here, fig_end, sent_end).is_some()
    }

    /// The last name before the figure in its clause, a subject over a complement; else the same
    /// over the whole sentence before the figure.
    fn subject_before<'a>(&self, here: &[&'a Mention], sent_start: usize, fig_start: usize) -> Option<&'a Mention> {
        let head = self.lower(sent_start, fig_start);
        let clause_start = CLAUSE_BREAKS.iter().filter_map(|b| head.rfind(b).map(|i| head[..i + b.len()].chars().count())).max().unwrap_or(0) + sent_start;
        let before: Vec<&&Mention> = here.iter().filter(|m| m.end <= fig_start).collect();
        let in_clause: Vec<&&Mention> = before.iter().copied().filter(|m| m.start >= clause_start).collect();
        // "Azure, le cloud de Microsoft, qui avait pris une participation de 15 millions": the
        // name a relative pronoun follows is the subject of the clause holding the figure.
        if let Some(m) = in_clause.iter().rev().find(|m| {
            let raw = self.lower(m.end, m.end + 9);
            let comma = raw.trim_start().starts_with(',');
            let after = raw.trim_start_matches([',', ' ']);
            RELATIVES.iter().any(|(r, needs_comma)| after.starts_with(r) && (comma || !needs_comma))
        }) {
            return Some(**m);
        }
        let best = |ms: &[&&'a Mention]| ms.iter().rev().find(|m| !m.object).or_else(|| ms.last()).map(|m| **m);
        best(&in_clause).or_else(|| before.iter().rev().find(|m| !m.object).map(|m| **m))
    }

    /// "… 20 milliards de la part du fonds canadien Brookfield": the first name (a state
    /// included) within a few words of an agent marker that follows the figure.
    fn agent_after<'a>(&self, here: &[&'a Mention], fig_end: usize, sent_end: usize) -> Option<&'a Mention> {
        let tail = self.lower(fig_end, sent_end.min(fig_end + 30));
        let at = AGENT_MARKERS.iter().filter_map(|m| tail.find(m).map(|i| tail[..i + m.len()].chars().count())).min()?;
        let from = fig_end + at;
        here.iter().find(|m| m.start >= from && m.start <= from + 45).copied()
    }

    /// The salient actor of the three preceding sentences: the first name of the nearest sentence
    /// whose first name is not a complement ("Ses clients incluent, dont Microsoft…" is skipped).
    fn antecedent(&self, sentence: usize, org_only: bool, skip_funders: bool) -> Option<&Mention> {
        for s in (sentence.saturating_sub(3)..sentence).rev() {
            let first = self.mentions.iter().filter(|m| m.sentence == s && m.label != "LOC" && !(skip_funders && m.funder) && (!org_only || m.label == "ORG")).min_by_key(|m| m.start);
            if let Some(m) = first.filter(|m| !m.object) {
                return Some(m);
            }
        }
        None
    }

    /// The first organisation of the `back` sentences before, funders and complements aside.
    fn antecedent_within(&self, sentence: usize, back: usize) -> Option<&Mention> {
        (sentence.saturating_sub(back)..sentence)
            .rev()
            .find_map(|s| self.mentions.iter().filter(|m| m.sentence == s && m.label == "ORG" && !m.funder && !m.object).min_by_key(|m| m.start))
    }
}

/// Character spans (in `lower`, the lowercased text) of the lists of funders that follow a
/// funder marker, up to the end of their clause and at most 160 characters.
fn funder_spans(lower: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for m in FUNDER_MARKERS {
        let mc: Vec<char> = m.chars().collect();
        if mc.len() > lower.len() {
            continue;
        }
        for i in 0..=lower.len() - mc.len() {
            if lower[i..i + mc.len()] != mc[..] || (i > 0 && lower[i - 1].is_alphanumeric()) {
                continue;
            }
            let from = i + mc.len();
            let window: String = lower[from..(from + 160).min(lower.len())].iter().collect();
            let end = FUNDER_LIST_ENDS.iter().filter_map(|e| window.find(e).map(|b| window[..b].chars().count())).min().unwrap_or(window.chars().count());
            out.push((from, from + end));
        }
    }
    out
}

/// Whether the words before a figure refer back to an actor: `Some(true)` for "la firme", "the
/// company" (an organisation), `Some(false)` for a pronoun (anyone), `None` when neither.
fn anaphor_in(head: &str) -> Option<bool> {
    let words: Vec<&str> = head.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-').filter(|w| !w.is_empty()).collect();
    let padded = format!(" {} ", words.join(" "));
    if NOMINAL_ANAPHORS.iter().any(|a| padded.contains(&format!(" {a} ")) || padded.contains(&format!(" {a}"))) {
        return Some(true);
    }
    if words.iter().any(|w| PRONOUNS.contains(w) || w.starts_with("qu'il") || w.starts_with("qu'elle")) {
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ent(text: &str, full: &str, label: &str, sentence: usize) -> EntityOut {
        let byte = full.find(text).unwrap();
        let start = full[..byte].chars().count();
        EntityOut { text: text.into(), label: label.into(), start, end: start + text.chars().count(), score: 0.9, sentence }
    }

    #[test]
    fn variants_share_a_canonical_name() {
        assert!(is_variant("Meta", "Meta Platforms", "ORG"));
        assert!(is_variant("Zuckerberg", "Mark Zuckerberg", "PER"));
        assert!(is_variant("AWS", "Amazon Web Services", "ORG"));
        assert!(is_variant("Nvidias", "Nvidia", "ORG"));
        assert!(is_variant("Sofbank", "Softbank", "ORG"));
        assert!(is_variant("AI", "Mistral AI", "ORG"), "a tagger fragment");
        assert!(!is_variant("Cloud", "Google Cloud", "ORG"));
        assert!(!is_variant("Microsoft", "Meta", "ORG"));
        assert_eq!(clean_name("Meta's"), "Meta");
        let t = "Meta Platforms annonce. Meta investit. Meta recrute.";
        let es: Vec<EntityOut> = t
            .match_indices("Meta")
            .enumerate()
            .map(|(i, (b, _))| {
                let text = if i == 0 { "Meta Platforms" } else { "Meta" };
                EntityOut { text: text.into(), label: "ORG".into(), start: b, end: b + text.len(), score: 0.9, sentence: i }
            })
            .collect();
        let a = Actors::new(&es, t);
        assert_eq!(a.variants("Meta"), vec!["Meta Platforms".to_string()]);
        assert_eq!(a.topic(), Some("Meta"));
    }

    #[test]
    fn a_chief_executive_named_often_leaves_the_company_the_topic() {
        // Meta four times, its chief executive three times: the company is still the topic.
        let t = "Meta investit. Zuckerberg parle. Meta recrute. Zuckerberg insiste. Meta paie. Zuckerberg répond. Meta vend.";
        let es: Vec<EntityOut> = ["Meta", "Zuckerberg"]
            .iter()
            .flat_map(|name| t.match_indices(name).map(move |(b, _)| (b, *name)))
            .map(|(b, name)| {
                let label = if name == "Meta" { "ORG" } else { "PER" };
                EntityOut { text: name.into(), label: label.into(), start: b, end: b + name.len(), score: 0.9, sentence: t[..b].matches('.').count() }
            })
            .collect();
        assert_eq!(Actors::new(&es, t).topic(), Some("Meta"));
    }

    #[test]
    fn subject_of_the_clause_not_the_first_name() {
        let t = "Google Cloud a publié 15 milliards, tandis que Microsoft a déclaré 49 milliards.";
        let es = vec![ent("Google Cloud", t, "ORG", 0), ent("Microsoft", t, "ORG", 0)];
        let a = Actors::new(&es, t);
        let at = t.find("49").unwrap();
        let fs = t[..at].chars().count();
        let p = a.actor_for(0, 0, t.chars().count(), fs, fs + 12, false).unwrap();
        assert_eq!((p.name.as_str(), p.basis), ("Microsoft", Basis::Subject));
        let t = "Amazon's cloud revenue rose to $33 billion, while Microsoft reported $49 billion.";
        let es = vec![ent("Amazon's", t, "ORG", 0), ent("Microsoft", t, "ORG", 0)];
        let a = Actors::new(&es, t);
        let fs = t[..t.find("$33").unwrap()].chars().count();
        assert_eq!(a.actor_for(0, 0, t.chars().count(), fs, fs + 11, false).unwrap().name, "Amazon");
    }

    #[test]
    fn investor_named_after_the_figure() {
        let t = "Ce montant inclut 20 milliards de la part du fonds canadien Brookfield.";
        let es = vec![ent("Brookfield", t, "ORG", 0)];
        let a = Actors::new(&es, t);
        let fs = t[..t.find("20").unwrap()].chars().count();
        let p = a.actor_for(0, 0, t.chars().count(), fs, fs + 12, true).unwrap();
        assert_eq!((p.name.as_str(), p.basis), ("Brookfield", Basis::Agent));
    }

    #[test]
    fn anaphora_and_sources() {
        let t = "Le tour est conduit par Softbank, qui a investi dans OpenAI. Le conglomérat apportera 10 milliards. Selon CNBC, la firme paiera 2 milliards.";
        let es = vec![ent("Softbank", t, "ORG", 0), ent("OpenAI", t, "ORG", 0), ent("CNBC", t, "ORG", 2)];
        let a = Actors::new(&es, t);
        let s1 = t[..t.find("Le conglomérat").unwrap()].chars().count();
        let f1 = t[..t.find("10 milliards").unwrap()].chars().count();
        let p = a.actor_for(1, s1, f1 + 20, f1, f1 + 12, true).unwrap();
        assert_eq!((p.name.as_str(), p.basis), ("Softbank", Basis::Anaphor));
        // "Selon CNBC": the source is never the actor.
        let s2 = t[..t.find("Selon").unwrap()].chars().count();
        let f2 = t[..t.find("2 milliards").unwrap()].chars().count();
        let p = a.actor_for(2, s2, t.chars().count(), f2, f2 + 11, false);
        assert_ne!(p.map(|p| p.name), Some("CNBC".to_string()));
        // English: "the company".
        let t = "Microsoft beat forecasts. The company said Azure sales surpassed $75 billion.";
        let es = vec![ent("Microsoft", t, "ORG", 0)];
        let a = Actors::new(&es, t);
        let s1 = t[..t.find("The company").unwrap()].chars().count();
        let f1 = t[..t.find("$75").unwrap()].chars().count();
        assert_eq!(a.actor_for(1, s1, t.chars().count(), f1, f1 + 11, false).unwrap().name, "Microsoft");
    }
}
