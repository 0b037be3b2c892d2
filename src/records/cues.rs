//! Word cues for figure roles and sentence tone, in French, English, Spanish and German. Used when
//! no trained head is loaded, and as a tie-breaker next to one.

/// Role cues: a lowercase stem and the role it signals. Stems match at word starts.
pub const ROLE_CUES: &[(&str, &str)] = &[
    // raise
    ("lev", "raise"), ("lève", "raise"), ("levé", "raise"), ("levée", "raise"), ("tour de table", "raise"), ("série a", "raise"),
    ("série b", "raise"), ("série c", "raise"), ("série d", "raise"), ("financement", "raise"), ("refinanc", "raise"), ("emprunt", "raise"),
    ("obligat", "raise"), ("introduction en bourse", "raise"), ("récolt", "raise"), ("raise", "raise"), ("raising", "raise"), ("funding", "raise"),
    ("round", "raise"), ("series a", "raise"), ("series b", "raise"), ("series c", "raise"), ("ipo", "raise"), ("recaud", "raise"),
    ("ronda", "raise"), ("financiación", "raise"), ("finanzierung", "raise"), ("eingesammelt", "raise"), ("sammelt", "raise"),
    ("kapitalerhöhung", "raise"), ("capta", "raise"), ("lendo", "raise"), ("réuni", "raise"),
    // revenue
    ("chiffre d'affaires", "revenue"), ("revenus", "revenue"), ("ventes", "revenue"), ("recettes", "revenue"), ("facturé", "revenue"),
    ("revenue", "revenue"), ("sales", "revenue"), ("turnover", "revenue"), ("facturación", "revenue"), ("ingresos", "revenue"),
    ("ventas", "revenue"), ("umsatz", "revenue"), ("erlös", "revenue"), ("einnahmen", "revenue"), ("ca ", "revenue"), ("brought in", "revenue"), ("generated", "revenue"), ("a généré", "revenue"), ("ont généré", "revenue"),
    // profit
    ("bénéfice", "profit"), ("résultat net", "profit"), ("résultat opérationnel", "profit"), ("excédent brut", "profit"), ("ebitda", "profit"),
    ("ebit", "profit"), ("profit", "profit"), ("net income", "profit"), ("operating income", "profit"),
    ("beneficio", "profit"), ("gewinn", "profit"), ("überschuss", "profit"), ("betriebsergebnis", "profit"), ("marge", "profit"),
    // loss
    ("perte", "loss"), ("déficit", "loss"), ("loss", "loss"), ("pérdida", "loss"), ("verlust", "loss"), ("dépréciation", "loss"),
    ("write-down", "loss"), ("impairment", "loss"), ("abschreibung", "loss"),
    // acquire
    ("rachat", "acquire"), ("rachet", "acquire"), ("rachète", "acquire"), ("acquisition", "acquire"), ("acquér", "acquire"), ("acquier", "acquire"),
    ("acquire", "acquire"), ("acquiring", "acquire"), ("buy", "acquire"), ("takeover", "acquire"), ("purchase", "acquire"), ("deal", "acquire"),
    ("adquisición", "acquire"), ("adquiri", "acquire"), ("compra", "acquire"), ("übernahme", "acquire"), ("übernimmt", "acquire"),
    ("übernehm", "acquire"), ("kauft", "acquire"), ("kaufpreis", "acquire"), ("offre publique", "acquire"), ("opa", "acquire"),
    // valuation
    ("valoris", "valuation"), ("valued", "valuation"), ("valuation", "valuation"), ("valoración", "valuation"), ("valorada", "valuation"),
    ("valorado", "valuation"), ("bewertung", "valuation"), ("bewertet", "valuation"), ("capitalisation", "valuation"), ("market value", "valuation"),
    ("vaut", "valuation"), ("vaudrait", "valuation"), ("valait", "valuation"), ("values", "valuation"), ("valuing", "valuation"),
    ("valora ", "valuation"), ("valorando", "valuation"), ("valorisant", "valuation"),
    // revenue at an annual rate
    ("annualis", "revenue"), ("annualiz", "revenue"), ("rythme annuel", "revenue"), ("run rate", "revenue"), ("run-rate", "revenue"), ("ritmo anual", "revenue"),
    // not a fact of the actor's own: syndication, market-value moves
    ("syndiqu", "other"), ("syndicat", "other"), ("syndicate", "other"), ("gain in", "other"),
    // invest
    ("invest", "invest"), ("capex", "invest"), ("dépenses d'investissement", "invest"), ("dépenses", "invest"), ("budget", "invest"),
    ("consacr", "invest"), ("inject", "invest"), ("apport", "invest"), ("participation de", "invest"), ("stake", "invest"),
    ("beteiligung", "invest"), ("participación", "invest"), ("pour financer", "invest"), ("to fund", "invest"), ("para financiar", "invest"), ("mobilis", "invest"), ("enveloppe", "invest"), ("plan de", "invest"),
    ("subvention", "invest"), ("aide", "invest"), ("spend", "invest"), ("capital expenditure", "invest"), ("capital spending", "invest"),
    ("inversi", "invest"), ("invert", "invest"), ("invier", "invest"), ("gasto", "invest"), ("investier", "invest"), ("investition", "invest"),
    ("ausgaben", "invest"), ("förder", "invest"), ("subvenci", "invest"), ("construire", "invest"), ("construction", "invest"),
];

pub const POSITIVE: &[&str] = &[
    "hausse", "croissance", "progress", "record", "bond", "grimp", "envol", "dépass", "succès", "solide", "renforc", "ambition",
    "confiance", "optimis", "bénéfice", "gagn", "amélior", "accélér", "salue", "réussi", "leader", "champion", "rebond", "dynamique",
    "growth", "rose", "rise", "rising", "jump", "surge", "soar", "beat", "strong", "record", "gain", "boost", "exceed", "robust",
    "optimis", "upbeat", "crec", "aument", "subid", "éxito", "récord", "fuerte", "wachs", "steig", "gewinn", "rekord", "stark",
    "übertr", "plus", "positiv", "confian", "atrae", "lidera", "impuls",
];

pub const NEGATIVE: &[&str] = &[
    "baisse", "chute", "recul", "perte", "déficit", "licenci", "suppression", "inquiét", "inquiè", "crainte", "risque", "déçu",
    "décev", "ralent", "difficult", "crise", "menace", "plong", "effondr", "dégrad", "prudent", "sanction", "amende", "abandon",
    "fall", "fell", "drop", "declin", "loss", "layoff", "cut", "slump", "miss", "weak", "concern", "worr", "risk", "plunge", "warn",
    "caíd", "cae", "pérdida", "despid", "descens", "baj", "preocup", "riesgo", "rückgang", "verlust", "sink", "fall", "einbruch",
    "abbau", "entlass", "schwach", "sorge", "risiko", "minus", "pénalis", "tension", "retard", "sous-perform",
];
