//! The SQLite store under pressure: several `veille analyze` runs writing to one store at once,
//! and a store on a filesystem that fills up during a run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn veille() -> Command {
    Command::new(env!("CARGO_BIN_EXE_veille"))
}

/// Distinct short articles (each names its own company and amount, so each has its own id).
fn article(i: usize, filler: usize) -> String {
    let extra = "Les analystes suivent le dossier de près et attendent des précisions sur le calendrier. ".repeat(filler);
    format!("Société{i} investit\n\nLa Société{i} va investir {} millions d'euros dans ses usines en 2025. {extra}\n", 10 + i)
}

fn write_articles(dir: &Path, range: std::ops::Range<usize>, filler: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in range {
        std::fs::write(dir.join(format!("art{i:03}.txt")), article(i, filler)).unwrap();
    }
}

fn spawn_analyze(dir: &Path, db: &Path) -> Child {
    veille()
        .args(["analyze", "--no-model"])
        .arg(dir)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start veille")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn count(db: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn concurrent_writers_on_overlapping_folders_store_each_document_once() {
    let tmp = tempfile::tempdir().unwrap();
    // Four runs over four folders that overlap pairwise: 0..60, 30..90, 60..120, 0..120 (all).
    let ranges = [0..60, 30..90, 60..120, 0..120];
    let dirs: Vec<PathBuf> = ranges
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let d = tmp.path().join(format!("in{k}"));
            write_articles(&d, r.clone(), 0);
            d
        })
        .collect();
    let db = tmp.path().join("shared.db");
    let children: Vec<Child> = dirs.iter().map(|d| spawn_analyze(d, &db)).collect();
    for (k, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        let all = text(&out);
        assert!(out.status.success(), "run {k} failed:\n{all}");
        assert!(!all.to_lowercase().contains("locked") && !all.to_lowercase().contains("busy"), "run {k}:\n{all}");
        assert!(all.contains(" 0 failed"), "run {k}:\n{all}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM documents"), 120);
    assert_eq!(count(&db, "SELECT COUNT(*) - COUNT(DISTINCT text) FROM documents"), 0);
    // Every stored document has its rows exactly once: as many sentences as a lone run gives.
    let solo = tmp.path().join("solo.db");
    let out = spawn_analyze(&dirs[3], &solo).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    for table in ["sentences", "figures", "records", "entities"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(count(&db, &sql), count(&solo, &sql), "{table} rows differ from a lone run");
    }
    let c = rusqlite::Connection::open(&db).unwrap();
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

/// Unmounts the test filesystem however the test ends.
struct Mount(PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_stops_the_run_and_keeps_the_store_usable() {
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIP: disk-full test needs root to mount a small tmpfs (running as uid {})", unsafe { libc::geteuid() });
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let st = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4M", "tmpfs"]).arg(&mnt).output();
    match st {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!("SKIP: cannot mount a tmpfs here ({})", String::from_utf8_lossy(&o.stderr).trim());
            return;
        }
        Err(e) => {
            println!("SKIP: cannot run mount ({e})");
            return;
        }
    }
    let _guard = Mount(mnt.clone());
    // A filler takes most of the space, so the store cannot hold the folder.
    let filler = mnt.join("filler.bin");
    std::fs::write(&filler, vec![0u8; 3_700_000]).unwrap();
    let dir = tmp.path().join("in");
    write_articles(&dir, 0..30, 60);
    let db = mnt.join("v.db");

    let out = spawn_analyze(&dir, &db).wait_with_output().unwrap();
    let all = text(&out);
    assert!(!out.status.success(), "the run should stop when the disk is full:\n{all}");
    assert!(all.contains("cannot store") && all.contains("disk is full"), "unclear error:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
    println!("disk-full run said: {}", all.lines().filter(|l| l.starts_with("Error") || l.contains("cannot store")).collect::<Vec<_>>().join(" | "));

    // The store is intact: the integrity check passes, and what was stored can be queried.
    let c = rusqlite::Connection::open(&db).unwrap();
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let stored: i64 = c.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0)).unwrap();
    drop(c);
    println!("documents stored before the disk filled: {stored}");
    assert!(stored < 30);
    let q = veille().args(["sql", "--db"]).arg(&db).arg("SELECT COUNT(*) AS n FROM documents").output().unwrap();
    assert!(q.status.success(), "query on the store after disk full: {}", text(&q));

    // Space freed: the same command completes and adds exactly the documents that were missing.
    std::fs::remove_file(&filler).unwrap();
    let out = spawn_analyze(&dir, &db).wait_with_output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "re-run after freeing space failed:\n{all}");
    assert!(all.contains(&format!("{} new, {stored} unchanged, 0 failed", 30 - stored)), "{all}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM documents"), 30);
}
