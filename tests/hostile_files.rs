//! `veille analyze` (the built binary, `--no-model`) on folders that hold one hostile file beside
//! two normal articles: the hostile file gives one clear line in the failure list (or is read,
//! where reading it is right), both articles are stored, the run never blocks, and the peak
//! memory of the run (getrusage of the child, printed as `PEAK_RSS`) stays bounded.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No case may take more memory than this: far above a normal run (~20 MB), far below the sizes
/// the hostile files ask for (2 GB, 100 MB).
const RSS_BOUND_KB: i64 = 400 * 1024;
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    peak_rss_kb: i64,
}

/// Runs the binary and waits for it with wait4, which gives this child's own peak RSS (tests run
/// in parallel threads, so RUSAGE_CHILDREN would mix the runs). Killed past RUN_TIMEOUT.
fn run_veille(args: &[&std::ffi::OsStr], as_user: Option<u32>) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let (out_p, err_p) = (tmp.path().join("out"), tmp.path().join("err"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veille"));
    cmd.args(args).stdin(Stdio::null()).stdout(std::fs::File::create(&out_p).unwrap()).stderr(std::fs::File::create(&err_p).unwrap());
    if let Some(uid) = as_user {
        cmd.uid(uid).gid(uid);
    }
    let child = cmd.spawn().expect("start veille");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: plain syscall on our own child; status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4 failed");
        if start.elapsed() > RUN_TIMEOUT {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            panic!("veille {:?} did not finish within {RUN_TIMEOUT:?} (blocked?)", args);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -libc::WTERMSIG(status) };
    Run {
        code,
        stdout: std::fs::read_to_string(out_p).unwrap_or_default(),
        stderr: std::fs::read_to_string(err_p).unwrap_or_default(),
        peak_rss_kb: usage.ru_maxrss,
    }
}

const ARTICLE_A: &str = "Orange investit\n\nLe groupe Orange va investir 1,2 milliard d'euros dans ses réseaux en 2025.\n";
const ARTICLE_B: &str = "# Mistral lève 600 M€\n\nLa start-up Mistral AI a levé 600 millions d'euros auprès de ses investisseurs.\n";

/// A folder with the two normal articles; the case adds its hostile file.
fn folder(tmp: &Path) -> PathBuf {
    let dir = tmp.join("in");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), ARTICLE_A).unwrap();
    std::fs::write(dir.join("b.md"), ARTICLE_B).unwrap();
    dir
}

/// Analyses `dir`, checks the run ended well, both normal articles were stored, memory stayed
/// bounded; returns the run for the case's own checks.
fn analyze(case: &str, dir: &Path, db: &Path, extra: &[&str], as_user: Option<u32>) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec!["analyze".as_ref(), "--no-model".as_ref(), dir.as_os_str(), "--db".as_ref(), db.as_os_str()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    let r = run_veille(&args, as_user);
    println!("PEAK_RSS case={case} kb={}", r.peak_rss_kb);
    assert_eq!(r.code, 0, "{case}: veille failed\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("stored a.txt") && r.stderr.contains("stored b.md"), "{case}: normal articles not stored\n{}{}", r.stdout, r.stderr);
    assert!(r.peak_rss_kb < RSS_BOUND_KB, "{case}: peak RSS {} kB", r.peak_rss_kb);
    r
}

fn failure_line<'a>(r: &'a Run, path: &str) -> &'a str {
    let want = format!("failed: {path}");
    r.stdout.lines().find(|l| l.trim_start().starts_with(&want)).unwrap_or_else(|| panic!("no failure line for {path}:\n{}", r.stdout))
}

#[test]
fn sparse_2gb_file_is_refused_without_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    std::fs::File::create(dir.join("huge.txt")).unwrap().set_len(2 << 30).unwrap();
    let r = analyze("sparse-2GB", &dir, &tmp.path().join("v.db"), &[], None);
    let line = failure_line(&r, "huge.txt");
    assert!(line.contains("file too large: 2147483648 bytes"), "{line}");
}

#[test]
fn file_growing_while_read_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let path = dir.join("growing.txt");
    std::fs::write(&path, "Le chiffre progresse de 3 %.\n".repeat(60_000)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, path) = (stop.clone(), path.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            let chunk = "Le chiffre progresse encore de 4 %.\n".repeat(2_000);
            let mut written = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && written < 200 << 20 {
                f.write_all(chunk.as_bytes()).unwrap();
                written += chunk.len();
            }
        })
    };
    let r = analyze("growing", &dir, &tmp.path().join("v.db"), &["--max-bytes", "2000000"], None);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    // Depending on when the run reaches it, the file is already past the limit or grows past it
    // during the read: both are reported, and the read never holds more than the limit.
    let line = failure_line(&r, "growing.txt");
    assert!(line.contains("file too large") || line.contains("grew past the limit"), "{line}");
}

#[test]
fn file_longer_than_its_stated_size_stops_at_the_limit() {
    // Files under /proc state a size of 0 and then give more: the read itself must stop at the limit.
    if !Path::new("/proc/self/maps").exists() {
        println!("SKIP: no /proc on this system");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    std::os::unix::fs::symlink("/proc/self/maps", dir.join("maps.txt")).unwrap();
    let r = analyze("proc-size-0", &dir, &tmp.path().join("v.db"), &["--max-bytes", "1000"], None);
    let line = failure_line(&r, "maps.txt");
    assert!(line.contains("grew past the limit of 1000 bytes"), "{line}");
}

#[test]
fn symlink_loops_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    std::os::unix::fs::symlink("loop.txt", dir.join("loop.txt")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub").join("back")).unwrap();
    let r = analyze("symlink-loop", &dir, &tmp.path().join("v.db"), &[], None);
    let line = failure_line(&r, "loop.txt");
    assert!(line.contains("symbolic links"), "{line}");
    let line = failure_line(&r, "sub/back");
    assert!(line.contains("symbolic link loop"), "{line}");
    assert!(r.stdout.contains("2 new, 0 unchanged, 2 failed"), "{}", r.stdout);
}

#[test]
fn fifo_does_not_block_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let fifo = std::ffi::CString::new(dir.join("pipe.txt").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    let r = analyze("fifo", &dir, &tmp.path().join("v.db"), &[], None);
    let line = failure_line(&r, "pipe.txt");
    assert!(line.contains("not a regular file (FIFO)"), "{line}");
}

#[test]
fn unreadable_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, ARTICLE_A.replace("Orange", "Free")).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads a mode-000 file anyway: run the binary as `nobody` then, in a tree it may enter.
    let as_user = if unsafe { libc::geteuid() } == 0 {
        for p in [tmp.path(), dir.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        Some(65534)
    } else {
        None
    };
    let db = tmp.path().join("v.db");
    if let Some(uid) = as_user {
        // The binary must be reachable by that user (a checkout under /root is not).
        let probe = Command::new(env!("CARGO_BIN_EXE_veille")).arg("--version").uid(uid).gid(uid).output();
        match probe {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                println!("SKIP: running as root; `veille` as uid {uid} fails ({}), cannot test permissions", String::from_utf8_lossy(&o.stderr).trim());
                return;
            }
            Err(e) => {
                println!("SKIP: running as root; cannot start `veille` as uid {uid} ({e}), cannot test permissions");
                return;
            }
        }
    }
    if as_user.is_none() && std::fs::read(&secret).is_ok() {
        println!("SKIP: a mode-000 file is still readable here (privileged user), nothing to test");
        return;
    }
    let r = analyze("unreadable", &dir, &db, &[], as_user);
    let line = failure_line(&r, "secret.txt");
    assert!(line.contains("Permission denied"), "{line}");
}

#[test]
fn html_nested_100k_levels_is_read_or_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let depth = 100_000;
    let page = |tag: &str| {
        format!(
            "<html><body>{}<p>Le fonds a investi 40 millions d'euros dans la société.</p>{}</body></html>",
            format!("<{tag}>").repeat(depth),
            format!("</{tag}>").repeat(depth)
        )
    };
    // Inline nesting costs the parser nothing per level: the page is read.
    std::fs::write(dir.join("deep-span.html"), page("span")).unwrap();
    // Block nesting makes each tag walk the open-element stack (5·10⁹ steps): refused, not a minute of work.
    std::fs::write(dir.join("deep-div.html"), page("div")).unwrap();
    let start = Instant::now();
    let r = analyze("nested-html-1e5", &dir, &tmp.path().join("v.db"), &[], None);
    println!("nested-html-1e5 run took {:.1} s", start.elapsed().as_secs_f64());
    assert!(r.stderr.contains("stored deep-span.html"), "{}{}", r.stdout, r.stderr);
    let line = failure_line(&r, "deep-div.html");
    assert!(line.contains("HTML too complex") && line.contains("nested too deep"), "{line}");
    assert!(r.stdout.contains("3 new, 0 unchanged, 1 failed"), "{}", r.stdout);
}

#[test]
fn jsonl_with_a_100mb_line_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let mut f = std::fs::File::create(dir.join("feed.jsonl")).unwrap();
    writeln!(f, "{{\"text\": \"Nvidia publie un chiffre d'affaires de 35 milliards de dollars.\"}}").unwrap();
    f.write_all(b"{\"text\": \"").unwrap();
    let block = "milliards ".repeat(10_000);
    for _ in 0..(100 << 20) / block.len() {
        f.write_all(block.as_bytes()).unwrap();
    }
    f.write_all(b"\"}\n").unwrap();
    drop(f);
    let r = analyze("jsonl-100MB-line", &dir, &tmp.path().join("v.db"), &[], None);
    let line = failure_line(&r, "feed.jsonl");
    assert!(line.contains("file too large"), "{line}");
}

#[test]
fn html_clone_bomb_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let mut page = String::from("<html><body><div>");
    for i in 0..3000 {
        page.push_str(&format!("<b id={i}>"));
    }
    page.push_str("</div>");
    page.push_str(&"<div>x</div>".repeat(3000));
    println!("clone-bomb page: {} bytes", page.len());
    std::fs::write(dir.join("bomb.html"), page).unwrap();
    let r = analyze("html-clone-bomb", &dir, &tmp.path().join("v.db"), &[], None);
    let line = failure_line(&r, "bomb.html");
    assert!(line.contains("HTML too complex"), "{line}");
}

#[test]
fn path_with_invalid_utf8_is_stored_under_an_escaped_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.join(name), "Nvidia\n\nNvidia investit 500 milliards de dollars aux Etats-Unis.\n").unwrap();
    let r = analyze("invalid-utf8-path", &dir, &tmp.path().join("v.db"), &[], None);
    assert!(r.stderr.contains("stored caf\\xE9.txt"), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("3 new, 0 unchanged, 0 failed"), "{}", r.stdout);
}
