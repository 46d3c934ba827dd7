//! The API's contract as a client relies on it: the OpenAPI document
//! names every route the app serves and nothing else, every refusal is the
//! documented error JSON, and errors leak no internals. The real app on
//! port 0, on every backend (SQLite always, PostgreSQL when
//! ANSINH_TEST_POSTGRES_URL is set).

use crate::http_api::{assert_error, content_type, json_of, Api, APPROVALS_842};
use crate::support::harness::Suite;
use crate::support::TestDb;
use ansinh::import::parse::RollKind;
use ansinh::import::pipeline::{self, RollUpload};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: openapi_document_matches_the_routes,
        each_backend: errors_are_clean_json_and_leak_no_internals,
        sqlite: every_api_refusal_is_the_documented_error_json,
    );
}

async fn openapi_document_matches_the_routes(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let auditor = api.login("kiemtoan").await;
    // Import 1 and entry 1 exist, so `{id}` and `{seq}` = 1 name real things
    // (staged through the pipeline: one login fewer, argon2 is slow in debug).
    let (officer, _) = db
        .store
        .find_user("huyen842")
        .await
        .expect("find user")
        .expect("officer");
    let upload = RollUpload {
        kind: RollKind::Approvals,
        program: "NQ68".into(),
        district: "842".into(),
        file_name: "approvals-842.csv".into(),
        bytes: APPROVALS_842.to_vec(),
        sheet: None,
        expect_rows: None,
        expect_total: None,
    };
    let staged = pipeline::stage(db.store.as_ref(), &officer, &upload)
        .await
        .expect("stage");
    assert_eq!(staged.report.import_id, Some(1), "{backend}");
    assert!(
        db.store.entry(1).await.expect("entry").is_some(),
        "{backend}"
    );

    let response = api
        .client
        .get(api.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("openapi");
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.expect("openapi json");
    assert!(
        document["openapi"]
            .as_str()
            .expect("openapi version")
            .starts_with("3."),
        "{document}"
    );
    assert!(document["info"]["title"].is_string());
    let paths = document["paths"].as_object().expect("paths");
    assert_eq!(
        document,
        ansinh::http::openapi_document(),
        "served as generated"
    );

    // Served but undocumented: every API route is registered with
    // `routes!` from its `#[utoipa::path]`; a route added any other way
    // names its path in a `.route(` call, which only the document's own
    // routes may do.
    for (file, source) in http_sources() {
        for (index, _) in source.match_indices(".route(") {
            let call = &source[index..(index + 80).min(source.len())];
            assert!(
                DOCUMENTATION_ROUTES.iter().any(|path| call.contains(path)),
                "{file}: a route outside the document: {call}"
            );
        }
    }

    // Documented but not served, and what each operation documents.
    let mut operations: Vec<(String, String, bool)> = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let context = format!("{method} {path}");
            let responses = operation["responses"].as_object().expect(&context);
            for (status, response) in responses {
                let content = response["content"].as_object();
                assert!(
                    status == "204" || content.is_some_and(|c| !c.is_empty()),
                    "{context}: answer {status} has no content"
                );
                for (media, body) in content.into_iter().flatten() {
                    assert!(body["schema"].is_object(), "{context} {status} {media}");
                }
                if !status.starts_with('2') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{context}: {status}"
                    );
                }
            }
            assert!(responses.contains_key("500"), "{context}");
            if let Some(body) = operation.get("requestBody") {
                let content = body["content"].as_object().expect(&context);
                assert!(
                    content.values().all(|c| c["schema"].is_object()),
                    "{context}"
                );
            }
            assert!(
                operation.get("parameters").is_none_or(|p| p.is_array()),
                "{context}"
            );
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path"),
                    "{context}: path parameter {name} undeclared"
                );
            }
            for parameter in &parameters {
                assert!(parameter["schema"].is_object(), "{context}: {parameter}");
                if parameter["name"] == "limit" {
                    assert!(parameter["schema"]["maximum"].is_number(), "{context}");
                }
            }
            let public = operation.get("security").is_some_and(|s| s == &json!([{}]));
            if !public {
                assert!(responses.contains_key("401"), "{context}");
            }
            operations.push((path.clone(), method.clone(), public));
        }
    }
    assert!(operations.len() >= 26, "{operations:?}");
    // Logging out ends the auditor's session: do it last.
    operations.sort_by_key(|(_, method, _)| method == "delete");
    for (path, method, public) in &operations {
        let url = api.url(
            &path
                .replace("{id}", "1")
                .replace("{seq}", "1")
                .replace("{code}", "NQ68")
                .replace("{format}", "csv")
                .replace("{username}", "kiemtoan"),
        );
        let request = |authorized: bool| {
            let builder = match method.as_str() {
                "get" => api.client.get(&url),
                "post" => api.client.post(&url).json(&json!({})),
                "put" => api.client.put(&url).json(&json!({})),
                "delete" => api.client.delete(&url),
                other => panic!("undocumented method {other}"),
            };
            if authorized {
                builder.bearer_auth(&auditor)
            } else {
                builder
            }
        };
        let anonymous = request(false).send().await.expect("request").status();
        if !public {
            assert_eq!(
                anonymous,
                StatusCode::UNAUTHORIZED,
                "{backend}: {method} {path} without a session"
            );
        }
        let status = request(true).send().await.expect("request").status();
        assert_ne!(status, StatusCode::NOT_FOUND, "{backend}: {method} {path}");
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{backend}: {method} {path}"
        );
        // A never-verified ledger's verify answers 503 while its first,
        // whole verification runs in the background (documented).
        let pending = path == "/api/v1/verify" && status == StatusCode::SERVICE_UNAVAILABLE;
        assert!(
            !status.is_server_error() || pending,
            "{backend}: {method} {path} → {status}"
        );
    }
    // The browsable view and its script are served from the binary.
    for path in ["/api/docs", "/api/docs/docs.js"] {
        let response = api.client.get(api.url(path)).send().await.expect(path);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let text = response.text().await.expect(path);
        assert!(
            !text.contains("https://"),
            "{path} fetches nothing from elsewhere"
        );
    }
}

/// The routes outside the document: the document itself and its view.
const DOCUMENTATION_ROUTES: &[&str] = &[
    "\"/api/v1/openapi.json\"",
    "\"/api/docs\"",
    "\"/api/docs/docs.js\"",
];

/// The HTTP layer's source files, by name.
fn http_sources() -> Vec<(String, String)> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut sources: Vec<(String, String)> = std::fs::read_dir(folder)
        .expect("src/http")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source");
            (path.display().to_string(), text)
        })
        .collect();
    sources.sort();
    assert!(sources.len() >= 8, "{sources:?}");
    sources
}

async fn errors_are_clean_json_and_leak_no_internals(db: TestDb) {
    let api = Api::with_province(&db).await;
    let backend = db.backend;
    let officer = api.login("huyen842").await;

    let malformed = api
        .client
        .post(api.url("/api/v1/session"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(r#"{"username": "huyen842", "password": "#)
        .send()
        .await
        .expect("login");
    assert!(
        malformed.status().is_client_error(),
        "{backend}: {}",
        malformed.status()
    );
    let text = malformed.text().await.expect("body");
    for internal in ["panicked", "sqlx", "src/", ".rs:", "SELECT", "stack"] {
        assert!(!text.contains(internal), "{backend}: {text}");
    }
    let wrong_shape = api
        .client
        .post(api.url("/api/v1/session"))
        .json(&json!({ "username": 5 }))
        .send()
        .await
        .expect("login");
    assert!(
        wrong_shape.status().is_client_error(),
        "{backend}: {}",
        wrong_shape.status()
    );

    assert_error(
        api.get(&officer, "/api/v1/imports/424242").await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    assert_error(
        api.post_json(&officer, "/api/v1/imports/424242/commit", &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        backend,
    )
    .await;
    assert!(api
        .get(&officer, "/api/v1/imports/abc")
        .await
        .status()
        .is_client_error());

    // An upload missing its fields says which one.
    let form = reqwest::multipart::Form::new().text("kind", "approvals");
    let response = api
        .client
        .post(api.url("/api/v1/imports"))
        .bearer_auth(&officer)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let message = assert_error(response, StatusCode::BAD_REQUEST, "bad_request", backend).await;
    assert!(message.contains("file"), "{message}");
    let message = assert_error(
        api.upload(&officer, "refunds", "842", "x.csv", APPROVALS_842)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        backend,
    )
    .await;
    assert!(message.contains("approvals or payments"), "{message}");
    let message = assert_error(
        api.upload(&officer, "approvals", "xyz", "x.csv", APPROVALS_842)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        backend,
    )
    .await;
    assert!(message.contains("district code"), "{message}");

    // Past the upload limit: refused as too large, read no further, nothing stored.
    let head = api.head_seq().await;
    let mut huge = APPROVALS_842.to_vec();
    huge.resize(ansinh::http::BODY_BYTES_MAX + 1, b' ');
    let (status, refused) = json_of(
        api.upload(&officer, "approvals", "842", "huge.csv", &huge)
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{backend}: {refused}"
    );
    assert_eq!(refused["error"], "refused");
    assert_eq!(refused["details"]["code"], "too_large", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("64 MiB"),
        "{refused}"
    );
    assert!(
        db.store
            .import_record(1)
            .await
            .expect("import record")
            .is_none(),
        "{backend}: nothing stored"
    );
    assert_eq!(api.head_seq().await, head);
}

async fn every_api_refusal_is_the_documented_error_json(db: TestDb) {
    let api = Api::with_province(&db).await;
    let officer = api.login("huyen842").await;
    let session = api.url("/api/v1/session");
    let cases = [
        (
            "malformed JSON",
            api.client
                .post(&session)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body("{\"username\": ")
                .send()
                .await,
        ),
        (
            "wrong JSON shape",
            api.client
                .post(&session)
                .json(&json!({ "username": 5 }))
                .send()
                .await,
        ),
        (
            "no content type",
            api.client.post(&session).body("{}").send().await,
        ),
        (
            "non-numeric id",
            api.client
                .get(api.url("/api/v1/imports/abc"))
                .bearer_auth(&officer)
                .send()
                .await,
        ),
        (
            "missing query field",
            api.client
                .get(api.url("/api/v1/reconciliation"))
                .bearer_auth(&officer)
                .send()
                .await,
        ),
        (
            "not multipart",
            api.client
                .post(api.url("/api/v1/imports"))
                .bearer_auth(&officer)
                .json(&json!({}))
                .send()
                .await,
        ),
        (
            "unknown route",
            api.client
                .get(api.url("/api/v1/no-such-thing"))
                .bearer_auth(&officer)
                .send()
                .await,
        ),
    ];
    for (case, response) in cases {
        let response = response.expect("request");
        assert!(
            response.status().is_client_error(),
            "{case}: {}",
            response.status()
        );
        assert!(
            content_type(&response).starts_with("application/json"),
            "{case}: {}",
            content_type(&response)
        );
        let (_, body) = json_of(response).await;
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{case}: {body}"
        );
    }
}
