//! Excel files out: the annotated roll an officer fixes and uploads again,
//! read back with calamine, over the library and over HTTP.

use crate::http_api::{json_of, Api};
use crate::support::harness::Suite;
use crate::support::ods::{ods, OdsCell};
use crate::support::xlsx::{xlsx, Cell};
use crate::support::{province, TestDb};
use ansinh::import::annotate::{annotated_workbook, XLSX_CONTENT_TYPE};
use ansinh::import::parse::{ProblemCode, RollKind, ANNOTATION_HEADER};
use ansinh::import::pipeline::{self, RollUpload};
use calamine::{Data, Range, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::{Cursor, Read, Write};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: an_annotated_roll_says_on_each_row_what_was_found,
        sqlite: an_annotated_csv_keeps_its_ids_as_text,
        each_backend: an_officers_workbook_is_fixed_through_the_annotated_download,
        each_backend: a_filled_template_imports,
        each_backend: an_ods_roll_imports_from_the_sheet_chosen,
        sqlite: dates_stored_as_dates_and_ids_stored_as_numbers_read_as_for_csv,
        sqlite: the_cli_writes_the_annotated_workbook_of_a_dry_run,
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
    upload_sheet_over_http(api, token, file_name, bytes, None).await
}

async fn upload_sheet_over_http(
    api: &Api,
    token: &str,
    file_name: &str,
    bytes: Vec<u8>,
    sheet: Option<&str>,
) -> Value {
    let file = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str("application/octet-stream")
        .expect("mime");
    let mut form = reqwest::multipart::Form::new()
        .text("kind", "approvals")
        .text("program", "NQ68")
        .text("district", "842")
        .part("file", file);
    if let Some(sheet) = sheet {
        form = form.text("sheet", sheet.to_string());
    }
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
    // Annotated again, the old notes go: the column is the file's own, refreshed.
    let again = api
        .get(&officer, &format!("/api/v1/imports/{id}/annotated"))
        .await;
    let again = first_sheet(&again.bytes().await.expect("bytes"));
    assert_eq!(text_at(&again, 3, 8), ANNOTATION_HEADER);
    assert_eq!(text_at(&again, 3, 9), "");
    for row in 4..=8 {
        assert_eq!(text_at(&again, row, 8), "", "{backend}: row {row}");
    }
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

    // The same reconciliation as a workbook: amounts exact, IDs as text.
    let response = api
        .get(
            &officer,
            "/api/v1/reconciliation?program=NQ68&district=842&format=xlsx",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        XLSX_CONTENT_TYPE
    );
    let workbook = first_sheet(&response.bytes().await.expect("bytes"));
    assert_eq!(text_at(&workbook, 4, 1), "Số CCCD/CMND");
    assert_eq!(text_at(&workbook, 4, 4), "Phê duyệt (đồng)");
    let lines = reconciliation["lines"].as_array().expect("lines");
    for (n, line) in lines.iter().enumerate() {
        let row = 5 + n as u32;
        assert_eq!(
            text_at(&workbook, row, 1),
            line["national_id"].as_str().expect("id")
        );
        assert_eq!(
            workbook.get_value((row - 1, 4)),
            Some(&Data::Float(
                line["approved_dong"].as_f64().expect("approved")
            )),
            "{backend}: row {row}"
        );
    }
    let total_row = 5 + lines.len() as u32 + 3;
    assert_eq!(text_at(&workbook, total_row, 0), "Tổng cộng");
    assert_eq!(
        workbook.get_value((total_row - 1, 4)),
        Some(&Data::Float(6_000_000.0))
    );
}

/// The template's first sheet with rows added after its header, as an
/// officer fills it in Excel: the workbook's own parts kept, the rows' cells
/// inline text, the amount (column I) a number.
fn filled_template_rows(template: &[u8], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(template)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).expect("part");
        let name = part.name().expect("name").to_string();
        let mut text = Vec::new();
        part.read_to_end(&mut text).expect("read part");
        if name == "xl/worksheets/sheet1.xml" {
            let mut xml = String::from_utf8(text).expect("xml");
            let mut added = String::new();
            for (n, row) in rows.iter().enumerate() {
                let r = n + 2;
                added.push_str(&format!(r#"<row r="{r}">"#));
                for (c, value) in row.iter().enumerate() {
                    let column = (b'A' + c as u8) as char;
                    if value.is_empty() {
                        continue;
                    }
                    if c == 8 {
                        added.push_str(&format!(r#"<c r="{column}{r}"><v>{value}</v></c>"#));
                    } else {
                        added.push_str(&format!(
                            r#"<c r="{column}{r}" t="inlineStr"><is><t>{value}</t></is></c>"#
                        ));
                    }
                }
                added.push_str("</row>");
            }
            xml = xml.replacen("</sheetData>", &format!("{added}</sheetData>"), 1);
            text = xml.into_bytes();
        }
        out.start_file(name, options).expect("part");
        out.write_all(&text).expect("write");
    }
    out.finish().expect("zip").into_inner()
}

async fn a_filled_template_imports(db: TestDb) {
    let backend = db.backend;
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let response = api
        .get(&officer, "/api/v1/programs/NQ68/template?kind=approvals")
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("mau-NQ68-phe-duyet.xlsx"));
    let template = response.bytes().await.expect("bytes").to_vec();
    let header = first_sheet(&template);
    let fields = RollKind::Approvals.fields();
    for (column, field) in fields.iter().enumerate() {
        assert_eq!(text_at(&header, 1, column as u32), field.name_vi());
    }
    // The lists: the program's categories, the officer's district's communes.
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(&template)).expect("xlsx");
    assert_eq!(workbook.sheet_names(), ["Danh sách", "Danh mục"]);
    let lists = workbook.worksheet_range("Danh mục").expect("lists");
    let column = |c: u32| -> Vec<String> {
        (1..lists.height() as u32)
            .map(|r| text_at(&lists, r + 1, c))
            .filter(|t| !t.is_empty())
            .collect()
    };
    assert!(column(0).contains(&"tu-do".to_string()), "{:?}", column(0));
    let communes = column(3);
    assert!(communes.contains(&"29239".to_string()), "{communes:?}");
    assert!(
        !communes.contains(&"29266".to_string()),
        "844's: {communes:?}"
    );
    let mut sheet_xml = String::new();
    zip::ZipArchive::new(Cursor::new(&template))
        .expect("zip")
        .by_name("xl/worksheets/sheet1.xml")
        .expect("sheet")
        .read_to_string(&mut sheet_xml)
        .expect("xml");
    // The ID column (E) and the commune column (F) are formatted as text ("@").
    let mut styles = String::new();
    zip::ZipArchive::new(Cursor::new(&template))
        .expect("zip")
        .by_name("xl/styles.xml")
        .expect("styles")
        .read_to_string(&mut styles)
        .expect("xml");
    for column in [5, 6] {
        assert_eq!(
            column_format(&sheet_xml, &styles, column),
            "@",
            "column {column}"
        );
    }
    let last = communes.len() + 1;
    assert!(
        sheet_xml.contains(&format!("'Danh mục'!$D$2:$D${last}")),
        "{sheet_xml}"
    );
    // Another district's list on request; an unknown district is refused.
    let other = api
        .get(
            &officer,
            "/api/v1/programs/NQ68/template?kind=payments&district=844",
        )
        .await;
    assert_eq!(other.status(), StatusCode::OK, "{backend}");
    for bad in [
        "kind=loans",
        "kind=approvals&district=999",
        "kind=approvals&district=84",
    ] {
        let refused = api
            .get(&officer, &format!("/api/v1/programs/NQ68/template?{bad}"))
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{backend} {bad}");
    }
    let unknown = api
        .get(&officer, "/api/v1/programs/NQ99/template?kind=approvals")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND, "{backend}");

    let row = |stt: &'static str, name: &'static str, id: &'static str| {
        // STT, name, birth, sex, ID, commune, address, category, amount, …
        [stt, name, "", "Nam", id, "29239", "", "tu-do"]
    };
    let rows = [
        row("1", "Thạch Sa Rây", "084078918650"),
        row("2", "Kim Ngọc Hên", "084069106889"),
    ];
    // The amount, decision number and date follow the eight cells above.
    let filled = filled_template_with_decision(&template, &rows);
    let uploaded = upload_over_http(&api, &officer, "mau-NQ68-phe-duyet.xlsx", filled).await;
    assert_eq!(uploaded["status"], 201, "{backend}: {uploaded}");
    let report = &uploaded["body"];
    assert_eq!(report["rows_accepted"], 2, "{backend}: {report}");
    assert_eq!(report["warnings"], json!([]), "{backend}: {report}");
    let id = report["import_id"].as_i64().expect("id");
    let committed = api
        .post_json(
            &officer,
            &format!("/api/v1/imports/{id}/commit"),
            &json!({}),
        )
        .await;
    assert_eq!(committed.status(), StatusCode::OK, "{backend}");
}

/// [`filled_template_rows`] with each row's amount (a number cell), decision
/// number and date appended.
fn filled_template_with_decision(template: &[u8], rows: &[[&str; 8]]) -> Vec<u8> {
    let full: Vec<[String; 11]> = rows
        .iter()
        .map(|r| {
            let mut full: [String; 11] = Default::default();
            for (c, v) in r.iter().enumerate() {
                full[c] = v.to_string();
            }
            full[8] = "1500000".into();
            full[9] = "2315/QĐ-UBND".into();
            full[10] = "16/08/2021".into();
            full
        })
        .collect();
    let borrowed: Vec<Vec<&str>> = full
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    filled_template_rows(template, &borrowed)
}

/// A LibreOffice roll whose first sheet is a note and whose second holds
/// the roll: an ID stored as a number, a decision date stored as a date.
fn ods_roll() -> Vec<u8> {
    use OdsCell::{Date, Number, Text};
    let person = |n: f64, name: &'static str, id: OdsCell<'static>| {
        vec![
            Some(Number(n)),
            Some(Text(name)),
            Some(id),
            Some(Text("29239")),
            Some(Text("tu-do")),
            Some(Number(1_500_000.0)),
            Some(Text("2315/QĐ-UBND")),
            Some(Date("2021-08-16", "16/08/2021")),
        ]
    };
    ods(&[
        (
            "Ghi chú",
            vec![vec![Some(Text("Gửi kèm công văn số 12/UBND"))]],
        ),
        (
            "Danh sách",
            vec![
                HEADER.iter().map(|h| Some(Text(h))).collect(),
                person(1.0, "Thạch Sa Rây", Text("084078918650")),
                person(2.0, "Kim Ngọc Hên", Number(84_069_106_889.0)),
                person(3.0, "Nguyễn Thị Mỹ Linh", Text("084185360298")),
            ],
        ),
    ])
}

async fn an_ods_roll_imports_from_the_sheet_chosen(db: TestDb) {
    let backend = db.backend;
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    // The first sheet is a note: no header there.
    let first = upload_over_http(&api, &officer, "danh-sach.ods", ods_roll()).await;
    assert_eq!(first["status"], 422, "{backend}: {first}");
    assert_eq!(first["body"]["details"]["code"], "no_header", "{first}");
    let missing =
        upload_sheet_over_http(&api, &officer, "danh-sach.ods", ods_roll(), Some("Trang 3")).await;
    assert_eq!(missing["status"], 422, "{backend}: {missing}");
    assert_eq!(missing["body"]["details"]["code"], "no_such_sheet");
    let message = missing["body"]["message"].as_str().expect("message");
    assert!(
        message.contains("'Ghi chú', 'Danh sách'"),
        "{backend}: {message}"
    );

    let csv = upload_sheet_over_http(
        &api,
        &officer,
        "danh-sach.csv",
        b"a,b\n1,2\n".to_vec(),
        Some("Danh sách"),
    )
    .await;
    assert_eq!(csv["body"]["details"]["code"], "no_such_sheet", "{csv}");
    let staged = upload_sheet_over_http(
        &api,
        &officer,
        "danh-sach.ods",
        ods_roll(),
        Some("Danh sách"),
    )
    .await;
    assert_eq!(staged["status"], 201, "{backend}: {staged}");
    let report = &staged["body"];
    assert_eq!(report["sheet"], "Danh sách");
    assert_eq!(
        (
            report["rows_accepted"].clone(),
            report["rows_rejected"].clone()
        ),
        (json!(2), json!(1)),
        "{backend}: {report}"
    );
    // Row 3 of that sheet: the ID that lost its leading zero, explained as for a CSV.
    let rejected = &report["rejected"][0];
    assert_eq!(rejected["line"], 3, "{report}");
    assert_eq!(rejected["problems"][0]["code"], "national_id_leading_zero");
    let id = report["import_id"].as_i64().expect("id");
    // The annotated roll reads the sheet the upload chose.
    let annotated = api
        .get(&officer, &format!("/api/v1/imports/{id}/annotated"))
        .await;
    assert_eq!(annotated.status(), StatusCode::OK, "{backend}");
    let sheet = first_sheet(&annotated.bytes().await.expect("bytes"));
    assert_eq!(text_at(&sheet, 1, 8), ANNOTATION_HEADER);
    assert_eq!(text_at(&sheet, 2, 7), "16/08/2021");
    assert!(text_at(&sheet, 3, 8).contains("84069106889"), "{sheet:?}");
    let committed = api
        .post_json(
            &officer,
            &format!("/api/v1/imports/{id}/commit"),
            &json!({}),
        )
        .await;
    assert_eq!(committed.status(), StatusCode::OK, "{backend}");
}

async fn dates_stored_as_dates_and_ids_stored_as_numbers_read_as_for_csv(db: TestDb) {
    let users = province::setup(&db).await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (column, header) in HEADER.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    sheet.write_number(1, 0, 1).expect("stt");
    sheet.write_string(1, 1, "Kim Ngọc Hên").expect("name");
    sheet.write_number(1, 2, 84_069_106_889.0).expect("id");
    sheet.write_string(1, 3, "29239").expect("commune");
    sheet.write_string(1, 4, "tu-do").expect("category");
    sheet.write_number(1, 5, 1_500_000).expect("amount");
    sheet.write_string(1, 6, "2315/QĐ-UBND").expect("decision");
    let decided = rust_xlsxwriter::ExcelDateTime::from_ymd(2021, 8, 16).expect("date");
    sheet
        .write_datetime_with_format(1, 7, &decided, &date)
        .expect("date");
    let bytes = workbook.save_to_buffer().expect("save");
    let text = ansinh::import::workbook::roll_text(&bytes).expect("read");
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.ends_with("1,Kim Ngọc Hên,84069106889,29239,tu-do,1500000,2315/QĐ-UBND,16/08/2021\n"),
        "{text}"
    );
    // The same row from a CSV: the same refusal, in the same words.
    let csv = format!(
        "{}\n1,Kim Ngọc Hên,84069106889,29239,tu-do,1500000,2315/QĐ-UBND,16/08/2021\n",
        HEADER.join(",")
    );
    let mut problems = Vec::new();
    for (name, bytes) in [("a.xlsx", bytes), ("a.csv", csv.into_bytes())] {
        let report = pipeline::validate(db.store.as_ref(), &users.officer842, &upload(name, bytes))
            .await
            .expect("validate")
            .report;
        assert_eq!(report.rejected.len(), 1, "{name}");
        assert_eq!(report.rejected[0].line, 2, "{name}");
        problems.push(report.rejected[0].problems.clone());
    }
    assert_eq!(problems[0][0].code, ProblemCode::NationalIdLeadingZero);
    assert_eq!(problems[0], problems[1]);
}

async fn the_cli_writes_the_annotated_workbook_of_a_dry_run(db: TestDb) {
    use crate::http_api::{add_user, PASSWORD};
    use ansinh::domain::Role;
    add_user(&db, "tinh", Role::Provincial, None).await;
    add_user(&db, "huyen842", Role::District, Some("842")).await;
    ansinh::programs::add(db.store.as_ref(), "tinh", province::EXAMPLE_PROGRAM)
        .await
        .expect("program");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("danh-sach.xlsx"), workbook_with_errors()).expect("write");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "approvals",
            "--program",
            "NQ68",
            "--district",
            "842",
            "--dry-run",
        ];
        args.extend_from_slice(extra);
        args.push("danh-sach.xlsx");
        std::process::Command::new(env!("CARGO_BIN_EXE_ansinh"))
            .current_dir(dir.path())
            .args(args)
            .env("ANSINH_DATABASE_URL", &db.url)
            .env("ANSINH_USER", "huyen842")
            .env("ANSINH_PASSWORD", PASSWORD)
            .output()
            .expect("run ansinh")
    };
    // The dry run would be refused (the totals row does not match): exit 1,
    // and the annotated workbook is written all the same.
    let refused = run(&["--annotated", "danh-sach-loi.xlsx"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let annotated = std::fs::read(dir.path().join("danh-sach-loi.xlsx")).expect("written");
    let sheet = first_sheet(&annotated);
    assert_eq!(text_at(&sheet, 3, 8), ANNOTATION_HEADER);
    assert!(text_at(&sheet, 5, 8).starts_with("Lỗi/Error: "));
    assert_eq!(text_at(&sheet, 4, 8), "");
    let no_sheet = run(&["--sheet", "Trang 2"]);
    assert_eq!(no_sheet.status.code(), Some(1), "{no_sheet:?}");
    let stderr = String::from_utf8_lossy(&no_sheet.stderr);
    assert!(stderr.contains("'Danh sách'"), "{stderr}");
}

/// The number format of a sheet's column (1-based), from the sheet's `<col>`
/// elements and the workbook's styles.
fn column_format(sheet_xml: &str, styles: &str, column: u32) -> String {
    let attribute = |element: &str, name: &str| -> String {
        element
            .split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    let style: usize = sheet_xml
        .split("<col ")
        .skip(1)
        .find(|col| {
            let min: u32 = attribute(col, "min").parse().unwrap_or(0);
            let max: u32 = attribute(col, "max").parse().unwrap_or(0);
            (min..=max).contains(&column)
        })
        .map(|col| attribute(col, "style").parse().expect("style"))
        .expect("a <col> for the column");
    let cell_formats = styles.split("<cellXfs").nth(1).expect("cellXfs");
    let xf = cell_formats
        .split("<xf ")
        .nth(style + 1)
        .expect("the style");
    let id = attribute(&format!(" {xf}"), "numFmtId");
    styles
        .split("<numFmt ")
        .skip(1)
        .find(|format| attribute(&format!(" {format}"), "numFmtId") == id)
        .map(|format| attribute(&format!(" {format}"), "formatCode"))
        .unwrap_or_else(|| format!("built-in {id}"))
}
