//! Words of a text in char offsets: whitespace-separated, edge punctuation split off, French
//! thousands groups joined ("1 300 000", also with U+00A0 / U+202F), inner apostrophes, hyphens,
//! commas and dots kept ("l'Oréal", "Jean-Baptiste", "36,46").

/// Punctuation that is split off the edges of a word.
fn edge_punct(c: char) -> bool {
    matches!(
        c,
        '«' | '»' | '"' | '“' | '”' | '„' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | ':' | '!' | '?' | '.'
            | '…' | '\'' | '’' | '‘' | '—' | '–' | '/' | '*' | '‹' | '›'
    )
}

/// Word spans (start, end) in char offsets, end exclusive, in text order.
pub fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut raw: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() || chars[i].is_control() {
            i += 1;
            continue;
        }
        let s = i;
        while i < chars.len() && !(chars[i].is_whitespace() || chars[i].is_control()) {
            i += 1;
        }
        let (mut a, mut b) = (s, i);
        let mut tail = Vec::new();
        while a < b && edge_punct(chars[a]) {
            raw.push((a, a + 1));
            a += 1;
        }
        while b > a && edge_punct(chars[b - 1]) {
            tail.push((b - 1, b));
            b -= 1;
        }
        if a < b {
            raw.push((a, b));
        }
        raw.extend(tail.into_iter().rev());
    }
    // join thousands groups: "1 300 000", "1 300,5"
    // digits after an optional elision ("d'1"), as the integer part of a grouped number
    let int_tail = |(a, b): (usize, usize)| {
        let w = &chars[a..b];
        let start = w.iter().rposition(|c| *c == '\'' || *c == '’').map(|p| p + 1).unwrap_or(0);
        start < w.len() && w[start..].iter().all(|c| c.is_ascii_digit()) && w.len() - start <= 3
    };
    let is_group = |(a, b): (usize, usize)| {
        let d = chars[a..b].iter().take_while(|c| c.is_ascii_digit()).count();
        d == 3 && chars[a..b].iter().skip(3).all(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
    };
    let space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(raw.len());
    for w in raw {
        if let Some(last) = out.last_mut() {
            // "1 300" + "000": the last word is already a grouped number ending in 3 digits
            let grouped = chars[last.0..last.1].iter().any(|c| space(*c))
                && chars[last.1 - 3..last.1].iter().all(|c| c.is_ascii_digit());
            if w.0 == last.1 + 1 && space(chars[last.1]) && (int_tail(*last) || grouped) && is_group(w) {
                last.1 = w.1;
                continue;
            }
        }
        out.push(w);
    }
    out
}

/// Char count and a byte -> char index map helper.
pub fn byte_to_char_map(text: &str) -> Vec<usize> {
    let mut m = vec![0usize; text.len() + 1];
    let mut ci = 0;
    for (bi, ch) in text.char_indices() {
        for k in 0..ch.len_utf8() {
            m[bi + k] = ci;
        }
        ci += 1;
    }
    m[text.len()] = ci;
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    fn words(t: &str) -> Vec<String> {
        let c: Vec<char> = t.chars().collect();
        word_spans(t).into_iter().map(|(a, b)| c[a..b].iter().collect()).collect()
    }
    #[test]
    fn french_words() {
        assert_eq!(words("L'Oréal a gagné 36,46 €."), vec!["L'Oréal", "a", "gagné", "36,46", "€", "."]);
        assert_eq!(words("plus d'1 300 000 GPU"), vec!["plus", "d'1 300 000", "GPU"]);
        assert_eq!(words("soit 1 300 000 GPU"), vec!["soit", "1 300 000", "GPU"]);
        assert_eq!(words("«\u{a0}Jean-Baptiste\u{a0}» : 12\u{202f}500 €"), vec!["«", "Jean-Baptiste", "»", ":", "12\u{202f}500", "€"]);
        assert_eq!(words("l’entreprise (Meta)"), vec!["l’entreprise", "(", "Meta", ")"]);
        assert_eq!(words("en 2024 300 salariés, 1 234,5 €"), vec!["en", "2024", "300", "salariés", ",", "1 234,5", "€"]);
    }
    #[test]
    fn byte_map() {
        let m = byte_to_char_map("é a");
        assert_eq!(m, vec![0, 0, 1, 2, 3]);
    }
}
