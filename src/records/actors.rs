//! Actors of a document: companies, people and states named in it, grouped so that name
//! variants ("Meta", "Meta Platforms"; "Mark Zuckerberg", "Zuckerberg") share one canonical name.

use crate::output::EntityOut;

pub struct Actors {
    /// (sentence, start, canonical name, score) for every ORG/PER mention, in text order.
    mentions: Vec<(usize, usize, String, f64)>,
    /// canonical name -> variants seen
    groups: Vec<(String, Vec<String>)>,
}

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| t.to_lowercase()).collect()
}

fn is_variant(short: &str, long: &str) -> bool {
    let (a, b) = (tokens(short), tokens(long));
    !a.is_empty() && a.len() <= b.len() && a.iter().all(|t| b.contains(t))
}

impl Actors {
    pub fn new(entities: &[EntityOut], _text: &str) -> Actors {
        let names: Vec<(&EntityOut, String)> = entities
            .iter()
            .filter(|e| e.label == "ORG" || e.label == "PER")
            .map(|e| (e, e.text.trim().trim_end_matches(['.', ',']).to_string()))
            .filter(|(_, n)| !n.is_empty())
            .collect();
        let mut groups: Vec<(String, Vec<String>, &str)> = Vec::new();
        for (e, n) in &names {
            match groups.iter_mut().find(|(_, vs, label)| *label == e.label && vs.iter().any(|v| is_variant(v, n) || is_variant(n, v))) {
                Some((_, vs, _)) => {
                    if !vs.contains(n) {
                        vs.push(n.clone());
                    }
                }
                None => groups.push((n.clone(), vec![n.clone()], e.label.as_str())),
            }
        }
        // Canonical: the shortest name for organisations ("Meta"), the fullest for people.
        let groups: Vec<(String, Vec<String>)> = groups
            .into_iter()
            .map(|(_, vs, label)| {
                let canon = if label == "PER" {
                    vs.iter().max_by_key(|v| v.chars().count()).cloned()
                } else {
                    vs.iter().min_by_key(|v| v.chars().count()).cloned()
                }
                .unwrap_or_default();
                (canon, vs)
            })
            .collect();
        let mentions = names
            .iter()
            .map(|(e, n)| {
                let canon = groups.iter().find(|(_, vs)| vs.contains(n)).map(|(c, _)| c.clone()).unwrap_or_else(|| n.clone());
                (e.sentence, e.start, canon, e.score)
            })
            .collect();
        Actors { mentions, groups }
    }

    pub fn variants(&self, canonical: &str) -> Vec<String> {
        self.groups.iter().find(|(c, _)| c == canonical).map(|(_, vs)| vs.iter().filter(|v| *v != canonical).cloned().collect()).unwrap_or_default()
    }

    /// The actor behind a figure at `fig_start` in sentence `sentence`: the first name in the
    /// sentence before the figure (the subject), else the first after it, else the last actor of
    /// the three preceding sentences (anaphora: "le groupe", "the company", "il").
    pub fn actor_for(&self, sentence: usize, fig_start: usize, _sent_start: usize) -> Option<(String, f64)> {
        let here: Vec<_> = self.mentions.iter().filter(|m| m.0 == sentence).collect();
        if let Some(m) = here.iter().find(|m| m.1 < fig_start).or_else(|| here.first()) {
            return Some((m.2.clone(), m.3));
        }
        self.mentions
            .iter()
            .rev()
            .find(|m| m.0 < sentence && sentence - m.0 <= 3)
            .map(|m| (m.2.clone(), m.3 * 0.8))
    }
}
