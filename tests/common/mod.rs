//! Shared by the integration tests that compare the streaming analyze with the loop over
//! `pipeline::analyze` it replaced.
#![allow(dead_code)]

use std::path::Path;

use veille::pipeline::{self, Reader};
use veille::store::{NewDocument, Store};
use veille::stream::{self, Outcome, StreamOptions};

/// Every stored document as its JSON export line, in export order (path, id).
pub fn export(store: &Store) -> Vec<String> {
    store.document_ids().unwrap().iter().map(|id| serde_json::to_string(&store.document(id).unwrap().0).unwrap()).collect()
}

/// The one-document-at-a-time path: walk, read, analyse, insert.
pub fn one_at_a_time(dir: &Path, reader: Option<&dyn Reader>) -> (Vec<String>, Vec<String>) {
    let mut store = Store::in_memory().unwrap();
    let (files, mut failures) = veille::ingest::walk(dir);
    let mut failed = Vec::new();
    failures.drain(..).for_each(|f| failed.push(f.path));
    for f in &files {
        let arts = match veille::ingest::read_file(dir, f, Default::default()) {
            Ok(a) => a,
            Err(_) => {
                failed.push(veille::ingest::relative_path(dir, f));
                continue;
            }
        };
        for a in arts {
            let a = match a {
                Ok(a) => a,
                Err(f) => {
                    failed.push(f.path);
                    continue;
                }
            };
            if store.has_document(&pipeline::doc_id(&a.text)).unwrap() {
                continue;
            }
            let doc = pipeline::analyze(&a, reader).unwrap();
            store.insert_document(&NewDocument { doc: &doc, text: &a.text }).unwrap();
        }
    }
    (export(&store), failed)
}

/// The streaming path into a fresh store.
pub fn streaming(dir: &Path, reader: Option<&(dyn Reader + Sync)>, opts: &StreamOptions) -> (Vec<String>, Vec<String>) {
    let mut store = Store::in_memory().unwrap();
    let stats = stream::Stats::default();
    let mut failed = Vec::new();
    stream::run::<String>(
        dir,
        reader,
        opts,
        &|_: &str| false,
        &stats,
        |done| {
            for o in done.outcomes {
                match o {
                    Outcome::Analyzed { article, doc } => {
                        store.insert_document(&NewDocument { doc: &doc, text: &article.text }).map_err(|e| e.to_string())?;
                    }
                    Outcome::Known { .. } => {}
                    Outcome::Failed(f) => failed.push(f.path),
                }
            }
            Ok(())
        },
        |_| {},
    )
    .unwrap();
    (export(&store), failed)
}
