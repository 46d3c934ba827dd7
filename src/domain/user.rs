//! Users and their roles as values. Who may do what is decided in `auth`;
//! here a role is only a name that parses and prints.

use serde::Serialize;

/// The names are those of `--role`, the API and the `users.role` column.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Provincial,
    District,
    Auditor,
    /// A ministry's reader of the national report (every provincial ledger
    /// summed); belongs to the database's own ledger, not a province's.
    National,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "admin" => Role::Admin,
            "provincial" => Role::Provincial,
            "district" => Role::District,
            "auditor" => Role::Auditor,
            "national" => Role::National,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Provincial => "provincial",
            Role::District => "district",
            Role::Auditor => "auditor",
            Role::National => "national",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub district: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub district: Option<String>,
    pub password_hash: String,
}

#[cfg(test)]
mod tests {
    use super::Role;
    use clap::ValueEnum;

    #[test]
    fn a_role_has_one_name_on_the_command_line_in_storage_and_in_json() {
        for role in Role::value_variants() {
            let name = role.to_possible_value().expect("named");
            assert_eq!(name.get_name(), role.as_str());
            assert_eq!(Role::parse(role.as_str()), Some(*role));
            assert_eq!(
                serde_json::to_value(role).expect("json"),
                serde_json::json!(role.as_str())
            );
        }
        assert_eq!(Role::parse("Admin"), None);
    }
}
