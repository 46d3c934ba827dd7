//! `.xlsx` rolls: the first sheet read as its CSV would be, through the same
//! pipeline, with the workbook's own bytes kept as the evidence.

use crate::support::harness::Suite;
use crate::support::xlsx::{xlsx, Cell};
use crate::support::{province, TestDb};
use ansinh::import::parse::{FileError, ProblemCode, RollKind};
use ansinh::import::pipeline::{self, ImportError, RollUpload};
use ansinh::import::workbook::roll_text;
use ansinh::ledger::verify;

pub fn register(suite: &mut Suite) {
    register!(suite;
        test: a_sheet_becomes_one_csv_line_per_sheet_row,
        each_backend: an_xlsx_roll_is_imported_as_its_csv_would_be,
        sqlite: a_damaged_workbook_is_refused_and_nothing_is_stored,
    );
}

fn a_sheet_becomes_one_csv_line_per_sheet_row() {
    use Cell::{Number, Text};
    let bytes = xlsx(&[
        vec![Some(Text("Danh sách hỗ trợ"))],
        vec![],
        vec![Some(Text("Họ và tên")), Some(Text("Số tiền"))],
        vec![Some(Text("Nguyễn \"Út\", con")), Some(Number(1_500_000.0))],
        vec![
            Some(Text("Kim Ngọc Hên")),
            None,
            Some(Number(84_069_106_889.0)),
        ],
        vec![None, Some(Number(1.5))],
    ]);
    let text = roll_text(&bytes).expect("a workbook");
    assert_eq!(
        String::from_utf8_lossy(&text),
        // Every row as wide as the widest, as Excel's own CSV export.
        "Danh sách hỗ trợ,,\n\nHọ và tên,Số tiền,\n\"Nguyễn \"\"Út\"\", con\",1500000,\nKim Ngọc Hên,,84069106889\n,1.5,\n"
    );
}

/// An officer's workbook: a title, a blank row, the header on row 3, then
/// people, one with an ID typed as a number (Excel dropped its leading zero).
fn officers_workbook() -> Vec<u8> {
    use Cell::{Number, Text};
    let header = [
        "STT",
        "Họ và tên",
        "Số CCCD/CMND",
        "Mã xã",
        "Nhóm đối tượng",
        "Số tiền",
        "Số quyết định",
        "Ngày quyết định",
    ];
    let person = |n: f64, name: &'static str, id: Cell<'static>, amount: f64| {
        vec![
            Some(Number(n)),
            Some(Text(name)),
            Some(id),
            Some(Text("29239")),
            Some(Text("tu-do")),
            Some(Number(amount)),
            Some(Text("2315/QĐ-UBND")),
            Some(Text("16/08/2021")),
        ]
    };
    xlsx(&[
        vec![Some(Text(
            "DANH SÁCH ĐỐI TƯỢNG ĐƯỢC HỖ TRỢ — HUYỆN CÀNG LONG",
        ))],
        vec![],
        header.iter().map(|h| Some(Text(h))).collect(),
        person(1.0, "Thạch Sa Rây", Text("084078918650"), 1_500_000.0),
        person(2.0, "Kim Ngọc Hên", Number(84_069_106_889.0), 1_500_000.0),
        person(3.0, "Nguyễn Thị Mỹ Linh", Text("084185360298"), 1_500_000.0),
    ])
}

fn upload(file_name: &str, bytes: Vec<u8>) -> RollUpload {
    RollUpload {
        kind: RollKind::Approvals,
        program: "NQ68".into(),
        district: "842".into(),
        file_name: file_name.into(),
        bytes,
        sheet: None,
        expect_rows: None,
        expect_total: None,
    }
}

async fn an_xlsx_roll_is_imported_as_its_csv_would_be(db: TestDb) {
    let users = province::setup(&db).await;
    let workbook = officers_workbook();
    let staged = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("danh-sach.xlsx", workbook.clone()),
    )
    .await
    .expect("stage");
    let report = &staged.report;
    assert_eq!(
        (report.rows_accepted, report.rows_rejected),
        (2, 1),
        "{}",
        db.backend
    );
    let rejected = &report.rejected[0];
    // Line 5 is the officer's Excel row 5.
    assert_eq!(rejected.line, 5, "{}", db.backend);
    assert_eq!(
        rejected.problems[0].code,
        ProblemCode::NationalIdLeadingZero
    );
    let import_id = report.import_id.expect("stored");
    let committed = pipeline::commit(db.store.as_ref(), &users.officer842, staged)
        .await
        .expect("commit");
    assert_eq!(committed.accepted_total_dong, 3_000_000, "{}", db.backend);
    // The evidence is the workbook as uploaded, and verify checks it.
    let stored = db.store.import_content(import_id).await.expect("read");
    assert_eq!(
        stored.as_deref(),
        Some(workbook.as_slice()),
        "{}",
        db.backend
    );
    let verified = verify::run(db.store.as_ref(), None).await.expect("verify");
    assert!(verified.is_ok(), "{}: {:?}", db.backend, verified.problem);
}

async fn a_damaged_workbook_is_refused_and_nothing_is_stored(db: TestDb) {
    let users = province::setup(&db).await;
    let mut damaged = officers_workbook();
    damaged.truncate(damaged.len() / 2);
    let refused = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("hong.xlsx", damaged),
    )
    .await
    .err()
    .expect("a damaged workbook");
    let ImportError::File(FileError::UnreadableWorkbook { .. }) = &refused else {
        panic!("{refused}");
    };
    assert!(
        refused.to_string().contains("không đọc được tệp Excel"),
        "{refused}"
    );
    let stored = crate::support::query_i64(&db, "SELECT COUNT(*) FROM imports").await;
    assert_eq!(stored, vec![0]);
}
