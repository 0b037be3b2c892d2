//! Word tables for FR / EN / ES / DE. The tokenizer tags every word the grammar knows with its
//! canonical lowercase form (one hash lookup per word), so the grammar compares &'static strs.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::lang::Lang;

use super::Bound;

pub const FR: u8 = 1;
pub const EN: u8 = 2;
pub const ES: u8 = 4;
pub const DE: u8 = 8;
pub const ALL: u8 = 15;

pub fn mask(l: Lang) -> u8 {
    match l {
        Lang::Fr => FR,
        Lang::En => EN,
        Lang::Es => ES,
        Lang::De => DE,
        // Unknown languages get every table: digits dominate there anyway.
        _ => ALL,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NW {
    /// Adds its value (units, teens, tens).
    Add,
    /// "one" words: a number only before a multiplier or a scale ("un million", not "un projet").
    One,
    /// Multiplies what precedes (cent, hundred, ciento).
    Hundred,
    /// Closes a group of thousands (mille, thousand, mil, tausend).
    Thousand,
}

/// Number words: (word, value, role, languages).
pub const NUMWORDS: &[(&str, u32, NW, u8)] = &[
    // French
    ("un", 1, NW::One, FR | ES), ("une", 1, NW::One, FR), ("deux", 2, NW::Add, FR), ("trois", 3, NW::Add, FR),
    ("quatre", 4, NW::Add, FR), ("cinq", 5, NW::Add, FR), ("six", 6, NW::Add, FR | EN), ("sept", 7, NW::Add, FR),
    ("huit", 8, NW::Add, FR), ("neuf", 9, NW::Add, FR), ("dix", 10, NW::Add, FR), ("onze", 11, NW::Add, FR),
    ("douze", 12, NW::Add, FR), ("treize", 13, NW::Add, FR), ("quatorze", 14, NW::Add, FR), ("quinze", 15, NW::Add, FR),
    ("seize", 16, NW::Add, FR), ("vingt", 20, NW::Add, FR), ("vingts", 20, NW::Add, FR), ("trente", 30, NW::Add, FR),
    ("quarante", 40, NW::Add, FR), ("cinquante", 50, NW::Add, FR), ("soixante", 60, NW::Add, FR),
    ("septante", 70, NW::Add, FR), ("huitante", 80, NW::Add, FR), ("nonante", 90, NW::Add, FR),
    ("cent", 100, NW::Hundred, FR), ("cents", 100, NW::Hundred, FR), ("mille", 1000, NW::Thousand, FR),
    // English
    ("one", 1, NW::One, EN), ("a", 1, NW::One, EN), ("an", 1, NW::One, EN), ("two", 2, NW::Add, EN),
    ("three", 3, NW::Add, EN), ("four", 4, NW::Add, EN), ("five", 5, NW::Add, EN), ("seven", 7, NW::Add, EN),
    ("eight", 8, NW::Add, EN), ("nine", 9, NW::Add, EN), ("ten", 10, NW::Add, EN), ("eleven", 11, NW::Add, EN),
    ("twelve", 12, NW::Add, EN), ("thirteen", 13, NW::Add, EN), ("fourteen", 14, NW::Add, EN),
    ("fifteen", 15, NW::Add, EN), ("sixteen", 16, NW::Add, EN), ("seventeen", 17, NW::Add, EN),
    ("eighteen", 18, NW::Add, EN), ("nineteen", 19, NW::Add, EN), ("twenty", 20, NW::Add, EN),
    ("thirty", 30, NW::Add, EN), ("forty", 40, NW::Add, EN), ("fifty", 50, NW::Add, EN), ("sixty", 60, NW::Add, EN),
    ("seventy", 70, NW::Add, EN), ("eighty", 80, NW::Add, EN), ("ninety", 90, NW::Add, EN),
    ("hundred", 100, NW::Hundred, EN), ("thousand", 1000, NW::Thousand, EN),
    // Spanish
    ("uno", 1, NW::One, ES), ("una", 1, NW::One, ES), ("dos", 2, NW::Add, ES), ("tres", 3, NW::Add, ES),
    ("cuatro", 4, NW::Add, ES), ("cinco", 5, NW::Add, ES), ("seis", 6, NW::Add, ES), ("siete", 7, NW::Add, ES),
    ("ocho", 8, NW::Add, ES), ("nueve", 9, NW::Add, ES), ("diez", 10, NW::Add, ES), ("once", 11, NW::Add, ES),
    ("doce", 12, NW::Add, ES), ("trece", 13, NW::Add, ES), ("catorce", 14, NW::Add, ES), ("quince", 15, NW::Add, ES),
    ("dieciséis", 16, NW::Add, ES), ("diecisiete", 17, NW::Add, ES), ("dieciocho", 18, NW::Add, ES),
    ("diecinueve", 19, NW::Add, ES), ("veinte", 20, NW::Add, ES), ("veintiuno", 21, NW::Add, ES),
    ("veintiún", 21, NW::Add, ES), ("veintidós", 22, NW::Add, ES), ("veintitrés", 23, NW::Add, ES),
    ("veinticuatro", 24, NW::Add, ES), ("veinticinco", 25, NW::Add, ES), ("veintiséis", 26, NW::Add, ES),
    ("veintisiete", 27, NW::Add, ES), ("veintiocho", 28, NW::Add, ES), ("veintinueve", 29, NW::Add, ES),
    ("treinta", 30, NW::Add, ES), ("cuarenta", 40, NW::Add, ES), ("cincuenta", 50, NW::Add, ES),
    ("sesenta", 60, NW::Add, ES), ("setenta", 70, NW::Add, ES), ("ochenta", 80, NW::Add, ES),
    ("noventa", 90, NW::Add, ES), ("cien", 100, NW::Hundred, ES), ("ciento", 100, NW::Hundred, ES),
    ("doscientos", 200, NW::Add, ES), ("doscientas", 200, NW::Add, ES), ("trescientos", 300, NW::Add, ES),
    ("trescientas", 300, NW::Add, ES), ("cuatrocientos", 400, NW::Add, ES), ("quinientos", 500, NW::Add, ES),
    ("quinientas", 500, NW::Add, ES), ("seiscientos", 600, NW::Add, ES), ("setecientos", 700, NW::Add, ES),
    ("ochocientos", 800, NW::Add, ES), ("novecientos", 900, NW::Add, ES), ("mil", 1000, NW::Thousand, ES),
    // German (compounds like "siebenundzwanzig" are parsed in numbers.rs)
    ("ein", 1, NW::One, DE), ("eine", 1, NW::One, DE), ("einer", 1, NW::One, DE), ("einem", 1, NW::One, DE),
    ("einen", 1, NW::One, DE), ("eins", 1, NW::One, DE), ("zwei", 2, NW::Add, DE), ("drei", 3, NW::Add, DE),
    ("dreizehn", 13, NW::Add, DE), ("vierzehn", 14, NW::Add, DE), ("fünfzehn", 15, NW::Add, DE),
    ("sechzehn", 16, NW::Add, DE), ("siebzehn", 17, NW::Add, DE), ("achtzehn", 18, NW::Add, DE),
    ("neunzehn", 19, NW::Add, DE), ("vier", 4, NW::Add, DE), ("fünf", 5, NW::Add, DE), ("sechs", 6, NW::Add, DE), ("sieben", 7, NW::Add, DE),
    ("acht", 8, NW::Add, DE), ("neun", 9, NW::Add, DE), ("zehn", 10, NW::Add, DE), ("elf", 11, NW::Add, DE),
    ("zwölf", 12, NW::Add, DE), ("zwanzig", 20, NW::Add, DE), ("dreißig", 30, NW::Add, DE),
    ("vierzig", 40, NW::Add, DE), ("fünfzig", 50, NW::Add, DE), ("sechzig", 60, NW::Add, DE),
    ("siebzig", 70, NW::Add, DE), ("achtzig", 80, NW::Add, DE), ("neunzig", 90, NW::Add, DE),
    ("hundert", 100, NW::Hundred, DE), ("tausend", 1000, NW::Thousand, DE),
];

/// Scale words: (word, multiplier, flags). `S_CUR`: only with a currency in the same figure
/// ("5m" is metres otherwise); `S_APPROX`: the word itself is vague ("une dizaine").
pub const S_CUR: u8 = 1;
pub const S_APPROX: u8 = 2;
pub const S_THOUSAND: u8 = 4;
pub const SCALES: &[(&str, f64, u8)] = &[
    ("million", 1e6, 0), ("millions", 1e6, 0), ("milliard", 1e9, 0), ("milliards", 1e9, 0),
    ("billion", 1e9, 0), ("billions", 1e9, 0), ("trillion", 1e12, 0), ("trillions", 1e12, 0),
    ("md", 1e9, 0), ("mds", 1e9, 0), ("mrd", 1e9, 0), ("mrds", 1e9, 0), ("mio", 1e6, 0), ("mios", 1e6, 0),
    ("mn", 1e6, 0), ("mln", 1e6, 0), ("bn", 1e9, 0), ("bln", 1e9, 0), ("tn", 1e12, 0),
    ("m", 1e6, S_CUR), ("b", 1e9, S_CUR), ("k", 1e3, S_CUR), ("g", 1e9, S_CUR), ("t", 1e12, S_CUR),
    ("millón", 1e6, 0), ("millon", 1e6, 0), ("millones", 1e6, 0), ("billón", 1e12, 0), ("billones", 1e12, 0),
    ("millardo", 1e9, 0), ("millardos", 1e9, 0),
    ("millionen", 1e6, 0), ("milliarde", 1e9, 0), ("milliarden", 1e9, 0), ("billionen", 1e12, 0),
    ("thousand", 1e3, S_THOUSAND), ("mille", 1e3, S_THOUSAND), ("mil", 1e3, S_THOUSAND), ("tausend", 1e3, S_THOUSAND), ("tsd", 1e3, S_THOUSAND),
    ("dizaine", 10.0, S_APPROX), ("dizaines", 10.0, S_APPROX), ("douzaine", 12.0, S_APPROX), ("centaine", 100.0, S_APPROX),
    ("centaines", 100.0, S_APPROX), ("millier", 1000.0, S_APPROX), ("milliers", 1000.0, S_APPROX),
    ("decena", 10.0, S_APPROX), ("decenas", 10.0, S_APPROX), ("docena", 12.0, 0), ("centenar", 100.0, S_APPROX),
    ("centenares", 100.0, S_APPROX), ("millar", 1000.0, S_APPROX), ("millares", 1000.0, S_APPROX),
    ("dozen", 12.0, 0), ("dutzend", 12.0, 0),
];

/// Currency words (lowercase) to ISO 4217. Multi-word forms are handled in currency.rs.
pub const CURRENCY_WORDS: &[(&str, &str)] = &[
    ("dollar", "USD"), ("dollars", "USD"), ("dólar", "USD"), ("dólares", "USD"), ("dolar", "USD"), ("dolares", "USD"),
    ("euro", "EUR"), ("euros", "EUR"), ("livre", "GBP"), ("livres", "GBP"), ("sterling", "GBP"),
    ("pound", "GBP"), ("pounds", "GBP"), ("libra", "GBP"), ("libras", "GBP"), ("pfund", "GBP"),
    ("yen", "JPY"), ("yens", "JPY"), ("yuan", "CNY"), ("yuans", "CNY"), ("renminbi", "CNY"),
    ("franken", "CHF"), ("roupie", "INR"), ("roupies", "INR"), ("rupee", "INR"), ("rupees", "INR"),
    ("rupia", "INR"), ("rupias", "INR"), ("rouble", "RUB"), ("roubles", "RUB"), ("ruble", "RUB"), ("rubles", "RUB"),
    ("rubel", "RUB"), ("won", "KRW"), ("wons", "KRW"), ("rand", "ZAR"), ("rands", "ZAR"), ("reais", "BRL"),
    ("réal", "BRL"), ("réaux", "BRL"), ("zloty", "PLN"), ("zlotys", "PLN"), ("usd", "USD"), ("eur", "EUR"),
];

/// Currency codes, matched case-sensitively on the original text.
pub const CURRENCY_CODES: &[&str] = &[
    "USD", "EUR", "GBP", "JPY", "CNY", "CHF", "CAD", "AUD", "INR", "KRW", "RUB", "BRL", "SEK", "NOK", "DKK",
    "HKD", "SGD", "MXN", "ZAR", "PLN", "NZD", "RMB",
];

/// Approximation phrases, as token sequences ("'" is an apostrophe token), with their bound.
pub const APPROX: &[(&[&str], Option<Bound>, u8)] = &[
    (&["un", "peu", "plus", "de"], Some(Bound::Above), FR), (&["un", "peu", "plus", "d", "'"], Some(Bound::Above), FR),
    (&["un", "peu", "moins", "de"], Some(Bound::Below), FR), (&["un", "peu", "moins", "d", "'"], Some(Bound::Below), FR),
    (&["pas", "moins", "de"], Some(Bound::Above), FR), (&["pas", "moins", "d", "'"], Some(Bound::Above), FR),
    (&["plus", "de"], Some(Bound::Above), FR), (&["plus", "d", "'"], Some(Bound::Above), FR),
    (&["moins", "de"], Some(Bound::Below), FR), (&["moins", "d", "'"], Some(Bound::Below), FR),
    (&["près", "de"], Some(Bound::Around), FR), (&["près", "d", "'"], Some(Bound::Around), FR),
    (&["pres", "de"], Some(Bound::Around), FR), (&["environ"], Some(Bound::Around), FR),
    (&["quelque"], Some(Bound::Around), FR), (&["autour", "de"], Some(Bound::Around), FR),
    (&["autour", "d", "'"], Some(Bound::Around), FR), (&["aux", "alentours", "de"], Some(Bound::Around), FR),
    (&["de", "l", "'", "ordre", "de"], Some(Bound::Around), FR), (&["de", "l", "'", "ordre", "d", "'"], Some(Bound::Around), FR),
    (&["à", "peu", "près"], Some(Bound::Around), FR), (&["approximativement"], Some(Bound::Around), FR),
    (&["au", "moins"], Some(Bound::Above), FR), (&["au", "minimum"], Some(Bound::Above), FR),
    (&["jusqu", "'", "à"], Some(Bound::Below), FR), (&["jusqu", "'", "a"], Some(Bound::Below), FR),
    (&["presque"], Some(Bound::Below), FR), (&["quasiment"], Some(Bound::Below), FR),
    (&["près", "de"], Some(Bound::Around), FR), (&["au-delà", "de"], Some(Bound::Above), FR),
    (&["au", "-", "delà", "de"], Some(Bound::Above), FR), (&["au", "-", "delà", "d", "'"], Some(Bound::Above), FR),
    (&["supérieur", "à"], Some(Bound::Above), FR), (&["inférieur", "à"], Some(Bound::Below), FR),
    (&["plus", "que"], Some(Bound::Above), FR), (&["grosso", "modo"], Some(Bound::Around), FR),
    (&["just", "over"], Some(Bound::Above), EN), (&["just", "under"], Some(Bound::Below), EN),
    (&["more", "than"], Some(Bound::Above), EN), (&["less", "than"], Some(Bound::Below), EN),
    (&["fewer", "than"], Some(Bound::Below), EN), (&["at", "least"], Some(Bound::Above), EN),
    (&["up", "to"], Some(Bound::Below), EN), (&["as", "much", "as"], Some(Bound::Below), EN),
    (&["as", "many", "as"], Some(Bound::Below), EN), (&["close", "to"], Some(Bound::Around), EN),
    (&["upwards", "of"], Some(Bound::Above), EN), (&["in", "excess", "of"], Some(Bound::Above), EN),
    (&["an", "estimated"], Some(Bound::Around), EN), (&["over"], Some(Bound::Above), EN),
    (&["nearly"], Some(Bound::Below), EN), (&["almost"], Some(Bound::Below), EN), (&["about"], Some(Bound::Around), EN),
    (&["around"], Some(Bound::Around), EN), (&["approximately"], Some(Bound::Around), EN),
    (&["roughly"], Some(Bound::Around), EN), (&["some"], Some(Bound::Around), EN), (&["under"], Some(Bound::Below), EN),
    (&["approx"], Some(Bound::Around), EN), (&["circa"], Some(Bound::Around), EN | DE),
    (&["más", "de"], Some(Bound::Above), ES), (&["mas", "de"], Some(Bound::Above), ES),
    (&["menos", "de"], Some(Bound::Below), ES), (&["cerca", "de"], Some(Bound::Around), ES),
    (&["alrededor", "de"], Some(Bound::Around), ES), (&["en", "torno", "a"], Some(Bound::Around), ES),
    (&["al", "menos"], Some(Bound::Above), ES), (&["por", "lo", "menos"], Some(Bound::Above), ES),
    (&["hasta"], Some(Bound::Below), ES), (&["casi"], Some(Bound::Below), ES), (&["unos"], Some(Bound::Around), ES),
    (&["unas"], Some(Bound::Around), ES), (&["aproximadamente"], Some(Bound::Around), ES),
    (&["mehr", "als"], Some(Bound::Above), DE), (&["weniger", "als"], Some(Bound::Below), DE),
    (&["bis", "zu"], Some(Bound::Below), DE), (&["rund"], Some(Bound::Around), DE), (&["über"], Some(Bound::Above), DE),
    (&["etwa"], Some(Bound::Around), DE), (&["knapp"], Some(Bound::Below), DE), (&["fast"], Some(Bound::Below), DE),
    (&["ungefähr"], Some(Bound::Around), DE), (&["ca", "."], Some(Bound::Around), DE), (&["zirka"], Some(Bound::Around), DE),
    (&["mindestens"], Some(Bound::Above), DE), (&["annähernd"], Some(Bound::Around), DE),
    (&["nahezu"], Some(Bound::Below), DE), (&["gut"], Some(Bound::Above), DE), (&["gegen"], Some(Bound::Around), DE),
];

pub const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1), ("février", 2), ("fevrier", 2), ("mars", 3), ("avril", 4), ("mai", 5), ("juin", 6),
    ("juillet", 7), ("août", 8), ("aout", 8), ("septembre", 9), ("octobre", 10), ("novembre", 11), ("décembre", 12),
    ("decembre", 12),
    ("january", 1), ("february", 2), ("march", 3), ("april", 4), ("may", 5), ("june", 6), ("july", 7),
    ("august", 8), ("september", 9), ("october", 10), ("november", 11), ("december", 12),
    ("enero", 1), ("febrero", 2), ("marzo", 3), ("abril", 4), ("mayo", 5), ("junio", 6), ("julio", 7),
    ("agosto", 8), ("septiembre", 9), ("setiembre", 9), ("octubre", 10), ("noviembre", 11), ("diciembre", 12),
    ("januar", 1), ("jänner", 1), ("februar", 2), ("märz", 3), ("juni", 6), ("juli", 7),
    ("oktober", 10), ("dezember", 12),
];

/// Ordinal words for quarters and halves.
pub const ORDINALS: &[(&str, u32)] = &[
    ("premier", 1), ("première", 1), ("premiere", 1), ("deuxième", 2), ("deuxieme", 2), ("second", 2),
    ("seconde", 2), ("troisième", 3), ("troisieme", 3), ("quatrième", 4), ("quatrieme", 4),
    ("first", 1), ("third", 3), ("fourth", 4),
    ("primer", 1), ("primero", 1), ("primera", 1), ("segundo", 2), ("segunda", 2), ("tercer", 3), ("tercero", 3),
    ("tercera", 3), ("cuarto", 4), ("cuarta", 4),
    ("erste", 1), ("ersten", 1), ("erstes", 1), ("erster", 1), ("zweite", 2), ("zweiten", 2), ("zweites", 2),
    ("zweiter", 2), ("dritte", 3), ("dritten", 3), ("drittes", 3), ("dritter", 3), ("vierte", 4), ("vierten", 4),
    ("viertes", 4), ("vierter", 4),
];

/// Other words the grammar looks at.
pub const OTHER: &[&str] = &[
    // connectors
    "de", "d", "of", "del", "von", "vom", "des", "entre", "et", "between", "and", "y", "zwischen", "und", "from",
    "to", "à", "a", "bis", "desde", "hasta", "au", "en", "in", "im", "el", "la", "le", "l",
    // percent
    "pour", "cent", "percent", "per", "por", "ciento", "prozent", "pct", "points", "point", "pourcentage",
    "percentage", "pp", "puntos", "punto", "porcentuales", "porcentual", "prozentpunkte", "prozentpunkt",
    "basis", "pb", "pts",
    // periods
    "trimestre", "trimestres", "quarter", "quarters", "quartal", "quartals", "semestre", "semestres", "half",
    "halbjahr", "halbjahres", "jahreshälfte", "an", "année", "annee", "year", "año", "jahr", "jahres", "prochain",
    "prochaine", "dernier", "dernière", "derniere", "passé", "passée", "passe", "cette", "next", "this", "last",
    "próximo", "proximo", "pasado", "este", "que", "viene", "nächstes", "nächsten", "dieses", "diesem", "letztes",
    "letzten", "vergangenen", "vergangenes", "kommenden", "kommendes", "laufenden", "laufendes", "ce", "en", "cours",
    "fiscal", "exercice", "geschäftsjahr",
    // currency companions
    "us", "américains", "américain", "americains", "estadounidenses", "estadounidense", "suisse", "suisses",
    "francs", "franc", "francos", "suizos", "schweizer", "canadiens", "canadien", "australiens", "hongkong",
    "couronnes", "couronne", "danoises", "danoise", "suédoises", "suédoise", "norvégiennes", "norvégienne",
    "kroner", "krone", "kronor", "krona", "crowns", "danish", "swedish", "norwegian", "coronas", "danesas",
    "suecas", "noruegas", "kronen", "dänische", "dänischen", "schwedische", "schwedischen", "norwegische",
    "norwegischen",
    // misc
    "n", "no", "nr", "page", "p", "numéro", "numero", "heures", "heure", "h", "uhr",
];

/// Physical units: a number with one of these is a `number` (not a count, not money).
pub const UNITS: &[&str] = &[
    "gw", "mw", "kw", "gwh", "twh", "mwh", "kwh", "tw", "km", "m2", "m²", "km2", "km²", "ha", "hectare", "hectares",
    "tonne", "tonnes", "tons", "ton", "tonnen", "toneladas", "kg", "gb", "tb", "mètres",
    "metres", "meters", "metros", "meter", "quadratmeter", "hektar", "litres", "liters", "barils", "barrels",
    "pétaflops", "petaflops", "exaflops", "teraflops", "watts", "gigawatts", "mégawatts", "megawatts",
    "mph", "gbit",
];

/// Counted nouns by their singular form, with the languages that pluralise them.
/// German plurals that do not follow a suffix rule are listed as their own entries.
pub const COUNT_NOUNS: &[&str] = &[
    // French
    "salarié", "salariée", "employé", "employée", "emploi", "collaborateur", "collaboratrice", "personne",
    "utilisateur", "utilisatrice", "client", "cliente", "abonné", "abonnée", "puce", "processeur", "serveur",
    "opération", "transaction", "entreprise", "société", "start-up", "startup", "jeune pousse", "projet",
    "centre", "magasin", "boutique", "usine", "site", "poste", "ingénieur", "chercheur", "chercheuse",
    "développeur", "habitant", "visiteur", "téléchargement", "exemplaire", "véhicule", "voiture", "unité",
    "licenciement", "contrat", "brevet", "foyer", "ménage", "élève", "étudiant", "patient", "médecin", "agent",
    "membre", "investisseur", "accord", "levée", "modèle", "robot", "satellite", "avion", "appareil",
    "smartphone", "téléphone", "ordinateur", "accélérateur", "machine", "carte", "recrutement", "créateur",
    "fondateur", "participant", "touriste", "passager", "lecteur", "spectateur", "auditeur", "internaute",
    "pays", "ville", "commune", "école", "hôpital", "agence", "filiale", "succursale", "restaurant", "hôtel",
    "action", "licorne", "marque", "produit", "application", "logiciel", "dossier",
    "data center", "datacenter", "acquisition", "fusion", "deal", "contribuable", "bénéficiaire", "travailleur",
    "ouvrier", "cadre", "chômeur", "demandeur", "apprenti", "stagiaire", "doctorant", "partenaire", "fournisseur",
    // English
    "employee", "worker", "job", "person", "people", "user", "customer", "subscriber", "chip", "processor",
    "server", "deal", "round", "company", "firm", "business", "project", "center", "centre", "store", "factory",
    "plant", "engineer", "researcher", "developer", "resident", "visitor", "download", "unit", "vehicle", "car",
    "share", "layoff", "contract", "patent", "country", "city", "household", "home", "student", "member",
    "investor", "model", "device", "phone", "computer", "accelerator", "card", "startup", "staff",
    "staffer", "hire", "position", "seat", "account", "app", "brand", "product", "transaction", "passenger",
    "reader", "viewer", "listener", "founder", "partner", "supplier", "wafer",
    "data centre", "data center",
    // Spanish
    "empleado", "empleada", "trabajador", "trabajadora", "empleo", "persona", "usuario", "usuaria", "cliente",
    "abonado", "procesador", "servidor", "operación", "proyecto", "empresa", "compañía", "centro", "tienda",
    "fábrica", "planta", "ingeniero", "investigador", "desarrollador", "habitante", "visitante", "descarga",
    "unidad", "vehículo", "coche", "acción", "despido", "contrato", "patente", "país", "ciudad", "hogar",
    "estudiante", "paciente", "miembro", "inversor", "modelo", "dispositivo", "puesto", "chip",
    "centro de datos", "ronda", "socio", "proveedor", "pasajero", "lector", "alumno", "médico",
    // German (nominative singular and irregular plurals)
    "mitarbeiter", "mitarbeiterin", "mitarbeitende", "beschäftigte", 
    "angestellte", "arbeitsplatz", "arbeitsplätze", "stelle", "job", "person", "mensch",
    "menschen", "nutzer", "nutzerin", "kunde", "abonnent", "prozessor", "server", "projekt",
    "unternehmen", "firma", "firmen", "startup", "start-up", "rechenzentrum", "rechenzentren", "fabrik", "werk",
    "standort", "ingenieur", "forscher", "entwickler", "einwohner", "besucher", "einheit", "fahrzeug", "auto",
    "aktie", "entlassung", "vertrag", "verträge", "patent", "land", "länder", "stadt", "städte", "haushalt",
    "student", "studierende", "patient", "mitglied", "investor", "modell", "roboter", "gerät", "smartphone",
    "beschäftigter", "arbeitnehmer", "deal", "finanzierungsrunde", "gpu", "chip",
];
/// Head nouns that only count when followed by their complement ("tour de table").
pub const COUNT_PHRASES: &[(&str, &[&str], &str)] = &[
    ("tour", &["de", "table"], "tour de table"),
    ("tours", &["de", "table"], "tour de table"),
    ("centre", &["de", "données"], "centre de données"),
    ("centres", &["de", "données"], "centre de données"),
    ("centro", &["de", "datos"], "centro de datos"),
    ("centros", &["de", "datos"], "centro de datos"),
    ("data", &["center"], "data center"),
    ("data", &["centers"], "data center"),
    ("data", &["centres"], "data centre"),
    ("jeunes", &["pousses"], "jeune pousse"),
    ("jeune", &["pousse"], "jeune pousse"),
    ("cartes", &["graphiques"], "carte graphique"),
];
/// Words that may sit between a number and its noun ("20 000 nouveaux emplois").
pub const NOUN_ADJ: &[&str] = &[
    "nouveaux", "nouvelles", "nouveau", "nouvelle", "autres", "new", "additional", "more", "other", "nuevos",
    "nuevas", "nuevo", "otros", "otras", "neue", "neuen", "weitere", "weiteren", "zusätzliche", "zusätzlichen",
    "premiers", "premières", "derniers", "dernières", "full-time", "direct", "directs", "directes", "indirects",
    "directos", "directas", "indirectos", "millions", "million",
];

pub struct Lex {
    pub known: HashSet<&'static str>,
    pub numwords: HashMap<&'static str, Vec<(u32, NW, u8)>>,
    pub scales: HashMap<&'static str, (f64, u8)>,
    pub currency: HashMap<&'static str, &'static str>,
    pub months: HashMap<&'static str, u32>,
    pub ordinals: HashMap<&'static str, u32>,
    pub units: HashSet<&'static str>,
    pub nouns: HashMap<String, &'static str>,
    pub adj: HashSet<&'static str>,
}

pub fn lex() -> &'static Lex {
    static L: OnceLock<Lex> = OnceLock::new();
    L.get_or_init(build)
}

fn build() -> Lex {
    let mut known: HashSet<&'static str> = HashSet::new();
    let mut numwords: HashMap<&'static str, Vec<(u32, NW, u8)>> = HashMap::new();
    for &(w, v, r, m) in NUMWORDS {
        known.insert(w);
        numwords.entry(w).or_default().push((v, r, m));
    }
    let mut scales = HashMap::new();
    for &(w, v, f) in SCALES {
        known.insert(w);
        scales.insert(w, (v, f));
    }
    let mut currency = HashMap::new();
    for &(w, c) in CURRENCY_WORDS {
        known.insert(w);
        currency.insert(w, c);
    }
    for &(p, _, _) in APPROX {
        for w in p.iter() {
            known.insert(w);
        }
    }
    let months: HashMap<_, _> = MONTHS.iter().copied().collect();
    let ordinals: HashMap<_, _> = ORDINALS.iter().copied().collect();
    known.extend(months.keys());
    known.extend(ordinals.keys());
    known.extend(OTHER.iter());
    let units: HashSet<_> = UNITS.iter().copied().collect();
    known.extend(units.iter());
    let adj: HashSet<_> = NOUN_ADJ.iter().copied().collect();
    known.extend(adj.iter());
    let mut nouns: HashMap<String, &'static str> = HashMap::new();
    for &n in COUNT_NOUNS {
        if n.contains(' ') {
            continue;
        }
        // Plural forms by common suffix rules; the exact form always wins.
        let mut forms = vec![format!("{n}s"), format!("{n}es"), format!("{n}x"), format!("{n}n"), format!("{n}en"), format!("{n}e")];
        if let Some(stem) = n.strip_suffix('y') {
            forms.push(format!("{stem}ies"));
        }
        if let Some(stem) = n.strip_suffix("al") {
            forms.push(format!("{stem}aux"));
        }
        if let Some(stem) = n.strip_suffix("ón") {
            forms.push(format!("{stem}ones"));
        }
        if let Some(stem) = n.strip_suffix("ís") {
            forms.push(format!("{stem}íses"));
        }
        if let Some(stem) = n.strip_suffix("on") {
            forms.push(format!("{stem}ons"));
        }
        for f in forms {
            // Two singulars can share a plural ("clientes"): the longer stem is the closer one.
            let e = nouns.entry(f).or_insert(n);
            if e.len() < n.len() {
                *e = n;
            }
        }
    }
    for &n in COUNT_NOUNS {
        nouns.insert(n.to_string(), n);
    }
    // Irregular plurals and the singulars they map to.
    for &(p, s) in &[("people", "people"), ("menschen", "mensch"), ("länder", "land"), ("städte", "stadt"),
        ("verträge", "vertrag"), ("arbeitsplätze", "arbeitsplatz"), ("rechenzentren", "rechenzentrum"),
        ("firmen", "firma"), ("gpus", "GPU"), ("gpu", "GPU"), ("cpus", "CPU"), ("cpu", "CPU"), ("tpus", "TPU"),
        ("tpu", "TPU"), ("pme", "PME"), ("eti", "ETI"), ("pays", "pays"), ("hôpitaux", "hôpital"),
        ("employees", "employee"), ("empleos", "empleo"), ("chips", "chip"), ("staff", "staff")] {
        nouns.insert(p.to_string(), s);
    }
    Lex { known, numwords, scales, currency, months, ordinals, units, nouns, adj }
}

/// The canonical form of a lowercased word, if the grammar knows it.
pub fn known(lower: &str) -> Option<&'static str> {
    lex().known.get(lower).copied()
}

/// Singular of a counted noun (lowercase input).
pub fn count_noun(lower: &str) -> Option<&'static str> {
    lex().nouns.get(lower).copied()
}

/// Nouns of money: "51,2 milliards de revenus" is an amount in the document's currency.
const MONEY_NOUNS: &[&str] = &[
    "revenus", "revenu", "chiffre", "ventes", "bénéfice", "bénéfices", "pertes", "perte", "dette", "dettes",
    "investissements", "investissement", "financement", "financements", "dépenses", "recettes", "subventions",
    "capitalisation", "valorisation", "dividendes", "crédits", "crédit", "aides", "prêts", "prêt", "fonds",
    "budget", "trésorerie", "liquidités", "rachats", "commandes", "levées", "revenue", "revenues", "sales",
    "profit", "profits", "loss", "losses", "debt", "investment", "investments", "funding", "spending", "capex",
    "financing", "income", "earnings", "cash", "orders", "bookings", "ingresos", "ventas", "beneficio",
    "beneficios", "pérdidas", "deuda", "inversión", "inversiones", "financiación", "gasto", "gastos",
    "facturación", "umsatz", "gewinn", "verlust", "schulden", "investitionen", "finanzierung", "ausgaben",
    "erlöse", "umsätze", "valoración", "valuation", "valoraciones", "bewertung", "capitalización", "subvenciones",
    "ayudas", "préstamos", "préstamo", "dividends", "dividendos", "grants", "loans", "subsidies", "kredite",
];

pub fn is_money_noun(lower: &str) -> bool {
    MONEY_NOUNS.contains(&lower)
}
