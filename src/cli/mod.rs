//! The command line: a contract others script against. One module per command.
//! Exit status: 0 success (also when the reader of the output closed the
//! pipe early); 1 refused input, a dry run that would be refused, a refused
//! login or failed verification; 2 usage.

mod backup;
mod bench;
mod bench_http;
mod bench_mixed;
mod bench_national;
pub mod demo;
mod export;
mod import;
mod national;
mod program;
mod reconcile;
mod report;
mod reverse;
mod serve;
mod user;
mod verify;

use crate::auth::{self, Action};
use crate::config::{self, Credentials};
use crate::domain::User;
use crate::ledger::AppendError;
use crate::store::{self, Store};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "ansinh",
    version,
    about = "Audited ledger for social-support disbursement"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE (default ansinh.db) or postgres://…
    #[arg(long, env = "ANSINH_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// A PostgreSQL hot standby of the database, for reads it can serve
    /// (reports, reconciliation pages, the journal); the rest read the primary.
    #[arg(long, env = "ANSINH_READ_DATABASE_URL", global = true)]
    read_database_url: Option<String>,
    /// A province's ledger in the database (its two-digit code, 84 for Trà
    /// Vinh), created if new; without it, the database's own ledger.
    #[arg(long, env = "ANSINH_LEDGER", global = true, value_parser = crate::domain::LedgerCode::parse)]
    ledger: Option<crate::domain::LedgerCode>,
    /// User that CLI writes run as (password from ANSINH_PASSWORD or a prompt).
    #[arg(long, env = "ANSINH_USER", global = true)]
    user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and web pages.
    Serve(serve::Args),
    /// Build the Trà Vinh demo province through the real import pipeline, then serve.
    Demo(demo::Args),
    /// Write the demo's rolls and manifest to a directory (used by demo and bench).
    #[command(hide = true)]
    GenerateDemo {
        #[arg(long, value_enum, default_value_t)]
        scale: crate::demo::Scale,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Benchmarks that print figures (import, report, verify).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Apply database migrations (also done on every start).
    Migrate,
    /// Rebuild the read models (reconciliation's per-person rows and
    /// totals) from the journal; done on start after an upgrade.
    RebuildReadModels,
    /// Manage users.
    #[command(subcommand)]
    User(user::Command),
    /// Define programs.
    #[command(subcommand)]
    Program(program::Command),
    /// Import a district's approval or payment roll.
    Import(import::Args),
    /// Reconcile payments against approvals.
    Reconcile(reconcile::Args),
    /// Totals as of a date, pinned to a checkpoint if asked.
    Report(report::Args),
    /// Every provincial ledger of the database summed, with the national checkpoint.
    NationalReport(national::Args),
    /// Recompute the hash chain and every balance.
    Verify(verify::Args),
    /// Export the journal for hledger/ledger-cli, Beancount or spreadsheets.
    Export(export::Args),
    /// Correct an entry by a reversing entry.
    Reverse(reverse::Args),
    /// Write a consistent copy of the ledger while it is in use.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty database, verify it, print its head.
    Restore(backup::RestoreArgs),
}

/// Whether the command may create the `--ledger` it names: `migrate` and
/// the first writes do; a read of a ledger that does not exist is refused,
/// so that a mistyped code leaves nothing behind.
fn creates_ledger(command: &Command) -> bool {
    matches!(
        command,
        Command::Migrate
            | Command::Demo(_)
            | Command::Restore(_)
            | Command::Import(_)
            | Command::User(user::Command::Add { .. })
            | Command::Program(program::Command::Add { .. })
    )
}

/// Why a command failed, and which exit status that means.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Refused input or failed verification: exit 1.
    #[error("{0}")]
    Refused(String),
    /// Wrong use of the command line: exit 2.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl From<auth::Forbidden> for CliError {
    fn from(error: auth::Forbidden) -> CliError {
        CliError::Refused(error.0)
    }
}

impl From<auth::LoginError> for CliError {
    fn from(error: auth::LoginError) -> CliError {
        match error {
            auth::LoginError::BadCredentials | auth::LoginError::Busy => {
                CliError::Refused(error.to_string())
            }
            auth::LoginError::Store(e) => CliError::Store(e),
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// What every command gets: the store and the credentials to act with.
pub struct Context {
    pub store: Arc<dyn Store>,
    pub database_url: String,
    pub credentials: Credentials,
}

impl Context {
    /// Logs in as `--user` for a write or a read that needs a role.
    pub async fn user(&self) -> CliResult<User> {
        let Some(username) = self.credentials.username.clone() else {
            return Err(self.no_user().await);
        };
        let password = match &self.credentials.password {
            Some(password) => password.clone(),
            None => rpassword::prompt_password(format!("Password for {username}: "))
                .map_err(|e| CliError::Usage(format!("no password: set ANSINH_PASSWORD ({e})")))?,
        };
        Ok(auth::login(self.store.as_ref(), &username, &password, "cli").await?)
    }

    /// Why a command that runs as a user has none, and what to do: a
    /// database that already has users (the demo's, say) is named.
    async fn no_user(&self) -> CliError {
        let mut message = String::from(
            "lệnh này chạy dưới tên một người dùng: thêm --user U hoặc đặt ANSINH_USER / \
             this command runs as a user: pass --user U or set ANSINH_USER",
        );
        if let Ok(users) = self.store.user_count().await {
            if users > 0 {
                message.push_str(&format!(
                    ". Cơ sở dữ liệu {url} đã có {users} người dùng (tài khoản của bản dùng thử do `ansinh demo` in ra); \
                     muốn bắt đầu từ đầu như ví dụ trong README, hãy chạy trong thư mục khác hoặc thêm --database-url sqlite://moi.db / \
                     the database {url} already has {users} users (`ansinh demo` prints the demo's logins); \
                     to start afresh as in the README's worked example, run in another directory or pass --database-url sqlite://new.db",
                    url = self.database_url
                ));
            }
        }
        CliError::Usage(message)
    }

    /// Logs in and checks the action in one step.
    pub async fn authorized(&self, action: Action<'_>) -> CliResult<User> {
        let user = self.user().await?;
        auth::authorize(&user, action)?;
        Ok(user)
    }
}

/// Writes a command's answer to standard output. A reader that closed the
/// pipe (`ansinh reconcile … | head`) ends the command quietly (see [`run`]).
pub fn print_out(text: &str) -> CliResult {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Whether an error is the reader of standard output having gone away.
fn is_closed_pipe(error: &CliError) -> bool {
    matches!(error, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
}

pub async fn run(cli: Cli) -> ExitCode {
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // The reader took what it wanted (`| head`): not a failure.
        Err(error) if is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            match error {
                CliError::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

async fn execute(cli: Cli) -> CliResult {
    // These need no database of their own: do not open or create one.
    match cli.command {
        Command::GenerateDemo { scale, out } => {
            std::fs::create_dir_all(&out)?;
            return demo::generate_to(scale, &out);
        }
        Command::Bench(bench::BenchCommand::Import {
            scale,
            postgres_url,
        }) => {
            return bench::import(scale, postgres_url).await;
        }
        Command::Bench(bench::BenchCommand::National {
            provinces,
            scale,
            parallel,
            keep,
            postgres_url,
        }) => {
            let server = postgres_url.ok_or_else(|| {
                CliError::Usage(
                    "bench national runs on PostgreSQL: pass --postgres-url or set ANSINH_TEST_POSTGRES_URL"
                        .into(),
                )
            })?;
            let national = bench_national::National {
                provinces,
                scale,
                parallel,
                keep,
                server,
            };
            return bench_national::run(national).await;
        }
        _ => {}
    }
    let database_url = config::database_url(cli.database_url.as_deref());
    let options = store::OpenOptions {
        ledger: cli.ledger.clone(),
        replica_url: cli.read_database_url.clone(),
        create_ledger: creates_ledger(&cli.command),
        ..store::OpenOptions::default()
    };
    if let Command::Demo(_) = cli.command {
        demo::check_ledger(cli.ledger.as_ref())?;
    }
    // Reads the provincial ledgers, not the database's own.
    if let Command::NationalReport(args) = cli.command {
        return national::run(&database_url, args).await;
    }
    // A restore writes into a database (or ledger) that must stay empty until then.
    if let Command::Restore(args) = cli.command {
        return backup::restore(&database_url, &options, args).await;
    }
    let store = store::open_with(&database_url, &options).await?;
    crate::ledger::read_model::ensure_built(store.as_ref()).await?;
    let context = Context {
        store,
        database_url,
        credentials: Credentials::from_env(cli.user),
    };
    match cli.command {
        Command::Serve(args) => serve::run(&context, args).await,
        Command::Demo(args) => demo::run(&context, args).await,
        Command::Bench(command) => bench::run(&context, command).await,
        Command::GenerateDemo { .. } => Ok(()),
        Command::Migrate => {
            println!("migrations applied to {}", context.store.backend_name());
            Ok(())
        }
        Command::RebuildReadModels => {
            let started = std::time::Instant::now();
            let people = crate::ledger::read_model::rebuild(context.store.as_ref()).await?;
            println!(
                "số liệu đối chiếu đã dựng lại: {people} người / read models rebuilt from the journal: {people} people in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Command::User(command) => user::run(&context, command).await,
        Command::Program(command) => program::run(&context, command).await,
        Command::Import(args) => import::run(&context, args).await,
        Command::Reconcile(args) => reconcile::run(&context, args).await,
        Command::Report(args) => report::run(&context, args).await,
        Command::Verify(args) => verify::run(&context, args).await,
        Command::Export(args) => export::run(&context, args).await,
        Command::Reverse(args) => reverse::run(&context, args).await,
        Command::Backup(args) => backup::back_up(&context, args).await,
        Command::Restore(_) | Command::NationalReport(_) => Ok(()),
    }
}
