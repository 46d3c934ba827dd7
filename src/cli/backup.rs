//! `ansinh backup FILE` and `ansinh restore FILE`: a consistent copy of the
//! ledger taken while it is in use, and its restoration into an empty
//! database, verified before it is called restored.

use super::{CliResult, Context};
use crate::ledger::verify;
use crate::store;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The backup file to write; it must not exist (SQLite: a database file;
    /// PostgreSQL: a `pg_dump` custom-format archive).
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file to restore into the (empty) database of --database-url.
    file: PathBuf,
}

pub async fn back_up(context: &Context, args: BackupArgs) -> CliResult {
    let started = std::time::Instant::now();
    context.store.back_up(&args.file).await?;
    let bytes = std::fs::metadata(&args.file)?.len();
    println!(
        "đã sao lưu / backup written: {} ({bytes} bytes, {} ms); check it with `ansinh --database-url <empty database> restore {}`",
        args.file.display(),
        started.elapsed().as_millis(),
        args.file.display()
    );
    Ok(())
}

/// Restores, then opens and verifies the restored ledger: exit 1 if it does
/// not verify.
pub async fn restore(
    database_url: &str,
    options: &store::OpenOptions,
    args: RestoreArgs,
) -> CliResult {
    store::backup::restore_ledger(&args.file, database_url, options.ledger.as_ref()).await?;
    let restored = store::open_with(database_url, options).await?;
    let report = verify::run_recorded(restored.as_ref()).await?;
    let head = super::verify::verified_head(&report)?;
    println!(
        "đã khôi phục và kiểm tra / restored and verified into {}: {} entries, {} imports, {} audit events; head {head}",
        restored.backend_name(),
        report.entries,
        report.imports,
        report.audit_events
    );
    Ok(())
}
