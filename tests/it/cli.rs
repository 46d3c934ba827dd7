//! The binary as a user runs it: exit codes, bootstrap, serve, tampering.

use crate::support::harness::Suite;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub fn register(suite: &mut Suite) {
    register!(suite;
        test: users_are_added_as_a_new_user_would_try,
        test: serve_answers_login_and_stops_cleanly_on_sigterm,
        test: verify_names_the_entry_whose_posting_was_changed_behind_the_triggers,
        test: bench_mixed_commits_rolls_under_load_and_finds_nothing_lost,
        test: a_province_ledger_is_built_beside_the_database_and_summed_nationally,
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_ansinh");

fn ansinh(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args(args)
        .env_remove("ANSINH_DATABASE_URL")
        .env_remove("ANSINH_USER")
        .env_remove("ANSINH_PASSWORD");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run ansinh")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const ADMIN: [(&str, &str); 2] = [
    ("ANSINH_USER", "admin"),
    ("ANSINH_PASSWORD", "admin password"),
];

fn bootstrap(dir: &Path) {
    let out = ansinh(
        dir,
        &["user", "add", "--username", "admin", "--role", "admin"],
        &[("ANSINH_PASSWORD", "admin password")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = ansinh(
        dir,
        &["user", "add", "--username", "tinh", "--role", "provincial"],
        &[
            ADMIN[0],
            ADMIN[1],
            ("ANSINH_NEW_PASSWORD", "provincial password"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = ansinh(
        dir,
        &[
            "user",
            "add",
            "--username",
            "huyen842",
            "--role",
            "district",
            "--district",
            "842",
        ],
        &[
            ADMIN[0],
            ADMIN[1],
            ("ANSINH_NEW_PASSWORD", "district password"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
}

fn users_are_added_as_a_new_user_would_try() {
    let dir = tempfile::tempdir().expect("dir");
    // The first user must be an admin.
    let out = ansinh(
        dir.path(),
        &["user", "add", "--username", "x", "--role", "auditor"],
        &[("ANSINH_PASSWORD", "long enough password")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    bootstrap(dir.path());
    assert!(
        dir.path().join("ansinh.db").exists(),
        "the default database is ansinh.db in the working directory"
    );
    // Only an admin adds users after that; a wrong password is refused with exit 1.
    let out = ansinh(
        dir.path(),
        &["user", "add", "--username", "y", "--role", "auditor"],
        &[
            ("ANSINH_USER", "admin"),
            ("ANSINH_PASSWORD", "wrong"),
            ("ANSINH_NEW_PASSWORD", "long enough password"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("wrong username or password"),
        "{}",
        text(&out)
    );
    let out = ansinh(
        dir.path(),
        &["user", "add", "--username", "y", "--role", "auditor"],
        &[
            ("ANSINH_USER", "tinh"),
            ("ANSINH_PASSWORD", "provincial password"),
            ("ANSINH_NEW_PASSWORD", "long enough password"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("may not manage users"),
        "{}",
        text(&out)
    );
    let out = ansinh(
        dir.path(),
        &["user", "add", "--username", "z", "--role", "district"],
        &[ADMIN[0], ADMIN[1]],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --district is a usage error: {}",
        text(&out)
    );
    let out = ansinh(dir.path(), &["no-such-command"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

/// systemd stops a service with SIGTERM: the server stops accepting, lets
/// what is in flight finish and exits 0.
fn serve_answers_login_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    bootstrap(dir.path());
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("ANSINH_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    let base = line.trim().rsplit(' ').next().expect("address").to_string();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({ "username": "huyen842", "password": "district password" }))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(status.expect("request"), 200, "{line}");
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(terminated.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("serve did not stop on SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}

fn verify_names_the_entry_whose_posting_was_changed_behind_the_triggers() {
    let dir = tempfile::tempdir().expect("dir");
    bootstrap(dir.path());
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/imports/programs/nq68-example.toml"
    );
    let provincial = [
        ("ANSINH_USER", "tinh"),
        ("ANSINH_PASSWORD", "provincial password"),
    ];
    let out = ansinh(
        dir.path(),
        &["program", "add", "--file", program],
        &provincial,
    );
    assert!(out.status.success(), "{}", text(&out));
    let roll = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/imports/samples/approvals-842.csv"
    );
    let officer = [
        ("ANSINH_USER", "huyen842"),
        ("ANSINH_PASSWORD", "district password"),
    ];
    let out = ansinh(
        dir.path(),
        &[
            "import",
            "approvals",
            "--program",
            "NQ68",
            "--district",
            "842",
            roll,
        ],
        &officer,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = ansinh(dir.path(), &["verify"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let head = stdout
        .split("; head ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("head")
        .trim()
        .to_string();

    let db = dir.path().join("ansinh.db");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.expect("open");
        let refused = sqlx::query("UPDATE postings SET amount = amount + 1000000 WHERE entry_seq = 2 AND idx = 0").execute(&mut conn).await;
        assert!(refused.expect_err("trigger").to_string().contains("append-only"));
        sqlx::raw_sql("DROP TRIGGER postings_no_update; UPDATE postings SET amount = amount + 1000000 WHERE entry_seq = 2 AND idx = 0")
            .execute(&mut conn)
            .await
            .expect("tamper");
    });
    let out = ansinh(dir.path(), &["verify", "--full"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("entry 2"), "{}", text(&out));
    let out = ansinh(dir.path(), &["verify", "--checkpoint", &head], &[]);
    assert_eq!(out.status.code(), Some(1));
}

/// `bench mixed` as a user runs it, briefly: readers and a committing
/// district on the small demo; it fails itself if anything was lost, if the
/// report or reconciliation did not grow by the rolls, or if `verify --full`
/// does not pass.
fn bench_mixed_commits_rolls_under_load_and_finds_nothing_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ansinh(dir.path(), &["demo", "--scale", "small", "--no-serve"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ansinh(
        dir.path(),
        &[
            "bench",
            "mixed",
            "--seconds",
            "4",
            "--clients",
            "4",
            "--import-every",
            "1",
            // The small demo's districts have about 10 % of their budget left.
            "--roll-people",
            "5",
        ],
        &[
            ("ANSINH_USER", "tinh"),
            ("ANSINH_PASSWORD", "demo-tinh-2021"),
            ("RUST_LOG", "error"),
        ],
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("5 rows committed"), "{printed}");
    assert!(printed.contains("0 refused"), "{printed}");
    assert!(printed.contains("nothing lost"), "{printed}");
    for line in printed.lines().filter(|l| l.contains("requests,")) {
        assert!(line.contains(" 0 errors"), "{line}");
    }
}

fn a_province_ledger_is_built_beside_the_database_and_summed_nationally() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ansinh(
        dir.path(),
        &["--ledger", "84", "demo", "--scale", "small", "--no-serve"],
        &[("RUST_LOG", "error")],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.path().join("ansinh-84.db").is_file(), "84's own file");
    assert!(
        !dir.path().join("ansinh.db").exists(),
        "the database's own ledger untouched"
    );

    let out = ansinh(
        dir.path(),
        &["national-report", "--as-of", "2021-11-25"],
        &[],
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("Tỉnh Trà Vinh, "), "{printed}");
    assert!(printed.contains("national checkpoint"), "{printed}");
    let out = ansinh(dir.path(), &["--ledger", "84", "verify"], &[]);
    assert!(out.status.success(), "{}", text(&out));

    let out = ansinh(
        dir.path(),
        &["--ledger", "87", "demo", "--scale", "small", "--no-serve"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the demo is Trà Vinh's (84)"),
        "{}",
        text(&out)
    );
    // A read of a ledger that is not there is refused and makes nothing.
    let out = ansinh(dir.path(), &["--ledger", "86", "verify"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ledger 86 is not in this database"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("ansinh-86.db").exists());
    let out = ansinh(dir.path(), &["--ledger", "99", "verify"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a province code"), "{}", text(&out));
    let out = ansinh(
        dir.path(),
        &[
            "national-report",
            "--as-of",
            "2021-11-25",
            "--ledgers",
            "87",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ledger 87 is not in this database (it holds: 84)"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.path().join("ansinh-87.db").exists(),
        "a report never creates a ledger"
    );
}
