//! `veille query --action raise` over the demo articles, with the real encoder and the committed
//! heads, through the command line as a user runs it: only real funding rounds, each with the
//! investors its article names. Skips (with a message) when `models/fetch` has not been run.

use std::process::Command;

#[test]
fn query_raise_over_the_demo_articles_lists_only_real_raises_with_their_investors() {
    if !veille::model::packaged_dir().join("e5-small-q4.bin").exists() {
        eprintln!("SKIP: base encoder absent in {} (run models/fetch)", veille::model::packaged_dir().display());
        return;
    }
    let bin = env!("CARGO_BIN_EXE_veille");
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let st = Command::new(bin).args(["analyze", &format!("{root}/corpora/articles"), "--db"]).arg(&db).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let out = Command::new(bin).args(["query", "--action", "raise", "--json", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(String, f64, Vec<String>)> = rows
        .iter()
        .map(|r| {
            let investors = r["investors"].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap_or_default();
            (r["actor"].as_str().unwrap().to_string(), r["amount"]["max"].as_f64().unwrap(), investors)
        })
        .collect();
    // The rounds the articles report (company, amount) and investors each must name.
    let expected: &[(&str, f64, &[&str])] = &[
        ("OpenAI", 6.6e9, &["Thrive Capital", "Microsoft", "Nvidia", "SoftBank"]),
        ("OpenAI", 4e9, &["Goldman Sachs"]),
        ("Mistral AI", 600e6, &["General Catalyst"]),
        ("Helsing", 450e6, &["General Catalyst", "Accel", "Lightspeed"]),
        ("Pigment", 400e6, &[]),
        ("Mistral AI", 385e6, &["Lightspeed Venture Partners"]),
        ("Alan", 185e6, &["Coatue", "Ribbit Capital"]),
        ("Alan", 173e6, &["Belfius"]),
        ("Pigment", 145e6, &["ICONIQ Growth", "Greenoaks", "Meritech Capital", "FirstMark"]),
    ];
    for (actor, amount, investors) in expected {
        let row = got.iter().find(|g| g.0 == *actor && (g.1 - amount).abs() <= 0.01 * amount);
        let row = row.unwrap_or_else(|| panic!("no raise {actor} {amount} in {got:#?}"));
        for i in *investors {
            assert!(row.2.iter().any(|x| x == i), "{actor} {amount}: investor {i} missing from {:?}", row.2);
        }
    }
    // Nothing else: no valuation, no investor or founder as the raiser, no product, no debt to refinance.
    assert_eq!(got.len(), expected.len(), "extra rows: {got:#?}");
}
