use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::train::corpus;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate the compiled annotated corpus
    Check {
        #[arg(default_value = "corpora/annotated")]
        dir: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Check { dir } => {
            let docs = corpus::load(&dir).map_err(anyhow::Error::msg)?;
            let errs = corpus::check(&docs);
            for e in &errs {
                println!("{e}");
            }
            let sentences: usize = docs.iter().map(|(_, d)| d.sentences.len()).sum();
            let mut by_split = std::collections::BTreeMap::new();
            let mut by_lang = std::collections::BTreeMap::new();
            for (_, d) in &docs {
                *by_split.entry(d.split.clone()).or_insert(0usize) += d.sentences.len();
                *by_lang.entry(d.lang.clone()).or_insert(0usize) += d.sentences.len();
            }
            println!("{} documents, {} sentences; by split {:?}; by language {:?}", docs.len(), sentences, by_split, by_lang);
            if !errs.is_empty() {
                bail!("{} problem(s) in {}", errs.len(), dir.display());
            }
            println!("ok");
            Ok(())
        }
    }
}
