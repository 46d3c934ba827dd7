//! PostgreSQL: reads of the journal and the scan. Many-row answers travel as
//! one row of arrays or one JSON text instead of one message per row; the
//! scan streams, inside one read-only snapshot.

use super::copy_out::copy_rows;
use super::{any_of, entries_in, json_rows, PgStore};
use crate::domain::journal::{Checkpoint, Entry};
use crate::domain::{AccountPrefix, AccountScope};
use crate::store::rows::{self, PersonPosting};
use crate::store::{
    sql, AccountSum, ApprovalSource, ApprovedHolding, BeneficiaryBalance, EntryFilter,
    EntrySummary, JournalSink, JournalStore, Listed, Page, PersonFilter, ReconciliationView,
    StoreResult, VerifiedReach,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgPool};

#[async_trait]
impl JournalStore for PgStore {
    async fn entry_page(&self, seq: i64, postings: Page) -> StoreResult<Option<(Entry, i64)>> {
        self.read(seq, |pool| entry_page_in(pool, seq, postings))
            .await
    }

    async fn entries_page(
        &self,
        filter: &EntryFilter,
        page: Page,
    ) -> StoreResult<Listed<EntrySummary>> {
        self.read(0, |pool| entries_page_in(pool, filter, page))
            .await
    }

    async fn head(&self) -> StoreResult<Option<Checkpoint>> {
        let row = sqlx::query(sql::HEAD).fetch_optional(&self.pool).await?;
        row.map(|row| rows::checkpoint_from_row(&row)).transpose()
    }

    async fn entry(&self, seq: i64) -> StoreResult<Option<Entry>> {
        self.read(seq, |pool| entry_in(pool, seq)).await
    }

    async fn corrections_of(&self, seq: i64) -> StoreResult<Vec<Entry>> {
        let seqs: Vec<i64> = sqlx::query_scalar(sql::CORRECTIONS_OF)
            .bind(seq)
            .fetch_all(&self.pool)
            .await?;
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(entry) = self.entry(seq).await? {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    async fn account_balance(&self, account: &str) -> StoreResult<i64> {
        let sum: Option<i64> = sqlx::query_scalar(sql::ACCOUNT_BALANCE)
            .bind(account)
            .fetch_one(&self.pool)
            .await?;
        Ok(sum.unwrap_or(0))
    }

    async fn account_sums(
        &self,
        as_of: Option<NaiveDate>,
        at_seq: Option<i64>,
    ) -> StoreResult<Vec<AccountSum>> {
        match at_seq {
            // Pinned: the replica serves it once it holds that entry.
            Some(at_seq) => {
                self.read(at_seq, |pool| account_sums_in(pool, as_of, at_seq))
                    .await
            }
            // The newest balances decide what a commit may do: the primary's.
            None => account_sums_in(&self.pool, as_of, sql::NO_SEQ_BOUND).await,
        }
    }

    async fn beneficiary_balances(
        &self,
        prefix: &AccountPrefix,
    ) -> StoreResult<Vec<BeneficiaryBalance>> {
        let entries: Vec<(i64, String, String)> = sqlx::query_as(sql::ENTRIES_UNDER_PREFIX)
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .fetch_all(&self.pool)
            .await?;
        let seqs: Vec<i64> = entries.iter().map(|(seq, _, _)| *seq).collect();
        let decisions = rows::approval_decisions(entries);
        // The postings of entries already read never change: the two
        // halves are read at once, on two connections.
        let (earlier, later) = seqs.split_at(seqs.len() / 2);
        let (earlier, later) = futures_util::future::try_join(
            person_postings(&self.pool, earlier, prefix),
            person_postings(&self.pool, later, prefix),
        )
        .await?;
        let (earlier, later) = (posting_rows(&earlier)?, posting_rows(&later)?);
        Ok(rows::sum_balances(
            earlier.into_iter().chain(later),
            &decisions,
        ))
    }

    async fn approvals_of(
        &self,
        prefix: &AccountPrefix,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovedHolding>> {
        let sql = json_rows(
            sql::APPROVALS_OF_PEOPLE_COLUMNS,
            &sql::approvals_of_people(&any_of(3)),
        );
        let json: Option<String> = sqlx::query_scalar(&sql)
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .bind(national_ids)
            .fetch_one(&self.pool)
            .await?;
        rows::holdings_from_json(json.as_deref())
    }

    async fn vouchers_in(&self, scope: &AccountScope) -> StoreResult<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        vouchers_of(&mut conn, &sql::like_pattern(scope)).await
    }

    async fn approval_sources(
        &self,
        prefix: &AccountPrefix,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovalSource>> {
        let found = sqlx::query(&sql::approval_sources(&any_of(1)))
            .bind(national_ids)
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::approval_source_from_row).collect()
    }

    async fn beneficiary_names(
        &self,
        national_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        // The name as written on the roll of the person's approval (the
        // lowest, should several rolls have approved them).
        let documents: Vec<String> = sqlx::query_scalar(&sql::roll_people_of(&any_of(1)))
            .bind(national_ids)
            .fetch_all(&self.pool)
            .await?;
        let wanted: std::collections::HashSet<&str> =
            national_ids.iter().map(String::as_str).collect();
        rows::names_in(&documents, Some(&wanted))
    }

    async fn beneficiary_names_under(
        &self,
        prefix: &AccountPrefix,
    ) -> StoreResult<Vec<(String, String)>> {
        let documents: Vec<String> = sqlx::query_scalar(sql::ROLL_PEOPLE_UNDER_PREFIX)
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows::names_in(&documents, None)
    }

    async fn scan(&self, sink: &mut dyn JournalSink) -> StoreResult<()> {
        // From the lowest key: a row slipped in below the first is seen too.
        self.scan_since(i64::MIN, i64::MIN, sink).await.map(|_| ())
    }

    async fn scan_since(
        &self,
        after_seq: i64,
        after_audit_id: i64,
        sink: &mut dyn JournalSink,
    ) -> StoreResult<(Option<String>, Option<String>)> {
        // One snapshot for the whole scan, so that entries appended
        // meanwhile are simply not seen.
        let mut laps = crate::telemetry::Laps::start("verify scan");
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let reached = reached_hashes(&mut tx, after_seq, after_audit_id).await?;
        let committed = if sink.wants_evidence() {
            scan_import_commits(&mut tx, after_seq, sink).await?
        } else {
            Vec::new()
        };
        sql::read_headers_and_totals!(tx, after_seq, sink);
        laps.lap("headers and totals");
        scan_postings(&mut tx, after_seq, sink).await?;
        laps.lap("postings");
        if sink.wants_evidence() {
            scan_evidence(&mut tx, &committed, after_audit_id, sink).await?;
            laps.lap("evidence");
        }
        if sink.wants_read_models() {
            scan_read_models(&mut tx, sink).await?;
            laps.lap("read models");
        }
        tx.commit().await?;
        Ok(reached)
    }

    async fn reconciliation_view(
        &self,
        filter: &PersonFilter,
        page: Page,
    ) -> StoreResult<ReconciliationView> {
        self.read(0, |pool| reconciliation_view_in(pool, filter, page))
            .await
    }

    async fn last_verification(&self) -> StoreResult<Option<VerifiedReach>> {
        sqlx::query(sql::LAST_VERIFICATION)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::verified_reach_from_row(&row))
            .transpose()
    }

    async fn record_verification(&self, reach: &VerifiedReach) -> StoreResult<()> {
        sql::bind_verification!(sqlx::query(sql::INSERT_VERIFICATION), reach)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The stored hashes of entry `seq` and audit event `audit_id` (for 0: none).
async fn entry_page_in(
    pool: &PgPool,
    seq: i64,
    postings: Page,
) -> StoreResult<Option<(Entry, i64)>> {
    let Some(row) = sqlx::query(&sql::entry_by_seq())
        .bind(seq)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let header = rows::header_from_row(&row)?;
    let found = sqlx::query(&sql::postings_page())
        .bind(seq)
        .bind(postings.limit)
        .bind(postings.offset)
        .fetch_all(pool)
        .await?;
    let total: i64 = sqlx::query_scalar(sql::POSTINGS_COUNT)
        .bind(seq)
        .fetch_one(pool)
        .await?;
    let postings = found
        .iter()
        .map(rows::posting_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some((rows::entry_from_parts(header, postings)?, total)))
}

async fn entries_page_in(
    pool: &PgPool,
    filter: &EntryFilter,
    page: Page,
) -> StoreResult<Listed<EntrySummary>> {
    let from = filter.from.as_deref().unwrap_or(sql::NO_DATE_LOWER_BOUND);
    let to = filter.to.as_deref().unwrap_or(sql::NO_DATE_BOUND);
    let (like_a, like_b) = filter.accounts.clone().unzip();
    let found = sqlx::query(&sql::entries_page())
        .bind(&filter.kind)
        .bind(from)
        .bind(to)
        .bind(&like_a)
        .bind(&like_b)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar(&sql::entries_count())
        .bind(&filter.kind)
        .bind(from)
        .bind(to)
        .bind(&like_a)
        .bind(&like_b)
        .fetch_one(pool)
        .await?;
    Ok(Listed {
        rows: found
            .iter()
            .map(rows::entry_summary_from_row)
            .collect::<StoreResult<_>>()?,
        total,
    })
}

async fn entry_in(pool: &PgPool, seq: i64) -> StoreResult<Option<Entry>> {
    let Some(row) = sqlx::query(&sql::entry_by_seq())
        .bind(seq)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let header = rows::header_from_row(&row)?;
    let found = sqlx::query(&sql::postings_of_entry())
        .bind(seq)
        .fetch_all(pool)
        .await?;
    let postings = found
        .iter()
        .map(rows::posting_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    rows::entry_from_parts(header, postings).map(Some)
}

async fn account_sums_in(
    pool: &PgPool,
    as_of: Option<NaiveDate>,
    at_seq: i64,
) -> StoreResult<Vec<AccountSum>> {
    let query = match as_of {
        Some(date) => sqlx::query(sql::ACCOUNT_SUMS)
            .bind(date.format("%Y-%m-%d").to_string())
            .bind(at_seq),
        None => sqlx::query(sql::ACCOUNT_SUMS_AT_SEQ).bind(at_seq),
    };
    let found = query.fetch_all(pool).await?;
    found.iter().map(rows::account_sum_from_row).collect()
}

async fn reconciliation_view_in(
    pool: &PgPool,
    filter: &PersonFilter,
    page: Page,
) -> StoreResult<ReconciliationView> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let view = sql::read_reconciliation_view!(tx, filter, page);
    tx.commit().await?;
    Ok(view)
}

async fn reached_hashes(
    conn: &mut PgConnection,
    seq: i64,
    audit_id: i64,
) -> StoreResult<(Option<String>, Option<String>)> {
    let entry: Option<String> = sqlx::query_scalar(sql::ENTRY_HASH)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    let event: Option<Option<String>> = sqlx::query_scalar(sql::AUDIT_HASH)
        .bind(audit_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok((entry, event.flatten()))
}

/// The read models, to `sink`.
async fn scan_read_models(conn: &mut PgConnection, sink: &mut dyn JournalSink) -> StoreResult<()> {
    let columns = column_names(sql::PERSON_COLUMNS);
    copy_rows(conn, &sql::all_person_records(), &columns, |row| {
        sink.person_record(rows::person_record_from_row(row)?);
        Ok(())
    })
    .await?;
    let sql = sql::all_scope_totals();
    let mut found = sqlx::query(&sql).fetch(&mut *conn);
    while let Some(row) = found.try_next().await? {
        sink.scope_total(rows::scope_total_from_row(&row)?);
    }
    Ok(())
}

/// Every posting of a person in `entry_seqs` on the accounts under the
/// prefix, as one row of arrays: one message instead of one per row, and no
/// text format in between.
async fn person_postings(
    pool: &PgPool,
    entry_seqs: &[i64],
    prefix: &AccountPrefix,
) -> StoreResult<PostingColumns> {
    if entry_seqs.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT array_agg(beneficiary), array_agg(account), array_agg(amount), \
         array_agg(voucher::bigint), array_agg(entry_seq) FROM ({}) AS rows",
        sql::person_postings(&entries_in(3))
    );
    Ok(sqlx::query_as(&sql)
        .bind(sql::prefix_length(prefix))
        .bind(prefix.as_str())
        .bind(entry_seqs)
        .fetch_one(pool)
        .await?)
}

type PostingColumns = (
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<i64>>,
    Option<Vec<i64>>,
    Option<Vec<i64>>,
);

/// The rows of [`person_postings`], borrowing their texts.
fn posting_rows(columns: &PostingColumns) -> StoreResult<Vec<PersonPosting<'_>>> {
    let (people, accounts, amounts, vouchers, seqs) = columns;
    Ok(people
        .iter()
        .flatten()
        .zip(accounts.iter().flatten())
        .zip(amounts.iter().flatten())
        .zip(vouchers.iter().flatten())
        .zip(seqs.iter().flatten())
        .map(|((((person, account), amount), voucher), seq)| {
            (person.as_str(), account.as_str(), *amount, *voucher, *seq)
        })
        .collect())
}

/// The voucher references of [`sql::VOUCHERS`], as one array.
async fn vouchers_of(conn: &mut PgConnection, pattern: &str) -> StoreResult<Vec<String>> {
    let sql = format!(
        "SELECT array_agg(reference) FROM ({}) AS rows",
        sql::VOUCHERS
    );
    let references: Option<Vec<String>> = sqlx::query_scalar(&sql)
        .bind(pattern)
        .fetch_one(conn)
        .await?;
    Ok(references.unwrap_or_default())
}

/// Every posting, in entry and position order, to the verifier: one
/// streamed binary `COPY` ([`copy_rows`]), which also brings
/// the postings of any entry missing from the journal, so the list of seqs
/// the scan read is not needed.
async fn scan_postings(
    conn: &mut PgConnection,
    after_seq: i64,
    sink: &mut dyn JournalSink,
) -> StoreResult<()> {
    // Without statistics of a freshly loaded table the planner guesses
    // from the condition. The whole journal is asked for with none: it
    // reads the key in order (the full demo's postings: 0.45 s, where the
    // range below was taken for a few thousand rows, gathered by bitmap and
    // sorted on disk in 1.4 s). What follows a verified head is asked for
    // as a range: the upper bound selects nothing more, but `> $1` alone is
    // taken for a third of the rows and scanned in full (47 ms for the few
    // postings an incremental verify reads); a range, for a few: the key
    // is used.
    //
    // A `COPY` takes no parameters: the bound is written into the query
    // (an integer's digits).
    let condition = if after_seq == i64::MIN {
        String::new()
    } else {
        format!(
            "WHERE entry_seq > {after_seq} AND entry_seq <= {}",
            i64::MAX
        )
    };
    let sql = format!(
        "SELECT {} FROM postings {condition} ORDER BY entry_seq, idx",
        sql::POSTING_COLUMNS
    );
    let columns = column_names(sql::POSTING_COLUMNS);
    copy_rows(conn, &sql, &columns, |row| {
        sink.posting(rows::posting_from_row(row)?);
        Ok(())
    })
    .await
}

/// The names in a list of columns (`"a, b, c"`).
fn column_names(list: &str) -> Vec<&str> {
    list.split(',').map(str::trim).collect()
}

/// Every import commit record, to `sink`; returns their import ids.
async fn scan_import_commits(
    conn: &mut PgConnection,
    after_seq: i64,
    sink: &mut dyn JournalSink,
) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::new();
    let mut found = sqlx::query(sql::SCAN_IMPORT_COMMITS)
        .bind(after_seq)
        .fetch(conn);
    while let Some(row) = found.try_next().await? {
        let commit = rows::import_commit_from_row(&row)?;
        ids.push(commit.import_id);
        sink.import_commit(commit);
    }
    Ok(ids)
}

/// What each committed import stored, then the audit trail, to `sink`.
async fn scan_evidence(
    conn: &mut PgConnection,
    import_ids: &[i64],
    after_audit_id: i64,
    sink: &mut dyn JournalSink,
) -> StoreResult<()> {
    sql::read_evidence!(conn, import_ids, sink)?;
    let mut found = sqlx::query(sql::SCAN_AUDIT)
        .bind(after_audit_id)
        .fetch(conn);
    while let Some(row) = found.try_next().await? {
        sink.audit_event(rows::chained_audit_from_row(&row)?);
    }
    Ok(())
}
