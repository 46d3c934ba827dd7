//! PostgreSQL: the path for when one machine is not enough. Appends are
//! serialized by a transaction-scoped advisory lock; bulk rows go in through
//! `UNNEST` of arrays or a binary `COPY`, a chunk at a time, never row by row.
//!
//! The folder follows the table families of [`super::Store`]: `users`
//! (users, sessions, audit), `imports` (programs and uploads), `journal`
//! (reads and the scan), `copy_out` (the scan's many rows as a binary
//! `COPY`), `append` (the append transaction and its bulk inserts).
//! Queries come from `store::sql`; what is PostgreSQL's own here
//! is how a list is passed (an array parameter tested with `= ANY`) and how
//! many rows travel as one array or JSON text.

mod append;
pub(super) mod copy_out;
mod imports;
mod journal;
mod replica;
mod users;

use super::person_cache::PersonCache;
use super::{AppendTx, OpenOptions, ReplicaStatus, Store, StoreError, StoreResult};
use crate::domain::LedgerCode;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

/// Connections to the primary, unless [`OpenOptions`] says otherwise.
const CONNECTIONS_MAX: u32 = 16;
/// How long an unused connection stays open, unless [`OpenOptions`] says.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

pub struct PgStore {
    pool: PgPool,
    /// For `pg_dump`, which connects by itself.
    url: String,
    /// The ledger (its schema); `None`: the `public` schema's.
    ledger: Option<LedgerCode>,
    /// A streaming replica that serves the reads it can (`replica`).
    replica: Option<replica::Replica>,
    /// The highest seq this process appended: what the replica must hold
    /// before it serves this process's reads.
    appended_seq: Arc<AtomicI64>,
    person_cache: PersonCache,
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        PgStore::open_with(url, &OpenOptions::default()).await
    }

    /// Opens the primary at `url` and, when given, the hot standby for
    /// reads; with a ledger, that ledger's schema (created if new), which
    /// every connection then searches alone. Applies the migrations there.
    pub async fn open_with(url: &str, open: &OpenOptions) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(ledger) = &open.ledger {
            if open.create_ledger {
                create_schema(&options, &ledger.schema()).await?;
            } else if !schema_exists(&options, &ledger.schema()).await? {
                return Err(StoreError::NoSuchLedger(ledger.clone()));
            }
            options = options.options([("search_path", ledger.schema())]);
        }
        // Migrated through a connection of its own, closed after: the pool
        // then holds connections only while they are used (a process that
        // holds many ledgers open shares the server's connection limit).
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(&options).await?;
        super::migrations::postgres().run(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
        let pool = PgPoolOptions::new()
            .max_connections(open.connections_max.unwrap_or(CONNECTIONS_MAX))
            .idle_timeout(open.idle_timeout.or(Some(IDLE_TIMEOUT)))
            .connect_lazy_with(options);
        let appended_seq = Arc::new(AtomicI64::new(0));
        let replica = open
            .replica_url
            .as_deref()
            .map(|replica_url| {
                replica::Replica::connect(replica_url, open.ledger.as_ref(), appended_seq.clone())
            })
            .transpose()?;
        Ok(PgStore {
            pool,
            url: url.to_string(),
            ledger: open.ledger.clone(),
            replica,
            appended_seq,
            person_cache: PersonCache::default(),
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

    fn writes_beside_appends(&self) -> bool {
        true
    }

    fn ledger(&self) -> Option<&LedgerCode> {
        self.ledger.as_ref()
    }

    /// `pg_dump` in its custom format: one repeatable-read snapshot of
    /// every table, taken while appends go on.
    async fn back_up(&self, file: &std::path::Path) -> StoreResult<()> {
        super::backup::write_new(file, |partial| async move {
            let schema = self
                .ledger
                .as_ref()
                .map(|l| format!("--schema={}", l.schema()));
            let mut arguments = vec!["--format=custom"];
            arguments.extend(schema.as_deref());
            super::backup::run_tool("pg_dump", &self.url, &arguments, Some(&partial)).await
        })
        .await
    }

    async fn begin_append(&self) -> StoreResult<Box<dyn AppendTx>> {
        let tx = append::PgTx::begin(&self.pool, self.appended_seq.clone()).await?;
        Ok(Box::new(tx))
    }

    fn person_cache(&self) -> &PersonCache {
        &self.person_cache
    }

    async fn replica_status(&self) -> Option<ReplicaStatus> {
        match &self.replica {
            Some(replica) => Some(replica.status().await),
            None => None,
        }
    }
}

/// Creates a ledger's schema unless it exists. Two servers opening a new
/// ledger at once may both try: the one that finds it made goes on.
async fn create_schema(options: &PgConnectOptions, schema: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(options).await?;
    // `schema` is `ledger_` and two digits (LedgerCode::schema).
    let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut conn)
        .await;
    match created {
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(()),
        other => other.map(|_| ()).map_err(StoreError::from),
    }
}

async fn schema_exists(options: &PgConnectOptions, schema: &str) -> StoreResult<bool> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(options).await?;
    let found: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(found)
}

/// The ledgers of the database at `url`: its schemas named `ledger_CODE`.
pub async fn ledgers_in(url: &str) -> StoreResult<Vec<LedgerCode>> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'ledger\\_%' ORDER BY nspname",
    )
    .fetch_all(&mut conn)
    .await?;
    Ok(schemas
        .iter()
        .filter_map(|schema| LedgerCode::from_schema(schema))
        .collect())
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
