//! Excel files out: the annotated roll an officer fixes and uploads again,
//! read back with calamine, over the library and over HTTP.

use crate::http_api::{json_of, Api};
use crate::support::harness::Suite;
use crate::support::xlsx::{xlsx, Cell};
use crate::support::{province, TestDb};
use ansinh::import::annotate::{annotated_workbook, XLSX_CONTENT_TYPE};
use ansinh::import::parse::{ProblemCode, RollKind, ANNOTATION_HEADER};
use ansinh::import::pipeline::{self, RollUpload};
use calamine::{Data, Range, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Cursor;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: an_annotated_roll_says_on_each_row_what_was_found,
        sqlite: an_annotated_csv_keeps_its_ids_as_text,
        each_backend: an_officers_workbook_is_fixed_through_the_annotated_download,
    );
}

pub(crate) const HEADER: [&str; 8] = [
    "STT",
    "Họ và tên",
    "Số CCCD/CMND",
    "Mã xã",
    "Nhóm đối tượng",
    "Số tiền",
    "Số quyết định",
    "Ngày quyết định",
];

/// An officer's workbook: a title, a blank row, the header on row 3, four
/// people on rows 4–7 and a totals row declaring all four. Row 5's ID was
/// typed as a number (its leading zero lost), row 6's commune is in another
/// district: two rejected rows, so the totals do not match and the roll is refused.
fn workbook_with_errors() -> Vec<u8> {
    use Cell::{Number, Text};
    let person = |n: f64, name: &'static str, id: Cell<'static>, commune: &'static str| {
        vec![
            Some(Number(n)),
            Some(Text(name)),
            Some(id),
            Some(Text(commune)),
            Some(Text("tu-do")),
            Some(Number(1_500_000.0)),
            Some(Text("2315/QĐ-UBND")),
            Some(Text("16/08/2021")),
        ]
    };
    xlsx(&[
        vec![Some(Text("DANH SÁCH ĐỐI TƯỢNG — HUYỆN CÀNG LONG"))],
        vec![],
        HEADER.iter().map(|h| Some(Text(h))).collect(),
        person(1.0, "Thạch Sa Rây", Text("084078918650"), "29239"),
        person(2.0, "Kim Ngọc Hên", Number(84_069_106_889.0), "29239"),
        person(3.0, "Nguyễn Thị Mỹ Linh", Text("084185360298"), "29266"),
        person(4.0, "Lâm Văn Tư", Text("084212485294"), "29239"),
        vec![
            None,
            Some(Text("Tổng cộng")),
            None,
            None,
            None,
            Some(Number(6_000_000.0)),
        ],
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

/// The first sheet of a workbook.
pub(crate) fn first_sheet(bytes: &[u8]) -> Range<Data> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    workbook
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable")
}

/// A cell's text, by its 1-based spreadsheet row and 0-based column.
pub(crate) fn text_at(sheet: &Range<Data>, row: u32, column: u32) -> String {
    match sheet.get_value((row - 1, column)) {
        Some(Data::String(text)) => text.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => panic!("row {row} column {column}: not text: {other:?}"),
    }
}

async fn an_annotated_roll_says_on_each_row_what_was_found(db: TestDb) {
    let backend = db.backend;
    let users = province::setup(&db).await;
    let original = workbook_with_errors();
    let staged = pipeline::stage(
        db.store.as_ref(),
        &users.officer842,
        &upload("danh-sach.xlsx", original.clone()),
    )
    .await
    .expect("stage");
    let report = &staged.report;
    assert_eq!(report.rows_rejected, 2, "{backend}");
    assert!(!report.can_commit(), "{backend}: the totals do not match");

    let annotated = annotated_workbook(&original, report).expect("annotated");
    let sheet = first_sheet(&annotated);
    // The officer's rows where they were, the header kept, the column added.
    assert_eq!(
        text_at(&sheet, 1, 0),
        "DANH SÁCH ĐỐI TƯỢNG — HUYỆN CÀNG LONG"
    );
    for (column, header) in HEADER.iter().enumerate() {
        assert_eq!(text_at(&sheet, 3, column as u32), *header);
    }
    assert_eq!(text_at(&sheet, 3, 8), ANNOTATION_HEADER);
    assert_eq!(text_at(&sheet, 4, 2), "084078918650");
    assert_eq!(text_at(&sheet, 5, 2), "84069106889");
    assert_eq!(text_at(&sheet, 8, 1), "Tổng cộng");
    // Rows without problems carry no annotation; rows with them, theirs.
    for row in [4, 7] {
        assert_eq!(text_at(&sheet, row, 8), "", "{backend}: row {row}");
    }
    let leading_zero = text_at(&sheet, 5, 8);
    let zero_problem = &report.rejected[0].problems[0];
    assert_eq!(zero_problem.code, ProblemCode::NationalIdLeadingZero);
    assert!(
        leading_zero.starts_with(&format!("Lỗi/Error: {}", zero_problem.reason_vi)),
        "{backend}: {leading_zero}"
    );
    assert!(
        leading_zero.contains("\"84069106889\"") && leading_zero.contains("Số CCCD/CMND"),
        "{backend}: {leading_zero}"
    );
    let outside = text_at(&sheet, 6, 8);
    assert!(
        outside.contains("\"29266\"") && outside.contains("Mã xã"),
        "{backend}: {outside}"
    );
    assert!(!outside.contains("84069106889"), "{backend}: {outside}");
}

async fn an_annotated_csv_keeps_its_ids_as_text(db: TestDb) {
    let users = province::setup(&db).await;
    let csv = "sep=;\nHọ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ;Ghi chú\n\
               Lê Văn An;084078918650;29239;tu-do;1.500.000;1/QĐ;01/08/2021;\"dòng 1;\nhai dòng\"\n\
               Lê Văn Bình;084078918651;29239;tu-do;1,5;1/QĐ;01/08/2021;\n";
    let validated = pipeline::validate(
        db.store.as_ref(),
        &users.officer842,
        &upload("a.csv", csv.as_bytes().to_vec()),
    )
    .await
    .expect("validate");
    let report = &validated.report;
    assert_eq!(report.rejected.len(), 1);
    let annotated = annotated_workbook(csv.as_bytes(), report).expect("annotated");
    let sheet = first_sheet(&annotated);
    // Row 1 was the `sep=;` line: left empty so that rows keep their numbers.
    assert_eq!(text_at(&sheet, 1, 0), "");
    assert_eq!(text_at(&sheet, 2, 8), ANNOTATION_HEADER);
    assert_eq!(text_at(&sheet, 3, 1), "084078918650");
    assert_eq!(text_at(&sheet, 3, 7), "dòng 1;\nhai dòng");
    // The CSV's line 5 is the spreadsheet's row 4 (a cell above spans two lines).
    assert_eq!(text_at(&sheet, 4, 4), "1,5");
    assert!(text_at(&sheet, 4, 8).contains("\"1,5\""), "{sheet:?}");
}

/// Upload over HTTP, as the browser does.
async fn upload_over_http(api: &Api, token: &str, file_name: &str, bytes: Vec<u8>) -> Value {
    let file = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str(XLSX_CONTENT_TYPE)
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("kind", "approvals")
        .text("program", "NQ68")
        .text("district", "842")
        .part("file", file);
    let response = api
        .client
        .post(api.url("/api/v1/imports"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let (status, body) = json_of(response).await;
    json!({ "status": status.as_u16(), "body": body })
}

/// The annotated workbook with row 5's ID and row 6's commune typed again,
/// every other cell (the annotations too) as downloaded.
fn fixed(annotated: &[u8]) -> Vec<u8> {
    let sheet = first_sheet(annotated);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let out = workbook.add_worksheet();
    let (first_row, first_column) = sheet.start().expect("cells");
    for (row, column, value) in sheet.used_cells() {
        let (row, column) = (first_row + row as u32, first_column + column as u32);
        let text = match (row + 1, column) {
            (5, 2) => "084069106889".to_string(),
            (6, 3) => "29239".to_string(),
            _ => value.to_string(),
        };
        out.write_string(row, column as u16, text).expect("write");
    }
    workbook.save_to_buffer().expect("save")
}

async fn an_officers_workbook_is_fixed_through_the_annotated_download(db: TestDb) {
    let backend = db.backend;
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let other_officer = api.login("huyen844").await;

    let refused = upload_over_http(&api, &officer, "danh-sach.xlsx", workbook_with_errors()).await;
    assert_eq!(refused["status"], 422, "{backend}: {refused}");
    let report = &refused["body"]["details"];
    assert_eq!(report["rows_rejected"], 2, "{backend}: {report}");
    let id = report["import_id"].as_i64().expect("kept as an import");

    let path = format!("/api/v1/imports/{id}/annotated");
    let response = api.get(&officer, &path).await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .expect("ascii header")
            .to_string()
    };
    assert_eq!(header("content-type"), XLSX_CONTENT_TYPE);
    assert!(
        header("content-disposition").contains("filename=\"danh-sach-loi.xlsx\""),
        "{}",
        header("content-disposition")
    );
    let annotated = response.bytes().await.expect("bytes").to_vec();
    assert!(text_at(&first_sheet(&annotated), 5, 8).starts_with("Lỗi/Error: "));
    // Another district's officer does not learn that the import exists.
    let hidden = api.get(&other_officer, &path).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{backend}");

    // Fixed in place, uploaded as it is, annotations and all: it commits.
    let again = upload_over_http(&api, &officer, "danh-sach-loi.xlsx", fixed(&annotated)).await;
    assert_eq!(again["status"], 201, "{backend}: {again}");
    let report = &again["body"];
    assert_eq!(report["rows_accepted"], 4, "{backend}: {report}");
    assert_eq!(report["warnings"], json!([]), "{backend}: {report}");
    assert_eq!(report["ignored_columns"], json!([]), "{backend}: {report}");
    let id = report["import_id"].as_i64().expect("import id");
    let committed = api
        .post_json(
            &officer,
            &format!("/api/v1/imports/{id}/commit"),
            &json!({}),
        )
        .await;
    assert_eq!(committed.status(), StatusCode::OK, "{backend}");

    let (status, reconciliation) = json_of(
        api.get(&officer, "/api/v1/reconciliation?program=NQ68&district=842")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {reconciliation}");
    assert_eq!(reconciliation["total"]["beneficiaries"], 4, "{backend}");
    assert_eq!(reconciliation["total"]["approved_dong"], 6_000_000);
    let ids: Vec<&str> = reconciliation["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|line| line["national_id"].as_str())
        .collect();
    assert!(ids.contains(&"084069106889"), "{backend}: {ids:?}");
}
