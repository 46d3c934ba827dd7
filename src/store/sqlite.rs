//! The embedded default: one SQLite file in WAL mode. Appends take the write
//! lock up front (`BEGIN IMMEDIATE`), so the chain stays one line even when
//! several processes import at once.

use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::{BeneficiaryRecord, StoreResult};
use crate::ledger::NewEntry;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Postings per insert statement (bounds the JSON text built for one statement).
const POSTING_ROWS_PER_INSERT: usize = 50_000;
const BENEFICIARY_ROWS_PER_INSERT: usize = 50_000;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl HasDatabase for SqliteStore {
    type Db = Sqlite;
}

impl SqliteStore {
    pub async fn open(path: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // A 64 MiB page cache per connection keeps index pages of a large
            // import in memory instead of spilling and re-reading them.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Checkpoint (copy the WAL into the database, fsync) every 64 MiB
            // instead of every 4 MiB: a roll commits tens of MiB at once.
            .pragma("wal_autocheckpoint", "16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// For tests and tools that must reach the raw database (tampering tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_append(&self) -> StoreResult<SqliteTx> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(SqliteTx { tx })
    }
}

/// `[[account, amount, beneficiary, line, reference], …]` for `insert_postings`.
fn postings_json(postings: &[crate::ledger::Posting]) -> String {
    let rows: Vec<serde_json::Value> = postings
        .iter()
        .map(|p| {
            serde_json::json!([
                p.account.as_str(),
                p.amount.dong(),
                p.beneficiary.as_deref(),
                p.source_line,
                p.reference.as_deref()
            ])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

fn in_json_list(index: usize) -> String {
    format!("IN (SELECT value FROM json_each(${index}))")
}

/// Many rows as one JSON array text: one message from the database thread
/// instead of one per row.
fn json_rows(columns: &str, inner: &str) -> String {
    format!("SELECT json_group_array(json_array({columns})) FROM ({inner})")
}

impl_store!(
    SqliteStore,
    "sqlite",
    json_list,
    in_json_list,
    "BEGIN",
    json_rows,
    {}
);

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl_ledger_tx!(SqliteTx, json_list, in_json_list, {
    async fn insert_postings(&mut self, seq: i64, entry: &NewEntry) -> StoreResult<()> {
        // One statement per chunk whose rows travel as a single JSON array:
        // SQLite unpacks it in C, like PostgreSQL's UNNEST, and the statement
        // text never changes, so one prepared statement serves every chunk.
        for (chunk_index, chunk) in entry.postings.chunks(POSTING_ROWS_PER_INSERT).enumerate() {
            let first_idx = (chunk_index * POSTING_ROWS_PER_INSERT) as i64;
            sqlx::query(
                "INSERT INTO postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) \
                 SELECT $1, $2 + key, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each($3)",
            )
            .bind(seq)
            .bind(first_idx)
            .bind(postings_json(chunk))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_beneficiaries(
        &mut self,
        records: &[BeneficiaryRecord],
        import_id: Option<i64>,
    ) -> StoreResult<()> {
        for chunk in records.chunks(BENEFICIARY_ROWS_PER_INSERT) {
            let rows: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| {
                    serde_json::json!([
                        r.national_id,
                        r.full_name,
                        r.date_of_birth,
                        r.sex,
                        r.commune_code
                    ])
                })
                .collect();
            sqlx::query(
                "INSERT INTO beneficiaries (national_id, full_name, date_of_birth, sex, commune_code, first_import) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, $1 FROM json_each($2) WHERE true \
                 ON CONFLICT (national_id) DO NOTHING",
            )
            .bind(import_id)
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
});
