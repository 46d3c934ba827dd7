//! Reads from a PostgreSQL streaming replica (`--read-database-url`).
//!
//! A hot standby replays the primary's WAL a moment behind it, and only ever
//! moves forward. A read goes to the replica when the replica holds at least
//! what the read needs:
//! - every entry this process appended (an officer who commits a roll and
//!   opens its reconciliation sees the roll: read-your-writes per server);
//! - the entry a pinned read asks for (`--at-seq`, a report at a head read
//!   from the primary, an entry by its seq).
//!
//! Otherwise — or when the replica cannot be reached or cancels the query —
//! the read runs on the primary, so the replica can only make reads cheaper,
//! never wrong. Reads that decide what a commit may do (validation, the
//! append transaction, sessions, verification) always use the primary.

use crate::domain::LedgerCode;
use crate::store::{ReplicaStatus, StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connections to the replica: reads only, so fewer than the primary's.
const REPLICA_CONNECTIONS_MAX: u32 = 8;
/// A replica that does not answer within this is skipped for that read.
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The replica's pool and the highest seq this process has appended.
pub struct Replica {
    pool: PgPool,
    appended_seq: Arc<AtomicI64>,
}

impl Replica {
    /// Connects lazily: a replica that is down when the server starts is
    /// skipped until it answers.
    pub fn connect(
        url: &str,
        ledger: Option<&LedgerCode>,
        appended_seq: Arc<AtomicI64>,
    ) -> StoreResult<Replica> {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(ledger) = ledger {
            options = options.options([("search_path", ledger.schema())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(REPLICA_CONNECTIONS_MAX)
            .acquire_timeout(REPLICA_CONNECT_TIMEOUT)
            .connect_lazy_with(options);
        Ok(Replica { pool, appended_seq })
    }

    pub async fn status(&self) -> ReplicaStatus {
        match self.head_seq().await {
            Ok(seq) => ReplicaStatus {
                head_seq: Some(seq),
                error: None,
            },
            Err(error) => ReplicaStatus {
                head_seq: None,
                error: Some(error.to_string()),
            },
        }
    }

    async fn head_seq(&self) -> StoreResult<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM journal_entries")
            .fetch_one(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Runs `query` on the replica when it holds entry `needed_seq` and
    /// everything this process appended, else (or when it fails there) on
    /// `primary`.
    pub async fn read<'a, T, Fut>(
        &'a self,
        primary: &'a PgPool,
        needed_seq: i64,
        query: impl Fn(&'a PgPool) -> Fut,
    ) -> StoreResult<T>
    where
        Fut: Future<Output = StoreResult<T>>,
    {
        let needed_seq = needed_seq.max(self.appended_seq.load(Ordering::Acquire));
        match self.head_seq().await {
            Ok(head_seq) if head_seq >= needed_seq => match query(&self.pool).await {
                Err(StoreError::Database(error)) => {
                    tracing::warn!(%error, "the read replica failed a read; reading the primary");
                }
                answer => return answer,
            },
            Ok(head_seq) => {
                tracing::debug!(
                    head_seq,
                    needed_seq,
                    "the read replica is behind; reading the primary"
                );
            }
            Err(error) => {
                tracing::warn!(%error, "the read replica does not answer; reading the primary");
            }
        }
        query(primary).await
    }
}

/// Records that this process appended up to `seq` (after its commit).
pub fn note_appended(appended_seq: &AtomicI64, seq: i64) {
    appended_seq.fetch_max(seq, Ordering::AcqRel);
}
