//! Schema: documents, sentences, entities, figures, records (+ their mentions), actor variants,
//! and exchange rates. Every row points to its document and sentence.

use super::backend::{Conn, Dialect};
use super::Result;

pub const VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,            -- SHA-256 of the text
    path TEXT NOT NULL,
    title TEXT,
    lang TEXT NOT NULL,
    published TEXT,                 -- YYYY-MM-DD, or as written when not a whole day
    encoding TEXT NOT NULL,
    url TEXT,
    text TEXT NOT NULL,
    sentiment TEXT,
    sentiment_score REAL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_lang ON documents(lang);
CREATE INDEX IF NOT EXISTS documents_published ON documents(published);

CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    tone TEXT,
    tone_score REAL,
    PRIMARY KEY (doc_id, idx)
);

CREATE TABLE IF NOT EXISTS entities (
    id ID_PRIMARY_KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sentence INTEGER NOT NULL,
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_doc ON entities(doc_id);
CREATE INDEX IF NOT EXISTS entities_text ON entities(NOCASE(text));

CREATE TABLE IF NOT EXISTS figures (
    id ID_PRIMARY_KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sentence INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    min REAL,
    max REAL,
    unit TEXT,
    approx INTEGER NOT NULL,
    bound TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    period_start TEXT,
    period_end TEXT,
    granularity TEXT,
    role TEXT
);
CREATE INDEX IF NOT EXISTS figures_doc ON figures(doc_id);
CREATE INDEX IF NOT EXISTS figures_kind ON figures(kind);

CREATE TABLE IF NOT EXISTS records (
    id ID_PRIMARY_KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sentence INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    amount_min REAL,
    amount_max REAL,
    currency TEXT,
    approx INTEGER NOT NULL,
    target TEXT,
    period_text TEXT,
    period_start TEXT,
    period_end TEXT,
    period_inferred INTEGER NOT NULL DEFAULT 0,
    sentiment TEXT NOT NULL,
    confidence REAL NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    fact_key TEXT NOT NULL,          -- actor|action|amount|currency|period: links one fact across documents
    detail TEXT NOT NULL DEFAULT '{}' -- JSON: actor variants, related figures, mentions
);
CREATE INDEX IF NOT EXISTS records_doc ON records(doc_id);
CREATE INDEX IF NOT EXISTS records_actor ON records(NOCASE(actor));
CREATE INDEX IF NOT EXISTS records_action ON records(action);
CREATE INDEX IF NOT EXISTS records_currency ON records(currency);
CREATE INDEX IF NOT EXISTS records_amount ON records(amount_max);
CREATE INDEX IF NOT EXISTS records_period ON records(period_start, period_end);
CREATE INDEX IF NOT EXISTS records_sentiment ON records(sentiment);
CREATE INDEX IF NOT EXISTS records_fact ON records(fact_key);

-- Who put the money in beside a record's actor (investors of a round, lenders); the same names
-- are in records.detail. Created on first use, so older stores gain it without a migration.
CREATE TABLE IF NOT EXISTS record_investors (
    record_id BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_investors_record ON record_investors(record_id);
CREATE INDEX IF NOT EXISTS record_investors_name ON record_investors(name);

CREATE TABLE IF NOT EXISTS actor_variants (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,             -- canonical name
    variant TEXT NOT NULL,
    PRIMARY KEY (doc_id, actor, variant)
);
CREATE INDEX IF NOT EXISTS actor_variants_variant ON actor_variants(NOCASE(variant));

CREATE TABLE IF NOT EXISTS rates (
    currency TEXT PRIMARY KEY,       -- ISO 4217
    usd REAL NOT NULL,               -- value of one unit in US dollars
    as_of TEXT
);
"#;

/// Reference rates so that `veille query --in USD|EUR` works out of the box: approximate values
/// of one unit in US dollars, from the ECB euro reference rates of 2025-01-31 (EUR/USD 1.0393)
/// crossed through the euro. They are inserted only where a currency has no rate yet, so rates
/// the user imports (`veille rates import FILE.csv`) are never overwritten.
pub const DEFAULT_RATES_AS_OF: &str = "2025-01-31 (default: ECB reference rates, approximate)";
pub const DEFAULT_RATES: &[(&str, f64)] = &[
    ("USD", 1.0), ("EUR", 1.0393), ("GBP", 1.2414), ("CHF", 1.0987), ("JPY", 0.006445), ("CNY", 0.1380), ("CAD", 0.6885),
    ("AUD", 0.6220), ("SEK", 0.0905), ("NOK", 0.0884), ("DKK", 0.1393), ("INR", 0.01155), ("KRW", 0.000689), ("ZAR", 0.0536),
    ("BRL", 0.1710), ("HKD", 0.1284), ("SGD", 0.7371), ("PLN", 0.2465),
];

/// Creates what is missing. On PostgreSQL several workers may start at once: an advisory lock
/// held for the transaction makes them create the tables one after the other.
pub fn migrate(conn: &Conn) -> Result<()> {
    let schema = conn.dialect().schema(SCHEMA);
    let seed_rates = |c: &Conn| -> Result<()> {
        for (cur, usd) in DEFAULT_RATES {
            c.execute(
                "INSERT INTO rates (currency, usd, as_of) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                &[(*cur).into(), (*usd).into(), DEFAULT_RATES_AS_OF.into()],
            )?;
        }
        Ok(())
    };
    match conn.dialect() {
        Dialect::Sqlite => {
            let current = conn.query_one("PRAGMA user_version", &[])?.i64(0)?;
            conn.batch(&schema)?;
            seed_rates(conn)?;
            if current < VERSION {
                conn.batch(&format!("PRAGMA user_version = {VERSION}"))?;
            }
            Ok(())
        }
        Dialect::Postgres => conn.transaction(|c| {
            c.query("SELECT pg_advisory_xact_lock(?1)", &[PG_SCHEMA_LOCK.into()])?;
            c.batch(&schema)?;
            seed_rates(c)
        }),
    }
}

/// Advisory-lock key taken while creating the schema on PostgreSQL ("veille" in ASCII).
const PG_SCHEMA_LOCK: i64 = 0x7665_696c_6c65;

/// True when the store has its tables (PostgreSQL: a database `veille analyze` has written to).
pub fn exists(conn: &Conn) -> Result<bool> {
    match conn.dialect() {
        Dialect::Sqlite => Ok(true),
        Dialect::Postgres => Ok(conn.query_one("SELECT to_regclass('documents') IS NOT NULL", &[])?.bool(0)?),
    }
}
