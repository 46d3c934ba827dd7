//! Test support: real databases for every test, and the app on a loopback
//! port. SQLite in a temp dir always; PostgreSQL when ANSINH_TEST_POSTGRES_URL
//! names a server (a fresh database is created per test and dropped
//! afterwards). The harness (`harness.rs`) runs each database test once per
//! backend and reports the PostgreSQL ones as ignored when no server is named.

pub mod browser;
pub mod harness;
pub mod ods;
pub mod xlsx;

use harness::Backend;

use ansinh::store::{self, Store};
use sqlx::Connection;
use std::sync::Arc;

/// The variable that names a PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "ANSINH_TEST_POSTGRES_URL";

/// The PostgreSQL server the tests may create databases on, if one is named.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())
}

/// The variables that name a primary and its hot standby (the read-replica test).
pub const PRIMARY_ENV: &str = "ANSINH_TEST_POSTGRES_PRIMARY_URL";
pub const REPLICA_ENV: &str = "ANSINH_TEST_POSTGRES_REPLICA_URL";

/// (primary server, hot standby server), when both are named.
pub fn replica_pair() -> Option<(String, String)> {
    let named = |name| std::env::var(name).ok().filter(|url| !url.is_empty());
    Some((named(PRIMARY_ENV)?, named(REPLICA_ENV)?))
}

pub struct TestDb {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, migrated database on `backend`.
    pub async fn open(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ansinh.db");
        let url = format!("sqlite://{}", path.display());
        let store = store::open(&url).await.expect("open sqlite");
        TestDb {
            url,
            store,
            backend: "sqlite",
            _dir: Some(dir),
            pg_admin: None,
        }
    }

    /// A fresh database on the configured server. The harness runs
    /// PostgreSQL tests only when one is configured (and ignores them otherwise).
    pub async fn postgres() -> TestDb {
        let server = postgres_server()
            .unwrap_or_else(|| panic!("{POSTGRES_ENV} is not set: the harness ignores this test"));
        TestDb::postgres_on(server).await
    }

    /// A fresh database on the PostgreSQL server at `server`.
    pub async fn postgres_on(server: String) -> TestDb {
        let name = create_database(&server).await;
        let url = database_url(&server, &name);
        let store = store::open(&url).await.expect("open postgres");
        TestDb {
            url,
            store,
            backend: "postgres",
            _dir: None,
            pg_admin: Some((server, name)),
        }
    }

    /// Province `code`'s ledger in this test's database (its schema, or its
    /// file beside this one), created if new and dropped with the database.
    /// Its `url` is the database's: raw SQL through it reads the database's
    /// own ledger, not this one.
    pub async fn ledger(&self, code: &str) -> TestDb {
        let options = store::OpenOptions {
            ledger: Some(ansinh::domain::LedgerCode::parse(code).expect("a province code")),
            create_ledger: true,
            ..store::OpenOptions::default()
        };
        let store = store::open_with(&self.url, &options)
            .await
            .expect("open a ledger");
        TestDb {
            url: self.url.clone(),
            store,
            backend: self.backend,
            _dir: None,
            pg_admin: None,
        }
    }

    /// Runs raw SQL behind the store's back (tampering tests).
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        raw_sql(self.backend, &self.url, sql).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg_admin.take() {
            // Dropping needs its own runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&server).await.ok()?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

async fn raw_sql(backend: &str, url: &str, sql: &str) -> Result<u64, sqlx::Error> {
    if backend == "postgres" {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        Ok(sqlx::raw_sql(sql).execute(&mut conn).await?.rows_affected())
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        Ok(sqlx::raw_sql(sql).execute(&mut conn).await?.rows_affected())
    }
}

/// Creates a database with a fresh name on `server`; returns the name.
async fn create_database(server: &str) -> String {
    let name = format!("ansinh_test_{}", rand_suffix());
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    name
}

pub fn database_url(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server, String::new()),
    };
    let base = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    format!("{base}/{name}{query}")
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    // Tests of one binary run in parallel: a counter keeps their names apart,
    // the process id and time keep apart binaries and earlier runs.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}_{n}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// Starts the app on a loopback port (port 0: the system picks a free one)
/// and returns its base URL. The app is `ansinh::http::app`, the one
/// `ansinh serve` and `ansinh bench http` serve; it runs until the test's
/// runtime ends.
pub async fn start_app(db: &TestDb) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let state = ansinh::http::AppState::for_database(db.store.clone(), &db.url);
    let app = ansinh::http::app(state);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}")
}

/// Adds a user with a given password hash (tests hash once: argon2 is slow in debug).
pub async fn add_user(
    db: &TestDb,
    username: &str,
    role: ansinh::domain::Role,
    district: Option<&str>,
    password_hash: &str,
) -> ansinh::domain::User {
    use ansinh::domain::NewUser;
    use ansinh::store::{now_us, AuditEvent};
    let audit = AuditEvent {
        at_us: now_us(),
        actor: "test".into(),
        action: "user.add".into(),
        outcome: "ok".into(),
        detail: String::new(),
    };
    let user = NewUser {
        username: username.into(),
        role,
        district: district.map(str::to_string),
        password_hash: password_hash.into(),
    };
    db.store.add_user(user, audit).await.expect("add user")
}

pub mod province {
    //! A small province for import tests: the example program and one user per role.
    use super::TestDb;
    use ansinh::domain::{Role, User};

    pub struct Users {
        pub provincial: User,
        pub officer842: User,
        pub officer844: User,
        pub auditor: User,
    }

    pub const EXAMPLE_PROGRAM: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/imports/programs/nq68-example.toml"
    ));

    /// A fixed hash nobody logs in with: these users act through the library.
    const UNUSED_HASH: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$0000000000000000000000000000000000000000000";

    async fn add(db: &TestDb, username: &str, role: Role, district: Option<&str>) -> User {
        super::add_user(db, username, role, district, UNUSED_HASH).await
    }

    /// Another district's officer, `huyen{district}`.
    pub async fn add_officer(db: &TestDb, district: &str) -> User {
        add(
            db,
            &format!("huyen{district}"),
            Role::District,
            Some(district),
        )
        .await
    }

    /// The example program (budgets of 50 tỷ per district) and users.
    pub async fn setup(db: &TestDb) -> Users {
        let provincial = add(db, "tinh", Role::Provincial, None).await;
        ansinh::programs::add(db.store.as_ref(), "tinh", EXAMPLE_PROGRAM)
            .await
            .expect("program");
        Users {
            provincial,
            officer842: add(db, "huyen842", Role::District, Some("842")).await,
            officer844: add(db, "huyen844", Role::District, Some("844")).await,
            auditor: add(db, "kiemtoan", Role::Auditor, None).await,
        }
    }
}

/// The first column of every row `sql` returns, as integers.
pub async fn query_i64(db: &TestDb, sql: &str) -> Vec<i64> {
    use sqlx::Connection;
    if db.backend == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_scalar(sql)
            .fetch_all(&mut conn)
            .await
            .expect(sql)
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_all(&mut conn)
            .await
            .expect(sql)
    }
}

/// A database migrated only up to a given migration, with no store open:
/// for tests that upgrade data written under an earlier schema.
pub struct EarlierSchema {
    pub url: String,
    pub backend: &'static str,
    dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl EarlierSchema {
    /// A database on `backend` with the migrations up to `version` applied.
    pub async fn new(backend: Backend, version: i64) -> EarlierSchema {
        let schema = EarlierSchema::empty(backend).await;
        let migrator = migrations_up_to(schema.backend, version).await;
        if schema.backend == "postgres" {
            let mut conn = sqlx::PgConnection::connect(&schema.url)
                .await
                .expect("connect");
            migrator
                .run_direct(&mut conn)
                .await
                .expect("early migrations");
        } else {
            let options =
                <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&schema.url)
                    .expect("url")
                    .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("create sqlite");
            migrator
                .run_direct(&mut conn)
                .await
                .expect("early migrations");
        }
        schema
    }

    /// A database with nothing in it yet (a SQLite file not yet created): a
    /// restore's target.
    pub async fn empty(backend: Backend) -> EarlierSchema {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("ansinh.db").display());
                EarlierSchema {
                    url,
                    backend: "sqlite",
                    dir: Some(dir),
                    pg_admin: None,
                }
            }
            Backend::Postgres => {
                let server = postgres_server().unwrap_or_else(|| {
                    panic!("{POSTGRES_ENV} is not set: the harness ignores this test")
                });
                let name = create_database(&server).await;
                EarlierSchema {
                    url: database_url(&server, &name),
                    backend: "postgres",
                    dir: None,
                    pg_admin: Some((server, name)),
                }
            }
        }
    }

    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        raw_sql(self.backend, &self.url, sql).await
    }

    /// Opens the store, which applies the remaining migrations, and
    /// rebuilds the read models as the CLI does on start.
    pub async fn open(mut self) -> TestDb {
        let store = store::open(&self.url).await.expect("open and upgrade");
        ansinh::ledger::read_model::ensure_built(store.as_ref())
            .await
            .expect("read models rebuilt");
        TestDb {
            url: self.url.clone(),
            store,
            backend: self.backend,
            _dir: self.dir.take(),
            pg_admin: self.pg_admin.take(),
        }
    }
}

/// The backend's migrations numbered up to `version`, read from a copy of the
/// directory that holds only those files.
async fn migrations_up_to(backend: &str, version: i64) -> sqlx::migrate::Migrator {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let copy = tempfile::tempdir().expect("temp dir");
    for file in std::fs::read_dir(&source).expect("migrations") {
        let path = file.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let number: i64 = name
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(i64::MAX);
        if number <= version {
            std::fs::copy(&path, copy.path().join(name)).expect("copy migration");
        }
    }
    sqlx::migrate::Migrator::new(copy.path())
        .await
        .expect("read migrations")
}
