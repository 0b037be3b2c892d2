//! Tokenizer: one pass over the bytes, producing words, numbers, dates and punctuation with byte
//! spans. Numbers are read here, with their national separators, so the grammar sees values.
//! Byte offsets are only ever taken at char boundaries (every split point is an ASCII byte or the
//! start/end of a decoded char), so slicing `text[s..e]` never panics.

use crate::lang::Lang;

use super::lexicon;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TK {
    /// A numeric literal ("1 300 000", "36,46", "1er").
    Num,
    /// A run of letters.
    Word,
    /// Letters and digits mixed ("H100", "Q1", "4o", "14h30"): never a number by itself.
    Alnum,
    /// A calendar date written in digits ("2025-01-24", "24/01/2025", "24.01.2025").
    Date,
    Punct,
}

#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub s: usize,
    pub e: usize,
    pub kind: TK,
    /// Whitespace before the token: 0 none, 1 spaces, 2 a line break.
    pub gap: u8,
    /// Punct: the character, with quotes and dashes normalised ('’' -> '\'', '–' '−' -> '-').
    pub ch: char,
    /// Word: the lexicon's canonical lowercase form when the word is known to the grammar.
    pub key: Option<&'static str>,
    /// Num: the value; Date: y*10000+m*100+d.
    pub val: f64,
    /// Num: digits before any separator (4 for "2025", 1 for "1 300").
    pub lead: u8,
    /// Num: written with group separators or a decimal part (not a bare digit run).
    pub sep: bool,
    /// Num: ordinal ("1er", "3e", "2nd").
    pub ord: bool,
    /// Num: a bare run starting with 0 ("06", "007"): phone numbers, codes.
    pub zero: bool,
}

impl Tok {
    fn new(s: usize, e: usize, kind: TK, gap: u8) -> Tok {
        Tok { s, e, kind, gap, ch: '\0', key: None, val: 0.0, lead: 0, sep: false, ord: false, zero: false }
    }
    pub fn is_p(&self, c: char) -> bool {
        self.kind == TK::Punct && self.ch == c
    }
    /// A bare integer like a year: 4 digits, no separators.
    pub fn year(&self) -> Option<i32> {
        if self.kind == TK::Num && !self.sep && !self.ord && !self.zero && self.lead == 4 {
            let y = self.val as i32;
            if (1900..=2100).contains(&y) {
                return Some(y);
            }
        }
        None
    }
}

#[inline]
fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Character at byte `i`, or None at the end.
/// Byte length of the space (plain, NBSP, narrow NBSP, thin) at `at`, if there is one.
fn space_len(b: &[u8], at: usize) -> Option<usize> {
    let rest = b.get(at..)?;
    [" ", "\u{a0}", "\u{202f}", "\u{2009}"].iter().find(|s| rest.starts_with(s.as_bytes())).map(|s| s.len())
}

/// Group separators of one class are interchangeable ("1 300\u{202f}000").
fn sep_class(c: char) -> u8 {
    match c {
        '.' => 1,
        ',' => 2,
        '\'' | '’' => 3,
        _ => 0,
    }
}

#[inline]
fn ch_at(t: &str, i: usize) -> Option<char> {
    t.get(i..).and_then(|s| s.chars().next())
}

#[inline]
fn digits_from(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// Reads a numeric literal starting at byte `p` (an ASCII digit). Returns (end, value, lead, sep).
fn read_number(t: &str, p: usize, lang: Lang) -> (usize, f64, u8, bool) {
    let b = t.as_bytes();
    let r0 = digits_from(b, p);
    let lead = (r0 - p).min(255) as u8;
    // Digits of the value, '.' as decimal point; a stack buffer keeps this allocation-free.
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let push = |buf: &mut [u8; 64], n: &mut usize, s: &[u8]| {
        for &c in s {
            if *n < buf.len() {
                buf[*n] = c;
                *n += 1;
            }
        }
    };
    push(&mut buf, &mut n, &b[p..r0]);
    let mut end = r0;
    let mut sep = false;
    // Group separators: all the same, each followed by exactly three digits.
    let mut group: Option<char> = None;
    let mut groups = 0;
    let mut group_digits: (usize, usize) = (0, 0);
    if r0 - p <= 3 {
        loop {
            let c = match ch_at(t, end) {
                Some(c) => c,
                None => break,
            };
            let is_g = is_space_sep(c) || matches!(c, '.' | ',' | '\'' | '’');
            if !is_g || group.map_or(false, |g| sep_class(g) != sep_class(c)) {
                break;
            }
            let ds = end + c.len_utf8();
            let de = digits_from(b, ds);
            if de - ds != 3 {
                break;
            }
            // "1,300.5" style is fine, but "1.300.5" or a following letter-digit mix is not a group.
            group = Some(c);
            groups += 1;
            group_digits = (ds, de);
            push(&mut buf, &mut n, &b[ds..de]);
            end = de;
        }
    }
    let mut decimal = false;
    if let Some(g) = group {
        sep = true;
        // One '.' or ',' group that is the language's decimal mark: "1,300" in French is 1.3.
        let dec_mark = match lang {
            Lang::En | Lang::Other => '.',
            _ => ',',
        };
        let next_is_decimal = matches!(ch_at(t, end), Some('.') | Some(','))
            && ch_at(t, end) != Some(g)
            && b.get(end + 1).map_or(false, |c| c.is_ascii_digit());
        if groups == 1 && g == dec_mark && !next_is_decimal {
            n = r0 - p;
            push(&mut buf, &mut n, b".");
            push(&mut buf, &mut n, &b[group_digits.0..group_digits.1]);
            decimal = true;
        }
    }
    if !decimal {
        if let Some(c @ ('.' | ',')) = ch_at(t, end) {
            if Some(c) != group {
                let ds = end + 1;
                let de = digits_from(b, ds);
                // "24.01.2025" and "1.2.3" are not decimals.
                let again = matches!(b.get(de), Some(b'.') | Some(b',')) && b.get(de + 1).map_or(false, |c| c.is_ascii_digit());
                if de > ds && !again {
                    push(&mut buf, &mut n, b".");
                    push(&mut buf, &mut n, &b[ds..de]);
                    end = de;
                    sep = true;
                } else if let (true, Some(s1)) = (c == ',' && group.is_none() && r0 - p <= 3, space_len(b, ds)) {
                    // Typo form "491, 85 millions": a comma, a space, two digits, then a scale word.
                    // Any space kind (NBSP, thin) reads as a plain one, as everywhere in numbers.
                    let de2 = digits_from(b, ds + s1);
                    if let (true, Some(s2)) = (de2 - (ds + s1) == 2, space_len(b, de2)) {
                        let rest = &b[de2 + s2..];
                        let scale = [&b"million"[..], b"milliard", b"millones", b"billion"];
                        if scale.iter().any(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)) {
                            push(&mut buf, &mut n, b".");
                            push(&mut buf, &mut n, &b[ds + s1..de2]);
                            end = de2;
                            sep = true;
                        }
                    }
                }
            }
        }
    }
    let s = std::str::from_utf8(&buf[..n]).unwrap_or("0");
    let v = s.parse::<f64>().unwrap_or(0.0);
    (end, v, lead, sep)
}

/// Date in digits at byte p: "2025-01-24", "24/01/2025", "24.01.2025". Returns (end, y*10000+m*100+d).
fn read_date(t: &str, p: usize, lang: Lang) -> Option<(usize, u32)> {
    let b = t.as_bytes();
    let a = digits_from(b, p);
    let s1 = *b.get(a)?;
    if !matches!(s1, b'-' | b'/' | b'.') {
        return None;
    }
    let c = digits_from(b, a + 1);
    if b.get(c) != Some(&s1) {
        return None;
    }
    let d = digits_from(b, c + 1);
    if b.get(d).map_or(false, |x| x.is_ascii_alphanumeric()) {
        return None;
    }
    let num = |x: usize, y: usize| t[x..y].parse::<u32>().ok();
    let (l1, l2, l3) = (a - p, c - a - 1, d - c - 1);
    let (y, m, dd) = if l1 == 4 && s1 == b'-' && (1..=2).contains(&l2) && (1..=2).contains(&l3) {
        (num(p, a)?, num(a + 1, c)?, num(c + 1, d)?)
    } else if (1..=2).contains(&l1) && (1..=2).contains(&l2) && l3 == 4 && s1 != b'-' {
        let (x, z) = (num(p, a)?, num(a + 1, c)?);
        // Month first only in English slashes.
        if lang == Lang::En && s1 == b'/' && z <= 31 && x <= 12 {
            (num(c + 1, d)?, x, z)
        } else {
            (num(c + 1, d)?, z, x)
        }
    } else {
        return None;
    };
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return None;
    }
    Some((d, y * 10000 + m * 100 + dd))
}

/// Letters glued after digits that keep the digits a number: scales ("1.2bn", "10Mds") and
/// ordinals ("1er", "3e"). Anything else ("4o", "5G") makes the whole run an Alnum.
fn glued_suffix(w: &str) -> Option<bool /* ordinal */> {
    let mut lw = [0u8; 8];
    if w.len() > 8 {
        return None;
    }
    for (i, c) in w.bytes().enumerate() {
        lw[i] = c.to_ascii_lowercase();
    }
    let l = std::str::from_utf8(&lw[..w.len()]).unwrap_or("");
    match l {
        "bn" | "b" | "m" | "mn" | "mln" | "mio" | "k" | "md" | "mds" | "mrd" | "mrds" | "t" | "tn" | "g" | "md€" => Some(false),
        "er" | "re" | "e" | "ème" | "eme" | "ième" | "ieme" | "nd" | "st" | "rd" | "th" | "º" | "ª" | "o" | "a" | "°" => Some(true),
        _ => None,
    }
}

pub fn tokenize(t: &str, lang: Lang) -> Vec<Tok> {
    let b = t.as_bytes();
    let mut out: Vec<Tok> = Vec::with_capacity(t.len() / 5 + 4);
    let mut lower = String::with_capacity(32);
    let mut i = 0usize;
    let mut gap = 0u8;
    while i < b.len() {
        let c0 = b[i];
        if c0 < 0x80 {
            // ASCII fast path.
            if c0 == b' ' || c0 == b'\t' || c0 == b'\r' {
                gap = gap.max(1);
                i += 1;
                continue;
            }
            if c0 == b'\n' || c0 == 0x0b || c0 == 0x0c {
                gap = 2;
                i += 1;
                continue;
            }
            if c0.is_ascii_digit() {
                if let Some((e, v)) = read_date(t, i, lang) {
                    let mut tk = Tok::new(i, e, TK::Date, gap);
                    tk.val = v as f64;
                    out.push(tk);
                    i = e;
                    gap = 0;
                    continue;
                }
                if digits_from(b, i) - i > 18 {
                    // Too long for a quantity (ids, hashes): one opaque token.
                    let mut k = i;
                    while k < b.len() && b[k].is_ascii_alphanumeric() {
                        k += 1;
                    }
                    out.push(Tok::new(i, k, TK::Alnum, gap));
                    i = k;
                    gap = 0;
                    continue;
                }
                let (e, v, lead, sep) = read_number(t, i, lang);
                // Letters glued after the digits?
                let mut j = e;
                while j < b.len() {
                    match ch_at(t, j) {
                        Some(c) if c.is_alphabetic() || c == 'º' || c == 'ª' || c == '°' => j += c.len_utf8(),
                        _ => break,
                    }
                }
                let glued_digit = b.get(j).map_or(false, |x| x.is_ascii_digit());
                let mut tk = Tok::new(i, e, TK::Num, gap);
                tk.val = v;
                tk.lead = lead;
                tk.sep = sep;
                tk.zero = c0 == b'0' && lead > 1 && !sep;
                if j > e {
                    match (glued_digit, glued_suffix(&t[e..j])) {
                        (false, Some(true)) => {
                            tk.ord = true;
                            tk.e = j;
                            out.push(tk);
                        }
                        (false, Some(false)) => {
                            out.push(tk);
                            let mut w = Tok::new(e, j, TK::Word, 0);
                            w.key = lookup(&t[e..j], &mut lower);
                            out.push(w);
                        }
                        _ => {
                            // "4o", "14h30", "5G": an identifier, not a number.
                            let mut k = j;
                            while k < b.len() {
                                match ch_at(t, k) {
                                    Some(c) if c.is_alphanumeric() => k += c.len_utf8(),
                                    _ => break,
                                }
                            }
                            out.push(Tok::new(i, k, TK::Alnum, gap));
                            j = k;
                        }
                    }
                    i = j;
                } else {
                    out.push(tk);
                    i = e;
                }
                gap = 0;
                continue;
            }
            if c0.is_ascii_alphabetic() {
                i = word(t, i, gap, &mut out, &mut lower);
                gap = 0;
                continue;
            }
            let mut tk = Tok::new(i, i + 1, TK::Punct, gap);
            tk.ch = c0 as char;
            out.push(tk);
            i += 1;
            gap = 0;
            continue;
        }
        let c = match ch_at(t, i) {
            Some(c) => c,
            None => break,
        };
        let l = c.len_utf8();
        if c.is_whitespace() {
            gap = if matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') { 2 } else { gap.max(1) };
            i += l;
            continue;
        }
        if c.is_alphabetic() {
            i = word(t, i, gap, &mut out, &mut lower);
            gap = 0;
            continue;
        }
        let mut tk = Tok::new(i, i + l, TK::Punct, gap);
        tk.ch = match c {
            '’' | '‘' | 'ʼ' | '´' | '`' => '\'',
            '–' | '—' | '−' | '‑' | '‐' => '-',
            '＄' => '$',
            c => c,
        };
        out.push(tk);
        i += l;
        gap = 0;
    }
    out
}

/// A run of letters (a digit glued after makes it an Alnum: "H100", "Q1").
fn word(t: &str, i: usize, gap: u8, out: &mut Vec<Tok>, lower: &mut String) -> usize {
    let mut j = i;
    let mut digit = false;
    while let Some(c) = ch_at(t, j) {
        if c.is_alphabetic() || c == '\u{300}' || ('\u{301}'..='\u{36f}').contains(&c) {
            j += c.len_utf8();
        } else if c.is_ascii_digit() {
            digit = true;
            j += 1;
        } else {
            break;
        }
    }
    if digit {
        out.push(Tok::new(i, j, TK::Alnum, gap));
    } else {
        let mut tk = Tok::new(i, j, TK::Word, gap);
        tk.key = lookup(&t[i..j], lower);
        out.push(tk);
    }
    j
}

fn lookup(w: &str, lower: &mut String) -> Option<&'static str> {
    if w.len() > 24 {
        return None;
    }
    lower.clear();
    for c in w.chars() {
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    lexicon::known(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &str, lang: Lang) -> Vec<f64> {
        tokenize(s, lang).iter().filter(|t| t.kind == TK::Num).map(|t| t.val).collect()
    }

    #[test]
    fn separators() {
        assert_eq!(vals("1 300 000", Lang::Fr), vec![1300000.0]);
        assert_eq!(vals("1\u{a0}300\u{202f}000", Lang::Fr), vec![1300000.0]);
        assert_eq!(vals("1\u{202f}300\u{202f}000", Lang::Fr), vec![1300000.0]);
        assert_eq!(vals("1.300.000", Lang::Fr), vec![1300000.0]);
        assert_eq!(vals("1,300,000", Lang::En), vec![1300000.0]);
        assert_eq!(vals("36,46", Lang::Fr), vec![36.46]);
        assert_eq!(vals("6 700,54", Lang::Fr), vec![6700.54]);
        assert_eq!(vals("1,300", Lang::Fr), vec![1.3]);
        assert_eq!(vals("1,300", Lang::En), vec![1300.0]);
        assert_eq!(vals("34.100", Lang::Es), vec![34100.0]);
        assert_eq!(vals("1,300,000.50", Lang::En), vec![1300000.5]);
        assert_eq!(vals("1.300.000,50", Lang::De), vec![1300000.5]);
        assert_eq!(vals("1'300'000", Lang::De), vec![1300000.0]);
    }

    /// Regression (found by the `figures_grammar` property run): the typo form "491, 85 millions"
    /// was read with plain spaces only, so "0, 00\u{a0}million" gave no figure.
    #[test]
    fn typo_decimal_comma_reads_any_space_kind() {
        for t in ["491, 85 millions", "491,\u{a0}85 millions", "491, 85\u{a0}millions", "491,\u{202f}85\u{2009}millions"] {
            assert_eq!(vals(t, Lang::Fr), vec![491.85], "{t:?}");
        }
    }
}
