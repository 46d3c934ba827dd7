//! Approval rolls through the real pipeline, on every backend.

use crate::support::harness::Suite;
use crate::support::{province, query_i64, TestDb};
use ansinh::domain::Money;
use ansinh::import::parse::RollKind;
use ansinh::import::pipeline::{self, ImportError, RollUpload};
use ansinh::import::report::{ImportStatus, RejectionCode};
use ansinh::ledger::verify;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: dry_run_posts_nothing_and_commit_posts_everything,
        sqlite: uploads_nobody_commits_are_capped_per_district_and_day,
        each_backend: row_rules_reject_with_line_column_and_reason,
        each_backend: duplicates_across_files_and_districts_say_where,
        each_backend: control_totals_and_budget_refuse_the_commit,
        sqlite: officers_import_only_for_their_district,
        sqlite: a_non_utf8_file_is_refused_and_nothing_is_stored,
        sqlite: files_past_the_limits_are_refused_and_nothing_is_stored,
        each_backend: a_roll_validated_before_a_competing_commit_is_refused_at_commit,
        each_backend: a_roll_is_stored_compressed_and_read_back_byte_for_byte,
    );
}

const HEADER: &str = "STT;Họ và tên;Ngày sinh;Giới tính;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định";

fn roll(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    text.push_str(HEADER);
    text.push_str("\r\n");
    for row in rows {
        text.push_str(row);
        text.push_str("\r\n");
    }
    text.into_bytes()
}

fn upload(district: &str, name: &str, bytes: Vec<u8>) -> RollUpload {
    RollUpload {
        kind: RollKind::Approvals,
        program: "NQ68".into(),
        district: district.into(),
        file_name: name.into(),
        bytes,
        sheet: None,
        expect_rows: None,
        expect_total: None,
    }
}

const A1: &str =
    "1;Thạch Sa Rây;12/03/1978;Nam;084078918650;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021";
const A2: &str = "2;Nguyễn Thị Mỹ Linh;05/11/1985;Nữ;084185360298;29239;Lao động không có giao kết hợp đồng lao động (lao động tự do);1.500.000;2315/QĐ-UBND;16/08/2021";
const A3: &str =
    "3;Kim Ngọc Hên;1969;Nam;084069106889;29239;tre-em;1.000.000;2316/QĐ-UBND;20/08/2021";

async fn dry_run_posts_nothing_and_commit_posts_everything(db: TestDb) {
    let users = province::setup(&db).await;
    let head = db.store.head().await.expect("head");
    let file = upload(
        "842",
        "a.csv",
        roll(&[A1, A2, A3, "Tổng cộng;;;;;;;4.000.000;;"]),
    );
    let validated = pipeline::validate(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("validate");
    assert_eq!(validated.report.rows_accepted, 3, "{}", db.backend);
    assert_eq!(validated.report.accepted_total_dong, 4_000_000);
    assert!(validated.report.controls[0].matches);
    assert_eq!(validated.report.entries.len(), 2, "one entry per decision");
    assert_eq!(
        db.store.head().await.expect("head"),
        head,
        "validation posts nothing"
    );

    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("stage");
    let import_id = staged.report.import_id.expect("id");
    let report = pipeline::commit(db.store.as_ref(), &users.officer842, staged)
        .await
        .expect("commit");
    assert_eq!(report.status, ImportStatus::Committed);
    assert_eq!(report.checkpoints.len(), 2);
    let stored = db
        .store
        .import_content(import_id)
        .await
        .expect("read")
        .expect("bytes");
    assert_eq!(
        stored, file.bytes,
        "the original bytes are kept as evidence"
    );
    let record = db
        .store
        .import_record(import_id)
        .await
        .expect("read")
        .expect("record");
    assert_eq!(record.sha256, report.sha256);
    assert_eq!(
        db.store
            .account_balance("payable:NQ68:842:tu-do")
            .await
            .expect("balance"),
        3_000_000
    );
    assert_eq!(
        db.store
            .account_balance("budget:NQ68:842")
            .await
            .expect("balance"),
        50_000_000_000 - 4_000_000
    );
    assert!(verify::run(db.store.as_ref(), None)
        .await
        .expect("verify")
        .is_ok());

    // The same bytes again: recognised, not posted twice.
    let again = pipeline::stage(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("stage");
    assert!(
        again
            .report
            .blocking
            .iter()
            .any(|b| b.to_string().contains("already imported")),
        "{:?}",
        again.report.blocking
    );
    let refused = pipeline::commit(db.store.as_ref(), &users.officer842, again).await;
    assert!(matches!(refused, Err(ImportError::Blocked(_))));
    assert_eq!(
        db.store
            .account_balance("payable:NQ68:842:tu-do")
            .await
            .expect("balance"),
        3_000_000
    );
}

async fn row_rules_reject_with_line_column_and_reason(db: TestDb) {
    let users = province::setup(&db).await;
    let rows = [
        A1,
        // Commune 29242 is in district 842; 29263 too — use one from district 844 (Càng Long).
        "2;Lê Văn Bảy;1970;Nam;084070000001;29278;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021",
        "3;Lê Văn Tám;1970;Nam;084070000002;29239;khong-co;1.500.000;2315/QĐ-UBND;16/08/2021",
        "4;Lê Văn Chín;1970;Nam;084070000003;29239;tu-do;1.400.000;2315/QĐ-UBND;16/08/2021",
        "5;Thạch Sa Rây;12/03/1978;Nam;084078918650;29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021",
    ];
    let file = upload("842", "b.csv", roll(&rows));
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("validate")
        .report;
    assert_eq!(
        report.rows_accepted, 1,
        "{}: {:#?}",
        db.backend, report.rejected
    );
    let by_line: std::collections::HashMap<u64, _> =
        report.rejected.iter().map(|r| (r.line, r)).collect();
    let commune = &by_line[&3].problems[0];
    assert_eq!(commune.column.as_deref(), Some("Mã xã"));
    assert_eq!(commune.column_index, Some(6));
    assert!(
        commune.reason_en.contains("belongs to district 844"),
        "{}",
        commune.reason_en
    );
    assert!(by_line[&4].problems[0].reason_en.contains("category"));
    assert!(by_line[&5].problems[0].reason_en.contains("fixed amount"));
    assert_eq!(by_line[&6].code, RejectionCode::Duplicate);
    assert!(by_line[&6].problems[0].reason_en.contains("line 2"));
}

async fn duplicates_across_files_and_districts_say_where(db: TestDb) {
    let users = province::setup(&db).await;
    let first = upload("842", "first.csv", roll(&[A1]));
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &first)
        .await
        .expect("stage");
    pipeline::commit(db.store.as_ref(), &users.officer842, staged)
        .await
        .expect("commit");
    // Same person in district 844's roll (commune 29278 is in 844).
    let other = upload("844", "other.csv", roll(&["1;Thạch Sa Rây;12/03/1978;Nam;084078918650;29278;tu-do;1.500.000;99/QĐ-UBND;20/08/2021"]));
    let report = pipeline::validate(db.store.as_ref(), &users.officer844, &other)
        .await
        .expect("validate")
        .report;
    assert_eq!(report.rows_accepted, 0);
    // District 844's officer learns that the person is approved elsewhere,
    // and nothing of district 842's file, line, entry or decision.
    let problem = &report.rejected[0].problems[0];
    assert!(
        problem.reason_en.contains("another district"),
        "{}",
        problem.reason_en
    );
    let stored = serde_json::to_string(&report).expect("json");
    for secret in ["842", "first.csv", "2315/QĐ-UBND", "entry"] {
        assert!(
            !problem.reason_en.contains(secret) && !problem.reason_vi.contains(secret),
            "{secret}: {} / {}",
            problem.reason_en,
            problem.reason_vi
        );
    }
    assert!(!stored.contains("first.csv"), "{stored}");
    // The same person again in district 842: its own file and line, said.
    let again = upload("842", "again.csv", roll(&[A1]));
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &again)
        .await
        .expect("validate")
        .report;
    let problem = &report.rejected[0].problems[0];
    assert!(
        problem.reason_en.contains("district 842")
            && problem.reason_en.contains("first.csv line 2"),
        "{}",
        problem.reason_en
    );
}

async fn control_totals_and_budget_refuse_the_commit(db: TestDb) {
    let users = province::setup(&db).await;
    let mut file = upload("842", "c.csv", roll(&[A1, A2]));
    file.expect_rows = Some(3);
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("stage");
    assert!(!staged.report.can_commit());
    let result = pipeline::commit(db.store.as_ref(), &users.officer842, staged).await;
    let Err(ImportError::Blocked(report)) = result else {
        panic!("must be refused")
    };
    assert!(
        report.blocking[0].to_string().contains("declared 3 rows"),
        "{}",
        report.blocking[0]
    );

    let mut file = upload("842", "d.csv", roll(&[A1, A2]));
    file.expect_total = Some(Money::from_dong(3_000_000));
    file.expect_rows = Some(2);
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("stage");
    assert!(staged.report.can_commit(), "{:?}", staged.report.blocking);

    // A program whose district budget is smaller than the roll.
    let small = province::EXAMPLE_PROGRAM
        .replace("code = \"NQ68\"", "code = \"SMALL\"")
        .replace("\"842\" = 50000000000", "\"842\" = 2000000");
    ansinh::programs::add(db.store.as_ref(), "tinh", &small)
        .await
        .expect("program");
    let mut over = upload("842", "e.csv", roll(&[A1, A2]));
    over.program = "SMALL".into();
    let head = db.store.head().await.expect("head");
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &over)
        .await
        .expect("stage");
    let Err(ImportError::Blocked(report)) =
        pipeline::commit(db.store.as_ref(), &users.officer842, staged).await
    else {
        panic!("over budget must be refused")
    };
    assert!(
        report
            .blocking
            .iter()
            .any(|b| b.to_string().contains("exceeded by 1.000.000")),
        "{:?}",
        report.blocking
    );
    assert_eq!(db.store.head().await.expect("head"), head, "nothing posted");
}

async fn officers_import_only_for_their_district(db: TestDb) {
    let users = province::setup(&db).await;
    let file = upload("844", "f.csv", roll(&[A1]));
    let result = pipeline::validate(db.store.as_ref(), &users.officer842, &file).await;
    assert!(matches!(result, Err(ImportError::Forbidden(_))));
    let result = pipeline::validate(db.store.as_ref(), &users.auditor, &file).await;
    assert!(matches!(result, Err(ImportError::Forbidden(_))));
    let _ = users.provincial;
}

async fn a_non_utf8_file_is_refused_and_nothing_is_stored(db: TestDb) {
    let users = province::setup(&db).await;
    let mut bytes = roll(&[A1]);
    bytes.extend_from_slice(
        b"2;Nguy\xea\xe3n V\xe3n A;1970;Nam;084070000009;29239;tu-do;1.500.000;1/QD;16/08/2021\r\n",
    );
    let file = upload("842", "g.csv", bytes);
    let result = pipeline::stage(db.store.as_ref(), &users.officer842, &file).await;
    let Err(ImportError::File(error)) = result else {
        panic!("must be refused")
    };
    assert!(error.to_string().contains("UTF-8"), "{error}");
    assert!(
        db.store.import_record(1).await.expect("read").is_none(),
        "nothing stored"
    );
}

async fn files_past_the_limits_are_refused_and_nothing_is_stored(db: TestDb) {
    use ansinh::import::parse::{FIELD_CHARS_MAX, FILE_BYTES_MAX, ROWS_MAX};
    let users = province::setup(&db).await;
    let head = db.store.head().await.expect("head");

    let mut too_big = roll(&[A1]);
    too_big.resize(FILE_BYTES_MAX + 1, b'\n');
    let Err(ImportError::File(error)) = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("842", "big.csv", too_big),
    )
    .await
    else {
        panic!("a file over the size limit must be refused")
    };
    assert!(
        error.to_string().contains("MiB") || error.to_string().contains("bytes"),
        "{error}"
    );

    let mut rows: Vec<String> = Vec::with_capacity(ROWS_MAX + 1);
    for n in 0..=ROWS_MAX {
        rows.push(format!(
            "{};Lê Văn An;1970;Nam;0841{n:08};29239;tu-do;1.500.000;1/QĐ-UBND;16/08/2021",
            n + 1
        ));
    }
    let row_refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let Err(ImportError::File(error)) = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("842", "many.csv", roll(&row_refs)),
    )
    .await
    else {
        panic!("a file over the row limit must be refused")
    };
    assert!(error.to_string().contains("500"), "{error}");

    let long_name = "A".repeat(FIELD_CHARS_MAX + 1);
    let long_row =
        format!("2;{long_name};1970;Nam;084070000001;29239;tu-do;1.500.000;1/QĐ-UBND;16/08/2021");
    let Err(ImportError::Refused(message)) = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("842", "long.csv", roll(&[A1, &long_row])),
    )
    .await
    else {
        panic!("a field over the length limit must refuse the file")
    };
    assert!(
        message.contains("line 3") && message.contains(&FIELD_CHARS_MAX.to_string()),
        "{message}"
    );

    assert!(
        db.store.import_record(1).await.expect("read").is_none(),
        "no upload was stored"
    );
    assert_eq!(
        db.store.head().await.expect("head"),
        head,
        "nothing was posted"
    );
}

async fn a_roll_validated_before_a_competing_commit_is_refused_at_commit(db: TestDb) {
    let users = province::setup(&db).await;
    // Validated (staged) in district 842 but not yet committed…
    let waiting = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("842", "waiting.csv", roll(&[A1, A2])),
    )
    .await
    .expect("stage");
    assert!(waiting.report.can_commit());
    // …while district 844 commits the same person.
    let other = upload(
        "844",
        "other.csv",
        roll(&[
            "1;Thạch Sa Rây;12/03/1978;Nam;084078918650;29278;tu-do;1.500.000;9/QĐ-UBND;20/08/2021",
        ]),
    );
    let staged = pipeline::stage(db.store.as_ref(), &users.officer844, &other)
        .await
        .expect("stage");
    pipeline::commit(db.store.as_ref(), &users.officer844, staged)
        .await
        .expect("commit");
    let head = db.store.head().await.expect("head");
    let Err(ImportError::Stale(report)) =
        pipeline::commit(db.store.as_ref(), &users.officer842, waiting).await
    else {
        panic!(
            "{}: the stale validation must not post a second approval",
            db.backend
        )
    };
    assert!(
        report
            .blocking
            .iter()
            .any(|b| b.to_string().contains("084078918650")),
        "{:?}",
        report.blocking
    );
    assert_eq!(db.store.head().await.expect("head"), head, "nothing posted");
}

/// Stored uploads are never deleted: those nobody commits are capped per
/// district and day, and past the cap nothing more is stored.
async fn uploads_nobody_commits_are_capped_per_district_and_day(db: TestDb) {
    let users = province::setup(&db).await;
    let max = pipeline::UNCOMMITTED_UPLOADS_PER_DAY_MAX;
    let mut staged = Vec::new();
    for n in 0..max {
        let file = upload("842", &format!("try-{n}.csv"), roll(&[A1]));
        staged.push(
            pipeline::stage(db.store.as_ref(), &users.officer842, &file)
                .await
                .expect("stage"),
        );
    }
    let one_more = upload("842", "one-more.csv", roll(&[A1]));
    let refused = pipeline::stage(db.store.as_ref(), &users.officer842, &one_more).await;
    match refused {
        Err(ImportError::Quota(message)) => {
            assert!(message.contains("never committed"), "{message}")
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("staged past the cap"),
    }
    assert!(
        db.store
            .import_record(max + 1)
            .await
            .expect("read")
            .is_none(),
        "nothing stored past the cap"
    );
    // Another district has its own allowance; a commit frees a place.
    let other = upload(
        "844",
        "other.csv",
        roll(&["1;Lê Văn Khác;1970;Nam;084070000044;29278;tu-do;1.500.000;77/QĐ-UBND;18/08/2021"]),
    );
    pipeline::stage(db.store.as_ref(), &users.officer844, &other)
        .await
        .expect("district 844 stages");
    let first = staged.remove(0);
    pipeline::commit(db.store.as_ref(), &users.officer842, first)
        .await
        .expect("commit");
    pipeline::stage(db.store.as_ref(), &users.officer842, &one_more)
        .await
        .expect("a place was freed");
}

async fn a_roll_is_stored_compressed_and_read_back_byte_for_byte(db: TestDb) {
    let users = province::setup(&db).await;
    let rows: Vec<String> = (0..2_000)
        .map(|n| {
            format!(
                "{};Thạch Sa Rây;12/03/1978;Nam;084078{n:06};29239;tu-do;1.500.000;2315/QĐ-UBND;16/08/2021",
                n + 1
            )
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let file = upload("842", "danh-sach-lon.csv", roll(&rows));
    let staged = pipeline::stage(db.store.as_ref(), &users.officer842, &file)
        .await
        .expect("stage");
    let import_id = staged.report.import_id.expect("id");
    let mut stored = Vec::new();
    for column in [
        "CAST(CASE WHEN content_encoding = 'lz4' THEN 1 ELSE 0 END AS BIGINT)",
        "CAST(length(content) AS BIGINT)",
        "size_bytes",
    ] {
        let sql = format!("SELECT {column} FROM imports WHERE id = {import_id}");
        stored.extend(query_i64(&db, &sql).await);
    }
    let original = i64::try_from(file.bytes.len()).expect("length");
    assert_eq!(stored[0], 1, "{}: stored as lz4", db.backend);
    assert!(stored[1] * 3 < original, "{}: {stored:?}", db.backend);
    assert_eq!(stored[2], original, "{}: the original length", db.backend);
    // Read back, committed, and verified against the original's digest.
    let read_back = db.store.import_content(import_id).await.expect("read");
    assert_eq!(read_back.as_deref(), Some(file.bytes.as_slice()));
    let report = pipeline::commit(db.store.as_ref(), &users.officer842, staged)
        .await
        .expect("commit");
    assert_eq!(report.status, ImportStatus::Committed, "{}", db.backend);
    let verified = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(verified.is_ok(), "{}: {:?}", db.backend, verified.problem);
}
