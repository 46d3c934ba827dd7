//! Managing users: an administrator adds, disables and resets; a user
//! changes their own password. Each change is one store call with its audit
//! event. A disabled user's password hash is replaced by `!` and the reason
//! (as in /etc/shadow): no password verifies against it, and a reset
//! enables the user again. Every change of a password or of the ability to
//! log in ends the user's sessions.

use crate::auth::password::{self, PasswordError};
use crate::auth::{authorize, Action, Forbidden, USERNAME_LEN_MAX};
use crate::domain::{DistrictCode, NewUser, Role, User};
use crate::store::{now_us, AuditEvent, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("{0}")]
    Invalid(String),
    #[error("no user '{0}' / không có người dùng này")]
    NotFound(String),
    #[error("the current password is wrong / mật khẩu hiện tại không đúng")]
    WrongPassword,
    #[error("{0}")]
    Conflict(String),
    #[error("{}", PasswordError::Busy)]
    Busy,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for UsersError {
    fn from(error: StoreError) -> UsersError {
        match error {
            StoreError::Conflict(message) => UsersError::Conflict(message),
            other => UsersError::Store(other),
        }
    }
}

impl From<PasswordError> for UsersError {
    fn from(error: PasswordError) -> UsersError {
        match error {
            PasswordError::Busy => UsersError::Busy,
            other => UsersError::Invalid(other.to_string()),
        }
    }
}

/// The mark that starts a disabled user's password hash.
const DISABLED_MARK: &str = "!";

/// A user name: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
pub fn check_username(username: &str) -> Result<(), String> {
    let ok = !username.is_empty()
        && username.len() <= USERNAME_LEN_MAX
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "username '{username}' must be 1 to {USERNAME_LEN_MAX} ASCII letters, digits, '.', '_' or '-'"
        ))
    }
}

/// A district officer has a district; no one else does.
pub fn check_district(role: Role, district: Option<&str>) -> Result<Option<String>, String> {
    match (role, district) {
        (Role::District, None) => Err("a district officer needs a district code".into()),
        (Role::District, Some(code)) => Ok(Some(DistrictCode::parse(code)?.as_str().to_string())),
        (_, Some(_)) => Err("only district officers have a district".into()),
        (_, None) => Ok(None),
    }
}

/// Adds a user (administrators only).
pub async fn add(
    store: &dyn Store,
    admin: &User,
    username: &str,
    role: Role,
    district: Option<&str>,
    password: String,
) -> Result<User, UsersError> {
    authorize(admin, Action::ManageUsers)?;
    check_username(username).map_err(UsersError::Invalid)?;
    // An empty district is no district (as a form's empty field is).
    let district = district.filter(|d| !d.is_empty());
    let district = check_district(role, district).map_err(UsersError::Invalid)?;
    if let (Some(ledger), Role::National) = (store.ledger(), role) {
        return Err(UsersError::Invalid(format!(
            "a national reader belongs to the database's own ledger (the ministry's server, \
             run without --ledger), not to province {ledger}'s / người đọc báo cáo toàn quốc \
             thuộc sổ chung của cơ sở dữ liệu, không thuộc sổ của tỉnh {ledger}"
        )));
    }
    if let (Some(ledger), Some(district)) = (store.ledger(), &district) {
        ledger
            .check_district(district)
            .map_err(UsersError::Invalid)?;
    }
    let password_hash = password::hash_async(password).await?;
    let audit = AuditEvent {
        at_us: now_us(),
        actor: admin.username.clone(),
        action: "user.add".into(),
        outcome: "ok".into(),
        detail: format!(
            "added {username} as {}{}",
            role.as_str(),
            district
                .as_deref()
                .map(|d| format!(" of district {d}"))
                .unwrap_or_default()
        ),
    };
    let user = NewUser {
        username: username.to_string(),
        role,
        district,
        password_hash,
    };
    Ok(store.add_user(user, audit).await?)
}

/// Disables a user (administrators only, never themselves): they can no
/// longer log in and their sessions end.
pub async fn disable(
    store: &dyn Store,
    admin: &User,
    username: &str,
    reason: &str,
) -> Result<User, UsersError> {
    authorize(admin, Action::ManageUsers)?;
    if username.eq_ignore_ascii_case(&admin.username) {
        return Err(UsersError::Invalid(
            "an administrator cannot disable themself / không thể tự khóa tài khoản của mình"
                .into(),
        ));
    }
    let reason = one_line(reason);
    if reason.is_empty() {
        return Err(UsersError::Invalid(
            "say why the user is disabled / cần nêu lý do".into(),
        ));
    }
    let hash = format!("{DISABLED_MARK}disabled by {}: {reason}", admin.username);
    let audit = change_audit(admin, "user.disable", username, &reason);
    store
        .replace_password_hash(username, &hash, audit)
        .await?
        .ok_or_else(|| UsersError::NotFound(username.to_string()))
}

/// Sets a user's password (administrators only); enables a disabled user.
pub async fn reset_password(
    store: &dyn Store,
    admin: &User,
    username: &str,
    new_password: String,
) -> Result<User, UsersError> {
    authorize(admin, Action::ManageUsers)?;
    let hash = password::hash_async(new_password).await?;
    let audit = change_audit(admin, "user.reset_password", username, "");
    store
        .replace_password_hash(username, &hash, audit)
        .await?
        .ok_or_else(|| UsersError::NotFound(username.to_string()))
}

/// A user changes their own password, proving the current one.
pub async fn change_own_password(
    store: &dyn Store,
    user: &User,
    current_password: String,
    new_password: String,
) -> Result<(), UsersError> {
    password::check_policy(&new_password)?;
    let stored = store.find_user(&user.username).await?.map(|(_, hash)| hash);
    if !password::verify_async(current_password, stored).await? {
        return Err(UsersError::WrongPassword);
    }
    let hash = password::hash_async(new_password).await?;
    let audit = change_audit(user, "user.change_password", &user.username, "");
    store
        .replace_password_hash(&user.username, &hash, audit)
        .await?
        .ok_or_else(|| UsersError::NotFound(user.username.clone()))?;
    Ok(())
}

fn change_audit(actor: &User, action: &str, username: &str, reason: &str) -> AuditEvent {
    AuditEvent {
        at_us: now_us(),
        actor: actor.username.clone(),
        action: action.into(),
        outcome: "ok".into(),
        detail: if reason.is_empty() {
            format!("user {username}")
        } else {
            format!("user {username}: {reason}")
        },
    }
}

/// Longest reason kept for a disabled user.
const REASON_LEN_MAX: usize = 500;

fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(REASON_LEN_MAX)
        .collect()
}
