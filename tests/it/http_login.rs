//! Logins under load and abuse, and the headers of every answer, against the
//! real app on port 0.

use crate::support::harness::Suite;
use crate::support::{self, TestDb};
use ansinh::auth::password;
use ansinh::domain::Role;
use serde_json::{json, Value};

pub fn register(suite: &mut Suite) {
    register!(suite;
        sqlite: fifty_parallel_wrong_passwords_are_refused_after_the_fifth_hash,
        sqlite: an_overlong_username_is_refused_without_being_kept,
        sqlite: sessions_take_a_bearer_in_any_case_and_a_secure_cookie,
        sqlite: every_answer_carries_the_security_headers,
        each_backend: a_username_is_one_user_whatever_its_case,
    );
}

const PASSWORD: &str = "mật khẩu đủ dài";

/// Officer 842 with [`PASSWORD`], then the app; returns its base URL.
async fn started(db: &TestDb) -> String {
    let hash = password::hash(PASSWORD).expect("hash");
    support::add_user(db, "officer842", Role::District, Some("842"), &hash).await;
    support::start_app(db).await
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("login")
}

async fn fifty_parallel_wrong_passwords_are_refused_after_the_fifth_hash(db: TestDb) {
    let base = started(&db).await;
    let client = reqwest::Client::new();
    let attempts = (0..50).map(|n| {
        let (client, base) = (client.clone(), base.clone());
        // The same user, written in varying case.
        let username = if n % 2 == 0 {
            "officer842"
        } else {
            "OFFICER842"
        };
        async move {
            login(&client, &base, username, "a wrong password")
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, limited), (5, 45), "{statuses:?}");
    // The count holds for the right password too, until the window passes.
    assert_eq!(
        login(&client, &base, "officer842", PASSWORD).await.status(),
        429
    );
}

async fn an_overlong_username_is_refused_without_being_kept(db: TestDb) {
    let base = started(&db).await;
    let client = reqwest::Client::new();
    let huge = "x".repeat(1024 * 1024);
    let answer = login(&client, &base, &huge, "whatever it is").await;
    assert_eq!(answer.status(), 401);
    let ok = login(&client, &base, "officer842", PASSWORD).await;
    assert_eq!(ok.status(), 200);
}

async fn sessions_take_a_bearer_in_any_case_and_a_secure_cookie(db: TestDb) {
    let base = started(&db).await;
    let client = reqwest::Client::new();
    let ok = login(&client, &base, "officer842", PASSWORD).await;
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("; Secure;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session: Value = ok.json().await.expect("json");
    let token = session["token"].as_str().expect("token");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let me = client
            .get(format!("{base}/api/v1/session"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .expect("whoami");
        assert_eq!(me.status(), 200, "{scheme}");
    }
}

async fn every_answer_carries_the_security_headers(db: TestDb) {
    let base = started(&db).await;
    let client = reqwest::Client::new();
    for path in [
        "/",
        "/api/v1/health",
        "/api/v1/session",
        "/api/v1/no-such-route",
    ] {
        let answer = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
        let headers = answer.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let policy = headers["content-security-policy"].to_str().expect("csp");
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

async fn a_username_is_one_user_whatever_its_case(db: TestDb) {
    use ansinh::domain::NewUser;
    use ansinh::store::{now_us, AuditEvent, StoreError};
    let base = started(&db).await;
    let audit = AuditEvent {
        at_us: now_us(),
        actor: "test".into(),
        action: "user.add".into(),
        outcome: "ok".into(),
        detail: String::new(),
    };
    let twin = NewUser {
        username: "Officer842".into(),
        role: Role::Auditor,
        district: None,
        password_hash: password::hash("another long password").expect("hash"),
    };
    let refused = db.store.add_user(twin, audit).await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("already exists")),
        "{}: {refused:?}",
        db.backend
    );
    // The officer logs in however they type their name.
    let client = reqwest::Client::new();
    let ok = login(&client, &base, "OFFICER842", PASSWORD).await;
    assert_eq!(ok.status(), 200, "{}", db.backend);
    let session: Value = ok.json().await.expect("json");
    assert_eq!(session["user"]["username"], "officer842");
}
