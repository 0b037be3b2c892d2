//! Text preparation: typographic normalisation with an offset map back to the original, and
//! sentence segmentation. All offsets are character offsets (Unicode scalar values).

mod normalize;
mod sentences;

pub use normalize::{normalize, Normalized};
pub use sentences::segment;

/// A character span, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// The characters `start..end` of `text` (character offsets), clamped to the text.
pub fn char_slice(text: &str, start: usize, end: usize) -> &str {
    let mut idx = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len()));
    let b0 = idx.nth(start).unwrap_or(text.len());
    let b1 = if end > start { idx.nth(end - start - 1).unwrap_or(text.len()) } else { b0 };
    &text[b0..b1]
}

/// Prepared text: the normalised form, its sentences (in normalised offsets) and the map back.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub norm: Normalized,
    pub sentences: Vec<Span>,
}

pub fn prepare(original: &str) -> Prepared {
    let norm = normalize(original);
    let sentences = segment(&norm.text);
    Prepared { norm, sentences }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_slice_is_char_based() {
        assert_eq!(char_slice("été 2025", 4, 8), "2025");
        assert_eq!(char_slice("été", 0, 1), "é");
        assert_eq!(char_slice("abc", 2, 10), "c");
        assert_eq!(char_slice("abc", 5, 10), "");
    }
}
