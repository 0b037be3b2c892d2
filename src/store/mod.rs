//! The store: documents keyed by content hash, each written in one transaction. Two back-ends
//! behind one interface: a SQLite file (the default) or a PostgreSQL server (`--db postgres://...`),
//! which many workers can fill at once.

mod backend;
pub mod parquet;
mod query;
mod read;
mod schema;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use backend::Conn;
pub use backend::{is_postgres_url, redact_url};
use thiserror::Error;

pub use query::{RecordFilter, RecordRow, SortKey};
pub use read::SqlResult;
pub use write::{fact_key, NewDocument};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("database {0} does not exist (run `veille analyze DIR --db {0}` first)")]
    Missing(PathBuf),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect { url: String, source: postgres::Error },
    #[error("PostgreSQL database {0} has no veille tables (run `veille analyze DIR --db URL` first)")]
    MissingTables(String),
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("only read-only statements are allowed here: {0}")]
    NotReadOnly(String),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Another SQLite connection holds the lock that this one needs.
    fn is_busy(&self) -> bool {
        let code = match self {
            StoreError::Open { source, .. } | StoreError::Sql(source) => source.sqlite_error_code(),
            _ => None,
        };
        matches!(code, Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
    }
}

/// Runs `f` again while it fails because another SQLite connection holds the store, up to
/// `retries` more times, waiting `first_wait` doubled at each try (at most 64 times it). What `f`
/// does must be whole or nothing (one transaction, or an open), so that a retry repeats no work.
fn retry_when_busy<T>(retries: u32, first_wait: std::time::Duration, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 0u32;
    loop {
        match f() {
            Err(e) if e.is_busy() && attempt < retries => {
                attempt += 1;
                std::thread::sleep(first_wait * (1 << attempt.min(6)));
            }
            r => return r,
        }
    }
}

/// How long a writer waits for another veille process holding the store (a document transaction
/// takes milliseconds; a long wait only happens behind a big import or a checkpoint).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Store {
    conn: Conn,
}

impl Store {
    /// Opens (creating tables if needed) the store named by a `--db` value: a `postgres://` or
    /// `postgresql://` URL, else a SQLite file path.
    pub fn connect(db: &str) -> Result<Store> {
        if is_postgres_url(db) {
            let conn = Conn::connect_postgres(db, false).map_err(|source| StoreError::Connect { url: redact_url(db), source })?;
            schema::migrate(&conn)?;
            Ok(Store { conn })
        } else {
            Store::open_sqlite(Path::new(db))
        }
    }

    /// Opens the store named by a `--db` value for reading only.
    pub fn connect_read_only(db: &str) -> Result<Store> {
        if is_postgres_url(db) {
            let conn = Conn::connect_postgres(db, true).map_err(|source| StoreError::Connect { url: redact_url(db), source })?;
            if !schema::exists(&conn)? {
                return Err(StoreError::MissingTables(redact_url(db)));
            }
            Ok(Store { conn })
        } else {
            Store::open_read_only_sqlite(Path::new(db))
        }
    }

    /// Opens (creating if needed) a store for writing. A path that is a PostgreSQL URL opens that
    /// server, so every `--db` argument accepts both forms.
    pub fn open(path: &Path) -> Result<Store> {
        match path.to_str() {
            Some(s) if is_postgres_url(s) => Store::connect(s),
            _ => Store::open_sqlite(path),
        }
    }

    /// Opens an existing store read-only: nothing done through it can change the data.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        match path.to_str() {
            Some(s) if is_postgres_url(s) => Store::connect_read_only(s),
            _ => Store::open_read_only_sqlite(path),
        }
    }

    /// Several processes opening one new file at once can meet SQLITE_BUSY without the busy
    /// timeout being waited (switching to WAL upgrades a shared lock, which SQLite refuses at once
    /// rather than risk a deadlock), so the whole open is tried again a few times.
    fn open_sqlite(path: &Path) -> Result<Store> {
        retry_when_busy(10, std::time::Duration::from_millis(20), || Store::open_sqlite_once(path))
    }

    fn open_sqlite_once(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        // A busy timeout lets a second veille process wait instead of failing at once.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL is stored in the file: switch only when needed, as the switch needs an exclusive lock.
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let conn = Conn::Sqlite(conn);
        schema::migrate(&conn).map_err(|e| match e {
            StoreError::Sql(source) => StoreError::Open { path: path.to_path_buf(), source },
            e => e,
        })?;
        Ok(Store { conn })
    }

    fn open_read_only_sqlite(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Store { conn: Conn::Sqlite(conn) })
    }

    pub fn in_memory() -> Result<Store> {
        let conn = Conn::Sqlite(Connection::open_in_memory()?);
        schema::migrate(&conn)?;
        Ok(Store { conn })
    }

    /// "sqlite" or "postgres": which back-end this store runs on.
    pub fn backend_name(&self) -> &'static str {
        match self.conn.dialect() {
            backend::Dialect::Sqlite => "sqlite",
            backend::Dialect::Postgres => "postgres",
        }
    }
}
