//! Storage: rows in, rows out. One [`Store`] trait, a SQLite and a
//! PostgreSQL backend chosen by the URL scheme, each with its own embedded
//! migrations. The store knows no ledger rules and no roles: the ledger
//! decides what may be appended and drives the store's append transaction
//! ([`AppendTx`]); use cases read through the trait. SQL lives here only:
//! the query texts both backends share in `sql`, the row mapping they share
//! in `rows`, and each backend's own connection handling, list parameters
//! and bulk inserts in its folder, grouped by table family. The rows the
//! store takes and returns that are not domain values are in `records`.
//!
//! A backend implements [`Store`] (its name and [`Store::begin_append`]),
//! the three table families [`UserStore`], [`ImportStore`] and
//! [`JournalStore`], and an [`AppendTx`]; [`Store`]'s doc says what each
//! must guarantee.

pub mod backup;
mod migrations;
mod overlap;
pub mod person_cache;
pub(crate) mod records;
mod rows;
mod sql;

pub mod postgres;
pub mod sqlite;

use crate::domain::journal::{
    AccountTotal, AuditAnchor, Checkpoint, Entry, ImportEvidence, StoredHeader, StoredPosting,
};
use crate::domain::{AccountPrefix, AccountScope, LedgerCode, NewUser, User};
use async_trait::async_trait;
use chrono::NaiveDate;
use std::sync::Arc;

pub use records::{
    AccountSum, ApprovalSource, ApprovedHolding, AuditEvent, AuditFilter, AuditRecord,
    BeneficiaryBalance, ChainedAuditEvent, EntryFilter, EntryRow, EntrySummary, ImportFilter,
    ImportKey, ImportRecord, Listed, NewImport, Page, PersonFigures, PersonFilter, PersonRecord,
    PersonRow, PersonWrites, PostingRow, ReconciliationView, ReplicaStatus, RollPeople, RollPerson,
    ScopeTotalRecord, StoredEvidence, StoredImportCommit, TotalRow, UserListing, VerifiedReach,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row collides with one already stored (a user or program that
    /// exists).
    #[error("{0}")]
    Conflict(String),
    /// What a read was computed from changed meanwhile: ask again.
    #[error("{0}")]
    Stale(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's direct reader (`sqlite/scan.rs`).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error(
        "read replica '{0}' given for a SQLite database: a replica serves a PostgreSQL primary \
         (SQLite's readers already read beside its writer); drop --read-database-url"
    )]
    ReplicaWithoutPostgres(String),
    #[error(
        "ledger {0} is not in this database: create it with `ansinh --ledger {0} migrate` (or by \
         adding its first user, program or roll)"
    )]
    NoSuchLedger(LedgerCode),
    /// The ledgers of a database could not be listed.
    #[error("{0}")]
    Listing(String),
    /// A backup or restore could not be made; nothing was changed.
    #[error("{0}")]
    Backup(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Receives the whole journal, in order: headers, then totals, then
/// postings. A sink that [`wants_evidence`](JournalSink::wants_evidence)
/// also gets, from the same snapshot, every import commit record before the
/// headers, and after the postings what each committed import stored, then
/// the audit trail in id order.
pub trait JournalSink: Send {
    fn header(&mut self, header: StoredHeader);
    fn total(&mut self, entry_seq: i64, account: String, total: AccountTotal);
    fn posting(&mut self, posting: StoredPosting);
    fn wants_evidence(&self) -> bool {
        false
    }
    fn import_commit(&mut self, _commit: StoredImportCommit) {}
    fn import_evidence(&mut self, _evidence: StoredEvidence) {}
    fn audit_event(&mut self, _event: ChainedAuditEvent) {}
    /// Whether the sink also takes the read models, from the same snapshot,
    /// after everything else.
    fn wants_read_models(&self) -> bool {
        false
    }
    fn person_record(&mut self, _record: PersonRecord) {}
    fn scope_total(&mut self, _record: ScopeTotalRecord) {}
}

/// A backend: the three table families below, plus the append transaction.
///
/// What every backend must provide:
/// - its migrations applied when it opens, and the database's own refusal
///   of updates and deletes of history (triggers);
/// - reads that see committed data only, each method one consistent answer
///   (a [`JournalStore::scan`] inside one snapshot);
/// - [`Store::begin_append`]: a transaction that holds the one append lock
///   of the ledger from its start until it commits or is dropped (dropped =
///   rolled back), so that appends form a single chain.
///
/// Callers hold `&dyn Store` and call the families' methods on it directly.
#[async_trait]
pub trait Store: UserStore + ImportStore + JournalStore {
    fn backend_name(&self) -> &'static str;

    /// The province whose ledger this is (`--ledger`); `None` for the
    /// database's own ledger, which predates ledgers and names no province.
    fn ledger(&self) -> Option<&LedgerCode>;

    /// Whether another transaction can store an upload while an append
    /// holds the append lock. PostgreSQL's can (its audit event waits only
    /// for the append's own, inserted just before the commit). SQLite has
    /// one writer a database: there the upload would wait for the append,
    /// and the next append for the upload.
    fn writes_beside_appends(&self) -> bool;

    /// Opens the append transaction, waiting for the append lock.
    async fn begin_append(&self) -> StoreResult<Box<dyn AppendTx>>;

    /// The read models' figures this process kept from its last commit.
    fn person_cache(&self) -> &person_cache::PersonCache;

    /// Writes a consistent copy of the whole database to `file`, which must
    /// not exist, while appends go on: what was committed when the copy
    /// began, nothing after it. [`backup::restore`] reads it back.
    async fn back_up(&self, file: &std::path::Path) -> StoreResult<()>;

    /// The read replica's state, when reads go to one (PostgreSQL with
    /// `--read-database-url`).
    async fn replica_status(&self) -> Option<ReplicaStatus> {
        None
    }
}

/// Users, their sessions and the audit trail.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a user and its audit event together; a taken username is a
    /// [`StoreError::Conflict`].
    async fn add_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn user_count(&self) -> StoreResult<i64>;
    /// The user and its password hash.
    async fn find_user(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now_us: i64,
        expires_at_us: i64,
    ) -> StoreResult<()>;
    /// The user of a session that has not expired at `now_us`.
    async fn session_user(&self, token_hash: &str, now_us: i64) -> StoreResult<Option<User>>;
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn audit(&self, event: AuditEvent) -> StoreResult<()>;
    /// The newest `limit` audit events, newest first.
    async fn audit_events(&self, limit: i64) -> StoreResult<Vec<AuditRecord>>;
    /// A page of the audit events `filter` selects, oldest first.
    async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<Listed<AuditRecord>>;
    /// A page of the users, in the order they were added.
    async fn users_page(&self, page: Page) -> StoreResult<Listed<UserListing>>;
    /// Replaces a user's password hash (a hash starting with `!` disables
    /// the user), ends all their sessions and stores `audit`, together;
    /// `None` when no such user exists (nothing is stored then).
    async fn replace_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        audit: AuditEvent,
    ) -> StoreResult<Option<User>>;
}

/// Program definitions and uploaded imports.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Every program's (code, definition text), in code order.
    async fn program_definitions(&self) -> StoreResult<Vec<(String, String)>>;

    /// Stores an upload and its audit event together; returns its id.
    async fn save_import(&self, import: NewImport) -> StoreResult<i64>;
    async fn import_record(&self, id: i64) -> StoreResult<Option<ImportRecord>>;
    /// The original file of an upload, decoded from how it is stored
    /// (`Corrupt` when the stored bytes do not decode to its recorded length).
    async fn import_content(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// The committed import with these bytes for this kind, program and district, if any.
    async fn committed_import_with_digest(
        &self,
        kind: &str,
        program: &str,
        district: &str,
        sha256: &str,
    ) -> StoreResult<Option<i64>>;
    async fn committed_imports(&self, kind: &str, program: &str) -> StoreResult<Vec<ImportRecord>>;
    /// How many of a district's uploads since `since_us` were never committed.
    async fn uncommitted_uploads_since(&self, district: &str, since_us: i64) -> StoreResult<i64>;
    /// A page of the uploads `filter` selects, oldest first, without their
    /// reports (`report_json` is empty).
    async fn imports_page(
        &self,
        filter: &ImportFilter,
        page: Page,
    ) -> StoreResult<Listed<ImportRecord>>;
}

/// Reads of the journal: entries, totals, per-person balances, the scan.
#[async_trait]
pub trait JournalStore: Send + Sync {
    async fn head(&self) -> StoreResult<Option<Checkpoint>>;
    async fn entry(&self, seq: i64) -> StoreResult<Option<Entry>>;
    /// Entry `seq` with one page of its postings (in their order), and how
    /// many postings it has in all.
    async fn entry_page(&self, seq: i64, postings: Page) -> StoreResult<Option<(Entry, i64)>>;
    /// A page of the entries `filter` selects, in seq order.
    async fn entries_page(
        &self,
        filter: &EntryFilter,
        page: Page,
    ) -> StoreResult<Listed<EntrySummary>>;
    /// Entries that name `seq` as the entry they correct.
    async fn corrections_of(&self, seq: i64) -> StoreResult<Vec<Entry>>;
    /// Current balance of one account, from the per-entry totals.
    async fn account_balance(&self, account: &str) -> StoreResult<i64>;
    /// Totals per account over the entries effective on or before `as_of`
    /// and at or before `at_seq` (no bound where `None`).
    async fn account_sums(
        &self,
        as_of: Option<NaiveDate>,
        at_seq: Option<i64>,
    ) -> StoreResult<Vec<AccountSum>>;
    /// Per beneficiary and account under `prefix`: what was approved and
    /// paid, read through the entries that touch those accounts.
    async fn beneficiary_balances(
        &self,
        prefix: &AccountPrefix,
    ) -> StoreResult<Vec<BeneficiaryBalance>>;
    /// What these people hold approved on accounts under `prefix`
    /// (approvals and their reversals, summed per account), found through the
    /// index of approving postings; people with no such posting are absent.
    async fn approvals_of(
        &self,
        prefix: &AccountPrefix,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovedHolding>>;
    /// Voucher references posted by payments (and their reversals) whose
    /// entries touch an account in `scope`.
    async fn vouchers_in(&self, scope: &AccountScope) -> StoreResult<Vec<String>>;
    /// Where these people's approvals on accounts under `prefix` came from,
    /// in entry order.
    async fn approval_sources(
        &self,
        prefix: &AccountPrefix,
        national_ids: &[String],
    ) -> StoreResult<Vec<ApprovalSource>>;
    /// (national ID, name) of these people, as written on the roll of their
    /// approval (the lowest name, should several rolls disagree).
    async fn beneficiary_names(
        &self,
        national_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Names of everyone on the approval rolls whose entries touch accounts
    /// under `prefix`: the rolls' own rows, read in key order.
    async fn beneficiary_names_under(
        &self,
        prefix: &AccountPrefix,
    ) -> StoreResult<Vec<(String, String)>>;
    /// The whole journal, to `sink`, from one snapshot.
    async fn scan(&self, sink: &mut dyn JournalSink) -> StoreResult<()>;
    /// The journal after entry `after_seq` and the audit trail after event
    /// `after_audit_id`, to `sink`, from one snapshot: the headers, totals and
    /// postings of those entries, the commit records and evidence of the
    /// imports they committed, the audit events. Returns that snapshot's
    /// stored hash of entry `after_seq` (`None` when it is gone) and of
    /// event `after_audit_id`. [`JournalStore::scan`] is this from `i64::MIN`.
    async fn scan_since(
        &self,
        after_seq: i64,
        after_audit_id: i64,
        sink: &mut dyn JournalSink,
    ) -> StoreResult<(Option<String>, Option<String>)>;
    /// A reconciliation page from the read models, in one snapshot.
    async fn reconciliation_view(
        &self,
        filter: &PersonFilter,
        page: Page,
    ) -> StoreResult<ReconciliationView>;
    /// The newest verification's reach, if any.
    async fn last_verification(&self) -> StoreResult<Option<VerifiedReach>>;
    async fn record_verification(&self, reach: &VerifiedReach) -> StoreResult<()>;
}

/// The append transaction: reads under the append lock and inserts, in the
/// order the ledger calls them; nothing is checked here beyond the
/// database's own constraints. Dropping it without [`AppendTx::commit`]
/// rolls everything back.
#[async_trait]
pub trait AppendTx: Send {
    /// The last entry of the journal.
    async fn head(&mut self) -> StoreResult<Option<Checkpoint>>;
    /// The newest audit event, if it is chained: what the entries anchor.
    async fn audit_head(&mut self) -> StoreResult<Option<AuditAnchor>>;
    /// Current balance of each of these accounts, from the per-entry
    /// totals, in one read (a payment roll rules an account per category).
    /// An account without entries is absent.
    async fn account_balances(&mut self, accounts: &[String]) -> StoreResult<Vec<(String, i64)>>;
    /// The beneficiaries of the postings of the entries that correct entry
    /// `seq` (`None` for a posting without one); empty when none does.
    async fn corrected_beneficiaries(&mut self, seq: i64) -> StoreResult<Vec<Option<String>>>;
    /// Which of these people hold a positive sum of approving postings under
    /// `prefix` and gained one by an entry after `after_seq`.
    async fn approval_holders(
        &mut self,
        prefix: &AccountPrefix,
        national_ids: &[String],
        after_seq: i64,
    ) -> StoreResult<Vec<String>>;
    /// Whether entries after `after_seq` have totals on an account in
    /// `scope` (one that adds an approval, when `approvals_only`).
    async fn accounts_changed_since(
        &mut self,
        scope: &AccountScope,
        after_seq: i64,
        approvals_only: bool,
    ) -> StoreResult<bool>;
    /// The committed import with this key's digest (for its kind, program
    /// and district) or this key's import id, if any.
    async fn committed_import(&mut self, key: &ImportKey<'_>) -> StoreResult<Option<i64>>;
    /// Every entry of the batch, in seq order, in as few statements as the backend allows.
    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()>;
    /// The postings of every entry of the batch, chunked by rows, not by entry.
    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()>;
    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()>;
    /// A program definition; an existing code is a [`StoreError::Conflict`].
    async fn insert_program(
        &mut self,
        code: &str,
        definition: &str,
        at_us: i64,
        actor: &str,
    ) -> StoreResult<()>;
    /// The import's commit record, with the first and last seq it posted.
    async fn insert_import_commit(
        &mut self,
        evidence: &ImportEvidence,
        at_us: i64,
        actor: &str,
        seqs: Option<(i64, i64)>,
    ) -> StoreResult<()>;
    /// The people of an import's roll, as one JSON document.
    async fn insert_roll_people(&mut self, import_id: i64, people: &str) -> StoreResult<()>;
    /// An audit event, chained after the newest one.
    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()>;
    /// Whether the read models hold the whole journal.
    async fn read_models_built(&mut self) -> StoreResult<bool>;
    /// The read model rows of these people of one program and district.
    async fn person_records(
        &mut self,
        program: &str,
        district: &str,
        national_ids: &[String],
    ) -> StoreResult<Vec<PersonRecord>>;
    /// Every row of one program and district, figures only, into `scope`.
    /// Whether every row was kept (`false`: an ID the cache cannot key).
    async fn scope_figures(&mut self, scope: &mut person_cache::CachedScope) -> StoreResult<bool>;
    /// Adds the rows of people the read models did not hold and writes the
    /// rows of those they held (read in this transaction, by
    /// [`AppendTx::person_records`] or [`AppendTx::scope_figures`]) over the
    /// stored ones; a row to write over that is missing is an error.
    async fn put_person_records(&mut self, writes: &PersonWrites) -> StoreResult<()>;
    /// Adds each row's figures to the scope's stored ones.
    async fn add_scope_totals(&mut self, rows: &[ScopeTotalRecord]) -> StoreResult<()>;
    /// Replaces the whole read models with these and marks them built.
    async fn replace_read_models(
        &mut self,
        people: &[PersonRecord],
        totals: &[ScopeTotalRecord],
    ) -> StoreResult<()>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Which backend a URL selects.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the store a URL names and applies its migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, &OpenOptions::default()).await
}

/// Which ledger of a database to open, and where to read.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// A province's ledger (`--ledger`); `None`: the database's own, as
    /// before ledgers (PostgreSQL's `public` schema, the SQLite file named).
    pub ledger: Option<LedgerCode>,
    /// Whether a ledger that does not exist yet is created; if not, opening
    /// it is [`StoreError::NoSuchLedger`].
    pub create_ledger: bool,
    /// A PostgreSQL hot standby that serves the reads it can.
    pub replica_url: Option<String>,
    /// The most connections to the primary (PostgreSQL; default 16): less
    /// when one process holds many ledgers open.
    pub connections_max: Option<u32>,
    /// How long an unused connection stays open (PostgreSQL; default 10
    /// minutes): short when one process holds many ledgers, so that the
    /// server's connection limit is shared by the ledgers in use.
    pub idle_timeout: Option<std::time::Duration>,
}

/// [`open`] one ledger of the database at `url`, created (empty, migrated)
/// if it is new: on PostgreSQL the schema `ledger_CODE`, on SQLite the file
/// beside the one named, with `-CODE` before its extension.
pub async fn open_with(url: &str, options: &OpenOptions) -> StoreResult<Arc<dyn Store>> {
    if is_postgres_url(url) {
        let store = postgres::PgStore::open_with(url, options).await?;
        return Ok(Arc::new(store));
    }
    if let Some(replica_url) = &options.replica_url {
        return Err(StoreError::ReplicaWithoutPostgres(replica_url.clone()));
    }
    let path = sqlite_path(url)?;
    let path = match &options.ledger {
        Some(ledger) => {
            let file = sqlite::ledger_file(&path, ledger);
            if !options.create_ledger && !std::path::Path::new(&file).exists() {
                return Err(StoreError::NoSuchLedger(ledger.clone()));
            }
            file
        }
        None => path,
    };
    let store = sqlite::SqliteStore::open(&path).await?;
    Ok(Arc::new(store.in_ledger(options.ledger.clone())))
}

/// The ledgers a database holds besides its own (PostgreSQL: schemas named
/// `ledger_CODE`; SQLite: files named `STEM-CODE.EXT` beside it), by code.
pub async fn ledgers_in(url: &str) -> StoreResult<Vec<LedgerCode>> {
    if is_postgres_url(url) {
        postgres::ledgers_in(url).await
    } else {
        sqlite::ledgers_beside(&sqlite_path(url)?)
    }
}

fn sqlite_path(url: &str) -> StoreResult<String> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(path.to_string())
    } else if !url.contains("://") {
        Ok(url.to_string())
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
