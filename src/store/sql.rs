//! The query texts both backends share, grouped by table family. sqlx
//! accepts `$N` placeholders on SQLite and PostgreSQL alike, so a query is
//! written once here; where the backends differ only in how a list parameter
//! is tested (`IN (SELECT value FROM json_each($N))` on SQLite, `= ANY($N)`
//! on PostgreSQL), the query is a function of that test, `in_list`. What
//! differs more (bulk inserts, locking, aggregating rows into one message)
//! stays in the backend's own folder. Also here: how a domain
//! [`AccountScope`] / [`AccountPrefix`] becomes SQL parameters.

use crate::domain::{AccountPrefix, AccountScope};

// ----- users, sessions, audit -----

pub const INSERT_USER: &str =
    "INSERT INTO users (username, role, district, password_hash, created_at_us) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id, username, role, district";
pub const USER_COUNT: &str = "SELECT COUNT(*) FROM users";
pub const FIND_USER: &str =
    "SELECT id, username, role, district, password_hash FROM users WHERE lower(username) = lower($1)";
pub const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us) VALUES ($1, $2, $3, $4)";
pub const SESSION_USER: &str =
    "SELECT u.id, u.username, u.role, u.district FROM sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND s.expires_at_us > $2";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
pub const INSERT_AUDIT: &str =
    "INSERT INTO audit_events (at_us, actor, action, outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// The newest audit event's id and hash (NULL before the chain began): the
/// link of the next event, and the anchor of the next entries.
pub const AUDIT_HEAD: &str = "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1";
/// The events recorded before the chain began, in id order: what its first event seals.
pub const UNCHAINED_AUDIT: &str =
    "SELECT id, at_us, actor, action, outcome, detail FROM audit_events WHERE hash IS NULL ORDER BY id";
/// The whole audit trail, in chain order, for verification.
/// (After event `$1`.)
pub const SCAN_AUDIT: &str =
    "SELECT id, at_us, actor, action, outcome, detail, prev_hash, hash FROM audit_events WHERE id > $1 ORDER BY id";
/// The stored hash of one audit event.
pub const AUDIT_HASH: &str = "SELECT hash FROM audit_events WHERE id = $1";
pub const AUDIT_EVENTS: &str =
    "SELECT id, at_us, actor, action, outcome, detail FROM audit_events ORDER BY id DESC LIMIT $1";

// ----- programs and imports -----

pub const PROGRAM_DEFINITIONS: &str = "SELECT code, definition FROM programs ORDER BY code";
pub const INSERT_PROGRAM: &str =
    "INSERT INTO programs (code, definition, created_at_us, created_by) VALUES ($1, $2, $3, $4)";
pub const INSERT_IMPORT: &str =
    "INSERT INTO imports (kind, program, district, file_name, sha256, size_bytes, content, report, uploaded_at_us, uploaded_by, content_encoding) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
pub const IMPORT_SELECT: &str =
    "SELECT i.id, i.kind, i.program, i.district, i.file_name, i.sha256, i.size_bytes, \
     i.uploaded_at_us, i.uploaded_by, i.report, c.committed_by, c.committed_at_us \
     FROM imports i LEFT JOIN import_commits c ON c.import_id = i.id";
pub const IMPORT_CONTENT: &str =
    "SELECT content_encoding, content, size_bytes FROM imports WHERE id = $1";
pub const COMMITTED_IMPORT_WITH_DIGEST: &str =
    "SELECT import_id FROM import_commits WHERE kind = $1 AND program = $2 AND district = $3 AND sha256 = $4";
/// The commit of the same file (kind, program, district, digest) or of the same import.
pub const COMMITTED_IMPORT: &str =
    "SELECT import_id FROM import_commits WHERE (kind = $1 AND program = $2 AND district = $3 AND sha256 = $4) OR import_id = $5";
pub const INSERT_IMPORT_COMMIT: &str =
    "INSERT INTO import_commits (import_id, kind, program, district, sha256, report_sha256, people_sha256, committed_at_us, committed_by, first_seq, last_seq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// Every import commit, for verification (after entry `$1`: the commits
/// whose entries follow it, and any without entries).
pub const SCAN_IMPORT_COMMITS: &str =
    "SELECT import_id, kind, program, district, sha256, report_sha256, people_sha256, first_seq, last_seq, \
     committed_by, committed_at_us FROM import_commits WHERE first_seq IS NULL OR first_seq > $1 ORDER BY import_id";
/// What is stored of one import as evidence: its file, its report, its people.
pub const IMPORT_EVIDENCE: &str =
    "SELECT i.id AS import_id, i.kind, i.program, i.district, i.file_name, i.sha256, i.size_bytes, \
     i.content_encoding, i.content, i.report, p.people FROM imports i LEFT JOIN roll_people p ON p.import_id = i.id WHERE i.id = $1";
pub const INSERT_ROLL_PEOPLE: &str = "INSERT INTO roll_people (import_id, people) VALUES ($1, $2)";

pub fn import_by_id() -> String {
    format!("{IMPORT_SELECT} WHERE i.id = $1")
}

pub fn committed_imports_of_program() -> String {
    format!(
        "{IMPORT_SELECT} WHERE i.kind = $1 AND i.program = $2 AND c.import_id IS NOT NULL ORDER BY i.id"
    )
}

// ----- the journal -----

/// Postings that approve (or reverse an approval): those of a person without
/// a voucher reference. Written as the partial index `postings_approved` is,
/// so that both backends use it.
pub const APPROVED_POSTINGS: &str = "beneficiary IS NOT NULL AND reference IS NULL";
pub const APPROVED_POSTINGS_OF_P: &str = "p.beneficiary IS NOT NULL AND p.reference IS NULL";

pub const ENTRY_COLUMNS: &str = "seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, prev_hash, hash, import_id, \
     CAST(encoding AS BIGINT) AS encoding, audit_anchor_id, audit_anchor_hash";
pub const POSTING_COLUMNS: &str = "entry_seq, account, amount, beneficiary, source_line, reference";

pub const HEAD: &str = "SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1";
pub const CORRECTIONS_OF: &str =
    "SELECT seq FROM journal_entries WHERE corrects_seq = $1 ORDER BY seq";
/// The beneficiaries (NULL for postings without one) of the postings of the
/// entries that correct entry `$1`.
pub const CORRECTED_BENEFICIARIES: &str =
    "SELECT DISTINCT p.beneficiary FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq \
     WHERE e.corrects_seq = $1";
/// Uploads of district `$1` since `$2` (µs) that were never committed.
pub const UNCOMMITTED_UPLOADS_SINCE: &str =
    "SELECT COUNT(*) FROM imports i LEFT JOIN import_commits c ON c.import_id = i.id \
     WHERE i.district = $1 AND i.uploaded_at_us >= $2 AND c.import_id IS NULL";
/// The balance of each account in list parameter `$1`.
pub fn account_balances(in_list: &str) -> String {
    format!(
        "SELECT account, CAST(SUM(amount) AS BIGINT) FROM account_totals WHERE account {in_list} GROUP BY account"
    )
}
pub const ACCOUNT_BALANCE: &str =
    "SELECT CAST(SUM(amount) AS BIGINT) FROM account_totals WHERE account = $1";
/// Totals per account of the entries effective on or before `$1` and at or
/// before seq `$2`.
pub const ACCOUNT_SUMS: &str =
    "SELECT t.account, CAST(SUM(t.amount) AS BIGINT) AS amount, CAST(SUM(t.approvals_delta) AS BIGINT) AS approvals \
     FROM account_totals t JOIN journal_entries e ON e.seq = t.entry_seq \
     WHERE e.effective_date <= $1 AND e.seq <= $2 GROUP BY t.account ORDER BY t.account";
/// An upper date bound after every date.
pub const NO_DATE_BOUND: &str = "9999-12-31";
/// [`ACCOUNT_SUMS`] bounded by seq alone: no entry needs reading (what an
/// incremental verify asks on every request).
pub const ACCOUNT_SUMS_AT_SEQ: &str =
    "SELECT account, CAST(SUM(amount) AS BIGINT) AS amount, CAST(SUM(approvals_delta) AS BIGINT) AS approvals \
     FROM account_totals WHERE entry_seq <= $1 GROUP BY account ORDER BY account";
/// The `$2` of [`ACCOUNT_SUMS`] when no seq bounds the sums: after every seq.
pub const NO_SEQ_BOUND: i64 = i64::MAX;

pub fn entry_by_seq() -> String {
    format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE seq = $1")
}

pub fn postings_of_entry() -> String {
    format!("SELECT {POSTING_COLUMNS} FROM postings WHERE entry_seq = $1 ORDER BY idx")
}

/// What the people in list parameter `$3` hold approved on the accounts under
/// prefix `$2` (of length `$1`), through the index of approving postings, with
/// the approving decision (lowest and highest, should a person have been
/// approved again after a reversal).
pub fn approvals_of_people(in_list: &str) -> String {
    format!(
        "SELECT p.beneficiary AS beneficiary, p.account AS account, CAST(SUM(p.amount) AS BIGINT) AS approved, \
         MIN(CASE WHEN e.kind = 'approval' THEN e.reference END) AS first_decision, \
         MAX(CASE WHEN e.kind = 'approval' THEN e.reference END) AS last_decision \
         FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq \
         WHERE p.beneficiary {in_list} AND {APPROVED_POSTINGS_OF_P} AND substr(p.account, 1, $1) = $2 \
         GROUP BY p.beneficiary, p.account"
    )
}

/// The columns of each row of [`approvals_of_people`], for the backends'
/// JSON aggregation.
pub const APPROVALS_OF_PEOPLE_COLUMNS: &str =
    "beneficiary, account, approved, first_decision, last_decision";

/// The entries that touch accounts under prefix `$2` (of length `$1`), with
/// their kind and reference, found in the small `account_totals` table: a
/// district's listing reads its own entries, not every posting of the ledger.
pub const ENTRIES_UNDER_PREFIX: &str = "SELECT e.seq, e.kind, e.reference FROM journal_entries e \
     WHERE e.seq IN (SELECT entry_seq FROM account_totals WHERE substr(account, 1, $1) = $2) \
     ORDER BY e.seq";

/// Every posting of a person in the entries of list parameter `$3` on the
/// accounts under prefix `$2` (of length `$1`), one row each: summing them in
/// Rust costs a fraction of a `GROUP BY`.
pub fn person_postings(in_list: &str) -> String {
    format!(
        "SELECT beneficiary, account, amount, CASE WHEN reference IS NULL THEN 0 ELSE 1 END AS voucher, entry_seq \
         FROM postings WHERE entry_seq {in_list} \
         AND beneficiary IS NOT NULL AND substr(account, 1, $1) = $2"
    )
}

/// The voucher references on postings of the payment entries (and their
/// reversals) that touch an account matching the `LIKE` pattern `$1`.
pub const VOUCHERS: &str =
    "SELECT reference FROM postings WHERE reference IS NOT NULL AND entry_seq IN \
     (SELECT t.entry_seq FROM account_totals t JOIN journal_entries e ON e.seq = t.entry_seq \
      WHERE t.account LIKE $1 AND e.kind IN ('payment', 'reversal'))";

/// Where the approvals of the people in list parameter `$1` on the accounts
/// under prefix `$3` (of length `$2`) came from: entry, file and line.
pub fn approval_sources(in_list: &str) -> String {
    format!(
        "SELECT p.beneficiary, p.account, p.entry_seq, e.reference, p.source_line, e.import_id, i.file_name \
         FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq LEFT JOIN imports i ON i.id = e.import_id \
         WHERE p.beneficiary {in_list} AND p.beneficiary IS NOT NULL AND p.reference IS NULL AND e.kind = 'approval' AND substr(p.account, 1, $2) = $3 \
         ORDER BY p.entry_seq"
    )
}

/// The people documents of the approval rolls whose entries touch accounts
/// under prefix `$2` (of length `$1`).
pub const ROLL_PEOPLE_UNDER_PREFIX: &str =
    "SELECT people FROM roll_people WHERE import_id IN (SELECT e.import_id FROM journal_entries e \
     WHERE e.kind = 'approval' AND e.seq IN (SELECT entry_seq FROM account_totals WHERE substr(account, 1, $1) = $2))";

/// The people documents of the rolls that approved the people in list
/// parameter `$1`.
pub fn roll_people_of(in_list: &str) -> String {
    format!(
        "SELECT people FROM roll_people WHERE import_id IN (SELECT e.import_id FROM postings p \
         JOIN journal_entries e ON e.seq = p.entry_seq WHERE p.beneficiary {in_list} AND {APPROVED_POSTINGS_OF_P})"
    )
}

/// The entries after `$1`.
pub fn scan_entries() -> String {
    format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE seq > $1 ORDER BY seq")
}
pub const SCAN_TOTALS: &str = "SELECT entry_seq, account, amount, approvals_delta FROM account_totals WHERE entry_seq > $1 ORDER BY entry_seq, account";
/// The stored hash of one entry.
pub const ENTRY_HASH: &str = "SELECT hash FROM journal_entries WHERE seq = $1";

// ----- read models -----

pub const PERSON_COLUMNS: &str = "program, district, national_id, category, full_name, name_key, \
     outstanding, paid, approvals, status, refused";
/// [`PERSON_COLUMNS`] of the table aliased `p`.
pub const PERSON_COLUMNS_OF_P: &str = "p.program, p.district, p.national_id, p.category, \
     p.full_name, p.name_key, p.outstanding, p.paid, p.approvals, p.status, p.refused";
pub const SCOPE_TOTAL_COLUMNS: &str =
    "program, district, status, beneficiaries, approved, paid, outstanding";
pub const READ_MODELS_BUILT: &str = "SELECT built FROM read_model_state WHERE id = 1";
pub const MARK_READ_MODELS_BUILT: &str = "UPDATE read_model_state SET built = TRUE WHERE id = 1";
/// Every row of a program and district, figures only (a commit's cache).
pub const SCOPE_FIGURES: &str = "SELECT national_id, category, outstanding, paid, approvals, \
     refused IS NOT NULL AS has_refused FROM person_balances WHERE program = $1 AND district = $2";
/// What an upsert of person rows sets on a row that exists.
pub const PERSON_UPSERT: &str = " ON CONFLICT (program, district, national_id) DO UPDATE SET \
     category = excluded.category, full_name = excluded.full_name, name_key = excluded.name_key, \
     outstanding = excluded.outstanding, paid = excluded.paid, approvals = excluded.approvals, \
     status = excluded.status, refused = excluded.refused";
/// What adding to scope totals does to a row that exists.
pub const SCOPE_TOTALS_ADD: &str = " ON CONFLICT (program, district, status) DO UPDATE SET \
     beneficiaries = scope_totals.beneficiaries + excluded.beneficiaries, \
     approved = scope_totals.approved + excluded.approved, \
     paid = scope_totals.paid + excluded.paid, \
     outstanding = scope_totals.outstanding + excluded.outstanding";
pub fn all_person_records() -> String {
    format!("SELECT {PERSON_COLUMNS} FROM person_balances ORDER BY program, district, national_id")
}
pub fn all_scope_totals() -> String {
    format!(
        "SELECT {SCOPE_TOTAL_COLUMNS} FROM scope_totals WHERE beneficiaries <> 0 OR approved <> 0 \
         OR paid <> 0 OR outstanding <> 0 ORDER BY program, district, status"
    )
}
/// The people of `filter`'s scope that are not settled: `$1` program, `$2`
/// district (NULL: all), `$3` ID prefix and `$4` its end (NULL: any), `$5`
/// a LIKE pattern of the folded name (NULL: any), `$6` status (NULL: any).
const PERSON_SCOPE: &str = "FROM person_balances WHERE program = $1 \
     AND ($2 IS NULL OR district = $2) AND status <> 'settled' \
     AND ($3 IS NULL OR (national_id >= $3 AND national_id < $4)) \
     AND ($5 IS NULL OR name_key LIKE $5) AND ($6 IS NULL OR status = $6)";
pub fn person_page() -> String {
    format!(
        "SELECT {PERSON_COLUMNS} {PERSON_SCOPE} ORDER BY district, national_id LIMIT $7 OFFSET $8"
    )
}
pub fn person_count() -> String {
    format!("SELECT COUNT(*) {PERSON_SCOPE}")
}
/// Totals of a program's districts (`$2` NULL: all).
pub fn scope_totals_of() -> String {
    format!(
        "SELECT {SCOPE_TOTAL_COLUMNS} FROM scope_totals WHERE program = $1 AND ($2 IS NULL OR district = $2) \
         ORDER BY district, status"
    )
}
pub const LAST_VERIFICATION: &str =
    "SELECT seq, hash, audit_id, audit_hash, full_check, verified_at_us FROM verifications ORDER BY id DESC LIMIT 1";
pub const INSERT_VERIFICATION: &str =
    "INSERT INTO verifications (seq, hash, audit_id, audit_hash, full_check, verified_at_us) VALUES ($1, $2, $3, $4, $5, $6)";

// ----- the append transaction -----

/// Which of the people in list parameter `$1` hold a positive sum of
/// approving postings under prefix `$3` (of length `$2`), one of them after
/// seq `$4`. Approved = the postings without a voucher reference (approvals
/// and their reversals); payments carry one.
pub fn approval_holders(in_list: &str) -> String {
    format!(
        "SELECT beneficiary FROM postings WHERE beneficiary {in_list} AND {APPROVED_POSTINGS} AND substr(account, 1, $2) = $3 \
         GROUP BY beneficiary HAVING SUM(amount) > 0 AND SUM(CASE WHEN entry_seq > $4 AND amount > 0 THEN 1 ELSE 0 END) > 0"
    )
}

/// An entry after seq `$1` with a total on an account matching the `LIKE`
/// pattern `$2` (adding an approval, when `$3`).
pub const ACCOUNTS_CHANGED_SINCE: &str =
    "SELECT entry_seq FROM account_totals WHERE entry_seq > $1 AND account LIKE $2 \
     AND (approvals_delta > 0 OR NOT $3) LIMIT 1";

// ----- account scopes as parameters -----

/// The length parameter that goes with a prefix in `substr(account, 1, $N)
/// = $M`. A prefix too long for an `i32` is longer than any account path
/// (128 characters at most), so no account is under it, and neither is one
/// under the longest length.
pub fn prefix_length(prefix: &AccountPrefix) -> i32 {
    i32::try_from(prefix.as_str().len()).unwrap_or(i32::MAX)
}

/// The `LIKE` pattern of a scope's accounts. Codes hold no `:`, and
/// district codes are digits.
pub fn like_pattern(scope: &AccountScope) -> String {
    match scope {
        AccountScope::Under(prefix) => format!("{prefix}%"),
        AccountScope::PayableOfDistrict(district) => format!("payable:%:{district}:%"),
    }
}

// ----- listings (offset and limit last: `$N+1` limit, `$N+2` offset) -----

/// Bounds of the µs time filters when none is given.
pub const NO_TIME_LOWER_BOUND: i64 = i64::MIN;
pub const NO_TIME_UPPER_BOUND: i64 = i64::MAX;
/// The first and last dates an entry filter takes when none is given.
pub const NO_DATE_LOWER_BOUND: &str = "0000-01-01";

const IMPORTS_WHERE: &str = "FROM imports i LEFT JOIN import_commits c ON c.import_id = i.id \
     WHERE ($1 IS NULL OR i.program = $1) AND ($2 IS NULL OR i.district = $2) AND ($3 IS NULL OR i.kind = $3) \
     AND ($4 IS NULL OR (c.import_id IS NOT NULL) = $4) AND i.uploaded_at_us >= $5 AND i.uploaded_at_us < $6";

/// Uploads matching program `$1`, district `$2`, kind `$3`, committed `$4`,
/// uploaded in `[$5, $6)`, without their reports (a listing shows none).
pub fn imports_page() -> String {
    format!(
        "SELECT i.id, i.kind, i.program, i.district, i.file_name, i.sha256, i.size_bytes, \
         i.uploaded_at_us, i.uploaded_by, '' AS report, c.committed_by, c.committed_at_us \
         {IMPORTS_WHERE} ORDER BY i.id LIMIT $7 OFFSET $8"
    )
}
pub fn imports_count() -> String {
    format!("SELECT COUNT(*) {IMPORTS_WHERE}")
}

const ENTRIES_WHERE: &str = "FROM journal_entries e \
     WHERE ($1 IS NULL OR e.kind = $1) AND e.effective_date >= $2 AND e.effective_date <= $3 \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM account_totals t WHERE t.entry_seq = e.seq \
          AND (t.account LIKE $4 OR t.account LIKE $5)))";

/// Entries of kind `$1` effective in `[$2, $3]` touching an account like
/// `$4` or `$5`, with their posting counts.
pub fn entries_page() -> String {
    format!(
        "SELECT e.seq, e.effective_date, e.recorded_at_us, e.actor, e.kind, e.reference, e.memo, \
         e.corrects_seq, e.import_id, e.hash, \
         (SELECT COUNT(*) FROM postings p WHERE p.entry_seq = e.seq) AS postings_count \
         {ENTRIES_WHERE} ORDER BY e.seq LIMIT $6 OFFSET $7"
    )
}
pub fn entries_count() -> String {
    format!("SELECT COUNT(*) {ENTRIES_WHERE}")
}

pub fn postings_page() -> String {
    format!("SELECT {POSTING_COLUMNS} FROM postings WHERE entry_seq = $1 ORDER BY idx LIMIT $2 OFFSET $3")
}
pub const POSTINGS_COUNT: &str = "SELECT COUNT(*) FROM postings WHERE entry_seq = $1";

const AUDIT_WHERE: &str = "FROM audit_events WHERE ($1 IS NULL OR actor = $1) \
     AND ($2 IS NULL OR substr(action, 1, length($2)) = $2) AND at_us >= $3 AND at_us < $4";

/// Audit events of actor `$1` whose action starts with `$2`, at `[$3, $4)`.
pub fn audit_page() -> String {
    format!(
        "SELECT id, at_us, actor, action, outcome, detail {AUDIT_WHERE} ORDER BY id LIMIT $5 OFFSET $6"
    )
}
pub fn audit_count() -> String {
    format!("SELECT COUNT(*) {AUDIT_WHERE}")
}

/// A disabled user's password hash starts with `!` (as in /etc/shadow):
/// no password verifies against it.
pub const USERS_PAGE: &str =
    "SELECT id, username, role, district, (substr(password_hash, 1, 1) = '!') AS disabled \
     FROM users ORDER BY id LIMIT $1 OFFSET $2";
pub const REPLACE_PASSWORD_HASH: &str =
    "UPDATE users SET password_hash = $1 WHERE lower(username) = lower($2) RETURNING id, username, role, district";
pub const END_SESSIONS_OF_USER: &str = "DELETE FROM sessions WHERE user_id = $1";

/// The parameters `$1`–`$6` of [`person_page`] and [`person_count`].
pub struct PersonScope<'a> {
    pub program: &'a str,
    pub district: Option<&'a str>,
    pub id_from: Option<String>,
    pub id_until: Option<String>,
    pub name_like: Option<String>,
    pub status: Option<&'a str>,
}

impl PersonScope<'_> {
    pub fn of(filter: &super::PersonFilter) -> PersonScope<'_> {
        // IDs are digits (or letters): every one that starts with the
        // prefix sorts below the prefix followed by `~`.
        let prefix = filter.national_id_prefix.as_deref();
        PersonScope {
            program: &filter.program,
            district: filter.district.as_deref(),
            id_from: prefix.map(str::to_string),
            id_until: prefix.map(|prefix| format!("{prefix}~")),
            name_like: filter.name_part.as_deref().map(|part| {
                let plain: String = part
                    .chars()
                    .filter(|c| !matches!(c, '%' | '_' | '\\'))
                    .collect();
                format!("%{plain}%")
            }),
            status: filter.status.as_deref(),
        }
    }
}

/// Binds a [`PersonScope`]'s six parameters to a query of either backend.
macro_rules! bind_person_scope {
    ($query:expr, $scope:expr) => {
        $query
            .bind($scope.program)
            .bind($scope.district)
            .bind($scope.id_from.as_deref())
            .bind($scope.id_until.as_deref())
            .bind($scope.name_like.as_deref())
            .bind($scope.status)
    };
}
pub(crate) use bind_person_scope;

/// Binds a verification's reach to [`INSERT_VERIFICATION`].
macro_rules! bind_verification {
    ($query:expr, $reach:expr) => {
        $query
            .bind($reach.head.seq)
            .bind($reach.head.hash.as_str())
            .bind($reach.audit_head.as_ref().map(|a| a.seq))
            .bind($reach.audit_head.as_ref().map(|a| a.hash.as_str()))
            .bind($reach.full_check)
            .bind($reach.verified_at_us)
    };
}
pub(crate) use bind_verification;

/// The entry headers, then the per-entry totals, after entry `$after_seq`,
/// read on the connection `$conn` of either backend and handed to `$sink`
/// (all of them before any posting, as the verifier expects).
macro_rules! read_headers_and_totals {
    ($conn:expr, $after_seq:expr, $sink:expr) => {{
        use futures_util::TryStreamExt as _;
        {
            let sql = $crate::store::sql::scan_entries();
            let mut found = sqlx::query(&sql).bind($after_seq).fetch(&mut *$conn);
            while let Some(row) = found.try_next().await? {
                $sink.header($crate::store::rows::header_from_row(&row)?);
            }
        }
        let mut found = sqlx::query($crate::store::sql::SCAN_TOTALS)
            .bind($after_seq)
            .fetch(&mut *$conn);
        while let Some(row) = found.try_next().await? {
            let (entry_seq, account, total) = $crate::store::rows::total_from_row(&row)?;
            $sink.total(entry_seq, account, total);
        }
    }};
}
pub(crate) use read_headers_and_totals;

/// What each import of `$import_ids` stored, read on the connection
/// `$conn` of either backend and handed to `$sink` in order, the next file
/// read while the last is checked (no further: files can be large).
macro_rules! read_evidence {
    ($conn:expr, $import_ids:expr, $sink:expr) => {{
        let (sender, receiver) =
            tokio::sync::mpsc::channel($crate::store::overlap::EVIDENCE_IN_FLIGHT);
        let conn = &mut *$conn;
        let produce = async move {
            for &import_id in $import_ids {
                let row = sqlx::query($crate::store::sql::IMPORT_EVIDENCE)
                    .bind(import_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                // A commit without its import cannot be stored (foreign
                // key); the verifier reports a commit whose evidence never
                // came.
                let stored = row
                    .map(|row| $crate::store::rows::evidence_from_row(&row))
                    .transpose()?;
                if let Some(stored) = stored {
                    if sender.send(stored).await.is_err() {
                        break;
                    }
                }
            }
            Ok(())
        };
        $crate::store::overlap::overlapped(produce, receiver, |stored| {
            $sink.import_evidence(stored);
            Ok(())
        })
        .await
    }};
}
pub(crate) use read_evidence;

/// A reconciliation page read in the open read transaction `$tx` (one
/// snapshot) of either backend: the head, whether the read models are
/// built, the page of people, their count and the scope's totals.
macro_rules! read_reconciliation_view {
    ($tx:expr, $filter:expr, $page:expr) => {{
        let head = match sqlx::query($crate::store::sql::HEAD)
            .fetch_optional(&mut *$tx)
            .await?
        {
            Some(row) => Some($crate::store::rows::checkpoint_from_row(&row)?),
            None => None,
        };
        let built: bool = sqlx::query_scalar($crate::store::sql::READ_MODELS_BUILT)
            .fetch_one(&mut *$tx)
            .await?;
        let scope = $crate::store::sql::PersonScope::of($filter);
        let people = $crate::store::sql::bind_person_scope!(
            sqlx::query(&$crate::store::sql::person_page()),
            scope
        )
        .bind($page.limit)
        .bind($page.offset)
        .fetch_all(&mut *$tx)
        .await?
        .iter()
        .map($crate::store::rows::person_record_from_row)
        .collect::<$crate::store::StoreResult<Vec<_>>>()?;
        let total: i64 = $crate::store::sql::bind_person_scope!(
            sqlx::query_scalar(&$crate::store::sql::person_count()),
            scope
        )
        .fetch_one(&mut *$tx)
        .await?;
        let totals = sqlx::query(&$crate::store::sql::scope_totals_of())
            .bind(&$filter.program)
            .bind($filter.district.as_deref())
            .fetch_all(&mut *$tx)
            .await?
            .iter()
            .map($crate::store::rows::scope_total_from_row)
            .collect::<$crate::store::StoreResult<Vec<_>>>()?;
        $crate::store::ReconciliationView {
            head,
            built,
            people: $crate::store::Listed {
                rows: people,
                total,
            },
            totals,
        }
    }};
}
pub(crate) use read_reconciliation_view;
