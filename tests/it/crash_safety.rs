//! A process killed in the middle of an import leaves either the whole import
//! or nothing, and the ledger verifies.

use crate::support;
use crate::support::harness::{Runtime, Suite};
use ansinh::auth::password;
use ansinh::domain::{NewUser, Role};
use ansinh::ledger::verify;
use ansinh::store::{self, now_us, AuditEvent};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn register(suite: &mut Suite) {
    register!(suite;
        tokio_on(Runtime::MultiThread { workers: None }): killed_imports_leave_all_or_nothing,
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_ansinh");
const ROWS: usize = 30_000;
const AMOUNT: i64 = 1_500_000;

fn big_roll() -> String {
    let mut text = String::from(
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n",
    );
    for n in 0..ROWS {
        text.push_str(&format!(
            "{};Người {};0841{n:08};29239;tu-do;1.500.000;1/QĐ-UBND;16/08/2021\n",
            n + 1,
            letters(n)
        ));
    }
    text
}

/// A name without digits for person `n` (names with digits are refused).
fn letters(mut n: usize) -> String {
    let mut name = String::new();
    loop {
        name.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return name;
        }
    }
}

async fn killed_imports_leave_all_or_nothing() {
    let hash = password::hash("district password").expect("hash");
    let dir = tempfile::tempdir().expect("dir");
    let roll = dir.path().join("roll.csv");
    std::fs::write(&roll, big_roll()).expect("write roll");
    // First an import left alone, to learn how long one takes here; then kills
    // spread over that time, the later ones inside the commit.
    let full_ms = import_once(dir.path(), &hash, &roll, None).await;
    let mut outcomes = Vec::new();
    for percent in [40u64, 60, 75, 85, 92, 97] {
        let delay_ms = full_ms * percent / 100;
        outcomes.push(import_once(dir.path(), &hash, &roll, Some(delay_ms)).await);
    }
    eprintln!("an import takes {full_ms} ms; kill outcomes (delay ms, exited normally, committed): {outcomes:?}");
}

/// Imports the roll into a fresh database, killed after `kill_after_ms` if
/// given; checks all-or-nothing; returns the time taken (or the outcome).
async fn import_once(
    dir: &std::path::Path,
    hash: &str,
    roll: &std::path::Path,
    kill_after_ms: Option<u64>,
) -> u64 {
    {
        let delay_ms = kill_after_ms.unwrap_or(0);
        let db_path = dir.join(format!("kill-{delay_ms}-{}.db", now_us()));
        let url = format!("sqlite://{}", db_path.display());
        let store = store::open(&url).await.expect("open");
        ansinh::programs::add(store.as_ref(), "tinh", support::province::EXAMPLE_PROGRAM)
            .await
            .expect("program");
        let audit = AuditEvent {
            at_us: now_us(),
            actor: "test".into(),
            action: "user.add".into(),
            outcome: "ok".into(),
            detail: String::new(),
        };
        let officer = NewUser {
            username: "huyen842".into(),
            role: Role::District,
            district: Some("842".into()),
            password_hash: hash.to_string(),
        };
        store.add_user(officer, audit).await.expect("user");
        let head_before = store.head().await.expect("head");

        let mut child = Command::new(BIN)
            .args([
                "--database-url",
                &url,
                "import",
                "approvals",
                "--program",
                "NQ68",
                "--district",
                "842",
            ])
            .arg(roll)
            .env("ANSINH_USER", "huyen842")
            .env("ANSINH_PASSWORD", "district password")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn import");
        let started = std::time::Instant::now();
        if kill_after_ms.is_some() {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let _ = child.kill(); // SIGKILL: no cleanup runs
        }
        let status = child.wait().expect("wait");
        let elapsed_ms = started.elapsed().as_millis() as u64;

        let store = store::open(&url).await.expect("reopen");
        let report = verify::run(store.as_ref(), None).await.expect("verify");
        assert!(
            report.is_ok(),
            "after a kill at {delay_ms} ms: {:?}",
            report.problem
        );
        let posted = store
            .account_balance("payable:NQ68:842:tu-do")
            .await
            .expect("balance");
        let committed = store
            .committed_import_with_digest("approvals", "NQ68", "842", &sha256(roll))
            .await
            .expect("query");
        let head_after = store.head().await.expect("head");
        match committed {
            Some(_) => assert_eq!(posted, ROWS as i64 * AMOUNT, "a committed import is whole"),
            None => {
                assert_eq!(
                    posted, 0,
                    "an import that did not commit posted nothing (killed at {delay_ms} ms)"
                );
                assert_eq!(head_after, head_before);
            }
        }
        if kill_after_ms.is_none() {
            assert!(
                status.success() && committed.is_some(),
                "an import left alone commits"
            );
            return elapsed_ms;
        }
        // A stored upload means the kill came after validation: in the commit.
        let staged = store.import_record(1).await.expect("read").is_some();
        eprintln!(
            "killed after {delay_ms} ms: exited normally {}, staged {staged}, committed {}",
            status.success(),
            committed.is_some()
        );
        delay_ms
    }
}

fn sha256(path: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}
