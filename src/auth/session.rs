//! Session tokens: 256 random bits, given to the client once, stored only as
//! their SHA-256, valid for a fixed time.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_LIFETIME_US: i64 = 8 * 3600 * 1_000_000;
pub const COOKIE_NAME: &str = "ansinh_session";

/// A new token (hex, for the client) and its hash (for the database).
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, a_hash) = new_token();
        let (b, _) = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), a_hash);
        assert_ne!(a, a_hash);
    }
}
