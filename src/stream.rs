//! `veille analyze` over a folder as a stream of stages joined by bounded channels:
//!
//! walk (lazy) → `jobs` workers (read, decode, prepare, figures) → one encoder stage (chunks of
//! many documents packed into token-budget batches, then the heads) → records → the caller's
//! writer, which gets each file's results in walk order.
//!
//! Memory is bounded whatever the folder size: the walk is lazy, every channel is bounded, and at
//! most `max_in_flight` files are between the walk and the writer (the writer hands a ticket
//! back for each file it has written). Results are reordered to walk order before they are
//! written, so the store ends up exactly as the one-document-at-a-time loop leaves it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ingest::{self, Article, Failure, Limits};
use crate::output::DocumentOut;
use crate::pipeline::{self, PreparedDoc, ReadInput, Reader, Reading};

/// Knobs of the stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Worker threads for reading, decoding, text preparation and figures.
    pub jobs: usize,
    /// Tokens (estimated from the text length) the encoder stage gathers before it runs: the
    /// chunks of every document in this window are sorted by length and packed into batches.
    pub window_tokens: usize,
    /// Files between the walk and the writer at most.
    pub max_in_flight: usize,
    /// How long the encoder stage waits for more documents before it runs a window that is not
    /// full (the workers are behind).
    pub linger: Duration,
    pub limits: Limits,
    /// Only the files (and walk failures) of this shard, by relative path.
    pub shard: Option<crate::ingest::shard::Shard>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        StreamOptions { jobs, window_tokens: 16_384, max_in_flight: 256, linger: Duration::from_millis(50), limits: Limits::default(), shard: None }
    }
}

/// What became of one article.
#[derive(Debug)]
pub enum Outcome {
    /// Analysed: the writer stores it.
    Analyzed { article: Article, doc: DocumentOut },
    /// Its text is already in the store (same document id); not analysed again.
    Known { path: String },
    Failed(Failure),
}

/// The results of one walk entry, in the order of its articles (a JSONL file holds many).
#[derive(Debug)]
pub struct FileDone {
    /// False for a walk failure (a folder that could not be read).
    pub is_file: bool,
    pub outcomes: Vec<Outcome>,
}

/// Busy time of each stage, summed over its threads, and counters.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicUsize,
    /// Entries the walk found, before a shard kept its part.
    pub walked: AtomicUsize,
    pub articles: AtomicUsize,
    /// Tokens through the encoder.
    pub tokens: AtomicUsize,
    /// Encoder calls (each one a window of documents).
    pub windows: AtomicUsize,
    read_prepare_ns: AtomicU64,
    encode_ns: AtomicU64,
    records_ns: AtomicU64,
    write_ns: AtomicU64,
}

impl Stats {
    fn add(slot: &AtomicU64, since: Instant) {
        slot.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
    /// (stage, busy seconds): read+decode+prepare+figures (all workers), encoder and heads,
    /// records, store writes.
    pub fn stage_seconds(&self) -> [(&'static str, f64); 4] {
        let s = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e9;
        [
            ("read, decode, prepare, figures", s(&self.read_prepare_ns)),
            ("encoder and heads", s(&self.encode_ns)),
            ("records", s(&self.records_ns)),
            ("store writes", s(&self.write_ns)),
        ]
    }
}

enum Work {
    File(usize, PathBuf),
    WalkFailure(usize, Failure),
}

enum Item {
    Pending { article: Article, doc: PreparedDoc },
    Done(Outcome),
}

struct Batch {
    seq: usize,
    is_file: bool,
    items: Vec<Item>,
}

struct ReadBatch {
    seq: usize,
    is_file: bool,
    items: Vec<(Item, Option<Result<Reading, String>>)>,
}

/// Reads, decodes, prepares one file: its articles, those already stored marked known.
fn prepare_file(root: &Path, path: &Path, limits: Limits, known: &(dyn Fn(&str) -> bool + Sync)) -> Vec<Item> {
    let rel = ingest::relative_path(root, path);
    match ingest::read_file(root, path, limits) {
        Err(e) => vec![Item::Done(Outcome::Failed(Failure { path: rel, reason: e.to_string() }))],
        Ok(arts) => arts
            .into_iter()
            .map(|a| match a {
                Err(f) => Item::Done(Outcome::Failed(f)),
                Ok(article) => {
                    if known(&pipeline::doc_id(&article.text)) {
                        Item::Done(Outcome::Known { path: article.path })
                    } else {
                        let doc = pipeline::prepare(&article);
                        Item::Pending { article, doc }
                    }
                }
            })
            .collect(),
    }
}

/// Runs the model over a window of files: every pending document of the window in one
/// [`Reader::read_many`] call.
fn read_window(window: Vec<Batch>, reader: Option<&(dyn Reader + Sync)>, stats: &Stats) -> Vec<ReadBatch> {
    let t0 = Instant::now();
    let inputs: Vec<ReadInput> = window
        .iter()
        .flat_map(|b| b.items.iter())
        .filter_map(|i| match i {
            Item::Pending { doc, .. } => Some(doc.input()),
            Item::Done(_) => None,
        })
        .collect();
    let mut readings = match reader {
        Some(r) if !inputs.is_empty() => {
            let (v, tokens) = r.read_many(&inputs);
            stats.tokens.fetch_add(tokens, Ordering::Relaxed);
            stats.windows.fetch_add(1, Ordering::Relaxed);
            v
        }
        _ => inputs.iter().map(|_| Ok(Reading::default())).collect(),
    }
    .into_iter();
    drop(inputs);
    Stats::add(&stats.encode_ns, t0);
    window
        .into_iter()
        .map(|b| ReadBatch {
            seq: b.seq,
            is_file: b.is_file,
            items: b
                .items
                .into_iter()
                .map(|i| {
                    let r = matches!(i, Item::Pending { .. }).then(|| readings.next().unwrap_or_else(|| Err("the reader returned too few readings".into())));
                    (i, r)
                })
                .collect(),
        })
        .collect()
}

fn finish_batch(b: ReadBatch) -> FileDone {
    let outcomes = b
        .items
        .into_iter()
        .map(|(item, reading)| match (item, reading) {
            (Item::Done(o), _) => o,
            (Item::Pending { article, doc }, Some(Ok(reading))) => {
                let doc = pipeline::finish(&article, doc, reading);
                Outcome::Analyzed { article, doc }
            }
            (Item::Pending { article, .. }, Some(Err(e))) => Outcome::Failed(Failure { path: article.path, reason: e }),
            (Item::Pending { article, .. }, None) => Outcome::Failed(Failure { path: article.path, reason: "not read".into() }),
        })
        .collect();
    FileDone { is_file: b.is_file, outcomes }
}

/// Analyses everything under `root` and hands each walk entry's results to `write`, in walk
/// order, on the calling thread. `known(doc_id)` says whether a text is already stored (it is
/// then not analysed). `progress` is called after each write. A `write` error stops the stream
/// and is returned.
pub fn run<E>(
    root: &Path,
    reader: Option<&(dyn Reader + Sync)>,
    opts: &StreamOptions,
    known: &(dyn Fn(&str) -> bool + Sync),
    stats: &Stats,
    mut write: impl FnMut(FileDone) -> Result<(), E>,
    mut progress: impl FnMut(&Stats),
) -> Result<(), E> {
    let jobs = opts.jobs.max(1);
    let in_flight = opts.max_in_flight.max(1);
    std::thread::scope(|s| {
        let (tickets_tx, tickets_rx) = sync_channel::<()>(in_flight);
        let (work_tx, work_rx) = sync_channel::<Work>(jobs * 2);
        let (prep_tx, prep_rx) = sync_channel::<Batch>(jobs * 4);
        let (read_tx, read_rx) = sync_channel::<ReadBatch>(jobs * 4);
        let (done_tx, done_rx) = sync_channel::<(usize, FileDone)>(jobs * 4);

        // Walk: one entry at a time, never more than `in_flight` ahead of the writer.
        s.spawn(move || {
            let shard = opts.shard;
            // Filtered before numbering: the writer expects every sequence number.
            let entries = ingest::walk_iter(root).inspect(|_| {
                stats.walked.fetch_add(1, Ordering::Relaxed);
            });
            let entries = entries.filter(move |e| match (shard, e) {
                (None, _) => true,
                (Some(sh), Ok(p)) => sh.contains(&ingest::relative_path(root, p)),
                // Walk failures (unreadable folders) are reported by one worker only, not by all N.
                (Some(sh), Err(f)) => sh.contains(&f.path),
            });
            for (seq, entry) in entries.enumerate() {
                if tickets_tx.send(()).is_err() {
                    return;
                }
                let w = match entry {
                    Ok(p) => Work::File(seq, p),
                    Err(f) => Work::WalkFailure(seq, f),
                };
                if work_tx.send(w).is_err() {
                    return;
                }
            }
        });

        // Shared by the workers; dropped with the last of them, so that the walk stops too.
        let work_rx = std::sync::Arc::new(Mutex::new(work_rx));
        for _ in 0..jobs {
            let prep_tx = prep_tx.clone();
            let work_rx = work_rx.clone();
            s.spawn(move || loop {
                // The lock is held only while waiting for the next entry.
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let batch = match next {
                    Err(_) => return,
                    Ok(Work::WalkFailure(seq, f)) => Batch { seq, is_file: false, items: vec![Item::Done(Outcome::Failed(f))] },
                    Ok(Work::File(seq, path)) => {
                        let t0 = Instant::now();
                        let items = prepare_file(root, &path, opts.limits, known);
                        Stats::add(&stats.read_prepare_ns, t0);
                        Batch { seq, is_file: true, items }
                    }
                };
                if prep_tx.send(batch).is_err() {
                    return;
                }
            });
        }
        drop(prep_tx);

        // Encoder: gathers a window of documents, then reads them all in one call. It runs a
        // smaller window rather than wait when the workers fall behind.
        s.spawn(move || {
            let mut window: Vec<Batch> = Vec::new();
            let mut est = 0usize;
            loop {
                let next = if window.is_empty() {
                    prep_rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
                } else {
                    prep_rx.recv_timeout(opts.linger)
                };
                let flush = match next {
                    Ok(b) => {
                        est += b.items.iter().map(|i| if let Item::Pending { article, .. } = i { article.text.len() / 4 + 2 } else { 0 }).sum::<usize>();
                        window.push(b);
                        est >= opts.window_tokens
                    }
                    Err(RecvTimeoutError::Timeout) => true,
                    Err(RecvTimeoutError::Disconnected) => {
                        if !window.is_empty() {
                            for rb in read_window(std::mem::take(&mut window), reader, stats) {
                                if read_tx.send(rb).is_err() {
                                    return;
                                }
                            }
                        }
                        return;
                    }
                };
                if flush {
                    est = 0;
                    for rb in read_window(std::mem::take(&mut window), reader, stats) {
                        if read_tx.send(rb).is_err() {
                            return;
                        }
                    }
                }
            }
        });

        // Records: joins readings and figures into the contract objects.
        s.spawn(move || {
            for rb in read_rx {
                let t0 = Instant::now();
                let seq = rb.seq;
                let done = finish_batch(rb);
                Stats::add(&stats.records_ns, t0);
                if done_tx.send((seq, done)).is_err() {
                    return;
                }
            }
        });

        // Writer (this thread): walk order restored, one ticket returned per entry written.
        let mut pending: BTreeMap<usize, FileDone> = BTreeMap::new();
        let mut next = 0usize;
        for (seq, done) in done_rx.iter() {
            pending.insert(seq, done);
            while let Some(done) = pending.remove(&next) {
                if done.is_file {
                    stats.files.fetch_add(1, Ordering::Relaxed);
                }
                let analysed = done.outcomes.iter().filter(|o| matches!(o, Outcome::Analyzed { .. })).count();
                let t0 = Instant::now();
                write(done)?;
                Stats::add(&stats.write_ns, t0);
                stats.articles.fetch_add(analysed, Ordering::Relaxed);
                let _ = tickets_rx.recv();
                next += 1;
                progress(stats);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts how many documents each read_many call gets, and marks each text's length.
    struct Counting {
        calls: AtomicUsize,
        most: AtomicUsize,
    }
    impl Reader for Counting {
        fn read(&self, _: &str, s: &[crate::text::Span], f: &[(usize, usize)]) -> Result<Reading, String> {
            Ok(Reading { tones: vec![None; s.len()], roles: vec![None; f.len()], ..Default::default() })
        }
        fn read_many(&self, docs: &[ReadInput]) -> (Vec<Result<Reading, String>>, usize) {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.most.fetch_max(docs.len(), Ordering::Relaxed);
            (docs.iter().map(|d| if d.text.contains("poison") { Err("bad text".into()) } else { self.read(d.text, d.sentences, d.figures) }).collect(), docs.len())
        }
    }

    fn folder(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            let body = if i == 7 { "poison pill here.".to_string() } else { format!("Acme {i} lève {i} millions d'euros auprès de Foo. Fin {i}.") };
            std::fs::write(dir.path().join(format!("a{i:04}.txt")), body).unwrap();
        }
        std::fs::write(dir.path().join("empty.txt"), "").unwrap();
        dir
    }

    fn run_all(dir: &Path, opts: &StreamOptions, reader: &Counting) -> Vec<String> {
        let stats = Stats::default();
        let mut log = Vec::new();
        let known = |_: &str| false;
        run::<()>(
            dir,
            Some(reader),
            opts,
            &known,
            &stats,
            |fd| {
                for o in fd.outcomes {
                    log.push(match o {
                        Outcome::Analyzed { article, doc } => format!("ok {} {}", article.path, doc.figures.len()),
                        Outcome::Known { path } => format!("known {path}"),
                        Outcome::Failed(f) => format!("failed {} {}", f.path, f.reason),
                    });
                }
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        log
    }

    #[test]
    fn results_come_in_walk_order_and_windows_span_documents() {
        let dir = folder(60);
        let reader = Counting { calls: AtomicUsize::new(0), most: AtomicUsize::new(0) };
        // About four documents fill a window; the long linger makes windows depend on tokens only.
        let opts = StreamOptions { shard: None, jobs: 3, window_tokens: 60, max_in_flight: 8, linger: Duration::from_secs(30), limits: Limits::default() };
        let log = run_all(dir.path(), &opts, &reader);
        assert_eq!(log.len(), 61);
        assert_eq!(log[0], "ok a0000.txt 1");
        assert_eq!(log[7], "failed a0007.txt bad text");
        assert_eq!(log[60], "failed empty.txt empty file");
        let paths: Vec<&str> = log.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(sorted, paths, "walk order");
        let most = reader.most.load(Ordering::Relaxed);
        assert!((3..=8).contains(&most), "largest window {most}");
    }

    #[test]
    fn a_write_error_stops_the_stream() {
        let dir = folder(40);
        let reader = Counting { calls: AtomicUsize::new(0), most: AtomicUsize::new(0) };
        let opts = StreamOptions { shard: None, jobs: 2, window_tokens: 10, max_in_flight: 4, linger: Duration::from_millis(5), limits: Limits::default() };
        let stats = Stats::default();
        let mut n = 0;
        let r = run(dir.path(), Some(&reader), &opts, &|_: &str| false, &stats, |_| {
            n += 1;
            if n == 5 { Err("disk full") } else { Ok(()) }
        }, |_| {});
        assert_eq!(r, Err("disk full"));
        assert_eq!(n, 5);
    }
}
