//! Quantities: [approximation] [range opener] [sign] [currency] NUMBER [scale] [currency | percent |
//! counted noun | unit], and ranges of two of them ("entre 60 et 65 milliards de dollars").

use super::grammar::{Raw, G};
use super::lex::TK;
use super::lexicon::{self, APPROX, DE, EN, ES, FR};
use super::{Bound, FigureKind};

#[derive(Debug, Clone)]
struct Q {
    s: usize,
    num: usize,
    e: usize,
    val: f64,
    scale: Option<f64>,
    scale_approx: bool,
    cur: Option<&'static str>,
    pct: Option<&'static str>,
    noun: Option<String>,
    unit: Option<String>,
    /// Scaled, then "de"/"of" + a word that is none of the above ("3 millions de tonnes"...).
    of_other: bool,
    one_only: bool,
    year: bool,
    /// The currency was written after the number ("500 €"), so the number is complete.
    cur_after: bool,
}

impl Q {
    fn value(&self) -> f64 {
        self.val * self.scale.unwrap_or(1.0)
    }
    fn kind(&self) -> Option<(FigureKind, bool)> {
        if self.one_only && self.scale.is_none() {
            return None;
        }
        if self.pct.is_some() {
            return Some((FigureKind::Percent, false));
        }
        if self.cur.is_some() {
            return Some((FigureKind::Money, false));
        }
        if self.noun.is_some() {
            return Some((FigureKind::Count, false));
        }
        if self.unit.is_some() {
            return Some((FigureKind::Number, false));
        }
        if self.scale.is_some() && !self.scale_approx {
            if self.of_other {
                return Some((FigureKind::Number, false));
            }
            return Some((FigureKind::Money, true));
        }
        None
    }
}

struct Ranged {
    q: Q,
    lo: f64,
    hi: f64,
    start: usize,
    kind: (FigureKind, bool),
}

const PERCENT: &[(&[&str], &str)] = &[
    (&["points", "de", "pourcentage"], "pp"), (&["point", "de", "pourcentage"], "pp"),
    (&["percentage", "points"], "pp"), (&["percentage", "point"], "pp"), (&["puntos", "porcentuales"], "pp"),
    (&["punto", "porcentual"], "pp"), (&["prozentpunkte"], "pp"), (&["prozentpunkt"], "pp"), (&["pp"], "pp"),
    (&["pour", "cent"], "%"), (&["percent"], "%"), (&["per", "cent"], "%"), (&["por", "ciento"], "%"),
    (&["prozent"], "%"), (&["pct"], "%"),
];

impl<'a> G<'a> {
    fn sign_at(&self, j: usize) -> Option<f64> {
        let t = self.tok(j)?;
        if t.kind != TK::Punct || !(t.ch == '+' || t.ch == '-') {
            return None;
        }
        if self.gap(j + 1) != 0 || self.kind(j + 1) != Some(TK::Num) {
            return None;
        }
        // "60-65" and "GPT-4" are not signs: the sign must start a word.
        let starts = j == 0 || t.gap > 0 || matches!(self.k[j - 1].kind, TK::Punct) && !matches!(self.k[j - 1].ch, '-' | '/' | '.' | ',');
        if !starts {
            return None;
        }
        Some(if t.ch == '-' { -1.0 } else { 1.0 })
    }

    /// Parses a quantity whose first token is s. Does not look for ranges.
    fn q_forward(&self, s: usize) -> Option<Q> {
        let mut j = s;
        let mut sign = 1.0;
        let mut cur = None;
        if let Some(sg) = self.sign_at(j) {
            sign = sg;
            j += 1;
        } else if let Some((c, e)) = self.cur_prefix(j) {
            if self.gap(e) > 1 {
                return None;
            }
            cur = Some(c);
            j = e;
            if let Some(sg) = self.sign_at(j) {
                sign = sg;
                j += 1;
            }
        }
        let num = j;
        let nr = self.number(j)?;
        if nr.word && cur.is_some() {
            return None;
        }
        let year = !nr.word && self.k[num].year().is_some() && sign > 0.0 && cur.is_none() && j == s;
        let mut q = Q {
            s, num, e: nr.end, val: nr.val * sign, scale: None, scale_approx: false, cur, pct: None, noun: None,
            unit: None, of_other: false, one_only: nr.one_only, year, cur_after: false,
        };
        let mut k = nr.end;
        // Scale, possibly after a hyphen in English ("$500-billion").
        let sc = self
            .scale(k, nr.end)
            .or_else(|| (cur.is_some() && self.p(k, '-') && self.gap(k) == 0 && self.gap(k + 1) == 0).then(|| self.scale(k + 1, k + 1)).flatten());
        if let Some(sc) = sc {
            let ok = !sc.needs_cur || cur.is_some() || self.cur_suffix(sc.end).map_or(false, |(_, e)| e == sc.end + 1 && self.gap(sc.end) == 0 || self.kind(sc.end) == Some(TK::Word) && self.txt(sc.end).len() == 3);
            // "t"/"b" alone are too ambiguous without a currency before them.
            let letter = matches!(self.key(sc.end - 1), Some("t") | Some("b") | Some("g")) && self.txt(sc.end - 1) != "G";
            if ok && !(letter && cur.is_none()) && !(nr.word && sc.needs_cur) {
                q.scale = Some(sc.mult);
                q.scale_approx = sc.approx;
                q.one_only = false;
                k = sc.end;
            }
        }
        q.e = k;
        // "80 cents", "45 Cent", "85 centimes", "13 pence": a hundredth of the main unit.
        if q.scale.is_none() && q.cur.is_none() && !nr.word && self.near(k) && self.gap(k) > 0 {
            if let Some((c, e)) = self.subunit(k) {
                q.val /= 100.0;
                q.cur = Some(c);
                q.cur_after = true;
                q.e = e;
                return Some(q);
            }
        }
        if q.one_only {
            // Only "un cent"/"a hundred" style readings already handled; "un" alone is not a number.
            return Some(q);
        }
        // What follows: currency, percent, noun, unit.
        if let Some((c, e)) = self.cur_suffix(k) {
            // A "de dollars" needs a scale or a bare number with no "de" ("5 dollars").
            if q.cur.is_none() || q.cur == Some(c) {
                q.cur_after = q.cur.is_none();
                q.cur = Some(c);
                q.e = e;
                return Some(q);
            }
        }
        if q.cur.is_some() {
            return Some(q);
        }
        if self.near(k) {
            if self.p(k, '%') && self.gap(k) <= 1 {
                q.pct = Some("%");
                q.e = k + 1;
                return Some(q);
            }
            // "‰" is not a percent; left alone.
            for (words, u) in PERCENT {
                if let Some(e) = self.seq(k, words) {
                    q.pct = Some(u);
                    q.e = e;
                    return Some(q);
                }
            }
            if self.is(k, "pour") && self.near(k + 1) && self.kind(k + 1) == Some(TK::Num) && self.txt(k + 1) == "100" {
                q.pct = Some("%");
                q.e = k + 2;
                return Some(q);
            }
        }
        if let Some((e, noun)) = self.count_noun(&q, k) {
            q.noun = Some(noun);
            q.e = e;
            return Some(q);
        }
        if self.near(k) {
            if let Some(u) = self.key(k).filter(|u| lexicon::lex().units.contains(u)) {
                q.unit = Some(self.txt(k).to_string());
                let _ = u;
                q.e = k + 1;
                return Some(q);
            }
        }
        if q.scale.is_some() && self.near(k) && (self.is(k, "de") || self.is(k, "of") || self.is(k, "d") && self.p(k + 1, '\'')) {
            let w = if self.is(k, "d") { k + 2 } else { k + 1 };
            // "3 millions de tonnes"
            if self.near(w) && self.key(w).map_or(false, |u| lexicon::lex().units.contains(u)) {
                q.unit = Some(self.txt(w).to_string());
                q.e = w + 1;
                return Some(q);
            }
            // "de revenus" keeps it money; "de la part", "de moins" are not a noun after the amount.
            let content = match self.kind(w) {
                Some(TK::Word) => self.key(w).is_none() && !lexicon::is_money_noun(&self.lower(w)),
                Some(TK::Alnum) => true,
                _ => false,
            };
            q.of_other = content;
        }
        Some(q)
    }

    /// A currency's hundredth written after a number, by language, with its end: "cents",
    /// "euro cents", "Cent", "centimes", "céntimos", "pence". French "cents" stays out, where
    /// it is also the numeral "hundreds".
    fn subunit(&self, k: usize) -> Option<(&'static str, usize)> {
        let has = |l: u8| self.m & l != 0;
        let w = self.lower(k);
        // "9 euro cents", "20 US cents"
        if has(EN) && matches!(w.as_str(), "euro" | "us") && self.near(k + 1) && matches!(self.lower(k + 1).as_str(), "cent" | "cents") {
            return Some((if w == "euro" { "EUR" } else { "USD" }, k + 2));
        }
        let c = match w.as_str() {
            "centime" | "centimes" if has(FR) => "EUR",
            "céntimo" | "céntimos" if has(ES) => "EUR",
            "cent" | "cents" if has(DE) && !has(EN) => "EUR",
            "cent" | "cents" if has(EN) => "USD",
            "pence" | "penny" if has(EN) => "GBP",
            _ => return None,
        };
        Some((c, k + 1))
    }

    /// The counted thing after a number: "salariés", "de GPU", "Nvidia H100 chips", "H100".
    fn count_noun(&self, q: &Q, k: usize) -> Option<(usize, String)> {
        let mut j = k;
        if !self.near(j) || self.gap(j) == 0 && self.kind(j) == Some(TK::Word) && q.scale.is_none() {
            return None;
        }
        if q.scale.is_some() {
            if self.is(j, "de") || self.is(j, "of") {
                j += 1;
            } else if self.is(j, "d") && self.p(j + 1, '\'') {
                j += 2;
            }
        }
        let small_model = !q.year
            && q.scale.is_none()
            && q.num > 0
            && self.gap(q.num) == 1
            && self.kind(q.num - 1) == Some(TK::Word)
            && self.is_cap(q.num - 1)
            && q.s == q.num;
        let mut brand = false;
        for _ in 0..3 {
            if !self.near(j) {
                return None;
            }
            let t = self.tok(j)?;
            if t.kind == TK::Word {
                if let Some(x) = self.noun_at(j) {
                    return Some(x);
                }
                if t.key.map_or(false, |k| lexicon::lex().adj.contains(k)) {
                    j += 1;
                    continue;
                }
            }
            // Product-like: "H100", "GPU", "PME"; a known noun right after wins ("H100 chips").
            if !q.year && !small_model && self.product_like(j) {
                if let Some(x) = self.noun_at(j + 1).filter(|_| self.near(j + 1)) {
                    return Some(x);
                }
                let w = self.txt(j);
                let w = w.strip_suffix('s').filter(|s| s.len() >= 2 && s.chars().all(|c| c.is_ascii_uppercase())).unwrap_or(w);
                return Some((j + 1, w.to_string()));
            }
            // A capitalised brand before the noun: "350,000 Nvidia H100 chips".
            if !brand && !q.year && t.kind == TK::Word && self.is_cap(j) && t.key.is_none() {
                brand = true;
                j += 1;
                continue;
            }
            return None;
        }
        None
    }

    fn product_like(&self, j: usize) -> bool {
        let w = self.txt(j);
        match self.kind(j) {
            Some(TK::Alnum) => {
                let mut up = false;
                let mut dig = false;
                for c in w.chars() {
                    up |= c.is_ascii_uppercase();
                    dig |= c.is_ascii_digit();
                }
                w.chars().next().map_or(false, |c| c.is_ascii_uppercase()) && up && dig && w.len() <= 10
            }
            Some(TK::Word) => {
                let core = w.strip_suffix('s').unwrap_or(w);
                (2..=6).contains(&core.len())
                    && core.chars().all(|c| c.is_ascii_uppercase())
                    && self.key(j).map_or(true, |k| !lexicon::lex().units.contains(k) && !lexicon::lex().currency.contains_key(k))
                    && !matches!(core, "US" | "UE" | "EU" | "PIB" | "GDP" | "CA" | "IA" | "AI" | "PDG" | "CEO" | "T" | "Q" | "H" | "S" | "UK" | "USA")
            }
            _ => false,
        }
    }

    fn noun_at(&self, j: usize) -> Option<(usize, String)> {
        let t = self.tok(j)?;
        if t.kind != TK::Word {
            return None;
        }
        let lw = self.lower(j);
        // Hyphenated compounds: "start-up", "scale-ups".
        if self.p(j + 1, '-') && self.gap(j + 1) == 0 && self.gap(j + 2) == 0 && self.kind(j + 2) == Some(TK::Word) {
            let joined = format!("{lw}-{}", self.lower(j + 2));
            if let Some(s) = lexicon::count_noun(&joined) {
                return Some((j + 3, s.to_string()));
            }
        }
        for (head, tail, unit) in lexicon::COUNT_PHRASES {
            if *head == lw {
                let mut e = j + 1;
                let mut ok = true;
                for w in tail.iter() {
                    if self.near(e) && self.lower(e) == *w {
                        e += 1;
                    } else {
                        ok = false;
                        break;
                    }
                }
                if ok {
                    return Some((e, unit.to_string()));
                }
            }
        }
        let s = lexicon::count_noun(&lw)?;
        let mut unit = s.to_string();
        // Keep the capital of German nouns and of a noun written capitalised mid-sentence.
        if s.chars().next().map_or(false, |c| c.is_lowercase()) && self.is_cap(j) && (self.m & DE != 0) {
            let mut c = s.chars();
            unit = c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default();
        }
        Some((j + 1, unit))
    }

    /// Tries a range after `a`: "60 à 65 M€", "60-65 milliards", "entre 60 et 65" (opener before a).
    fn range(&self, a: &Q, floor: usize) -> Option<Ranged> {
        let c = a.e;
        if !self.near(c) || !self.near(c + 1) {
            return None;
        }
        if a.one_only && a.scale.is_none() {
            return None;
        }
        let conn = if self.p(c, '-') {
            if self.gap(c) != 0 || self.gap(c + 1) != 0 {
                return None;
            }
            "-"
        } else {
            match self.key(c)? {
                k @ ("à" | "to" | "bis" | "et" | "and" | "und" | "hasta") => k,
                "y" if self.m & ES != 0 => "y",
                "a" if self.m & ES != 0 => "a",
                _ => return None,
            }
        };
        // The opener right before the first number (or its currency).
        let before = a.s;
        let open = |w: &[&str]| self.seq_back(before, floor, w);
        let opener: Option<usize> = match conn {
            "et" => open(&["entre"]),
            "y" => open(&["entre"]),
            "and" => open(&["between"]),
            "und" => open(&["zwischen"]),
            "à" => open(&["de"]).or_else(|| open(&["d", "'"])).or_else(|| open(&["entre"])),
            "a" => open(&["de"]).or_else(|| open(&["desde"])).or_else(|| open(&["entre"])),
            "to" => open(&["from"]),
            "bis" => open(&["von"]),
            "hasta" => open(&["desde"]).or_else(|| open(&["de"])),
            _ => None,
        };
        if opener.is_none() && matches!(conn, "et" | "and" | "und" | "y" | "hasta") {
            return None;
        }
        let b = self.q_forward(c + 1)?;
        if b.one_only && b.scale.is_none() {
            return None;
        }
        // The ends share the scale and unit written once.
        let av = match (a.scale, b.scale) {
            (None, Some(s)) if !a.cur_after && a.pct.is_none() => a.val * s,
            _ => a.value(),
        };
        let bv = b.value();
        if !(av < bv) {
            return None;
        }
        if a.cur.is_some() && b.cur.is_some() && a.cur != b.cur {
            return None;
        }
        if a.pct.is_some() && b.pct.is_some() && a.pct != b.pct {
            return None;
        }
        // "rose 10% to $187.8 billion" is a change and a level, not a range.
        if (a.pct.is_some() && b.cur.is_some()) || (a.cur.is_some() && b.pct.is_some()) {
            return None;
        }
        if a.noun.is_some() || a.unit.is_some() && b.unit.is_none() {
            return None;
        }
        let mut m = b.clone();
        m.s = a.s;
        m.num = a.num;
        m.cur = a.cur.or(b.cur);
        m.pct = a.pct.or(b.pct);
        m.year = false;
        let kind = m.kind();
        // Bare connectors link only figures with something to say ("2 à 3" alone is nothing).
        if opener.is_none() && kind.is_none() {
            return None;
        }
        let kind = kind?;
        Some(Ranged { q: m, lo: av, hi: bv, start: opener.unwrap_or(a.s), kind })
    }

    fn approx_before(&self, s: usize, floor: usize) -> Option<(usize, Option<Bound>)> {
        let mut best: Option<(usize, Option<Bound>)> = None;
        for (words, bound, langs) in APPROX {
            if langs & self.m == 0 {
                continue;
            }
            if let Some(st) = self.seq_back(s, floor, words) {
                if best.map_or(true, |(b, _)| st < b) {
                    best = Some((st, *bound));
                }
            }
        }
        best
    }

    /// A quantity anchored at the number token i (a currency or sign may sit just before it).
    pub fn quantity(&self, i: usize, floor: usize) -> Option<Raw> {
        // Start at a currency/sign before the number when there is one.
        let mut a = None;
        for back in (1..=2).rev() {
            if i >= floor + back {
                if let Some(q) = self.q_forward(i - back).filter(|q| q.num == i) {
                    a = Some(q);
                    break;
                }
            }
        }
        let a = match a {
            Some(q) => q,
            None => self.q_forward(i)?,
        };
        let (q, start, lo, hi, (kind, pending)) = match self.range(&a, floor) {
            Some(r) => (r.q, r.start, r.lo, r.hi, r.kind),
            None => {
                let k = a.kind()?;
                let v = a.value();
                (a.clone(), a.s, v, v, k)
            }
        };
        let (start, approx_bound) = match self.approx_before(start, floor) {
            Some((st, b)) => (st, Some(b)),
            None => (start, None),
        };
        let _ = (EN, FR);
        let unit = match kind {
            FigureKind::Money => q.cur.map(|c| c.to_string()),
            FigureKind::Percent => q.pct.map(|c| c.to_string()),
            FigureKind::Count => q.noun.clone(),
            FigureKind::Number => q.unit.clone(),
            FigureKind::Period => None,
        };
        if !lo.is_finite() || !hi.is_finite() {
            return None;
        }
        Some(Raw {
            s: start,
            e: q.e,
            kind,
            min: Some(lo.min(hi)),
            max: Some(lo.max(hi)),
            unit,
            approx: approx_bound.is_some() || q.scale_approx,
            bound: approx_bound.flatten(),
            period: None,
            pending,
        })
    }
}
