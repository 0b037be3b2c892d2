//! Bytes to text: BOM first, then strict UTF-8, then a detected legacy encoding
//! (chardetng, usually Windows-1252 for Western European news).

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

use super::IngestError;

#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: String,
}

/// A share of control bytes this high means the file is not text in any single-byte encoding.
const MAX_CONTROL_RATIO: f64 = 0.02;

pub fn decode(bytes: &[u8]) -> Result<Decoded, IngestError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors && (enc == UTF_16LE || enc == UTF_16BE) {
            return Err(IngestError::Binary);
        }
        let suffix = if had_errors { " (BOM, with replaced bytes)" } else { " (BOM)" };
        return Ok(Decoded { text: text.into_owned(), encoding: format!("{}{}", enc.name(), suffix) });
    }
    if looks_binary(bytes) {
        return Err(IngestError::Binary);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Decoded { text: s.to_string(), encoding: "UTF-8".into() });
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    let enc = det.guess(None, true);
    // chardetng may answer UTF-8 for text with a few broken sequences; those are legacy text.
    let enc = if enc == encoding_rs::UTF_8 { encoding_rs::WINDOWS_1252 } else { enc };
    let (text, _, _) = enc.decode(bytes);
    Ok(Decoded { text: text.into_owned(), encoding: format!("{} (detected)", enc.name()) })
}

fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)).count();
    controls as f64 > MAX_CONTROL_RATIO * head.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("été".as_bytes()).unwrap().encoding, "UTF-8");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("été".as_bytes());
        let d = decode(&b).unwrap();
        assert_eq!(d.text, "été");
        assert_eq!(d.encoding, "UTF-8 (BOM)");
    }

    #[test]
    fn utf16_le_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "Les 65 milliards d’euros".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&b).unwrap();
        assert_eq!(d.text, "Les 65 milliards d’euros");
        assert_eq!(d.encoding, "UTF-16LE (BOM)");
    }

    #[test]
    fn windows_1252_fallback() {
        // "Le budget atteint 5 € et l’été" in cp1252
        let (b, _, _) = encoding_rs::WINDOWS_1252.encode("Le budget atteint 5 € pour l’été, déjà près de la moitié");
        let d = decode(&b).unwrap();
        assert_eq!(d.text, "Le budget atteint 5 € pour l’été, déjà près de la moitié");
        assert!(d.encoding.contains("windows-1252"), "{}", d.encoding);
    }

    #[test]
    fn binary_is_refused() {
        let b: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
        assert!(matches!(decode(&b), Err(IngestError::Binary)));
    }
}
