//! argon2id password hashing, run off the async runtime. Parameters meet
//! OWASP's minimum (m = 19 MiB, t = 2, p = 1). An unknown username is checked
//! against a fixed dummy hash so it costs the same time as a known one.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

pub const PASSWORD_LEN_MIN: usize = 10;
pub const PASSWORD_LEN_MAX: usize = 128;
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be {PASSWORD_LEN_MIN} to {PASSWORD_LEN_MAX} characters / mật khẩu phải dài {PASSWORD_LEN_MIN}–{PASSWORD_LEN_MAX} ký tự")]
    Length,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants within argon2's accepted ranges.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if (PASSWORD_LEN_MIN..=PASSWORD_LEN_MAX).contains(&length) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// Hashes a new password (blocking: call through [`hash_async`] from async code).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Verifies a password against a stored hash, or against the dummy hash when
/// the user is unknown (then always false), so both paths cost the same.
pub fn verify(password: &str, stored_hash: Option<&str>) -> bool {
    let candidate = stored_hash.unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return false;
    };
    let matches = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored_hash.is_some()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(b"not a password of anyone", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

pub async fn hash_async(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
}

pub async fn verify_async(password: String, stored_hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, stored_hash.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("wrong password!", Some(&stored)));
        assert!(!verify("correct horse battery", None));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(hash("short"), Err(PasswordError::Length)));
    }
}
