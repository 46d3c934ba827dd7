//! PostgreSQL: the append transaction (a transaction that takes the
//! advisory append lock first) and its bulk inserts: `UNNEST` of arrays for
//! entries and totals, a binary `COPY` for postings.

use super::any_of;
use super::users::insert_audit;
use crate::domain::journal::{AuditAnchor, Checkpoint, ImportEvidence};
use crate::domain::{AccountPrefix, AccountScope};
use crate::store::person_cache::{CachedScope, FiguresRow};
use crate::store::{
    rows, sql, AppendTx, AuditEvent, EntryRow, ImportKey, PersonFigures, PersonRecord,
    PersonWrites, PostingRow, ScopeTotalRecord, StoreError, StoreResult, TotalRow,
};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::{PgPool, Postgres, Transaction};
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

/// The advisory locks that serialize appends, one per ledger: this class
/// and the hash of the ledger's schema, so that provinces commit side by side.
const APPEND_LOCK_CLASS: i32 = 0x616e_7369; // "ansi"
const ROWS_PER_INSERT: usize = 50_000;
/// `COPY` data is sent in messages of about this size: the server stores one
/// while the next is encoded.
const COPY_CHUNK_BYTES: usize = 1 << 20;

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    /// The highest seq this transaction inserted.
    inserted_seq: i64,
    /// The store's highest appended seq, raised when this commits.
    appended_seq: Arc<AtomicI64>,
}

impl PgTx {
    /// Waits for the append lock, held until the transaction ends.
    pub(super) async fn begin(pool: &PgPool, appended_seq: Arc<AtomicI64>) -> StoreResult<PgTx> {
        // The lock is taken after the `BEGIN`, not in its statement: sqlx
        // rolls back a transaction whose wait is dropped only once the
        // `BEGIN` has returned.
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(APPEND_LOCK_CLASS)
            .execute(&mut *tx)
            .await?;
        Ok(PgTx {
            tx,
            inserted_seq: 0,
            appended_seq,
        })
    }
}

#[async_trait]
impl AppendTx for PgTx {
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
        Ok(sqlx::query_as(&sql::account_balances(&any_of(1)))
            .bind(accounts)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    async fn approval_holders(
        &mut self,
        prefix: &AccountPrefix,
        national_ids: &[String],
        after_seq: i64,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(&sql::approval_holders(&any_of(1)))
            .bind(national_ids)
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
        let highest_seq = rows.iter().map(|r| r.seq).max().unwrap_or(0);
        self.inserted_seq = self.inserted_seq.max(highest_seq);
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding, audit_anchor_id, audit_anchor_hash) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[])",
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
            .bind(chunk.iter().map(|r| r.audit_anchor.map(|a| a.event_id)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.audit_anchor.map(|a| a.hash.as_str())).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        copy_rows(
            &mut self.tx,
            "COPY postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) FROM STDIN (FORMAT binary)",
            rows,
            |data, row| {
                let idx = i32::try_from(row.idx)
                    .map_err(|_| StoreError::Corrupt(format!("posting index {}", row.idx)))?;
                data.row(7);
                data.int8(Some(row.seq));
                data.int4(idx);
                data.text(Some(row.posting.account.as_str()))?;
                data.int8(Some(row.posting.amount.dong()));
                data.text(row.posting.beneficiary.as_deref())?;
                data.int8(row.posting.source_line.map(|l| l as i64));
                data.text(row.posting.reference.as_deref())
            },
        )
        .await
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
        // A join with the list, not `= ANY(list)`: the planner may filter a
        // whole scope's rows against the list one by one (18 s for a
        // province's payment rolls); the join probes the key or hashes.
        let sql = format!(
            "SELECT {} FROM person_balances p JOIN UNNEST($3::text[]) AS wanted(id) \
             ON p.national_id = wanted.id WHERE p.program = $1 AND p.district = $2",
            sql::PERSON_COLUMNS_OF_P
        );
        let mut found = Vec::new();
        for chunk in national_ids.chunks(ROWS_PER_INSERT) {
            let rows = sqlx::query(&sql)
                .bind(program)
                .bind(district)
                .bind(chunk)
                .fetch_all(&mut *self.tx)
                .await?;
            for row in rows {
                found.push(rows::person_record_from_row(&row)?);
            }
        }
        Ok(found)
    }

    async fn scope_figures(&mut self, scope: &mut CachedScope) -> StoreResult<bool> {
        let (program, district) = scope.key();
        let (program, district) = (program.to_string(), district.to_string());
        let mut rows =
            sqlx::query_as::<_, (String, String, i64, i64, i64, bool)>(sql::SCOPE_FIGURES)
                .bind(program)
                .bind(district)
                .fetch(&mut *self.tx);
        let mut every_row_kept = true;
        while let Some((
            national_id,
            category,
            outstanding_dong,
            paid_dong,
            approvals,
            has_refused,
        )) = rows.try_next().await?
        {
            every_row_kept &= scope.set(&FiguresRow {
                national_id: &national_id,
                category: &category,
                outstanding_dong,
                paid_dong,
                approvals,
                has_refused,
            });
        }
        Ok(every_row_kept)
    }

    async fn put_person_records(&mut self, writes: &PersonWrites) -> StoreResult<()> {
        copy_person_records(&mut self.tx, &writes.added).await?;
        update_person_rows(&mut self.tx, &writes.rewritten).await?;
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
        copy_person_records(&mut self.tx, people).await?;
        insert_scope_totals(&mut self.tx, totals, "").await?;
        sqlx::query(sql::MARK_READ_MODELS_BUILT)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        super::replica::note_appended(&self.appended_seq, self.inserted_seq);
        Ok(())
    }
}

/// Rows for `COPY … FROM STDIN (FORMAT binary)`: each value as its length
/// and its bytes in PostgreSQL's binary form, so that the server parses no
/// text and no value needs escaping.
struct CopyRows {
    buffer: Vec<u8>,
}

impl CopyRows {
    /// The binary format's signature, flags and header extension length.
    const HEADER: &'static [u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
    /// A field count of -1 ends the data.
    const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

    fn row(&mut self, fields: i16) {
        self.buffer.extend_from_slice(&fields.to_be_bytes());
    }

    fn null(&mut self) {
        self.buffer.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// An `integer` column.
    fn int4(&mut self, value: i32) {
        self.buffer.extend_from_slice(&4i32.to_be_bytes());
        self.buffer.extend_from_slice(&value.to_be_bytes());
    }

    /// A `bigint` column.
    fn int8(&mut self, value: Option<i64>) {
        match value {
            Some(value) => {
                self.buffer.extend_from_slice(&8i32.to_be_bytes());
                self.buffer.extend_from_slice(&value.to_be_bytes());
            }
            None => self.null(),
        }
    }

    /// A `text` column: UTF-8 bytes as they are.
    fn text(&mut self, value: Option<&str>) -> StoreResult<()> {
        let Some(value) = value else {
            self.null();
            return Ok(());
        };
        let length = i32::try_from(value.len())
            .map_err(|_| StoreError::Corrupt("a text value over 2 GiB".into()))?;
        self.buffer.extend_from_slice(&length.to_be_bytes());
        self.buffer.extend_from_slice(value.as_bytes());
        Ok(())
    }
}

/// Streams `rows` into `statement` (a binary `COPY … FROM STDIN`), a chunk
/// at a time; `encode` writes one row.
async fn copy_rows<T>(
    tx: &mut Transaction<'static, Postgres>,
    statement: &str,
    rows: &[T],
    encode: impl Fn(&mut CopyRows, &T) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut copy = tx.copy_in_raw(statement).await?;
    let mut data = CopyRows {
        buffer: Vec::with_capacity(COPY_CHUNK_BYTES + 4096),
    };
    data.buffer.extend_from_slice(CopyRows::HEADER);
    for row in rows {
        encode(&mut data, row)?;
        if data.buffer.len() >= COPY_CHUNK_BYTES {
            copy.send(data.buffer.as_slice()).await?;
            data.buffer.clear();
        }
    }
    data.buffer.extend_from_slice(&CopyRows::TRAILER);
    copy.send(data.buffer.as_slice()).await?;
    copy.finish().await?;
    Ok(())
}

/// New people's rows, by binary `COPY`.
async fn copy_person_records(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[PersonRecord],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let statement = format!(
        "COPY person_balances ({}) FROM STDIN (FORMAT binary)",
        sql::PERSON_COLUMNS
    );
    copy_rows(tx, &statement, rows, |data, row| {
        data.row(11);
        data.text(Some(&row.program))?;
        data.text(Some(&row.district))?;
        data.text(Some(&row.national_id))?;
        data.text(Some(&row.category))?;
        data.text(Some(&row.full_name))?;
        data.text(Some(&row.name_key))?;
        data.int8(Some(row.outstanding_dong));
        data.int8(Some(row.paid_dong));
        data.int8(Some(row.approvals));
        data.text(Some(&row.status))?;
        data.text(row.refused.as_deref())
    })
    .await
}

/// Stored people's rows written whole, found by key.
async fn update_person_rows(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[PersonRecord],
) -> StoreResult<()> {
    const SQL: &str = "UPDATE person_balances p SET category = u.category, \
        outstanding = u.outstanding, paid = u.paid, approvals = u.approvals, status = u.status, \
        full_name = u.full_name, name_key = u.name_key, refused = u.refused \
        FROM UNNEST($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], \
        $9::text[], $10::text[], $11::text[]) \
        AS u(national_id, category, outstanding, paid, approvals, status, full_name, name_key, refused) \
        WHERE p.program = $1 AND p.district = $2 AND p.national_id = u.national_id";
    update_by_scope(
        tx,
        rows,
        |r| (&r.program, &r.district),
        |chunk| {
            let names: Vec<&str> = chunk.iter().map(|r| r.full_name.as_str()).collect();
            let name_keys: Vec<&str> = chunk.iter().map(|r| r.name_key.as_str()).collect();
            let refused: Vec<Option<&str>> = chunk.iter().map(|r| r.refused.as_deref()).collect();
            bind_figures(SQL, chunk)
                .bind(names)
                .bind(name_keys)
                .bind(refused)
        },
    )
    .await
}

/// Stored people's figures, category and status (a payment roll changes
/// nothing else), found by key.
async fn update_person_figures(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[PersonFigures],
) -> StoreResult<()> {
    const SQL: &str = "UPDATE person_balances p SET category = u.category, \
        outstanding = u.outstanding, paid = u.paid, approvals = u.approvals, status = u.status \
        FROM UNNEST($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) \
        AS u(national_id, category, outstanding, paid, approvals, status) \
        WHERE p.program = $1 AND p.district = $2 AND p.national_id = u.national_id";
    update_by_scope(
        tx,
        rows,
        |r| (&r.program, &r.district),
        |chunk| bind_figures(SQL, chunk),
    )
    .await
}

/// The columns of a person's row that both updates write.
struct FiguresOf<'q> {
    program: &'q str,
    district: &'q str,
    national_id: &'q str,
    category: &'q str,
    outstanding_dong: i64,
    paid_dong: i64,
    approvals: i64,
    status: &'q str,
}

impl<'q> From<&'q PersonRecord> for FiguresOf<'q> {
    fn from(r: &'q PersonRecord) -> FiguresOf<'q> {
        FiguresOf {
            program: &r.program,
            district: &r.district,
            national_id: &r.national_id,
            category: &r.category,
            outstanding_dong: r.outstanding_dong,
            paid_dong: r.paid_dong,
            approvals: r.approvals,
            status: &r.status,
        }
    }
}

impl<'q> From<&'q PersonFigures> for FiguresOf<'q> {
    fn from(r: &'q PersonFigures) -> FiguresOf<'q> {
        FiguresOf {
            program: &r.program,
            district: &r.district,
            national_id: &r.national_id,
            category: &r.category,
            outstanding_dong: r.outstanding_dong,
            paid_dong: r.paid_dong,
            approvals: r.approvals,
            status: r.status,
        }
    }
}

/// `sql` with a chunk's scope bound as `$1` and `$2` (one program and
/// district) and its figures as the arrays `$3` to `$8`.
fn bind_figures<'q, T>(sql: &'q str, chunk: &'q [T]) -> PgQuery<'q>
where
    &'q T: Into<FiguresOf<'q>>,
{
    let figures: Vec<FiguresOf<'q>> = chunk.iter().map(Into::into).collect();
    let texts =
        |field: fn(&FiguresOf<'q>) -> &'q str| figures.iter().map(field).collect::<Vec<_>>();
    let numbers = |field: fn(&FiguresOf<'q>) -> i64| figures.iter().map(field).collect::<Vec<_>>();
    let (program, district) = figures
        .first()
        .map_or(("", ""), |f| (f.program, f.district));
    sqlx::query(sql)
        .bind(program)
        .bind(district)
        .bind(texts(|f| f.national_id))
        .bind(texts(|f| f.category))
        .bind(numbers(|f| f.outstanding_dong))
        .bind(numbers(|f| f.paid_dong))
        .bind(numbers(|f| f.approvals))
        .bind(texts(|f| f.status))
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Runs an update a program and district at a time, [`ROWS_PER_INSERT`]
/// rows a statement: with the scope a constant, each row is found by its
/// ID through the key (2.5 times faster than joining on all three
/// columns). Every row must be found: a missing one fails the commit.
async fn update_by_scope<'q, T>(
    tx: &mut Transaction<'static, Postgres>,
    rows: &'q [T],
    scope: fn(&T) -> (&String, &String),
    query: impl Fn(&'q [T]) -> PgQuery<'q>,
) -> StoreResult<()> {
    for same_scope in rows.chunk_by(|a, b| scope(a) == scope(b)) {
        for chunk in same_scope.chunks(ROWS_PER_INSERT) {
            let done = query(chunk).execute(&mut **tx).await?;
            if done.rows_affected() != chunk.len() as u64 {
                return Err(StoreError::Corrupt(format!(
                    "{} of {} read model rows to update were found",
                    done.rows_affected(),
                    chunk.len()
                )));
            }
        }
    }
    Ok(())
}

async fn insert_scope_totals(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[ScopeTotalRecord],
    upsert: &str,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO scope_totals ({}) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], \
         $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]){upsert}",
        sql::SCOPE_TOTAL_COLUMNS
    );
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let texts =
            |field: fn(&ScopeTotalRecord) -> &str| chunk.iter().map(field).collect::<Vec<_>>();
        let numbers =
            |field: fn(&ScopeTotalRecord) -> i64| chunk.iter().map(field).collect::<Vec<_>>();
        sqlx::query(&sql)
            .bind(texts(|r| &r.program))
            .bind(texts(|r| &r.district))
            .bind(texts(|r| &r.status))
            .bind(numbers(|r| r.beneficiaries))
            .bind(numbers(|r| r.approved_dong))
            .bind(numbers(|r| r.paid_dong))
            .bind(numbers(|r| r.outstanding_dong))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
