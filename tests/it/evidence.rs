//! Evidence under the chain: what an import stored and the audit trail are
//! covered by the hash chain, so that `verify` names the import or audit
//! event changed behind the database's triggers; and a ledger written with
//! the first encoding still verifies.

use crate::payments_reconcile::approve_and_pay;
use crate::support::harness::{Backend, Runtime, Suite};
use crate::support::{province, EarlierSchema, TestDb};
use ansinh::domain::audit::sha256_hex;
use ansinh::domain::journal::{EntryKind, NewEntry};
use ansinh::domain::{AccountPath, Money, Posting};
use ansinh::ledger::canonical::{entry_hash, EntryFields, ENCODING_VERSION_1, GENESIS_HASH};
use ansinh::ledger::verify::{self, Place, VerifyReport};
use ansinh::ledger::{append, Batch};
use ansinh::store::AuditEvent;
use std::process::Command;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: a_replaced_file_is_named_by_its_import,
        each_backend: an_edited_report_is_named_by_its_import,
        each_backend: renamed_people_are_named_by_their_import,
        each_backend: a_deleted_commit_record_is_named_by_its_import,
        each_backend: a_forged_commit_record_is_named_by_its_import,
        each_backend: an_edited_upload_record_is_named_by_its_import,
        each_backend: an_emptied_audit_trail_is_named_by_the_anchored_event,
        each_backend: an_edited_or_removed_audit_event_is_named,
        each_backend: an_event_slipped_in_before_the_chain_is_found,
        each_backend: an_audit_checkpoint_catches_a_cut_tail,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): the_audit_chain_holds_under_parallel_writers,
        each_backend: a_ledger_of_the_first_encoding_still_verifies_and_grows,
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_ansinh");

/// A province's day: approvals in two districts and a payment roll in 842;
/// returns the payment roll's import id.
async fn a_day_of_imports(db: &TestDb) -> i64 {
    let users = province::setup(db).await;
    let payments = approve_and_pay(db, &users).await;
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert_eq!(report.imports, 3, "{}", db.backend);
    payments.import_id.expect("payment roll stored")
}

/// Runs `sql` with `table`'s append-only triggers dropped.
async fn behind_the_triggers(db: &TestDb, table: &str, sql: &str) {
    let drop = if db.backend == "postgres" {
        format!("DROP TRIGGER {table}_append_only ON {table}")
    } else {
        format!("DROP TRIGGER {table}_no_update; DROP TRIGGER {table}_no_delete")
    };
    db.raw(&drop).await.expect("drop triggers");
    db.raw(sql).await.expect("tamper");
}

/// `verify`'s problem, from the library and from the binary (exit 1, the
/// place named on stderr).
async fn problem_at(db: &TestDb) -> (Place, String) {
    let report: VerifyReport = verify::run(db.store.as_ref(), None).await.expect("verify");
    let problem = report.problem.expect("verify must fail");
    let output = Command::new(BIN)
        .args(["--database-url", &db.url, "verify"])
        .env_remove("ANSINH_DATABASE_URL")
        .output()
        .expect("run ansinh verify");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}: {stderr}", db.backend);
    let place = problem.at.to_string();
    assert!(stderr.contains(&place), "{}: {stderr}", db.backend);
    (problem.at, problem.reason)
}

async fn a_replaced_file_is_named_by_its_import(db: TestDb) {
    let payments = a_day_of_imports(&db).await;
    let sql = format!("UPDATE imports SET content = content || content WHERE id = {payments}");
    behind_the_triggers(&db, "imports", &sql).await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(payments), "{}: {reason}", db.backend);
    assert!(reason.contains("stored file"), "{reason}");
}

async fn an_edited_report_is_named_by_its_import(db: TestDb) {
    let payments = a_day_of_imports(&db).await;
    // What reconciliation reads of refused payment lines is in the report.
    let sql = format!(
        "UPDATE imports SET report = replace(report, 'paid_without_approval', 'x') WHERE id = {payments}"
    );
    behind_the_triggers(&db, "imports", &sql).await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(payments), "{}: {reason}", db.backend);
    assert!(reason.contains("stored report"), "{reason}");
}

async fn renamed_people_are_named_by_their_import(db: TestDb) {
    a_day_of_imports(&db).await;
    let sql = "UPDATE roll_people SET people = replace(people, 'Thạch Sa Rây', 'Người Khác') WHERE import_id = 1";
    behind_the_triggers(&db, "roll_people", sql).await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(1), "{}: {reason}", db.backend);
    assert!(reason.contains("people"), "{reason}");
}

async fn a_deleted_commit_record_is_named_by_its_import(db: TestDb) {
    let payments = a_day_of_imports(&db).await;
    let sql = format!("DELETE FROM import_commits WHERE import_id = {payments}");
    behind_the_triggers(&db, "import_commits", &sql).await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(payments), "{}: {reason}", db.backend);
    assert!(reason.contains("commit record is missing"), "{reason}");
}

/// The columns of `imports` the application reads (which program's list an
/// import is in, the file name reconciliation prints) agree with what is
/// hashed: the commit record and the stored report.
async fn an_edited_upload_record_is_named_by_its_import(db: TestDb) {
    let payments = a_day_of_imports(&db).await;
    let sql = format!("UPDATE imports SET file_name = 'other.csv' WHERE id = {payments}");
    behind_the_triggers(&db, "imports", &sql).await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(payments), "{}: {reason}", db.backend);
    assert!(reason.contains("file_name"), "{reason}");
    db.raw(&format!(
        "UPDATE imports SET file_name = (SELECT file_name FROM imports WHERE id = 1), program = 'NQ116' WHERE id = {payments}"
    ))
    .await
    .expect("tamper");
    let sql = format!("SELECT COUNT(*) FROM imports WHERE id = {payments} AND program = 'NQ116'");
    assert_eq!(crate::support::query_i64(&db, &sql).await, vec![1]);
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(payments), "{}: {reason}", db.backend);
}

/// An upload nobody committed, recorded as committed by an inserted row
/// (inserts pass the append-only triggers): no entry names it.
async fn a_forged_commit_record_is_named_by_its_import(db: TestDb) {
    let users = province::setup(&db).await;
    let roll = crate::payments_reconcile::race_roll(0);
    let staged = ansinh::import::pipeline::stage(db.store.as_ref(), &users.officer842, &roll)
        .await
        .expect("stage");
    let import_id = staged.report.import_id.expect("stored");
    let sql = format!(
        "INSERT INTO import_commits (import_id, kind, program, district, sha256, committed_at_us, committed_by) \
         SELECT id, kind, program, district, sha256, 1, uploaded_by FROM imports WHERE id = {import_id}"
    );
    db.raw(&sql).await.expect("forge");
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::Import(import_id), "{}: {reason}", db.backend);
}

async fn an_emptied_audit_trail_is_named_by_the_anchored_event(db: TestDb) {
    a_day_of_imports(&db).await;
    let anchored =
        crate::support::query_i64(&db, "SELECT MIN(audit_anchor_id) FROM journal_entries").await[0];
    behind_the_triggers(&db, "audit_events", "DELETE FROM audit_events").await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::AuditEvent(anchored), "{}: {reason}", db.backend);
    assert!(reason.contains("audit trail was cut"), "{reason}");
}

async fn an_edited_or_removed_audit_event_is_named(db: TestDb) {
    a_day_of_imports(&db).await;
    behind_the_triggers(
        &db,
        "audit_events",
        "UPDATE audit_events SET detail = detail || '!' WHERE id = 3",
    )
    .await;
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::AuditEvent(3), "{}: {reason}", db.backend);
    assert!(reason.contains("was changed"), "{reason}");
    db.raw("DELETE FROM audit_events WHERE id = 3")
        .await
        .expect("remove");
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::AuditEvent(4), "{}: {reason}", db.backend);
    assert!(reason.contains("an event was removed"), "{reason}");
}

/// The end of the trail after the newest anchor is held by the audit head a
/// verification printed: cut after it, `--audit-checkpoint` names the event.
async fn an_audit_checkpoint_catches_a_cut_tail(db: TestDb) {
    a_day_of_imports(&db).await;
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    let head = report.audit_head.expect("a chained trail");
    let checkpoint = ansinh::domain::Checkpoint::parse(&head).expect("ID:HASH");
    let still = verify::run_with(db.store.as_ref(), None, Some(checkpoint.clone()))
        .await
        .expect("verify");
    assert!(still.is_ok(), "{}: {:?}", db.backend, still.problem);
    let cut = format!("DELETE FROM audit_events WHERE id = {}", checkpoint.seq);
    behind_the_triggers(&db, "audit_events", &cut).await;
    // Without the checkpoint the shortened trail is self-consistent.
    let unseen = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(unseen.is_ok(), "{}: {:?}", db.backend, unseen.problem);
    let report = verify::run_with(db.store.as_ref(), None, Some(checkpoint.clone()))
        .await
        .expect("verify");
    let problem = report.problem.expect("the cut tail");
    assert_eq!(
        problem.at,
        Place::AuditEvent(checkpoint.seq),
        "{}",
        db.backend
    );
    let output = Command::new(BIN)
        .args([
            "--database-url",
            &db.url,
            "verify",
            "--audit-checkpoint",
            &head,
        ])
        .env_remove("ANSINH_DATABASE_URL")
        .output()
        .expect("run ansinh verify");
    assert_eq!(output.status.code(), Some(1), "{}", db.backend);
}

/// An event without a hash inserted before the chain (inserts pass the
/// triggers) would pass as one recorded before the chain began: only the
/// seal of those says which they were.
async fn an_event_slipped_in_before_the_chain_is_found(db: TestDb) {
    a_day_of_imports(&db).await;
    db.raw("INSERT INTO audit_events (id, at_us, actor, action, outcome, detail) VALUES (-1, 1, 'admin', 'user.add', 'ok', 'forged')")
        .await
        .expect("forge");
    let (at, reason) = problem_at(&db).await;
    assert_eq!(at, Place::AuditEvent(1), "{}: {reason}", db.backend);
    assert!(reason.contains("no seal covers them"), "{reason}");
}

/// Audit events are written by many requests at once (logins, uploads,
/// commits): each is linked to the one before it all the same.
async fn the_audit_chain_holds_under_parallel_writers(db: TestDb) {
    let users = province::setup(&db).await;
    let writers: Vec<_> = (0..40)
        .map(|n| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store
                    .audit(AuditEvent {
                        at_us: n,
                        actor: format!("user{n}"),
                        action: "login".into(),
                        outcome: "refused".into(),
                        detail: format!("attempt {n}"),
                    })
                    .await
            })
        })
        .collect();
    let importer = {
        let db_store = db.store.clone();
        let officer = users.officer842.clone();
        tokio::spawn(async move {
            let roll = "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n\
                        1;Thạch Sa Rây;084078918650;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021\n";
            let upload = ansinh::import::pipeline::RollUpload {
                kind: ansinh::import::parse::RollKind::Approvals,
                program: "NQ68".into(),
                district: "842".into(),
                file_name: "race.csv".into(),
                bytes: roll.as_bytes().to_vec(),
                sheet: None,
                expect_rows: None,
                expect_total: None,
            };
            let staged = ansinh::import::pipeline::stage(db_store.as_ref(), &officer, &upload)
                .await
                .expect("stage");
            ansinh::import::pipeline::commit(db_store.as_ref(), &officer, staged)
                .await
                .expect("commit")
        })
    };
    for writer in writers {
        writer.await.expect("task").expect("audit");
    }
    importer.await.expect("import task");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert!(report.audit_events >= 40 + 6, "{}: {report:?}", db.backend);
    assert_eq!(report.audit_events_unchained, 0, "{}", db.backend);
}

/// Under migration 0004: one import, a donation and an entry of that import,
/// hashed with encoding 1, and two audit events from before the chain.
async fn a_ledger_of_the_first_encoding_still_verifies_and_grows(backend: Backend) {
    let early = EarlierSchema::new(backend, 4).await;
    early
        .raw(&first_encoding_ledger())
        .await
        .expect("ledger under 0004");
    let db = early.open().await;
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    assert_eq!(
        (
            report.entries,
            report.imports,
            report.audit_events_unchained
        ),
        (2, 1, 2),
        "{}",
        db.backend
    );
    // New entries are appended with encoding 2 after the old ones.
    for n in 0..2 {
        append(db.store.as_ref(), donation_batch(3 + n))
            .await
            .expect("append");
    }
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{}: {:?}", db.backend, report.problem);
    // The first chained event seals the two from before the chain.
    assert_eq!(report.audit_events - report.audit_events_unchained, 3);
    let sealed = crate::support::query_i64(
        &db,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'audit.chain.begin' AND detail LIKE 'sealed 2 events%'",
    )
    .await;
    assert_eq!(sealed, vec![1], "{}", db.backend);
    let encodings = crate::support::query_i64(
        &db,
        "SELECT CAST(encoding AS BIGINT) FROM journal_entries ORDER BY seq",
    )
    .await;
    assert_eq!(encodings, vec![1, 1, 2, 2], "{}", db.backend);
    // The old file is still checked against its digest.
    db.raw("DROP TRIGGER IF EXISTS imports_no_update; DROP TRIGGER IF EXISTS imports_no_delete")
        .await
        .ok();
    if db.backend == "postgres" {
        db.raw("DROP TRIGGER imports_append_only ON imports")
            .await
            .expect("drop");
    }
    db.raw("UPDATE imports SET content = 'y' WHERE id = 1")
        .await
        .expect("tamper");
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert_eq!(report.problem.map(|p| p.at), Some(Place::Import(1)));
}

fn donation(seq: i64) -> NewEntry {
    NewEntry {
        effective_date: chrono::NaiveDate::from_ymd_opt(2021, 11, 25).expect("date"),
        kind: EntryKind::Donation,
        reference: format!("UNC-{seq}"),
        memo: String::new(),
        corrects_seq: None,
        postings: vec![
            Posting {
                account: AccountPath::parse("fund:covid").expect("account"),
                amount: Money::from_dong(1_000_000),
                beneficiary: None,
                source_line: None,
                reference: None,
            },
            Posting {
                account: AccountPath::parse("donations:covid").expect("account"),
                amount: Money::from_dong(-1_000_000),
                beneficiary: None,
                source_line: None,
                reference: None,
            },
        ],
    }
}

fn donation_batch(seq: i64) -> Batch {
    Batch {
        actor: "tinh".into(),
        recorded_at_us: seq,
        entries: vec![donation(seq)],
        program: None,
        import_commit: None,
        roll_people: None,
        read_at: None,
        audit: AuditEvent {
            at_us: seq,
            actor: "tinh".into(),
            action: "donation".into(),
            outcome: "ok".into(),
            detail: format!("entry {seq}"),
        },
    }
}

/// The SQL of a two-entry ledger as encoding 1 wrote it: hashes computed by
/// the first encoding, totals as the ledger computes them.
fn first_encoding_ledger() -> String {
    let content = "national_id,amount\n";
    let mut sql = format!(
        "INSERT INTO imports (id, kind, program, district, file_name, sha256, size_bytes, content, report, uploaded_at_us, uploaded_by) \
         VALUES (1, 'payments', 'NQ68', '842', 'old.csv', '{sha}', {len}, '{content}', '{{}}', 1, 'huyen842');
         INSERT INTO import_commits (import_id, kind, program, district, sha256, committed_at_us, committed_by, first_seq, last_seq) \
         VALUES (1, 'payments', 'NQ68', '842', '{sha}', 2, 'tinh', 2, 2);
         INSERT INTO audit_events (at_us, actor, action, outcome, detail) VALUES (1, 'admin', 'user.add', 'ok', 'old'), (2, 'huyen842', 'import', 'ok', 'old');\n",
        sha = sha256_hex(content.as_bytes()),
        len = content.len(),
    );
    let mut prev = GENESIS_HASH;
    for (seq, import_id) in [(1, "NULL"), (2, "1")] {
        let entry = donation(seq);
        let fields = EntryFields {
            seq,
            effective_date: "2021-11-25",
            recorded_at_us: seq,
            actor: "tinh",
            kind: entry.kind.as_str(),
            reference: &entry.reference,
            memo: "",
            corrects_seq: None,
            encoding: ENCODING_VERSION_1,
            evidence: None,
            audit_anchor: None,
        };
        let hash = entry_hash(&prev, &fields, &entry.postings);
        sql.push_str(&format!(
            "INSERT INTO journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding) \
             VALUES ({seq}, '2021-11-25', {seq}, 'tinh', 'donation', '{}', '', NULL, {import_id}, '{}', '{}', 1);\n",
            entry.reference,
            hex::encode(prev),
            hex::encode(hash)
        ));
        for (idx, posting) in entry.postings.iter().enumerate() {
            sql.push_str(&format!(
                "INSERT INTO postings (entry_seq, idx, account, amount) VALUES ({seq}, {idx}, '{}', {});\n",
                posting.account.as_str(),
                posting.amount.dong()
            ));
        }
        let totals =
            ansinh::ledger::totals::entry_totals(entry.kind, &entry.postings).expect("totals");
        for (account, total) in totals {
            sql.push_str(&format!(
                "INSERT INTO account_totals (entry_seq, account, amount, approvals_delta) VALUES ({seq}, '{account}', {}, {});\n",
                total.amount_dong, total.approvals_delta
            ));
        }
        prev = hash;
    }
    sql
}
