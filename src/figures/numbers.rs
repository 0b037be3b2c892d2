//! Numbers: digits (already valued by the tokenizer) and numbers written in words in FR/EN/ES/DE,
//! plus the scale words that follow them ("milliards", "bn", "Mrd.", "mil millones").

use crate::lang::Lang;

use super::grammar::G;
use super::lex::TK;
use super::lexicon::{self, NW, DE, ES, S_APPROX, S_CUR, S_THOUSAND};

pub struct NumRead {
    pub val: f64,
    pub end: usize,
    /// "un", "a", "eine": a number only when a scale or multiplier follows.
    pub one_only: bool,
    pub word: bool,
}

pub struct Scale {
    pub mult: f64,
    pub end: usize,
    pub approx: bool,
    /// Needs a currency in the figure to be a scale ("5m", "3k").
    pub needs_cur: bool,
}

fn role(g: &G, i: usize) -> Option<(u32, NW)> {
    let k = g.key(i)?;
    let l = lexicon::lex();
    l.numwords.get(k)?.iter().find(|(_, _, m)| m & g.m != 0).map(|&(v, r, _)| (v, r))
}

/// German compound number words ("siebenundzwanzig", "zweihundert", "dreitausend").
pub fn de_number(s: &str) -> Option<u64> {
    fn small(s: &str) -> Option<u64> {
        let units = [("eins", 1), ("ein", 1), ("zwei", 2), ("drei", 3), ("vier", 4), ("fünf", 5), ("sechs", 6),
            ("sieben", 7), ("acht", 8), ("neun", 9)];
        let direct = [("zehn", 10), ("elf", 11), ("zwölf", 12), ("dreizehn", 13), ("vierzehn", 14),
            ("fünfzehn", 15), ("sechzehn", 16), ("siebzehn", 17), ("achtzehn", 18), ("neunzehn", 19),
            ("zwanzig", 20), ("dreißig", 30), ("dreissig", 30), ("vierzig", 40), ("fünfzig", 50), ("sechzig", 60),
            ("siebzig", 70), ("achtzig", 80), ("neunzig", 90)];
        if s.is_empty() {
            return Some(0);
        }
        if let Some(&(_, v)) = units.iter().chain(direct.iter()).find(|(w, _)| *w == s) {
            return Some(v);
        }
        let (u, t) = s.split_once("und")?;
        let u = units.iter().find(|(w, _)| *w == u)?.1;
        let t = direct.iter().find(|(w, v)| *w == t && *v >= 20)?.1;
        Some(u + t)
    }
    fn below_thousand(s: &str) -> Option<u64> {
        match s.find("hundert") {
            Some(p) => {
                let h = if p == 0 { 1 } else { small(&s[..p]).filter(|&v| v < 10)? };
                Some(h * 100 + small(&s[p + "hundert".len()..])?)
            }
            None => small(s),
        }
    }
    if s.len() < 4 {
        return None;
    }
    let v = match s.find("tausend") {
        Some(p) => {
            let t = if p == 0 { 1 } else { below_thousand(&s[..p])? };
            t * 1000 + below_thousand(&s[p + "tausend".len()..])?
        }
        None => below_thousand(s)?,
    };
    (v > 0).then_some(v)
}

impl<'a> G<'a> {
    /// A German compound number word at token i (only tried for unknown words).
    pub fn de_compound(&self, i: usize) -> Option<u64> {
        let t = self.tok(i)?;
        if t.kind != TK::Word || t.e - t.s < 7 {
            return None;
        }
        let w = self.txt(i);
        let lw = w.to_lowercase();
        if !(lw.ends_with("zig") || lw.ends_with("ßig") || lw.ends_with("hundert") || lw.ends_with("tausend") || lw.ends_with("zehn")) {
            return None;
        }
        de_number(&lw)
    }

    /// The number starting at token i: digits or words.
    pub fn number(&self, i: usize) -> Option<NumRead> {
        let t = self.tok(i)?;
        match t.kind {
            TK::Num => {
                if t.ord || t.zero {
                    return None;
                }
                Some(NumRead { val: t.val, end: i + 1, one_only: false, word: false })
            }
            TK::Word => self.word_number(i),
            _ => None,
        }
    }

    fn word_number(&self, i: usize) -> Option<NumRead> {
        let mut total: u64 = 0;
        let mut cur: u64 = 0;
        let mut n = 0;
        let mut j = i;
        let mut first_one = false;
        loop {
            let (v, r) = match role(self, j) {
                Some(x) => x,
                None => match (self.m & DE != 0).then(|| self.de_compound(j)).flatten() {
                    Some(v) => (v.min(u32::MAX as u64) as u32, NW::Add),
                    None => break,
                },
            };
            let v = v as u64;
            let ok = match r {
                NW::Add | NW::One => {
                    let lo = cur % 100;
                    if n == 0 || lo == 0 {
                        cur += v;
                        true
                    } else if lo >= 20 && lo % 10 == 0 && v < 10 {
                        cur += v;
                        true
                    } else if (lo == 60 || lo == 80) && (10..20).contains(&v) {
                        cur += v;
                        true
                    } else if lo == 4 && v == 20 {
                        // quatre-vingt(s)
                        cur += 76;
                        true
                    } else {
                        false
                    }
                }
                NW::Hundred => {
                    if cur < 100 && (cur < 10 || self.m & lexicon::EN != 0) {
                        cur = cur.max(1) * 100;
                        true
                    } else {
                        false
                    }
                }
                NW::Thousand => {
                    if total == 0 && cur < 1000 {
                        total = cur.max(1) * 1000;
                        cur = 0;
                        true
                    } else {
                        false
                    }
                }
            };
            if !ok {
                break;
            }
            if n == 0 {
                first_one = r == NW::One;
            }
            n += 1;
            j += 1;
            // Joiners inside a number: hyphens, and "et"/"and"/"y" where the language puts them.
            let next_role = |x: usize| role(self, x);
            if self.p(j, '-') && self.gap(j) == 0 && self.gap(j + 1) == 0 && next_role(j + 1).is_some() {
                j += 1;
            } else if self.near(j) && self.near(j + 1) {
                let lo = cur % 100;
                let joined = match self.key(j) {
                    Some("et") => lo >= 20 && lo % 10 == 0 && matches!(self.key(j + 1), Some("un") | Some("une") | Some("onze")),
                    Some("and") => (r == NW::Hundred || r == NW::Thousand) && matches!(next_role(j + 1), Some((_, NW::Add))),
                    Some("y") => self.m & ES != 0 && lo >= 30 && lo % 10 == 0 && matches!(next_role(j + 1), Some((v, _)) if v < 10),
                    _ => false,
                };
                if joined {
                    j += 1;
                }
            }
            if !self.near(j) {
                break;
            }
        }
        if n == 0 {
            return None;
        }
        // A trailing joiner we consumed without a number after it: step back.
        while j > i + 1 && (self.p(j - 1, '-') || matches!(self.key(j - 1), Some("et") | Some("and") | Some("y"))) && role(self, j - 1).is_none() {
            j -= 1;
        }
        Some(NumRead { val: (total + cur) as f64, end: j, one_only: n == 1 && first_one, word: true })
    }

    /// A scale word at token i ("milliards", "Md", "bn", "Mrd.", "mil millones").
    pub fn scale(&self, i: usize, after_num: usize) -> Option<Scale> {
        if !self.near(i) {
            return None;
        }
        let k = self.key(i)?;
        let &(mut mult, flags) = lexicon::lex().scales.get(k)?;
        let txt = self.txt(i);
        let glued = self.gap(i) == 0;
        // Lone letters are scales only in their usual case, glued or right after the number.
        match k {
            "m" | "b" | "k" | "t" => {}
            "g" if txt != "G" => return None,
            _ => {}
        }
        if flags & S_CUR != 0 && i != after_num {
            return None;
        }
        let _ = glued;
        match k {
            "billion" | "billions" if matches!(self.lang, Lang::Fr | Lang::De) => mult = 1e12,
            "trillion" | "trillions" if matches!(self.lang, Lang::Fr | Lang::De) => mult = 1e18,
            "mil" if self.m & ES == 0 => return None,
            "mille" if self.m & lexicon::FR == 0 => return None,
            _ => {}
        }
        let mut end = i + 1;
        // German and French abbreviations take a full stop: "4,2 Mrd. Dollar".
        if matches!(k, "mrd" | "mrds" | "mio" | "mios" | "tsd" | "md" | "mds") && self.p(end, '.') && self.gap(end) == 0 {
            end += 1;
        }
        // "mil millones" = 10^9, "mille milliards" = 10^12.
        if flags & S_THOUSAND != 0 {
            if let Some(k2) = self.key(end).filter(|_| self.near(end)) {
                if let Some(&(m2, f2)) = lexicon::lex().scales.get(k2) {
                    if m2 >= 1e6 && f2 == 0 {
                        mult *= m2;
                        end += 1;
                    }
                }
            }
        }
        Some(Scale { mult, end, approx: flags & S_APPROX != 0, needs_cur: flags & S_CUR != 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_compounds() {
        assert_eq!(de_number("siebenundzwanzig"), Some(27));
        assert_eq!(de_number("zweihundert"), Some(200));
        assert_eq!(de_number("dreitausendvierhundertzwölf"), Some(3412));
        assert_eq!(de_number("hundertfünfzig"), None.or(Some(150)));
        assert_eq!(de_number("zwanzig"), Some(20));
        assert_eq!(de_number("zusammen"), None);
    }
}
