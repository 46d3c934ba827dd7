//! SQLite: the append transaction (`BEGIN IMMEDIATE` on the one appending
//! connection, so appends take the write lock in turn) and its bulk
//! inserts, multi-row `INSERT OR FAIL … VALUES` statements of
//! [`ROWS_PER_INSERT`] rows.
//!
//! Why rusqlite, not sqlx: sqlx's SQLite driver sends each statement and
//! its arguments to a thread of the connection's own, copying every text
//! argument on the way; a province's 611,865 postings took 1.29–1.36 s to
//! insert through it and 0.78–0.89 s stepped here, on the same SQLite (README
//! → Performance, fifteenth session). The transaction's statements run on
//! the calling thread; on a multi-threaded runtime its other tasks are
//! moved off it first ([`super::direct::blocking`]).

use super::direct::{all, each_row, execute, first};
use crate::domain::journal::{AuditAnchor, Checkpoint, ImportEvidence};
use crate::domain::{AccountPrefix, AccountScope};
use crate::store::person_cache::{CachedScope, FiguresRow};
use crate::store::{
    records, rows, sql, AppendTx, AuditEvent, EntryRow, ImportKey, NewImport, PersonFigures,
    PersonRecord, PersonWrites, PostingRow, ScopeTotalRecord, StoreError, StoreResult, TotalRow,
};
use async_trait::async_trait;
use rusqlite::types::ToSql;
use rusqlite::{Connection, OpenFlags, Row, Statement};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Rows per multi-row `INSERT … VALUES` statement: one prepared statement
/// serves every full chunk.
const ROWS_PER_INSERT: usize = 500;
/// The most parameters SQLite binds in one statement
/// (`SQLITE_MAX_VARIABLE_NUMBER` since 3.32).
const SQLITE_PARAMETERS_MAX: usize = 32_766;
/// The widest row inserted here (`journal_entries`, 14 columns); each
/// insert checks its own width against it.
const COLUMNS_MAX: usize = 14;
const _: () = assert!(ROWS_PER_INSERT * COLUMNS_MAX <= SQLITE_PARAMETERS_MAX);
/// Prepared statements kept by the appending connection: each insert's
/// full chunk and the transaction's queries.
const STATEMENTS_CACHED: usize = 48;

/// The connection that appends, opened once; a transaction holds it.
pub(super) struct Appender {
    conn: Arc<Mutex<Connection>>,
    /// How long an append waits for the one before it in this process, as
    /// SQLite's busy timeout bounds the wait for another process's.
    wait: std::time::Duration,
}

/// Settings of the appending connection beside the file's own (WAL, page
/// size: set by the store's pool, which creates and migrates the file).
pub(super) struct AppenderSettings {
    pub busy_timeout: std::time::Duration,
    pub cache_kib: u32,
    pub mmap_bytes: u64,
    pub autocheckpoint_pages: u32,
}

/// Opens the appending connection to the file at `path`.
pub(super) fn open_appender(path: &Path, settings: &AppenderSettings) -> StoreResult<Appender> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(settings.busy_timeout)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "memory")?;
    conn.pragma_update(None, "cache_size", -i64::from(settings.cache_kib))?;
    conn.pragma_update(None, "mmap_size", settings.mmap_bytes)?;
    conn.pragma_update(None, "wal_autocheckpoint", settings.autocheckpoint_pages)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
    Ok(Appender {
        conn: Arc::new(Mutex::new(conn)),
        wait: settings.busy_timeout,
    })
}

pub struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    /// Committed: nothing to roll back when dropped.
    committed: bool,
    checkpoints: super::Checkpointer,
}

impl SqliteTx {
    /// Takes the write lock up front, on the appending connection (waiting
    /// for the append before it, in this process first).
    pub(super) async fn begin(
        appender: &Appender,
        checkpoints: &super::Checkpointer,
    ) -> StoreResult<SqliteTx> {
        let waiting = appender.conn.clone().lock_owned();
        let conn = tokio::time::timeout(appender.wait, waiting)
            .await
            .map_err(|_| busy(appender.wait))?;
        super::direct::blocking(|| conn.execute_batch("BEGIN IMMEDIATE"))?;
        Ok(SqliteTx {
            conn,
            committed: false,
            checkpoints: checkpoints.clone(),
        })
    }

    /// Stores an upload and its audit event: on the appending connection,
    /// which holds SQLite's one write lock in turn with the appends, in a
    /// transaction of its own (a refused commit keeps its upload). Through
    /// the pool, sqlx copied the file to its connection's thread and back
    /// and each upload cost another round of thread hops (README →
    /// Performance, seventeenth session).
    pub(super) fn insert_import(&mut self, import: &NewImport) -> StoreResult<i64> {
        self.run(|conn| {
            let size_bytes = i64::try_from(import.file.size_bytes())
                .map_err(|_| StoreError::Corrupt("an upload's length is out of range".into()))?;
            let values: [&dyn ToSql; 11] = [
                &import.kind,
                &import.program,
                &import.district,
                &import.file_name,
                &import.sha256,
                &size_bytes,
                &import.file.bytes(),
                &import.report_json,
                &import.uploaded_at_us,
                &import.uploaded_by,
                &import.file.encoding().as_str(),
            ];
            let id = first(conn, sql::INSERT_IMPORT, &values, |row| Ok(row.get(0)?))?
                .ok_or_else(|| StoreError::Corrupt("an upload was stored without an id".into()))?;
            insert_audit(conn, &import.upload_audit(id))?;
            Ok(id)
        })
    }

    /// Runs `work` on the connection, on this thread.
    fn run<T>(&mut self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn: &Connection = &self.conn;
        super::direct::blocking(|| work(conn))
    }
}

impl Drop for SqliteTx {
    /// A transaction dropped before its commit (refused, failed, or its
    /// request gone) is rolled back, and the connection is free again.
    fn drop(&mut self) {
        if !self.committed {
            if let Err(error) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(%error, "rolling back an unfinished append");
            }
        }
    }
}

#[async_trait]
impl AppendTx for SqliteTx {
    async fn head(&mut self) -> StoreResult<Option<Checkpoint>> {
        self.run(|conn| first(conn, sql::HEAD, &[], |row| rows::checkpoint_from_row(row)))
    }

    async fn audit_head(&mut self) -> StoreResult<Option<AuditAnchor>> {
        self.run(audit_head)
    }

    async fn corrected_beneficiaries(&mut self, seq: i64) -> StoreResult<Vec<Option<String>>> {
        self.run(|conn| {
            all(conn, sql::CORRECTED_BENEFICIARIES, &[&seq], |row| {
                Ok(row.get(0)?)
            })
        })
    }

    async fn account_balances(&mut self, accounts: &[String]) -> StoreResult<Vec<(String, i64)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = sql::account_balances(&super::in_json_list(1));
        let list = super::json_list(accounts);
        self.run(|conn| all(conn, &sql, &[&list], |row| Ok((row.get(0)?, row.get(1)?))))
    }

    async fn approval_holders(
        &mut self,
        prefix: &AccountPrefix,
        national_ids: &[String],
        after_seq: i64,
    ) -> StoreResult<Vec<String>> {
        let sql = sql::approval_holders(&super::in_json_list(1));
        let list = super::json_list(national_ids);
        let length = sql::prefix_length(prefix);
        self.run(|conn| {
            let values: [&dyn ToSql; 4] = [&list, &length, &prefix.as_str(), &after_seq];
            all(conn, &sql, &values, |row| Ok(row.get(0)?))
        })
    }

    async fn accounts_changed_since(
        &mut self,
        scope: &AccountScope,
        after_seq: i64,
        approvals_only: bool,
    ) -> StoreResult<bool> {
        let pattern = sql::like_pattern(scope);
        self.run(|conn| {
            let values: [&dyn ToSql; 3] = [&after_seq, &pattern, &approvals_only];
            let found = first(conn, sql::ACCOUNTS_CHANGED_SINCE, &values, |_| Ok(()))?;
            Ok(found.is_some())
        })
    }

    async fn committed_import(&mut self, key: &ImportKey<'_>) -> StoreResult<Option<i64>> {
        self.run(|conn| {
            let values: [&dyn ToSql; 5] = [
                &key.kind,
                &key.program,
                &key.district,
                &key.sha256,
                &key.import_id,
            ];
            first(conn, sql::COMMITTED_IMPORT, &values, |row| Ok(row.get(0)?))
        })
    }

    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()> {
        self.run(|conn| {
            insert_values::<_, 14>(
                conn,
                "journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding, audit_anchor_id, audit_anchor_hash)",
                "",
                rows,
                |values, row| {
                    values.add(row.seq)?;
                    values.add(row.effective_date.as_str())?;
                    values.add(row.recorded_at_us)?;
                    values.add(row.actor)?;
                    values.add(row.entry.kind.as_str())?;
                    values.add(row.entry.reference.as_str())?;
                    values.add(row.entry.memo.as_str())?;
                    values.add(row.entry.corrects_seq)?;
                    values.add(row.import_id)?;
                    values.add(row.prev_hash.as_str())?;
                    values.add(row.hash.as_str())?;
                    values.add(row.encoding)?;
                    values.add(row.audit_anchor.map(|a| a.event_id))?;
                    values.add(row.audit_anchor.map(|a| a.hash.as_str()))
                },
            )
        })
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        self.run(|conn| {
            insert_values::<_, 7>(
                conn,
                "postings (entry_seq, idx, account, amount, beneficiary, source_line, reference)",
                "",
                rows,
                |values, row| {
                    values.add(row.seq)?;
                    values.add(row.idx)?;
                    values.add(row.posting.account.as_str())?;
                    values.add(row.posting.amount.dong())?;
                    values.add(row.posting.beneficiary.as_deref())?;
                    values.add(row.posting.source_line.map(|l| l as i64))?;
                    values.add(row.posting.reference.as_deref())
                },
            )
        })
    }

    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()> {
        self.run(|conn| {
            insert_values::<_, 4>(
                conn,
                "account_totals (entry_seq, account, amount, approvals_delta)",
                "",
                rows,
                |values, row| {
                    values.add(row.seq)?;
                    values.add(row.account.as_str())?;
                    values.add(row.total.amount_dong)?;
                    values.add(row.total.approvals_delta)
                },
            )
        })
    }

    async fn insert_program(
        &mut self,
        code: &str,
        definition: &str,
        at_us: i64,
        actor: &str,
    ) -> StoreResult<()> {
        self.run(|conn| {
            let values: [&dyn ToSql; 4] = [&code, &definition, &at_us, &actor];
            match execute(conn, sql::INSERT_PROGRAM, &values) {
                Err(StoreError::Direct(error)) if is_unique_violation(&error) => {
                    Err(StoreError::Conflict(format!(
                        "program '{code}' already exists / chương trình đã tồn tại"
                    )))
                }
                other => other,
            }
        })
    }

    async fn insert_import_commit(
        &mut self,
        evidence: &ImportEvidence,
        at_us: i64,
        actor: &str,
        seqs: Option<(i64, i64)>,
    ) -> StoreResult<()> {
        self.run(|conn| {
            let values: [&dyn ToSql; 11] = [
                &evidence.import_id,
                &evidence.kind,
                &evidence.program,
                &evidence.district,
                &evidence.file_sha256,
                &evidence.report_sha256,
                &evidence.people_sha256,
                &at_us,
                &actor,
                &seqs.map(|s| s.0),
                &seqs.map(|s| s.1),
            ];
            execute(conn, sql::INSERT_IMPORT_COMMIT, &values)
        })
    }

    async fn insert_roll_people(&mut self, import_id: i64, people: &str) -> StoreResult<()> {
        self.run(|conn| execute(conn, sql::INSERT_ROLL_PEOPLE, &[&import_id, &people]))
    }

    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()> {
        self.run(|conn| insert_audit(conn, event))
    }

    async fn read_models_built(&mut self) -> StoreResult<bool> {
        self.run(|conn| {
            let built = first(conn, sql::READ_MODELS_BUILT, &[], |row| Ok(row.get(0)?))?;
            Ok(built.unwrap_or(false))
        })
    }

    async fn person_records(
        &mut self,
        program: &str,
        district: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<PersonRecord>> {
        let sql = format!(
            "SELECT {} FROM person_balances WHERE program = $1 AND district = $2 AND national_id {}",
            sql::PERSON_COLUMNS,
            super::in_json_list(3)
        );
        self.run(|conn| {
            let mut found = Vec::with_capacity(national_ids.len().min(1024));
            for chunk in national_ids.chunks(ID_LIST_CHUNK) {
                let list = super::json_list(chunk);
                let values: [&dyn ToSql; 3] = [&program, &district, &list];
                found.extend(all(conn, &sql, &values, |row| {
                    rows::person_record_from_row(row)
                })?);
            }
            Ok(found)
        })
    }

    async fn scope_figures(&mut self, scope: &mut CachedScope) -> StoreResult<bool> {
        let (program, district) = scope.key();
        let (program, district) = (program.to_string(), district.to_string());
        self.run(|conn| {
            let mut every_row_kept = true;
            each_row(conn, sql::SCOPE_FIGURES, &[&program, &district], |row| {
                // IDs and categories are read where they lie, not copied.
                every_row_kept &= scope.set(&FiguresRow {
                    national_id: text(row, 0)?,
                    category: text(row, 1)?,
                    outstanding_dong: row.get(2)?,
                    paid_dong: row.get(3)?,
                    approvals: row.get(4)?,
                    has_refused: row.get(5)?,
                });
                Ok(())
            })?;
            Ok(every_row_kept)
        })
    }

    async fn put_person_records(&mut self, writes: &PersonWrites) -> StoreResult<()> {
        self.run(|conn| {
            insert_person_records(conn, &writes.added, "")?;
            insert_person_records(conn, &writes.rewritten, sql::PERSON_UPSERT)?;
            update_person_figures(conn, &writes.refigured)
        })
    }

    async fn add_scope_totals(&mut self, rows: &[ScopeTotalRecord]) -> StoreResult<()> {
        self.run(|conn| insert_scope_totals(conn, rows, sql::SCOPE_TOTALS_ADD))
    }

    async fn replace_read_models(
        &mut self,
        people: &[PersonRecord],
        totals: &[ScopeTotalRecord],
    ) -> StoreResult<()> {
        self.run(|conn| {
            conn.execute_batch("DELETE FROM person_balances; DELETE FROM scope_totals")?;
            insert_person_records(conn, people, "")?;
            insert_scope_totals(conn, totals, "")?;
            conn.execute_batch(sql::MARK_READ_MODELS_BUILT)?;
            Ok(())
        })
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.run(|conn| Ok(conn.execute_batch("COMMIT")?))?;
        self.committed = true;
        self.checkpoints.nudge();
        Ok(())
    }
}

/// Column `index` of `row` as a text, where it lies.
fn text<'r>(row: &'r Row<'_>, index: usize) -> StoreResult<&'r str> {
    row.get_ref(index)?
        .as_str()
        .map_err(|e| StoreError::Corrupt(format!("read model figures, column {index}: {e}")))
}

/// National IDs per lookup of read model rows.
const ID_LIST_CHUNK: usize = 5_000;

/// What SQLite reports when its busy timeout runs out, for an append that
/// waited as long for the one before it in this process.
fn busy(waited: std::time::Duration) -> StoreError {
    StoreError::Direct(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some(format!(
            "another append of this ledger held its write lock for {} s",
            waited.as_secs()
        )),
    ))
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// The newest audit event's id and hash (`None` before the chain began).
fn newest_audit(conn: &Connection) -> StoreResult<Option<(i64, Option<String>)>> {
    first(conn, sql::AUDIT_HEAD, &[], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

/// The newest audit event's id and hash, as the entries' anchor.
fn audit_head(conn: &Connection) -> StoreResult<Option<AuditAnchor>> {
    Ok(newest_audit(conn)?.and_then(|(event_id, hash)| {
        Some(AuditAnchor {
            event_id,
            hash: hash?,
        })
    }))
}

/// Appends `event` to the audit chain, as `users::insert_audit` does for
/// the pool's writes.
fn insert_audit(conn: &Connection, event: &AuditEvent) -> StoreResult<()> {
    let newest = newest_audit(conn)?;
    let mut newest_hash = newest.as_ref().and_then(|(_, hash)| hash.clone());
    if newest.is_some() && newest_hash.is_none() {
        // The first chained event of a trail recorded before the chain:
        // seal what came before, then link after the seal.
        let earlier = all(conn, sql::UNCHAINED_AUDIT, &[], |row| {
            rows::audit_from_row(row)
        })?;
        let seal = records::pre_chain_seal(&earlier, event.at_us);
        newest_hash = Some(insert_linked(conn, &seal, None)?);
    }
    insert_linked(conn, event, newest_hash.as_deref())?;
    Ok(())
}

/// Inserts `event` linked after `newest_hash`; returns its hash.
fn insert_linked(
    conn: &Connection,
    event: &AuditEvent,
    newest_hash: Option<&str>,
) -> StoreResult<String> {
    let (prev_hash, hash) = event.link_after(newest_hash).map_err(StoreError::Corrupt)?;
    let values: [&dyn ToSql; 7] = [
        &event.at_us,
        &event.actor,
        &event.action,
        &event.outcome,
        &event.detail,
        &prev_hash,
        &hash,
    ];
    execute(conn, sql::INSERT_AUDIT, &values)?;
    Ok(hash)
}

fn insert_person_records(
    conn: &Connection,
    rows: &[PersonRecord],
    upsert: &str,
) -> StoreResult<()> {
    insert_values::<_, 11>(
        conn,
        "person_balances (program, district, national_id, category, full_name, name_key, outstanding, paid, approvals, status, refused)",
        upsert,
        rows,
        |values, row| {
            values.add(row.program.as_str())?;
            values.add(row.district.as_str())?;
            values.add(row.national_id.as_str())?;
            values.add(row.category.as_str())?;
            values.add(row.full_name.as_str())?;
            values.add(row.name_key.as_str())?;
            values.add(row.outstanding_dong)?;
            values.add(row.paid_dong)?;
            values.add(row.approvals)?;
            values.add(row.status.as_str())?;
            values.add(row.refused.as_deref())
        },
    )
}

/// Stored people's figures, category and status, each row updated by its
/// key with one prepared statement. The scope's program and district stay
/// bound while its rows run: only the person's values are bound again.
/// (Measured against an upsert of 500 rows a statement, which the
/// PostgreSQL side's `UNNEST` resembles: 0.59–0.69 s for a province's
/// 300,000 paid people, against 0.50 s.) A row missing — none should be —
/// fails the commit.
fn update_person_figures(conn: &Connection, rows: &[PersonFigures]) -> StoreResult<()> {
    let mut update = conn.prepare_cached(PERSON_FIGURES_UPDATE)?;
    let same_scope = |a: &PersonFigures, b: &PersonFigures| {
        (&a.program, &a.district) == (&b.program, &b.district)
    };
    for scope in rows.chunk_by(same_scope) {
        update.raw_bind_parameter(1, &scope[0].program)?;
        update.raw_bind_parameter(2, &scope[0].district)?;
        for row in scope {
            update.raw_bind_parameter(3, &row.national_id)?;
            update.raw_bind_parameter(4, &row.category)?;
            update.raw_bind_parameter(5, row.outstanding_dong)?;
            update.raw_bind_parameter(6, row.paid_dong)?;
            update.raw_bind_parameter(7, row.approvals)?;
            update.raw_bind_parameter(8, row.status)?;
            if update.raw_execute()? != 1 {
                return Err(StoreError::Corrupt(format!(
                    "a payment's figures in program {} and district {} were for a person without a read model row",
                    row.program, row.district
                )));
            }
        }
    }
    Ok(())
}

/// One person's figures, category and status, by the row's key.
const PERSON_FIGURES_UPDATE: &str = "UPDATE person_balances SET category = ?4, outstanding = ?5, \
     paid = ?6, approvals = ?7, status = ?8 WHERE program = ?1 AND district = ?2 AND national_id = ?3";

fn insert_scope_totals(
    conn: &Connection,
    rows: &[ScopeTotalRecord],
    upsert: &str,
) -> StoreResult<()> {
    insert_values::<_, 7>(
        conn,
        "scope_totals (program, district, status, beneficiaries, approved, paid, outstanding)",
        upsert,
        rows,
        |values, row| {
            values.add(row.program.as_str())?;
            values.add(row.district.as_str())?;
            values.add(row.status.as_str())?;
            values.add(row.beneficiaries)?;
            values.add(row.approved_dong)?;
            values.add(row.paid_dong)?;
            values.add(row.outstanding_dong)
        },
    )
}

/// One chunk's values, bound in column order.
struct Values<'s, 'c> {
    statement: &'s mut Statement<'c>,
    next: usize,
}

impl Values<'_, '_> {
    fn add(&mut self, value: impl ToSql) -> rusqlite::Result<()> {
        self.next += 1;
        self.statement.raw_bind_parameter(self.next, value)
    }
}

/// Inserts `rows` into `table_columns` (`table (column, …)`) with multi-row
/// `VALUES` statements: far fewer statements than rows. `bind` adds one
/// row's values, in column order. Full chunks share one prepared statement.
///
/// `OR FAIL` rather than the default `OR ABORT`: an aborting multi-row
/// statement must undo its own rows, so SQLite copies every page it touches
/// into a statement journal first (a third of the insert's time with 32 KiB
/// pages). A failed insert fails the whole commit, whose transaction is then
/// rolled back, so the rows a failing statement leaves behind never land.
fn insert_values<T, const COLUMNS: usize>(
    conn: &Connection,
    table_columns: &str,
    on_conflict: &str,
    rows: &[T],
    bind: impl Fn(&mut Values<'_, '_>, &T) -> rusqlite::Result<()>,
) -> StoreResult<()> {
    const { assert!(COLUMNS <= COLUMNS_MAX) };
    let tuple = format!("({})", vec!["?"; COLUMNS].join(","));
    let sql = |count: usize| {
        let values = vec![tuple.as_str(); count].join(",");
        format!("INSERT OR FAIL INTO {table_columns} VALUES {values}{on_conflict}")
    };
    let full_chunk = sql(ROWS_PER_INSERT);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        if chunk.len() == ROWS_PER_INSERT {
            insert_chunk::<_, COLUMNS>(&mut *conn.prepare_cached(&full_chunk)?, chunk, &bind)?;
        } else {
            // The last, shorter chunk's statement serves once: not cached,
            // where it would push out statements each commit uses.
            insert_chunk::<_, COLUMNS>(&mut conn.prepare(&sql(chunk.len()))?, chunk, &bind)?;
        }
    }
    Ok(())
}

fn insert_chunk<T, const COLUMNS: usize>(
    statement: &mut Statement<'_>,
    chunk: &[T],
    bind: &impl Fn(&mut Values<'_, '_>, &T) -> rusqlite::Result<()>,
) -> StoreResult<()> {
    let mut values = Values { statement, next: 0 };
    for row in chunk {
        bind(&mut values, row)?;
    }
    debug_assert_eq!(values.next, chunk.len() * COLUMNS);
    values.statement.raw_execute()?;
    Ok(())
}
