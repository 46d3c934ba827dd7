//! The embedded default: one SQLite file in WAL mode. Appends take the write
//! lock up front (`BEGIN IMMEDIATE`), so the chain stays one line even when
//! several processes import at once.

use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::{BeneficiaryRecord, StoreResult};
use crate::ledger::NewEntry;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// SQLite allows 32,766 bound parameters per statement; postings have 7 columns.
const POSTING_ROWS_PER_INSERT: usize = 4_000;
const BENEFICIARY_ROWS_PER_INSERT: usize = 5_000;

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
            .busy_timeout(Duration::from_secs(30));
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

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

fn in_json_list(index: usize) -> String {
    format!("IN (SELECT value FROM json_each(${index}))")
}

impl_store!(SqliteStore, "sqlite", json_list, in_json_list, {});

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl_ledger_tx!(SqliteTx, {
    async fn insert_postings(&mut self, seq: i64, entry: &NewEntry) -> StoreResult<()> {
        let rows: Vec<(usize, &crate::ledger::Posting)> =
            entry.postings.iter().enumerate().collect();
        for chunk in rows.chunks(POSTING_ROWS_PER_INSERT) {
            let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) ",
            );
            builder.push_values(chunk, |mut row, (idx, posting)| {
                row.push_bind(seq)
                    .push_bind(*idx as i64)
                    .push_bind(posting.account.as_str())
                    .push_bind(posting.amount.dong())
                    .push_bind(posting.beneficiary.as_deref())
                    .push_bind(posting.source_line.map(|l| l as i64))
                    .push_bind(posting.reference.as_deref());
            });
            builder.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn insert_beneficiaries(
        &mut self,
        records: &[BeneficiaryRecord],
        import_id: Option<i64>,
    ) -> StoreResult<()> {
        for chunk in records.chunks(BENEFICIARY_ROWS_PER_INSERT) {
            let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO beneficiaries (national_id, full_name, date_of_birth, sex, commune_code, first_import) ",
            );
            builder.push_values(chunk, |mut row, record| {
                row.push_bind(record.national_id.as_str())
                    .push_bind(record.full_name.as_str())
                    .push_bind(record.date_of_birth.as_deref())
                    .push_bind(record.sex.as_deref())
                    .push_bind(record.commune_code.as_deref())
                    .push_bind(import_id);
            });
            builder.push(" ON CONFLICT (national_id) DO NOTHING");
            builder.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }
});
