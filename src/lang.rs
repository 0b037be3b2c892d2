//! Languages veille knows by name. Detection lives in `ingest`; the figures grammar and the
//! model only need the code.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
    Es,
    De,
    It,
    /// Any other language: the grammar falls back to language-neutral digit rules.
    Other,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Es => "es",
            Lang::De => "de",
            Lang::It => "it",
            Lang::Other => "und",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        match code.to_ascii_lowercase().as_str() {
            "fr" | "fra" | "fre" => Lang::Fr,
            "en" | "eng" => Lang::En,
            "es" | "spa" => Lang::Es,
            "de" | "deu" | "ger" => Lang::De,
            "it" | "ita" => Lang::It,
            _ => Lang::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for l in [Lang::Fr, Lang::En, Lang::Es, Lang::De, Lang::It] {
            assert_eq!(Lang::from_code(l.code()), l);
        }
        assert_eq!(Lang::from_code("zz"), Lang::Other);
    }
}
