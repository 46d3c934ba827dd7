//! The embedded default: one SQLite file in WAL mode. Appends take the write
//! lock up front (`BEGIN IMMEDIATE`), so the chain stays one line even when
//! several processes import at once.

use super::commit::{EntryRow, PostingRow, TotalRow};
use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::common::{person_postings_sql, PersonPosting, VOUCHERS_SQL};
use super::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Arguments;
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row `INSERT … VALUES` statement. SQLite binds at most
/// 32,766 parameters; 500 rows of up to 12 columns stay well inside, and one
/// prepared statement serves every full chunk.
const ROWS_PER_INSERT: usize = 500;

/// Page size of a new database file.
const PAGE_BYTES: u32 = 32 * 1024;
/// Page cache of the connection that appends: it holds a large roll's dirty
/// pages until its commit.
const APPENDER_CACHE_KIB: u32 = 32 * 1024;
/// Page cache of each other connection.
const READER_CACHE_KIB: u32 = 2 * 1024;
/// The WAL is copied into the database once it holds this much.
const CHECKPOINT_WAL_BYTES: u32 = 64 * 1024 * 1024;

pub struct SqliteStore {
    /// Reads and the small writes (users, sessions, uploads, audit events).
    pool: SqlitePool,
    /// The one connection that appends to the ledger. Its page cache holds a
    /// large roll's dirty pages; a pool of writers would each keep a cache
    /// that large, and appends take the write lock in turn anyway.
    appender: SqlitePool,
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
            // Takes effect when the file is created. Rolls write hundreds of
            // thousands of rows at a time: 32 KiB pages mean a fraction of
            // the page splits, WAL frames and write calls of 4 KiB ones.
            .page_size(PAGE_BYTES)
            .pragma("temp_store", "memory")
            // Reads go through the memory map, not the page cache.
            .pragma("mmap_size", "1073741824")
            // Checkpoint (copy the WAL into the database, fsync) every 64 MiB
            // instead of every 4 MiB: a roll commits tens of MiB at once.
            .pragma(
                "wal_autocheckpoint",
                (CHECKPOINT_WAL_BYTES / PAGE_BYTES).to_string(),
            );
        let pool = SqlitePoolOptions::new()
            .max_connections(3)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", format!("-{}", READER_CACHE_KIB)),
            )
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let appender = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.pragma("cache_size", format!("-{}", APPENDER_CACHE_KIB)))
            .await?;
        Ok(SqliteStore { pool, appender })
    }

    /// For tests and tools that must reach the raw database (tampering tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_append(&self) -> StoreResult<SqliteTx> {
        let tx = self.appender.begin_with("BEGIN IMMEDIATE").await?;
        Ok(SqliteTx { tx })
    }
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

/// Every posting of a person in `entry_seqs` on the accounts under the
/// prefix, as one JSON text: one message from the database thread instead of
/// one per row.
async fn person_postings(
    pool: &SqlitePool,
    entry_seqs: &[i64],
    account_prefix: &str,
) -> StoreResult<Option<String>> {
    let sql = json_rows(
        "beneficiary, account, amount, voucher, entry_seq",
        &person_postings_sql(&in_json_list(3)),
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(account_prefix.len() as i32)
        .bind(account_prefix)
        .bind(serde_json::to_string(entry_seqs).unwrap_or_else(|_| "[]".into()))
        .fetch_one(pool)
        .await?)
}

/// The rows of [`person_postings`]. National IDs and account paths hold
/// nothing JSON escapes, so each text is borrowed from the document.
fn posting_rows(json: &Option<String>) -> StoreResult<Vec<PersonPosting<'_>>> {
    serde_json::from_str(json.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("postings of people: {e}")))
}

/// The voucher references of [`VOUCHERS_SQL`], as one JSON text.
async fn vouchers_of(conn: &mut sqlx::SqliteConnection, pattern: &str) -> StoreResult<Vec<String>> {
    let sql = format!("SELECT json_group_array(reference) FROM ({VOUCHERS_SQL})");
    let json: Option<String> = sqlx::query_scalar(&sql)
        .bind(pattern)
        .fetch_one(conn)
        .await?;
    serde_json::from_str(json.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("voucher references: {e}")))
}

/// The postings of `seqs`, entry by entry, to the verifier. An entry's
/// postings travel as one JSON array: one message per entry instead of one
/// per posting.
async fn scan_postings(
    conn: &mut sqlx::SqliteConnection,
    seqs: &[i64],
    sink: &mut dyn super::JournalSink,
) -> StoreResult<()> {
    let sql = json_rows(
        "idx, account, amount, beneficiary, source_line, reference",
        "SELECT idx, account, amount, beneficiary, source_line, reference FROM postings WHERE entry_seq = $1",
    );
    for &seq in seqs {
        let json: Option<String> = sqlx::query_scalar(&sql)
            .bind(seq)
            .fetch_one(&mut *conn)
            .await?;
        for posting in super::common::postings_from_json(seq, json.as_deref())? {
            sink.posting(posting);
        }
    }
    Ok(())
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

type Args<'q> = sqlx::sqlite::SqliteArguments<'q>;
type BindResult = Result<(), sqlx::error::BoxDynError>;

/// Inserts `rows` into `table_columns` (`table (column, …)`) with multi-row
/// `VALUES` statements: far fewer statements than rows, and no text format to
/// encode and decode in between. `bind` adds one row's values, in column
/// order. Each chunk's values are bound while SQLite inserts the chunk before
/// it.
///
/// `OR FAIL` rather than the default `OR ABORT`: an aborting multi-row
/// statement must undo its own rows, so SQLite copies every page it touches
/// into a statement journal first (a third of the insert's time with 32 KiB
/// pages). A failed insert fails the whole commit, whose transaction is then
/// rolled back, so the rows a failing statement leaves behind never land.
async fn insert_values<'q, T>(
    tx: &mut Transaction<'static, Sqlite>,
    table_columns: &str,
    columns: usize,
    rows: &'q [T],
    bind: impl Fn(&mut Args<'q>, &'q T) -> BindResult,
) -> StoreResult<()> {
    let tuple = format!("({})", vec!["?"; columns].join(","));
    let statement = |chunk: &'q [T]| -> StoreResult<(String, Args<'q>)> {
        let values = vec![tuple.as_str(); chunk.len()].join(",");
        let mut args = Args::default();
        args.reserve(chunk.len() * columns, 0);
        for row in chunk {
            bind(&mut args, row).map_err(sqlx::Error::Encode)?;
        }
        Ok((
            format!("INSERT OR FAIL INTO {table_columns} VALUES {values}"),
            args,
        ))
    };
    let mut chunks = rows.chunks(ROWS_PER_INSERT);
    let mut next = chunks.next().map(&statement).transpose()?;
    while let Some((sql, args)) = next.take() {
        let insert = sqlx::query_with(&sql, args).execute(&mut **tx);
        // The insert is sent to the database thread when first polled; the
        // next chunk is bound meanwhile.
        let following = async { chunks.next().map(&statement).transpose() };
        let (inserted, following) = futures_util::future::join(insert, following).await;
        inserted?;
        next = following?;
    }
    Ok(())
}

impl_ledger_tx!(SqliteTx, json_list, in_json_list, {
    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()> {
        insert_values(
            &mut self.tx,
            "journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding)",
            12,
            rows,
            |args, row| {
                Arguments::add(args, row.seq)?;
                Arguments::add(args, row.effective_date.as_str())?;
                Arguments::add(args, row.recorded_at_us)?;
                Arguments::add(args, row.actor)?;
                Arguments::add(args, row.entry.kind.as_str())?;
                Arguments::add(args, row.entry.reference.as_str())?;
                Arguments::add(args, row.entry.memo.as_str())?;
                Arguments::add(args, row.entry.corrects_seq)?;
                Arguments::add(args, row.import_id)?;
                Arguments::add(args, row.prev_hash.as_str())?;
                Arguments::add(args, row.hash.as_str())?;
                Arguments::add(args, row.encoding)?;
                Ok(())
            },
        )
        .await
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        insert_values(
            &mut self.tx,
            "postings (entry_seq, idx, account, amount, beneficiary, source_line, reference)",
            7,
            rows,
            |args, row| {
                Arguments::add(args, row.seq)?;
                Arguments::add(args, row.idx)?;
                Arguments::add(args, row.posting.account.as_str())?;
                Arguments::add(args, row.posting.amount.dong())?;
                Arguments::add(args, row.posting.beneficiary.as_deref())?;
                Arguments::add(args, row.posting.source_line.map(|l| l as i64))?;
                Arguments::add(args, row.posting.reference.as_deref())?;
                Ok(())
            },
        )
        .await
    }

    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()> {
        insert_values(
            &mut self.tx,
            "account_totals (entry_seq, account, amount, approvals_delta)",
            4,
            rows,
            |args, row| {
                Arguments::add(args, row.seq)?;
                Arguments::add(args, row.account.as_str())?;
                Arguments::add(args, row.total.amount_dong)?;
                Arguments::add(args, row.total.approvals_delta)?;
                Ok(())
            },
        )
        .await
    }
});
