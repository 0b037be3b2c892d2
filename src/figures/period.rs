//! Periods: years, year ranges, quarters, halves, months, dates, and relative years resolved
//! against the publication date.

use chrono::{Datelike, NaiveDate};

use super::grammar::{Raw, G};
use super::lex::TK;
use super::lexicon;
use super::{FigureKind, Period};

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_end(y: i32, m: u32) -> Option<NaiveDate> {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1)?.pred_opt()
}

fn span(y: i32, m0: u32, m1: u32, gran: &str, relative: bool) -> Option<Period> {
    Some(Period { start: ymd(y, m0, 1)?, end: month_end(y, m1)?, granularity: gran.to_string(), relative })
}

pub fn quarter(y: i32, q: u32) -> Option<Period> {
    if !(1..=4).contains(&q) {
        return None;
    }
    span(y, q * 3 - 2, q * 3, "quarter", false)
}

pub fn half(y: i32, h: u32) -> Option<Period> {
    if !(1..=2).contains(&h) {
        return None;
    }
    span(y, h * 6 - 5, h * 6, "half", false)
}

impl<'a> G<'a> {
    pub fn period_anchor(&self, k: &str) -> bool {
        let l = lexicon::lex();
        l.months.contains_key(k)
            || l.ordinals.contains_key(k)
            || matches!(k, "an" | "année" | "annee" | "year" | "año" | "jahr")
    }

    fn raw(&self, s: usize, e: usize, p: Period) -> Raw {
        Raw { s, e, kind: FigureKind::Period, min: None, max: None, unit: None, approx: false, bound: None, period: Some(p), pending: false }
    }

    fn pub_year(&self) -> Option<i32> {
        self.ctx.published.map(|d| d.year())
    }

    /// A year token at j (4 digits, 1900..2100) that is not glued to an identifier or a path.
    fn year_at(&self, j: usize) -> Option<i32> {
        self.year_at2(j, false)
    }

    /// `after_dash`: the second year of "2024-2026" may follow its dash.
    fn year_at2(&self, j: usize, after_dash: bool) -> Option<i32> {
        let t = self.tok(j)?;
        let y = t.year()?;
        if t.gap == 0 && j > 0 && !(after_dash && self.p(j - 1, '-')) {
            let p = &self.k[j - 1];
            if p.kind != TK::Punct || matches!(p.ch, '/' | '_' | '.' | '#' | '=' | ':' | '-' | '$' | '€' | '£' | '+' | '@' | '&' | '?') {
                return None;
            }
        }
        if let Some(n) = self.tok(j + 1) {
            if n.gap == 0 {
                match n.kind {
                    TK::Punct => {
                        if matches!(n.ch, '/' | '_' | '@' | '=' | '%' | '€' | '$') {
                            return None;
                        }
                        if matches!(n.ch, '.' | ',') && self.kind(j + 2) == Some(TK::Num) && self.gap(j + 2) == 0 {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        Some(y)
    }

    /// Optional "de/of/del" then a year after token j.
    fn year_after(&self, j: usize) -> Option<(i32, usize)> {
        let mut k = j;
        if !self.near(k) {
            return None;
        }
        if matches!(self.key(k), Some("de" | "of" | "del" | "des" | "du")) {
            k += 1;
            if self.is(k, "jahres") || self.is(k, "fiscal") || self.is(k, "exercice") || self.is(k, "geschäftsjahr") {
                k += 1;
            }
        } else if self.is(k, "fiscal") {
            k += 1;
        }
        if !self.near(k) {
            return None;
        }
        let y = self.year_at(k)?;
        Some((y, k + 1))
    }

    pub fn period(&self, i: usize, floor: usize) -> Option<Raw> {
        let t = *self.tok(i)?;
        match t.kind {
            TK::Date => {
                let v = t.val as u32;
                let d = ymd((v / 10000) as i32, (v / 100) % 100, v % 100)?;
                Some(self.raw(i, i + 1, Period { start: d, end: d, granularity: "day".into(), relative: false }))
            }
            TK::Alnum => self.period_code(i),
            TK::Num => self.period_num(i, floor),
            TK::Word => self.period_word(i, floor),
            TK::Punct => None,
        }
    }

    /// "Q1 2024", "T3", "H1 2025", "S2", "Q1'24", "Q1/2024".
    fn period_code(&self, i: usize) -> Option<Raw> {
        let w = self.txt(i);
        let b = w.as_bytes();
        if b.len() != 2 {
            return None;
        }
        let n = (b[1] as char).to_digit(10)?;
        let is_q = matches!(b[0], b'Q' | b'T');
        let is_h = matches!(b[0], b'H' | b'S');
        if !is_q && !is_h {
            return None;
        }
        let (y, e) = if let Some((y, e)) = self.year_after(i + 1) {
            (y, e)
        } else if (self.p(i + 1, '\'') || self.p(i + 1, '/') || self.p(i + 1, '-')) && self.gap(i + 1) == 0 && self.gap(i + 2) == 0 {
            let t = self.tok(i + 2).filter(|t| t.kind == TK::Num && !t.sep)?;
            let v = t.val as i32;
            let y = if t.lead == 2 { 2000 + v } else if t.lead == 4 { v } else { return None };
            (y, i + 3)
        } else {
            (self.pub_year()?, i + 1)
        };
        let p = if is_q { quarter(y, n)? } else { half(y, n)? };
        Some(self.raw(i, e, p))
    }

    /// Quarter or half after an ordinal ending at j: "trimestre 2024", "-quarter", "Quartal".
    fn ord_period(&self, s: usize, j: usize, n: u32) -> Option<Raw> {
        let mut k = j;
        if self.p(k, '-') && self.gap(k) == 0 && self.gap(k + 1) == 0 {
            k += 1;
        }
        if !self.near(k) {
            return None;
        }
        let q = match self.key(k)? {
            "trimestre" | "quarter" | "quartal" | "quartals" => true,
            "semestre" | "half" | "halbjahr" | "halbjahres" | "jahreshälfte" => false,
            _ => return None,
        };
        let (y, e) = match self.year_after(k + 1) {
            Some(x) => x,
            None => (self.pub_year()?, k + 1),
        };
        let p = if q { quarter(y, n)? } else { half(y, n)? };
        Some(self.raw(s, e, p))
    }

    fn period_num(&self, i: usize, floor: usize) -> Option<Raw> {
        let t = *self.tok(i)?;
        let lm = lexicon::lex();
        // "1er trimestre", "2. Quartal", "3e trimestre"
        if (t.ord || self.p(i + 1, '.') && self.gap(i + 1) == 0) && !t.sep && (1..=4).contains(&(t.val as u32)) && t.val.fract() == 0.0 {
            let j = if t.ord { i + 1 } else { i + 2 };
            if let Some(r) = self.ord_period(i, j, t.val as u32) {
                return Some(r);
            }
        }
        // "1T 2024" (Spanish quarter)
        if !t.sep && (1..=4).contains(&(t.val as u32)) && self.gap(i + 1) == 0 && self.txt(i + 1) == "T" {
            if let Some((y, e)) = self.year_after(i + 2) {
                return Some(self.raw(i, e, quarter(y, t.val as u32)?));
            }
        }
        // Day month [year]: "24 janvier 2025", "1er mars", "24. Januar 2025", "24 de enero de 2025".
        if !t.sep && t.val >= 1.0 && t.val <= 31.0 && t.val.fract() == 0.0 && t.lead <= 2 {
            let mut j = i + 1;
            if self.p(j, '.') && self.gap(j) == 0 {
                j += 1;
            }
            if self.is(j, "de") {
                j += 1;
            }
            if self.near(j) {
                if let Some(&m) = self.key(j).and_then(|k| lm.months.get(k)) {
                    if !(self.key(j) == Some("may") && !self.is_cap(j)) {
                        let (y, e, rel) = match self.year_after(j + 1) {
                            Some((y, e)) => (Some(y), e, false),
                            None => (self.pub_year(), j + 1, false),
                        };
                        let _ = rel;
                        if let Some(y) = y {
                            let d = ymd(y, m, t.val as u32)?;
                            return Some(self.raw(i, e, Period { start: d, end: d, granularity: "day".into(), relative: false }));
                        }
                    }
                }
            }
        }
        // Years and year ranges.
        let y = self.year_at(i)?;
        let mut s = i;
        let mut e = i + 1;
        let mut y2 = None;
        if self.near(e) && self.near(e + 1) {
            let conn = if self.p(e, '-') || self.p(e, '/') { Some("-") } else { self.key(e) };
            if let Some(c) = conn {
                let opener = match c {
                    "-" => None,
                    "à" | "a" => self.seq_back(i, floor, &["de"]).or_else(|| self.seq_back(i, floor, &["entre"])),
                    "et" => self.seq_back(i, floor, &["entre"]),
                    "to" => self.seq_back(i, floor, &["from"]),
                    "and" => self.seq_back(i, floor, &["between"]),
                    "bis" => self.seq_back(i, floor, &["von"]),
                    "und" => self.seq_back(i, floor, &["zwischen"]),
                    "y" => self.seq_back(i, floor, &["entre"]),
                    _ => None,
                };
                let ok_conn = c == "-" || opener.is_some() || matches!(c, "à" | "to" | "bis");
                if ok_conn {
                    if let Some(t2) = self.tok(e + 1) {
                        let cand = if let Some(y2) = self.year_at2(e + 1, c == "-") {
                            Some(y2)
                        } else if c == "-" && t2.kind == TK::Num && t2.lead == 2 && !t2.sep && self.gap(e + 1) == 0 {
                            // "2024-25"
                            Some(y / 100 * 100 + t2.val as i32)
                        } else {
                            None
                        };
                        if let Some(y2c) = cand.filter(|&v| v > y && v - y <= 50) {
                            y2 = Some(y2c);
                            e += 2;
                            if let Some(o) = opener {
                                s = o;
                            }
                        }
                    }
                }
            }
        }
        let p = match y2 {
            Some(y2) => Period { start: ymd(y, 1, 1)?, end: ymd(y2, 12, 31)?, granularity: "range".into(), relative: false },
            None => Period { start: ymd(y, 1, 1)?, end: ymd(y, 12, 31)?, granularity: "year".into(), relative: false },
        };
        Some(self.raw(s, e, p))
    }

    fn period_word(&self, i: usize, floor: usize) -> Option<Raw> {
        let k = self.key(i)?;
        let lm = lexicon::lex();
        if let Some(&n) = lm.ordinals.get(k) {
            if let Some(r) = self.ord_period(i, i + 1, n) {
                return Some(r);
            }
            // "the second half" in English needs "of 2025" or the publication year: handled above.
            return None;
        }
        if let Some(&m) = lm.months.get(k) {
            if k == "may" && !self.is_cap(i) {
                return None;
            }
            // "January 24, 2025"
            if self.near(i + 1) {
                if let Some(d) = self.tok(i + 1).filter(|t| t.kind == TK::Num && !t.sep && t.lead <= 2 && t.val >= 1.0 && t.val <= 31.0) {
                    let mut j = i + 2;
                    if self.p(j, ',') {
                        j += 1;
                    }
                    if let Some(y) = self.year_at(j).filter(|_| self.near(j)) {
                        let dt = ymd(y, m, d.val as u32)?;
                        return Some(self.raw(i, j + 1, Period { start: dt, end: dt, granularity: "day".into(), relative: false }));
                    }
                }
            }
            let (y, e) = self.year_after(i + 1)?;
            return Some(self.raw(i, e, span(y, m, m, "month", false)?));
        }
        // Relative years: "l'an prochain", "cette année", "next year", "el año pasado", "letztes Jahr".
        let py = self.pub_year()?;
        let mut s = i;
        let mut e = i + 1;
        let mut off: Option<i32> = None;
        if i > floor {
            off = match self.key(i - 1) {
                Some("cette" | "this" | "este" | "dieses" | "diesem" | "laufenden" | "laufendes") => Some(0),
                Some("next" | "próximo" | "proximo" | "nächstes" | "nächsten" | "kommenden" | "kommendes" | "prochaine") => Some(1),
                Some("last" | "pasado" | "letztes" | "letzten" | "vergangenen" | "vergangenes" | "dernière") => Some(-1),
                _ => None,
            };
            if off.is_some() && self.gap(i) < 2 {
                s = i - 1;
            } else {
                off = None;
            }
        }
        if off.is_none() && self.near(i + 1) {
            off = match self.key(i + 1) {
                Some("prochain" | "prochaine" | "próximo" | "proximo") => Some(1),
                Some("dernier" | "dernière" | "derniere" | "passé" | "passée" | "passe" | "pasado") => Some(-1),
                Some("que") if self.is(i + 2, "viene") => Some(1),
                _ => None,
            };
            if off.is_some() {
                e = if self.is(i + 1, "que") { i + 3 } else { i + 2 };
            }
        }
        let off = off?;
        // Not "cette année 2024": the year itself is the figure then.
        if self.year_at(e).is_some() && self.near(e) {
            return None;
        }
        // "l'an prochain": the elided article belongs to the phrase.
        if s == i && s >= floor + 2 && self.is(s - 2, "l") && self.p(s - 1, '\'') {
            s -= 2;
        } else if s >= floor + 1 && self.is(s - 1, "el") {
            s -= 1;
        }
        let y = py + off;
        let mut p = span(y, 1, 12, "year", true)?;
        p.relative = true;
        Some(self.raw(s, e, p))
    }
}
