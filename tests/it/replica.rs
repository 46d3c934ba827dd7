//! Reads from a PostgreSQL hot standby (`--read-database-url`), against a
//! real primary and standby that stream WAL on loopback
//! (`scripts/pg-replica-pair.sh`, which `.ci/run` starts).

use crate::payments_reconcile::race_roll;
use crate::support::harness::{Needs, Suite};
use crate::support::{database_url, province, replica_pair, TestDb};
use ansinh::import::pipeline;
use ansinh::store::{self, Store};
use ansinh::{ledger::verify, reconcile, report};
use sqlx::Connection;
use std::time::{Duration, Instant};

pub fn register(suite: &mut Suite) {
    register!(suite;
        needs(Needs::ReplicaPair): reads_go_to_the_replica_only_when_it_holds_what_they_need,
        needs(Needs::Postgres): a_replica_that_does_not_answer_leaves_reads_on_the_primary,
        tokio: a_replica_for_sqlite_is_refused,
    );
}

fn replica_options(url: &str) -> store::OpenOptions {
    store::OpenOptions {
        replica_url: Some(url.to_string()),
        ..store::OpenOptions::default()
    }
}

/// How long the standby may take to replay what the test waits for.
const REPLAY_WAIT: Duration = Duration::from_secs(60);

async fn head_seq(store: &dyn Store) -> i64 {
    store.head().await.expect("head").map_or(0, |h| h.seq)
}

async fn commit_roll(store: &dyn Store, officer: &ansinh::domain::User, roll: usize) -> i64 {
    let staged = pipeline::stage(store, officer, &race_roll(roll))
        .await
        .expect("stage");
    pipeline::commit(store, officer, staged)
        .await
        .expect("commit");
    head_seq(store).await
}

/// The checkpoint a reconciliation of district 842 was read at.
async fn reconciled_at(store: &dyn Store) -> i64 {
    let result = reconcile::reconcile(store, "NQ68", Some("842"))
        .await
        .expect("reconcile");
    result.checkpoint.map_or(0, |c| c.seq)
}

/// Waits until the replica has replayed up to `seq`.
async fn replayed_to(store: &dyn Store, seq: i64) {
    let started = Instant::now();
    loop {
        let status = store.replica_status().await.expect("a replica");
        if status.head_seq.is_some_and(|head| head >= seq) {
            return;
        }
        assert!(
            started.elapsed() < REPLAY_WAIT,
            "the standby did not replay to {seq}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pauses (or resumes) WAL replay on the standby: the whole standby, so
/// only this test may do it.
async fn set_replay_paused(standby_server: &str, paused: bool) {
    let mut conn = sqlx::PgConnection::connect(standby_server)
        .await
        .expect("connect to the standby");
    let call = if paused {
        "SELECT pg_wal_replay_pause()"
    } else {
        "SELECT pg_wal_replay_resume()"
    };
    sqlx::query(call)
        .execute(&mut conn)
        .await
        .expect("replay control");
}

/// The database the primary made, once the standby has it with its tables.
async fn standby_database(standby_server: &str, name: &str) -> String {
    let url = database_url(standby_server, name);
    let started = Instant::now();
    loop {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
            let migrated = sqlx::query("SELECT 1 FROM read_model_state")
                .fetch_optional(&mut conn)
                .await;
            if matches!(migrated, Ok(Some(_))) {
                return url;
            }
        }
        assert!(
            started.elapsed() < REPLAY_WAIT,
            "{name} never reached the standby"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reads_go_to_the_replica_only_when_it_holds_what_they_need() {
    let (primary_server, standby_server) = replica_pair().expect("the pair is named");
    // An earlier run that failed half-way may have left replay paused.
    set_replay_paused(&standby_server, false).await;
    // `db.store` reads the primary only: it stands for another server
    // process (or a CLI import) writing the same ledger.
    let db = TestDb::postgres_on(primary_server).await;
    let name = db.url.rsplit('/').next().expect("a database name");
    let replica_url = standby_database(&standby_server, name).await;
    let users = province::setup(&db).await;
    let with_replica = store::open_with(&db.url, &replica_options(&replica_url))
        .await
        .expect("open with a replica");
    let store = with_replica.as_ref();

    // Read-your-writes: right after its own commit, this process's reads
    // hold it, replayed or not.
    let first = commit_roll(store, &users.officer842, 0).await;
    assert_eq!(reconciled_at(store).await, first);
    replayed_to(store, first).await;

    // Another process commits while the standby is paused: this process
    // does not know of that commit, so its reconciliation comes from the
    // replica, as of the first roll.
    set_replay_paused(&standby_server, true).await;
    let second = commit_roll(db.store.as_ref(), &users.officer842, 1).await;
    let stale = reconciled_at(store).await;
    let listed = store
        .entries_page(
            &Default::default(),
            ansinh::store::Page {
                offset: 0,
                limit: 500,
            },
        )
        .await
        .expect("entries");
    // A report pinned at the primary's head needs the second roll: the
    // primary serves it, and so an entry by a seq the replica lacks.
    let today = chrono::Local::now().date_naive();
    let summary = report::summary(store, today, None, report::GroupBy::Program)
        .await
        .expect("summary");
    let second_entry = store.entry(second).await.expect("entry");
    // This process's own commit while the standby is paused: read from the
    // primary.
    let third = commit_roll(store, &users.officer842, 2).await;
    let own = reconciled_at(store).await;
    set_replay_paused(&standby_server, false).await;

    assert_eq!(
        stale, first,
        "the replica served the page, as of its replay"
    );
    assert!(
        listed.rows.iter().all(|entry| entry.seq <= first),
        "the replica served the journal listing"
    );
    assert_eq!(summary.checkpoint.map(|c| c.seq), Some(second));
    // Two rolls of RACE_ROLL_ROWS (300) people each.
    assert_eq!(
        summary.total.beneficiaries, 600,
        "the pinned report holds both rolls"
    );
    assert!(
        second_entry.is_some(),
        "entry {second} read from the primary"
    );
    assert_eq!(own, third, "this process's own commit is read back");

    replayed_to(store, third).await;
    assert_eq!(reconciled_at(store).await, third);
    let report = verify::run(store, None).await.expect("verify");
    assert!(report.is_ok(), "{:?}", report.problem);
}

async fn a_replica_that_does_not_answer_leaves_reads_on_the_primary() {
    let db = TestDb::postgres().await;
    let users = province::setup(&db).await;
    // Nothing listens on port 1.
    let replica_url = "postgres://postgres@127.0.0.1:1/nowhere";
    let with_replica = store::open_with(&db.url, &replica_options(replica_url))
        .await
        .expect("a replica is connected lazily");
    let store = with_replica.as_ref();
    let seq = commit_roll(store, &users.officer842, 0).await;
    assert_eq!(reconciled_at(store).await, seq);
    let status = store.replica_status().await.expect("a replica");
    assert_eq!(status.head_seq, None);
    assert!(status.error.is_some(), "{status:?}");
}

async fn a_replica_for_sqlite_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ansinh.db").display());
    let refused = store::open_with(&url, &replica_options("postgres://127.0.0.1:5434/x"))
        .await
        .err()
        .expect("refused");
    let message = refused.to_string();
    assert!(message.contains("--read-database-url"), "{message}");
    assert!(
        !dir.path().join("ansinh.db").exists(),
        "nothing was created"
    );
}
