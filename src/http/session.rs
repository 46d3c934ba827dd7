//! Login and logout, and the `CurrentUser` extractor every endpoint uses.
//! Sessions are a cookie (HttpOnly, Secure, SameSite=Strict: browsers keep
//! it over HTTPS and on loopback addresses) or a bearer token.
//! Cookie-authenticated writes must carry `X-CSRF-Token`, derived from the
//! session token, which a cross-site page cannot read.

use super::{AppState, Error};
use crate::auth::session::{new_token, token_hash, COOKIE_NAME, SESSION_LIFETIME_US};
use crate::auth::{self, LoginError};
use crate::domain::User;
use crate::store::{now_us, AuditEvent};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout, whoami))
        .routes(routes!(change_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    /// The bearer token (also set as the `HttpOnly` cookie).
    token: String,
    /// Send as `X-CSRF-Token` with cookie-authenticated writes.
    csrf_token: String,
    user: User,
    expires_in_s: i64,
}

/// Log in: a bearer token, also set as an `HttpOnly; Secure; SameSite=Strict` cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginAnswer),
        (status = 401, description = "wrong username or password", body = super::openapi::ErrorBody),
        (status = 429, description = "too many failed attempts for this name or address", body = super::openapi::ErrorBody),
        (status = 503, description = "the login queue is full: retry after `Retry-After` seconds", body = super::openapi::ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(request): Json<LoginRequest>,
) -> Result<Response, Error> {
    // Counted before the password is hashed: parallel guesses see each
    // other's attempts.
    if !state.login_limiter.begin(&request.username, address) {
        state
            .store
            .audit(AuditEvent {
                at_us: now_us(),
                actor: request
                    .username
                    .chars()
                    .take(auth::USERNAME_LEN_MAX)
                    .collect(),
                action: "login".into(),
                outcome: "refused".into(),
                detail: "rate limited".into(),
            })
            .await?;
        return Err(Error::TooManyRequests);
    }
    let user = match auth::login(
        state.store.as_ref(),
        &request.username,
        &request.password,
        "http",
    )
    .await
    {
        Ok(user) => user,
        Err(LoginError::BadCredentials) => return Err(Error::Unauthorized),
        Err(LoginError::Busy) => return Err(Error::Busy),
        Err(LoginError::Store(e)) => return Err(e.into()),
    };
    state.login_limiter.succeeded(&request.username);
    let (token, hash) = new_token();
    let now = now_us();
    state
        .store
        .add_session(&hash, user.id, now, now + SESSION_LIFETIME_US)
        .await?;
    state
        .store
        .audit(AuditEvent {
            at_us: now,
            actor: user.username.clone(),
            action: "login".into(),
            outcome: "ok".into(),
            detail: "session opened".into(),
        })
        .await?;
    let cookie = format!(
        "{COOKIE_NAME}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME_US / 1_000_000
    );
    let body = LoginAnswer {
        csrf_token: csrf_token(&token),
        token,
        user,
        expires_in_s: SESSION_LIFETIME_US / 1_000_000,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Log out: the session ends.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "logged out; the cookie is cleared")))]
async fn logout(State(state): State<AppState>, user: CurrentUser) -> Result<Response, Error> {
    state.store.end_session(&token_hash(&user.token)).await?;
    state
        .store
        .audit(AuditEvent {
            at_us: now_us(),
            actor: user.user.username.clone(),
            action: "logout".into(),
            outcome: "ok".into(),
            detail: String::new(),
        })
        .await?;
    let cookie = format!("{COOKIE_NAME}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The session's user, and the CSRF token its cookie-authenticated writes
/// send: a page reloaded (its cookie kept, the login's answer gone) asks here.
#[derive(Serialize, ToSchema)]
struct SessionAnswer {
    #[serde(flatten)]
    user: User,
    /// Send as `X-CSRF-Token` with cookie-authenticated writes (the same
    /// value the login returned: derived from the session token).
    csrf_token: String,
}

/// Who am I, and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionAnswer)))]
async fn whoami(user: CurrentUser) -> Json<SessionAnswer> {
    Json(SessionAnswer {
        csrf_token: csrf_token(&user.token),
        user: user.user,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    /// 10 to 128 characters.
    new_password: String,
}

/// Change one's own password: every session of the user ends, this one too.
#[utoipa::path(put, path = "/api/v1/session/password", tag = "session",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "changed; log in again"),
        (status = 400, description = "the new password breaks the policy", body = super::openapi::ErrorBody),
        (status = 403, description = "the current password is wrong", body = super::openapi::ErrorBody),
        (status = 503, description = "the password queue is full: retry", body = super::openapi::ErrorBody),
    ))]
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(change): Json<PasswordChange>,
) -> Result<StatusCode, Error> {
    crate::users::change_own_password(
        state.store.as_ref(),
        &user.user,
        change.current_password,
        change.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn csrf_token(session_token: &str) -> String {
    token_hash(&format!("csrf:{session_token}"))
}

/// The logged-in user of a request.
pub struct CurrentUser {
    pub user: User,
    token: String,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<CurrentUser, Error> {
        let (token, from_cookie) = token_from(&parts.headers).ok_or(Error::Unauthorized)?;
        if from_cookie && !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(csrf_token(&token).as_str()) {
                return Err(Error::Forbidden(
                    "missing or wrong X-CSRF-Token / thiếu mã CSRF".into(),
                ));
            }
        }
        let user = state
            .store
            .session_user(&token_hash(&token), now_us())
            .await?
            .ok_or(Error::Unauthorized)?;
        Ok(CurrentUser { user, token })
    }
}

/// The client's address, where the server knows it (it does when served by
/// [`super::serve`]; an app built for a test without it has none).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<ClientAddress, Self::Rejection> {
        let info = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(info.map(|info| info.0.ip())))
    }
}

fn token_from(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
    {
        return Some((bearer.to_string(), false));
    }
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| (value.to_string(), true))
}

/// The token of an `Authorization: Bearer …` value; the scheme name is
/// case-insensitive (RFC 9110 §11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
