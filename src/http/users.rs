//! User management (administrators): list, add, disable, reset a password.
//! A user changes their own password under /session/password.

use super::listing::{self, Listing};
use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::{Role, User};
use crate::store::UserListing;
use crate::users::{self, UsersError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(disable))
        .routes(routes!(reset_password))
}

impl From<UsersError> for Error {
    fn from(error: UsersError) -> Error {
        match error {
            UsersError::Forbidden(f) => f.into(),
            UsersError::Invalid(message) => Error::BadRequest(message),
            UsersError::NotFound(_) => Error::NotFound,
            UsersError::WrongPassword => Error::Forbidden(error.to_string()),
            UsersError::Conflict(message) => Error::Conflict(message),
            UsersError::Busy => Error::Busy,
            UsersError::Store(e) => e.into(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Rows skipped (from 0).
    #[param(minimum = 0, maximum = 1000000000)]
    offset: Option<i64>,
    /// Rows in this answer: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The users, in the order they were added.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses(
        (status = 200, body = Listing<UserListing>),
        (status = 403, description = "administrators only", body = ErrorBody),
    ))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Listing<UserListing>>, Error> {
    authorize(&user.user, Action::ManageUsers)?;
    let page = listing::page(query.offset, query.limit)?;
    let listed = state.store.users_page(page).await?;
    Ok(Json(Listing::new(listed, page)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserRequest {
    /// 1 to 64 ASCII letters, digits, `.`, `_` or `-`; unique whatever its case.
    username: String,
    role: Role,
    /// A district officer's district code (3 digits); no one else has one.
    district: Option<String>,
    /// 10 to 128 characters.
    password: String,
}

/// Add a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses(
        (status = 201, body = User),
        (status = 400, description = "a bad username, district or password", body = ErrorBody),
        (status = 403, description = "administrators only", body = ErrorBody),
        (status = 409, description = "the username is taken", body = ErrorBody),
        (status = 503, description = "the password queue is full: retry", body = ErrorBody),
    ))]
async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(request): Json<NewUserRequest>,
) -> Result<(StatusCode, Json<User>), Error> {
    let added = users::add(
        state.store.as_ref(),
        &user.user,
        &request.username,
        request.role,
        request.district.as_deref(),
        request.password,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DisableRequest {
    /// Why, kept in the audit trail.
    reason: String,
}

/// Disable a user: they can no longer log in and their sessions end. A
/// password reset enables them again.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "users",
    params(("username" = String, Path, description = "the user's name (any case)")),
    request_body = DisableRequest,
    responses(
        (status = 200, body = User),
        (status = 400, description = "no reason, or the administrator themself", body = ErrorBody),
        (status = 403, description = "administrators only", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
    ))]
async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    Json(request): Json<DisableRequest>,
) -> Result<Json<User>, Error> {
    let disabled =
        users::disable(state.store.as_ref(), &user.user, &username, &request.reason).await?;
    Ok(Json(disabled))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordReset {
    /// 10 to 128 characters.
    new_password: String,
}

/// Set a user's password (and enable them); their sessions end.
#[utoipa::path(put, path = "/api/v1/users/{username}/password", tag = "users",
    params(("username" = String, Path, description = "the user's name (any case)")),
    request_body = PasswordReset,
    responses(
        (status = 200, body = User),
        (status = 400, description = "the password breaks the policy", body = ErrorBody),
        (status = 403, description = "administrators only", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 503, description = "the password queue is full: retry", body = ErrorBody),
    ))]
async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    Json(request): Json<PasswordReset>,
) -> Result<Json<User>, Error> {
    let changed = users::reset_password(
        state.store.as_ref(),
        &user.user,
        &username,
        request.new_password,
    )
    .await?;
    Ok(Json(changed))
}
