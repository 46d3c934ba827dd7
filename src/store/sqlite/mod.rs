//! The embedded default: one SQLite file in WAL mode. Reads and small
//! writes share a pool; appends go through one connection of their own and
//! take the write lock up front (`BEGIN IMMEDIATE`), so the chain stays one
//! line even when several processes import at once. A third connection
//! copies each append from the WAL into the database file after its commit.
//!
//! The folder follows the table families of [`super::Store`]: `users`
//! (users, sessions, audit), `imports` (programs and uploads), `journal`
//! (reads), `scan` (verification's and the rebuild's reading of the whole
//! ledger, in place through a connection of its own), `append` (the append
//! transaction and its bulk inserts, and the storing of uploads, on the
//! appending connection). `scan` and `append` use rusqlite (through
//! `direct`'s helpers), the rest sqlx. Queries come from `store::sql`;
//! what is SQLite's own here is how a list is passed (a JSON text read with
//! `json_each`) and how many rows travel as one JSON text.

mod append;
mod direct;
mod imports;
mod journal;
mod scan;
mod users;

use super::person_cache::PersonCache;
use super::{AppendTx, Store, StoreError, StoreResult};
use crate::domain::LedgerCode;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// How long a connection waits for another's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Page size of a new database file.
const PAGE_BYTES: u32 = 32 * 1024;
/// Page cache of the connection that appends: it holds a large roll's dirty
/// pages until its commit.
const APPENDER_CACHE_KIB: u32 = 32 * 1024;
/// Page cache of each reading connection. Readers read through it, not
/// through the memory map: the file's pages a map has touched stay in the
/// process's resident memory (in `bench mixed`, three readers held about
/// 60 MiB of the file each).
const READER_CACHE_KIB: u32 = 8 * 1024;
/// The appending connection reads through a memory map of up to this much
/// of the file (readers do not: [`READER_CACHE_KIB`]).
const MMAP_BYTES: u64 = 1 << 30;
/// The WAL is copied into the database once it holds this much, by a
/// reading or small-writing connection that commits then.
const CHECKPOINT_WAL_BYTES: u32 = 64 * 1024 * 1024;
/// The appending connection copies the WAL itself only if [`Checkpointer`]
/// has fallen this far behind (its task gone, say).
const APPENDER_CHECKPOINT_WAL_BYTES: u32 = 4 * CHECKPOINT_WAL_BYTES;

pub struct SqliteStore {
    /// Reads and the small writes (users, sessions, audit events).
    pool: SqlitePool,
    /// The one connection that appends to the ledger (rusqlite: `append`).
    /// Its page cache holds a large roll's dirty pages; a pool of writers
    /// would each keep a cache that large, and appends take the write lock
    /// in turn anyway.
    appender: append::Appender,
    /// The province whose ledger the file holds, if opened as one.
    ledger: Option<LedgerCode>,
    person_cache: PersonCache,
    /// Nudged after each append.
    checkpoints: Checkpointer,
}

/// Copies the WAL into the database file on a connection of its own after
/// each append, so that the appending connection need not: SQLite's
/// automatic checkpoint runs inside the commit that crosses its threshold,
/// and a province's import waited 60–110 ms for each, five or six times.
#[derive(Clone)]
struct Checkpointer {
    /// One nudge waits at most: a checkpoint copies every frame not yet
    /// copied, so nudges that arrive meanwhile are one.
    nudges: tokio::sync::mpsc::Sender<()>,
}

impl Checkpointer {
    /// Its connection, and the task that checkpoints when nudged.
    async fn open(options: SqliteConnectOptions) -> StoreResult<Checkpointer> {
        // Copies pages with reads and writes of the files: no memory map.
        let connection = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.pragma("mmap_size", "0"))
            .await?;
        let (nudges, mut received) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            while received.recv().await.is_some() {
                // PASSIVE: copies what no reader still needs, waits for no
                // one; what it leaves, the next one copies.
                let done = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&connection)
                    .await;
                if let Err(error) = done {
                    tracing::warn!(%error, "WAL checkpoint failed; the next append tries again");
                }
            }
        });
        Ok(Checkpointer { nudges })
    }

    fn nudge(&self) {
        // Full: a checkpoint is already due. Closed: the store is gone.
        let _ = self.nudges.try_send(());
    }
}

impl SqliteStore {
    pub async fn open(path: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Takes effect when the file is created. Rolls write hundreds of
            // thousands of rows at a time: 32 KiB pages mean a fraction of
            // the page splits, WAL frames and write calls of 4 KiB ones.
            .page_size(PAGE_BYTES)
            .pragma("temp_store", "memory")
            // Readers and the checkpointer read through their page caches;
            // only the appending connection maps the file (`append`).
            .pragma("mmap_size", "0")
            // Checkpoint (copy the WAL into the database, fsync) every 64 MiB
            // instead of every 4 MiB: a roll commits tens of MiB at once.
            .pragma(
                "wal_autocheckpoint",
                (CHECKPOINT_WAL_BYTES / PAGE_BYTES).to_string(),
            );
        let reader_options = options
            .clone()
            .pragma("cache_size", format!("-{}", READER_CACHE_KIB));
        let pool = SqlitePoolOptions::new()
            .max_connections(3)
            .connect_with(reader_options.clone())
            .await?;
        super::migrations::sqlite().run(&pool).await?;
        let checkpoints = Checkpointer::open(reader_options).await?;
        let appender = append::open_appender(
            options.get_filename(),
            &append::AppenderSettings {
                busy_timeout: BUSY_TIMEOUT,
                cache_kib: APPENDER_CACHE_KIB,
                mmap_bytes: MMAP_BYTES,
                autocheckpoint_pages: APPENDER_CHECKPOINT_WAL_BYTES / PAGE_BYTES,
            },
        )?;
        Ok(SqliteStore {
            pool,
            appender,
            ledger: None,
            person_cache: PersonCache::default(),
            checkpoints,
        })
    }

    /// The store, as the ledger of `ledger`'s province.
    pub fn in_ledger(self, ledger: Option<LedgerCode>) -> SqliteStore {
        SqliteStore {
            ledger,
            person_cache: PersonCache::default(),
            ..self
        }
    }

    /// For tests and tools that must reach the raw database (tampering tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    fn writes_beside_appends(&self) -> bool {
        false
    }

    fn ledger(&self) -> Option<&LedgerCode> {
        self.ledger.as_ref()
    }

    async fn begin_append(&self) -> StoreResult<Box<dyn AppendTx>> {
        Ok(Box::new(
            append::SqliteTx::begin(&self.appender, &self.checkpoints).await?,
        ))
    }

    fn person_cache(&self) -> &PersonCache {
        &self.person_cache
    }

    /// `VACUUM INTO`: one read transaction copies every committed page,
    /// the WAL's included, into a new compact file; writers go on meanwhile.
    async fn back_up(&self, file: &std::path::Path) -> StoreResult<()> {
        super::backup::write_new(file, |partial| async move {
            let path = partial.to_str().ok_or_else(|| {
                StoreError::Backup(format!("{}: not a UTF-8 path", partial.display()))
            })?;
            // A relative name starting `file:` would be read as a URI.
            let path = if partial.is_absolute() {
                path.to_string()
            } else {
                format!("./{path}")
            };
            sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }
}

/// A list parameter: a JSON array text, read in SQL by [`in_json_list`].
/// A list of texts always serializes, so the fallback is never taken.
fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// A list of seqs as a JSON array text (integers always serialize).
fn json_seqs(values: &[i64]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// Membership in the list parameter `$index`, a JSON array text.
fn in_json_list(index: usize) -> String {
    format!("IN (SELECT value FROM json_each(${index}))")
}

/// Many rows as one JSON array text: one message from the database thread
/// instead of one per row.
fn json_rows(columns: &str, inner: &str) -> String {
    format!("SELECT json_group_array(json_array({columns})) FROM ({inner})")
}

/// The file of `ledger` beside the database file at `path`: `-CODE` before
/// its extension (`ansinh.db` → `ansinh-84.db`).
pub fn ledger_file(path: &str, ledger: &LedgerCode) -> String {
    let file = std::path::Path::new(path);
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("ansinh");
    let name = match file.extension().and_then(|e| e.to_str()) {
        Some(extension) => format!("{stem}-{ledger}.{extension}"),
        None => format!("{stem}-{ledger}"),
    };
    file.with_file_name(name).to_string_lossy().into_owned()
}

/// The ledgers whose files lie beside the database file at `path`.
pub fn ledgers_beside(path: &str) -> StoreResult<Vec<LedgerCode>> {
    let file = std::path::Path::new(path);
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("ansinh");
    let prefix = format!("{stem}-");
    let suffix = file
        .extension()
        .and_then(|e| e.to_str())
        .map_or(String::new(), |extension| format!(".{extension}"));
    let entries = std::fs::read_dir(folder).map_err(|e| {
        StoreError::Listing(format!(
            "cannot list the ledgers in {}: {e}",
            folder.display()
        ))
    })?;
    let mut found: Vec<LedgerCode> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let code = name.strip_prefix(&prefix)?.strip_suffix(&suffix)?;
            LedgerCode::parse(code).ok()
        })
        .collect();
    found.sort();
    Ok(found)
}
