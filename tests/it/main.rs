//! The integration tests: one binary (`cargo test` builds and runs it with
//! the unit tests), one module per area, shared support in `support/`, data
//! in `tests/fixtures/`. It runs on the libtest-mimic harness
//! (`harness = false` in Cargo.toml), which reads libtest's arguments and
//! prints libtest's output.
//!
//! Adding a test: write the fn in its module and add one line to the
//! module's `register!` list, by how it runs:
//! - `test: name` for `fn name()`; `tokio: name` for `async fn name()`;
//! - `each_backend: name` for `async fn name(db: TestDb)`: two tests,
//!   `module::sqlite::name` and `module::postgres::name`, the PostgreSQL one
//!   ignored (with its reason) when ANSINH_TEST_POSTGRES_URL is not set;
//! - `sqlite: name` for `async fn name(db: TestDb)` on SQLite only;
//! - `needs(Needs::Tool("hledger")): name` for `async fn name()` that needs a
//!   program (or `Needs::Postgres`): ignored, with the reason, without it;
//! - `tokio_on(runtime)` / `each_backend_on(runtime)` for a multi-thread runtime;
//!   `benchmark: name` for a `fn name()` run only with `--ignored`.
//!
//! A fn left off the list is never called: dead code, which this crate
//! denies, so the build fails instead of the test silently not running.
#![deny(dead_code)]

/// `register!(suite; how: test_fn, how(arg): test_fn, …)` calls
/// `suite.how(module_path!(), "test_fn", test_fn, arg)` for each entry, so a
/// test's name is always its fn's name.
macro_rules! register {
    ($suite:expr; $($how:ident $(($($arg:expr),*))? : $test:ident),* $(,)?) => {
        $( $suite.$how(module_path!(), stringify!($test), $test $($(, $arg)*)?); )*
    };
}

mod backup;
mod browser;
mod cli;
mod conformance;
mod crash_safety;
mod evidence;
mod excel_files;
mod export_tools;
mod first_contact;
mod http_api;
mod http_contract;
mod http_duties;
mod http_login;
mod http_session;
mod import_approvals;
mod import_parse_bench;
mod ledgers;
mod payments_reconcile;
mod read_models;
mod readme_example;
mod replica;
mod support;
mod upgrade;
mod workbooks;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let mut suite = support::harness::Suite::default();
    for register in [
        backup::register,
        browser::register,
        cli::register,
        conformance::register,
        crash_safety::register,
        evidence::register,
        excel_files::register,
        export_tools::register,
        first_contact::register,
        http_api::register,
        http_contract::register,
        http_login::register,
        http_session::register,
        http_duties::register,
        import_approvals::register,
        import_parse_bench::register,
        ledgers::register,
        payments_reconcile::register,
        read_models::register,
        readme_example::register,
        replica::register,
        upgrade::register,
        workbooks::register,
    ] {
        register(&mut suite);
    }
    libtest_mimic::run(&args, suite.into_trials()).exit_code()
}
