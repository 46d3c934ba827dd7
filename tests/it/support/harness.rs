//! The harness: every test is a [`libtest_mimic::Trial`], so `cargo test`
//! prints, filters (`cargo test conformance::postgres`), lists (`-- --list`)
//! and sums up as libtest does. A module lists its tests in its `register`
//! function with `register!` (see `main.rs`); a test fn left out is dead code,
//! which `main.rs` denies, so forgetting one fails the build.
//!
//! A database test is one `async fn name(db: TestDb)` (or `(backend:
//! Backend)`) run as two trials, `module::sqlite::name` and
//! `module::postgres::name`. A trial whose PostgreSQL server or external tool
//! is missing is reported as `ignored (reason)`, never as passed.

use super::{postgres_server, TestDb, POSTGRES_ENV};
use libtest_mimic::{Completion, Failed, Trial};
use std::future::Future;
use std::process::Command;

/// The database a per-backend test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// What running on this backend needs from the machine.
    fn needs(self) -> Option<Needs> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Needs::Postgres),
        }
    }
}

/// The tokio runtime a test runs on, as `#[tokio::test(flavor = …)]` chose.
#[derive(Clone, Copy, Debug)]
pub enum Runtime {
    CurrentThread,
    /// `workers: None` is tokio's default (one per core).
    MultiThread {
        workers: Option<usize>,
    },
}

impl Runtime {
    fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Runtime::MultiThread { workers } => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                if let Some(workers) = workers {
                    builder.worker_threads(workers);
                }
                builder.enable_all().build()
            }
        }
    }
}

/// Something a test needs from the machine; without it the test is ignored.
#[derive(Clone, Copy, Debug)]
pub enum Needs {
    /// A server named by ANSINH_TEST_POSTGRES_URL.
    Postgres,
    /// A program on the PATH that answers `--version`.
    Tool(&'static str),
    /// A primary and its hot standby, named by ANSINH_TEST_POSTGRES_PRIMARY_URL
    /// and ANSINH_TEST_POSTGRES_REPLICA_URL (`scripts/pg-replica-pair.sh start`).
    ReplicaPair,
}

impl Needs {
    /// The reason to ignore the test, when the need is not met.
    fn unmet(self) -> Option<String> {
        match self {
            Needs::Postgres => postgres_server()
                .is_none()
                .then(|| format!("{POSTGRES_ENV} is not set")),
            Needs::Tool(program) => {
                (!installed(program)).then(|| format!("{program} not installed"))
            }
            Needs::ReplicaPair => super::replica_pair().is_none().then(|| {
                format!(
                    "{} and {} are not set (scripts/pg-replica-pair.sh start)",
                    super::PRIMARY_ENV,
                    super::REPLICA_ENV
                )
            }),
        }
    }
}

/// Whether `program --version` runs and succeeds.
pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What a per-backend test takes as its argument.
pub trait Fixture: Sized + 'static {
    fn open(backend: Backend) -> impl Future<Output = Self>;
}

impl Fixture for TestDb {
    fn open(backend: Backend) -> impl Future<Output = Self> {
        TestDb::open(backend)
    }
}

/// For tests that build their database themselves (e.g. under an earlier schema).
impl Fixture for Backend {
    async fn open(backend: Backend) -> Self {
        backend
    }
}

/// All registered trials. The methods are called by `register!`, with the
/// caller's `module_path!()` and the test fn's name.
#[derive(Default)]
pub struct Suite {
    trials: Vec<Trial>,
}

impl Suite {
    /// The trials in name order (as libtest runs them), checked to have
    /// distinct names.
    pub fn into_trials(mut self) -> Vec<Trial> {
        self.trials.sort_by(|a, b| a.name().cmp(b.name()));
        for pair in self.trials.windows(2) {
            assert_ne!(pair[0].name(), pair[1].name(), "a test is registered twice");
        }
        self.trials
    }

    /// A plain `#[test]`.
    pub fn test(&mut self, module: &str, name: &str, body: fn()) {
        self.push(test_name(module, None, name), &[], move || {
            body();
            Ok(())
        });
    }

    /// A benchmark: ignored unless asked for with `--ignored`, e.g.
    /// `cargo test --release --test it -- --ignored import_parse_bench`.
    pub fn benchmark(&mut self, module: &str, name: &str, body: fn()) {
        let trial = Trial::test(test_name(module, None, name), move || {
            body();
            Ok(())
        });
        self.trials.push(trial.with_ignored_flag(true));
    }

    /// `#[tokio::test]`.
    pub fn tokio<F, Fut>(&mut self, module: &str, name: &str, body: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.tokio_on(module, name, body, Runtime::CurrentThread);
    }

    /// `#[tokio::test(flavor = "multi_thread", …)]`.
    pub fn tokio_on<F, Fut>(&mut self, module: &str, name: &str, body: F, runtime: Runtime)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.push_async(test_name(module, None, name), &[], runtime, body);
    }

    /// `#[tokio::test]` that needs `need`; ignored, with the reason, without it.
    pub fn needs<F, Fut>(&mut self, module: &str, name: &str, body: F, need: Needs)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.push_async(
            test_name(module, None, name),
            &[need],
            Runtime::CurrentThread,
            body,
        );
    }

    /// One trial per backend: `module::sqlite::name`, `module::postgres::name`.
    pub fn each_backend<X, F, Fut>(&mut self, module: &str, name: &str, body: F)
    where
        X: Fixture,
        F: FnOnce(X) -> Fut + Copy + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.each_backend_on(module, name, body, Runtime::CurrentThread);
    }

    /// [`Suite::each_backend`] on a given runtime.
    pub fn each_backend_on<X, F, Fut>(
        &mut self,
        module: &str,
        name: &str,
        body: F,
        runtime: Runtime,
    ) where
        X: Fixture,
        F: FnOnce(X) -> Fut + Copy + Send + 'static,
        Fut: Future<Output = ()>,
    {
        for backend in Backend::ALL {
            self.on_backend(module, name, body, runtime, backend);
        }
    }

    /// A test that runs on SQLite only: `module::sqlite::name`.
    pub fn sqlite<X, F, Fut>(&mut self, module: &str, name: &str, body: F)
    where
        X: Fixture,
        F: FnOnce(X) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.on_backend(module, name, body, Runtime::CurrentThread, Backend::Sqlite);
    }

    fn on_backend<X, F, Fut>(
        &mut self,
        module: &str,
        name: &str,
        body: F,
        runtime: Runtime,
        backend: Backend,
    ) where
        X: Fixture,
        F: FnOnce(X) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let needs: Vec<Needs> = backend.needs().into_iter().collect();
        self.push_async(
            test_name(module, Some(backend), name),
            &needs,
            runtime,
            move || async move { body(X::open(backend).await).await },
        );
    }

    fn push_async<F, Fut>(&mut self, name: String, needs: &[Needs], runtime: Runtime, body: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        self.push(name, needs, move || {
            runtime.build()?.block_on(body());
            Ok(())
        });
    }

    /// A trial that checks its needs when it runs (so a filtered-out test
    /// costs nothing) and is ignored, with the reason, if one is unmet. It
    /// runs on a thread named after the test, so a panic message names the
    /// test as libtest's do (`thread 'conformance::postgres::…' panicked`).
    fn push<F>(&mut self, name: String, needs: &[Needs], run: F)
    where
        F: FnOnce() -> Result<(), Failed> + Send + 'static,
    {
        let needs = needs.to_vec();
        let thread_name = name.clone();
        self.trials.push(Trial::ignorable_test(name, move || {
            if let Some(reason) = needs.iter().find_map(|need| need.unmet()) {
                return Ok(Completion::ignored_with(reason));
            }
            let outcome = std::thread::Builder::new()
                .name(thread_name)
                .spawn(run)?
                .join()
                .unwrap_or_else(|panic| Err(panic_message(panic.as_ref()).into()));
            outcome.map(|()| Completion::Completed)
        }));
    }
}

/// What libtest prints for a panic: its message, when it has one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied());
    match message {
        Some(message) => format!("test panicked: {message}"),
        None => "test panicked".to_string(),
    }
}

/// `it::conformance` + `postgres` + `name` → `conformance::postgres::name`.
fn test_name(module: &str, backend: Option<Backend>, name: &str) -> String {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    match backend {
        Some(backend) => format!("{module}::{}::{name}", backend.name()),
        None => format!("{module}::{name}"),
    }
}
