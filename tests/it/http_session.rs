//! Starts the real app on port 0 and talks HTTP to it.

use crate::support;
use crate::support::harness::Suite;
use crate::support::TestDb;
use ansinh::auth::password;
use ansinh::domain::Role;
use serde_json::{json, Value};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: login_logout_and_authorization_over_http,
        sqlite: repeated_failures_are_rate_limited,
        sqlite: the_web_page_is_served_in_vietnamese_first,
    );
}

pub async fn add_user(db: &TestDb, username: &str, role: Role, district: Option<&str>) {
    let hash = password::hash("mật khẩu đủ dài").expect("hash");
    support::add_user(db, username, role, district, &hash).await;
}

async fn login_logout_and_authorization_over_http(db: TestDb) {
    add_user(&db, "officer842", Role::District, Some("842")).await;
    add_user(&db, "auditor", Role::Auditor, None).await;
    let base = support::start_app(&db).await;
    let client = reqwest::Client::new();

    let health: Value = client
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");

    let wrong = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": "officer842", "password": "wrong password" }))
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), 401, "{}", db.backend);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error"], "unauthorized");

    let unknown = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": "nobody", "password": "whatever it is" }))
        .send()
        .await
        .expect("login");
    assert_eq!(unknown.status(), 401);

    let ok = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": "officer842", "password": "mật khẩu đủ dài" }))
        .send()
        .await
        .expect("login");
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session: Value = ok.json().await.expect("json");
    let token = session["token"].as_str().expect("token").to_string();

    // A district officer may not read the journal: 403, with a clean message.
    let forbidden = client
        .get(format!("{base}/api/v1/journal/1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.expect("json");
    assert!(body["message"]
        .as_str()
        .expect("message")
        .contains("officer842"));

    // No session at all: 401.
    let anonymous = client
        .get(format!("{base}/api/v1/journal/1"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);

    // A cookie session must send the CSRF token on writes.
    let cookie_pair = cookie.split(';').next().expect("pair").to_string();
    // A page reloaded keeps its cookie but not the login's answer: whoami
    // gives the same CSRF token again.
    let me: Value = client
        .get(format!("{base}/api/v1/session"))
        .header("cookie", &cookie_pair)
        .send()
        .await
        .expect("whoami")
        .json()
        .await
        .expect("json");
    assert_eq!(me["csrf_token"], session["csrf_token"]);
    assert_eq!(me["username"], "officer842");
    let no_csrf = client
        .delete(format!("{base}/api/v1/session"))
        .header("cookie", &cookie_pair)
        .send()
        .await
        .expect("delete");
    assert_eq!(no_csrf.status(), 403);
    let logout = client
        .delete(format!("{base}/api/v1/session"))
        .header("cookie", &cookie_pair)
        .header(
            "x-csrf-token",
            session["csrf_token"].as_str().expect("csrf"),
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(logout.status(), 204);
    let after = client
        .get(format!("{base}/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(after.status(), 401, "a logged-out token is dead");

    let events = db.store.audit_events(100).await.expect("audit");
    let failed = events
        .iter()
        .filter(|e| e.action == "login" && e.outcome == "refused")
        .count();
    assert_eq!(failed, 2, "every failed login is an audit event");
}

async fn repeated_failures_are_rate_limited(db: TestDb) {
    add_user(&db, "auditor", Role::Auditor, None).await;
    let base = support::start_app(&db).await;
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": "auditor", "password": "not the password" }))
            .send()
            .await
            .expect("login");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let right = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": "auditor", "password": "mật khẩu đủ dài" }))
        .send()
        .await
        .expect("login");
    assert_eq!(right.status(), 429, "still locked out within the window");
}

async fn the_web_page_is_served_in_vietnamese_first(db: TestDb) {
    let base = support::start_app(&db).await;
    let page = reqwest::get(format!("{base}/")).await.expect("get");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    let html = page.text().await.expect("text");
    assert!(html.contains("lang=\"vi\""));
    assert!(html.contains("id=\"login-form\""));
    // The page's scripts and style, each served from the binary with its type.
    let mut scripts = String::new();
    for asset in html.split("\"/assets/").skip(1) {
        let name = asset.split('"').next().expect("name");
        let answer = reqwest::get(format!("{base}/assets/{name}"))
            .await
            .expect("asset");
        assert_eq!(answer.status(), 200, "{name}");
        let kind = answer.headers()["content-type"].to_str().expect("type");
        let wanted = if name.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(kind.starts_with(wanted), "{name}: {kind}");
        scripts.push_str(&answer.text().await.expect("text"));
    }
    for form in [
        "upload-form",
        "rec-form",
        "journal-form",
        "verify-form",
        "user-add",
    ] {
        assert!(scripts.contains(&format!("id=\"{form}\"")), "{form}");
    }
    // Every API path the scripts call exists in the OpenAPI document.
    let document = ansinh::http::openapi_document().to_string();
    let called: Vec<&str> = scripts
        .match_indices("/api/v1/")
        .map(|(at, _)| {
            let rest = &scripts[at..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '/' || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    assert!(called.len() > 20, "{called:?}");
    for path in called {
        assert!(document.contains(path), "{path} is not in the API");
    }
}
