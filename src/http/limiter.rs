//! Login rate limit: after `FAILURES_MAX` failures for one username within
//! `WINDOW`, further attempts are refused until the window passes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FAILURES_MAX: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bound on remembered usernames, so a flood of names cannot grow memory.
const TRACKED_MAX: usize = 10_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn allow(&self, username: &str) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return false;
        };
        match map.get(username) {
            Some((count, since)) if since.elapsed() < WINDOW => *count < FAILURES_MAX,
            Some(_) => {
                map.remove(username);
                true
            }
            None => true,
        }
    }

    pub fn failed(&self, username: &str) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= TRACKED_MAX {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map
            .entry(username.to_string())
            .or_insert((0, Instant::now()));
        entry.0 += 1;
    }

    pub fn succeeded(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(username);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_repeated_failures() {
        let limiter = LoginLimiter::default();
        for _ in 0..FAILURES_MAX {
            assert!(limiter.allow("a"));
            limiter.failed("a");
        }
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }
}
