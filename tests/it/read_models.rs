//! The read models (per-person rows and reconciliation totals kept at
//! commit) equal a recomputation from the postings and the committed rolls,
//! after payments, refused lines, reversals and rolls committed at once;
//! `verify --full` refuses them when they differ, a rebuild restores them;
//! incremental verification checks what follows the last one.

use crate::http_api::{json_of, verified_after_the_first_run, Api};
use crate::payments_reconcile::{approve_and_pay, race_roll};
use crate::support::harness::{Runtime, Suite};
use crate::support::{province, query_i64, TestDb};
use ansinh::import::pipeline;
use ansinh::ledger::{read_model, verify};
use ansinh::reconcile::{self, Reconciliation};
use ansinh::reverse::{self, ReverseRequest};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): read_models_equal_a_recomputation_from_postings,
        each_backend: a_changed_read_model_fails_verify_until_rebuilt,
        each_backend: a_missing_or_stray_read_model_row_fails_verify,
        each_backend: a_never_verified_ledger_is_verified_whole_in_the_background,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): requests_racing_a_first_verification_start_one_run,
        each_backend: incremental_verification_checks_what_follows_the_last_one,
        each_backend: reconciliation_pages_search_and_filter,
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
