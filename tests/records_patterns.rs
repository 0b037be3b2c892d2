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
