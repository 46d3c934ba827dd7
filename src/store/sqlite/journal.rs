//! SQLite: reads of the journal. Many-row answers travel as one JSON text
//! from the database thread (`json_group_array`) instead of one message per
//! row; the scan reads in place (`scan.rs`).

use super::{in_json_list, json_list, json_rows, json_seqs, SqliteStore};
use crate::domain::journal::{Checkpoint, Entry};
use crate::domain::{AccountPrefix, AccountScope};
use crate::store::rows::{self, PersonPosting};
use crate::store::{
    sql, AccountSum, ApprovalSource, ApprovedHolding, BeneficiaryBalance, EntryFilter,
    EntrySummary, JournalSink, JournalStore, Listed, Page, PersonFilter, ReconciliationView,
    StoreError, StoreResult, VerifiedReach,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::{SqliteConnection, SqlitePool};

#[async_trait]
impl JournalStore for SqliteStore {
    async fn entry_page(&self, seq: i64, postings: Page) -> StoreResult<Option<(Entry, i64)>> {
        let Some(row) = sqlx::query(&sql::entry_by_seq())
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let header = rows::header_from_row(&row)?;
        let found = sqlx::query(&sql::postings_page())
            .bind(seq)
            .bind(postings.limit)
            .bind(postings.offset)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::query_scalar(sql::POSTINGS_COUNT)
            .bind(seq)
            .fetch_one(&self.pool)
            .await?;
        let postings = found
            .iter()
            .map(rows::posting_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some((rows::entry_from_parts(header, postings)?, total)))
    }

    async fn entries_page(
        &self,
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
            .fetch_all(&self.pool)
            .await?;
        let total = sqlx::query_scalar(&sql::entries_count())
            .bind(&filter.kind)
            .bind(from)
            .bind(to)
            .bind(&like_a)
            .bind(&like_b)
            .fetch_one(&self.pool)
            .await?;
        Ok(Listed {
            rows: found
                .iter()
                .map(rows::entry_summary_from_row)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn head(&self) -> StoreResult<Option<Checkpoint>> {
        let row = sqlx::query(sql::HEAD).fetch_optional(&self.pool).await?;
        row.map(|row| rows::checkpoint_from_row(&row)).transpose()
    }

    async fn entry(&self, seq: i64) -> StoreResult<Option<Entry>> {
        let Some(row) = sqlx::query(&sql::entry_by_seq())
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let header = rows::header_from_row(&row)?;
        let found = sqlx::query(&sql::postings_of_entry())
            .bind(seq)
            .fetch_all(&self.pool)
            .await?;
        let postings = found
            .iter()
            .map(rows::posting_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        rows::entry_from_parts(header, postings).map(Some)
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
        let at_seq = at_seq.unwrap_or(sql::NO_SEQ_BOUND);
        let query = match as_of {
            Some(date) => sqlx::query(sql::ACCOUNT_SUMS)
                .bind(date.format("%Y-%m-%d").to_string())
                .bind(at_seq),
            None => sqlx::query(sql::ACCOUNT_SUMS_AT_SEQ).bind(at_seq),
        };
        let found = query.fetch_all(&self.pool).await?;
        found.iter().map(rows::account_sum_from_row).collect()
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
            &sql::approvals_of_people(&in_json_list(3)),
        );
        let json: Option<String> = sqlx::query_scalar(&sql)
            .bind(sql::prefix_length(prefix))
            .bind(prefix.as_str())
            .bind(json_list(national_ids))
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
        let found = sqlx::query(&sql::approval_sources(&in_json_list(1)))
            .bind(json_list(national_ids))
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
        let documents: Vec<String> = sqlx::query_scalar(&sql::roll_people_of(&in_json_list(1)))
            .bind(json_list(national_ids))
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
        let path = self.pool.connect_options().get_filename().to_owned();
        super::scan::scan(&path, after_seq, after_audit_id, sink)
    }

    async fn reconciliation_view(
        &self,
        filter: &PersonFilter,
        page: Page,
    ) -> StoreResult<ReconciliationView> {
        let mut tx = self.pool.begin_with("BEGIN").await?;
        let view = sql::read_reconciliation_view!(tx, filter, page);
        tx.commit().await?;
        Ok(view)
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

/// Every posting of a person in `entry_seqs` on the accounts under the
/// prefix, as one JSON text: one message from the database thread instead of
/// one per row.
async fn person_postings(
    pool: &SqlitePool,
    entry_seqs: &[i64],
    prefix: &AccountPrefix,
) -> StoreResult<Option<String>> {
    let sql = json_rows(
        "beneficiary, account, amount, voucher, entry_seq",
        &sql::person_postings(&in_json_list(3)),
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(sql::prefix_length(prefix))
        .bind(prefix.as_str())
        .bind(json_seqs(entry_seqs))
        .fetch_one(pool)
        .await?)
}

/// The rows of [`person_postings`]. National IDs and account paths hold
/// nothing JSON escapes, so each text is borrowed from the document.
fn posting_rows(json: &Option<String>) -> StoreResult<Vec<PersonPosting<'_>>> {
    serde_json::from_str(json.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("postings of people: {e}")))
}

/// The voucher references of [`sql::VOUCHERS`], as one JSON text.
async fn vouchers_of(conn: &mut SqliteConnection, pattern: &str) -> StoreResult<Vec<String>> {
    let sql = format!(
        "SELECT json_group_array(reference) FROM ({})",
        sql::VOUCHERS
    );
    let json: Option<String> = sqlx::query_scalar(&sql)
        .bind(pattern)
        .fetch_one(conn)
        .await?;
    serde_json::from_str(json.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("voucher references: {e}")))
}
