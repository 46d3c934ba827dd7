//! Settings from flags and the environment.

/// The embedded default: `ansinh.db` in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ansinh.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Database URL from the flag, else `ANSINH_DATABASE_URL`, else the default
/// (clap reads the environment variable into the flag).
pub fn database_url(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
}

/// Credentials for CLI writes: `--user`/`ANSINH_USER` and `ANSINH_PASSWORD`
/// (or a prompt when a terminal is attached).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Credentials {
    pub fn from_env(username: Option<String>) -> Credentials {
        Credentials {
            username,
            password: std::env::var("ANSINH_PASSWORD").ok(),
        }
    }
}
