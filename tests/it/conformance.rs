//! One conformance suite, run on every available backend: SQLite always,
//! PostgreSQL when ANSINH_TEST_POSTGRES_URL is set (CI sets it).

use crate::support::harness::{Needs, Runtime, Suite};
use crate::support::TestDb;
use ansinh::domain::{AccountPath, Checkpoint, EntryKind, Money, NewEntry, Posting};
use ansinh::ledger::verify;
use ansinh::ledger::{append, AppendError, Batch};
use ansinh::store::AuditEvent;
use chrono::NaiveDate;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: appended_entries_read_back_unchanged,
        needs(Needs::Postgres): both_backends_build_the_same_chain,
        each_backend: database_triggers_refuse_rewriting_history,
        each_backend: concurrent_appends_keep_one_unbroken_chain,
        each_backend: overdraft_is_refused_and_leaves_nothing_behind,
        each_backend: an_append_dropped_after_writing_leaves_nothing_and_frees_the_lock,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): an_append_dropped_on_a_multi_threaded_runtime_leaves_nothing,
        each_backend: unbalanced_entries_are_refused,
        each_backend: verify_detects_a_changed_amount,
        each_backend: verify_detects_a_deleted_posting,
        each_backend: verify_detects_an_inserted_posting,
        each_backend: verify_detects_postings_of_an_entry_not_in_the_journal,
        each_backend: verify_detects_a_truncated_tail_behind_a_checkpoint,
        each_backend: verify_accepts_a_checkpoint_the_ledger_extends,
        each_backend: verify_holds_a_person_to_one_approval_per_program,
        each_backend: verify_holds_a_person_to_what_was_approved,
        each_backend: text_that_bulk_formats_must_escape_reads_back_unchanged,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): parallel_program_definitions_store_one,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): parallel_user_additions_store_one,
        each_backend: listings_page_and_filter_in_id_order,
        each_backend: a_replaced_password_hash_ends_sessions_with_its_audit_event,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): an_upload_is_stored_with_its_audit_event_beside_or_after_an_append,
        sqlite: appends_reach_the_database_file_without_waiting_for_the_wal_to_fill,
    );
}

const FIXED_TIME_US: i64 = 1_637_800_000_000_000;

fn posting(account: AccountPath, amount: i64, beneficiary: Option<&str>) -> Posting {
    Posting {
        account,
        amount: Money::from_dong(amount),
        beneficiary: beneficiary.map(str::to_string),
        source_line: None,
        reference: None,
    }
}

fn entry(kind: EntryKind, reference: &str, postings: Vec<Posting>) -> NewEntry {
    NewEntry {
        effective_date: NaiveDate::from_ymd_opt(2021, 11, 25).expect("date"),
        kind,
        reference: reference.into(),
        memo: String::new(),
        corrects_seq: None,
        postings,
    }
}

fn donation(amount: i64, reference: &str) -> NewEntry {
    entry(
        EntryKind::Donation,
        reference,
        vec![
            posting(AccountPath::fund("covid"), amount, None),
            posting(AccountPath::donations("covid"), -amount, None),
        ],
    )
}

fn allocation(amount: i64) -> NewEntry {
    entry(
        EntryKind::Allocation,
        "alloc",
        vec![
            posting(AccountPath::appropriation("NQ68"), -amount, None),
            posting(AccountPath::budget("NQ68", "842"), amount, None),
        ],
    )
}

fn approval(amount: i64, national_id: &str) -> NewEntry {
    entry(
        EntryKind::Approval,
        "1/QĐ-UBND",
        vec![
            posting(AccountPath::budget("NQ68", "842"), -amount, None),
            posting(
                AccountPath::payable("NQ68", "842", "tu-do"),
                amount,
                Some(national_id),
            ),
        ],
    )
}

fn batch(entries: Vec<NewEntry>) -> Batch {
    Batch {
        actor: "tester".into(),
        recorded_at_us: FIXED_TIME_US,
        entries,
        program: None,
        import_commit: None,
        roll_people: None,
        refused_payments: Vec::new(),
        read_at: None,
        audit: AuditEvent {
            at_us: FIXED_TIME_US,
            actor: "tester".into(),
            action: "test".into(),
            outcome: "ok".into(),
            detail: String::new(),
        },
    }
}

async fn seed(db: &TestDb) {
    let store = &db.store;
    append(store.as_ref(), batch(vec![donation(1_000_000, "UNC-1")]))
        .await
        .expect("donation");
    append(store.as_ref(), batch(vec![allocation(10_000_000)]))
        .await
        .expect("allocation");
    append(
        store.as_ref(),
        batch(vec![
            approval(1_500_000, "084123456789"),
            approval(1_500_000, "084123456790"),
        ]),
    )
    .await
    .expect("approvals");
}

async fn appended_entries_read_back_unchanged(db: TestDb) {
    seed(&db).await;
    let head = db.store.head().await.expect("head").expect("non-empty");
    assert_eq!(head.seq, 4, "{}", db.backend);
    let stored = db.store.entry(3).await.expect("read").expect("entry 3");
    let expected = approval(1_500_000, "084123456789");
    assert_eq!(stored.kind, expected.kind);
    assert_eq!(stored.postings, expected.postings, "{}", db.backend);
    assert_eq!(stored.effective_date, expected.effective_date);
    assert_eq!(stored.actor, "tester");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert_eq!(report.postings, 8);
}

async fn both_backends_build_the_same_chain() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    seed(&sqlite).await;
    seed(&postgres).await;
    let a = sqlite.store.head().await.expect("head");
    let b = postgres.store.head().await.expect("head");
    assert!(a.is_some());
    assert_eq!(
        a, b,
        "the canonical encoding must not depend on the database"
    );
}

async fn database_triggers_refuse_rewriting_history(db: TestDb) {
    seed(&db).await;
    for sql in [
        "UPDATE postings SET amount = 1 WHERE entry_seq = 1",
        "DELETE FROM postings WHERE entry_seq = 1",
        "UPDATE journal_entries SET memo = 'x' WHERE seq = 1",
        "DELETE FROM journal_entries WHERE seq = 4",
        "UPDATE account_totals SET amount = 0",
        "DELETE FROM audit_events",
    ] {
        let error = db.raw(sql).await.expect_err(sql);
        assert!(
            error.to_string().contains("append-only"),
            "{}: {sql}: {error}",
            db.backend
        );
    }
}

async fn concurrent_appends_keep_one_unbroken_chain(db: TestDb) {
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let reference = format!("UNC-{task}-{n}");
                append(store.as_ref(), batch(vec![donation(1_000 + n, &reference)]))
                    .await
                    .expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert_eq!(report.entries, 80, "{}", db.backend);
}

async fn overdraft_is_refused_and_leaves_nothing_behind(db: TestDb) {
    seed(&db).await;
    let before = db.store.head().await.expect("head");
    // 7,000,000 of budget is left; this batch asks for 7,500,000 in two entries.
    let refused = append(
        db.store.as_ref(),
        batch(vec![
            approval(4_000_000, "084123456791"),
            approval(3_500_000, "084123456792"),
        ]),
    )
    .await
    .expect_err("over budget");
    match refused {
        AppendError::BalanceRule(broken) => {
            assert_eq!(broken.account, "budget:NQ68:842");
            assert_eq!(broken.shortfall_dong, 500_000, "{}", db.backend);
        }
        other => panic!("{}: unexpected {other}", db.backend),
    }
    assert_eq!(
        db.store.head().await.expect("head"),
        before,
        "{}",
        db.backend
    );
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok());
}

/// A commit refused half way (or whose request is gone) is dropped with
/// rows already written: none of them lands, and the next append goes on.
async fn an_append_dropped_after_writing_leaves_nothing_and_frees_the_lock(db: TestDb) {
    seed(&db).await;
    let before = db.store.head().await.expect("head");
    let mut tx = db.store.begin_append().await.expect("begin");
    tx.insert_program("DROPPED", "{}", FIXED_TIME_US, "tester")
        .await
        .expect("insert");
    drop(tx);
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), db.store.begin_append())
        .await
        .unwrap_or_else(|_| panic!("{}: the dropped append kept the lock", db.backend))
        .expect("begin again");
    drop(next);
    let programs = db.store.program_definitions().await.expect("programs");
    assert!(
        programs.iter().all(|(code, _)| code != "DROPPED"),
        "{}: {programs:?}",
        db.backend
    );
    append(db.store.as_ref(), batch(vec![donation(1_000_000, "after")]))
        .await
        .expect("an append after the dropped one");
    assert_eq!(
        db.store.head().await.expect("head").map(|h| h.seq),
        before.map(|h| h.seq + 1),
        "{}",
        db.backend
    );
}

/// The same where SQLite's statements move the runtime's other tasks off
/// their thread first (`block_in_place`).
async fn an_append_dropped_on_a_multi_threaded_runtime_leaves_nothing(db: TestDb) {
    an_append_dropped_after_writing_leaves_nothing_and_frees_the_lock(db).await;
}

async fn unbalanced_entries_are_refused(db: TestDb) {
    let mut bad = donation(10, "x");
    bad.postings[1].amount = Money::from_dong(-9);
    let error = append(db.store.as_ref(), batch(vec![bad]))
        .await
        .expect_err("unbalanced");
    assert!(matches!(error, AppendError::Entry(_)), "{}", db.backend);
    assert_eq!(db.store.head().await.expect("head"), None);
}

async fn tampered(
    db: &TestDb,
    drop_triggers: &str,
    tamper: &str,
    checkpoint: Option<Checkpoint>,
) -> (i64, String) {
    db.raw(drop_triggers).await.expect("drop triggers");
    db.raw(tamper).await.expect("tamper");
    let report = verify::run(db.store.as_ref(), checkpoint)
        .await
        .expect("verify");
    let problem = report.problem.expect("verify must fail");
    let seq = problem.entry_seq().expect("an entry's problem");
    (seq, problem.reason)
}

fn drop_posting_triggers(backend: &str) -> &'static str {
    if backend == "postgres" {
        "DROP TRIGGER postings_append_only ON postings; DROP TRIGGER journal_entries_append_only ON journal_entries; \
         DROP TRIGGER account_totals_append_only ON account_totals"
    } else {
        "DROP TRIGGER postings_no_update; DROP TRIGGER postings_no_delete; \
         DROP TRIGGER journal_entries_no_delete; DROP TRIGGER account_totals_no_delete"
    }
}

async fn verify_detects_a_changed_amount(db: TestDb) {
    seed(&db).await;
    let sql = "UPDATE postings SET amount = 1600000 WHERE entry_seq = 3 AND idx = 1";
    let (seq, reason) = tampered(&db, drop_posting_triggers(db.backend), sql, None).await;
    assert_eq!(seq, 3, "{}: {reason}", db.backend);
}

async fn verify_detects_a_deleted_posting(db: TestDb) {
    seed(&db).await;
    let sql = "DELETE FROM postings WHERE entry_seq = 2 AND idx = 1";
    let (seq, _) = tampered(&db, drop_posting_triggers(db.backend), sql, None).await;
    assert_eq!(seq, 2, "{}", db.backend);
}

async fn verify_detects_an_inserted_posting(db: TestDb) {
    seed(&db).await;
    let sql =
        "INSERT INTO postings (entry_seq, idx, account, amount) VALUES (1, 2, 'fund:covid', 0)";
    let (seq, _) = tampered(&db, "SELECT 1", sql, None).await;
    assert_eq!(seq, 1, "{}", db.backend);
}

/// Postings of an entry the journal does not hold (after its head) are
/// named, not skipped.
async fn verify_detects_postings_of_an_entry_not_in_the_journal(db: TestDb) {
    seed(&db).await;
    let sql =
        "INSERT INTO postings (entry_seq, idx, account, amount) VALUES (9, 0, 'fund:covid', 0)";
    let (seq, reason) = tampered(&db, "SELECT 1", sql, None).await;
    assert_eq!(seq, 9, "{}: {reason}", db.backend);
    assert!(
        reason.contains("missing from the journal"),
        "{}: {reason}",
        db.backend
    );
}

async fn verify_detects_a_truncated_tail_behind_a_checkpoint(db: TestDb) {
    seed(&db).await;
    let checkpoint = db.store.head().await.expect("head").expect("entries");
    let sql = "DELETE FROM account_totals WHERE entry_seq = 4; DELETE FROM postings WHERE entry_seq = 4; \
               DELETE FROM journal_entries WHERE seq = 4";
    let (seq, reason) = tampered(
        &db,
        drop_posting_triggers(db.backend),
        sql,
        Some(checkpoint.clone()),
    )
    .await;
    assert_eq!(seq, 4, "{}", db.backend);
    assert!(reason.contains("truncated"), "{reason}");
    // Without the checkpoint, the shortened chain is self-consistent; the
    // read models still count what was cut.
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    let problem = report.problem.expect("the read models differ");
    assert_eq!(problem.at, verify::Place::ReadModels, "{}", db.backend);
}

async fn verify_accepts_a_checkpoint_the_ledger_extends(db: TestDb) {
    seed(&db).await;
    let old = Checkpoint {
        seq: 2,
        hash: db.store.entry(2).await.expect("read").expect("e").hash,
    };
    append(db.store.as_ref(), batch(vec![donation(5, "later")]))
        .await
        .expect("append");
    let report = verify::run(db.store.as_ref(), Some(old.clone()))
        .await
        .expect("verify");
    assert!(report.is_ok(), "{:?}", report.problem);
    let forged = Checkpoint {
        seq: 2,
        hash: "0".repeat(64),
    };
    let report = verify::run(db.store.as_ref(), Some(forged))
        .await
        .expect("verify");
    assert_eq!(report.problem.expect("rewritten").entry_seq(), Some(2));
}

/// The write paths check people before they append (validation, then the
/// stale check under the lock); `verify` holds the ledger to the same rules,
/// so an entry that slipped past a write path is found.
async fn verify_holds_a_person_to_one_approval_per_program(db: TestDb) {
    seed(&db).await;
    append(
        db.store.as_ref(),
        batch(vec![approval(1_500_000, "084123456789")]),
    )
    .await
    .expect("the append itself checks accounts, not people");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    let problem = report.problem.expect("a second approval in force");
    assert_eq!(problem.entry_seq(), Some(5), "{}: {problem:?}", db.backend);
    assert!(
        problem.reason.contains("2 approvals in force"),
        "{problem:?}"
    );
}

async fn verify_holds_a_person_to_what_was_approved(db: TestDb) {
    seed(&db).await;
    let mut paid = posting(
        AccountPath::payable("NQ68", "842", "tu-do"),
        -2_000_000,
        Some("084123456790"),
    );
    paid.reference = Some("CT-1".into());
    let payment = entry(
        EntryKind::Payment,
        "payment roll",
        vec![
            paid,
            posting(
                AccountPath::disbursed("NQ68", "842", "tu-do"),
                2_000_000,
                None,
            ),
        ],
    );
    // The account holds 3.000.000 approved: only the person's part is short.
    append(db.store.as_ref(), batch(vec![payment]))
        .await
        .expect("the account rule holds");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    let problem = report.problem.expect("paid beyond approved");
    assert_eq!(problem.entry_seq(), Some(5), "{}: {problem:?}", db.backend);
    assert!(problem.reason.contains("084123456790"), "{problem:?}");
}

async fn text_that_bulk_formats_must_escape_reads_back_unchanged(db: TestDb) {
    // Bulk inserts carry values in formats where a tab, a newline or a
    // backslash could mean something else (COPY's text format, SQL literals):
    // such text must come back byte for byte, and the chain must verify.
    let awkward = [
        "PC\\2021\\001",
        "tab\there",
        "line\nbreak\r\n",
        "Lê Thị Ánh\\",
        "\\N",
    ];
    let postings: Vec<Posting> = awkward
        .iter()
        .enumerate()
        .flat_map(|(n, text)| {
            let mut paid = posting(AccountPath::fund("covid"), 10 + n as i64, Some(text));
            paid.reference = Some(text.to_string());
            paid.source_line = Some(n as u64 + 2);
            [
                paid,
                posting(AccountPath::donations("covid"), -(10 + n as i64), None),
            ]
        })
        .collect();
    let mut awkward_entry = entry(EntryKind::Donation, "UNC\\\t1", postings.clone());
    awkward_entry.memo = "memo\twith\nbreaks\\".into();
    append(db.store.as_ref(), batch(vec![awkward_entry]))
        .await
        .expect("append");
    let stored = db.store.entry(1).await.expect("read").expect("entry 1");
    assert_eq!(stored.postings, postings, "{}", db.backend);
    assert_eq!(stored.memo, "memo\twith\nbreaks\\", "{}", db.backend);
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
}

/// Six officers define the same program at once: one program, one budget.
async fn parallel_program_definitions_store_one(db: TestDb) {
    use ansinh::programs::{self, AddError};
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = db.store.clone();
            tokio::spawn(async move {
                programs::add(
                    store.as_ref(),
                    "tinh",
                    crate::support::province::EXAMPLE_PROGRAM,
                )
                .await
            })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => stored += 1,
            Err(AddError::Append(AppendError::Conflict(m))) => {
                assert!(m.contains("already exists"), "{m}")
            }
            Err(other) => panic!("{}: {other}", db.backend),
        }
    }
    assert_eq!(stored, 1, "{}", db.backend);
    assert_eq!(
        db.store
            .program_definitions()
            .await
            .expect("programs")
            .len(),
        1
    );
    let budget = db
        .store
        .account_balance("budget:NQ68:842")
        .await
        .expect("budget");
    assert_eq!(budget, 50_000_000_000, "{}: one allocation", db.backend);
    assert!(verify::run(db.store.as_ref(), None)
        .await
        .expect("verify")
        .is_ok());
}

/// The same username, in several cases, added at once: one user.
async fn parallel_user_additions_store_one(db: TestDb) {
    use ansinh::domain::{NewUser, Role};
    use ansinh::store::{now_us, StoreError};
    let tasks: Vec<_> = [
        "huyen842", "HUYEN842", "Huyen842", "huyen842", "hUyen842", "huyen842",
    ]
    .into_iter()
    .map(|username| {
        let store = db.store.clone();
        tokio::spawn(async move {
            let user = NewUser {
                username: username.into(),
                role: Role::District,
                district: Some("842".into()),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$AAAA".into(),
            };
            let audit = AuditEvent {
                at_us: now_us(),
                actor: "admin".into(),
                action: "user.add".into(),
                outcome: "ok".into(),
                detail: String::new(),
            };
            store.add_user(user, audit).await
        })
    })
    .collect();
    let mut stored = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => stored += 1,
            Err(StoreError::Conflict(m)) => assert!(m.contains("already exists"), "{m}"),
            Err(other) => panic!("{}: {other}", db.backend),
        }
    }
    assert_eq!(stored, 1, "{}", db.backend);
    assert_eq!(db.store.user_count().await.expect("count"), 1);
}

async fn listings_page_and_filter_in_id_order(db: TestDb) {
    use ansinh::store::{AuditFilter, EntryFilter, Page};
    let backend = db.backend;
    seed(&db).await;
    let all = Page {
        offset: 0,
        limit: 100,
    };
    let entries = db
        .store
        .entries_page(&EntryFilter::default(), all)
        .await
        .expect("entries");
    assert_eq!(entries.total, 4, "{backend}");
    let seqs: Vec<i64> = entries.rows.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "{backend}");
    assert_eq!(entries.rows[2].postings_count, 2, "{backend}");
    assert_eq!(entries.rows[2].effective_date, "2021-11-25");
    let second = Page {
        offset: 1,
        limit: 2,
    };
    let page = db
        .store
        .entries_page(&EntryFilter::default(), second)
        .await
        .expect("page");
    assert_eq!(page.total, 4);
    assert_eq!(page.rows, entries.rows[1..3], "{backend}");
    let filtered = |filter: EntryFilter| {
        let store = db.store.clone();
        async move {
            let listed = store.entries_page(&filter, all).await.expect("filtered");
            listed.rows.iter().map(|e| e.seq).collect::<Vec<_>>()
        }
    };
    let approvals = EntryFilter {
        kind: Some("approval".into()),
        ..EntryFilter::default()
    };
    assert_eq!(filtered(approvals).await, [3, 4], "{backend}");
    let before = EntryFilter {
        to: Some("2021-11-24".into()),
        ..EntryFilter::default()
    };
    assert_eq!(filtered(before).await, Vec::<i64>::new(), "{backend}");
    let covid_fund = EntryFilter {
        accounts: Some(("fund:covid".into(), "fund:covid:%".into())),
        ..EntryFilter::default()
    };
    assert_eq!(filtered(covid_fund).await, [1], "{backend}");

    // An entry's postings, paged.
    let (entry, total) = db
        .store
        .entry_page(
            2,
            Page {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .expect("entry page")
        .expect("entry 2");
    let whole = db.store.entry(2).await.expect("entry").expect("entry 2");
    assert_eq!(total, whole.postings.len() as i64, "{backend}");
    assert_eq!(entry.postings, whole.postings[1..2], "{backend}");
    assert!(db.store.entry_page(99, all).await.expect("none").is_none());

    // Audit events by actor and action prefix.
    let tests = db
        .store
        .audit_page(
            &AuditFilter {
                actor: Some("tester".into()),
                action: Some("te".into()),
                ..AuditFilter::default()
            },
            all,
        )
        .await
        .expect("audit");
    assert_eq!(tests.total, 3, "{backend}: one per batch");
    assert!(
        tests.rows.windows(2).all(|w| w[0].id < w[1].id),
        "{backend}"
    );
    let none = db
        .store
        .audit_page(
            &AuditFilter {
                until_us: Some(FIXED_TIME_US),
                ..AuditFilter::default()
            },
            all,
        )
        .await
        .expect("audit");
    assert_eq!(none.total, 0, "{backend}");
}

async fn a_replaced_password_hash_ends_sessions_with_its_audit_event(db: TestDb) {
    use ansinh::store::{AuditFilter, Page};
    let backend = db.backend;
    let users = crate::support::province::setup(&db).await;
    let user_id = users.auditor.id;
    db.store
        .add_session("token-hash", user_id, FIXED_TIME_US, FIXED_TIME_US + 1_000)
        .await
        .expect("session");
    let event = AuditEvent {
        at_us: FIXED_TIME_US,
        actor: "quantri".into(),
        action: "user.disable".into(),
        outcome: "ok".into(),
        detail: "user kiemtoan".into(),
    };
    let changed = db
        .store
        .replace_password_hash("KIEMTOAN", "!disabled", event.clone())
        .await
        .expect("replace")
        .expect("found");
    assert_eq!(changed.id, user_id, "{backend}: any case names the user");
    let session = db
        .store
        .session_user("token-hash", FIXED_TIME_US)
        .await
        .expect("session");
    assert!(session.is_none(), "{backend}: the session ended");
    let (_, hash) = db
        .store
        .find_user("kiemtoan")
        .await
        .expect("find")
        .expect("user");
    assert_eq!(hash, "!disabled");
    let listed = db
        .store
        .users_page(Page {
            offset: 0,
            limit: 10,
        })
        .await
        .expect("users");
    assert_eq!(listed.total, 4, "{backend}");
    let disabled: Vec<(&str, bool)> = listed
        .rows
        .iter()
        .map(|u| (u.user.username.as_str(), u.disabled))
        .collect();
    assert_eq!(
        disabled,
        [
            ("tinh", false),
            ("huyen842", false),
            ("huyen844", false),
            ("kiemtoan", true)
        ],
        "{backend}"
    );
    let audited = db
        .store
        .audit_page(
            &AuditFilter {
                action: Some("user.disable".into()),
                ..AuditFilter::default()
            },
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("audit");
    assert_eq!(audited.total, 1, "{backend}");
    // No such user: nothing changes, nothing is audited.
    let missing = db
        .store
        .replace_password_hash("nobody", "!x", event)
        .await
        .expect("replace");
    assert!(missing.is_none(), "{backend}");
    let audited = db
        .store
        .audit_page(
            &AuditFilter {
                action: Some("user.disable".into()),
                ..AuditFilter::default()
            },
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("audit");
    assert_eq!(audited.total, 1, "{backend}");
}

/// SQLite: the store copies each append from the WAL into the database file
/// on a connection of its own, soon after the commit. SQLite's automatic
/// checkpoint, which the appending connection no longer runs in its commits,
/// would wait for 256 MiB of WAL.
async fn appends_reach_the_database_file_without_waiting_for_the_wal_to_fill(db: TestDb) {
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let read = || std::fs::read(&path).expect("read the database file");
    let before = read();
    seed(&db).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while read() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "30 s after three appends, the database file was unchanged: they were still only in the WAL"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{:?}", report.problem);
}

/// An upload is stored with its audit event, chained, whatever the ledger
/// is doing. Where the backend writes beside appends (PostgreSQL) it is
/// stored while an append is open; SQLite has one writer, and the upload
/// waits for the open append's end.
async fn an_upload_is_stored_with_its_audit_event_beside_or_after_an_append(db: TestDb) {
    use ansinh::domain::StoredFile;
    use ansinh::store::{AuditFilter, NewImport, Page};
    let backend = db.backend;
    let csv = "STT,Họ và tên,Số CCCD\n1,Nguyễn Văn An,084123456789\n".repeat(200);
    let upload = || NewImport {
        kind: "approvals".into(),
        program: "NQ68".into(),
        district: "842".into(),
        file_name: "842-NQ68.csv".into(),
        sha256: "ab".repeat(32),
        file: StoredFile::encode(csv.clone().into_bytes()),
        report_json: "{}".into(),
        uploaded_at_us: FIXED_TIME_US,
        uploaded_by: "huyen842".into(),
    };

    let open_append = db.store.begin_append().await.expect("append");
    let store = db.store.clone();
    let first_upload = upload();
    let mut saving = tokio::spawn(async move { store.save_import(first_upload).await });
    let during = tokio::time::timeout(std::time::Duration::from_millis(500), &mut saving).await;
    let first = if db.store.writes_beside_appends() {
        let saved = during.expect("stored beside the open append");
        drop(open_append);
        saved.expect("task").expect("save")
    } else {
        assert!(
            during.is_err(),
            "{backend}: stored while an append held the write lock"
        );
        drop(open_append);
        saving.await.expect("task").expect("save after the append")
    };
    let second = db.store.save_import(upload()).await.expect("second save");
    assert!(second > first, "{backend}");

    for id in [first, second] {
        let record = db
            .store
            .import_record(id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(
            (
                record.kind.as_str(),
                record.file_name.as_str(),
                record.size_bytes
            ),
            ("approvals", "842-NQ68.csv", csv.len() as i64),
            "{backend}"
        );
        let content = db
            .store
            .import_content(id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(content, csv.as_bytes(), "{backend}");
    }
    let uploads = db
        .store
        .audit_page(
            &AuditFilter {
                action: Some("import.upload".into()),
                ..AuditFilter::default()
            },
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("audit");
    assert_eq!(uploads.total, 2, "{backend}: one event per upload");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{backend}: {:?}", report.problem);
    assert_eq!(report.audit_events, 2, "{backend}: both chained");
}
