//! Language detection with whatlang (trigram statistics; no model files to ship).

use crate::lang::Lang;

/// Returns the language and its code: ISO 639-1 for the languages veille has rules for, the
/// detector's ISO 639-3 code otherwise, "und" when the text gives nothing to go on.
pub fn detect_language(text: &str) -> (Lang, String) {
    // A long prefix is plenty and keeps detection cheap on huge files.
    let sample: String = text.chars().take(4000).collect();
    let Some(info) = whatlang::detect(&sample) else {
        return (Lang::Other, "und".into());
    };
    let lang = match info.lang() {
        whatlang::Lang::Fra => Lang::Fr,
        whatlang::Lang::Eng => Lang::En,
        whatlang::Lang::Spa => Lang::Es,
        whatlang::Lang::Deu => Lang::De,
        whatlang::Lang::Ita => Lang::It,
        _ => Lang::Other,
    };
    let code = match lang {
        Lang::Other => info.lang().code().to_string(),
        l => l.code().to_string(),
    };
    (lang, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_languages() {
        let cases = [
            ("Meta va investir entre 60 et 65 milliards de dollars dans l'intelligence artificielle cette année, selon son patron.", "fr"),
            ("Microsoft forecast a record capital spending of thirty billion dollars for the quarter, the company said on Wednesday.", "en"),
            ("España ha atraído inversiones de miles de millones de euros para centros de datos en los últimos seis meses.", "es"),
            ("Der Umsatz von Nvidia stieg im vergangenen Quartal gegenüber dem Vorjahr deutlich, teilte das Unternehmen mit.", "de"),
            ("Il gruppo ha annunciato un aumento del fatturato nel primo trimestre, trainato dalla domanda di chip.", "it"),
        ];
        for (text, code) in cases {
            assert_eq!(detect_language(text).1, code, "{text}");
        }
    }
}
