//! End-to-end tests of `veille analyze` / `export` / `sql` / `query` on awkward input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn veille(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veille")).args(args).output().expect("run veille")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "veille failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

fn export_docs(db: &Path) -> Vec<serde_json::Value> {
    let out = ok(&veille(&["export", "--db", db.to_str().unwrap(), "--format", "jsonl"]));
    out.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect()
}

fn doc<'a>(docs: &'a [serde_json::Value], path: &str) -> &'a serde_json::Value {
    docs.iter().find(|d| d["path"] == path).unwrap_or_else(|| panic!("no document {path}"))
}

const FR: &str = "Meta investit 65 milliards\n\nEn 2025, Meta va investir entre 60 et 65 milliards de dollars dans l'intelligence artificielle.\n";

#[test]
fn bad_files_are_reported_and_good_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    write(&dir, "good.txt", FR.as_bytes());
    write(&dir, "empty.txt", b"");
    write(&dir, "binary.txt", &(0..4096u32).map(|i| (i * 31 % 256) as u8).collect::<Vec<_>>());
    write(&dir, "truncated.json", br#"{"title": "Orange", "text": "Le groupe investit"#);
    write(&dir, "feed.jsonl", b"{\"title\":\"A\",\"text\":\"Mistral AI leve 600 millions d'euros.\"}\n{\"title\": broken\n{\"title\":\"C\",\"body\":\"Nvidia publie un chiffre d'affaires record de 35 milliards de dollars.\"}\n");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Résultats\n\nLe chiffre d’affaires a progressé de 12 % à 4,2 milliards d’euros, déjà un record pour l’été.");
    write(&dir, "latin1.txt", &latin1);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Titre\n\nLa société lève 30 millions d’euros en série B.".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    write(&dir, "utf16.txt", &utf16);
    // Invalid UTF-8: a lone 0xE9 (é in Latin-1) inside otherwise ASCII text.
    write(&dir, "invalid-utf8.txt", b"Caf\xe9 et march\xe9s\n\nLe march\xe9 progresse de 3 %.");
    write(&dir, ".hidden/secret.txt", FR.as_bytes());
    let db = tmp.path().join("v.db");
    let out = ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    assert!(out.contains("6 new, 0 unchanged, 4 failed"), "{out}");
    assert!(out.contains("empty.txt: empty file"), "{out}");
    assert!(out.contains("binary.txt: binary file"), "{out}");
    assert!(out.contains("truncated.json: invalid JSON"), "{out}");
    assert!(out.contains("feed.jsonl#L2: invalid JSON"), "{out}");

    let docs = export_docs(&db);
    assert_eq!(docs.len(), 6);
    assert!(docs.iter().all(|d| !d["path"].as_str().unwrap().contains("hidden")));
    let l1 = doc(&docs, "latin1.txt");
    assert!(l1["encoding"].as_str().unwrap().contains("windows-1252"));
    assert_eq!(l1["title"], "Résultats");
    assert_eq!(doc(&docs, "utf16.txt")["encoding"], "UTF-16LE (BOM)");
    assert_eq!(doc(&docs, "invalid-utf8.txt")["title"], "Café et marchés");
    assert_eq!(doc(&docs, "good.txt")["lang"], "fr");
    assert_eq!(doc(&docs, "feed.jsonl#L3")["title"], "C");

    // A second run stores nothing twice.
    let out = ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    assert!(out.contains("0 new, 6 unchanged, 4 failed"), "{out}");
    assert_eq!(export_docs(&db).len(), 6);
}

#[test]
fn huge_file_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    let line = "Le groupe investit 5 milliards d'euros. ".repeat(1000);
    let mut big = String::with_capacity(51 << 20);
    while big.len() < 50 << 20 {
        big.push_str(&line);
        big.push('\n');
    }
    write(&dir, "big.txt", big.as_bytes());
    write(&dir, "small.txt", FR.as_bytes());
    let db = tmp.path().join("v.db");
    let out = ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    assert!(out.contains("big.txt: file too large"), "{out}");
    assert!(out.contains("1 new"), "{out}");
}

#[test]
fn unreadable_folder_is_reported_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    write(&dir, "a/good.txt", FR.as_bytes());
    std::fs::create_dir_all(dir.join("locked")).unwrap();
    write(&dir, "locked/x.txt", FR.as_bytes());
    // A link to a folder that does not exist, and a loop: both unreadable for any user, root included.
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), dir.join("gone")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("a/loop")).unwrap();
    let db = tmp.path().join("v.db");
    let out = ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    assert!(out.contains("gone: cannot read: No such file"), "{out}");
    assert!(out.contains("a/loop: symbolic link loop"), "{out}");
    assert!(out.contains("gone"), "{out}");
    assert!(out.contains("1 new"), "{out}");
}

#[test]
fn database_that_cannot_be_written_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    write(&dir, "good.txt", FR.as_bytes());
    let file = write(tmp.path(), "not-a-dir", b"x");
    let db = file.join("v.db");
    let out = veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot use") && err.contains("v.db"), "{err}");
}

/// A GPU that is not there is named as the problem, not the model files.
#[cfg(not(feature = "cuda"))]
#[test]
fn a_missing_gpu_is_a_device_error_not_a_missing_model() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    write(&dir, "good.txt", FR.as_bytes());
    let db = tmp.path().join("v.db");
    let out = veille(&["analyze", dir.to_str().unwrap(), "--db", db.to_str().unwrap(), "--device", "cuda"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot use --device cuda") && err.contains("--features cuda"), "{err}");
    assert!(!err.contains("models/fetch"), "{err}");
}

#[test]
fn missing_input_folder_and_missing_database() {
    let tmp = tempfile::tempdir().unwrap();
    let out = veille(&["analyze", "--no-model", tmp.path().join("nope").to_str().unwrap(), "--db", tmp.path().join("v.db").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or folder"));
    let out = veille(&["export", "--db", tmp.path().join("absent.db").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn sql_is_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    write(&dir, "good.txt", FR.as_bytes());
    let db = tmp.path().join("v.db");
    ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    let out = ok(&veille(&["sql", "SELECT path, lang FROM documents", "--db", db.to_str().unwrap()]));
    assert!(out.contains("good.txt") && out.contains("fr"), "{out}");
    for stmt in ["DELETE FROM documents", "DROP TABLE records", "INSERT INTO rates VALUES ('XXX', 1, NULL)"] {
        let out = veille(&["sql", stmt, "--db", db.to_str().unwrap()]);
        assert!(!out.status.success(), "{stmt} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("read-only") || err.contains("readonly"), "{stmt}: {err}");
    }
    assert_eq!(export_docs(&db).len(), 1);
}

#[test]
fn interrupted_run_resumes_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    let n = 1500;
    for i in 0..n {
        write(&dir, &format!("a{i:05}.txt"), format!("Article {i}\n\nLa société numéro {i} lève {i} millions d'euros en série A. Elle emploie {i} salariés.\n").as_bytes());
    }
    let db = tmp.path().join("v.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill -9 as soon as some documents are committed.
    let count = |db: &Path| -> i64 {
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while count(&db) < 10 && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = count(&db);
    assert!(partial > 0);
    let out = ok(&veille(&["analyze", "--no-model", dir.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    assert!(out.contains(&format!("{} new, {} unchanged, 0 failed", n as i64 - partial, partial)), "partial {partial}: {out}");
    let out = ok(&veille(&["sql", "SELECT COUNT(*) AS n, COUNT(DISTINCT path) AS p FROM documents", "--db", db.to_str().unwrap(), "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["n"], n);
    assert_eq!(v["p"], n);
}
