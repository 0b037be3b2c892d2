//! Table-driven cases (tests.tsv) and property tests over random and spliced text.
//!
//! tests.tsv: `lang <TAB> published|- <TAB> phrase <TAB> expected`, expected being `-` (no figure)
//! or figures joined by ` ;; `, each `text|kind|min|max|unit|approx` (min/max/unit `-` when empty);
//! periods are `text|period|start|end|granularity|relative`. `<NBSP>`, `<NNBSP>` in a phrase stand
//! for U+00A0 and U+202F. Every case must match exactly: same figures, same order.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::lang::Lang;

const TABLE: &str = include_str!("tests.tsv");

fn unescape(s: &str) -> String {
    s.replace("<NBSP>", "\u{a0}").replace("<NNBSP>", "\u{202f}")
}

fn render(f: &Figure) -> String {
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
    match &f.period {
        Some(p) => format!("{}|period|{}|{}|{}|{}", f.text, p.start, p.end, p.granularity, p.relative),
        None => format!(
            "{}|{}|{}|{}|{}|{}",
            f.text,
            serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            num(f.min),
            num(f.max),
            f.unit.clone().unwrap_or_else(|| "-".into()),
            f.approx
        ),
    }
}

fn same(expected: &str, f: &Figure) -> bool {
    let e: Vec<&str> = expected.split('|').collect();
    if e.len() != 6 {
        return false;
    }
    if e[1] == "period" {
        return render(f) == unescape(expected);
    }
    let close = |want: &str, got: Option<f64>| match (want, got) {
        ("-", None) => true,
        (w, Some(g)) => w.parse::<f64>().map_or(false, |w| (w - g).abs() <= 1e-9 * w.abs().max(1.0)),
        _ => false,
    };
    let r: Vec<String> = render(f).split('|').map(String::from).collect();
    r[0] == unescape(e[0]) && r[1] == e[1] && close(e[2], f.min) && close(e[3], f.max) && r[4] == e[4] && r[5] == e[5]
}

fn check_invariants(text: &str, figs: &[Figure]) {
    let chars: Vec<char> = text.chars().collect();
    let mut last_end = 0;
    for f in figs {
        assert!(f.start < f.end && f.end <= chars.len(), "span out of input: {f:?}");
        assert!(f.start >= last_end, "overlap or unsorted: {f:?}");
        last_end = f.end;
        let t: String = chars[f.start..f.end].iter().collect();
        assert_eq!(t, f.text);
        if let (Some(a), Some(b)) = (f.min, f.max) {
            assert!(a <= b, "min > max: {f:?}");
        }
        if f.kind == FigureKind::Period {
            assert!(f.period.is_some() && f.min.is_none() && f.max.is_none());
        }
    }
}

fn cases() -> Vec<(usize, Context, String, String)> {
    let mut out = Vec::new();
    for (n, line) in TABLE.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "tests.tsv:{}: four columns expected", n + 1);
        let published = NaiveDate::parse_from_str(cols[1], "%Y-%m-%d").ok();
        let ctx = Context { lang: Lang::from_code(cols[0]), published };
        out.push((n + 1, ctx, unescape(cols[2]), cols[3].to_string()));
    }
    out
}

#[test]
fn table() {
    let cases = cases();
    assert!(cases.len() >= 400, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (line, ctx, phrase, expected) in &cases {
        let figs = extract(phrase, ctx);
        check_invariants(phrase, &figs);
        let want: Vec<&str> = if expected == "-" { vec![] } else { expected.split(" ;; ").collect() };
        let ok = want.len() == figs.len() && want.iter().zip(&figs).all(|(w, f)| same(w, f));
        if !ok {
            let got: Vec<String> = figs.iter().map(render).collect();
            failures.push(format!("tests.tsv:{line}: {phrase:?}\n   want {expected}\n   got  {}", if got.is_empty() { "-".into() } else { got.join(" ;; ") }));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn example_article() {
    // The shared sample sits beside the checkout; skip quietly where it is absent.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/fr_meta_ia_2025.txt");
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let text = text.as_str();
    let figs = extract(text, &Context { lang: Lang::Fr, published: None });
    check_invariants(text, &figs);
    let got: Vec<(String, FigureKind)> = figs.iter().map(|f| (f.text.replace('’', "'"), f.kind)).collect();
    let want = [
        ("65 milliards de dollars", FigureKind::Money), ("plus d'un million de GPU", FigureKind::Count),
        ("2025", FigureKind::Period), ("2025", FigureKind::Period), ("entre 60 et 65 milliards de dollars", FigureKind::Money),
        ("2024", FigureKind::Period), ("40 milliards de dollars", FigureKind::Money),
        ("plus d'1,3 million de GPU", FigureKind::Count), ("premier trimestre 2024", FigureKind::Period),
        ("36,46 milliards de dollars", FigureKind::Money), ("27%", FigureKind::Percent),
    ];
    let want: Vec<(String, FigureKind)> = want.iter().map(|(t, k)| (t.to_string(), *k)).collect();
    assert_eq!(got, want);
}

fn fragments() -> Vec<String> {
    cases().into_iter().map(|c| c.2).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, .. ProptestConfig::default() })]

    #[test]
    fn random_unicode_never_breaks(s in "\\PC{0,200}", lang in 0usize..6) {
        let l = [Lang::Fr, Lang::En, Lang::Es, Lang::De, Lang::It, Lang::Other][lang];
        let figs = extract(&s, &Context { lang: l, published: NaiveDate::from_ymd_opt(2025, 1, 24) });
        check_invariants(&s, &figs);
    }

    #[test]
    fn numbers_with_separators(parts in proptest::collection::vec(
        prop_oneof![
            "[0-9]{1,4}".prop_map(String::from),
            Just(" ".to_string()), Just("\u{a0}".to_string()), Just("\u{202f}".to_string()),
            Just(",".to_string()), Just(".".to_string()), Just("'".to_string()), Just("’".to_string()),
            Just("-".to_string()), Just("−".to_string()), Just("+".to_string()), Just("%".to_string()),
            Just(" milliards de dollars".to_string()), Just(" Mrd.".to_string()), Just("bn".to_string()),
            Just("$".to_string()), Just("€".to_string()), Just(" à ".to_string()), Just("entre ".to_string()),
            Just(" et ".to_string()), Just("plus d'".to_string()), Just(" salariés".to_string()),
            Just("T".to_string()), Just("Q".to_string()), Just("er trimestre ".to_string()), Just("/".to_string()),
        ], 0..30), lang in 0usize..4) {
        let s: String = parts.concat();
        let l = [Lang::Fr, Lang::En, Lang::Es, Lang::De][lang];
        let figs = extract(&s, &Context { lang: l, published: None });
        check_invariants(&s, &figs);
    }

    #[test]
    fn spliced_table_phrases(picks in proptest::collection::vec((0usize..10_000, 0usize..200, 0usize..200), 1..6), lang in 0usize..4) {
        let frags = fragments();
        let mut s = String::new();
        for (i, a, b) in picks {
            let f: Vec<char> = frags[i % frags.len()].chars().collect();
            let (a, b) = (a.min(f.len()), b.min(f.len()));
            let (a, b) = (a.min(b), a.max(b));
            s.extend(&f[a..b]);
        }
        let l = [Lang::Fr, Lang::En, Lang::Es, Lang::De][lang];
        let figs = extract(&s, &Context { lang: l, published: NaiveDate::from_ymd_opt(2024, 6, 1) });
        check_invariants(&s, &figs);
    }
}
