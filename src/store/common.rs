//! SQL both backends share. sqlx accepts `$N` placeholders on SQLite and
//! PostgreSQL alike, so most queries are written once here and expanded into
//! each backend by `impl_store!` / `impl_ledger_tx!`; what differs (list
//! parameters, bulk inserts, locking) is passed in by the backend.

use super::StoreResult;
use crate::auth::Role;
use crate::ledger::verify::{StoredHeader, StoredPosting};

/// Postings that approve (or reverse an approval): those of a person without
/// a voucher reference. Written as the partial index `postings_approved` is,
/// so that both backends use it.
pub(crate) const APPROVED_POSTINGS: &str = "beneficiary IS NOT NULL AND reference IS NULL";
pub(crate) const APPROVED_POSTINGS_OF_P: &str = "p.beneficiary IS NOT NULL AND p.reference IS NULL";

pub(crate) const ENTRY_COLUMNS: &str = "seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, prev_hash, hash, import_id";
pub(crate) const POSTING_COLUMNS: &str =
    "entry_seq, account, amount, beneficiary, source_line, reference";

pub(crate) fn header_from_row<R>(row: &R) -> StoreResult<(StoredHeader, Option<i64>)>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        StoredHeader {
            seq: row.try_get("seq")?,
            effective_date: row.try_get("effective_date")?,
            recorded_at_us: row.try_get("recorded_at_us")?,
            actor: row.try_get("actor")?,
            kind: row.try_get("kind")?,
            reference: row.try_get("reference")?,
            memo: row.try_get("memo")?,
            corrects_seq: row.try_get("corrects_seq")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        },
        row.try_get("import_id")?,
    ))
}

pub(crate) fn posting_from_row<R>(row: &R) -> StoreResult<StoredPosting>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredPosting {
        entry_seq: row.try_get("entry_seq")?,
        account: row.try_get("account")?,
        amount_dong: row.try_get("amount")?,
        beneficiary: row.try_get("beneficiary")?,
        source_line: row.try_get("source_line")?,
        reference: row.try_get("reference")?,
    })
}

pub(crate) fn user_from_row<R>(row: &R) -> StoreResult<super::User>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = row.try_get("role")?;
    Ok(super::User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: Role::parse(&role)
            .ok_or_else(|| super::StoreError::Corrupt(format!("unknown role '{role}'")))?,
        district: row.try_get("district")?,
    })
}

pub(crate) fn import_from_row<R>(row: &R) -> StoreResult<super::ImportRecord>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(super::ImportRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        program: row.try_get("program")?,
        district: row.try_get("district")?,
        file_name: row.try_get("file_name")?,
        sha256: row.try_get("sha256")?,
        size_bytes: row.try_get("size_bytes")?,
        uploaded_at_us: row.try_get("uploaded_at_us")?,
        uploaded_by: row.try_get("uploaded_by")?,
        report_json: row.try_get("report")?,
        committed_by: row.try_get("committed_by")?,
        committed_at_us: row.try_get("committed_at_us")?,
    })
}

pub(crate) const IMPORT_SELECT: &str =
    "SELECT i.id, i.kind, i.program, i.district, i.file_name, i.sha256, i.size_bytes, \
     i.uploaded_at_us, i.uploaded_by, i.report, c.committed_by, c.committed_at_us \
     FROM imports i LEFT JOIN import_commits c ON c.import_id = i.id";

/// Postings of entry `seq` from `[[idx, account, amount, beneficiary, line, reference], …]`, in idx order.
pub(crate) fn postings_from_json(seq: i64, json: Option<&str>) -> StoreResult<Vec<StoredPosting>> {
    type Row = (
        i64,
        String,
        i64,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let mut rows: Vec<Row> = serde_json::from_str(json)
        .map_err(|e| super::StoreError::Corrupt(format!("postings of entry {seq}: {e}")))?;
    rows.sort_by_key(|row| row.0);
    Ok(rows
        .into_iter()
        .map(
            |(_, account, amount_dong, beneficiary, source_line, reference)| StoredPosting {
                entry_seq: seq,
                account,
                amount_dong,
                beneficiary,
                source_line,
                reference,
            },
        )
        .collect())
}

/// What the people in list parameter `$3` hold approved on the accounts under
/// prefix `$2` (of length `$1`), through the index of approving postings, with
/// the approving decision (lowest and highest, should a person have been
/// approved again after a reversal).
pub(crate) fn approvals_of_people_sql(in_list: &str) -> String {
    format!(
        "SELECT p.beneficiary AS beneficiary, p.account AS account, CAST(SUM(p.amount) AS BIGINT) AS approved, \
         MIN(CASE WHEN e.kind = 'approval' THEN e.reference END) AS first_decision, \
         MAX(CASE WHEN e.kind = 'approval' THEN e.reference END) AS last_decision \
         FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq \
         WHERE p.beneficiary {in_list} AND {APPROVED_POSTINGS_OF_P} AND substr(p.account, 1, $1) = $2 \
         GROUP BY p.beneficiary, p.account"
    )
}

/// The entries that touch accounts under prefix `$2` (of length `$1`), with
/// their kind and reference, found in the small `account_totals` table: a
/// district's listing reads its own entries, not every posting of the ledger.
pub(crate) const ENTRIES_UNDER_PREFIX_SQL: &str =
    "SELECT e.seq, e.kind, e.reference FROM journal_entries e \
     WHERE e.seq IN (SELECT entry_seq FROM account_totals WHERE substr(account, 1, $1) = $2) \
     ORDER BY e.seq";

/// Every posting of a person in the entries of list parameter `$3` on the
/// accounts under prefix `$2` (of length `$1`), one row each: summing them in
/// Rust costs a fraction of a `GROUP BY`.
pub(crate) fn person_postings_sql(in_list: &str) -> String {
    format!(
        "SELECT beneficiary, account, amount, CASE WHEN reference IS NULL THEN 0 ELSE 1 END AS voucher, entry_seq \
         FROM postings WHERE entry_seq {in_list} \
         AND beneficiary IS NOT NULL AND substr(account, 1, $1) = $2"
    )
}

/// The voucher references on postings of the payment entries (and their
/// reversals) that touch an account matching the `LIKE` pattern `$1`.
pub(crate) const VOUCHERS_SQL: &str =
    "SELECT reference FROM postings WHERE reference IS NOT NULL AND entry_seq IN \
     (SELECT t.entry_seq FROM account_totals t JOIN journal_entries e ON e.seq = t.entry_seq \
      WHERE t.account LIKE $1 AND e.kind IN ('payment', 'reversal'))";

/// `LIKE` pattern of the `payable` accounts of a district in any program
/// (`payable:P:D:C`; codes hold no `:`, district codes are digits).
pub(crate) fn district_accounts_pattern(district: &str) -> String {
    format!("payable:%:{district}:%")
}

/// One posting row of [`person_postings_sql`]: beneficiary, account,
/// amount, 1 when it carries a voucher reference (a payment), entry.
pub(crate) type PersonPosting<'a> = (&'a str, &'a str, i64, i64, i64);

/// Approval entries' decision numbers, by entry.
pub(crate) type Decisions = std::collections::HashMap<i64, String>;

/// Sums postings per (beneficiary, account). On `payable` accounts, postings
/// without a voucher reference approve (or reverse an approval) and postings
/// with one pay; the decisions are those of the approval entries involved.
pub(crate) fn sum_balances<'a>(
    postings: impl IntoIterator<Item = PersonPosting<'a>>,
    decisions: &Decisions,
) -> Vec<super::BeneficiaryBalance> {
    use std::collections::hash_map::Entry;
    let mut index: crate::fast_hash::FastMap<(&str, &str), usize> = Default::default();
    let mut balances: Vec<super::BeneficiaryBalance> = Vec::new();
    for (beneficiary, account, amount_dong, voucher, entry_seq) in postings {
        let at = match index.entry((beneficiary, account)) {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(vacant) => {
                balances.push(super::BeneficiaryBalance {
                    beneficiary: beneficiary.to_string(),
                    account: account.to_string(),
                    amount_dong: 0,
                    paid_dong: 0,
                    decisions: [None, None],
                });
                *vacant.insert(balances.len() - 1)
            }
        };
        let balance = &mut balances[at];
        balance.amount_dong += amount_dong;
        if voucher != 0 {
            balance.paid_dong -= amount_dong;
        }
        if let Some(decision) = decisions.get(&entry_seq) {
            let [first, last] = &mut balance.decisions;
            if first.as_ref().is_none_or(|f| decision < f) {
                *first = Some(decision.clone());
            }
            if last.as_ref().is_none_or(|l| decision > l) {
                *last = Some(decision.clone());
            }
        }
    }
    balances
}

/// The names in `roll_people` documents, of `wanted` people or of everyone;
/// the lowest name where rolls disagree. In national ID order.
pub(crate) fn names_in(
    documents: &[String],
    wanted: Option<&std::collections::HashSet<&str>>,
) -> StoreResult<Vec<(String, String)>> {
    type Person = (
        String,
        String,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    );
    let mut names: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for document in documents {
        let people: Vec<Person> = serde_json::from_str(document)
            .map_err(|e| super::StoreError::Corrupt(format!("roll people: {e}")))?;
        for (national_id, name, ..) in people {
            if wanted.is_some_and(|w| !w.contains(national_id.as_str())) {
                continue;
            }
            match names.entry(national_id) {
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(name);
                }
                std::collections::btree_map::Entry::Occupied(mut known) => {
                    if name < *known.get() {
                        known.insert(name);
                    }
                }
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// Expands the `Store` methods whose SQL is the same on both backends.
/// `$list` turns a `&[String]` into the backend's list parameter and
/// `$in_list` is the SQL that tests membership in it (`IN (…)` / `= ANY(…)`).
macro_rules! impl_store {
    ($store:ty, $name:expr, $list:path, $in_list:expr, $snapshot:expr, $json_rows:path, { $($specific:tt)* }) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend_name(&self) -> &'static str {
                $name
            }

            async fn add_user(&self, user: $crate::store::NewUser, audit: $crate::store::AuditEvent) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO users (username, role, district, password_hash, created_at_us) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, username, role, district",
                )
                .bind(&user.username)
                .bind(user.role.as_str())
                .bind(&user.district)
                .bind(&user.password_hash)
                .bind(audit.at_us)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(ref d) if d.is_unique_violation() => $crate::store::StoreError::Conflict(
                        format!("user '{}' already exists / người dùng đã tồn tại", user.username),
                    ),
                    other => other.into(),
                })?;
                let created = $crate::store::common::user_from_row(&row)?;
                insert_audit(&mut *tx, &audit).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn user_count(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
            }

            async fn find_user(&self, username: &str) -> $crate::store::StoreResult<Option<($crate::store::User, String)>> {
                let row = sqlx::query("SELECT id, username, role, district, password_hash FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|row| {
                    use sqlx::Row;
                    Ok(($crate::store::common::user_from_row(&row)?, row.try_get("password_hash")?))
                })
                .transpose()
            }

            async fn add_session(&self, token_hash: &str, user_id: i64, now_us: i64, expires_at_us: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(now_us)
                    .bind(expires_at_us)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_user(&self, token_hash: &str, now_us: i64) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                let row = sqlx::query(
                    "SELECT u.id, u.username, u.role, u.district FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at_us > $2",
                )
                .bind(token_hash)
                .bind(now_us)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| $crate::store::common::user_from_row(&row)).transpose()
            }

            async fn end_session(&self, token_hash: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit(&self, event: $crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut conn = self.pool.acquire().await?;
                insert_audit(&mut *conn, &event).await
            }

            async fn audit_events(&self, limit: i64) -> $crate::store::StoreResult<Vec<$crate::store::AuditRecord>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id, at_us, actor, action, outcome, detail FROM audit_events ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::store::AuditRecord {
                            id: row.try_get("id")?,
                            at_us: row.try_get("at_us")?,
                            actor: row.try_get("actor")?,
                            action: row.try_get("action")?,
                            outcome: row.try_get("outcome")?,
                            detail: row.try_get("detail")?,
                        })
                    })
                    .collect()
            }

            async fn program_definitions(&self) -> $crate::store::StoreResult<Vec<(String, String)>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT code, definition FROM programs ORDER BY code")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| Ok((row.try_get("code")?, row.try_get("definition")?)))
                    .collect()
            }

            async fn save_import(&self, import: $crate::store::NewImport) -> $crate::store::StoreResult<i64> {
                use sqlx::Row;
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO imports (kind, program, district, file_name, sha256, size_bytes, content, report, uploaded_at_us, uploaded_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(&import.kind)
                .bind(&import.program)
                .bind(&import.district)
                .bind(&import.file_name)
                .bind(&import.sha256)
                .bind(import.content.len() as i64)
                .bind(&import.content)
                .bind(&import.report_json)
                .bind(import.uploaded_at_us)
                .bind(&import.uploaded_by)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                let audit = $crate::store::AuditEvent {
                    at_us: import.uploaded_at_us,
                    actor: import.uploaded_by.clone(),
                    action: format!("import.upload.{}", import.kind),
                    outcome: "ok".into(),
                    detail: format!("import {id}: {} ({} bytes, sha256 {}) for program {} district {}",
                        import.file_name, import.content.len(), import.sha256, import.program, import.district),
                };
                insert_audit(&mut *tx, &audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn import_record(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::ImportRecord>> {
                let sql = format!("{} WHERE i.id = $1", $crate::store::common::IMPORT_SELECT);
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                row.map(|row| $crate::store::common::import_from_row(&row)).transpose()
            }

            async fn import_content(&self, id: i64) -> $crate::store::StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar("SELECT content FROM imports WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn committed_import_with_digest(&self, kind: &str, program: &str, district: &str, sha256: &str) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT import_id FROM import_commits WHERE kind = $1 AND program = $2 AND district = $3 AND sha256 = $4",
                )
                .bind(kind)
                .bind(program)
                .bind(district)
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn committed_imports(&self, kind: &str, program: &str) -> $crate::store::StoreResult<Vec<$crate::store::ImportRecord>> {
                let sql = format!(
                    "{} WHERE i.kind = $1 AND i.program = $2 AND c.import_id IS NOT NULL ORDER BY i.id",
                    $crate::store::common::IMPORT_SELECT
                );
                let rows = sqlx::query(&sql).bind(kind).bind(program).fetch_all(&self.pool).await?;
                rows.iter().map($crate::store::common::import_from_row).collect()
            }

            async fn commit(&self, batch: $crate::store::Batch) -> $crate::store::StoreResult<Vec<$crate::ledger::Checkpoint>> {
                let tx = self.begin_append().await?;
                $crate::store::commit::run(Box::new(tx), batch).await
            }

            async fn head(&self) -> $crate::store::StoreResult<Option<$crate::ledger::Checkpoint>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|row| Ok($crate::ledger::Checkpoint { seq: row.try_get("seq")?, hash: row.try_get("hash")? }))
                    .transpose()
            }

            async fn entry(&self, seq: i64) -> $crate::store::StoreResult<Option<$crate::ledger::Entry>> {
                let sql = format!("SELECT {} FROM journal_entries WHERE seq = $1", $crate::store::common::ENTRY_COLUMNS);
                let Some(row) = sqlx::query(&sql).bind(seq).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let (header, import_id) = $crate::store::common::header_from_row(&row)?;
                let sql = format!("SELECT {} FROM postings WHERE entry_seq = $1 ORDER BY idx", $crate::store::common::POSTING_COLUMNS);
                let rows = sqlx::query(&sql).bind(seq).fetch_all(&self.pool).await?;
                let postings = rows.iter().map($crate::store::common::posting_from_row).collect::<$crate::store::StoreResult<Vec<_>>>()?;
                $crate::store::entry_from_parts(header, postings, import_id).map(Some)
            }

            async fn corrections_of(&self, seq: i64) -> $crate::store::StoreResult<Vec<$crate::ledger::Entry>> {
                let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM journal_entries WHERE corrects_seq = $1 ORDER BY seq")
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

            async fn account_balance(&self, account: &str) -> $crate::store::StoreResult<i64> {
                let sum: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM account_totals WHERE account = $1")
                    .bind(account)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(sum.unwrap_or(0))
            }

            async fn account_sums(&self, as_of: Option<chrono::NaiveDate>, at_seq: Option<i64>) -> $crate::store::StoreResult<Vec<$crate::store::AccountSum>> {
                use sqlx::Row;
                let as_of = as_of.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "9999-12-31".into());
                let rows = sqlx::query(
                    "SELECT t.account, CAST(SUM(t.amount) AS BIGINT) AS amount, CAST(SUM(t.approvals_delta) AS BIGINT) AS approvals \
                     FROM account_totals t JOIN journal_entries e ON e.seq = t.entry_seq \
                     WHERE e.effective_date <= $1 AND e.seq <= $2 GROUP BY t.account ORDER BY t.account",
                )
                .bind(as_of)
                .bind(at_seq.unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| Ok($crate::store::AccountSum {
                        account: row.try_get("account")?,
                        amount_dong: row.try_get("amount")?,
                        approvals: row.try_get("approvals")?,
                    }))
                    .collect()
            }

            async fn beneficiary_balances(&self, account_prefix: &str) -> $crate::store::StoreResult<Vec<$crate::store::BeneficiaryBalance>> {
                let entries: Vec<(i64, String, String)> = sqlx::query_as($crate::store::common::ENTRIES_UNDER_PREFIX_SQL)
                    .bind(account_prefix.len() as i32)
                    .bind(account_prefix)
                    .fetch_all(&self.pool)
                    .await?;
                let seqs: Vec<i64> = entries.iter().map(|(seq, _, _)| *seq).collect();
                let decisions: $crate::store::common::Decisions = entries
                    .into_iter()
                    .filter(|(_, kind, _)| kind == "approval")
                    .map(|(seq, _, reference)| (seq, reference))
                    .collect();
                // The postings of entries already read never change: the two
                // halves are read at once, on two connections.
                let (earlier, later) = seqs.split_at(seqs.len() / 2);
                let (earlier, later) = futures_util::future::try_join(
                    person_postings(&self.pool, earlier, account_prefix),
                    person_postings(&self.pool, later, account_prefix),
                )
                .await?;
                let (earlier, later) = (posting_rows(&earlier)?, posting_rows(&later)?);
                Ok($crate::store::common::sum_balances(earlier.into_iter().chain(later), &decisions))
            }

            async fn approvals_of(&self, account_prefix: &str, national_ids: &[String]) -> $crate::store::StoreResult<Vec<$crate::store::ApprovedHolding>> {
                let sql = $crate::store::common::approvals_of_people_sql(&$in_list(3));
                let sql = $json_rows("beneficiary, account, approved, first_decision, last_decision", &sql);
                let json: Option<String> = sqlx::query_scalar(&sql)
                    .bind(account_prefix.len() as i32)
                    .bind(account_prefix)
                    .bind($list(national_ids))
                    .fetch_one(&self.pool)
                    .await?;
                type Row = (String, String, i64, Option<String>, Option<String>);
                let rows: Vec<Row> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
                    .map_err(|e| $crate::store::StoreError::Corrupt(format!("approvals of people: {e}")))?;
                Ok(rows
                    .into_iter()
                    .map(|(beneficiary, account, approved_dong, first, last)| $crate::store::ApprovedHolding {
                        beneficiary,
                        account,
                        approved_dong,
                        decisions: [first, last],
                    })
                    .collect())
            }

            async fn district_vouchers(&self, district: &str) -> $crate::store::StoreResult<Vec<String>> {
                let mut conn = self.pool.acquire().await?;
                vouchers_of(&mut *conn, &$crate::store::common::district_accounts_pattern(district)).await
            }

            async fn approval_sources(&self, program: &str, national_ids: &[String]) -> $crate::store::StoreResult<Vec<$crate::store::ApprovalSource>> {
                use sqlx::Row;
                let prefix = format!("payable:{program}:");
                let sql = format!(
                    "SELECT p.beneficiary, p.account, p.entry_seq, e.reference, p.source_line, e.import_id, i.file_name \
                     FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq LEFT JOIN imports i ON i.id = e.import_id \
                     WHERE p.beneficiary {} AND p.beneficiary IS NOT NULL AND p.reference IS NULL AND e.kind = 'approval' AND substr(p.account, 1, $2) = $3 \
                     ORDER BY p.entry_seq",
                    $in_list(1)
                );
                let rows = sqlx::query(&sql)
                    .bind($list(national_ids))
                    .bind(prefix.len() as i32)
                    .bind(&prefix)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| Ok($crate::store::ApprovalSource {
                        beneficiary: row.try_get("beneficiary")?,
                        account: row.try_get("account")?,
                        entry_seq: row.try_get("entry_seq")?,
                        reference: row.try_get("reference")?,
                        source_line: row.try_get("source_line")?,
                        import_id: row.try_get("import_id")?,
                        file_name: row.try_get("file_name")?,
                    }))
                    .collect()
            }

            async fn beneficiary_names_under(&self, account_prefix: &str) -> $crate::store::StoreResult<Vec<(String, String)>> {
                let documents: Vec<String> = sqlx::query_scalar(
                    "SELECT people FROM roll_people WHERE import_id IN (SELECT e.import_id FROM journal_entries e \
                     WHERE e.kind = 'approval' AND e.seq IN (SELECT entry_seq FROM account_totals WHERE substr(account, 1, $1) = $2))",
                )
                .bind(account_prefix.len() as i32)
                .bind(account_prefix)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::common::names_in(&documents, None)
            }

            async fn beneficiary_names(&self, national_ids: &[String]) -> $crate::store::StoreResult<Vec<(String, String)>> {
                // The name as written on the roll of the person's approval (the
                // lowest, should several rolls have approved them).
                let sql = format!(
                    "SELECT people FROM roll_people WHERE import_id IN (SELECT e.import_id FROM postings p \
                     JOIN journal_entries e ON e.seq = p.entry_seq WHERE p.beneficiary {} AND {})",
                    $in_list(1),
                    $crate::store::common::APPROVED_POSTINGS_OF_P
                );
                let documents: Vec<String> = sqlx::query_scalar(&sql)
                    .bind($list(national_ids))
                    .fetch_all(&self.pool)
                    .await?;
                let wanted: std::collections::HashSet<&str> = national_ids.iter().map(String::as_str).collect();
                $crate::store::common::names_in(&documents, Some(&wanted))
            }

            async fn scan(&self, sink: &mut dyn $crate::store::JournalSink) -> $crate::store::StoreResult<()> {
                use futures_util::TryStreamExt;
                use sqlx::Row;
                // One snapshot for the whole scan, so that entries appended
                // meanwhile are simply not seen.
                let mut tx = self.pool.begin_with($snapshot).await?;
                let sql = format!("SELECT {} FROM journal_entries ORDER BY seq", $crate::store::common::ENTRY_COLUMNS);
                let mut seqs = Vec::new();
                {
                    let mut rows = sqlx::query(&sql).fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await? {
                        let header = $crate::store::common::header_from_row(&row)?.0;
                        seqs.push(header.seq);
                        sink.header(header);
                    }
                }
                {
                    let mut rows = sqlx::query("SELECT entry_seq, account, amount, approvals_delta FROM account_totals ORDER BY entry_seq, account")
                        .fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await? {
                        let total = $crate::ledger::totals::AccountTotal {
                            amount_dong: row.try_get("amount")?,
                            approvals_delta: row.try_get("approvals_delta")?,
                        };
                        sink.total(row.try_get("entry_seq")?, row.try_get("account")?, total);
                    }
                }
                // Postings of entries that are not in the journal: the verifier must see them.
                let mut orphans: Vec<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT entry_seq FROM postings WHERE entry_seq NOT IN (SELECT seq FROM journal_entries)",
                )
                .fetch_all(&mut *tx)
                .await?;
                seqs.append(&mut orphans);
                seqs.sort_unstable();
                scan_postings(&mut *tx, &seqs, sink).await?;
                tx.commit().await?;
                Ok(())
            }

            $($specific)*
        }

        async fn insert_audit<'e, E>(executor: E, event: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()>
        where
            E: sqlx::Executor<'e, Database = <$store as $crate::store::common::HasDatabase>::Db>,
        {
            sqlx::query("INSERT INTO audit_events (at_us, actor, action, outcome, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(event.at_us)
                .bind(&event.actor)
                .bind(&event.action)
                .bind(&event.outcome)
                .bind(&event.detail)
                .execute(executor)
                .await?;
            Ok(())
        }
    };
}

/// Expands the `LedgerTx` methods whose SQL is the same on both backends;
/// the backend passes its bulk inserts in `$specific`.
macro_rules! impl_ledger_tx {
    ($tx:ty, $list:path, $in_list:expr, { $($specific:tt)* }) => {
        #[async_trait::async_trait]
        impl $crate::store::commit::LedgerTx for $tx {
            async fn approval_holders(&mut self, program: &str, national_ids: &[String], after_seq: i64) -> $crate::store::StoreResult<Vec<String>> {
                let prefix = format!("payable:{program}:");
                // Approved = the postings without a voucher reference (approvals
                // and their reversals); payments carry one.
                use $crate::store::common::APPROVED_POSTINGS;
                let sql = format!(
                    "SELECT beneficiary FROM postings WHERE beneficiary {} AND {APPROVED_POSTINGS} AND substr(account, 1, $2) = $3 \
                     GROUP BY beneficiary HAVING SUM(amount) > 0 AND SUM(CASE WHEN entry_seq > $4 AND amount > 0 THEN 1 ELSE 0 END) > 0",
                    $in_list(1)
                );
                Ok(sqlx::query_scalar(&sql)
                    .bind($list(national_ids))
                    .bind(prefix.len() as i32)
                    .bind(&prefix)
                    .bind(after_seq)
                    .fetch_all(&mut *self.tx)
                    .await?)
            }

            async fn accounts_changed_since(&mut self, pattern: &str, after_seq: i64, approvals_only: bool) -> $crate::store::StoreResult<bool> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT entry_seq FROM account_totals WHERE entry_seq > $1 AND account LIKE $2 \
                     AND (approvals_delta > 0 OR NOT $3) LIMIT 1",
                )
                .bind(after_seq)
                .bind(pattern)
                .bind(approvals_only)
                .fetch_optional(&mut *self.tx)
                .await?;
                Ok(found.is_some())
            }

            async fn head(&mut self) -> $crate::store::StoreResult<Option<(i64, String)>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.map(|row| Ok((row.try_get("seq")?, row.try_get("hash")?))).transpose()
            }

            async fn account_balance(&mut self, account: &str) -> $crate::store::StoreResult<i64> {
                let sum: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM account_totals WHERE account = $1")
                    .bind(account)
                    .fetch_one(&mut *self.tx)
                    .await?;
                Ok(sum.unwrap_or(0))
            }

            async fn import_already_committed(&mut self, commit: &$crate::store::ImportCommit) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT import_id FROM import_commits WHERE (kind = $1 AND program = $2 AND district = $3 AND sha256 = $4) OR import_id = $5",
                )
                .bind(&commit.kind)
                .bind(&commit.program)
                .bind(&commit.district)
                .bind(&commit.sha256)
                .bind(commit.import_id)
                .fetch_optional(&mut *self.tx)
                .await?)
            }

            async fn insert_program(&mut self, code: &str, definition: &str, at_us: i64, actor: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO programs (code, definition, created_at_us, created_by) VALUES ($1, $2, $3, $4)")
                    .bind(code)
                    .bind(definition)
                    .bind(at_us)
                    .bind(actor)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(|e| match e {
                        sqlx::Error::Database(ref d) if d.is_unique_violation() => $crate::store::StoreError::Conflict(
                            format!("program '{code}' already exists / chương trình đã tồn tại"),
                        ),
                        other => other.into(),
                    })?;
                Ok(())
            }

            async fn insert_import_commit(&mut self, commit: &$crate::store::ImportCommit, at_us: i64, actor: &str, seqs: Option<(i64, i64)>) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO import_commits (import_id, kind, program, district, sha256, committed_at_us, committed_by, first_seq, last_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(commit.import_id)
                .bind(&commit.kind)
                .bind(&commit.program)
                .bind(&commit.district)
                .bind(&commit.sha256)
                .bind(at_us)
                .bind(actor)
                .bind(seqs.map(|s| s.0))
                .bind(seqs.map(|s| s.1))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn insert_roll_people(&mut self, import_id: i64, people: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO roll_people (import_id, people) VALUES ($1, $2)")
                    .bind(import_id)
                    .bind(people)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn insert_audit(&mut self, event: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                insert_audit(&mut *self.tx, event).await
            }

            async fn commit(self: Box<Self>) -> $crate::store::StoreResult<()> {
                self.tx.commit().await?;
                Ok(())
            }

            $($specific)*
        }
    };
}

pub(crate) use impl_ledger_tx;
pub(crate) use impl_store;

/// Names the sqlx database type of a backend, for helpers generic over executors.
pub trait HasDatabase {
    type Db: sqlx::Database;
}
