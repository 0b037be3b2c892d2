//! Currencies before or after the number, normalised to ISO 4217: symbols ("€", "$", "US$",
//! "$US", "C$"), codes ("USD", case-sensitive so "try" or "eur" in prose stay words) and words
//! ("dollars américains", "livres sterling", "francs suisses", "US-Dollar", "dólares").

use super::grammar::G;
use super::lex::TK;
use super::lexicon::{self, CURRENCY_CODES};

fn symbol(c: char) -> Option<&'static str> {
    Some(match c {
        '$' => "USD",
        '€' => "EUR",
        '£' => "GBP",
        '¥' => "JPY",
        '₹' => "INR",
        '₩' => "KRW",
        '₽' => "RUB",
        _ => return None,
    })
}

/// Letters glued before '$': "US$", "C$", "HK$".
fn dollar_prefix(w: &str) -> Option<&'static str> {
    Some(match w {
        "US" | "U.S." => "USD",
        "C" | "CA" | "CAN" => "CAD",
        "A" | "AU" => "AUD",
        "HK" => "HKD",
        "S" | "SG" => "SGD",
        "R" => "BRL",
        "NZ" => "NZD",
        "MX" => "MXN",
        _ => return None,
    })
}

fn code(w: &str) -> Option<&'static str> {
    if w.len() != 3 {
        return None;
    }
    CURRENCY_CODES.iter().find(|c| **c == w).map(|c| if *c == "RMB" { "CNY" } else { *c })
}

impl<'a> G<'a> {
    /// A currency written before the number, starting at i. Returns (ISO, end).
    pub fn cur_prefix(&self, i: usize) -> Option<(&'static str, usize)> {
        let t = self.tok(i)?;
        match t.kind {
            TK::Punct => {
                let c = symbol(t.ch)?;
                // "$US 5 milliards"
                if t.ch == '$' && self.gap(i + 1) == 0 && self.txt(i + 1) == "US" {
                    return Some(("USD", i + 2));
                }
                Some((c, i + 1))
            }
            TK::Word => {
                let w = self.txt(i);
                if self.p(i + 1, '$') && self.gap(i + 1) == 0 {
                    if let Some(c) = dollar_prefix(w) {
                        return Some((c, i + 2));
                    }
                }
                code(w).map(|c| (c, i + 1))
            }
            _ => None,
        }
    }

    /// A currency written after the number (and scale), starting at i. Returns (ISO, end).
    pub fn cur_suffix(&self, i: usize) -> Option<(&'static str, usize)> {
        if !self.near(i) {
            return None;
        }
        // "de dollars", "d'euros", and the typo "de d'euros".
        let mut j = i;
        if self.is(j, "de") || self.is(j, "of") {
            j += 1;
        }
        if self.is(j, "d") && self.p(j + 1, '\'') {
            j += 2;
        }
        if !self.near(j) {
            return None;
        }
        // "francs suisses", "francos suizos", "Schweizer Franken"
        if matches!(self.key(j), Some("francs" | "franc" | "francos")) && matches!(self.key(j + 1), Some("suisses" | "suisse" | "suizos")) {
            return Some(("CHF", j + 2));
        }
        if self.is(j, "schweizer") && self.is(j + 1, "franken") {
            return Some(("CHF", j + 2));
        }
        // Nordic crowns: the country word says which ("couronnes danoises", "Danish kroner",
        // "coronas suecas", "norwegische Kronen"); a bare "couronnes" stays unresolved.
        let nordic = |w: Option<&str>| match w {
            Some("danoises" | "danoise" | "danish" | "danesas" | "dänische" | "dänischen") => Some("DKK"),
            Some("suédoises" | "suédoise" | "swedish" | "suecas" | "schwedische" | "schwedischen") => Some("SEK"),
            Some("norvégiennes" | "norvégienne" | "norwegian" | "noruegas" | "norwegische" | "norwegischen") => Some("NOK"),
            _ => None,
        };
        if matches!(self.key(j), Some("couronnes" | "couronne" | "coronas")) {
            if let Some(c) = nordic(self.key(j + 1)) {
                return Some((c, j + 2));
            }
        }
        if matches!(self.key(j + 1), Some("kroner" | "krone" | "kronor" | "krona" | "crowns" | "kronen")) {
            if let Some(c) = nordic(self.key(j)) {
                return Some((c, j + 2));
            }
        }
        let t = self.tok(j)?;
        match t.kind {
            TK::Punct => {
                if j != i {
                    return None;
                }
                let c = symbol(t.ch)?;
                // "5 $US", "5 $ US" is rarer and left alone.
                if t.ch == '$' && self.gap(j + 1) == 0 && self.txt(j + 1) == "US" {
                    return Some(("USD", j + 2));
                }
                Some((c, j + 1))
            }
            TK::Word => {
                let w = self.txt(j);
                if self.p(j + 1, '$') && self.gap(j + 1) == 0 {
                    if let Some(c) = dollar_prefix(w) {
                        return Some((c, j + 2));
                    }
                }
                // "US-Dollar"
                if w == "US" && self.p(j + 1, '-') && self.is(j + 2, "dollar") {
                    return Some(("USD", j + 3));
                }
                if let Some(c) = code(w) {
                    return Some((c, j + 1));
                }
                let k = t.key?;
                let mut c = *lexicon::lex().currency.get(k)?;
                let mut end = j + 1;
                // Qualifiers that follow the word.
                if self.near(end) {
                    match self.key(end) {
                        Some("américains" | "américain" | "americains" | "estadounidenses" | "estadounidense") => end += 1,
                        Some("us") if self.txt(end) == "US" => end += 1,
                        Some("canadiens" | "canadien") if c == "USD" => {
                            c = "CAD";
                            end += 1
                        }
                        Some("australiens") if c == "USD" => {
                            c = "AUD";
                            end += 1
                        }
                        Some("sterling") if c == "GBP" => end += 1,
                        _ => {}
                    }
                }
                // "livre(s)" alone is a book or a pound: only with sterling, or after a scale.
                if matches!(k, "livre" | "livres") && end == j + 1 && j == i {
                    return None;
                }
                if k == "won" && self.is_cap(j) {
                    return None;
                }
                Some((c, end))
            }
            _ => None,
        }
    }
}
