//! Who may do what: password hashing, sessions and the one authorization
//! check every endpoint and CLI write goes through, by the domain's roles.

pub mod password;
pub mod session;

use crate::domain::{Role, User};

/// Everything a user can ask to do, with the district it concerns if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    ManageUsers,
    DefinePrograms,
    /// Upload, validate and commit a roll for a district.
    ImportRoll {
        district: &'a str,
    },
    /// Read a district's imports and reconciliation (None = the whole province).
    ReadDistrict {
        district: Option<&'a str>,
    },
    ReadReports,
    ReadJournal,
    /// Export the whole journal (ledger, beancount, CSV): auditors.
    Export,
    /// Read the audit trail.
    ReadAudit,
    /// Reverse an entry (corrections are provincial decisions).
    Reverse,
    /// See national IDs unmasked for a district (None = every district).
    SeeNationalIds {
        district: Option<&'a str>,
    },
    /// Read the national report: every provincial ledger's figures.
    ReadNational,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

/// The one authorization check, by role and district.
pub fn authorize(user: &User, action: Action<'_>) -> Result<(), Forbidden> {
    let own_district = |district: Option<&str>| match (district, user.district.as_deref()) {
        (Some(asked), Some(own)) => asked == own,
        _ => false,
    };
    let allowed = match (user.role, action) {
        (Role::Admin, Action::ManageUsers) => true,
        (
            Role::Provincial,
            Action::DefinePrograms | Action::ReadReports | Action::Reverse | Action::ReadJournal,
        ) => true,
        (Role::Provincial, Action::ReadDistrict { .. } | Action::SeeNationalIds { .. }) => true,
        (Role::District, Action::ImportRoll { district }) => own_district(Some(district)),
        (Role::District, Action::ReadDistrict { district }) => own_district(district),
        (Role::District, Action::SeeNationalIds { district }) => own_district(district),
        (
            Role::Auditor,
            Action::ReadDistrict { .. }
            | Action::ReadReports
            | Action::ReadJournal
            | Action::Export
            | Action::ReadAudit,
        ) => true,
        (Role::Admin, Action::ReadAudit) => true,
        (Role::Auditor, Action::SeeNationalIds { .. }) => true,
        (Role::National, Action::ReadNational) => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Forbidden(format!(
            "user '{}' ({}) may not {} / không có quyền",
            user.username,
            user.role.as_str(),
            describe(action)
        )))
    }
}

fn describe(action: Action<'_>) -> String {
    match action {
        Action::ManageUsers => "manage users".into(),
        Action::DefinePrograms => "define programs".into(),
        Action::ImportRoll { district } => format!("import rolls for district {district}"),
        Action::ReadDistrict { district: Some(d) } => format!("read district {d}"),
        Action::ReadDistrict { district: None } => "read the whole province".into(),
        Action::ReadReports => "read provincial reports".into(),
        Action::ReadJournal => "read the journal".into(),
        Action::Export => "export the journal".into(),
        Action::ReadAudit => "read the audit trail".into(),
        Action::Reverse => "reverse entries".into(),
        Action::SeeNationalIds { .. } => "see national IDs".into(),
        Action::ReadNational => "read the national report".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, district: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            role,
            district: district.map(str::to_string),
        }
    }

    #[test]
    fn district_officers_stay_in_their_district() {
        let officer = user(Role::District, Some("842"));
        assert!(authorize(&officer, Action::ImportRoll { district: "842" }).is_ok());
        assert!(authorize(&officer, Action::ImportRoll { district: "844" }).is_err());
        assert!(authorize(&officer, Action::ReadDistrict { district: None }).is_err());
        assert!(authorize(&officer, Action::Reverse).is_err());
    }

    #[test]
    fn auditors_read_but_never_write() {
        let auditor = user(Role::Auditor, None);
        assert!(authorize(&auditor, Action::ReadJournal).is_ok());
        assert!(authorize(&auditor, Action::ImportRoll { district: "842" }).is_err());
        assert!(authorize(&auditor, Action::DefinePrograms).is_err());
    }

    #[test]
    fn admins_manage_users_but_post_no_money() {
        let admin = user(Role::Admin, None);
        assert!(authorize(&admin, Action::ManageUsers).is_ok());
        assert!(authorize(&admin, Action::ImportRoll { district: "842" }).is_err());
        assert!(authorize(&admin, Action::Reverse).is_err());
    }

    #[test]
    fn national_readers_read_the_national_report_and_nothing_of_a_province() {
        let national = user(Role::National, None);
        assert!(authorize(&national, Action::ReadNational).is_ok());
        assert!(authorize(&national, Action::ReadReports).is_err());
        assert!(authorize(&national, Action::ReadDistrict { district: None }).is_err());
        assert!(authorize(&national, Action::SeeNationalIds { district: None }).is_err());
        for role in [Role::Admin, Role::Provincial, Role::District, Role::Auditor] {
            assert!(authorize(&user(role, None), Action::ReadNational).is_err());
        }
    }
}

/// Longest username: also the most of a refused name kept in the audit trail.
pub const USERNAME_LEN_MAX: usize = 64;

/// Checks a username and password; every failure is an audit event. Unknown
/// users and wrong passwords cost the same argon2 time and get the same answer.
pub async fn login(
    store: &dyn crate::store::Store,
    username: &str,
    password: &str,
    channel: &str,
) -> Result<User, LoginError> {
    // No username is this long: refuse before any lookup or hash, and
    // keep no more than the cap of it anywhere.
    if username.chars().count() > USERNAME_LEN_MAX {
        return Err(LoginError::BadCredentials);
    }
    let found = store.find_user(username).await?;
    let stored_hash = found.as_ref().map(|(_, hash)| hash.clone());
    let ok = match password::verify_async(password.to_string(), stored_hash).await {
        Ok(ok) => ok,
        Err(password::PasswordError::Busy) => return Err(LoginError::Busy),
        Err(_) => false,
    };
    match (ok, found) {
        (true, Some((user, _))) => Ok(user),
        _ => {
            store
                .audit(crate::store::AuditEvent {
                    at_us: crate::store::now_us(),
                    actor: username.chars().take(USERNAME_LEN_MAX).collect(),
                    action: "login".into(),
                    outcome: "refused".into(),
                    detail: format!("failed login via {channel}"),
                })
                .await?;
            Err(LoginError::BadCredentials)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("sai tên đăng nhập hoặc mật khẩu / wrong username or password")]
    BadCredentials,
    #[error("{}", password::PasswordError::Busy)]
    Busy,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
