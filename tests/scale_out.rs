//! Scale-out: `--shard K/N` workers, the PostgreSQL store against the SQLite one, and the
//! Hive-partitioned Parquet export. PostgreSQL tests run against the real server named by
//! `VEILLE_TEST_PG` (`.ci/run` starts a throw-away cluster) and print SKIP without it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn veille(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veille")).args(args).output().expect("run veille")
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_veille")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start veille")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "veille failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Short generated articles the figures grammar reads without the model: French and English,
/// several actors, actions, amounts and years; every text distinct.
fn articles(dir: &Path, n: usize) -> PathBuf {
    let actors = ["Meta", "Mistral AI", "Orange", "Nvidia", "TotalEnergies", "Airbus", "Sanofi", "Alphabet"];
    for i in 0..n {
        let actor = actors[i % actors.len()];
        let year = 2021 + (i % 5);
        let amount = 10 + i;
        // Sentence shapes the rules read as funding records without the model.
        let (sub, text) = if i % 3 == 0 {
            let currency = if i % 2 == 0 { "dollars" } else { "euros" };
            (
                "en",
                format!("{actor} raises {amount} million {currency}\n\nThe French start-up {actor} said on Tuesday it has raised {amount} million {currency} in {year} in a funding round led by General Catalyst.\n"),
            )
        } else {
            (
                "fr",
                format!("{actor} lève {amount} millions d'euros\n\nLa start-up française {actor} a annoncé mardi avoir levé {amount} millions d'euros en {year} lors d'un tour de table mené par General Catalyst.\n"),
            )
        };
        let p = dir.join(sub).join(format!("article-{i:05}.txt"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir.to_path_buf()
}

fn export_jsonl(db: &str) -> Vec<serde_json::Value> {
    let out = ok(&veille(&["export", "--db", db, "--format", "jsonl"]));
    out.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect()
}

fn sql_json(db: &str, statement: &str) -> Vec<serde_json::Value> {
    let out = ok(&veille(&["sql", "--db", db, "--json", statement]));
    out.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect()
}

/// The fact keys of every stored record, sorted: "same records" independent of row ids.
fn fact_keys(db: &str) -> Vec<serde_json::Value> {
    sql_json(db, "SELECT r.fact_key, d.path FROM records r JOIN documents d ON d.id = r.doc_id ORDER BY d.path, r.fact_key, r.start")
}

/// A fresh, empty database on the test server, or None (with SKIP printed) without one.
fn fresh_pg(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("VEILLE_TEST_PG") else {
        println!("SKIP: VEILLE_TEST_PG not set (a postgres:// URL of a server the test may create databases on; .ci/run starts one)");
        return None;
    };
    let db = format!("veille_test_{name}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap_or_else(|e| panic!("VEILLE_TEST_PG={base}: {e}"));
    // One statement per call: DROP/CREATE DATABASE refuse to run in the implicit transaction of a batch.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let (head, tail) = base.rsplit_once('/').expect("VEILLE_TEST_PG ends with /DATABASE");
    let query = tail.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    Some(format!("{head}/{db}{query}"))
}

fn pg_count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0)
}

#[test]
fn shards_split_a_folder_with_no_overlap_and_nothing_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 60);
    let dir = dir.to_str().unwrap();
    let whole = tmp.path().join("whole.db");
    ok(&veille(&["analyze", "--no-model", dir, "--db", whole.to_str().unwrap()]));
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=4 {
        let db = tmp.path().join(format!("shard{k}.db"));
        let out = veille(&["analyze", "--no-model", dir, "--db", db.to_str().unwrap(), "--shard", &format!("{k}/4")]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        ok(&out);
        assert!(stderr.contains(&format!("shard {k}/4: ")) && stderr.contains(" of 60 files"), "{stderr}");
        let paths: Vec<String> = export_jsonl(db.to_str().unwrap()).iter().map(|d| d["path"].as_str().unwrap().to_string()).collect();
        assert!(!paths.is_empty() && paths.len() < 60, "shard {k}/4 took {} of 60 files", paths.len());
        seen.extend(paths);
    }
    let mut all: Vec<String> = export_jsonl(whole.to_str().unwrap()).iter().map(|d| d["path"].as_str().unwrap().to_string()).collect();
    all.sort();
    seen.sort();
    assert_eq!(seen, all, "the four shards together are the whole folder, each file once");
}

#[test]
fn bad_shard_values_are_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 2);
    let db = tmp.path().join("v.db");
    for bad in ["0/4", "5/4", "x", "1/0"] {
        let out = veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap(), "--shard", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--shard {bad} accepted");
        assert!(err.contains(&format!("invalid shard \"{bad}\"")) && err.contains("K/N"), "--shard {bad}: {err}");
    }
    assert!(!db.exists(), "nothing is written when the arguments are wrong");
}

#[test]
fn partitioned_parquet_is_read_by_pyarrow_with_the_csv_row_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 30);
    let db = tmp.path().join("v.db");
    let db = db.to_str().unwrap();
    ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db]));
    let csv = ok(&veille(&["export", "--db", db, "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let csv_rows = rows.len();
    // The partition values each record should land in, computed from the CSV export.
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let distinct = |f: &dyn Fn(&csv::StringRecord) -> String| {
        let mut v: Vec<String> = rows.iter().map(f).collect();
        v.sort();
        v.dedup();
        format!("{v:?}").replace('"', "'")
    };
    let langs = distinct(&|r| r[column("lang")].to_string());
    let years = distinct(&|r| r[column("period_start")].get(..4).unwrap_or("").to_string());
    assert!(csv_rows >= 30, "{csv_rows} records from 30 articles");
    assert_eq!(years, "['2021', '2022', '2023', '2024', '2025']");
    let has_pyarrow = Command::new("python3").args(["-c", "import pyarrow.dataset"]).output().map(|o| o.status.success()).unwrap_or(false);
    for (by, expected_folder) in [("period", "period=2021"), ("lang", "lang=fr")] {
        let out_dir = tmp.path().join(format!("by-{by}"));
        let out = veille(&["export", "--db", db, "--format", "parquet", "--out", out_dir.to_str().unwrap(), "--partition-by", by]);
        ok(&out);
        assert!(out_dir.join(expected_folder).join("part-0.parquet").is_file(), "{by}: {:?}", std::fs::read_dir(&out_dir).unwrap().collect::<Vec<_>>());
        // Exporting again into the same folder would mix two exports: refused.
        let again = veille(&["export", "--db", db, "--format", "parquet", "--out", out_dir.to_str().unwrap(), "--partition-by", by]);
        assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("is not empty"));
        if !has_pyarrow {
            println!("SKIP: pyarrow not installed (pip install pyarrow); the {by} dataset was written but not read back");
            continue;
        }
        let script = format!(
            "import pyarrow.dataset as ds\nt = ds.dataset({:?}, format='parquet', partitioning='hive').to_table()\nprint(t.num_rows, sorted(set(str(v) for v in t.column({by:?}).to_pylist())))",
            out_dir.to_str().unwrap()
        );
        let py = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
        let line = String::from_utf8_lossy(&py.stdout).into_owned();
        let (rows, values) = line.trim().split_once(' ').unwrap();
        assert_eq!(rows.parse::<usize>().unwrap(), csv_rows, "{by}: {line}");
        assert_eq!(values, if by == "period" { &years } else { &langs }, "{by}: {line}");
    }
}

#[test]
fn postgres_and_sqlite_give_the_same_rows_for_the_same_queries() {
    let Some(pg) = fresh_pg("same_rows") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 40);
    let lite = tmp.path().join("v.db");
    let lite = lite.to_str().unwrap();
    for db in [lite, pg.as_str()] {
        ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db]));
        let rates = tmp.path().join("rates.csv");
        std::fs::write(&rates, "currency,usd,as_of\nEUR,1.10,2025-06-30\n").unwrap();
        ok(&veille(&["rates", "import", rates.to_str().unwrap(), "--db", db]));
    }
    assert_eq!(export_jsonl(&pg), export_jsonl(lite), "same documents, in the contract shape");
    let cases: &[&[&str]] = &[
        &[],
        &["--actor", "mistral"],
        &["--actor", "META", "--sort", "date"],
        &["--action", "raise", "--min", "30000000", "--max", "40000000"],
        &["--currency", "usd", "--lang", "en"],
        &["--in", "EUR", "--min", "40000000", "--limit", "5"],
        &["--from", "2023", "--to", "2024-Q2", "--sort", "date"],
        &["--text", "CATALYST", "--limit", "7"],
        &["--sentiment", "neutral"],
        &["--distinct", "--action", "raise"],
        &["--distinct", "--sort", "date", "--limit", "10"],
    ];
    for case in cases {
        let run = |db: &str| {
            let mut args = vec!["query", "--db", db, "--json"];
            args.extend_from_slice(case);
            ok(&veille(&args))
        };
        let (a, b) = (run(&pg), run(lite));
        assert_eq!(a, b, "query {case:?}");
        assert!(!b.is_empty() || case.contains(&"--sentiment"), "query {case:?} finds nothing on either back-end: a weak case");
    }
    for st in [
        "SELECT COUNT(*) AS n, SUM(amount_max) AS total FROM records",
        "SELECT lang, COUNT(*) AS docs FROM documents GROUP BY lang ORDER BY lang",
        "SELECT actor, action, currency, amount_min FROM records ORDER BY actor, amount_min LIMIT 12",
        "SELECT currency, usd FROM rates WHERE currency IN ('EUR', 'USD') ORDER BY currency",
    ] {
        assert_eq!(sql_json(&pg, st), sql_json(lite, st), "sql {st}");
    }
    assert_eq!(ok(&veille(&["rates", "list", "--db", &pg])), ok(&veille(&["rates", "list", "--db", lite])));
}

#[test]
fn sql_is_read_only_on_postgres() {
    let Some(pg) = fresh_pg("read_only") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 5);
    ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", &pg]));
    for st in [
        "DELETE FROM documents",
        "CREATE TABLE evil (a INTEGER)",
        "WITH gone AS (DELETE FROM records RETURNING 1) SELECT COUNT(*) FROM gone",
        "UPDATE rates SET usd = 0",
    ] {
        let out = veille(&["sql", "--db", &pg, st]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("only read-only statements"), "{st}: {err}");
    }
    // Two statements in one string cannot step out of the read-only transaction either.
    let out = veille(&["sql", "--db", &pg, "COMMIT; DELETE FROM documents"]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(pg_count(&pg, "SELECT COUNT(*) FROM documents"), 5);
    assert!(pg_count(&pg, "SELECT COUNT(*) FROM records") > 0);
    let missing = veille(&["query", "--db", &format!("{}_nope", pg.split('?').next().unwrap())]);
    assert!(!missing.status.success());
}

#[test]
fn four_sharded_workers_into_postgres_equal_one_worker_into_sqlite() {
    let Some(pg) = fresh_pg("four_workers") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 200);
    let dir = dir.to_str().unwrap();
    let lite = tmp.path().join("v.db");
    let lite = lite.to_str().unwrap();
    ok(&veille(&["analyze", "--no-model", dir, "--db", lite]));
    // All four start at once on an empty database: they also race to create the tables.
    let workers: Vec<Child> = (1..=4).map(|k| spawn(&["analyze", "--no-model", dir, "--db", &pg, "--shard", &format!("{k}/4")])).collect();
    let mut stored = 0usize;
    for w in workers {
        let out = ok(&w.wait_with_output().unwrap());
        let new: usize = out.split(" new,").next().unwrap().trim().parse().unwrap_or_else(|_| panic!("{out}"));
        assert!(new > 0, "every shard stores some of 200 files: {out}");
        stored += new;
    }
    assert_eq!(stored, 200);
    assert_eq!(export_jsonl(&pg), export_jsonl(lite), "same documents, records and figures");
    assert_eq!(fact_keys(&pg), fact_keys(lite), "same fact keys");
}

#[test]
fn killed_worker_then_rerun_loses_nothing_and_stores_nothing_twice() {
    let Some(pg) = fresh_pg("killed") else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Large enough that the worker is still running when it is killed.
    let dir = articles(&tmp.path().join("in"), 3000);
    let dir = dir.to_str().unwrap();
    let shard = "2/4";
    let mut worker = spawn(&["analyze", "--no-model", dir, "--db", &pg, "--shard", shard]);
    let started = std::time::Instant::now();
    let mut at_kill = 0;
    while started.elapsed() < std::time::Duration::from_secs(120) {
        at_kill = pg_count(&pg, "SELECT COUNT(*) FROM documents");
        if at_kill >= 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    worker.kill().unwrap(); // SIGKILL: no chance to finish the document in hand
    let status = worker.wait().unwrap();
    assert!(!status.success(), "the worker finished before it was killed; the test needs a larger folder");
    assert!(at_kill >= 20, "the worker stored nothing in 120 s");
    // Every stored document is whole: compared below, record by record, with a SQLite run.
    let rerun = ok(&veille(&["analyze", "--no-model", dir, "--db", &pg, "--shard", shard]));
    let lite = tmp.path().join("v.db");
    let lite = lite.to_str().unwrap();
    let reference = ok(&veille(&["analyze", "--no-model", dir, "--db", lite, "--shard", shard]));
    let counts = |out: &str| -> (i64, i64) {
        let mut it = out.split(',').map(|p| p.split_whitespace().next().unwrap().parse::<i64>().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    };
    let (total, _) = counts(&reference);
    let (new, unchanged) = counts(&rerun);
    assert_eq!(new + unchanged, total, "rerun: {rerun}");
    assert!(unchanged >= at_kill && new > 0, "killed after {at_kill} of {total} documents; rerun: {rerun}");
    assert_eq!(export_jsonl(&pg), export_jsonl(lite), "nothing lost, nothing twice");
    assert_eq!(fact_keys(&pg), fact_keys(lite));
}

#[test]
fn two_workers_on_the_same_shard_store_nothing_twice() {
    let Some(pg) = fresh_pg("same_shard") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = articles(&tmp.path().join("in"), 300);
    let dir = dir.to_str().unwrap();
    let both: Vec<Child> = (0..2).map(|_| spawn(&["analyze", "--no-model", dir, "--db", &pg, "--shard", "1/2"])).collect();
    let outs: Vec<String> = both.into_iter().map(|w| ok(&w.wait_with_output().unwrap())).collect();
    let lite = tmp.path().join("v.db");
    let lite = lite.to_str().unwrap();
    let reference = ok(&veille(&["analyze", "--no-model", dir, "--db", lite, "--shard", "1/2"]));
    let new = |out: &str| out.split(" new,").next().unwrap().trim().parse::<usize>().unwrap();
    assert_eq!(new(&outs[0]) + new(&outs[1]), new(&reference), "each document stored by exactly one of the two: {outs:?}");
    assert_eq!(export_jsonl(&pg), export_jsonl(lite));
    assert_eq!(fact_keys(&pg), fact_keys(lite));
}
