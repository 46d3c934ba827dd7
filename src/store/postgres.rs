//! PostgreSQL: the path for when one machine is not enough. Appends are
//! serialized by a transaction-scoped advisory lock; bulk rows go in through
//! `UNNEST` of arrays, one statement per chunk, never row by row.

use super::commit::{EntryRow, PostingRow, TotalRow};
use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::{BeneficiaryRecord, StoreResult};
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
    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[])",
            )
            .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.effective_date.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.recorded_at_us).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.actor).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.kind.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.reference.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.memo.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.corrects_seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.import_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.prev_hash.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.hash.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.encoding).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) \
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[])",
            )
            .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.idx).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.posting.account.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.posting.amount.dong()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.posting.beneficiary.as_deref()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.posting.source_line.map(|l| l as i64)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.posting.reference.as_deref()).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO account_totals (entry_seq, account, amount, approvals_delta) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])",
            )
            .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.account.as_str()).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|r| r.total.amount_dong)
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|r| r.total.approvals_delta)
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_beneficiaries(
        &mut self,
        records: &[&BeneficiaryRecord],
        import_id: i64,
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
                "INSERT INTO roll_beneficiaries (national_id, full_name, date_of_birth, sex, commune_code, import_id) \
                 SELECT *, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
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
