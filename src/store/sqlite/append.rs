//! SQLite: the append transaction (`BEGIN IMMEDIATE` on the one appender
//! connection, so appends take the write lock in turn) and its bulk inserts,
//! multi-row `INSERT OR FAIL … VALUES` statements of [`ROWS_PER_INSERT`] rows.

use super::users::insert_audit;
use super::{in_json_list, json_list, json_rows};
use crate::domain::journal::{AuditAnchor, Checkpoint, ImportEvidence};
use crate::domain::{AccountPrefix, AccountScope};
use crate::store::person_cache::CachedScope;
use crate::store::{
    rows, sql, AppendTx, AuditEvent, EntryRow, ImportKey, PersonFigures, PersonRecord,
    PersonWrites, PostingRow, ScopeTotalRecord, StoreError, StoreResult, TotalRow,
};
use async_trait::async_trait;
use sqlx::Arguments;
use sqlx::{Sqlite, SqlitePool, Transaction};

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

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    checkpoints: super::Checkpointer,
}

impl SqliteTx {
    /// Takes the write lock up front, on the appender connection.
    pub(super) async fn begin(
        appender: &SqlitePool,
        checkpoints: &super::Checkpointer,
    ) -> StoreResult<SqliteTx> {
        let tx = appender.begin_with("BEGIN IMMEDIATE").await?;
        Ok(SqliteTx {
            tx,
            checkpoints: checkpoints.clone(),
        })
    }
}

#[async_trait]
impl AppendTx for SqliteTx {
    async fn head(&mut self) -> StoreResult<Option<Checkpoint>> {
        let row = sqlx::query(sql::HEAD).fetch_optional(&mut *self.tx).await?;
        row.map(|row| rows::checkpoint_from_row(&row)).transpose()
    }

    async fn audit_head(&mut self) -> StoreResult<Option<AuditAnchor>> {
        let newest: Option<(i64, Option<String>)> = sqlx::query_as(sql::AUDIT_HEAD)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(newest.and_then(|(event_id, hash)| {
            Some(AuditAnchor {
                event_id,
                hash: hash?,
            })
        }))
    }

    async fn corrected_beneficiaries(&mut self, seq: i64) -> StoreResult<Vec<Option<String>>> {
        Ok(sqlx::query_scalar(sql::CORRECTED_BENEFICIARIES)
            .bind(seq)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    async fn account_balances(&mut self, accounts: &[String]) -> StoreResult<Vec<(String, i64)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(&sql::account_balances(&in_json_list(1)))
            .bind(json_list(accounts))
            .fetch_all(&mut *self.tx)
            .await?)
    }

    async fn approval_holders(
        &mut self,
        prefix: &AccountPrefix,
        national_ids: &[String],
        after_seq: i64,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(&sql::approval_holders(&in_json_list(1)))
            .bind(json_list(national_ids))
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .bind(after_seq)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    async fn accounts_changed_since(
        &mut self,
        scope: &AccountScope,
        after_seq: i64,
        approvals_only: bool,
    ) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(sql::ACCOUNTS_CHANGED_SINCE)
            .bind(after_seq)
            .bind(sql::like_pattern(scope))
            .bind(approvals_only)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(found.is_some())
    }

    async fn committed_import(&mut self, key: &ImportKey<'_>) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(sql::COMMITTED_IMPORT)
            .bind(key.kind)
            .bind(key.program)
            .bind(key.district)
            .bind(key.sha256)
            .bind(key.import_id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()> {
        insert_values::<_, 14>(
            &mut self.tx,
            "journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding, audit_anchor_id, audit_anchor_hash)",
            "",
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
                Arguments::add(args, row.audit_anchor.map(|a| a.event_id))?;
                Arguments::add(args, row.audit_anchor.map(|a| a.hash.as_str()))?;
                Ok(())
            },
        )
        .await
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        insert_values::<_, 7>(
            &mut self.tx,
            "postings (entry_seq, idx, account, amount, beneficiary, source_line, reference)",
            "",
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
        insert_values::<_, 4>(
            &mut self.tx,
            "account_totals (entry_seq, account, amount, approvals_delta)",
            "",
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

    async fn insert_program(
        &mut self,
        code: &str,
        definition: &str,
        at_us: i64,
        actor: &str,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_PROGRAM)
            .bind(code)
            .bind(definition)
            .bind(at_us)
            .bind(actor)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| rows::program_conflict(e, code))?;
        Ok(())
    }

    async fn insert_import_commit(
        &mut self,
        evidence: &ImportEvidence,
        at_us: i64,
        actor: &str,
        seqs: Option<(i64, i64)>,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_IMPORT_COMMIT)
            .bind(evidence.import_id)
            .bind(&evidence.kind)
            .bind(&evidence.program)
            .bind(&evidence.district)
            .bind(&evidence.file_sha256)
            .bind(&evidence.report_sha256)
            .bind(&evidence.people_sha256)
            .bind(at_us)
            .bind(actor)
            .bind(seqs.map(|s| s.0))
            .bind(seqs.map(|s| s.1))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_roll_people(&mut self, import_id: i64, people: &str) -> StoreResult<()> {
        sqlx::query(sql::INSERT_ROLL_PEOPLE)
            .bind(import_id)
            .bind(people)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()> {
        insert_audit(&mut self.tx, event).await
    }

    async fn read_models_built(&mut self) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(sql::READ_MODELS_BUILT)
            .fetch_one(&mut *self.tx)
            .await?)
    }

    async fn person_records(
        &mut self,
        program: &str,
        district: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<PersonRecord>> {
        let sql = json_rows(
            sql::PERSON_COLUMNS,
            &format!(
                "SELECT {} FROM person_balances WHERE program = $1 AND district = $2 AND national_id {}",
                sql::PERSON_COLUMNS,
                in_json_list(3)
            ),
        );
        let mut found = Vec::with_capacity(national_ids.len().min(1024));
        for chunk in national_ids.chunks(ID_LIST_CHUNK) {
            let json: Option<String> = sqlx::query_scalar(&sql)
                .bind(program)
                .bind(district)
                .bind(json_list(chunk))
                .fetch_one(&mut *self.tx)
                .await?;
            found.extend(rows::person_records_from_json(json.as_deref())?);
        }
        Ok(found)
    }

    async fn scope_figures(&mut self, scope: &mut CachedScope) -> StoreResult<bool> {
        let (program, district) = scope.key();
        let (program, district) = (program.to_string(), district.to_string());
        // One JSON text for the scope: rows fetched one by one cross from
        // SQLite's thread each on its own (1 s for a province's people).
        let json: Option<String> =
            sqlx::query_scalar(&json_rows(sql::SCOPE_FIGURES_COLUMNS, sql::SCOPE_FIGURES))
                .bind(program)
                .bind(district)
                .fetch_one(&mut *self.tx)
                .await?;
        rows::scope_figures_from_json(json.as_deref(), scope)
    }

    async fn put_person_records(&mut self, writes: &PersonWrites) -> StoreResult<()> {
        insert_person_records(&mut self.tx, &writes.added, "").await?;
        insert_person_records(&mut self.tx, &writes.rewritten, sql::PERSON_UPSERT).await?;
        update_person_figures(&mut self.tx, &writes.refigured).await
    }

    async fn add_scope_totals(&mut self, rows: &[ScopeTotalRecord]) -> StoreResult<()> {
        insert_scope_totals(&mut self.tx, rows, sql::SCOPE_TOTALS_ADD).await
    }

    async fn replace_read_models(
        &mut self,
        people: &[PersonRecord],
        totals: &[ScopeTotalRecord],
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM person_balances")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM scope_totals")
            .execute(&mut *self.tx)
            .await?;
        insert_person_records(&mut self.tx, people, "").await?;
        insert_scope_totals(&mut self.tx, totals, "").await?;
        sqlx::query(sql::MARK_READ_MODELS_BUILT)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        self.checkpoints.nudge();
        Ok(())
    }
}

/// National IDs per lookup of read model rows.
const ID_LIST_CHUNK: usize = 5_000;

async fn insert_person_records(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[PersonRecord],
    upsert: &str,
) -> StoreResult<()> {
    insert_values::<_, 11>(
        tx,
        "person_balances (program, district, national_id, category, full_name, name_key, outstanding, paid, approvals, status, refused)",
        upsert,
        rows,
        |args, row| {
            Arguments::add(args, row.program.as_str())?;
            Arguments::add(args, row.district.as_str())?;
            Arguments::add(args, row.national_id.as_str())?;
            Arguments::add(args, row.category.as_str())?;
            Arguments::add(args, row.full_name.as_str())?;
            Arguments::add(args, row.name_key.as_str())?;
            Arguments::add(args, row.outstanding_dong)?;
            Arguments::add(args, row.paid_dong)?;
            Arguments::add(args, row.approvals)?;
            Arguments::add(args, row.status.as_str())?;
            Arguments::add(args, row.refused.as_deref())?;
            Ok(())
        },
    )
    .await
}

/// Stored people's figures, category and status: an upsert that sets
/// nothing else on the stored row (a third faster than updating from a
/// list, which SQLite runs in two passes). A row it would add instead —
/// none should be missing — carries [`NO_ROW_MARK`] as its name key and
/// fails the commit.
async fn update_person_figures(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[PersonFigures],
) -> StoreResult<()> {
    insert_values::<_, 10>(
        tx,
        "person_balances (program, district, national_id, category, full_name, name_key, outstanding, paid, approvals, status)",
        sql::PERSON_FIGURES_UPSERT,
        rows,
        |args, row| {
            Arguments::add(args, row.program.as_str())?;
            Arguments::add(args, row.district.as_str())?;
            Arguments::add(args, row.national_id.as_str())?;
            Arguments::add(args, row.category.as_str())?;
            Arguments::add(args, "")?;
            Arguments::add(args, NO_ROW_MARK)?;
            Arguments::add(args, row.outstanding_dong)?;
            Arguments::add(args, row.paid_dong)?;
            Arguments::add(args, row.approvals)?;
            Arguments::add(args, row.status)?;
            Ok(())
        },
    )
    .await?;
    let same_scope = |a: &PersonFigures, b: &PersonFigures| {
        (&a.program, &a.district) == (&b.program, &b.district)
    };
    for scope in rows.chunk_by(same_scope) {
        // A scan of the scope's rows: a few milliseconds.
        let added: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM person_balances WHERE program = $1 AND district = $2 AND name_key = $3)",
        )
        .bind(&scope[0].program)
        .bind(&scope[0].district)
        .bind(NO_ROW_MARK)
        .fetch_one(&mut **tx)
        .await?;
        if added {
            return Err(StoreError::Corrupt(format!(
                "a payment's figures in program {} and district {} were for a person without a read model row",
                scope[0].program, scope[0].district
            )));
        }
    }
    Ok(())
}

/// The name key of a row that [`update_person_figures`] would add: no
/// folded name is a control character.
const NO_ROW_MARK: &str = "\u{1}no row";

async fn insert_scope_totals(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[ScopeTotalRecord],
    upsert: &str,
) -> StoreResult<()> {
    insert_values::<_, 7>(
        tx,
        "scope_totals (program, district, status, beneficiaries, approved, paid, outstanding)",
        upsert,
        rows,
        |args, row| {
            Arguments::add(args, row.program.as_str())?;
            Arguments::add(args, row.district.as_str())?;
            Arguments::add(args, row.status.as_str())?;
            Arguments::add(args, row.beneficiaries)?;
            Arguments::add(args, row.approved_dong)?;
            Arguments::add(args, row.paid_dong)?;
            Arguments::add(args, row.outstanding_dong)?;
            Ok(())
        },
    )
    .await
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
async fn insert_values<'q, T, const COLUMNS: usize>(
    tx: &mut Transaction<'static, Sqlite>,
    table_columns: &str,
    on_conflict: &str,
    rows: &'q [T],
    bind: impl Fn(&mut Args<'q>, &'q T) -> BindResult,
) -> StoreResult<()> {
    const { assert!(COLUMNS <= COLUMNS_MAX) };
    let columns = COLUMNS;
    let tuple = format!("({})", vec!["?"; columns].join(","));
    let statement = |chunk: &'q [T]| -> StoreResult<(String, Args<'q>)> {
        let values = vec![tuple.as_str(); chunk.len()].join(",");
        let mut args = Args::default();
        args.reserve(chunk.len() * columns, 0);
        for row in chunk {
            bind(&mut args, row).map_err(sqlx::Error::Encode)?;
        }
        Ok((
            format!("INSERT OR FAIL INTO {table_columns} VALUES {values}{on_conflict}"),
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
