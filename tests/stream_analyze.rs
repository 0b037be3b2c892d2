//! The streaming `veille analyze` (batches spanning documents) against the one-at-a-time loop,
//! with the real encoder and the committed heads. Skips when `models/fetch` has not been run.

mod common;

use std::path::Path;
use std::time::Duration;

use veille::model::{packaged_dir, DeviceChoice, Engine, EngineOptions, ModelSource, Precision};
use veille::reading::{heads::TaskHeads, reader::HeadsReader};
use veille::stream::StreamOptions;

fn reader(opts: EngineOptions) -> Option<HeadsReader<Engine>> {
    if !packaged_dir().join("e5-small-q4.bin").exists() {
        eprintln!("SKIP: base encoder absent in {} (run models/fetch)", packaged_dir().display());
        return None;
    }
    let engine = Engine::load_with(&ModelSource::Packaged(None), DeviceChoice::Cpu, opts).expect("load the packaged encoder");
    let heads = TaskHeads::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heads"), &candle_core::Device::Cpu).unwrap();
    Some(HeadsReader::new(engine, heads).unwrap())
}

#[test]
fn streaming_analyze_equals_one_at_a_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/articles");
    for precision in [Precision::F32, Precision::Int8] {
        // Today's defaults for the loop; analyze's token-only batches for the stream.
        let Some(single) = reader(EngineOptions { precision, ..Default::default() }) else { return };
        let streamed = reader(EngineOptions { precision, token_budget: 4096, max_batch: 4096, ..Default::default() }).unwrap();
        let (want, want_failed) = common::one_at_a_time(&dir, Some(&single));
        drop(single);
        let opts = StreamOptions { jobs: 2, window_tokens: 16_384, max_in_flight: 64, linger: Duration::from_secs(5), ..Default::default() };
        let (got, got_failed) = common::streaming(&dir, Some(&streamed), &opts);
        assert!(want.len() >= 20, "{} documents", want.len());
        assert_eq!(got_failed, want_failed);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{precision:?}: streamed export differs");
        }
    }
}
