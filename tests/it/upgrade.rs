//! Databases written under an earlier schema open under the current one with
//! their data: every migration that moves data is tested with data in it.

use crate::support::harness::{Backend, Suite};
use crate::support::EarlierSchema;
use ansinh::domain::{AccountPrefix, Role};

pub fn register(suite: &mut Suite) {
    register!(suite;
        each_backend: roll_people_and_balances_survive_migration_0003,
        each_backend: users_and_sessions_survive_migration_0008,
    );
}

/// Under migration 0002: one approval roll of two people in district 842, one
/// of them paid (a payment posting indexed by `postings_paid`).
const ROLL_UNDER_0002: &str = "
    INSERT INTO imports (id, kind, program, district, file_name, sha256, size_bytes, content, report, uploaded_at_us, uploaded_by)
        VALUES (1, 'approvals', 'NQ68', '842', 'roll.csv', 'abc', 3, 'x', '{}', 1, 'huyen842');
    INSERT INTO journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding)
        VALUES (1, '2021-08-16', 1, 'huyen842', 'approval', '2315/QĐ-UBND', '', NULL, 1, 'p1', 'h1', 1),
               (2, '2021-08-28', 2, 'huyen842', 'payment', 'payment roll', '', NULL, NULL, 'h1', 'h2', 1);
    INSERT INTO postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) VALUES
        (1, 0, 'payable:NQ68:842:tu-do', 1500000, '084069106889', 2, NULL),
        (1, 1, 'payable:NQ68:842:tu-do', 1500000, '084078918650', 3, NULL),
        (1, 2, 'budget:NQ68:842', -3000000, NULL, NULL, NULL),
        (2, 0, 'payable:NQ68:842:tu-do', -1500000, '084078918650', 2, 'CT-1'),
        (2, 1, 'disbursed:NQ68:842:tu-do', 1500000, NULL, NULL, NULL);
    INSERT INTO account_totals (entry_seq, account, amount, approvals_delta) VALUES
        (1, 'budget:NQ68:842', -3000000, 0), (1, 'payable:NQ68:842:tu-do', 3000000, 2),
        (2, 'disbursed:NQ68:842:tu-do', 1500000, 0), (2, 'payable:NQ68:842:tu-do', -1500000, 0);
    INSERT INTO roll_beneficiaries (import_id, national_id, full_name, date_of_birth, sex, commune_code) VALUES
        (1, '084078918650', 'Thạch Sa Rây', '1978', 'male', '29254'),
        (1, '084069106889', 'Kim Ngọc Hên', NULL, NULL, '29254');
";

async fn roll_people_and_balances_survive_migration_0003(backend: Backend) {
    let early = EarlierSchema::new(backend, 2).await;
    early.raw(ROLL_UNDER_0002).await.expect("data under 0002");
    let db = early.open().await;
    let names = db
        .store
        .beneficiary_names_under(&AccountPrefix::payable_of_program_district("NQ68", "842"))
        .await
        .expect("names");
    assert_eq!(
        names,
        vec![
            ("084069106889".to_string(), "Kim Ngọc Hên".to_string()),
            ("084078918650".to_string(), "Thạch Sa Rây".to_string()),
        ],
        "{}",
        db.backend
    );
    let named = db
        .store
        .beneficiary_names(&["084078918650".to_string()])
        .await
        .expect("names of people");
    assert_eq!(named.len(), 1, "{}", db.backend);
    let mut balances = db
        .store
        .beneficiary_balances(&AccountPrefix::payable_of_program_district("NQ68", "842"))
        .await
        .expect("balances");
    balances.sort_by(|a, b| a.beneficiary.cmp(&b.beneficiary));
    let paid: Vec<(i64, i64)> = balances
        .iter()
        .map(|b| (b.approved_dong(), b.paid_dong))
        .collect();
    assert_eq!(
        paid,
        vec![(1_500_000, 0), (1_500_000, 1_500_000)],
        "{}",
        db.backend
    );
    assert!(
        db.raw("UPDATE roll_people SET people = '[]'")
            .await
            .is_err(),
        "{}: roll_people must be append-only",
        db.backend
    );
}

/// Migration 0008 lets a user be a national reader; on SQLite it rebuilds
/// `users` and `sessions`: the rows, their ids and the link between them
/// stay, and so do the unique folded username and the foreign key.
async fn users_and_sessions_survive_migration_0008(backend: Backend) {
    let early = EarlierSchema::new(backend, 7).await;
    early
        .raw(
            "INSERT INTO users (id, username, role, district, password_hash, created_at_us) \
                 VALUES (7, 'huyen842', 'district', '842', '!x', 1), (8, 'tinh', 'provincial', NULL, '!x', 2); \
             INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us) \
                 VALUES ('token-of-huyen842', 7, 1, 9000000000000000)",
        )
        .await
        .expect("users under 0007");
    let db = early.open().await;
    let user = db
        .store
        .session_user("token-of-huyen842", 2)
        .await
        .expect("session")
        .expect("still signed in");
    assert_eq!(
        (user.id, user.username.as_str()),
        (7, "huyen842"),
        "{}",
        db.backend
    );
    assert_eq!(user.district.as_deref(), Some("842"));
    let (tinh, _) = db
        .store
        .find_user("tinh")
        .await
        .expect("find")
        .expect("tinh");
    assert_eq!(tinh.id, 8);
    let national = crate::support::add_user(&db, "bo", Role::National, None, "!x").await;
    assert_eq!(national.role, Role::National);
    for refused in [
        "INSERT INTO users (username, role, password_hash, created_at_us) VALUES ('TINH', 'admin', '!x', 3)",
        "INSERT INTO users (username, role, password_hash, created_at_us) VALUES ('x', 'mayor', '!x', 3)",
        "INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us) VALUES ('t', 99, 1, 2)",
    ] {
        assert!(db.raw(refused).await.is_err(), "{}: {refused}", db.backend);
    }
}
