//! Every role's work over HTTP: each duty once by a role that may do it and
//! once by one that may not, on the real app and every backend.

use crate::http_api::{
    add_user, assert_error, json_of, Api, APPROVALS_842, APPROVED_842_DONG, PASSWORD,
};
use crate::support::harness::Suite;
use crate::support::TestDb;
use ansinh::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: imports_are_listed_shown_and_downloaded_within_the_district,
        each_backend: the_journal_is_listed_and_an_entry_pages_its_postings,
        each_backend: a_district_officer_reads_their_own_districts_report,
        each_backend: programs_and_budgets_are_read_by_all_and_added_by_the_province,
        each_backend: administrators_manage_users_and_users_change_their_password,
        each_backend: auditors_export_the_journal_streamed,
        each_backend: the_audit_trail_is_paged_and_filtered,
        each_backend: text_with_a_nul_character_is_refused_alike_on_every_backend,
    );
}

/// The province's users, an administrator, and the 842 approvals committed.
async fn started(db: &TestDb) -> (Api, String) {
    add_user(db, "quantri", Role::Admin, None).await;
    let api = Api::with_province(db).await;
    let officer = api.login("huyen842").await;
    api.import_approvals_842(&officer).await;
    (api, officer)
}

async fn status_of(api: &Api, token: &str, path: &str) -> StatusCode {
    api.get(token, path).await.status()
}

async fn imports_are_listed_shown_and_downloaded_within_the_district(db: TestDb) {
    let backend = db.backend;
    let (api, officer) = started(&db).await;
    let auditor = api.login("kiemtoan").await;
    let other_officer = api.login("huyen844").await;
    let admin = api.login("quantri").await;

    for token in [&auditor, &officer] {
        let (status, listed) = json_of(api.get(token, "/api/v1/imports").await).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {listed}");
        assert_eq!(listed["total"], 1, "{backend}: {listed}");
        assert_eq!(listed["items"][0]["district"], "842");
        assert_eq!(listed["items"][0]["committed_by"], "huyen842");
        assert_eq!(
            (listed["offset"].clone(), listed["limit"].clone()),
            (json!(0), json!(100))
        );
    }
    // Another district's officer lists their own district: none.
    let (_, theirs) = json_of(api.get(&other_officer, "/api/v1/imports").await).await;
    assert_eq!(theirs["total"], 0, "{backend}: {theirs}");
    assert_error(
        api.get(&other_officer, "/api/v1/imports?district=842")
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_error(
        api.get(&admin, "/api/v1/imports").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    for (filter, total) in [
        (
            "program=NQ68&kind=approvals&status=committed&district=842",
            1,
        ),
        ("status=uncommitted", 0),
        ("kind=payments", 0),
        ("program=NQ99", 0),
        ("from=2999-01-01", 0),
        ("to=2000-01-01", 0),
    ] {
        let (status, listed) = json_of(
            api.get(&auditor, &format!("/api/v1/imports?{filter}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend} {filter}: {listed}");
        assert_eq!(listed["total"], total, "{backend} {filter}: {listed}");
    }
    for bad in [
        "limit=0",
        "limit=1001",
        "offset=-1",
        "from=yesterday",
        "kind=loans",
    ] {
        let status = status_of(&api, &auditor, &format!("/api/v1/imports?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend} {bad}");
    }

    // The original file, byte for byte, to those who read the district.
    let response = api.get(&auditor, "/api/v1/imports/1/file").await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .contains("approvals-842.csv"));
    assert_eq!(
        response.bytes().await.expect("bytes").as_ref(),
        APPROVALS_842
    );
    assert_eq!(
        status_of(&api, &officer, "/api/v1/imports/1/file").await,
        StatusCode::OK
    );
    for token in [&other_officer, &admin] {
        assert_error(
            api.get(token, "/api/v1/imports/1/file").await,
            StatusCode::NOT_FOUND,
            "not_found",
            backend,
        )
        .await;
    }
    assert_eq!(
        status_of(&api, &auditor, "/api/v1/imports/99/file").await,
        StatusCode::NOT_FOUND
    );
}

async fn the_journal_is_listed_and_an_entry_pages_its_postings(db: TestDb) {
    let backend = db.backend;
    let (api, officer) = started(&db).await;
    let provincial = api.login("tinh").await;
    let auditor = api.login("kiemtoan").await;

    let (status, approvals) =
        json_of(api.get(&provincial, "/api/v1/journal?kind=approval").await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {approvals}");
    assert_eq!(approvals["total"], 1, "{backend}: {approvals}");
    let approval = &approvals["items"][0];
    let seq = approval["seq"].as_i64().expect("seq");
    // Six people and the budget they are approved from.
    assert_eq!(approval["postings_count"], 7, "{backend}: {approval}");

    let (_, all) = json_of(api.get(&auditor, "/api/v1/journal").await).await;
    let total = all["total"].as_i64().expect("total");
    assert!(total >= 2, "{backend}: {all}");
    let (_, page) = json_of(api.get(&auditor, "/api/v1/journal?offset=1&limit=1").await).await;
    assert_eq!(page["items"], json!([all["items"][1]]), "{backend}");
    for (filter, has_approval) in [
        ("district=842", true),
        ("district=844", false),
        ("program=NQ68&district=842", true),
        ("program=NQ99", false),
        ("from=2021-08-16&to=2021-08-16", true),
        ("to=2021-08-15", false),
    ] {
        let (status, listed) = json_of(
            api.get(&auditor, &format!("/api/v1/journal?{filter}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend} {filter}: {listed}");
        let found = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["seq"] == seq);
        assert_eq!(found, has_approval, "{backend} {filter}: {listed}");
    }

    // Provincial officers look at what they may reverse, postings paged.
    let path = format!("/api/v1/journal/{seq}?offset=5&limit=5");
    let (status, entry) = json_of(api.get(&provincial, &path).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {entry}");
    assert_eq!(entry["kind"], "approval");
    assert_eq!(entry["postings_total"], 7);
    assert_eq!(entry["postings_offset"], 5);
    assert_eq!(entry["postings"].as_array().expect("postings").len(), 2);
    for token in [&officer] {
        for path in [
            "/api/v1/journal".to_string(),
            format!("/api/v1/journal/{seq}"),
        ] {
            assert_error(
                api.get(token, &path).await,
                StatusCode::FORBIDDEN,
                "forbidden",
                backend,
            )
            .await;
        }
    }
}

async fn a_district_officer_reads_their_own_districts_report(db: TestDb) {
    let backend = db.backend;
    let (api, officer) = started(&db).await;
    let provincial = api.login("tinh").await;
    let path = "/api/v1/reports/summary?as_of=2021-12-31&by=district&district=842";
    let (status, own) = json_of(api.get(&officer, path).await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {own}");
    assert_eq!(
        own["total"]["approved_dong"], APPROVED_842_DONG,
        "{backend}: {own}"
    );
    assert_eq!(own["rows"].as_array().expect("rows").len(), 1, "{own}");
    assert_eq!(own["funds"], json!({}), "{backend}: funds are provincial");
    let (_, provincial_view) = json_of(api.get(&provincial, path).await).await;
    assert_eq!(provincial_view, own, "{backend}");
    for refused in [
        "/api/v1/reports/summary?as_of=2021-12-31&district=844",
        "/api/v1/reports/summary?as_of=2021-12-31",
    ] {
        assert_error(
            api.get(&officer, refused).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            refused,
        )
        .await;
    }
}

async fn programs_and_budgets_are_read_by_all_and_added_by_the_province(db: TestDb) {
    let backend = db.backend;
    let (api, officer) = started(&db).await;
    let provincial = api.login("tinh").await;
    let auditor = api.login("kiemtoan").await;
    let admin = api.login("quantri").await;

    let (status, programs) = json_of(api.get(&officer, "/api/v1/programs").await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {programs}");
    assert_eq!(programs[0]["code"], "NQ68", "{programs}");
    let (_, shown) = json_of(api.get(&officer, "/api/v1/programs/NQ68").await).await;
    assert!(shown["definition"]
        .as_str()
        .expect("definition")
        .contains("code = \"NQ68\""));
    assert_eq!(shown["categories"].as_array().expect("categories").len(), 4);
    assert_error(
        api.get(&officer, "/api/v1/programs/NQ99").await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;

    let (status, budgets) =
        json_of(api.get(&provincial, "/api/v1/programs/NQ68/budgets").await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {budgets}");
    let rows = budgets.as_array().expect("budgets");
    assert_eq!(rows.len(), 9, "{budgets}");
    let row_842 = rows.iter().find(|b| b["district"] == "842").expect("842");
    assert_eq!(row_842["approved_dong"], APPROVED_842_DONG, "{row_842}");
    assert_eq!(
        row_842["left_dong"].as_i64(),
        row_842["allocated_dong"]
            .as_i64()
            .map(|a| a - APPROVED_842_DONG),
        "{row_842}"
    );
    let (_, own) = json_of(api.get(&officer, "/api/v1/programs/NQ68/budgets").await).await;
    assert_eq!(
        own,
        json!([row_842]),
        "{backend}: an officer reads their own row"
    );
    assert_error(
        api.get(&admin, "/api/v1/programs/NQ68/budgets").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;

    // Adding: provincial officers only, once per code.
    let definition = crate::support::province::EXAMPLE_PROGRAM.replace("\"NQ68\"", "\"NQ99\"");
    let add = |token: &str| {
        api.client
            .post(api.url("/api/v1/programs"))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body(definition.clone())
            .send()
    };
    let refused = add(&auditor).await.expect("add");
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", backend).await;
    let (status, added) = json_of(add(&provincial).await.expect("add")).await;
    assert_eq!(status, StatusCode::CREATED, "{backend}: {added}");
    assert_eq!(added["code"], "NQ99");
    assert_error(
        add(&provincial).await.expect("add"),
        StatusCode::CONFLICT,
        "conflict",
        backend,
    )
    .await;
    let (_, programs) = json_of(api.get(&officer, "/api/v1/programs").await).await;
    assert_eq!(programs.as_array().expect("programs").len(), 2, "{backend}");
}

async fn put_json(api: &Api, token: &str, path: &str, body: &Value) -> reqwest::Response {
    api.client
        .put(api.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("PUT")
}

async fn login_status(api: &Api, username: &str, password: &str) -> StatusCode {
    api.client
        .post(api.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("login")
        .status()
}

async fn administrators_manage_users_and_users_change_their_password(db: TestDb) {
    let backend = db.backend;
    add_user(&db, "quantri", Role::Admin, None).await;
    let api = Api::with_province(&db).await;
    let admin = api.login("quantri").await;
    let provincial = api.login("tinh").await;

    let (status, users) = json_of(api.get(&admin, "/api/v1/users").await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {users}");
    assert_eq!(users["total"], 5, "{backend}: {users}");
    assert_eq!(users["items"][0]["disabled"], false);
    assert_error(
        api.get(&provincial, "/api/v1/users").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;

    let new_user = json!({ "username": "huyen845", "role": "district", "district": "845", "password": PASSWORD });
    assert_error(
        api.post_json(&provincial, "/api/v1/users", &new_user).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    let (status, added) = json_of(api.post_json(&admin, "/api/v1/users", &new_user).await).await;
    assert_eq!(status, StatusCode::CREATED, "{backend}: {added}");
    assert_eq!(added["district"], "845");
    assert_error(
        api.post_json(&admin, "/api/v1/users", &new_user).await,
        StatusCode::CONFLICT,
        "conflict",
        backend,
    )
    .await;
    let unknown_district =
        json!({ "username": "x", "role": "district", "district": "999", "password": PASSWORD });
    assert_error(
        api.post_json(&admin, "/api/v1/users", &unknown_district)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        backend,
    )
    .await;

    // Disabled: the sessions end and no login works; a reset enables again.
    let officer = api.login("huyen845").await;
    let reason = json!({ "reason": "chuyển công tác / moved" });
    assert_error(
        api.post_json(&provincial, "/api/v1/users/huyen845/disable", &reason)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    let (status, disabled) = json_of(
        api.post_json(&admin, "/api/v1/users/HUYEN845/disable", &reason)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend}: {disabled}");
    assert_eq!(
        status_of(&api, &officer, "/api/v1/session").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&api, "huyen845", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, users) = json_of(api.get(&admin, "/api/v1/users").await).await;
    assert_eq!(users["items"][5]["disabled"], true, "{backend}: {users}");
    assert_error(
        api.post_json(&admin, "/api/v1/users/quantri/disable", &reason)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        "not oneself",
    )
    .await;
    assert_error(
        api.post_json(&admin, "/api/v1/users/nobody/disable", &reason)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    let reset = json!({ "new_password": "mật khẩu mới đủ dài" });
    assert_error(
        put_json(&api, &provincial, "/api/v1/users/huyen845/password", &reset).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    let response = put_json(&api, &admin, "/api/v1/users/huyen845/password", &reset).await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    assert_eq!(
        login_status(&api, "huyen845", "mật khẩu mới đủ dài").await,
        StatusCode::OK
    );

    // One's own password: the current one proves it; every session ends.
    let wrong = json!({ "current_password": "not it at all", "new_password": "another long one" });
    assert_error(
        put_json(&api, &provincial, "/api/v1/session/password", &wrong).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    let change = json!({ "current_password": PASSWORD, "new_password": "another long one" });
    let response = put_json(&api, &provincial, "/api/v1/session/password", &change).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{backend}");
    assert_eq!(
        status_of(&api, &provincial, "/api/v1/session").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&api, "tinh", "another long one").await,
        StatusCode::OK
    );

    let (_, events) = json_of(api.get(&admin, "/api/v1/audit?action=user.&limit=10").await).await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "user.add",
        "user.disable",
        "user.reset_password",
        "user.change_password",
    ] {
        assert!(
            actions.contains(&action),
            "{backend}: {action} in {actions:?}"
        );
    }
}

async fn auditors_export_the_journal_streamed(db: TestDb) {
    let backend = db.backend;
    let (api, _) = started(&db).await;
    let auditor = api.login("kiemtoan").await;
    let provincial = api.login("tinh").await;
    let response = api.get(&auditor, "/api/v1/exports/csv").await;
    assert_eq!(response.status(), StatusCode::OK, "{backend}");
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/csv"));
    let csv = response.text().await.expect("csv");
    assert!(csv.lines().count() > 7, "{backend}: {csv}");
    for format in ["ledger", "beancount"] {
        let response = api
            .get(&auditor, &format!("/api/v1/exports/{format}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{backend} {format}");
        let text = response.text().await.expect("text");
        assert!(text.contains("NQ68"), "{backend} {format}: {text}");
    }
    let (_, early) = (
        (),
        api.get(&auditor, "/api/v1/exports/csv?as_of=2021-07-01")
            .await
            .text()
            .await
            .expect("csv"),
    );
    assert!(
        early.lines().count() < csv.lines().count(),
        "{backend}: {early}"
    );
    assert_error(
        api.get(&provincial, "/api/v1/exports/csv").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_eq!(
        status_of(&api, &auditor, "/api/v1/exports/xlsx").await,
        StatusCode::BAD_REQUEST
    );
}

async fn the_audit_trail_is_paged_and_filtered(db: TestDb) {
    let backend = db.backend;
    let (api, _) = started(&db).await;
    let auditor = api.login("kiemtoan").await;
    let admin = api.login("quantri").await;
    let provincial = api.login("tinh").await;

    let (status, first) = json_of(api.get(&auditor, "/api/v1/audit?limit=2").await).await;
    assert_eq!(status, StatusCode::OK, "{backend}: {first}");
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    assert!(first["total"].as_i64().expect("total") >= 4, "{first}");
    let (_, second) = json_of(api.get(&auditor, "/api/v1/audit?offset=1&limit=1").await).await;
    assert_eq!(second["items"], json!([first["items"][1]]), "{backend}");
    let (_, imports) = json_of(
        api.get(&admin, "/api/v1/audit?actor=huyen842&action=import.")
            .await,
    )
    .await;
    let items = imports["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{backend}: {imports}");
    assert!(items.iter().all(|e| e["actor"] == "huyen842"
        && e["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("import."))));
    let (_, none) = json_of(api.get(&auditor, "/api/v1/audit?to=2000-01-01").await).await;
    assert_eq!(none["total"], 0, "{backend}: {none}");
    assert_error(
        api.get(&provincial, "/api/v1/audit").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        backend,
    )
    .await;
    assert_eq!(
        status_of(&api, &auditor, "/api/v1/audit?from=hôm-qua").await,
        StatusCode::BAD_REQUEST
    );
}

/// PostgreSQL cannot store a NUL in text: refused at the boundary, on
/// every backend alike, instead of failing inside one of them.
async fn text_with_a_nul_character_is_refused_alike_on_every_backend(db: TestDb) {
    let backend = db.backend;
    let (api, officer) = started(&db).await;
    let auditor = api.login("kiemtoan").await;
    for path in [
        "/api/v1/journal?program=NQ%0068",
        "/api/v1/audit?actor=a%00b",
        "/api/v1/imports?district=8%0042",
    ] {
        assert_error(
            api.get(&auditor, path).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
            path,
        )
        .await;
    }
    let login = api
        .client
        .post(api.url("/api/v1/session"))
        .json(&json!({ "username": "kiem\u{0}toan", "password": PASSWORD }))
        .send()
        .await
        .expect("login");
    assert_error(login, StatusCode::BAD_REQUEST, "bad_request", backend).await;
    let reverse = api
        .post_json(
            &auditor,
            "/api/v1/journal/2/reverse",
            &json!({ "reason": "a\u{0}b" }),
        )
        .await;
    assert_error(reverse, StatusCode::BAD_REQUEST, "bad_request", backend).await;
    let file = reqwest::multipart::Part::bytes(APPROVALS_842.to_vec()).file_name("a.csv");
    let form = reqwest::multipart::Form::new()
        .text("kind", "approvals")
        .text("program", "NQ\u{0}68")
        .text("district", "842")
        .part("file", file);
    let upload = api
        .client
        .post(api.url("/api/v1/imports"))
        .bearer_auth(&officer)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_error(upload, StatusCode::BAD_REQUEST, "bad_request", backend).await;
    // Nothing was stored meanwhile: the audit trail holds no refused text.
    let (_, events) = json_of(api.get(&auditor, "/api/v1/audit?limit=1000").await).await;
    assert!(!events.to_string().contains("\\u0000"), "{backend}");
}
