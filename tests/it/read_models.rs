//! The read models (per-person rows and reconciliation totals kept at
//! commit) equal a recomputation from the postings and the committed rolls,
//! after payments, refused lines, reversals and rolls committed at once;
//! `verify --full` refuses them when they differ, a rebuild restores them;
//! incremental verification checks what follows the last one.

use crate::http_api::{json_of, verified_after_the_first_run, Api};
use crate::payments_reconcile::{approve_and_pay, race_roll, upload};
use crate::support::harness::{Runtime, Suite};
use crate::support::{province, query_i64, TestDb};
use ansinh::import::parse::RollKind;
use ansinh::import::pipeline::{self, RollUpload};
use ansinh::ledger::{read_model, verify};
use ansinh::reconcile::{self, Reconciliation};
use ansinh::reverse::{self, ReverseRequest};
use ansinh::store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): read_models_equal_a_recomputation_from_postings,
        each_backend: a_changed_read_model_fails_verify_until_rebuilt,
        each_backend: a_missing_or_stray_read_model_row_fails_verify,
        each_backend: a_never_verified_ledger_is_verified_whole_in_the_background,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): requests_racing_a_first_verification_start_one_run,
        each_backend: incremental_verification_checks_what_follows_the_last_one,
        each_backend: reconciliation_pages_search_and_filter,
        each_backend: figures_kept_between_commits_stay_those_of_the_journal,
        each_backend: figures_for_a_person_without_a_row_fail_the_commit,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): kept_figures_under_concurrent_commits,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): a_full_verification_reads_one_snapshot_while_rolls_commit,
    );
}

/// The same lines (order, figures, statuses, refused lines) and totals.
fn assert_same(read: &Reconciliation, recomputed: &Reconciliation, scope: &str) {
    let shape = |r: &Reconciliation| {
        let lines: Vec<String> = r.lines.iter().map(|l| format!("{l:?}")).collect();
        (
            lines,
            format!("{:?}", r.districts),
            format!("{:?}", r.total),
        )
    };
    assert_eq!(shape(read), shape(recomputed), "{scope}");
    assert_eq!(read.checkpoint, recomputed.checkpoint, "{scope}");
}

async fn assert_read_models_match(db: &TestDb) {
    let store = db.store.as_ref();
    for district in [Some("842"), Some("844")] {
        let read = reconcile::reconcile(store, "NQ68", district).await;
        let recomputed = reconcile::from_postings(store, "NQ68", district).await;
        let scope = format!("{} {district:?}", db.backend);
        assert_same(
            &read.expect("read"),
            &recomputed.expect("recomputed"),
            &scope,
        );
    }
    let report = verify::run(store, None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert!(report.read_model_people.unwrap_or(0) > 0, "{}", db.backend);
}

async fn read_models_equal_a_recomputation_from_postings(db: TestDb) {
    let users = province::setup(&db).await;
    let paid = approve_and_pay(&db, &users).await;
    assert_read_models_match(&db).await;

    // A payment reversed, then an approval reversed for one person.
    let payment_seq = paid.checkpoints[0].seq;
    let request = ReverseRequest {
        seq: payment_seq,
        reason: "paid twice in error".into(),
        beneficiary: None,
    };
    reverse::reverse(db.store.as_ref(), &users.provincial, request)
        .await
        .expect("reverse the payment");
    assert_read_models_match(&db).await;

    // Rolls of new people committed at once by two districts' officers.
    let rolls: Vec<_> = (0..4)
        .map(|n| {
            let store = db.store.clone();
            let officer = users.officer842.clone();
            tokio::spawn(async move {
                let staged = pipeline::stage(store.as_ref(), &officer, &race_roll(n)).await?;
                pipeline::commit(store.as_ref(), &officer, staged).await
            })
        })
        .collect();
    for roll in rolls {
        roll.await.expect("join").expect("commit");
    }
    assert_read_models_match(&db).await;

    // A rebuild from the journal writes the same rows.
    let before = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("read");
    read_model::rebuild(db.store.as_ref())
        .await
        .expect("rebuild");
    let after = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("read");
    assert_same(&after, &before, db.backend);
}

async fn a_changed_read_model_fails_verify_until_rebuilt(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    // Every field verify compares, changed one at a time.
    let changes = [
        "paid = paid + 1",
        "outstanding = outstanding - 1",
        "approvals = approvals + 1",
        "full_name = full_name || 'x'",
        "name_key = name_key || 'x'",
        "category = 'x' || category",
        "status = 'overpaid'",
        "refused = '[]'",
    ];
    for change in changes {
        db.raw(&format!(
            "UPDATE person_balances SET {change} WHERE national_id = '084078918650'"
        ))
        .await
        .expect("change a derived row");
        let reason = read_models_refused(&db, "084078918650").await;
        read_model::rebuild(db.store.as_ref())
            .await
            .expect("rebuild");
        let report = verify::run(db.store.as_ref(), None).await.expect("verify");
        assert!(
            report.is_ok(),
            "{}: {change} ({reason}): {:?}",
            db.backend,
            report.problem
        );
    }
}

/// The reason `verify --full` refuses the read models for, which names `needle`.
async fn read_models_refused(db: &TestDb, needle: &str) -> String {
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    let problem = report.problem.expect("the read models differ");
    assert_eq!(problem.at, verify::Place::ReadModels, "{}", db.backend);
    assert!(problem.reason.contains(needle), "{}", problem.reason);
    problem.reason
}

/// `verify --full` names the person whose row was deleted, and a row added
/// for a person the journal does not name.
async fn a_missing_or_stray_read_model_row_fails_verify(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    db.raw("DELETE FROM person_balances WHERE national_id = '084078918650'")
        .await
        .expect("delete a derived row");
    read_models_refused(&db, "miss 084078918650").await;
    read_model::rebuild(db.store.as_ref())
        .await
        .expect("rebuild");
    db.raw(
        "INSERT INTO person_balances SELECT program, district, '999000000001', category, full_name, \
         name_key, outstanding, paid, approvals, status, refused FROM person_balances \
         WHERE national_id = '084078918650'",
    )
    .await
    .expect("add a stray row");
    let reason = read_models_refused(&db, "999000000001").await;
    assert!(reason.contains("does not name"), "{reason}");
}

/// Over HTTP, a ledger never verified is verified whole in the background:
/// requests meanwhile are told to ask again (503, `pending`); the one after
/// a failed run gets its report, and the next starts a new run.
async fn a_never_verified_ledger_is_verified_whole_in_the_background(db: TestDb) {
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let auditor = api.login("kiemtoan").await;
    api.import_approvals_842(&officer).await;
    db.raw("UPDATE person_balances SET paid = paid + 1 WHERE national_id = '084078918650'")
        .await
        .expect("change a derived row");
    let (status, pending) = json_of(api.get(&auditor, "/api/v1/verify").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{pending}");
    assert_eq!(pending["error"], "pending", "{pending}");
    let (status, failed) = verified_after_the_first_run(&api, &auditor).await;
    assert_eq!(status, StatusCode::OK, "{failed}");
    assert_eq!(failed["problem"]["at"], json!("read_models"), "{failed}");
    let (status, again) = json_of(api.get(&auditor, "/api/v1/verify").await).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a new run: {again}"
    );
    read_model::rebuild(db.store.as_ref())
        .await
        .expect("rebuild");
    // The run under way may have read the rows before the rebuild.
    let mut passed = verified_after_the_first_run(&api, &auditor).await.1;
    if !passed["problem"].is_null() {
        passed = verified_after_the_first_run(&api, &auditor).await.1;
    }
    assert_eq!(passed["problem"], Value::Null, "{passed}");
}

/// Sixteen auditors' requests at once on a never-verified ledger: each is
/// told to wait or gets a passing report, never an error, and the whole
/// ledger is verified once (one full check recorded), not once a request.
async fn requests_racing_a_first_verification_start_one_run(db: TestDb) {
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let auditor = api.login("kiemtoan").await;
    api.import_approvals_842(&officer).await;
    let asks = (0..16).map(|_| async { json_of(api.get(&auditor, "/api/v1/verify").await).await });
    for (status, body) in futures_util::future::join_all(asks).await {
        let waiting = status == StatusCode::SERVICE_UNAVAILABLE && body["error"] == "pending";
        let passed = status == StatusCode::OK && body["problem"].is_null();
        assert!(waiting || passed, "{}: {status} {body}", db.backend);
    }
    let (status, report) = verified_after_the_first_run(&api, &auditor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["problem"], Value::Null, "{report}");
    let full_checks = query_i64(
        &db,
        "SELECT COUNT(*) FROM verifications WHERE full_check = TRUE",
    )
    .await;
    assert_eq!(full_checks, vec![1], "{}", db.backend);
}

async fn incremental_verification_checks_what_follows_the_last_one(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    let store = db.store.as_ref();
    let whole = verify::run_incremental(store).await.expect("first verify");
    assert!(whole.is_ok(), "{}: {:?}", db.backend, whole.problem);
    assert_eq!(
        whole.checked_after_seq, None,
        "none before: the whole ledger"
    );
    let reached = whole.head.clone().expect("head");

    let staged = pipeline::stage(store, &users.officer842, &race_roll(7))
        .await
        .expect("stage");
    let committed = pipeline::commit(store, &users.officer842, staged)
        .await
        .expect("commit");
    let next = verify::run_incremental(store).await.expect("verify again");
    assert!(next.is_ok(), "{}: {:?}", db.backend, next.problem);
    assert_eq!(next.checked_after_seq, Some(reached.seq));
    assert_eq!(next.entries, committed.checkpoints.len() as u64);
    assert_eq!(next.head, committed.checkpoints.last().cloned());

    // Nothing new: nothing to check, the head stays.
    let idle = verify::run_incremental(store).await.expect("idle");
    assert_eq!((idle.entries, idle.head.clone()), (0, next.head.clone()));

    // The verified head rewritten behind the triggers: found without --full.
    let head = next.head.expect("head");
    let drop = if db.backend == "postgres" {
        "DROP TRIGGER journal_entries_append_only ON journal_entries"
    } else {
        "DROP TRIGGER journal_entries_no_update"
    };
    db.raw(drop).await.expect("drop trigger");
    let forged = format!(
        "UPDATE journal_entries SET hash = '{}' WHERE seq = {}",
        "0".repeat(64),
        head.seq
    );
    db.raw(&forged).await.expect("rewrite");
    let found = verify::run_incremental(store).await.expect("verify");
    let problem = found.problem.expect("the rewrite is found");
    assert_eq!(problem.entry_seq(), Some(head.seq), "{}", problem.reason);
    assert!(problem.reason.contains("rewritten"), "{}", problem.reason);
}

async fn reconciliation_pages_search_and_filter(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    let store = db.store.as_ref();
    let scope = |search: Option<&str>, status: Option<reconcile::Status>| reconcile::Scope {
        program: "NQ68".into(),
        district: Some("842".into()),
        search: search.map(str::to_string),
        status,
    };
    let whole = reconcile::page(store, &scope(None, None), 0, 100)
        .await
        .expect("whole");
    // Tone marks and case aside, by a part of the name.
    let by_name = reconcile::page(store, &scope(Some("sa ray"), None), 0, 100)
        .await
        .expect("by name");
    let names: Vec<&str> = by_name.lines.iter().map(|l| l.full_name.as_str()).collect();
    assert_eq!(names, ["Thạch Sa Rây"], "{}", db.backend);
    assert_eq!(by_name.lines_total, 1);
    assert_eq!(
        by_name.total.beneficiaries, whole.total.beneficiaries,
        "totals stay the scope's"
    );
    // By the start of a national ID.
    let by_id = reconcile::page(store, &scope(Some("0840789"), None), 0, 100)
        .await
        .expect("by id");
    assert!(by_id
        .lines
        .iter()
        .all(|l| l.national_id.starts_with("0840789")));
    assert_eq!(by_id.lines.len(), 1, "{}", db.backend);
    // By status, paged.
    let unpaid = Some(reconcile::Status::Unpaid);
    let all_unpaid = reconcile::page(store, &scope(None, unpaid), 0, 100)
        .await
        .expect("unpaid");
    let expected = whole
        .lines
        .iter()
        .filter(|l| l.status == reconcile::Status::Unpaid)
        .count();
    assert!(expected >= 1, "{}", db.backend);
    assert_eq!(all_unpaid.lines_total, expected as u64);
    assert!(all_unpaid
        .lines
        .iter()
        .all(|l| l.status == reconcile::Status::Unpaid));
    // Pages of the whole scope, one line each, in order.
    for offset in 0..whole.lines.len() {
        let one = reconcile::page(store, &scope(None, None), offset as i64, 1)
            .await
            .expect("page");
        assert_eq!(one.lines.len(), 1);
        assert_eq!(one.lines[0].national_id, whole.lines[offset].national_id);
    }
}

/// People `first..first + count` of the kept-figures tests, approved in
/// district 842 (IDs no other test roll holds).
fn kept_person(n: usize) -> String {
    format!("0843{n:08}")
}

fn approvals_of(first: usize, count: usize, name: &str) -> RollUpload {
    let mut text = String::from(
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n",
    );
    for n in first..first + count {
        let letters: String = format!("{n:05}")
            .bytes()
            .map(|digit| char::from(b'a' + (digit - b'0')))
            .collect();
        text.push_str(&format!(
            "{};Người {letters};{};29239;tu-do;1.500.000;9/QĐ-UBND;16/08/2021\n",
            n - first + 1,
            kept_person(n)
        ));
    }
    upload(RollKind::Approvals, name, &text)
}

/// A payment line per (person, amount, voucher).
fn payments_of(lines: &[(usize, i64, String)], name: &str) -> RollUpload {
    let mut text = String::from("national_id,amount,paid_date,reference\n");
    for (n, amount_dong, voucher) in lines {
        text.push_str(&format!(
            "{},{amount_dong},2021-09-01,{voucher}\n",
            kept_person(*n)
        ));
    }
    upload(RollKind::Payments, name, &text)
}

fn paid_in_full(people: std::ops::Range<usize>) -> Vec<(usize, i64, String)> {
    people.map(|n| (n, 1_500_000, format!("KP-{n}"))).collect()
}

async fn commit_roll(
    store: &dyn ansinh::store::Store,
    user: &ansinh::domain::User,
    roll: &RollUpload,
) -> Result<ansinh::import::report::ImportReport, pipeline::ImportError> {
    let staged = pipeline::stage(store, user, roll).await.expect("stage");
    pipeline::commit(store, user, staged).await
}

/// Rolls large enough that a commit keeps their scope's figures for the
/// next one: the rows stay those a recomputation gives through payments,
/// refused lines, a commit by another store (another process) and a
/// reversal.
async fn figures_kept_between_commits_stay_those_of_the_journal(db: TestDb) {
    let users = province::setup(&db).await;
    let officer = &users.officer842;
    let store = db.store.as_ref();
    commit_roll(store, officer, &approvals_of(0, 1_200, "many.csv"))
        .await
        .expect("approvals");
    assert_eq!(store.person_cache().people(), 1_200, "{}", db.backend);
    assert_read_models_match(&db).await;

    // 600 paid in full; person 0 paid again beyond what is left (refused).
    let mut lines = paid_in_full(0..600);
    lines.push((0, 2_000_000, "KP-again".into()));
    let first_payments = commit_roll(store, officer, &payments_of(&lines, "pay-1.csv"))
        .await
        .expect("payments");
    assert_eq!(first_payments.rejected.len(), 1, "{}", db.backend);
    assert_read_models_match(&db).await;

    // Another process commits: the figures kept here are of an older head.
    let other = ansinh::store::open(&db.url).await.expect("open again");
    commit_roll(
        other.as_ref(),
        officer,
        &approvals_of(5_000, 3, "other.csv"),
    )
    .await
    .expect("approvals from another store");
    let other_payments = payments_of(&paid_in_full(600..605), "pay-other.csv");
    let paid_elsewhere = commit_roll(other.as_ref(), officer, &other_payments)
        .await
        .expect("payments from another store");
    commit_roll(
        store,
        officer,
        &payments_of(&paid_in_full(605..1_200), "pay-2.csv"),
    )
    .await
    .expect("payments after another store's commit");
    assert_eq!(store.person_cache().people(), 1_203, "{}", db.backend);
    assert_read_models_match(&db).await;

    // One person's part of a payment roll reversed, a batch of one: person
    // 1, then person 0, whose status hangs on the refused line beside the
    // figures (overpaid, not unpaid).
    // Then person 600, paid by the other store.
    let paid_by = |person| match person {
        600 => paid_elsewhere.checkpoints[0].seq,
        _ => first_payments.checkpoints[0].seq,
    };
    for person in [1, 0, 600] {
        let request = ReverseRequest {
            seq: paid_by(person),
            reason: "paid in error".into(),
            beneficiary: Some(kept_person(person)),
        };
        reverse::reverse(store, &users.provincial, request)
            .await
            .expect("reverse one person's payment");
        assert_read_models_match(&db).await;
    }
    let statuses = query_i64(
        &db,
        &format!(
            "SELECT COUNT(*) FROM person_balances WHERE national_id = '{}' AND status = 'overpaid'",
            kept_person(0)
        ),
    )
    .await;
    assert_eq!(statuses, vec![1], "{}", db.backend);
}

/// A person whose row vanished outside the journal while their figures
/// are kept: the payment's commit fails, and the ledger stays as it was.
async fn figures_for_a_person_without_a_row_fail_the_commit(db: TestDb) {
    let users = province::setup(&db).await;
    let officer = &users.officer842;
    let store = db.store.as_ref();
    commit_roll(store, officer, &approvals_of(0, 600, "many.csv"))
        .await
        .expect("approvals");
    db.raw(&format!(
        "DELETE FROM person_balances WHERE national_id = '{}'",
        kept_person(7)
    ))
    .await
    .expect("delete a derived row");
    let head = store.head().await.expect("head");
    let error = commit_roll(
        store,
        officer,
        &payments_of(&paid_in_full(0..10), "pay.csv"),
    )
    .await
    .expect_err("a row is missing");
    assert!(
        error.to_string().contains("read model row"),
        "{}: {error}",
        db.backend
    );
    assert_eq!(store.head().await.expect("head"), head, "{}", db.backend);
    read_model::rebuild(store).await.expect("rebuild");
    let report = verify::run(store, None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
}

/// Commits a roll, validating it again when another commit of its district
/// made it stale, as an officer told so would.
async fn commit_retrying(
    store: &dyn ansinh::store::Store,
    user: &ansinh::domain::User,
    roll: &RollUpload,
) -> Result<ansinh::import::report::ImportReport, pipeline::ImportError> {
    let mut attempts_left = 10;
    loop {
        match commit_roll(store, user, roll).await {
            Err(pipeline::ImportError::Stale(_)) if attempts_left > 0 => attempts_left -= 1,
            outcome => return outcome,
        }
    }
}

/// People a roll of the race below: enough for a commit to keep its
/// scope's figures, and for the three rolls to cross a page of SQLite's
/// read of the read models (4,096) and of the journal's postings.
const ROLL: usize = 1_400;

/// Rolls large enough for their scope's figures to be kept, committed at
/// once by two tasks of one store and one of another store (another
/// process), all in one scope, each roll's people paid in two parts by
/// different stores: a commit lays its changes over the figures of the
/// head it reads under the append lock or starts afresh, so the rows stay
/// those a recomputation gives.
async fn kept_figures_under_concurrent_commits(db: TestDb) {
    let users = province::setup(&db).await;
    let here = db.store.clone();
    let other = ansinh::store::open(&db.url).await.expect("open again");
    let at_once = |rolls: Vec<(RollUpload, Arc<dyn Store>)>| {
        let officer = users.officer842.clone();
        let tasks: Vec<_> = rolls
            .into_iter()
            .map(|(roll, store)| {
                let officer = officer.clone();
                tokio::spawn(async move { commit_retrying(store.as_ref(), &officer, &roll).await })
            })
            .collect();
        async move {
            let mut reports = Vec::new();
            for task in tasks {
                reports.push(task.await.expect("join").expect("commit"));
            }
            reports
        }
    };
    let firsts = [0, ROLL, 2 * ROLL];
    let part = |first: usize, store: &Arc<dyn Store>, name: &str| {
        let lines: Vec<_> = (first..first + ROLL)
            .map(|n| (n, 500_000, format!("{name}-{n}")))
            .collect();
        (
            payments_of(&lines, &format!("{name}-{first}.csv")),
            store.clone(),
        )
    };

    let approvals = [(0, &here), (ROLL, &here), (2 * ROLL, &other)].map(|(first, store)| {
        (
            approvals_of(first, ROLL, &format!("many-{first}.csv")),
            store.clone(),
        )
    });
    at_once(approvals.into()).await;
    assert_read_models_match(&db).await;

    // A third of each person's approval paid, each roll by a store other
    // than the one that will pay the second third.
    let stores = [&here, &other, &here];
    at_once((0..3).map(|n| part(firsts[n], stores[n], "KP1")).collect()).await;
    assert_read_models_match(&db).await;
    let stores = [&other, &here, &here];
    let mut second: Vec<_> = (0..3).map(|n| part(firsts[n], stores[n], "KP2")).collect();
    // Another roll: one more payment, and one beyond what is left (refused).
    let lines = [
        (1, 100_000, "KP-more".into()),
        (5, 2_000_000, "KP-again".into()),
    ];
    second.push((payments_of(&lines, "again.csv"), here.clone()));
    let reports = at_once(second).await;
    assert_eq!(reports[3].rejected.len(), 1, "{}", db.backend);
    assert_read_models_match(&db).await;
    let a_third_left = query_i64(
        &db,
        "SELECT COUNT(*) FROM person_balances \
         WHERE national_id LIKE '0843%' AND outstanding = 500000 AND paid = 1000000",
    )
    .await;
    assert_eq!(a_third_left, vec![3 * ROLL as i64 - 1], "{}", db.backend);
}

/// `verify --full` run again and again while rolls commit: each reads the
/// journal, the evidence and the read models of one snapshot, so each
/// passes. Read apart (the read models after a commit the journal's read
/// missed), the read models would differ from the journal read.
async fn a_full_verification_reads_one_snapshot_while_rolls_commit(db: TestDb) {
    let users = province::setup(&db).await;
    let store = db.store.clone();
    let officer = users.officer842.clone();
    let committing = tokio::spawn(async move {
        for first in [0, ROLL, 2 * ROLL] {
            let roll = approvals_of(first, ROLL, &format!("snap-{first}.csv"));
            commit_roll(store.as_ref(), &officer, &roll)
                .await
                .expect("approvals");
            let paid: Vec<_> = (first..first + ROLL)
                .map(|n| (n, 500_000, format!("SNAP-{n}")))
                .collect();
            let roll = payments_of(&paid, &format!("snap-paid-{first}.csv"));
            commit_roll(store.as_ref(), &officer, &roll)
                .await
                .expect("payments");
        }
    });
    let mut verified_during_commits = 0;
    while !committing.is_finished() {
        let report = verify::run(db.store.as_ref(), None).await.expect("verify");
        assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
        verified_during_commits += 1;
    }
    committing.await.expect("join");
    assert!(verified_during_commits >= 2, "{}", db.backend);
    assert_read_models_match(&db).await;
}
