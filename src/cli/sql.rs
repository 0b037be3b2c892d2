use std::path::PathBuf;

use anyhow::Result;

use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// One SQL statement (SELECT, WITH ..., PRAGMA reads); writes are refused
    statement: String,
    /// Store: a SQLite file, or a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, default_value_os_t = super::default_db())]
    db: PathBuf,
    /// Print rows as JSON objects, one per line
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let store = Store::open_read_only(&a.db)?;
    let res = store.sql(&a.statement)?;
    if a.json {
        for row in &res.rows {
            let obj: serde_json::Map<String, serde_json::Value> = res.columns.iter().cloned().zip(row.iter().cloned()).collect();
            println!("{}", serde_json::Value::Object(obj));
        }
        return Ok(());
    }
    let cells: Vec<Vec<String>> = res
        .rows
        .iter()
        .map(|r| r.iter().map(|v| match v { serde_json::Value::String(s) => s.clone(), serde_json::Value::Null => "NULL".into(), o => o.to_string() }).collect())
        .collect();
    super::query::print_table(&res.columns, &cells);
    Ok(())
}
