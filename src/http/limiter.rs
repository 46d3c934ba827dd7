//! Login rate limit. An attempt is counted when it *starts*, before its
//! password is hashed, so parallel guesses cannot slip past the count while
//! the hashes run: after `FAILURES_MAX` attempts for one username, or
//! `ADDRESS_FAILURES_MAX` from one client address, within `WINDOW`, further
//! attempts are refused until the window passes. A successful login clears
//! its username's count.
//!
//! Memory is bounded: usernames are folded to lower case and cut to
//! `USERNAME_LEN_MAX` before they are remembered, and each table keeps at
//! most `TRACKED_MAX` keys, the oldest dropped first.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::USERNAME_LEN_MAX;

pub const FAILURES_MAX: u32 = 5;
/// Per client address: an office behind one NAT address has several
/// officers, so more than one user's worth.
pub const ADDRESS_FAILURES_MAX: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bound on remembered keys per table, so a flood of names cannot grow memory.
pub const TRACKED_MAX: usize = 10_000;

/// Attempts per key within the window, oldest key first.
struct Counts<K> {
    by_key: HashMap<K, (u32, Instant)>,
    order: VecDeque<(K, Instant)>,
}

impl<K: std::hash::Hash + Eq + Clone> Counts<K> {
    fn new() -> Counts<K> {
        Counts {
            by_key: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn current(&mut self, key: &K, now: Instant) -> u32 {
        match self.by_key.get(key) {
            Some((count, since)) if now.duration_since(*since) < WINDOW => *count,
            Some(_) => {
                self.by_key.remove(key);
                0
            }
            None => 0,
        }
    }

    fn add(&mut self, key: &K, now: Instant) {
        if let Some((count, _)) = self.by_key.get_mut(key) {
            *count += 1;
            return;
        }
        while self.by_key.len() >= TRACKED_MAX {
            // The oldest key goes; an entry in `order` whose key was cleared
            // or started again since is skipped.
            let Some((oldest, since)) = self.order.pop_front() else {
                break;
            };
            if self.by_key.get(&oldest).is_some_and(|(_, s)| *s == since) {
                self.by_key.remove(&oldest);
            }
        }
        self.by_key.insert(key.clone(), (1, now));
        self.order.push_back((key.clone(), now));
        // Stale entries of cleared keys must not outgrow the table itself.
        if self.order.len() > 2 * TRACKED_MAX {
            let by_key = &self.by_key;
            self.order
                .retain(|(k, since)| by_key.get(k).is_some_and(|(_, s)| s == since));
        }
        debug_assert!(self.by_key.len() <= TRACKED_MAX);
    }

    fn clear(&mut self, key: &K) {
        self.by_key.remove(key);
    }

    fn len(&self) -> usize {
        self.by_key.len()
    }
}

pub struct LoginLimiter {
    tables: Mutex<(Counts<String>, Counts<IpAddr>)>,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter {
            tables: Mutex::new((Counts::new(), Counts::new())),
        }
    }
}

/// The key a username is counted under: case folded, length capped.
pub fn username_key(username: &str) -> String {
    username
        .chars()
        .take(USERNAME_LEN_MAX)
        .flat_map(char::to_lowercase)
        .collect()
}

impl LoginLimiter {
    /// Counts an attempt before it is checked; false when the username or
    /// the address has used up its attempts (nothing is counted then).
    pub fn begin(&self, username: &str, address: Option<IpAddr>) -> bool {
        let Ok(mut tables) = self.tables.lock() else {
            return false;
        };
        let (users, addresses) = &mut *tables;
        let now = Instant::now();
        let key = username_key(username);
        if users.current(&key, now) >= FAILURES_MAX {
            return false;
        }
        if let Some(address) = address {
            if addresses.current(&address, now) >= ADDRESS_FAILURES_MAX {
                return false;
            }
            addresses.add(&address, now);
        }
        users.add(&key, now);
        true
    }

    /// A successful login forgets its username's attempts.
    pub fn succeeded(&self, username: &str) {
        if let Ok(mut tables) = self.tables.lock() {
            tables.0.clear(&username_key(username));
        }
    }

    /// How many usernames and addresses are remembered (for tests and logs).
    pub fn tracked(&self) -> (usize, usize) {
        self.tables
            .lock()
            .map(|t| (t.0.len(), t.1.len()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_repeated_attempts_case_insensitively() {
        let limiter = LoginLimiter::default();
        for n in 0..FAILURES_MAX {
            let name = if n % 2 == 0 { "huyen842" } else { "HUYEN842" };
            assert!(limiter.begin(name, None));
        }
        assert!(!limiter.begin("Huyen842", None));
        assert!(limiter.begin("huyen844", None));
    }

    #[test]
    fn success_clears_the_count() {
        let limiter = LoginLimiter::default();
        for _ in 0..FAILURES_MAX - 1 {
            assert!(limiter.begin("a", None));
        }
        limiter.succeeded("a");
        for _ in 0..FAILURES_MAX {
            assert!(limiter.begin("a", None));
        }
        assert!(!limiter.begin("a", None));
    }

    #[test]
    fn one_address_cannot_try_many_names() {
        let limiter = LoginLimiter::default();
        let address: IpAddr = [192, 0, 2, 7].into();
        for n in 0..ADDRESS_FAILURES_MAX {
            assert!(limiter.begin(&format!("user{n}"), Some(address)));
        }
        assert!(!limiter.begin("someone-else", Some(address)));
        assert!(limiter.begin("someone-else", Some([192, 0, 2, 8].into())));
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_names() {
        let limiter = LoginLimiter::default();
        let long = "x".repeat(10 * 1024 * 1024);
        assert_eq!(username_key(&long).len(), USERNAME_LEN_MAX);
        for n in 0..TRACKED_MAX + 500 {
            limiter.begin(&format!("flood{n}"), None);
        }
        assert_eq!(limiter.tracked().0, TRACKED_MAX);
        // The newest names are the ones kept.
        for _ in 1..FAILURES_MAX {
            limiter.begin(&format!("flood{}", TRACKED_MAX + 499), None);
        }
        assert!(!limiter.begin(&format!("flood{}", TRACKED_MAX + 499), None));
    }
}
