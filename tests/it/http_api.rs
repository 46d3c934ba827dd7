//! The HTTP API as a client sees it: the real app on port 0, real logins,
//! multipart uploads, on every backend (SQLite always, PostgreSQL when
//! ANSINH_TEST_POSTGRES_URL is set).

use crate::support;
use crate::support::harness::Suite;
use crate::support::TestDb;
use ansinh::auth::password;
use ansinh::domain::Role;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::sync::OnceLock;

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: imports_are_staged_then_committed_once_within_the_officers_district,
        each_backend: reconciliation_stays_within_the_district_and_exports_csv,
        each_backend: reconciliation_pages_its_json_lines_and_keeps_whole_totals,
        each_backend: reports_state_their_checkpoint_and_are_provincial,
        each_backend: reversal_over_http_is_provincial_once_and_keeps_the_chain_valid,
        sqlite: an_upload_is_one_file_and_an_unknown_program_is_not_found,
    );
}

pub(crate) const PASSWORD: &str = "mật khẩu đủ dài";
pub(crate) const APPROVALS_842: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/imports/samples/approvals-842.csv"
));
const APPROVALS_844: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/imports/samples/approvals-844.csv"
));
const PAYMENTS_842: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/imports/samples/payments-842.csv"
));
/// approvals-842.csv: six people, 8.710.000 đồng; payments-842.csv pays the first five.
pub(crate) const APPROVED_842_DONG: i64 = 8_710_000;
const PAID_842_DONG: i64 = 7_710_000;
/// The one person in approvals-842.csv whom payments-842.csv does not pay.
const UNPAID_842: &str = "084212485294";
const PAID_842: &str = "084078918650";

/// argon2 is slow in debug builds: hash once, share the hash between users.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash(PASSWORD).expect("hash"))
        .clone()
}

pub(crate) async fn add_user(db: &TestDb, username: &str, role: Role, district: Option<&str>) {
    support::add_user(db, username, role, district, &password_hash()).await;
}

/// The example program NQ68 (budget 50 tỷ per district) and one login per role.
async fn province(db: &TestDb) {
    add_user(db, "tinh", Role::Provincial, None).await;
    add_user(db, "huyen842", Role::District, Some("842")).await;
    add_user(db, "huyen844", Role::District, Some("844")).await;
    add_user(db, "kiemtoan", Role::Auditor, None).await;
    ansinh::programs::add(
        db.store.as_ref(),
        "tinh",
        support::province::EXAMPLE_PROGRAM,
    )
    .await
    .expect("program");
}

pub(crate) struct Api {
    base: String,
    pub(crate) client: reqwest::Client,
    backend: &'static str,
}

impl Api {
    /// The example province's users, then the app on a loopback port.
    pub(crate) async fn with_province(db: &TestDb) -> Api {
        province(db).await;
        Api::spawn(db).await
    }

    async fn spawn(db: &TestDb) -> Api {
        Api {
            base: support::start_app(db).await,
            client: reqwest::Client::new(),
            backend: db.backend,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn login(&self, username: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}: login {username}",
            self.backend
        );
        let body: Value = response.json().await.expect("login json");
        body["token"].as_str().expect("token").to_string()
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub(crate) async fn post_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub(crate) async fn upload(
        &self,
        token: &str,
        kind: &str,
        district: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Response {
        let file = reqwest::multipart::Part::bytes(bytes.to_vec())
            .file_name(file_name.to_string())
            .mime_str("text/csv")
            .expect("mime");
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .text("program", "NQ68")
            .text("district", district.to_string())
            .part("file", file);
        self.client
            .post(self.url("/api/v1/imports"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    pub(crate) async fn head_seq(&self) -> i64 {
        let health: Value = self
            .client
            .get(self.url("/api/v1/health"))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("health json");
        health["head_seq"].as_i64().expect("head_seq")
    }

    /// Uploads and commits a roll; returns the commit's import report.
    async fn import(
        &self,
        token: &str,
        kind: &str,
        district: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Value {
        let staged = self.upload(token, kind, district, file_name, bytes).await;
        assert_eq!(
            staged.status(),
            StatusCode::CREATED,
            "{}: upload {file_name}",
            self.backend
        );
        let report: Value = staged.json().await.expect("report");
        let id = report["import_id"].as_i64().expect("import_id");
        let committed = self
            .post_json(token, &format!("/api/v1/imports/{id}/commit"), &json!({}))
            .await;
        assert_eq!(
            committed.status(),
            StatusCode::OK,
            "{}: commit {file_name}",
            self.backend
        );
        committed.json().await.expect("committed report")
    }

    /// The example approval roll of district 842, committed by `officer`.
    pub(crate) async fn import_approvals_842(&self, officer: &str) -> Value {
        self.import(
            officer,
            "approvals",
            "842",
            "approvals-842.csv",
            APPROVALS_842,
        )
        .await
    }

    /// The example payment roll of district 842, committed by `officer`.
    async fn import_payments_842(&self, officer: &str) -> Value {
        self.import(officer, "payments", "842", "payments-842.csv", PAYMENTS_842)
            .await
    }
}

/// Status and JSON body, with the body in the panic message when it is not JSON.
pub(crate) async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
    (status, body)
}

/// A refusal: the expected status and the clean `{error, message}` body.
pub(crate) async fn assert_error(
    response: Response,
    status: StatusCode,
    code: &str,
    context: &str,
) -> String {
    let (got, body) = json_of(response).await;
    assert_eq!(got, status, "{context}: {body}");
    assert_eq!(body["error"], code, "{context}: {body}");
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: no message in {body}"))
        .to_string();
    assert!(!message.is_empty(), "{context}");
    message
}

pub(crate) fn content_type(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn is_hash(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn imports_are_staged_then_committed_once_within_the_officers_district(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;
    let officer844 = api.login("huyen844").await;
    let auditor = api.login("kiemtoan").await;
    let head_before = api.head_seq().await;

    // Upload: validated, reported, nothing posted.
    let (status, report) = json_of(
        api.upload(
            &officer,
            "approvals",
            "842",
            "approvals-842.csv",
            APPROVALS_842,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{backend}: {report}");
    assert_eq!(report["status"], "validated", "{backend}: {report}");
    assert_eq!(report["kind"], "approvals");
    assert_eq!(report["district"], "842");
    assert_eq!(report["file_name"], "approvals-842.csv");
    assert_eq!(report["rows_accepted"], 6, "{backend}: {report}");
    assert_eq!(report["rows_rejected"], 0, "{backend}: {report}");
    assert_eq!(report["accepted_total_dong"], APPROVED_842_DONG);
    assert_eq!(report["blocking"], json!([]));
    assert_eq!(report["checkpoints"], json!([]));
    assert!(is_hash(&report["sha256"]), "{report}");
    let id = report["import_id"].as_i64().expect("import_id");
    assert_eq!(
        api.head_seq().await,
        head_before,
        "{backend}: validating posts nothing"
    );

    // The stored report, for the officer and the auditor; not for another district.
    let (status, shown) = json_of(api.get(&officer, &format!("/api/v1/imports/{id}")).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {shown}");
    assert_eq!(shown["import_id"], id);
    assert_eq!(shown["status"], "validated");
    assert_eq!(shown["rows_accepted"], 6);
    assert_eq!(shown["sha256"], report["sha256"]);
    assert_eq!(
        api.get(&auditor, &format!("/api/v1/imports/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    // Another district's import does not exist for its officer: a 403 would
    // confirm that it does.
    assert_error(
        api.get(&officer844, &format!("/api/v1/imports/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;

    // Nobody but the district's officer commits it.
    let path = format!("/api/v1/imports/{id}/commit");
    assert_error(
        api.post_json(&auditor, &path, &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_error(
        api.post_json(&officer844, &path, &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    assert_eq!(api.head_seq().await, head_before);

    // Commit: posted, with checkpoints.
    let (status, committed) = json_of(api.post_json(&officer, &path, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {committed}");
    assert_eq!(committed["status"], "committed", "{backend}: {committed}");
    assert_eq!(committed["rows_accepted"], 6);
    let checkpoints = committed["checkpoints"].as_array().expect("checkpoints");
    assert!(!checkpoints.is_empty(), "{backend}: {committed}");
    for checkpoint in checkpoints {
        assert!(
            checkpoint["seq"].as_i64().expect("seq") > head_before,
            "{checkpoint}"
        );
        assert!(is_hash(&checkpoint["hash"]), "{checkpoint}");
    }
    let last = checkpoints.last().expect("a checkpoint");
    assert_eq!(
        api.head_seq().await,
        last["seq"].as_i64().expect("seq"),
        "{backend}"
    );
    let (_, shown) = json_of(api.get(&officer, &format!("/api/v1/imports/{id}")).await).await;
    assert_eq!(shown["status"], "committed", "{backend}: {shown}");

    // Committing again is refused cleanly and posts nothing.
    let head = api.head_seq().await;
    let again = api.post_json(&officer, &path, &json!({})).await;
    assert!(
        again.status().is_client_error(),
        "{backend}: {}",
        again.status()
    );
    let (_, body) = json_of(again).await;
    assert!(body["error"].is_string(), "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("already committed"),
        "{body}"
    );
    assert_eq!(api.head_seq().await, head);

    // Another district, or a role that writes nothing: 403, nothing stored.
    let message = assert_error(
        api.upload(
            &officer,
            "approvals",
            "844",
            "approvals-844.csv",
            APPROVALS_844,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert!(message.contains("844"), "{message}");
    assert_error(
        api.upload(
            &auditor,
            "approvals",
            "842",
            "approvals-842.csv",
            APPROVALS_842,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;

    // A Windows-1258 file: refused, says UTF-8, nothing stored.
    let cp1258 =
        b"STT;H\xe4 v\xe0 t\xean;S\xf4\xcc\x81 CCCD\r\n1;Nguy\xd2\xaan V\xe3n A;084078918650\r\n";
    let (status, refused) = json_of(
        api.upload(&officer, "approvals", "842", "cp1258.csv", cp1258)
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{backend}: {refused}"
    );
    assert_eq!(refused["error"], "refused");
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("UTF-8"),
        "{refused}"
    );
    assert_eq!(refused["details"]["code"], "not_utf8", "{refused}");
    assert!(
        db.store
            .import_record(id + 1)
            .await
            .expect("import record")
            .is_none(),
        "{backend}: a refused file is not stored"
    );
    assert_eq!(api.head_seq().await, head);

    // The same file again is recognised: staged as refused, never posted twice.
    let (status, repeat) = json_of(
        api.upload(&officer, "approvals", "842", "copy.csv", APPROVALS_842)
            .await,
    )
    .await;
    // Checked and kept, but refused: 422, the whole report in `details`.
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{backend}: {repeat}"
    );
    assert_eq!(repeat["error"], "refused", "{backend}: {repeat}");
    let repeat = repeat["details"].clone();
    assert_eq!(repeat["status"], "refused", "{backend}: {repeat}");
    assert!(
        repeat["blocking"].to_string().contains("already imported"),
        "{repeat}"
    );
    let repeat_id = repeat["import_id"].as_i64().expect("import_id");
    let (status, blocked) = json_of(
        api.post_json(
            &officer,
            &format!("/api/v1/imports/{repeat_id}/commit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{backend}: {blocked}"
    );
    assert_eq!(blocked["details"]["status"], "refused", "{blocked}");
    assert_eq!(
        api.head_seq().await,
        head,
        "{backend}: nothing posted twice"
    );
}

async fn reconciliation_stays_within_the_district_and_exports_csv(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;
    let provincial = api.login("tinh").await;
    api.import_approvals_842(&officer).await;
    let payments = api.import_payments_842(&officer).await;
    assert_eq!(payments["rows_accepted"], 5, "{backend}: {payments}");
    assert_eq!(payments["accepted_total_dong"], PAID_842_DONG);
    assert_eq!(payments["status"], "committed");

    let (status, own) = json_of(
        api.get(&officer, "/api/v1/reconciliation?program=NQ68&district=842")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {own}");
    assert_eq!(own["program"], "NQ68");
    assert_eq!(own["district"], "842");
    assert_eq!(own["checkpoint"]["seq"], api.head_seq().await);
    let lines = own["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 6, "{backend}: {own}");
    let total = &own["total"];
    assert_eq!(total["beneficiaries"], 6);
    assert_eq!(total["approved_dong"], APPROVED_842_DONG);
    assert_eq!(total["paid_dong"], PAID_842_DONG);
    assert_eq!(total["outstanding_dong"], APPROVED_842_DONG - PAID_842_DONG);
    assert_eq!(
        total["by_status"],
        json!({ "paid": 5, "unpaid": 1 }),
        "{backend}"
    );
    assert_eq!(own["districts"]["842"], *total);
    // The district's own officer sees full national IDs.
    let unpaid = lines
        .iter()
        .find(|l| l["status"] == "unpaid")
        .expect("an unpaid line");
    assert_eq!(unpaid["national_id"], UNPAID_842, "{backend}: {unpaid}");
    assert_eq!(unpaid["outstanding_dong"], 1_000_000);
    let paid = lines
        .iter()
        .find(|l| l["national_id"] == PAID_842)
        .expect("a paid line");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["full_name"], "Thạch Sa Rây");

    // Nothing outside the officer's district.
    assert_error(
        api.get(&officer, "/api/v1/reconciliation?program=NQ68")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_error(
        api.get(&officer, "/api/v1/reconciliation?program=NQ68&district=844")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;

    // The province reads the sum of districts, with full IDs.
    let (status, province) = json_of(
        api.get(&provincial, "/api/v1/reconciliation?program=NQ68")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {province}");
    assert_eq!(province["district"], Value::Null);
    assert_eq!(
        province["total"], *total,
        "{backend}: one district, same totals"
    );
    assert!(
        province["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["national_id"] == UNPAID_842),
        "{province}"
    );

    // CSV: a header line, then one line per person.
    let response = api
        .get(
            &officer,
            "/api/v1/reconciliation?program=NQ68&district=842&format=csv",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        content_type(&response).starts_with("text/csv"),
        "{}",
        content_type(&response)
    );
    let csv = response.text().await.expect("csv");
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("program,district,national_id,full_name,category,approved,paid,outstanding,status,refused_lines"));
    assert_eq!(rows.count(), 6, "{csv}");
    assert!(csv.contains(&format!("NQ68,842,{UNPAID_842},")), "{csv}");
}

async fn reconciliation_pages_its_json_lines_and_keeps_whole_totals(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;
    api.import_approvals_842(&officer).await;
    let base = "/api/v1/reconciliation?program=NQ68&district=842";
    let (_, whole) = json_of(api.get(&officer, base).await).await;
    assert_eq!(whole["lines_total"], 6, "{backend}: {whole}");
    assert_eq!(whole["lines_offset"], 0);
    assert_eq!(whole["lines"].as_array().expect("lines").len(), 6);

    let (status, page) =
        json_of(api.get(&officer, &format!("{base}&offset=1&limit=2")).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {page}");
    assert_eq!(page["lines_total"], 6);
    assert_eq!(page["lines_offset"], 1);
    assert_eq!(
        page["lines"],
        json!(whole["lines"].as_array().expect("lines")[1..3])
    );
    assert_eq!(
        page["total"], whole["total"],
        "{backend}: totals cover every line"
    );

    let (_, past_end) = json_of(api.get(&officer, &format!("{base}&offset=9")).await).await;
    assert_eq!(past_end["lines"], json!([]), "{backend}: {past_end}");
    assert_eq!(past_end["lines_offset"], 6);

    for (query, says) in [
        ("&limit=0", "between 1 and 10000"),
        ("&limit=10001", "between 1 and 10000"),
        ("&format=xml", "must be json, csv or xlsx"),
    ] {
        let message = assert_error(
            api.get(&officer, &format!("{base}{query}")).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
            backend,
        )
        .await;
        assert!(message.contains(says), "{backend} {query}: {message}");
    }
    // CSV holds every line, or the page that offset and limit name.
    for (query, rows) in [("&format=csv", 6), ("&format=csv&offset=1&limit=2", 2)] {
        let response = api.get(&officer, &format!("{base}{query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{backend} {query}");
        let csv = response.text().await.expect("csv");
        assert_eq!(csv.lines().count(), 1 + rows, "{backend} {query}: {csv}");
    }
}

async fn reports_state_their_checkpoint_and_are_provincial(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;
    let provincial = api.login("tinh").await;
    let approvals = api.import_approvals_842(&officer).await;
    api.import_payments_842(&officer).await;
    let head = api.head_seq().await;

    let (status, summary) = json_of(
        api.get(&provincial, "/api/v1/reports/summary?as_of=2021-12-31")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {summary}");
    assert_eq!(summary["as_of"], "2021-12-31");
    assert_eq!(summary["total"]["beneficiaries"], 6, "{backend}: {summary}");
    assert_eq!(
        summary["total"]["approved_dong"], APPROVED_842_DONG,
        "{backend}: {summary}"
    );
    assert_eq!(summary["total"]["paid_dong"], PAID_842_DONG);
    assert_eq!(
        summary["total"]["outstanding_dong"],
        APPROVED_842_DONG - PAID_842_DONG
    );
    assert_eq!(summary["rows"][0]["key"], "NQ68");
    assert_eq!(summary["checkpoint"]["seq"], head, "{backend}: {summary}");
    assert!(is_hash(&summary["checkpoint"]["hash"]), "{summary}");
    let hash = summary["checkpoint"]["hash"]
        .as_str()
        .expect("hash")
        .to_string();

    // Before the decision date nothing was approved yet.
    let (_, early) = json_of(
        api.get(&provincial, "/api/v1/reports/summary?as_of=2021-08-01")
            .await,
    )
    .await;
    assert_eq!(early["total"]["approved_dong"], 0, "{backend}: {early}");

    // Pinned to the approvals' checkpoint: approved, nothing paid yet, that checkpoint.
    let pinned_at = approvals["checkpoints"]
        .as_array()
        .and_then(|c| c.last())
        .cloned()
        .expect("approval checkpoint");
    let path = format!(
        "/api/v1/reports/summary?as_of=2021-12-31&at_seq={}",
        pinned_at["seq"]
    );
    let (_, pinned) = json_of(api.get(&provincial, &path).await).await;
    assert_eq!(pinned["checkpoint"], pinned_at, "{backend}: {pinned}");
    assert_eq!(pinned["total"]["approved_dong"], APPROVED_842_DONG);
    assert_eq!(pinned["total"]["paid_dong"], 0, "{backend}: {pinned}");

    let (_, by_district) = json_of(
        api.get(
            &provincial,
            "/api/v1/reports/summary?as_of=2021-12-31&by=district",
        )
        .await,
    )
    .await;
    assert_eq!(by_district["rows"][0]["key"], "842", "{by_district}");

    // The footnote: Vietnamese, vi-VN figures, the checkpoint it was computed at.
    let response = api
        .get(
            &provincial,
            "/api/v1/reports/summary?as_of=2021-12-31&format=footnote",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        content_type(&response).starts_with("text/plain"),
        "{}",
        content_type(&response)
    );
    let footnote = response.text().await.expect("footnote");
    assert!(footnote.contains("Đến ngày 31/12/2021"), "{footnote}");
    assert!(footnote.contains("6 đối tượng"), "{footnote}");
    assert!(footnote.contains("(8.710.000 đồng)"), "{footnote}");
    assert!(footnote.contains(&format!("{head}:{hash}")), "{footnote}");

    let response = api
        .get(
            &provincial,
            "/api/v1/reports/summary?as_of=2021-12-31&format=csv",
        )
        .await;
    assert!(
        content_type(&response).starts_with("text/csv"),
        "{}",
        content_type(&response)
    );
    let csv = response.text().await.expect("csv");
    assert!(
        csv.starts_with("as_of,checkpoint,key,label,beneficiaries,approved,paid,outstanding"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("total,,6,{APPROVED_842_DONG},{PAID_842_DONG},")),
        "{csv}"
    );
    let text = api
        .get(
            &provincial,
            "/api/v1/reports/summary?as_of=2021-12-31&format=text",
        )
        .await
        .text()
        .await
        .expect("text");
    assert!(text.contains("Báo cáo đến ngày 31/12/2021"), "{text}");

    // Reports are provincial; bad parameters are the client's fault.
    assert_error(
        api.get(&officer, "/api/v1/reports/summary?as_of=2021-12-31")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    for bad in [
        "as_of=2021-13-45",
        "as_of=hôm-qua",
        "as_of=2021-12-31&by=commune",
    ] {
        let message = assert_error(
            api.get(&provincial, &format!("/api/v1/reports/summary?{bad}"))
                .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
            bad,
        )
        .await;
        assert!(!message.contains("panicked"), "{message}");
    }
    assert_eq!(
        api.get(&provincial, "/api/v1/reports/summary")
            .await
            .status(),
        StatusCode::BAD_REQUEST,
        "as_of is required"
    );
}

async fn reversal_over_http_is_provincial_once_and_keeps_the_chain_valid(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;
    let provincial = api.login("tinh").await;
    let auditor = api.login("kiemtoan").await;
    let approvals = api.import_approvals_842(&officer).await;
    api.import_payments_842(&officer).await;
    let checkpoints = approvals["checkpoints"].as_array().expect("checkpoints");
    assert_eq!(
        checkpoints.len(),
        1,
        "{backend}: one decision, one entry: {approvals}"
    );
    let approval = checkpoints[0].clone();
    let approval_seq = approval["seq"].as_i64().expect("seq");

    // The unpaid beneficiary, as the reconciliation shows it.
    let (_, before) = json_of(
        api.get(
            &provincial,
            "/api/v1/reconciliation?program=NQ68&district=842",
        )
        .await,
    )
    .await;
    let unpaid = before["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["status"] == "unpaid")
        .expect("unpaid line");
    let beneficiary = unpaid["national_id"].as_str().expect("id").to_string();
    assert_eq!(beneficiary, UNPAID_842);

    let path = format!("/api/v1/journal/{approval_seq}/reverse");
    let body = json!({ "reason": "trùng đối tượng, đã hưởng ở chính sách khác", "beneficiary": beneficiary });
    let head = api.head_seq().await;
    assert_error(
        api.post_json(&officer, &path, &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_error(
        api.post_json(&auditor, &path, &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    // A paid approval cannot be reversed before its payment.
    let paid = json!({ "reason": "sai đối tượng", "beneficiary": PAID_842 });
    let message = assert_error(
        api.post_json(&provincial, &path, &paid).await,
        StatusCode::CONFLICT,
        "conflict",
        backend,
    )
    .await;
    assert!(message.contains("reverse the payment first"), "{message}");
    let no_reason = api
        .post_json(
            &provincial,
            &path,
            &json!({ "reason": "  ", "beneficiary": beneficiary }),
        )
        .await;
    assert!(
        no_reason.status().is_client_error(),
        "{backend}: {}",
        no_reason.status()
    );
    assert_error(
        api.post_json(&provincial, "/api/v1/journal/99999/reverse", &body)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    assert_eq!(
        api.head_seq().await,
        head,
        "{backend}: refusals post nothing"
    );

    let (status, reversal) = json_of(api.post_json(&provincial, &path, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {reversal}");
    assert_eq!(reversal["seq"], head + 1, "{reversal}");
    assert!(is_hash(&reversal["hash"]), "{reversal}");
    let message = assert_error(
        api.post_json(&provincial, &path, &body).await,
        StatusCode::CONFLICT,
        "conflict",
        backend,
    )
    .await;
    assert!(message.contains("already reversed"), "{message}");
    assert_eq!(api.head_seq().await, head + 1);

    // The reversing entry names what it corrects; the person leaves the reconciliation.
    let (status, entry) = json_of(
        api.get(&auditor, &format!("/api/v1/journal/{}", head + 1))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {entry}");
    assert_eq!(entry["kind"], "reversal");
    assert_eq!(entry["corrects_seq"], approval_seq);
    assert_eq!(entry["actor"], "tinh");
    assert_eq!(entry["hash"], reversal["hash"]);
    let (_, after) = json_of(
        api.get(
            &provincial,
            "/api/v1/reconciliation?program=NQ68&district=842",
        )
        .await,
    )
    .await;
    assert_eq!(
        after["total"]["approved_dong"], PAID_842_DONG,
        "{backend}: {after}"
    );
    assert_eq!(after["total"]["by_status"], json!({ "paid": 5 }));

    // The auditor verifies: the chain holds and extends the approvals' checkpoint.
    // The ledger was never verified: the first, whole verification runs in
    // the background and the first request is told to ask again.
    let first = api.get(&auditor, "/api/v1/verify").await;
    assert_eq!(
        first.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"5"[..]),
        "{backend}"
    );
    assert_error(first, StatusCode::SERVICE_UNAVAILABLE, "pending", backend).await;
    let (status, verified) = verified_after_the_first_run(&api, &auditor).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {verified}");
    assert_eq!(verified["problem"], Value::Null, "{backend}: {verified}");
    // The whole ledger was verified in the background: the first request
    // after it gets that report; the next checks what follows (nothing).
    assert_eq!(verified["head"], reversal, "{verified}");
    assert_eq!(verified["entries"], head + 1);
    let (_, next) = json_of(api.get(&auditor, "/api/v1/verify").await).await;
    assert_eq!(next["checked_after_seq"], head + 1, "{next}");
    assert_eq!(next["entries"], 0, "{next}");
    let checkpoint = format!(
        "{approval_seq}:{}",
        approval["hash"].as_str().expect("hash")
    );
    let (_, extended) = json_of(
        api.get(&auditor, &format!("/api/v1/verify?checkpoint={checkpoint}"))
            .await,
    )
    .await;
    assert_eq!(extended["problem"], Value::Null, "{backend}: {extended}");
    let forged = format!("{approval_seq}:{}", "0".repeat(64));
    let (_, rewritten) = json_of(
        api.get(&auditor, &format!("/api/v1/verify?checkpoint={forged}"))
            .await,
    )
    .await;
    assert_eq!(
        rewritten["problem"]["at"]["entry"], approval_seq,
        "{backend}: {rewritten}"
    );
    assert_error(
        api.get(&auditor, "/api/v1/journal/424242").await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    assert_error(
        api.get(&auditor, "/api/v1/verify?checkpoint=nonsense")
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        backend,
    )
    .await;
    assert_error(
        api.get(&officer, "/api/v1/verify").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;

    // The audit trail has it, for auditors only.
    let (status, events) = json_of(
        api.get(&auditor, "/api/v1/audit?action=journal.&limit=50")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {events}");
    let events = events["items"].as_array().expect("events");
    assert!(
        events.iter().any(|e| e["action"] == "journal.reverse"
            && e["actor"] == "tinh"
            && e["outcome"] == "ok"),
        "{backend}: {events:?}"
    );
    assert_error(
        api.get(&provincial, "/api/v1/audit").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
}

async fn an_upload_is_one_file_and_an_unknown_program_is_not_found(db: TestDb) {
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let head_before = api.head_seq().await;
    let part = |name: &str| {
        reqwest::multipart::Part::bytes(APPROVALS_842.to_vec())
            .file_name(name.to_string())
            .mime_str("text/csv")
            .expect("mime")
    };
    let form = reqwest::multipart::Form::new()
        .text("kind", "approvals")
        .text("program", "NQ68")
        .text("district", "842")
        .part("file", part("a.csv"))
        .part("file", part("b.csv"));
    let two = api
        .client
        .post(api.url("/api/v1/imports"))
        .bearer_auth(&officer)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let message = assert_error(two, StatusCode::BAD_REQUEST, "bad_request", "two files").await;
    assert!(message.contains("one file"), "{message}");
    assert_eq!(api.head_seq().await, head_before);
    assert!(
        db.store.import_record(1).await.expect("read").is_none(),
        "nothing stored"
    );

    let unknown = api
        .get(&officer, "/api/v1/reconciliation?program=NQ99&district=842")
        .await;
    assert_error(
        unknown,
        StatusCode::NOT_FOUND,
        "not_found",
        "unknown program",
    )
    .await;
    let known = api
        .get(&officer, "/api/v1/reconciliation?program=NQ68&district=842")
        .await;
    assert_eq!(known.status(), StatusCode::OK);
}

/// `GET /api/v1/verify` until the background run of a ledger's first
/// verification has finished (a few seconds at most here).
pub(crate) async fn verified_after_the_first_run(api: &Api, user: &str) -> (StatusCode, Value) {
    for _ in 0..200 {
        let (status, body) = json_of(api.get(user, "/api/v1/verify").await).await;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the first verification did not finish in 10 s");
}
