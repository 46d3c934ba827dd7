//! PostgreSQL: the path for when one machine is not enough. Appends are
//! serialized by a transaction-scoped advisory lock; bulk rows go in through
//! `UNNEST` of arrays, one statement per chunk, never row by row.

use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::{BeneficiaryRecord, StoreResult};
use crate::ledger::NewEntry;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;

/// Key of the advisory lock that serializes appends to the journal.
const APPEND_LOCK_KEY: i64 = 0x616e_7369_6e68; // "ansinh"
const ROWS_PER_INSERT: usize = 50_000;

pub struct PgStore {
    pool: PgPool,
}

impl HasDatabase for PgStore {
    type Db = Postgres;
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_append(&self) -> StoreResult<PgTx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(PgTx { tx })
    }
}

fn text_array(values: &[String]) -> Vec<String> {
    values.to_vec()
}

fn any_of(index: usize) -> String {
    format!("= ANY(${index})")
}

/// Many rows as one JSON array text: one message instead of one per row.
fn json_rows(columns: &str, inner: &str) -> String {
    format!("SELECT json_agg(json_build_array({columns}))::text FROM ({inner}) AS rows")
}

impl_store!(
    PgStore,
    "postgres",
    text_array,
    any_of,
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    json_rows,
    {}
);

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl_ledger_tx!(PgTx, text_array, any_of, {
    async fn insert_postings(&mut self, seq: i64, entry: &NewEntry) -> StoreResult<()> {
        let mut start = 0usize;
        for chunk in entry.postings.chunks(ROWS_PER_INSERT) {
            let indexes: Vec<i64> = (start..start + chunk.len()).map(|i| i as i64).collect();
            start += chunk.len();
            let accounts: Vec<&str> = chunk.iter().map(|p| p.account.as_str()).collect();
            let amounts: Vec<i64> = chunk.iter().map(|p| p.amount.dong()).collect();
            let beneficiaries: Vec<Option<&str>> =
                chunk.iter().map(|p| p.beneficiary.as_deref()).collect();
            let lines: Vec<Option<i64>> = chunk
                .iter()
                .map(|p| p.source_line.map(|l| l as i64))
                .collect();
            let references: Vec<Option<&str>> =
                chunk.iter().map(|p| p.reference.as_deref()).collect();
            sqlx::query(
                "INSERT INTO postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) \
                 SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[])",
            )
            .bind(seq)
            .bind(indexes)
            .bind(accounts)
            .bind(amounts)
            .bind(beneficiaries)
            .bind(lines)
            .bind(references)
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
        for chunk in records.chunks(ROWS_PER_INSERT) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.national_id.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|r| r.full_name.as_str()).collect();
            let births: Vec<Option<&str>> =
                chunk.iter().map(|r| r.date_of_birth.as_deref()).collect();
            let sexes: Vec<Option<&str>> = chunk.iter().map(|r| r.sex.as_deref()).collect();
            let communes: Vec<Option<&str>> =
                chunk.iter().map(|r| r.commune_code.as_deref()).collect();
            sqlx::query(
                "INSERT INTO beneficiaries (national_id, full_name, date_of_birth, sex, commune_code, first_import) \
                 SELECT *, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
                 ON CONFLICT (national_id) DO NOTHING",
            )
            .bind(ids)
            .bind(names)
            .bind(births)
            .bind(sexes)
            .bind(communes)
            .bind(import_id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
});
