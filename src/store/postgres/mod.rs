//! PostgreSQL: the path for when one machine is not enough. Appends are
//! serialized by a transaction-scoped advisory lock; bulk rows go in through
//! `UNNEST` of arrays or a binary `COPY`, a chunk at a time, never row by row.
//!
//! The folder follows the table families of [`super::Store`]: `users`
//! (users, sessions, audit), `imports` (programs and uploads), `journal`
//! (reads and the scan), `append` (the append transaction and its bulk
//! inserts). Queries come from `store::sql`; what is PostgreSQL's own here
//! is how a list is passed (an array parameter tested with `= ANY`) and how
//! many rows travel as one array or JSON text.

mod append;
mod imports;
mod journal;
mod replica;
mod users;

use super::{AppendTx, ReplicaStatus, Store, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

pub struct PgStore {
    pool: PgPool,
    /// For `pg_dump`, which connects by itself.
    url: String,
    /// A streaming replica that serves the reads it can (`replica`).
    replica: Option<replica::Replica>,
    /// The highest seq this process appended: what the replica must hold
    /// before it serves this process's reads.
    appended_seq: Arc<AtomicI64>,
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        PgStore::open_with_replica(url, None).await
    }

    /// Opens the primary at `url` (and applies its migrations) and, when
    /// given, the hot standby at `replica_url` for reads.
    pub async fn open_with_replica(url: &str, replica_url: Option<&str>) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        super::migrations::postgres().run(&pool).await?;
        let appended_seq = Arc::new(AtomicI64::new(0));
        let replica = replica_url
            .map(|replica_url| replica::Replica::connect(replica_url, appended_seq.clone()))
            .transpose()?;
        Ok(PgStore {
            pool,
            url: url.to_string(),
            replica,
            appended_seq,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs a read that needs entry `needed_seq` on the replica when it can
    /// serve it (see `replica`), else on the primary.
    async fn read<'a, T, Fut>(
        &'a self,
        needed_seq: i64,
        query: impl Fn(&'a PgPool) -> Fut,
    ) -> StoreResult<T>
    where
        Fut: Future<Output = StoreResult<T>>,
    {
        match &self.replica {
            Some(replica) => replica.read(&self.pool, needed_seq, query).await,
            None => query(&self.pool).await,
        }
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    /// `pg_dump` in its custom format: one repeatable-read snapshot of
    /// every table, taken while appends go on.
    async fn back_up(&self, file: &std::path::Path) -> StoreResult<()> {
        super::backup::write_new(file, |partial| async move {
            super::backup::run_tool("pg_dump", &self.url, &["--format=custom"], Some(&partial))
                .await
        })
        .await
    }

    async fn begin_append(&self) -> StoreResult<Box<dyn AppendTx>> {
        let tx = append::PgTx::begin(&self.pool, self.appended_seq.clone()).await?;
        Ok(Box::new(tx))
    }

    async fn replica_status(&self) -> Option<ReplicaStatus> {
        match &self.replica {
            Some(replica) => Some(replica.status().await),
            None => None,
        }
    }
}

/// Membership in the array parameter `$index`.
fn any_of(index: usize) -> String {
    format!("= ANY(${index})")
}

/// Membership in the entry list parameter `$index`, hidden from the
/// planner. Seeing the list, it expects several times the postings the
/// entries hold (roll entries hold thousands, payment entries a few) and
/// scans the whole table in parallel; not seeing it, it reads the entries'
/// postings through the primary key (a district's: 31 instead of 53 ms).
fn entries_in(index: usize) -> String {
    format!("= ANY(ARRAY(SELECT unnest(${index}::bigint[])))")
}

/// Many rows as one JSON array text: one message instead of one per row.
fn json_rows(columns: &str, inner: &str) -> String {
    format!("SELECT json_agg(json_build_array({columns}))::text FROM ({inner}) AS rows")
}
