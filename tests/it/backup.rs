//! Backups taken while districts import, restored and verified, on every backend.

use crate::payments_reconcile::race_roll;
use crate::support::harness::{Backend, Runtime, Suite};
use crate::support::{province, EarlierSchema, TestDb};
use ansinh::import::pipeline;
use ansinh::ledger::verify;
use ansinh::store::backup;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): a_backup_taken_during_imports_restores_every_commit_before_it,
        each_backend: a_restore_never_overwrites_a_ledger,
    );
}

fn backup_file(db: &TestDb) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = if db.backend == "postgres" {
        "ledger.pgdump"
    } else {
        "ledger.db"
    };
    let file = dir.path().join(name);
    (dir, file)
}

pub(crate) fn backend_of(db: &TestDb) -> Backend {
    if db.backend == "postgres" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

async fn committed_imports(db: &TestDb) -> Vec<i64> {
    crate::support::query_i64(
        db,
        "SELECT import_id FROM import_commits ORDER BY import_id",
    )
    .await
}

async fn a_backup_taken_during_imports_restores_every_commit_before_it(db: TestDb) {
    let users = province::setup(&db).await;
    let stop = Arc::new(AtomicBool::new(false));
    let importer = {
        let (store, officer, stop) = (db.store.clone(), users.officer842.clone(), stop.clone());
        tokio::spawn(async move {
            let mut roll = 0;
            while !stop.load(Ordering::Relaxed) && roll < 12 {
                let staged = pipeline::stage(store.as_ref(), &officer, &race_roll(roll))
                    .await
                    .expect("stage");
                pipeline::commit(store.as_ref(), &officer, staged)
                    .await
                    .expect("commit");
                roll += 1;
            }
            roll
        })
    };
    // Back up once two rolls are in, while the others commit.
    while committed_imports(&db).await.len() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before_backup = committed_imports(&db).await;
    let (_dir, file) = backup_file(&db);
    db.store.back_up(&file).await.expect("backup");
    stop.store(true, Ordering::Relaxed);
    let rolls = importer.await.expect("importer");
    assert!(rolls >= 2, "{}", db.backend);

    let target = EarlierSchema::empty(backend_of(&db)).await;
    backup::restore(&file, &target.url).await.expect("restore");
    let restored = target.open().await;
    let report = verify::run(restored.store.as_ref(), None)
        .await
        .expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    let in_backup = committed_imports(&restored).await;
    for import in &before_backup {
        assert!(
            in_backup.contains(import),
            "{}: import {import} lost",
            db.backend
        );
    }
    // The copy is one moment: each of its imports whole, with its entries.
    assert_eq!(report.imports, in_backup.len() as u64, "{}", db.backend);
    assert!(in_backup.len() <= committed_imports(&db).await.len());
}

async fn a_restore_never_overwrites_a_ledger(db: TestDb) {
    province::setup(&db).await;
    let (_dir, file) = backup_file(&db);
    db.store.back_up(&file).await.expect("backup");
    let again = db.store.back_up(&file).await.expect_err("an existing file");
    assert!(again.to_string().contains("already exists"), "{again}");
    let refused = backup::restore(&file, &db.url)
        .await
        .expect_err("a ledger in the way");
    assert!(
        refused.to_string().contains("restore into"),
        "{}: {refused}",
        db.backend
    );
    let users = crate::support::query_i64(&db, "SELECT COUNT(*) FROM users").await;
    assert_eq!(users, vec![4], "{}: nothing changed", db.backend);
}
