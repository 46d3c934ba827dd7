//! Payments, reconciliation and corrections through the real pipeline, on every backend.

use crate::support::harness::{Runtime, Suite};
use crate::support::{province, TestDb};
use ansinh::domain::User;
use ansinh::import::parse::RollKind;
use ansinh::import::pipeline::{self, RollUpload};
use ansinh::import::report::{ImportReport, RejectionCode};
use ansinh::ledger::verify;
use ansinh::reconcile::{self, Status};
use ansinh::reverse::{self, ReverseError, ReverseRequest};
use ansinh::store::StoreError;
use std::collections::HashMap;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: payment_lines_are_matched_or_refused_with_reasons,
        each_backend: reconciliation_covers_every_status_and_ties_to_the_ledger,
        each_backend: reversals_correct_once_and_show_in_reconciliation,
        each_backend: every_table_that_holds_history_refuses_rewrites,
        each_backend: payment_rolls_are_held_to_their_control_totals,
        each_backend: a_reversal_checked_before_a_payment_is_refused_as_stale,
        each_backend: a_district_s_reconciliation_names_no_one_from_another_district_s_rolls,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): parallel_reversals_post_each_part_once,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): parallel_rolls_approve_and_pay_a_person_once,
        each_backend: vouchers_are_one_district_s_numbers_in_every_program,
        each_backend: a_person_approved_again_in_another_category_is_paid_there,
        each_backend: a_payment_roll_validated_before_its_district_changed_is_validated_again,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): reconciliation_figures_are_those_of_its_checkpoint_while_imports_commit,
        each_backend_on(Runtime::MultiThread { workers: Some(2) }): a_batch_stopped_at_a_refused_roll_leaves_what_it_stored_ahead_committable,
    );
}

const APPROVALS: &str = "\u{feff}STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\r\n\
1;Thạch Sa Rây;084078918650;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021\r\n\
2;Nguyễn Thị Mỹ Linh;084185360298;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021\r\n\
3;Kim Ngọc Hên;084069106889;29239;tam-hoan-hdld;3.710.000;2315/QĐ-UBND;16/08/2021\r\n\
4;Lê Văn Bốn;084070000004;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021\r\n\
5;Lê Văn Năm;084070000005;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021\r\n";

// Line 2 pays in full; 3 pays part; 4 has no approval; 5 repeats line 2's voucher;
// 6 pays more than outstanding; 7 pays the approved-elsewhere person; 8 pays person 5 in full;
// 9 pays person 5 again with a new voucher (beyond outstanding).
const PAYMENTS: &str = "national_id,full_name,amount,paid_date,reference,decision_no\n\
084078918650,Thạch Sa Rây,1500000,2021-08-28,CT-001,2315/QĐ-UBND\n\
084069106889,Kim Ngọc Hên,1855000,2021-08-28,CT-002,\n\
084099999999,Người Lạ,1500000,2021-08-28,CT-003,\n\
084185360298,Nguyễn Thị Mỹ Linh,1500000,2021-08-29,CT-001,\n\
084185360298,Nguyễn Thị Mỹ Linh,2000000,2021-08-29,CT-005,\n\
084070000044,Lê Văn Khác,1500000,2021-08-29,CT-006,\n\
084070000005,Lê Văn Năm,1500000,2021-08-30,CT-007,\n\
084070000005,Lê Văn Năm,1500000,2021-08-30,CT-008,\n";

/// A roll of NQ68 in district 842.
pub(crate) fn upload(kind: RollKind, name: &str, text: &str) -> RollUpload {
    RollUpload {
        kind,
        program: "NQ68".into(),
        district: "842".into(),
        file_name: name.into(),
        bytes: text.as_bytes().to_vec(),
        sheet: None,
        expect_rows: None,
        expect_total: None,
    }
}

/// A payment roll of one line: `national_id` paid 1.500.000 đồng on
/// 2021-09-01 under voucher `reference`, for `program` in `district`.
fn one_payment(program: &str, district: &str, national_id: &str, reference: &str) -> RollUpload {
    let mut roll = upload(
        RollKind::Payments,
        &format!("{program}-{district}-{reference}.csv"),
        &format!("national_id,amount,paid_date,reference\n{national_id},1500000,2021-09-01,{reference}\n"),
    );
    roll.program = program.into();
    roll.district = district.into();
    roll
}

/// Imports the approval roll [`APPROVALS`] as `user`.
async fn approve(db: &TestDb, user: &User) -> ImportReport {
    import(db, user, RollKind::Approvals, "approvals.csv", APPROVALS).await
}

async fn import(db: &TestDb, user: &User, kind: RollKind, name: &str, text: &str) -> ImportReport {
    import_upload(db, user, &upload(kind, name, text)).await
}

async fn import_upload(db: &TestDb, user: &User, upload: &RollUpload) -> ImportReport {
    let staged = pipeline::stage(db.store.as_ref(), user, upload)
        .await
        .expect("stage");
    pipeline::commit(db.store.as_ref(), user, staged)
        .await
        .expect("commit")
}

/// Approvals in 842 and 844, then a payment roll in 842 (see [`PAYMENTS`]).
pub(crate) async fn approve_and_pay(db: &TestDb, users: &province::Users) -> ImportReport {
    import(
        db,
        &users.officer842,
        RollKind::Approvals,
        "approvals.csv",
        APPROVALS,
    )
    .await;
    // Person 084070000044 is approved in district 844 (commune 29278).
    let other =
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n\
                 1;Lê Văn Khác;084070000044;29278;tu-do;1.500.000;77/QĐ-UBND;18/08/2021\n";
    let mut other_upload = upload(RollKind::Approvals, "844.csv", other);
    other_upload.district = "844".into();
    import_upload(db, &users.officer844, &other_upload).await;
    import(
        db,
        &users.officer842,
        RollKind::Payments,
        "payments.csv",
        PAYMENTS,
    )
    .await
}

async fn payment_lines_are_matched_or_refused_with_reasons(db: TestDb) {
    let users = province::setup(&db).await;
    let report = approve_and_pay(&db, &users).await;
    assert_eq!(report.rows_read, 8, "{}", db.backend);
    assert_eq!(
        report.rows_accepted, 3,
        "{}: {:#?}",
        db.backend, report.rejected
    );
    let codes: HashMap<u64, RejectionCode> =
        report.rejected.iter().map(|r| (r.line, r.code)).collect();
    assert_eq!(codes[&4], RejectionCode::PaidWithoutApproval);
    assert_eq!(codes[&5], RejectionCode::DuplicatePayment);
    assert_eq!(codes[&6], RejectionCode::Overpaid);
    assert_eq!(codes[&7], RejectionCode::PaidWithoutApproval);
    assert_eq!(codes[&9], RejectionCode::Overpaid);
    let elsewhere = &report
        .rejected
        .iter()
        .find(|r| r.line == 7)
        .expect("line 7")
        .problems[0];
    assert!(
        elsewhere.reason_en.contains("approved in another district")
            && !elsewhere.reason_en.contains("844")
            && !elsewhere.reason_vi.contains("844"),
        "{}",
        elsewhere.reason_en
    );
    let over = &report
        .rejected
        .iter()
        .find(|r| r.line == 6)
        .expect("line 6")
        .problems[0];
    assert_eq!(over.column.as_deref(), Some("amount"));
    assert!(
        over.reason_en.contains("only 1.500.000"),
        "{}",
        over.reason_en
    );

    // A voucher already posted is refused in a later roll too.
    let again = "national_id,amount,paid_date,reference\n084185360298,1500000,2021-09-01,CT-002\n";
    let report = pipeline::validate(
        db.store.as_ref(),
        &users.officer842,
        &upload(RollKind::Payments, "again.csv", again),
    )
    .await
    .expect("validate")
    .report;
    assert_eq!(report.rejected[0].code, RejectionCode::DuplicatePayment);
    assert!(verify::run(db.store.as_ref(), None)
        .await
        .expect("verify")
        .is_ok());
}

async fn reconciliation_covers_every_status_and_ties_to_the_ledger(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    let status: HashMap<&str, Status> = result
        .lines
        .iter()
        .map(|l| (l.national_id.as_str(), l.status))
        .collect();
    assert_eq!(status["084078918650"], Status::Paid, "{}", db.backend);
    assert_eq!(status["084069106889"], Status::PartiallyPaid);
    assert_eq!(status["084185360298"], Status::DuplicatePayment);
    assert_eq!(status["084099999999"], Status::PaidWithoutApproval);
    assert_eq!(status["084070000044"], Status::PaidWithoutApproval);
    assert_eq!(status["084070000005"], Status::Overpaid);
    assert_eq!(status["084070000004"], Status::Unpaid);
    // Names come from the district's own roll, or, for a person refused
    // here, from the roll that approved them elsewhere.
    let name_of = |id: &str| {
        result
            .lines
            .iter()
            .find(|l| l.national_id == id)
            .map(|l| l.full_name.as_str())
    };
    assert_eq!(
        name_of("084078918650"),
        Some("Thạch Sa Rây"),
        "{}",
        db.backend
    );
    assert_eq!(
        name_of("084070000044"),
        Some("Lê Văn Khác"),
        "{}",
        db.backend
    );
    let partial = result
        .lines
        .iter()
        .find(|l| l.national_id == "084069106889")
        .expect("line");
    assert_eq!(
        (
            partial.approved_dong,
            partial.paid_dong,
            partial.outstanding_dong
        ),
        (3_710_000, 1_855_000, 1_855_000)
    );

    // Totals tie to the ledger's balances.
    let mut outstanding = 0;
    let mut paid = 0;
    for category in ["tu-do", "tam-hoan-hdld"] {
        outstanding += db
            .store
            .account_balance(&format!("payable:NQ68:842:{category}"))
            .await
            .expect("balance");
        paid += db
            .store
            .account_balance(&format!("disbursed:NQ68:842:{category}"))
            .await
            .expect("balance");
    }
    assert_eq!(result.total.outstanding_dong, outstanding);
    assert_eq!(result.total.paid_dong, paid);
    assert_eq!(
        result.total.approved_dong,
        50_000_000_000
            - db.store
                .account_balance("budget:NQ68:842")
                .await
                .expect("budget")
    );

    // The provincial view is the sum of its districts.
    let province = reconcile::reconcile(db.store.as_ref(), "NQ68", None)
        .await
        .expect("reconcile");
    let district_844 = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("844"))
        .await
        .expect("reconcile");
    assert_eq!(
        province.total.approved_dong,
        result.total.approved_dong + district_844.total.approved_dong
    );
    assert_eq!(
        province.total.paid_dong,
        result.total.paid_dong + district_844.total.paid_dong
    );
    assert_eq!(province.districts.len(), 2);

    // CSV neutralizes formulas and masking hides IDs.
    let mut masked = result.clone();
    masked.mask_ids();
    assert!(masked
        .lines
        .iter()
        .all(|l| l.national_id.contains("*******")));
    assert!(result.to_csv().starts_with("program,district,national_id"));
}

async fn reversals_correct_once_and_show_in_reconciliation(db: TestDb) {
    let users = province::setup(&db).await;
    let report = approve(&db, &users.officer842).await;
    let approval_seq = report.checkpoints[0].seq;
    let request = |beneficiary: Option<&str>| ReverseRequest {
        seq: approval_seq,
        reason: "approved in error: not resident".into(),
        beneficiary: beneficiary.map(str::to_string),
    };

    // District officers and auditors may not reverse.
    let refused = reverse::reverse(db.store.as_ref(), &users.officer842, request(None)).await;
    assert!(matches!(refused, Err(ReverseError::Forbidden(_))));

    let checkpoint = reverse::reverse(
        db.store.as_ref(),
        &users.provincial,
        request(Some("084070000004")),
    )
    .await
    .expect("reverse");
    let entry = db
        .store
        .entry(checkpoint.seq)
        .await
        .expect("read")
        .expect("entry");
    assert_eq!(entry.corrects_seq, Some(approval_seq));
    assert!(entry.memo.contains("approved in error"));
    let twice = reverse::reverse(
        db.store.as_ref(),
        &users.provincial,
        request(Some("084070000004")),
    )
    .await;
    assert!(
        matches!(twice, Err(ReverseError::Refused(_))),
        "{}",
        db.backend
    );

    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    assert!(result.lines.iter().all(|l| l.national_id != "084070000004"));
    assert_eq!(result.total.approved_dong, 9_710_000 - 1_500_000);

    // Paid approvals cannot be reversed before their payment.
    let pay = "national_id,amount,paid_date,reference\n084078918650,1500000,2021-08-28,CT-1\n";
    let paid = import(&db, &users.officer842, RollKind::Payments, "p.csv", pay).await;
    let blocked = reverse::reverse(
        db.store.as_ref(),
        &users.provincial,
        request(Some("084078918650")),
    )
    .await;
    assert!(
        matches!(blocked, Err(ReverseError::Refused(ref m)) if m.contains("reverse the payment first")),
        "{blocked:?}"
    );
    let payment = ReverseRequest {
        seq: paid.checkpoints[0].seq,
        reason: "bank returned the transfer".into(),
        beneficiary: None,
    };
    reverse::reverse(db.store.as_ref(), &users.provincial, payment)
        .await
        .expect("reverse payment");
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    let line = result
        .lines
        .iter()
        .find(|l| l.national_id == "084078918650")
        .expect("line");
    assert_eq!(line.status, Status::Unpaid);

    // The rest of the approval, reversed whole: everyone left goes.
    reverse::reverse(db.store.as_ref(), &users.provincial, request(None))
        .await
        .expect("reverse rest");
    let again = reverse::reverse(db.store.as_ref(), &users.provincial, request(None)).await;
    assert!(matches!(again, Err(ReverseError::Refused(_))));
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    assert_eq!(result.total.approved_dong, 0);
    assert_eq!(
        db.store
            .account_balance("budget:NQ68:842")
            .await
            .expect("budget"),
        50_000_000_000
    );
    let report = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(report.is_ok(), "{:?}", report.problem);
}

async fn vouchers_are_one_district_s_numbers_in_every_program(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    // District 844 numbers its own vouchers: its CT-001 is not 842's.
    let in_844 = one_payment("NQ68", "844", "084070000044", "CT-001");
    let staged = pipeline::stage(db.store.as_ref(), &users.officer844, &in_844)
        .await
        .expect("stage");
    assert!(
        staged.report.rejected.is_empty(),
        "{}: {:?}",
        db.backend,
        staged.report.rejected
    );
    // In district 842, CT-001 is taken in every program.
    let second = province::EXAMPLE_PROGRAM.replacen("code = \"NQ68\"", "code = \"NQ68B\"", 1);
    ansinh::programs::add(db.store.as_ref(), "tinh", &second)
        .await
        .expect("second program");
    let mut approval = upload(RollKind::Approvals, "b.csv", APPROVALS);
    approval.program = "NQ68B".into();
    import_upload(&db, &users.officer842, &approval).await;
    let paid_again = one_payment("NQ68B", "842", "084070000004", "CT-001");
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &paid_again)
        .await
        .expect("validate")
        .report;
    assert_eq!(report.rejected.len(), 1, "{}", db.backend);
    assert_eq!(report.rejected[0].code, RejectionCode::DuplicatePayment);
    assert!(
        report.rejected[0].problems[0]
            .reason_en
            .contains("district 842"),
        "{}",
        report.rejected[0].problems[0].reason_en
    );
}

async fn a_payment_roll_validated_before_its_district_changed_is_validated_again(db: TestDb) {
    let users = province::setup(&db).await;
    approve(&db, &users.officer842).await;
    let pays_in_full = |reference: &str| {
        format!(
            "national_id,amount,paid_date,reference\n084078918650,1500000,2021-09-01,{reference}\n"
        )
    };
    // Validated (staged) while another roll pays the same person in full.
    let waiting = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload(RollKind::Payments, "waiting.csv", &pays_in_full("CT-101")),
    )
    .await
    .expect("stage");
    assert!(waiting.report.can_commit(), "{}", db.backend);
    let waiting_id = waiting.report.import_id.expect("stored");
    import(
        &db,
        &users.officer842,
        RollKind::Payments,
        "first.csv",
        &pays_in_full("CT-100"),
    )
    .await;
    let head = db.store.head().await.expect("head");
    match pipeline::commit(db.store.as_ref(), &users.officer842, waiting).await {
        Err(pipeline::ImportError::Stale(report)) => assert!(
            report
                .blocking
                .iter()
                .any(|b| b.to_string().contains("validate it again")),
            "{:?}",
            report.blocking
        ),
        _ => panic!("{}: a stale validation must not pay twice", db.backend),
    }
    assert_eq!(db.store.head().await.expect("head"), head, "nothing posted");
    // Validated again from the stored file, the line is now an overpayment.
    let Err(pipeline::ImportError::Blocked(report)) =
        pipeline::commit_staged(db.store.as_ref(), &users.officer842, waiting_id).await
    else {
        panic!("{}: validated again, nothing is left to commit", db.backend)
    };
    assert_eq!(
        report.rejected[0].code,
        RejectionCode::Overpaid,
        "{}",
        db.backend
    );
    assert_eq!(db.store.head().await.expect("head"), head, "nothing posted");
}

/// Rolls the racing importer commits, of `RACE_ROLL_ROWS` people at 1.500.000 đồng.
const RACE_ROLLS: usize = 12;
const RACE_ROLL_ROWS: usize = 300;
const RACE_ROLL_DONG: i64 = RACE_ROLL_ROWS as i64 * 1_500_000;

/// Approval roll `roll` of the race: people no other roll holds.
pub(crate) fn race_roll(roll: usize) -> RollUpload {
    let mut text = String::from(
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n",
    );
    for row in 0..RACE_ROLL_ROWS {
        let n = roll * RACE_ROLL_ROWS + row;
        let name: String = format!("{n:05}")
            .bytes()
            .map(|digit| char::from(b'a' + (digit - b'0')))
            .collect();
        text.push_str(&format!(
            "{};Người {name};0841{n:08};29239;tu-do;1.500.000;{roll}/QĐ-UBND;16/08/2021\n",
            row + 1
        ));
    }
    upload(RollKind::Approvals, &format!("race-{roll}.csv"), &text)
}

async fn reconciliation_figures_are_those_of_its_checkpoint_while_imports_commit(db: TestDb) {
    let users = province::setup(&db).await;
    let first_seq = db.store.head().await.expect("head").map_or(0, |h| h.seq);
    let store = db.store.clone();
    let officer = users.officer842.clone();
    let importer = tokio::spawn(async move {
        for roll in 0..RACE_ROLLS {
            let staged = pipeline::stage(store.as_ref(), &officer, &race_roll(roll))
                .await
                .expect("stage");
            pipeline::commit(store.as_ref(), &officer, staged)
                .await
                .expect("commit");
        }
    });
    // Each roll is one entry: the checkpoint says how many rolls an
    // answer must hold, no more and no fewer.
    let (mut answers, mut refusals) = (0, 0);
    loop {
        let finished = importer.is_finished();
        match reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842")).await {
            Ok(result) => {
                let seq = result.checkpoint.as_ref().map_or(0, |c| c.seq);
                let rolls = seq - first_seq;
                assert_eq!(
                    result.total.approved_dong,
                    rolls * RACE_ROLL_DONG,
                    "{}: the answer at checkpoint {seq} holds {rolls} rolls",
                    db.backend
                );
                answers += 1;
            }
            Err(StoreError::Stale(message)) => {
                assert!(message.contains("ask again"), "{message}");
                refusals += 1;
            }
            Err(other) => panic!("{}: {other}", db.backend),
        }
        if finished {
            break;
        }
    }
    importer.await.expect("importer");
    assert!(
        answers > 0,
        "{}: no answer while rolls committed",
        db.backend
    );
    eprintln!(
        "{}: {answers} answers and {refusals} refusals while {RACE_ROLLS} rolls committed",
        db.backend
    );
    let last = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    assert_eq!(last.total.approved_dong, RACE_ROLLS as i64 * RACE_ROLL_DONG);
}

/// Tables whose rows may change: accounts and logins, and sqlx's own record
/// of migrations. Every other table holds history.
/// Tables that hold no history: accounts, sessions, the migrations' own, and
/// the read models (derived from history, rebuilt and checked by `verify`).
const MUTABLE_TABLES: [&str; 6] = [
    "users",
    "sessions",
    "_sqlx_migrations",
    "person_balances",
    "scope_totals",
    "read_model_state",
];

/// Each table of the schema, with its first column.
async fn tables_and_first_columns(db: &TestDb) -> Vec<(String, String)> {
    use sqlx::Connection;
    if db.backend == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema \
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.ordinal_position = 1 \
             ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connect");
        sqlx::query_as(
            "SELECT m.name, (SELECT name FROM pragma_table_info(m.name) WHERE cid = 0) \
             FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables")
    }
}

async fn row_count(db: &TestDb, table: &str) -> i64 {
    use sqlx::Connection;
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if db.backend == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_scalar(&sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connect");
        sqlx::query_scalar(&sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    }
}

/// The tables come from the schema, so a table a later migration adds is
/// covered without being named here: it must refuse too, or be listed as
/// mutable on purpose.
async fn every_table_that_holds_history_refuses_rewrites(db: TestDb) {
    let users = province::setup(&db).await;
    approve_and_pay(&db, &users).await;
    let verified = ansinh::ledger::verify::run_recorded(db.store.as_ref()).await;
    assert!(verified.expect("verify").is_ok(), "{}", db.backend);
    let tables = tables_and_first_columns(&db).await;
    assert!(
        tables.len() > MUTABLE_TABLES.len(),
        "{}: {tables:?}",
        db.backend
    );
    for (table, column) in tables {
        if MUTABLE_TABLES.contains(&table.as_str()) {
            continue;
        }
        // A row trigger fires only on a row: every table must have one here.
        assert!(
            row_count(&db, &table).await > 0,
            "{}: table {table} is empty after a day's work; seed it so that its protection is proven",
            db.backend
        );
        let mut attempts = vec![
            format!("UPDATE {table} SET {column} = {column}"),
            format!("DELETE FROM {table}"),
        ];
        if db.backend == "postgres" {
            attempts.push(format!("TRUNCATE {table} CASCADE"));
        }
        for sql in attempts {
            let error = db.raw(&sql).await.expect_err(&sql);
            assert!(
                error.to_string().contains("is append-only"),
                "{}: {sql}: {error}",
                db.backend
            );
        }
        assert!(row_count(&db, &table).await > 0, "{}: {table}", db.backend);
    }
}

/// Reversals read what was reversed before they build their entry; the
/// append checks it again under its lock. N at once: exactly one posts.
async fn parallel_reversals_post_each_part_once(db: TestDb) {
    let users = province::setup(&db).await;
    let report = approve(&db, &users.officer842).await;
    let approval_seq = report.checkpoints[0].seq;
    let reverse_in_parallel = |beneficiary: Option<&'static str>, times: usize| {
        let tasks: Vec<_> = (0..times)
            .map(|_| {
                let store = db.store.clone();
                let user = users.provincial.clone();
                tokio::spawn(async move {
                    let request = ReverseRequest {
                        seq: approval_seq,
                        reason: "approved in error".into(),
                        beneficiary: beneficiary.map(str::to_string),
                    };
                    reverse::reverse(store.as_ref(), &user, request).await
                })
            })
            .collect();
        async move {
            let mut posted = 0;
            for task in tasks {
                match task.await.expect("task") {
                    Ok(_) => posted += 1,
                    Err(ReverseError::Refused(m)) => assert!(m.contains("already reversed"), "{m}"),
                    Err(ReverseError::Append(e)) => {
                        assert!(e.to_string().contains("already reversed"), "{e}")
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            posted
        }
    };
    assert_eq!(
        reverse_in_parallel(Some("084070000004"), 6).await,
        1,
        "{}",
        db.backend
    );
    assert_eq!(reverse_in_parallel(None, 4).await, 1, "{}", db.backend);
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    assert_eq!(result.total.approved_dong, 0, "{}", db.backend);
    let budget = db
        .store
        .account_balance("budget:NQ68:842")
        .await
        .expect("budget");
    assert_eq!(
        budget, 50_000_000_000,
        "{}: the whole budget back, once",
        db.backend
    );
    let verified = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(verified.is_ok(), "{}: {verified:?}", db.backend);
}

/// `rolls` staged and committed at once by the officer of 842; how many
/// committed. Every other one must be refused for the person already
/// approved or paid: as a duplicate or overpayment when it was validated
/// after the winner committed, as stale when before.
async fn commit_in_parallel(db: &TestDb, users: &province::Users, rolls: Vec<RollUpload>) -> usize {
    let tasks: Vec<_> = rolls
        .into_iter()
        .map(|roll| {
            let store = db.store.clone();
            let officer = users.officer842.clone();
            tokio::spawn(async move {
                let staged = pipeline::stage(store.as_ref(), &officer, &roll).await?;
                pipeline::commit(store.as_ref(), &officer, staged).await
            })
        })
        .collect();
    let mut committed = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => committed += 1,
            Err(pipeline::ImportError::Stale(report)) => {
                assert!(
                    report.blocking_text().contains("validate it again"),
                    "{}",
                    report.blocking_text()
                )
            }
            Err(pipeline::ImportError::Blocked(report)) => {
                let codes: Vec<RejectionCode> = report.rejected.iter().map(|r| r.code).collect();
                assert!(
                    codes == [RejectionCode::Duplicate] || codes == [RejectionCode::Overpaid],
                    "{}: {codes:?} {}",
                    db.backend,
                    report.blocking_text()
                );
            }
            Err(other) => panic!("{}: {other}", db.backend),
        }
    }
    committed
}

/// Six approval rolls of one person at once, then six payment rolls paying
/// that person in full: one of each posts.
async fn parallel_rolls_approve_and_pay_a_person_once(db: TestDb) {
    let users = province::setup(&db).await;
    let approvals = (0..6)
        .map(|n| {
            let text = format!(
                "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n\
                 1;Thạch Sa Rây;084078918650;29239;tu-do;1.500.000;{n}/QĐ-UBND;16/08/2021\n"
            );
            upload(RollKind::Approvals, &format!("approval-{n}.csv"), &text)
        })
        .collect();
    assert_eq!(
        commit_in_parallel(&db, &users, approvals).await,
        1,
        "{}",
        db.backend
    );
    let payments = (0..6)
        .map(|n| {
            let text = format!(
                "national_id,amount,paid_date,reference\n084078918650,1500000,2021-09-01,CT-{n}\n"
            );
            upload(RollKind::Payments, &format!("payment-{n}.csv"), &text)
        })
        .collect();
    assert_eq!(
        commit_in_parallel(&db, &users, payments).await,
        1,
        "{}",
        db.backend
    );
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    assert_eq!(
        (result.total.approved_dong, result.total.paid_dong),
        (1_500_000, 1_500_000),
        "{}",
        db.backend
    );
    let verified = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(verified.is_ok(), "{}: {:?}", db.backend, verified.problem);
}

/// Approved in one category, that approval reversed, approved again in
/// another: the payment goes to the category in force, and every person's
/// balance on every account stays whole (verify checks each).
async fn a_person_approved_again_in_another_category_is_paid_there(db: TestDb) {
    let users = province::setup(&db).await;
    let report = approve(&db, &users.officer842).await;
    let first_seq = report.checkpoints[0].seq;
    reverse::reverse(
        db.store.as_ref(),
        &users.provincial,
        ReverseRequest {
            seq: first_seq,
            reason: "wrong category".into(),
            beneficiary: Some("084078918650".into()),
        },
    )
    .await
    .expect("reverse");
    let again = "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n\
                 1;Thạch Sa Rây;084078918650;29239;tam-hoan-hdld;3.710.000;2400/QĐ-UBND;20/08/2021\n";
    import(
        &db,
        &users.officer842,
        RollKind::Approvals,
        "again.csv",
        again,
    )
    .await;
    let pays = "national_id,amount,paid_date,reference\n084078918650,3710000,2021-09-01,CT-900\n";
    let paid = import(&db, &users.officer842, RollKind::Payments, "pay.csv", pays).await;
    assert_eq!(paid.rows_accepted, 1, "{}: {:?}", db.backend, paid.rejected);
    let verified = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(verified.is_ok(), "{}: {:?}", db.backend, verified.problem);
}

/// A person approved in district 844 and paid by district 842: 842's
/// reconciliation shows the name 842's payment roll wrote, never 844's.
async fn a_district_s_reconciliation_names_no_one_from_another_district_s_rolls(db: TestDb) {
    let users = province::setup(&db).await;
    approve(&db, &users.officer842).await;
    let other =
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n\
                 1;Lê Văn Khác;084070000044;29278;tu-do;1.500.000;77/QĐ-UBND;18/08/2021\n";
    let mut other_upload = upload(RollKind::Approvals, "844.csv", other);
    other_upload.district = "844".into();
    import_upload(&db, &users.officer844, &other_upload).await;
    let payments = "national_id,full_name,amount,paid_date,reference\n\
                    084078918650,Thạch Sa Rây,1500000,2021-08-28,CT-1\n\
                    084070000044,Lê V. Khác,1500000,2021-08-29,CT-9\n";
    import(
        &db,
        &users.officer842,
        RollKind::Payments,
        "p.csv",
        payments,
    )
    .await;
    let district = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    let line = district
        .lines
        .iter()
        .find(|l| l.national_id == "084070000044")
        .expect("the refused line");
    assert_eq!(line.status, Status::PaidWithoutApproval);
    assert_eq!(line.full_name, "Lê V. Khác", "{}", db.backend);
    assert!(
        !district.to_json().contains("Lê Văn Khác"),
        "{}",
        db.backend
    );
}

/// A payment roll's totals row and the uploader's declared figures are
/// checked as an approval roll's are: listed, and a mismatch refuses the commit.
async fn payment_rolls_are_held_to_their_control_totals(db: TestDb) {
    use ansinh::domain::Money;
    use ansinh::import::pipeline::ImportError;
    let users = province::setup(&db).await;
    approve(&db, &users.officer842).await;
    let text = "Số CCCD/CMND;Họ và tên;Số tiền;Ngày chi;Số chứng từ\n\
                084078918650;Thạch Sa Rây;1.500.000;28/08/2021;CT-1\n\
                Tổng cộng;;9.999.999;;\n";
    let mut roll = upload(RollKind::Payments, "p.csv", text);
    roll.expect_rows = Some(7);
    roll.expect_total = Some(Money::from_dong(1));
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &roll)
        .await
        .expect("validate")
        .report;
    assert_eq!(
        report.controls.len(),
        2,
        "{}: {:?}",
        db.backend,
        report.controls
    );
    assert!(report.controls.iter().all(|c| !c.matches));
    assert!(!report.can_commit());
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &roll)
        .await
        .expect("stage");
    let refused = pipeline::commit(db.store.as_ref(), &users.officer842, staged).await;
    assert!(
        matches!(refused, Err(ImportError::Blocked(_))),
        "{refused:?}"
    );
    let paid = || async {
        reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
            .await
            .expect("reconcile")
            .total
            .paid_dong
    };
    assert_eq!(paid().await, 0, "{}: nothing paid", db.backend);
    // The same roll with totals that agree commits.
    let text = text.replace("9.999.999", "1.500.000");
    let mut roll = upload(RollKind::Payments, "p2.csv", &text);
    roll.expect_rows = Some(1);
    let committed = import_upload(&db, &users.officer842, &roll).await;
    assert_eq!(committed.controls.len(), 2);
    assert!(committed.controls.iter().all(|c| c.matches));
    assert_eq!(paid().await, 1_500_000, "{}", db.backend);
}

/// A reversal checks that the approval is unpaid, then commits: a payment
/// committed in between makes its check untrue, and the commit refuses it.
async fn a_reversal_checked_before_a_payment_is_refused_as_stale(db: TestDb) {
    use ansinh::ledger::{append, AppendError};
    let users = province::setup(&db).await;
    let report = approve(&db, &users.officer842).await;
    let request = ReverseRequest {
        seq: report.checkpoints[0].seq,
        reason: "approved in error".into(),
        beneficiary: Some("084078918650".into()),
    };
    let batch = reverse::prepare(db.store.as_ref(), &users.provincial, request)
        .await
        .expect("prepare");
    let pay = "national_id,amount,paid_date,reference\n084078918650,1500000,2021-08-28,CT-1\n";
    import(&db, &users.officer842, RollKind::Payments, "p.csv", pay).await;
    let refused = append(db.store.as_ref(), batch).await;
    assert!(
        matches!(&refused, Err(AppendError::Stale(m)) if m.contains("try again")),
        "{}: {refused:?}",
        db.backend
    );
    // Checked again, the reversal says why it cannot be.
    let again = ReverseRequest {
        seq: report.checkpoints[0].seq,
        reason: "approved in error".into(),
        beneficiary: Some("084078918650".into()),
    };
    let again = reverse::reverse(db.store.as_ref(), &users.provincial, again).await;
    assert!(
        matches!(&again, Err(ReverseError::Refused(m)) if m.contains("reverse the payment first")),
        "{again:?}"
    );
    let result = reconcile::reconcile(db.store.as_ref(), "NQ68", Some("842"))
        .await
        .expect("reconcile");
    let line = result
        .lines
        .iter()
        .find(|l| l.national_id == "084078918650")
        .expect("line");
    assert_eq!((line.approved_dong, line.paid_dong), (1_500_000, 1_500_000));
    assert!(verify::run(db.store.as_ref(), None)
        .await
        .expect("verify")
        .is_ok());
}

/// A batch stops at the first roll it cannot commit, and the ledger holds
/// the rolls before it only. Where the backend stores uploads beside appends
/// (PostgreSQL), a roll validated and stored ahead of the refused one stays
/// stored and uncommitted, and can be committed by its number.
async fn a_batch_stopped_at_a_refused_roll_leaves_what_it_stored_ahead_committable(db: TestDb) {
    use ansinh::import::batch::{self, Job};
    let users = province::setup(&db).await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let roll = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write roll");
        path
    };
    let job = |user: &User, kind: RollKind, district: &str, path| Job {
        user: user.clone(),
        kind,
        program: "NQ68".into(),
        district: district.into(),
        path,
    };
    let jobs = vec![
        job(
            &users.officer842,
            RollKind::Approvals,
            "842",
            roll("a842.csv", APPROVALS),
        ),
        // Nobody is approved in 844: no line is accepted, the commit is refused.
        job(
            &users.officer844,
            RollKind::Payments,
            "844",
            roll(
                "p844.csv",
                "national_id,amount,paid_date,reference\n084078918650,1500000,2021-09-01,CT-101\n",
            ),
        ),
        // Pays a person the first roll approves: validated once it commits.
        job(
            &users.officer842,
            RollKind::Payments,
            "842",
            roll(
                "p842.csv",
                "national_id,amount,paid_date,reference\n084078918650,1500000,2021-09-01,CT-102\n",
            ),
        ),
    ];
    let mut committed = Vec::new();
    let result = batch::import_all(db.store.clone(), jobs, |done| {
        committed.push(done.report.file_name.clone())
    })
    .await;
    let Err(pipeline::ImportError::Blocked(report)) = result else {
        panic!("the batch must stop at p844.csv")
    };
    assert_eq!(report.file_name, "p844.csv");
    assert_eq!(committed, ["a842.csv"]);
    let uncommitted = crate::support::query_i64(
        &db,
        "SELECT id FROM imports i WHERE NOT EXISTS \
         (SELECT 1 FROM import_commits c WHERE c.import_id = i.id) ORDER BY id",
    )
    .await;
    // p842.csv is stored ahead where the backend allows it, unless the
    // committer stopped before its validation ended (then nothing more is
    // stored): which comes first is a race.
    assert!(!uncommitted.is_empty(), "the refused roll is stored");
    let stored_ahead = &uncommitted[1..];
    if db.store.writes_beside_appends() {
        assert!(uncommitted.len() <= 2, "{uncommitted:?}");
    } else {
        assert!(stored_ahead.is_empty(), "only the refused roll is stored");
    }
    let seq = |head: Option<ansinh::domain::Checkpoint>| head.map_or(0, |head| head.seq);
    for &import_id in stored_ahead {
        let before = seq(db.store.head().await.expect("head"));
        let report = pipeline::commit_staged(db.store.as_ref(), &users.officer842, import_id)
            .await
            .expect("the roll stored ahead commits by its number");
        assert_eq!(report.file_name, "p842.csv");
        assert_eq!(report.accepted_total_dong, 1_500_000);
        assert!(seq(db.store.head().await.expect("head")) > before);
    }
    assert!(verify::run(db.store.as_ref(), None)
        .await
        .expect("verify")
        .is_ok());
}
