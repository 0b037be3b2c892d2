//! Runs the figures grammar over every .txt in a folder and prints one JSON line per file, in the
//! export's figure shape, for `eval/score.py`. Language comes from the file name (`_fr_`, `_en_`...).
//! Usage: cargo run --release --example figures_dev -- DIR [published YYYY-MM-DD]

use std::path::Path;

use serde_json::json;
use veille::figures::{extract, Context};
use veille::lang::Lang;

fn lang_of(name: &str) -> Lang {
    for (tag, l) in [("_fr_", Lang::Fr), ("_en_", Lang::En), ("_es_", Lang::Es), ("_de_", Lang::De), ("_it_", Lang::It)] {
        if name.contains(tag) || name.starts_with(&tag[1..]) {
            return l;
        }
    }
    Lang::Other
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| ".".into());
    let published = args.next().and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().map_or(false, |x| x == "txt")).collect(),
        Err(e) => {
            eprintln!("{dir}: {e}");
            std::process::exit(1);
        }
    };
    files.sort();
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let name = Path::new(&p).file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let ctx = Context { lang: lang_of(&name), published };
        let figs: Vec<_> = extract(&text, &ctx)
            .into_iter()
            .map(|f| {
                json!({"text": f.text, "kind": f.kind, "min": f.min, "max": f.max, "unit": f.unit,
                       "approx": f.approx, "start": f.start, "end": f.end,
                       "period": f.period.map(|p| json!({"start": p.start.to_string(), "end": p.end.to_string(), "granularity": p.granularity, "relative": p.relative}))})
            })
            .collect();
        println!("{}", json!({"path": name, "figures": figs}));
    }
}
