//! Typographic normalisation: non-breaking and thin spaces become spaces, curly apostrophes and
//! quotes become straight ones, the ellipsis character becomes "...", invisible characters go.
//! Rules downstream (figures, sentences) then see one form, and `to_original` maps any
//! normalised offset back to the text as read.

#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub text: String,
    /// `map[i]` is the original char offset of normalised char `i`; one extra entry maps the end.
    map: Vec<usize>,
}

impl Normalized {
    /// Original char offset of a normalised *start* offset.
    pub fn to_original(&self, i: usize) -> usize {
        self.map.get(i).copied().unwrap_or_else(|| *self.map.last().unwrap_or(&0))
    }

    /// Original span of a normalised span: the end maps through the last char it covers, so a span
    /// ending inside an expansion ("..." from "…") still ends after the original character.
    pub fn span_to_original(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.to_original(start);
        let e = if end > start { self.to_original(end - 1) + 1 } else { s };
        (s, e.max(s))
    }

    /// Normalised offset of an original char offset (the first normalised char it produced, or
    /// the next one when the original char was removed).
    pub fn from_original(&self, i: usize) -> usize {
        self.map.partition_point(|&o| o < i)
    }

    pub fn char_len(&self) -> usize {
        self.map.len().saturating_sub(1)
    }
}

fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' | '\u{202F}' | '\u{2007}' | '\u{2009}' | '\u{200A}' | '\u{2002}' | '\u{2003}' | '\u{3000}' => " ",
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{2032}' | '\u{00B4}' | '\u{0060}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' | '\u{2033}' => "\"",
        '\u{2026}' => "...",
        '\u{2212}' => "-",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{00AD}' | '\u{FEFF}' | '\u{2060}' => "",
        '\r' => "",
        _ => return None,
    })
}

pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut map = Vec::with_capacity(original.len() + 1);
    let mut n = 0;
    for (i, c) in original.chars().enumerate() {
        match replacement(c) {
            Some(rep) => {
                for r in rep.chars() {
                    text.push(r);
                    map.push(i);
                }
            }
            None => {
                text.push(c);
                map.push(i);
            }
        }
        n = i + 1;
    }
    map.push(n);
    Normalized { text, map }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::char_slice;

    #[test]
    fn french_typography_maps_back() {
        let orig = "Meta investit 65\u{202F}milliards\u{00A0}: «\u{00A0}l’IA…\u{00A0}» !";
        let n = normalize(orig);
        assert_eq!(n.text, "Meta investit 65 milliards : \" l'IA... \" !");
        let i = n.text.find("l'IA").unwrap();
        let start = n.text[..i].chars().count();
        let (s, e) = n.span_to_original(start, start + 7);
        assert_eq!(char_slice(orig, s, e), "l’IA…");
    }

    #[test]
    fn removed_characters_keep_offsets_right() {
        let orig = "a\u{00AD}b\r\nc";
        let n = normalize(orig);
        assert_eq!(n.text, "ab\nc");
        assert_eq!(n.to_original(1), 2);
        assert_eq!(n.to_original(3), 5);
        assert_eq!(n.to_original(4), 6);
    }

    #[test]
    fn from_original_inverts_to_original() {
        let orig = "a…b\u{00AD}c";
        let n = normalize(orig);
        assert_eq!(n.text, "a...bc");
        for (o, want) in [(0, 0), (1, 1), (2, 4), (3, 5), (4, 5), (5, 6)] {
            assert_eq!(n.from_original(o), want, "orig {o}");
        }
    }

    #[test]
    fn empty() {
        let n = normalize("");
        assert_eq!(n.char_len(), 0);
        assert_eq!(n.span_to_original(0, 0), (0, 0));
    }
}
