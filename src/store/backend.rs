//! The two back-ends behind [`Store`](super::Store): SQLite (one file, the embedded default) and
//! PostgreSQL (one server that many workers fill at once).
//!
//! Store code writes each statement once, in the SQL both dialects accept, with `?N` placeholders and
//! values as [`Val`]. What differs between the dialects lives here and nowhere else: placeholder
//! syntax, column types and identity columns in the schema, case-insensitive LIKE, string
//! aggregation, schema creation under concurrent workers, and read-only transactions.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Result, StoreError};

/// One SQL value crossing the store boundary, in either back-end.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<usize> for Val {
    fn from(v: usize) -> Val {
        Val::Int(v as i64)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Int(v as i64)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::Real(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map(Into::into).unwrap_or(Val::Null)
    }
}

impl Val {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Null => serde_json::Value::Null,
            Val::Int(v) => (*v).into(),
            Val::Real(v) => (*v).into(),
            Val::Text(t) => t.clone().into(),
        }
    }
}

/// A result row: values by column position, with typed getters that name the column on mismatch.
pub struct Row(pub Vec<Val>);

impl Row {
    fn at(&self, i: usize) -> Result<&Val> {
        self.0.get(i).ok_or_else(|| StoreError::Invalid(format!("result row has no column {i}")))
    }
    fn mismatch(&self, i: usize, want: &str) -> StoreError {
        StoreError::Invalid(format!("column {i}: expected {want}, found {:?}", self.0.get(i)))
    }
    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            _ => Err(self.mismatch(i, "an integer")),
        }
    }
    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or_else(|| self.mismatch(i, "an integer"))
    }
    pub fn usize(&self, i: usize) -> Result<usize> {
        usize::try_from(self.i64(i)?).map_err(|_| self.mismatch(i, "a non-negative integer"))
    }
    pub fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }
    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Real(v) => Ok(Some(*v)),
            Val::Int(v) => Ok(Some(*v as f64)),
            _ => Err(self.mismatch(i, "a number")),
        }
    }
    pub fn f64(&self, i: usize) -> Result<f64> {
        self.opt_f64(i)?.ok_or_else(|| self.mismatch(i, "a number"))
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Text(t) => Ok(Some(t.clone())),
            _ => Err(self.mismatch(i, "text")),
        }
    }
    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| self.mismatch(i, "text"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Case-insensitive LIKE (SQLite's LIKE already ignores ASCII case; PostgreSQL's does not).
    pub fn ilike(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// Concatenation of `expr` over a group, separated by the unit separator (U+001F).
    pub fn concat_unit_sep(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("group_concat({expr}, char(31))"),
            Dialect::Postgres => format!("string_agg({expr}, chr(31))"),
        }
    }

    /// Renders the shared schema text for this dialect. The text is written for SQLite with two
    /// markers: `ID_PRIMARY_KEY` (a surrogate integer key) and `NOCASE(col)` (an index expression
    /// for case-insensitive lookups). PostgreSQL also gets 8-byte floats and byte-order ("C")
    /// collation on text, so that ORDER BY sorts text as SQLite does whatever the server's locale.
    pub fn schema(self, shared: &str) -> String {
        match self {
            Dialect::Sqlite => shared.replace("ID_PRIMARY_KEY", "INTEGER PRIMARY KEY").replace_nocase(|c| format!("{c} COLLATE NOCASE")),
            Dialect::Postgres => shared
                .replace("ID_PRIMARY_KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                .replace(" REAL", " DOUBLE PRECISION")
                .replace(" TEXT", " TEXT COLLATE \"C\"")
                .replace_nocase(|c| format!("lower({c})")),
        }
    }
}

trait ReplaceNocase {
    fn replace_nocase(&self, f: impl Fn(&str) -> String) -> String;
}

impl ReplaceNocase for String {
    fn replace_nocase(&self, f: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.len());
        let mut rest = self.as_str();
        while let Some(i) = rest.find("NOCASE(") {
            out.push_str(&rest[..i]);
            let after = &rest[i + "NOCASE(".len()..];
            let close = after.find(')').expect("NOCASE( is closed in the schema text");
            out.push_str(&f(&after[..close]));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// `?N` placeholders (SQLite) to `$N` (PostgreSQL), outside quoted strings and identifiers.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                out.push('$');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// A PostgreSQL connection string with any password hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((auth, host)) = rest.split_once('@') {
            if let Some((user, _)) = auth.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// True for the `--db` values that name a PostgreSQL server rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

pub struct Pg {
    client: RefCell<postgres::Client>,
    /// Statements prepared once per connection: a document is many small inserts.
    prepared: RefCell<HashMap<String, postgres::Statement>>,
}

pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Pg),
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Null => ValueRef::Null,
            Val::Int(v) => ValueRef::Integer(*v),
            Val::Real(v) => ValueRef::Real(*v),
            Val::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

fn from_sqlite(v: rusqlite::types::ValueRef) -> Val {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(r) => Val::Real(r),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Text(format!("<{} bytes>", b.len())),
    }
}

mod pg_types {
    //! `Val` on the PostgreSQL wire: written as whatever type the server asks for, read from the
    //! types a query can return (integers, floats, numeric, booleans as 0/1 like SQLite, text).
    use std::error::Error;

    use bytes::BytesMut;
    use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

    use super::Val;

    type BoxError = Box<dyn Error + Sync + Send>;

    impl ToSql for Val {
        fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
            match self {
                Val::Null => Ok(IsNull::Yes),
                Val::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Val::Int(v) if *ty == Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Val::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
                Val::Int(v) => v.to_sql(ty, out),
                Val::Real(v) if *ty == Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                Val::Real(v) => v.to_sql(ty, out),
                Val::Text(t) => t.as_str().to_sql(ty, out),
            }
        }
        fn accepts(_: &Type) -> bool {
            true
        }
        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for Val {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Val, BoxError> {
            Ok(if *ty == Type::INT2 {
                Val::Int(i16::from_sql(ty, raw)? as i64)
            } else if *ty == Type::INT4 {
                Val::Int(i32::from_sql(ty, raw)? as i64)
            } else if *ty == Type::INT8 {
                Val::Int(i64::from_sql(ty, raw)?)
            } else if *ty == Type::OID {
                Val::Int(u32::from_sql(ty, raw)? as i64)
            } else if *ty == Type::FLOAT4 {
                Val::Real(f32::from_sql(ty, raw)? as f64)
            } else if *ty == Type::FLOAT8 {
                Val::Real(f64::from_sql(ty, raw)?)
            } else if *ty == Type::NUMERIC {
                Val::Real(numeric(raw)?)
            } else if *ty == Type::BOOL {
                Val::Int(bool::from_sql(ty, raw)? as i64)
            } else if *ty == Type::JSONB {
                // Binary jsonb is a version byte (1) then the JSON text.
                Val::Text(String::from_utf8_lossy(raw.get(1..).unwrap_or_default()).into_owned())
            } else if <&str as FromSql>::accepts(ty) || *ty == Type::JSON || *ty == Type::UNKNOWN {
                Val::Text(String::from_utf8_lossy(raw).into_owned())
            } else {
                Val::Text(format!("<{} value: cast it to text>", ty.name()))
            })
        }
        fn from_sql_null(_: &Type) -> Result<Val, BoxError> {
            Ok(Val::Null)
        }
        fn accepts(_: &Type) -> bool {
            true
        }
    }

    /// PostgreSQL's binary NUMERIC: digit count, weight, sign, scale, then base-10000 digits.
    fn numeric(raw: &[u8]) -> Result<f64, BoxError> {
        let word = |i: usize| -> Result<i16, BoxError> {
            raw.get(i * 2..i * 2 + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "truncated numeric".into())
        };
        let (ndigits, weight, sign) = (word(0)? as usize, word(1)? as i32, word(2)? as u16);
        if sign == 0xC000 {
            return Ok(f64::NAN);
        }
        let mut v = 0f64;
        for d in 0..ndigits {
            v += word(4 + d)? as f64 * 10000f64.powi(weight - d as i32);
        }
        Ok(if sign == 0x4000 { -v } else { v })
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn numeric_binary_decodes() {
            // 12345.67 = digits [1, 2345, 6700], weight 1, positive, scale 2.
            let raw: Vec<u8> = [3i16, 1, 0, 2, 1, 2345, 6700].iter().flat_map(|w| w.to_be_bytes()).collect();
            assert!((super::numeric(&raw).unwrap() - 12345.67).abs() < 1e-9);
            let neg: Vec<u8> = [1i16, -1, 0x4000u16 as i16, 1, 5000].iter().flat_map(|w| w.to_be_bytes()).collect();
            assert!((super::numeric(&neg).unwrap() + 0.5).abs() < 1e-12);
        }
    }
}

fn pg_params(params: &[Val]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect()
}

impl Conn {
    pub fn connect_postgres(url: &str, read_only: bool) -> std::result::Result<Conn, postgres::Error> {
        let mut config: postgres::Config = url.parse()?;
        if read_only {
            // Every transaction of this session is read-only unless it says otherwise; `sql` also
            // opens its own READ ONLY transaction.
            config.options("-c default_transaction_read_only=on");
        }
        let client = config.connect(postgres::NoTls)?;
        Ok(Conn::Postgres(Pg { client: RefCell::new(client), prepared: RefCell::new(HashMap::new()) }))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    fn pg_statement(pg: &Pg, sql: &str) -> Result<postgres::Statement> {
        if let Some(st) = pg.prepared.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = pg.client.borrow_mut().prepare(&numbered_placeholders(sql))?;
        pg.prepared.borrow_mut().insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// Runs one statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Val]) -> Result<u64> {
        match self {
            Conn::Sqlite(c) => Ok(c.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params.iter()))? as u64),
            Conn::Postgres(pg) => {
                let st = Self::pg_statement(pg, sql)?;
                Ok(pg.client.borrow_mut().execute(&st, &pg_params(params))?)
            }
        }
    }

    pub fn query(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(Row((0..n).map(|i| r.get_ref(i).map(from_sqlite)).collect::<rusqlite::Result<_>>()?));
                }
                Ok(out)
            }
            Conn::Postgres(pg) => {
                let st = Self::pg_statement(pg, sql)?;
                let rows = pg.client.borrow_mut().query(&st, &pg_params(params))?;
                rows.iter().map(|r| Ok(Row((0..r.len()).map(|i| r.try_get::<_, Val>(i)).collect::<std::result::Result<_, _>>()?))).collect()
            }
        }
    }

    pub fn query_opt(&self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    pub fn query_one(&self, sql: &str, params: &[Val]) -> Result<Row> {
        self.query_opt(sql, params)?.ok_or_else(|| StoreError::Invalid(format!("no row returned by: {sql}")))
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(pg) => Ok(pg.client.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Runs `f` in one transaction: committed when it returns Ok, rolled back otherwise. A process
    /// killed inside it leaves nothing behind (SQLite's journal, PostgreSQL's aborted transaction).
    pub fn transaction<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        // SQLite: IMMEDIATE takes the write lock first; a deferred transaction that reads and then
        // writes can fail at once with SQLITE_BUSY, without waiting for the busy timeout.
        self.batch(match self {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        })?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Runs one statement given by the user inside a read-only transaction (PostgreSQL). The
    /// extended protocol takes exactly one statement, so no `COMMIT; ...` can leave the transaction.
    pub fn pg_read_only(&self, statement: &str) -> Result<(Vec<String>, Vec<Row>)> {
        let Conn::Postgres(pg) = self else {
            return Err(StoreError::Invalid("pg_read_only on a SQLite store".into()));
        };
        let mut c = pg.client.borrow_mut();
        c.batch_execute("BEGIN READ ONLY")?;
        let result = (|| -> std::result::Result<_, postgres::Error> {
            let st = c.prepare(statement)?;
            let columns: Vec<String> = st.columns().iter().map(|c| c.name().to_string()).collect();
            let rows = c.query(&st, &[])?;
            let rows = rows
                .iter()
                .map(|r| Ok(Row((0..r.len()).map(|i| r.try_get::<_, Val>(i)).collect::<std::result::Result<_, _>>()?)))
                .collect::<std::result::Result<Vec<_>, postgres::Error>>()?;
            Ok((columns, rows))
        })();
        let _ = c.batch_execute("ROLLBACK");
        result.map_err(|e| {
            if e.code() == Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION) {
                StoreError::NotReadOnly(statement.trim().to_string())
            } else {
                StoreError::Postgres(e)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_dollars_outside_quotes() {
        assert_eq!(numbered_placeholders("SELECT a FROM t WHERE x = ?1 AND y LIKE ?12"), "SELECT a FROM t WHERE x = $1 AND y LIKE $12");
        assert_eq!(numbered_placeholders("SELECT '?1', \"?2\" FROM t WHERE z = ?3"), "SELECT '?1', \"?2\" FROM t WHERE z = $3");
    }

    #[test]
    fn schema_renders_per_dialect() {
        let shared = "CREATE TABLE t (id ID_PRIMARY_KEY, name TEXT NOT NULL, x REAL);\nCREATE INDEX i ON t(NOCASE(name));";
        let lite = Dialect::Sqlite.schema(shared);
        assert_eq!(lite, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, x REAL);\nCREATE INDEX i ON t(name COLLATE NOCASE);");
        let pg = Dialect::Postgres.schema(shared);
        assert_eq!(
            pg,
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT COLLATE \"C\" NOT NULL, x DOUBLE PRECISION);\nCREATE INDEX i ON t(lower(name));"
        );
    }

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(redact_url("postgres://ann:s3cret@db.example/veille"), "postgres://ann:***@db.example/veille");
        assert_eq!(redact_url("postgres://ann@db.example/veille"), "postgres://ann@db.example/veille");
        assert!(is_postgres_url("postgresql://h/d") && is_postgres_url("postgres://h/d") && !is_postgres_url("veille.db"));
    }
}
