//! Ingest: walk a folder, read each supported file, decode it, pull out title, date and body,
//! and detect the language. Everything here works on bytes and strings; nothing knows about models.

mod decode;
mod detect;
mod formats;
mod html;
pub mod shard;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use thiserror::Error;

use crate::lang::Lang;

pub use decode::{decode, Decoded};
pub use detect::detect_language;
pub use formats::parse_date;

/// Default refusal threshold for one file: far above any news article, far below memory trouble.
pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("empty file")]
    Empty,
    #[error("no text found after decoding ({0})")]
    NoText(String),
    #[error("binary file (NUL bytes, no text encoding fits)")]
    Binary,
    #[error("file too large: {size} bytes, limit {limit} (raise it with --max-bytes)")]
    TooLarge { size: u64, limit: u64 },
    #[error("file grew past the limit of {limit} bytes while being read (still being written?)")]
    Grew { limit: u64 },
    #[error("not a regular file ({0}): skipped")]
    NotRegular(&'static str),
    #[error("HTML too complex: {0}")]
    HtmlTooComplex(String),
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("JSON object has no text field (looked for text, body, content, article)")]
    NoTextField,
    #[error("unsupported file type")]
    Unsupported,
}

/// One article as read from disk, before any analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Path relative to the analysed folder; `file.jsonl#L3` for the third line of a JSONL file.
    pub path: String,
    pub title: Option<String>,
    /// The document text as read (decoded); all stored offsets point into it.
    pub text: String,
    pub published: Option<NaiveDate>,
    /// A date the file gave that is not a whole day ("2025-02"), kept as written.
    pub published_raw: Option<String>,
    pub url: Option<String>,
    /// How the bytes were decoded, e.g. "UTF-8", "UTF-16LE (BOM)", "windows-1252 (detected)".
    pub encoding: String,
    pub lang: Lang,
    /// ISO 639-1 where known, else the detector's ISO 639-3 code, "und" when undetermined.
    pub lang_code: String,
}

/// A file or line that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: DEFAULT_MAX_BYTES }
    }
}

const EXTENSIONS: &[&str] = &["txt", "md", "markdown", "html", "htm", "json", "jsonl"];

fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_str().map(|s| s.starts_with('.')).unwrap_or(false)
}

/// Lists the supported files under `root` (sorted, hidden entries skipped). Folders that cannot
/// be read are reported as failures, never abort the walk.
pub fn walk(root: &Path) -> (Vec<PathBuf>, Vec<Failure>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for entry in walk_iter(root) {
        match entry {
            Ok(p) => files.push(p),
            Err(f) => failures.push(f),
        }
    }
    (files, failures)
}

/// The walk of [`walk`], one entry at a time (nothing holds the whole listing,
/// beyond the one folder walkdir sorts): supported files, and what cannot be read.
pub fn walk_iter(root: &Path) -> Box<dyn Iterator<Item = Result<PathBuf, Failure>> + '_> {
    // A file given as the root is the whole walk, whatever its extension.
    if root.is_file() {
        return Box::new(std::iter::once(Ok(root.to_path_buf())));
    }
    // Links are followed (symlinked folders are common in article dumps); walkdir reports loops.
    let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter();
    Box::new(walker.filter_entry(|e| !is_hidden(e)).filter_map(move |entry| match entry {
        Ok(e) if e.file_type().is_dir() => None,
        Ok(e) => {
            let ext = e.path().extension().and_then(|x| x.to_str()).map(|x| x.to_ascii_lowercase());
            // A folder's README describes the folder; it is not an article.
            let readme = e.file_name().to_str().map(|n| n.to_ascii_lowercase().starts_with("readme.")).unwrap_or(false);
            if readme || !ext.map(|x| EXTENSIONS.contains(&x.as_str())).unwrap_or(false) {
                return None;
            }
            if e.file_type().is_file() {
                Some(Ok(e.into_path()))
            } else {
                // A FIFO or device named like an article: reading it could block or never end.
                let reason = IngestError::NotRegular(special_kind(&e.file_type())).to_string();
                Some(Err(Failure { path: relative_path(root, e.path()), reason }))
            }
        }
        Err(err) => {
            let path = err.path().map(|p| relative_path(root, p)).unwrap_or_else(|| display_path(root));
            let reason = if let Some(anc) = err.loop_ancestor() {
                format!("symbolic link loop (back to {}): skipped", display_path(anc))
            } else {
                match err.io_error() {
                    Some(io) => format!("cannot read: {io}"),
                    None => format!("cannot read: {err}"),
                }
            };
            Some(Err(Failure { path, reason }))
        }
    }))
}

fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// A path as text. Bytes that are not UTF-8 are written `\xNN`, so that two names that differ
/// only there stay apart (a lossy conversion would give both the same U+FFFD name).
pub fn display_path(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// The path stored for a file: relative to the analysed root (Unix: `/` separators).
pub fn relative_path(root: &Path, file: &Path) -> String {
    let rel = if root.is_file() {
        file.file_name().map(PathBuf::from).unwrap_or_else(|| file.to_path_buf())
    } else {
        file.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| file.to_path_buf())
    };
    display_path(&rel)
}

/// Reads one file into articles. A JSONL file gives one result per non-empty line, so that one bad
/// line costs only itself; every other format gives one article or one error.
pub fn read_file(root: &Path, file: &Path, limits: Limits) -> Result<Vec<Result<Article, Failure>>, IngestError> {
    let bytes = read_bounded(file, limits.max_bytes)?;
    let rel = relative_path(root, file);
    let ext = file.extension().and_then(|x| x.to_str()).unwrap_or("").to_ascii_lowercase();
    read_bytes(&rel, &ext, &bytes)
}

/// Reads a regular file of at most `max` bytes. Opened non-blocking, so that a FIFO put in place
/// of a file after the walk is refused instead of waiting for a writer; the read stops at `max`
/// bytes, so that a file still growing cannot take more memory than the limit.
fn read_bounded(file: &Path, max: u64) -> Result<Vec<u8>, IngestError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(file)?;
    let meta = f.metadata()?;
    if !meta.file_type().is_file() {
        return Err(IngestError::NotRegular(special_kind(&meta.file_type())));
    }
    if meta.len() > max {
        return Err(IngestError::TooLarge { size: meta.len(), limit: max });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(IngestError::Grew { limit: max });
    }
    Ok(bytes)
}

/// Same as [`read_file`] on bytes already in memory; `ext` selects the format.
pub fn read_bytes(rel: &str, ext: &str, bytes: &[u8]) -> Result<Vec<Result<Article, Failure>>, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    let decoded = decode(bytes)?;
    if decoded.text.trim().is_empty() {
        return Err(IngestError::NoText(decoded.encoding));
    }
    let parsed: Vec<Result<formats::Parsed, Failure>> = match ext {
        "txt" => vec![Ok(formats::parse_txt(&decoded.text))],
        "md" | "markdown" => vec![Ok(formats::parse_md(&decoded.text))],
        "html" | "htm" => vec![Ok(html::parse_html(&decoded.text)?)],
        "json" => vec![Ok(formats::parse_json(&decoded.text)?)],
        "jsonl" => formats::parse_jsonl(&decoded.text)
            .into_iter()
            .map(|(line, r)| {
                r.map_err(|e| Failure { path: format!("{rel}#L{line}"), reason: e.to_string() })
                    .map(|mut p| {
                        p.line = Some(line);
                        p
                    })
            })
            .collect(),
        _ => return Err(IngestError::Unsupported),
    };
    Ok(parsed
        .into_iter()
        .map(|r| {
            r.and_then(|p| {
                let path = match p.line {
                    Some(line) => format!("{rel}#L{line}"),
                    None => rel.to_string(),
                };
                if p.text.trim().is_empty() {
                    return Err(Failure { path, reason: IngestError::NoText(decoded.encoding.clone()).to_string() });
                }
                let (lang, lang_code) = detect_language(&p.text);
                let (published, published_raw) = match p.date.as_deref().map(|d| (parse_date(d), d)) {
                    Some((Some(d), _)) => (Some(d), None),
                    Some((None, raw)) => (None, Some(raw.trim().to_string())),
                    None => (None, None),
                };
                Ok(Article {
                    path,
                    title: p.title,
                    text: p.text,
                    published,
                    published_raw,
                    url: p.url,
                    encoding: decoded.encoding.clone(),
                    lang,
                    lang_code,
                })
            })
        })
        .collect())
}
