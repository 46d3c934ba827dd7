//! `ansinh user add`: the first user (an admin) needs no login; after that an
//! admin adds users. The new user's password comes from ANSINH_NEW_PASSWORD,
//! from ANSINH_PASSWORD when bootstrapping, or from a prompt.

use super::{CliError, CliResult, Context};
use crate::auth::{self, Action};
use crate::domain::{NewUser, Role};
use crate::store::{now_us, AuditEvent};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: Role,
        /// District code (required for district officers).
        #[arg(long)]
        district: Option<String>,
    },
}

pub async fn run(context: &Context, command: Command) -> CliResult {
    let Command::Add {
        username,
        role,
        district,
    } = command;
    let district = check_district(role, district)?;
    check_username(&username)?;
    let bootstrap = no_users(context).await?;
    let actor = if bootstrap {
        if role != Role::Admin {
            return Err(CliError::Refused(
                "the first user must be an admin: ansinh user add --username admin --role admin"
                    .into(),
            ));
        }
        username.clone()
    } else {
        context.authorized(Action::ManageUsers).await?.username
    };
    let password = new_password(bootstrap)?;
    let password_hash = auth::password::hash_async(password)
        .await
        .map_err(|e| CliError::Refused(e.to_string()))?;
    let audit = AuditEvent {
        at_us: now_us(),
        actor,
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
    let user = context
        .store
        .add_user(
            NewUser {
                username,
                role,
                district,
                password_hash,
            },
            audit,
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(message) => CliError::Refused(message),
            other => other.into(),
        })?;
    println!(
        "đã thêm người dùng {0} ({1}{2}) / added user {0} ({1}{3})",
        user.username,
        user.role.as_str(),
        user.district
            .as_deref()
            .map(|d| format!(", huyện {d}"))
            .unwrap_or_default(),
        user.district
            .as_deref()
            .map(|d| format!(", district {d}"))
            .unwrap_or_default()
    );
    Ok(())
}

async fn no_users(context: &Context) -> CliResult<bool> {
    Ok(context.store.user_count().await? == 0)
}

fn check_district(role: Role, district: Option<String>) -> CliResult<Option<String>> {
    match (role, &district) {
        (Role::District, None) => Err(CliError::Usage(
            "a district officer needs --district CODE".into(),
        )),
        (Role::District, Some(_)) | (_, None) => {
            crate::users::check_district(role, district.as_deref()).map_err(CliError::Refused)
        }
        (_, Some(_)) => Err(CliError::Usage(
            "--district is only for the district role".into(),
        )),
    }
}

fn check_username(username: &str) -> CliResult {
    crate::users::check_username(username).map_err(CliError::Refused)
}

fn new_password(bootstrap: bool) -> CliResult<String> {
    if let Ok(password) = std::env::var("ANSINH_NEW_PASSWORD") {
        return Ok(password);
    }
    if bootstrap {
        if let Ok(password) = std::env::var("ANSINH_PASSWORD") {
            return Ok(password);
        }
    }
    let first = rpassword::prompt_password("New user's password: ")
        .map_err(|e| CliError::Usage(format!("no password: set ANSINH_NEW_PASSWORD ({e})")))?;
    let second =
        rpassword::prompt_password("Repeat it: ").map_err(|e| CliError::Usage(e.to_string()))?;
    if first != second {
        return Err(CliError::Refused("the two passwords differ".into()));
    }
    Ok(first)
}
