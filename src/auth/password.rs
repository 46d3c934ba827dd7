//! argon2id password hashing, run off the async runtime. Parameters meet
//! OWASP's minimum (m = 19 MiB, t = 2, p = 1). An unknown username is checked
//! against a fixed dummy hash so it costs the same time as a known one.
//! Hashing runs on a bounded pool (one thread per core, a short queue).

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::OnceLock;

pub const PASSWORD_LEN_MIN: usize = 10;
pub const PASSWORD_LEN_MAX: usize = 128;
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("mật khẩu phải dài {PASSWORD_LEN_MIN}–{PASSWORD_LEN_MAX} ký tự / password must be {PASSWORD_LEN_MIN} to {PASSWORD_LEN_MAX} characters")]
    Length,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(
        "too many logins are being checked; try again in a moment / máy chủ đang bận, hãy thử lại"
    )]
    Busy,
}

fn params() -> Params {
    // The parameters are constants within argon2's accepted ranges.
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default()
}

thread_local! {
    /// argon2's working memory, reused by every hash on this thread instead of
    /// 19 MiB allocated (and, with glibc, often kept) per hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2id of `password` with `salt` (base64, as in PHC strings) and `params`.
fn compute(
    password: &[u8],
    salt: Salt<'_>,
    params: &Params,
    output_len: usize,
) -> Result<Output, PasswordError> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(params.block_count(), Block::default());
        Output::init_with(output_len, |out| {
            argon2
                .hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..])
                .map_err(|_| argon2::password_hash::Error::Password)
        })
        .map_err(|e| PasswordError::Hash(e.to_string()))
    })
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
    let params = params();
    let output = compute(
        password.as_bytes(),
        salt.as_salt(),
        &params,
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| PasswordError::Hash(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Verifies a password against a stored hash, or against the dummy hash when
/// the user is unknown or disabled (a hash starting with `!`; then always
/// false), so every path costs the same.
pub fn verify(password: &str, stored_hash: Option<&str>) -> bool {
    let candidate = stored_hash
        .filter(|hash| !hash.starts_with('!'))
        .unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return false;
    };
    let (Some(salt), Some(expected), Ok(params)) =
        (parsed.salt, parsed.hash, Params::try_from(&parsed))
    else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    // Output's equality is constant-time.
    let matches = compute(password.as_bytes(), salt, &params, expected.len())
        .is_ok_and(|output| output == expected);
    matches && stored_hash.is_some()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("not the password of anyone").unwrap_or_default())
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes waiting per hashing thread before new ones are refused as busy:
/// a flood of logins waits in a short queue, never an unbounded one, so a
/// real officer's login is answered within a few hashes' time.
const QUEUED_PER_THREAD_MAX: usize = 8;

/// A pool of hashing threads, one per core, off the async runtime, fed by a
/// bounded queue. Each thread reuses its own 19 MiB of argon2 memory.
struct Pool {
    sender: std::sync::mpsc::SyncSender<Job>,
}

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (sender, receiver) =
            std::sync::mpsc::sync_channel::<Job>(threads * QUEUED_PER_THREAD_MAX);
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for index in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || loop {
                    // The lock is held only to take the next job.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .ok()?;
        }
        Some(Pool { sender })
    })
    .as_ref()
}

/// Runs `work` on the pool; `Busy` when its queue is full.
async fn on_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    let pool = pool().ok_or_else(|| PasswordError::Hash("no hashing thread could start".into()))?;
    pool.sender.try_send(job).map_err(|error| match error {
        std::sync::mpsc::TrySendError::Full(_) => PasswordError::Busy,
        std::sync::mpsc::TrySendError::Disconnected(_) => {
            PasswordError::Hash("the hashing threads are gone".into())
        }
    })?;
    answer
        .await
        .map_err(|_| PasswordError::Hash("a hashing thread stopped".into()))
}

pub async fn hash_async(password: String) -> Result<String, PasswordError> {
    on_pool(move || hash(&password)).await?
}

/// Whether the password matches; `Busy` when too many are being checked.
pub async fn verify_async(
    password: String,
    stored_hash: Option<String>,
) -> Result<bool, PasswordError> {
    on_pool(move || verify(&password, stored_hash.as_deref())).await
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

    #[tokio::test]
    async fn a_flood_past_the_queue_is_refused_as_busy_not_queued() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let capacity = threads * (QUEUED_PER_THREAD_MAX + 1);
        let checks = (0..capacity * 3)
            .map(|_| tokio::spawn(verify_async("a wrong password".into(), None)))
            .collect::<Vec<_>>();
        let mut busy = 0;
        for check in checks {
            match check.await.unwrap() {
                Ok(matched) => assert!(!matched),
                Err(PasswordError::Busy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert!(
            busy >= capacity,
            "{busy} of {} refused as busy",
            capacity * 3
        );
    }
}
