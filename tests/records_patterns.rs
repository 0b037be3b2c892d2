//! Record patterns end to end without the encoder: a test reader tags the names given to it,
//! the figures grammar and the records builder do the rest; then store, query and export.

use veille::output::DocumentOut;
use veille::pipeline::{analyze, Reader, Reading};
use veille::store::{NewDocument, RecordFilter, Store};
use veille::text::Span;

/// Tags every occurrence of the given names; no tones, no roles (the cue rules decide).
struct Names(Vec<(&'static str, &'static str)>);

impl Reader for Names {
    fn read(&self, text: &str, _s: &[Span], figs: &[(usize, usize)]) -> Result<Reading, String> {
        let mut entities = Vec::new();
        for (name, label) in &self.0 {
            for (b, _) in text.match_indices(name) {
                let st = text[..b].chars().count();
                entities.push((st, st + name.chars().count(), label.to_string(), 0.95));
            }
        }
        entities.sort_by_key(|e| e.0);
        Ok(Reading { entities, tones: vec![], roles: vec![None; figs.len()], doc_tone_rule: None })
    }
}

fn doc(path: &str, text: &str, names: &[(&'static str, &'static str)]) -> DocumentOut {
    let ext = path.rsplit('.').next().unwrap();
    let article = veille::ingest::read_bytes(path, ext, text.as_bytes()).unwrap().remove(0).unwrap();
    analyze(&article, Some(&Names(names.to_vec()))).unwrap()
}

fn find<'a>(d: &'a DocumentOut, action: &str, max: f64) -> &'a veille::output::RecordOut {
    d.records
        .iter()
        .find(|r| veille::records::action_group(&r.action) == action && r.amount.max.map(|m| (m - max).abs() <= 1e-6 * max).unwrap_or(false))
        .unwrap_or_else(|| panic!("no {action} {max} in {:#?}", d.records))
}

const META_FR: &str = "Meta va investir 65 milliards de dollars dans l'IA\n\
En 2025, Meta Platforms va investir dans l'intelligence artificielle, avec un budget compris entre 60 et 65 milliards de dollars. \
Le groupe de Menlo Park a dépensé 40 milliards de dollars d'investissement en capital en 2024. \
Au premier trimestre 2024, le chiffre d'affaires de la firme a atteint 36,46 milliards de dollars, soit une hausse de 27 % sur un an. \
L'objectif ? Finir l'année avec plus d'1,3 million de GPU.\n";

#[test]
fn french_actor_variants_action_period_related_and_one_record_per_fact() {
    let d = doc("meta.txt", META_FR, &[("Meta Platforms", "ORG"), ("Meta ", "ORG"), ("Menlo Park", "LOC")]);
    let plan = find(&d, "invest", 65e9);
    assert_eq!(plan.actor, "Meta");
    assert_eq!(plan.amount.min, Some(60e9), "the body range wins over the headline's upper bound");
    assert_eq!(plan.mentions.len(), 2, "title and body are one fact");
    assert_eq!(plan.period.as_ref().unwrap().start, "2025-01-01");
    assert!(plan.target.as_deref().unwrap_or("").contains("intelligence artificielle") || plan.target.is_some());
    let capex = find(&d, "invest", 40e9);
    assert_eq!(capex.actor, "Meta", "'le groupe' refers back to Meta");
    assert_eq!(capex.period.as_ref().unwrap().start, "2024-01-01");
    let rev = find(&d, "revenue", 36.46e9);
    assert_eq!(rev.actor, "Meta");
    assert!(rev.related.iter().any(|r| r.relation == "growth" && r.max == Some(27.0)));
    assert_eq!(rev.period.as_ref().unwrap().start, "2024-01-01");
    assert!(d.records.iter().all(|r| r.actor != "Menlo Park"), "never a place");
}

#[test]
fn english_clause_subject_comparison_and_anaphora() {
    let text = "Cloud results\nAmazon's cloud revenue rose 20% to $33 billion, while Microsoft reported $49 billion in cloud revenue. \
AWS operating income hit $11.4 billion compared with $10.4 billion a year earlier. \
The company said it will spend $34.2 billion on data centers.\n";
    let d = doc("cloud.txt", text, &[("Amazon", "ORG"), ("Microsoft", "ORG"), ("AWS", "ORG")]);
    assert_eq!(find(&d, "revenue", 33e9).actor, "Amazon");
    assert_eq!(find(&d, "revenue", 49e9).actor, "Microsoft");
    assert_eq!(find(&d, "profit", 11.4e9).actor, "AWS");
    assert!(d.records.iter().all(|r| r.amount.max != Some(10.4e9)), "an earlier comparable amount is no record");
    assert_eq!(find(&d, "invest", 34.2e9).actor, "AWS");
}

#[test]
fn investors_named_after_the_amount_and_sources() {
    let text = "Sommet IA\nCe montant inclut 20 milliards d'euros de la part du fonds canadien Brookfield. \
Selon Reuters, Mistral AI a levé 600 millions d'euros. \
Don't Nod récolte 46 millions d'euros, dont 35 millions auprès de Tencent.\n";
    let d = doc("sommet.txt", text, &[("Brookfield", "ORG"), ("Reuters", "ORG"), ("Mistral AI", "ORG"), ("Don't Nod", "ORG"), ("Tencent", "ORG")]);
    assert_eq!(find(&d, "invest", 20e9).actor, "Brookfield");
    assert_eq!(find(&d, "raise", 600e6).actor, "Mistral AI");
    assert_eq!(find(&d, "raise", 46e6).actor, "Don't Nod");
    assert_eq!(find(&d, "invest", 35e6).actor, "Tencent");
}

fn store_with(docs: &[(&str, &str, DocumentOut)]) -> Store {
    let mut store = Store::in_memory().unwrap();
    for (_, text, d) in docs {
        store.insert_document(&NewDocument { doc: d, text }).unwrap();
    }
    store
}

#[test]
fn same_fact_across_documents_is_linked_and_queries_filter() {
    let a = "Meta investit\nMeta va investir 65 milliards de dollars en 2025 dans l'IA.\n";
    let b = "IA : Meta accélère\nMeta Platforms prévoit d'investir 65 milliards de dollars en 2025.\n";
    let c = "Mistral lève des fonds\nMistral AI a levé 600 millions d'euros en 2024.\n";
    let names = [("Meta Platforms", "ORG"), ("Meta", "ORG"), ("Mistral AI", "ORG")];
    let docs = [("a.txt", a, doc("a.txt", a, &names)), ("b.txt", b, doc("b.txt", b, &names)), ("c.txt", c, doc("c.txt", c, &names))];
    let store = store_with(&docs);
    let distinct = store.query_records(&RecordFilter { distinct: true, action: Some("invest".into()), ..Default::default() }).unwrap();
    assert_eq!(distinct.len(), 1, "{distinct:#?}");
    assert_eq!(distinct[0].sources, vec!["a.txt".to_string(), "b.txt".to_string()]);
    // Actor by any variant, currency, range converted with the default rates, period, text.
    let q = |f: RecordFilter| store.query_records(&f).unwrap().len();
    assert_eq!(q(RecordFilter { actor: Some("Meta Platforms".into()), ..Default::default() }), 2);
    assert_eq!(q(RecordFilter { currency: Some("eur".into()), ..Default::default() }), 1);
    assert_eq!(q(RecordFilter { in_currency: Some("USD".into()), min_amount: Some(600e6), max_amount: Some(700e6), ..Default::default() }), 1, "600 M EUR is about 624 M USD");
    assert_eq!(q(RecordFilter { min_amount: Some(600e6), max_amount: Some(610e6), ..Default::default() }), 1);
    assert_eq!(q(RecordFilter { period_from: Some("2025-01-01".into()), period_to: Some("2025-12-31".into()), ..Default::default() }), 2);
    assert_eq!(q(RecordFilter { text: Some("levé".into()), ..Default::default() }), 1);
    assert_eq!(q(RecordFilter { lang: Some(docs[2].2.lang.clone()), action: Some("raise".into()), ..Default::default() }), 1);
    assert_eq!(q(RecordFilter { sentiment: Some("negative".into()), ..Default::default() }), 0);
    let rates = store.rates().unwrap();
    assert!(rates.iter().any(|(c, _, as_of)| c == "EUR" && as_of.as_deref().unwrap_or("").contains("2025")));
}

#[test]
fn parquet_export_has_one_row_per_record() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let a = "Mistral lève des fonds\nMistral AI a levé 600 millions d'euros en 2024. Elle est valorisée 6 milliards d'euros.\n";
    let d = doc("c.txt", a, &[("Mistral AI", "ORG")]);
    assert_eq!(d.records.len(), 2, "{:#?}", d.records);
    let store = store_with(&[("c.txt", a, d)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.parquet");
    let rows = veille::store::parquet::flat_records(&store).unwrap();
    veille::store::parquet::write_parquet(std::fs::File::create(&path).unwrap(), &rows).unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
    let names: Vec<String> = reader.metadata().file_metadata().schema_descr().columns().iter().map(|c| c.name().to_string()).collect();
    assert!(names.contains(&"actor".to_string()) && names.contains(&"amount_max".to_string()));
}

// ---- Issue 12: patterns of real prose, each in French, English, Spanish and German. ----

fn only<'a>(d: &'a DocumentOut, action: &str) -> Vec<&'a veille::output::RecordOut> {
    d.records.iter().filter(|r| veille::records::action_group(&r.action) == action).collect()
}

#[test]
fn investors_of_a_round_stand_beside_the_company_that_raises() {
    let cases: [(&str, &str, &[(&'static str, &'static str)], &str, &[&str]); 4] = [
        ("a.txt", "Assurance\nAlan lève 173 millions d'euros auprès de Coatue et Temasek.\n", &[("Alan", "ORG"), ("Coatue", "ORG"), ("Temasek", "ORG")], "Alan", &["Coatue", "Temasek"]),
        ("b.txt", "Funding\nAcme raised $50 million in a round led by Sequoia, with participation from Accel.\n", &[("Acme", "ORG"), ("Sequoia", "ORG"), ("Accel", "ORG")], "Acme", &["Sequoia", "Accel"]),
        ("c.txt", "Ronda\nFactorial recauda 120 millones de euros en una ronda liderada por Atomico.\n", &[("Factorial", "ORG"), ("Atomico", "ORG")], "Factorial", &["Atomico"]),
        ("d.txt", "Runde\nHelsing sammelt 450 Millionen Euro ein, angeführt von General Catalyst und Accel.\n", &[("Helsing", "ORG"), ("General Catalyst", "ORG"), ("Accel", "ORG")], "Helsing", &["General Catalyst", "Accel"]),
    ];
    for (path, text, names, actor, investors) in cases {
        let d = doc(path, text, names);
        let raises = only(&d, "raise");
        assert_eq!(raises.len(), 1, "{path}: {:#?}", d.records);
        assert_eq!(raises[0].actor, actor, "{path}");
        assert_eq!(raises[0].investors, investors.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{path}");
    }
    // The funders named in the next sentence ("Le tour est mené par …") belong to the round.
    let d = doc("e.txt", "Pigment\nPigment a annoncé une série D de 145 millions de dollars. Le tour est mené par le fonds ICONIQ Growth, accompagné d'IVP.\n", &[("Pigment", "ORG"), ("ICONIQ Growth", "ORG"), ("IVP", "ORG")]);
    let r = only(&d, "raise");
    assert_eq!((r[0].actor.as_str(), r[0].investors.clone(), r[0].target.as_deref()), ("Pigment", vec!["ICONIQ Growth".to_string(), "IVP".to_string()], Some("série D")));
}

/// A role head that reads every amount as a raise, as a trained head does on a sentence about a round.
struct RaiseHead(Names);

impl Reader for RaiseHead {
    fn read(&self, text: &str, s: &[Span], figs: &[(usize, usize)]) -> Result<Reading, String> {
        let mut r = self.0.read(text, s, figs)?;
        r.roles = vec![Some(("raise".to_string(), 0.9)); figs.len()];
        Ok(r)
    }
}

#[test]
fn amounts_in_a_valuation_slot_are_valuations_even_beside_a_raise() {
    let cases: [(&str, &str, &[(&'static str, &'static str)], f64, f64); 4] = [
        ("a.txt", "Mistral\nMistral AI lève 600 millions d'euros et vaut désormais près de 6 milliards d'euros.\n", &[("Mistral AI", "ORG")], 600e6, 6e9),
        ("b.txt", "OpenAI\nOpenAI raised $6.6 billion in a round that values the company at $157 billion.\n", &[("OpenAI", "ORG")], 6.6e9, 157e9),
        ("c.txt", "Glovo\nGlovo recauda 450 millones de euros, con una valoración de 2.000 millones de euros.\n", &[("Glovo", "ORG")], 450e6, 2e9),
        ("d.txt", "Helsing\nHelsing sammelt 450 Millionen Euro ein und wird mit 4,5 Milliarden Euro bewertet.\n", &[("Helsing", "ORG")], 450e6, 4.5e9),
    ];
    for (path, text, names, raised, valued) in cases {
        let article = veille::ingest::read_bytes(path, "txt", text.as_bytes()).unwrap().remove(0).unwrap();
        let d = analyze(&article, Some(&RaiseHead(Names(names.to_vec())))).unwrap();
        assert_eq!(find(&d, "raise", raised).action, "raise", "{path}");
        assert_eq!(find(&d, "valuation", valued).action, "valuation", "{path}: {:#?}", d.records);
        assert!(only(&d, "raise").len() == 1, "{path}: the valuation is no raise: {:#?}", d.records);
    }
}

#[test]
fn annualised_revenue_is_revenue_whatever_the_head_says() {
    let cases = [
        ("mistral ai facture 300 millions d'euros à un rythme annuel.", "300 millions d'euros"),
        ("anthropic reached $1 billion in annualised revenue.", "$1 billion"),
        ("cabify alcanza 500 millones de euros a ritmo anual.", "500 millones de euros"),
        ("celonis erreicht 500 millionen euro annualisierten umsatz.", "500 millionen euro"),
    ];
    for (s, fig) in cases {
        let b = s.find(fig).unwrap();
        let st = s[..b].chars().count();
        let role = veille::records::resolve_role(Some("raise"), s, st, st + fig.chars().count()).unwrap().0;
        assert_eq!(role, "revenue", "{s}");
    }
}

#[test]
fn guidance_and_objectives_are_forecasts_not_facts() {
    let cases: [(&str, &str, &[(&'static str, &'static str)], &str, f64); 4] = [
        ("a.txt", "Nvidia\nPour le trimestre en cours, Nvidia prévoit un chiffre d'affaires de 65 milliards de dollars.\n", &[("Nvidia", "ORG")], "revenue", 65e9),
        ("b.txt", "Microsoft\nMicrosoft expects capital spending of $30 billion this quarter.\n", &[("Microsoft", "ORG")], "invest", 30e9),
        ("c.txt", "Telefónica\nTelefónica prevé unos ingresos de 41.000 millones de euros.\n", &[("Telefónica", "ORG")], "revenue", 41e9),
        ("d.txt", "Nvidia\nIm laufenden Quartal rechnet Nvidia mit Erlösen von 6,8 Milliarden Dollar.\n", &[("Nvidia", "ORG")], "revenue", 6.8e9),
    ];
    for (path, text, names, action, amount) in cases {
        let d = doc(path, text, names);
        assert!(find(&d, action, amount).forecast, "{path}: {:#?}", d.records);
    }
    let d = doc("e.txt", "Nvidia\nNvidia a réalisé un chiffre d'affaires de 57 milliards de dollars.\n", &[("Nvidia", "ORG")]);
    assert!(!find(&d, "revenue", 57e9).forecast, "a reported amount is a fact");
    // "en passe de franchir la barre des 100 millions": a threshold on track is a forecast.
    let d = doc("f.txt", "Mistral\nLe chiffre d'affaires de Mistral AI est en passe de franchir la barre des 100 millions de dollars.\n", &[("Mistral AI", "ORG")]);
    assert!(find(&d, "revenue", 100e6).forecast);
}

#[test]
fn targets_name_what_the_money_goes_to_never_the_period() {
    let cases: [(&str, &str, &[(&'static str, &'static str)], f64, &str); 4] = [
        ("a.txt", "Meta\nMeta investit 10 milliards de dollars dans des centres de données en Louisiane en 2025.\n", &[("Meta", "ORG")], 10e9, "centres de données en Louisiane"),
        ("b.txt", "Amazon\nAmazon will invest $10 billion in data centres in Ohio by 2026.\n", &[("Amazon", "ORG")], 10e9, "data centres in Ohio"),
        ("c.txt", "Meta\nMeta invertirá 750 millones de euros en un centro de datos en Talavera.\n", &[("Meta", "ORG")], 750e6, "centro de datos en Talavera"),
        ("d.txt", "Microsoft\nMicrosoft investiert 3,2 Milliarden Euro in Rechenzentren in Hessen bis 2025.\n", &[("Microsoft", "ORG")], 3.2e9, "Rechenzentren in Hessen"),
    ];
    for (path, text, names, amount, target) in cases {
        let d = doc(path, text, names);
        assert_eq!(find(&d, "invest", amount).target.as_deref(), Some(target), "{path}");
    }
    let d = doc("e.txt", "Capgemini\nCapgemini investira 2 milliards d'euros en 2025.\n", &[("Capgemini", "ORG")]);
    let t = find(&d, "invest", 2e9).target.clone().unwrap();
    assert!(!t.contains("2025"), "the period is no target: {t}");
    let d = doc("f.txt", "LVMH\nLe chiffre d'affaires du premier trimestre de LVMH a atteint 20 milliards d'euros.\n", &[("LVMH", "ORG")]);
    assert_eq!(find(&d, "revenue", 20e9).target.as_deref(), Some("chiffre d'affaires du premier trimestre"));
}

#[test]
fn a_founder_is_no_actor_of_the_round_and_a_relative_clause_names_the_investor() {
    let cases: [(&str, &str, &[(&'static str, &'static str)]); 4] = [
        ("a.txt", "Pigment\nPigment édite un logiciel. L'entreprise fondée par Eléonore Crespo a levé 400 millions de dollars.\n", &[("Pigment", "ORG"), ("Eléonore Crespo", "PER")]),
        ("b.txt", "Acme\nAcme builds robots. The company founded by John Smith raised $40 million.\n", &[("Acme", "ORG"), ("John Smith", "PER")]),
        ("c.txt", "Acme\nAcme fabrica robots. La empresa fundada por Juan Pérez recauda 40 millones de euros.\n", &[("Acme", "ORG"), ("Juan Pérez", "PER")]),
        ("d.txt", "Acme\nAcme baut Roboter. Das Unternehmen von Hans Müller sammelt 40 Millionen Euro ein.\n", &[("Acme", "ORG"), ("Hans Müller", "PER")]),
    ];
    for (path, text, names) in cases {
        let d = doc(path, text, names);
        let r = only(&d, "raise");
        assert_eq!(r.len(), 1, "{path}: {:#?}", d.records);
        assert_eq!(r[0].actor, names[0].0, "{path}");
    }
    let cases: [(&str, &str); 4] = [
        ("a.txt", "Mistral\nMistral AI vend ses modèles via Azure, le cloud de Microsoft, qui avait pris une participation de 15 millions d'euros.\n"),
        ("b.txt", "Mistral\nMistral AI sells its models through Azure, the cloud of Microsoft, which took a $15 million stake.\n"),
        ("c.txt", "Mistral\nMistral AI vende sus modelos a través de Azure, la nube de Microsoft, que tomó una participación de 15 millones de euros.\n"),
        ("d.txt", "Mistral\nMistral AI verkauft seine Modelle über Azure, die Cloud von Microsoft, die eine Beteiligung von 15 Millionen Euro hält.\n"),
    ];
    for (path, text) in cases {
        let d = doc(path, text, &[("Mistral AI", "ORG"), ("Azure", "ORG"), ("Microsoft", "ORG")]);
        let r = find(&d, "invest", 15e6);
        assert_eq!(r.actor, "Microsoft", "{path}: {:#?}", d.records);
    }
}

#[test]
fn a_raise_still_to_be_made_is_no_raise() {
    let cases: [(&str, &str, &'static str); 4] = [
        ("a.txt", "Atos\nAtos doit refinancer près de 5 milliards d'euros de dette.\n", "Atos"),
        ("b.txt", "Intel\nIntel needs to raise $5 billion in new funding.\n", "Intel"),
        ("c.txt", "Grifols\nGrifols debe refinanciar 5.000 millones de euros de deuda.\n", "Grifols"),
        ("d.txt", "Varta\nVarta muss eine Kapitalerhöhung von 500 Millionen Euro stemmen.\n", "Varta"),
    ];
    for (path, text, name) in cases {
        let d = doc(path, text, &[(name, "ORG")]);
        assert!(only(&d, "raise").is_empty(), "{path}: {:#?}", d.records);
    }
}

#[test]
fn falling_figures_under_positive_sentences_make_a_mixed_document() {
    let cases = [
        ("a.txt", "Levées\nLes start-up lèvent 492 millions d'euros. Soit 28 % de moins qu'en janvier et 34 % de moins qu'en 2022.\n"),
        ("b.txt", "Funding\nStartups raised $492 million, down 28% from January and down 34% from a year ago.\n"),
        ("c.txt", "Rondas\nLas startups recaudan 492 millones de euros, una caída de 28 % frente a enero y una caída de 34 % en un año.\n"),
        ("d.txt", "Runden\nStart-ups sammeln 492 Millionen Euro ein, ein Rückgang um 28 Prozent zum Januar und ein Rückgang um 34 Prozent zum Vorjahr.\n"),
    ];
    for (path, text) in cases {
        let d = doc(path, text, &[]);
        let (rises, falls) = veille::records::figure_moves(text, &d.figures);
        assert_eq!((rises, falls), (0, 2), "{path}");
        let positive: Vec<veille::output::SentenceOut> =
            d.sentences.iter().map(|s| veille::output::SentenceOut { tone: Some("positive".into()), score: Some(0.9), ..s.clone() }).collect();
        let tone = veille::records::document_tone_of(text, &positive, &d.figures, &Default::default()).unwrap();
        assert_eq!(tone.label, "mixed", "{path}");
        assert_eq!(veille::records::document_tone(&positive).unwrap().label, "positive", "sentences alone read positive");
    }
}

#[test]
fn investors_are_stored_exported_and_queried() {
    let a = "Alan\nAlan lève 173 millions d'euros auprès de Coatue et Temasek.\n";
    let b = "Pigment\nPigment lève 145 millions de dollars auprès d'ICONIQ Growth.\n";
    let names = [("Alan", "ORG"), ("Coatue", "ORG"), ("Temasek", "ORG"), ("Pigment", "ORG"), ("ICONIQ Growth", "ORG")];
    let store = store_with(&[("a.txt", a, doc("a.txt", a, &names)), ("b.txt", b, doc("b.txt", b, &names))]);
    let rows = store.query_records(&RecordFilter { investor: Some("temasek".into()), ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.actor, "Alan");
    assert_eq!(rows[0].record.investors, vec!["Coatue".to_string(), "Temasek".to_string()], "read back from the store");
    assert_eq!(store.query_records(&RecordFilter { investor: Some("Sequoia".into()), ..Default::default() }).unwrap().len(), 0);
    let flat = veille::store::parquet::flat_records(&store).unwrap();
    assert!(flat.iter().any(|r| r.record.investors == vec!["ICONIQ Growth".to_string()]));
}
