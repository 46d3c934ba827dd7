//! Several provincial ledgers in one database (`--ledger CODE`): each with
//! its own journal, chain, append lock and verification, beside the
//! database's own ledger; the national report over them; a ledger's backup.

use crate::http_api::Api;
use crate::payments_reconcile::race_roll;
use crate::support::harness::{Runtime, Suite};
use crate::support::{province, EarlierSchema, TestDb};
use ansinh::domain::{Checkpoint, LedgerCode, Role, User};
use ansinh::import::pipeline;
use ansinh::import::roll::RollUpload;
use ansinh::ledger::verify;
use ansinh::report::national;
use ansinh::store::{self, backup, Store};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: two_ledgers_keep_their_own_journals_and_sum_in_the_national_report,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): a_ledger_commits_while_another_holds_its_append_lock,
        each_backend: the_database_own_ledger_stays_as_it_was_beside_provincial_ones,
        each_backend: a_ledger_backup_restores_into_a_database_with_other_ledgers,
        each_backend: the_database_own_ledger_becomes_a_province_ledger_as_the_readme_says,
        each_backend: a_national_reader_reads_every_ledger_over_http_and_nothing_else,
    );
}

async fn commit_roll(store: &dyn Store, officer: &User, roll: usize) -> Checkpoint {
    commit_upload(store, officer, race_roll(roll)).await
}

async fn commit_upload(store: &dyn Store, officer: &User, upload: RollUpload) -> Checkpoint {
    let staged = pipeline::stage(store, officer, &upload)
        .await
        .expect("stage");
    pipeline::commit(store, officer, staged)
        .await
        .expect("commit");
    store.head().await.expect("head").expect("an entry")
}

/// Đồng Tháp's ledger: a provincial user, the example program with a
/// budget for Cao Lãnh (866) alone, and Cao Lãnh's officer.
async fn setup_dong_thap(db: &TestDb) -> User {
    let provincial =
        crate::support::add_user(db, "tinh", Role::Provincial, None, UNUSED_HASH).await;
    let (budgets, _) = province::EXAMPLE_PROGRAM
        .split_once("[budgets]")
        .expect("the example has budgets");
    let program = format!("{budgets}[budgets]\n\"866\" = 50000000000\n");
    ansinh::programs::add(db.store.as_ref(), &provincial.username, &program)
        .await
        .expect("Đồng Tháp's program");
    crate::support::add_user(db, "huyen866", Role::District, Some("866"), UNUSED_HASH).await
}

/// [`race_roll`] `roll`, from Cao Lãnh (district 866, commune 29869).
fn dong_thap_roll(roll: usize) -> RollUpload {
    let mut upload = race_roll(roll);
    upload.district = "866".into();
    let text = String::from_utf8(upload.bytes).expect("text");
    upload.bytes = text.replace(";29239;", ";29869;").into_bytes();
    upload
}

const UNUSED_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$0000000000000000000000000000000000000000000";

async fn verified(db: &TestDb) -> verify::VerifyReport {
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    report
}

fn code(text: &str) -> LedgerCode {
    LedgerCode::parse(text).expect("a province code")
}

fn as_of() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

async fn two_ledgers_keep_their_own_journals_and_sum_in_the_national_report(db: TestDb) {
    let tra_vinh = db.ledger("84").await;
    let dong_thap = db.ledger("87").await;
    let users_84 = province::setup(&tra_vinh).await;
    // A ledger is its province's: another province's districts are refused.
    let refused =
        ansinh::programs::add(dong_thap.store.as_ref(), "tinh", province::EXAMPLE_PROGRAM)
            .await
            .expect_err("Trà Vinh's districts in Đồng Tháp's ledger");
    assert!(
        refused
            .to_string()
            .contains("district 842 is in province 84, not in this ledger's province 87"),
        "{refused}"
    );
    let officer_866 = setup_dong_thap(&dong_thap).await;
    let head_84 = commit_roll(tra_vinh.store.as_ref(), &users_84.officer842, 0).await;
    // Each chain starts at its own first entry: the program, then the roll.
    assert_eq!(head_84.seq, 2, "{}", db.backend);
    assert_eq!(
        dong_thap.store.head().await.expect("head").map(|h| h.seq),
        Some(1)
    );
    let head_87 = commit_upload(dong_thap.store.as_ref(), &officer_866, dong_thap_roll(1)).await;
    assert_eq!(head_87.seq, 2, "{}", db.backend);
    assert_ne!(head_84.hash, head_87.hash);
    // A user belongs to a ledger: 84's officer is not 87's.
    assert!(tra_vinh
        .store
        .find_user("huyen842")
        .await
        .expect("user")
        .is_some());
    assert_eq!(verified(&tra_vinh).await.entries, 2);
    assert_eq!(verified(&dong_thap).await.entries, 2);
    // The database's own ledger saw none of it.
    assert_eq!(db.store.head().await.expect("head"), None, "{}", db.backend);
    // Only a command that writes makes a ledger: opening one to read is refused.
    let reading = store::OpenOptions {
        ledger: Some(code("86")),
        ..store::OpenOptions::default()
    };
    let refused = store::open_with(&db.url, &reading)
        .await
        .err()
        .expect("no ledger 86");
    assert!(
        refused
            .to_string()
            .contains("ledger 86 is not in this database"),
        "{refused}"
    );
    assert_eq!(
        store::ledgers_in(&db.url).await.expect("ledgers"),
        vec![code("84"), code("87")]
    );

    let ledgers: Vec<(LedgerCode, Arc<dyn Store>)> = vec![
        (code("87"), dong_thap.store.clone()),
        (code("84"), tra_vinh.store.clone()),
    ];
    let report = national::national(&ledgers, as_of())
        .await
        .expect("national");
    let codes: Vec<&str> = report.provinces.iter().map(|p| p.ledger.as_str()).collect();
    assert_eq!(codes, ["84", "87"], "in code order");
    assert_eq!(report.provinces[0].checkpoint.as_ref(), Some(&head_84));
    assert_eq!(report.provinces[1].checkpoint.as_ref(), Some(&head_87));
    // Two rolls of 300 people at 1.500.000 đồng each.
    assert_eq!(report.total.beneficiaries, 600, "{}", db.backend);
    assert_eq!(report.total.approved_dong, 600 * 1_500_000);
    assert_eq!(
        report.checkpoint,
        national::national_checkpoint(&report.provinces)
    );
    let again = national::national(&ledgers, as_of()).await.expect("again");
    assert_eq!(
        again.checkpoint, report.checkpoint,
        "nothing changed, same checkpoint"
    );
    commit_upload(dong_thap.store.as_ref(), &officer_866, dong_thap_roll(2)).await;
    let moved = national::national(&ledgers, as_of())
        .await
        .expect("after a commit");
    assert_ne!(
        moved.checkpoint, report.checkpoint,
        "a provincial commit moves it"
    );
    assert_eq!(moved.total.beneficiaries, 900);
}

async fn a_ledger_commits_while_another_holds_its_append_lock(db: TestDb) {
    let tra_vinh = db.ledger("84").await;
    let dong_thap = db.ledger("87").await;
    province::setup(&tra_vinh).await;
    let officer_866 = setup_dong_thap(&dong_thap).await;
    let holding_84 = tra_vinh.store.begin_append().await.expect("84's lock");
    // 84's own second appender waits for the lock: the check below can fail.
    let waiting = tokio::time::timeout(Duration::from_millis(300), tra_vinh.store.begin_append());
    assert!(waiting.await.is_err(), "{}: 84's lock is one", db.backend);
    let committed = tokio::time::timeout(
        Duration::from_secs(30),
        commit_upload(dong_thap.store.as_ref(), &officer_866, dong_thap_roll(0)),
    )
    .await
    .unwrap_or_else(|_| panic!("{}: 87 waited for 84's append lock", db.backend));
    assert_eq!(committed.seq, 2);
    drop(holding_84);
    verified(&dong_thap).await;
    verified(&tra_vinh).await;
}

async fn the_database_own_ledger_stays_as_it_was_beside_provincial_ones(db: TestDb) {
    // A single-province database from before ledgers, with a commit.
    let users = province::setup(&db).await;
    let own_head = commit_roll(db.store.as_ref(), &users.officer842, 0).await;
    let own_before = verified(&db).await;
    let tra_vinh = db.ledger("84").await;
    let users_84 = province::setup(&tra_vinh).await;
    commit_roll(tra_vinh.store.as_ref(), &users_84.officer842, 1).await;
    // Reopened as before: the same chain, still verifying.
    let reopened = store::open(&db.url).await.expect("reopen");
    assert_eq!(reopened.head().await.expect("head"), Some(own_head));
    let report = verify::run(reopened.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert_eq!(report.entries, own_before.entries);
    assert_eq!(
        store::ledgers_in(&db.url).await.expect("ledgers"),
        vec![code("84")]
    );
}

async fn a_ledger_backup_restores_into_a_database_with_other_ledgers(db: TestDb) {
    let tra_vinh = db.ledger("84").await;
    let users = province::setup(&tra_vinh).await;
    let head = commit_roll(tra_vinh.store.as_ref(), &users.officer842, 0).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ledger-84.backup");
    tra_vinh.store.back_up(&file).await.expect("backup");

    // The target already holds another province's ledger.
    let target = EarlierSchema::empty(crate::backup::backend_of(&db)).await;
    let target = target.open().await;
    let other = target.ledger("87").await;
    setup_dong_thap(&other).await;
    backup::restore_ledger(&file, &target.url, Some(&code("84")))
        .await
        .expect("restore");
    let restored = target.ledger("84").await;
    assert_eq!(restored.store.head().await.expect("head"), Some(head));
    verified(&restored).await;
    // Restoring over a ledger that holds anything is refused.
    let refused = backup::restore_ledger(&file, &target.url, Some(&code("84")))
        .await
        .expect_err("the ledger holds data");
    assert!(refused.to_string().contains("restore into"), "{refused}");
}

async fn the_database_own_ledger_becomes_a_province_ledger_as_the_readme_says(db: TestDb) {
    let users = province::setup(&db).await;
    let own_head = commit_roll(db.store.as_ref(), &users.officer842, 0).await;
    if db.backend == "postgres" {
        // README: with the servers stopped, rename the schema.
        db.raw("ALTER SCHEMA public RENAME TO ledger_84; CREATE SCHEMA public;")
            .await
            .expect("rename the schema");
    } else {
        // README: a consistent copy under the ledger's file name.
        let path = db.url.trim_start_matches("sqlite://").to_string();
        let ledger_file = ansinh::store::sqlite::ledger_file(&path, &code("84"));
        db.store
            .back_up(std::path::Path::new(&ledger_file))
            .await
            .expect("backup");
    }
    let tra_vinh = db.ledger("84").await;
    assert_eq!(
        tra_vinh.store.head().await.expect("head"),
        Some(own_head),
        "{}",
        db.backend
    );
    let report = verified(&tra_vinh).await;
    assert_eq!(report.entries, 2);
    // It goes on as a province's ledger: its officer commits the next roll.
    let next = commit_roll(tra_vinh.store.as_ref(), &users.officer842, 1).await;
    assert_eq!(next.seq, 3);
    verified(&tra_vinh).await;
}

/// The ministry's server (the database's own ledger) serves the national
/// report to its national readers, and to no one else; a national reader
/// belongs to that ledger, never to a province's.
async fn a_national_reader_reads_every_ledger_over_http_and_nothing_else(db: TestDb) {
    let tra_vinh = db.ledger("84").await;
    let dong_thap = db.ledger("87").await;
    let users_84 = province::setup(&tra_vinh).await;
    let officer_866 = setup_dong_thap(&dong_thap).await;
    let head_84 = commit_roll(tra_vinh.store.as_ref(), &users_84.officer842, 0).await;
    let head_87 = commit_upload(dong_thap.store.as_ref(), &officer_866, dong_thap_roll(1)).await;
    let admin_84 =
        crate::support::add_user(&tra_vinh, "quantri", Role::Admin, None, UNUSED_HASH).await;
    let refused = ansinh::users::add(
        tra_vinh.store.as_ref(),
        &admin_84,
        "bo",
        Role::National,
        None,
        "mật khẩu đủ dài".into(),
    )
    .await
    .expect_err("a national reader in a province's ledger");
    assert!(
        refused.to_string().contains("not to province 84's"),
        "{refused}"
    );

    let api = Api::with_province(&db).await;
    crate::http_api::add_user(&db, "bo", Role::National, None).await;
    let national = api.login("bo").await;
    let as_of = as_of().to_string();
    let response = api
        .get(&national, &format!("/api/v1/national/report?as_of={as_of}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", db.backend);
    let report: Value = response.json().await.expect("json");
    let provinces = report["provinces"].as_array().expect("provinces");
    let codes: Vec<&str> = provinces
        .iter()
        .filter_map(|p| p["ledger"].as_str())
        .collect();
    assert_eq!(codes, ["84", "87"], "{}", db.backend);
    assert_eq!(provinces[0]["province"], "Tỉnh Trà Vinh");
    assert_eq!(provinces[0]["checkpoint"]["seq"], head_84.seq);
    assert_eq!(provinces[1]["checkpoint"]["hash"], head_87.hash.as_str());
    assert_eq!(report["total"]["beneficiaries"], 600);
    assert_eq!(report["total"]["approved_dong"], 600 * 1_500_000_i64);
    // The digest is the library's, of the same checkpoints.
    let ledgers: Vec<(LedgerCode, Arc<dyn Store>)> = vec![
        (code("84"), tra_vinh.store.clone()),
        (code("87"), dong_thap.store.clone()),
    ];
    let library = national::national(&ledgers, chrono::Local::now().date_naive())
        .await
        .expect("national");
    assert_eq!(report["checkpoint"], library.checkpoint.as_str());

    let one = api
        .get(
            &national,
            &format!("/api/v1/national/report?as_of={as_of}&ledgers=87"),
        )
        .await;
    let one: Value = one.json().await.expect("json");
    assert_eq!(one["provinces"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["total"]["beneficiaries"], 300);
    let missing = api
        .get(
            &national,
            &format!("/api/v1/national/report?as_of={as_of}&ledgers=86"),
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.expect("json");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("ledger 86 is not in this database (it holds: 84, 87)"),
        "{message}"
    );
    let bad_date = api
        .get(&national, "/api/v1/national/report?as_of=25/11/2021x")
        .await;
    assert_eq!(bad_date.status(), StatusCode::BAD_REQUEST);

    // A national reader reads nothing of a province's own, and no one else
    // reads the national report.
    let summary = api
        .get(&national, &format!("/api/v1/reports/summary?as_of={as_of}"))
        .await;
    assert_eq!(summary.status(), StatusCode::FORBIDDEN);
    let provincial = api.login("tinh").await;
    let refused = api
        .get(
            &provincial,
            &format!("/api/v1/national/report?as_of={as_of}"),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{}", db.backend);
}
