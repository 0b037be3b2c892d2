//! `veille bench-serve`: a bounded load test of `veille serve` on loopback. It starts the server
//! in-process on a free port over the given store (grammar only), sends a fixed number of requests
//! from a fixed number of client threads over a mix of endpoints, and prints errors and latencies.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::serve::{self, AppState};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// Store to serve (read; the analyze requests do not store)
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Requests in all
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Requests in flight at once (client threads)
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

/// One request of the mix: method, path, body.
fn mix(doc_ids: &[String]) -> Vec<(&'static str, String, Option<String>)> {
    let mut v: Vec<(&'static str, String, Option<String>)> = vec![
        ("GET", "/api/records?limit=50".into(), None),
        ("GET", "/api/records?action=raise&sort=date".into(), None),
        ("GET", "/api/records?actor=a&min=1000000&distinct=true".into(), None),
        ("GET", "/api/documents?limit=20".into(), None),
        ("POST", "/api/sql".into(), Some("SELECT action, COUNT(*) FROM records GROUP BY action".into())),
        ("POST", "/api/analyze".into(), Some("Levée de fonds\n\nLa start-up lyonnaise Exemple lève 12 millions d'euros auprès de ses investisseurs en 2025.".into())),
        ("GET", "/healthz".into(), None),
        ("GET", "/metrics".into(), None),
    ];
    for id in doc_ids.iter().take(4) {
        v.push(("GET", format!("/api/documents/{id}"), None));
    }
    v
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn run(a: Args) -> Result<()> {
    if a.requests == 0 || a.concurrency == 0 {
        bail!("--requests and --concurrency must be at least 1");
    }
    let ids = Store::open_read_only(&a.db)?.document_ids()?;
    let workers = super::serve::default_workers();
    let state = AppState::open(&a.db, None, workers).with_context(|| format!("cannot serve {}", a.db.display()))?;
    let running = serve::start(state, "127.0.0.1:0", workers)?;
    let base = format!("http://{}", running.addr);
    let requests = mix(&ids);
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).max_idle_connections_per_host(a.concurrency).build();
    let next = AtomicUsize::new(0);
    let lat: Mutex<Vec<(usize, Duration)>> = Mutex::new(Vec::with_capacity(a.requests));
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..a.concurrency {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.requests {
                    break;
                }
                let k = i % requests.len();
                let (method, path, body) = &requests[k];
                let url = format!("{base}{path}");
                let t = Instant::now();
                let res = match body {
                    Some(b) => agent.request(method, &url).set("content-type", "text/plain").send_string(b),
                    None => agent.request(method, &url).call(),
                };
                let res = res.map_err(|e| e.to_string()).and_then(|r| r.into_string().map_err(|e| e.to_string()));
                let d = t.elapsed();
                match res {
                    Ok(_) => lat.lock().unwrap_or_else(|p| p.into_inner()).push((k, d)),
                    Err(e) => errors.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{method} {path}: {e}")),
                }
            });
        }
    });
    let wall = t0.elapsed();
    running.stop()?;
    let lat = lat.into_inner().unwrap_or_else(|p| p.into_inner());
    let errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut all: Vec<Duration> = lat.iter().map(|(_, d)| *d).collect();
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{} requests, {} concurrent, {} documents in the store: {} errors, {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        a.requests,
        a.concurrency,
        ids.len(),
        errors.len(),
        a.requests as f64 / wall.as_secs_f64(),
        ms(pct(&all, 0.5)),
        ms(pct(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    );
    for (k, (method, path, _)) in requests.iter().enumerate() {
        let mut d: Vec<Duration> = lat.iter().filter(|(j, _)| *j == k).map(|(_, d)| *d).collect();
        d.sort();
        let shown = if path.starts_with("/api/documents/") { "/api/documents/{doc_id}" } else { path.as_str() };
        println!("  {method:4} {shown:50} n={:<4} p50 {:>7.1} ms  p99 {:>7.1} ms", d.len(), ms(pct(&d, 0.5)), ms(pct(&d, 0.99)));
    }
    for e in errors.iter().take(10) {
        println!("  error: {e}");
    }
    if !errors.is_empty() {
        bail!("{} of {} requests failed", errors.len(), a.requests);
    }
    Ok(())
}
