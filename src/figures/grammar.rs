//! The token-level grammar shared by the quantity and period rules: a cursor over tokens with
//! small matching helpers, and the scan loop that tries periods and quantities at each anchor.

use crate::lang::Lang;

use super::lex::{TK, Tok};
use super::lexicon::{self, mask};
use super::{Bound, Context, FigureKind, Period};

pub struct G<'a> {
    pub t: &'a str,
    pub k: &'a [Tok],
    pub m: u8,
    pub lang: Lang,
    pub ctx: &'a Context,
}

/// A figure before offsets are turned into chars. `s`/`e` are token indices, end exclusive.
#[derive(Debug, Clone)]
pub struct Raw {
    pub s: usize,
    pub e: usize,
    pub kind: FigureKind,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
    pub approx: bool,
    pub bound: Option<Bound>,
    pub period: Option<Period>,
    /// A scaled amount with no currency ("54,92 milliards"): money in the document's currency.
    pub pending: bool,
}

impl<'a> G<'a> {
    pub fn new(t: &'a str, k: &'a [Tok], ctx: &'a Context) -> G<'a> {
        G { t, k, m: mask(ctx.lang), lang: ctx.lang, ctx }
    }
    #[inline]
    pub fn tok(&self, i: usize) -> Option<&Tok> {
        self.k.get(i)
    }
    #[inline]
    pub fn key(&self, i: usize) -> Option<&'static str> {
        self.k.get(i).and_then(|t| t.key)
    }
    #[inline]
    pub fn is(&self, i: usize, w: &str) -> bool {
        self.key(i) == Some(w)
    }
    #[inline]
    pub fn p(&self, i: usize, c: char) -> bool {
        self.k.get(i).map_or(false, |t| t.is_p(c))
    }
    #[inline]
    pub fn kind(&self, i: usize) -> Option<TK> {
        self.k.get(i).map(|t| t.kind)
    }
    /// Whitespace before token i (2 = line break or end of input).
    #[inline]
    pub fn gap(&self, i: usize) -> u8 {
        self.k.get(i).map_or(2, |t| t.gap)
    }
    pub fn txt(&self, i: usize) -> &'a str {
        match self.k.get(i) {
            Some(t) => self.t.get(t.s..t.e).unwrap_or(""),
            None => "",
        }
    }
    /// Token i continues the current phrase: same line.
    #[inline]
    pub fn near(&self, i: usize) -> bool {
        i < self.k.len() && self.gap(i) < 2
    }
    /// Matches a phrase forward from i; "'" "-" "." match punctuation. Returns the end index.
    pub fn seq(&self, i: usize, words: &[&str]) -> Option<usize> {
        let mut j = i;
        for (n, w) in words.iter().enumerate() {
            if n > 0 && !self.near(j) {
                return None;
            }
            let ok = match *w {
                "'" => self.p(j, '\''),
                "-" => self.p(j, '-'),
                "." => self.p(j, '.'),
                w => self.is(j, w),
            };
            if !ok {
                return None;
            }
            j += 1;
        }
        Some(j)
    }
    /// Matches a phrase ending right before `end`, starting at or after `floor`.
    pub fn seq_back(&self, end: usize, floor: usize, words: &[&str]) -> Option<usize> {
        let s = end.checked_sub(words.len())?;
        if s < floor || !self.near(end) && end < self.k.len() && self.gap(end) >= 2 {
            return None;
        }
        if self.gap(end) >= 2 {
            return None;
        }
        self.seq(s, words).filter(|&e| e == end).map(|_| s)
    }
    pub fn is_cap(&self, i: usize) -> bool {
        self.txt(i).chars().next().map_or(false, |c| c.is_uppercase())
    }
    pub fn lower(&self, i: usize) -> String {
        self.txt(i).to_lowercase()
    }
}

pub fn scan(g: &G) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    let mut i = 0usize;
    let mut floor = 0usize;
    let n = g.k.len();
    while i < n {
        let t = &g.k[i];
        let mut found: Option<Raw> = None;
        match t.kind {
            TK::Num => {
                if !t.ord {
                    found = g.quantity(i, floor);
                }
                if found.is_none() {
                    found = g.period(i, floor);
                }
            }
            TK::Word => {
                if let Some(k) = t.key {
                    let l = lexicon::lex();
                    if l.numwords.contains_key(k) {
                        found = g.quantity(i, floor);
                    }
                    if found.is_none() && g.period_anchor(k) {
                        found = g.period(i, floor);
                    }
                } else if g.m & lexicon::DE != 0 && g.de_compound(i).is_some() {
                    found = g.quantity(i, floor);
                }
            }
            TK::Alnum | TK::Date => found = g.period(i, floor),
            TK::Punct => {}
        }
        match found {
            Some(r) if r.e > i && r.s >= floor => {
                i = r.e;
                floor = r.e;
                out.push(r);
            }
            _ => i += 1,
        }
    }
    resolve_pending(&mut out);
    out
}

/// Scaled amounts without a currency take the currency of the nearest money figure before them
/// (after them when none precedes); with no money in the document they stay plain numbers.
fn resolve_pending(out: &mut [Raw]) {
    let mut last: Option<String> = None;
    let mut first: Option<String> = None;
    for r in out.iter() {
        if r.kind == FigureKind::Money && !r.pending {
            first = r.unit.clone();
            break;
        }
    }
    for r in out.iter_mut() {
        if r.kind != FigureKind::Money {
            continue;
        }
        if !r.pending {
            last = r.unit.clone();
            continue;
        }
        match last.clone().or_else(|| first.clone()) {
            Some(c) => r.unit = Some(c),
            None => r.kind = FigureKind::Number,
        }
    }
}
