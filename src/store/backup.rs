//! Backups of a ledger in use, and their restoration into an empty database.
//!
//! A backup is one consistent snapshot: SQLite's `VACUUM INTO` (the pages
//! of one read transaction, WAL included) or PostgreSQL's `pg_dump` (one
//! repeatable-read snapshot, custom format). A restore writes into a target
//! that holds nothing yet, so that no ledger is ever overwritten; the caller
//! then opens and verifies it.

use super::{is_postgres_url, StoreError, StoreResult};
use std::path::Path;

/// A backup never replaces a file: an earlier backup is evidence too.
pub(crate) fn refuse_existing(file: &Path) -> StoreResult<()> {
    if file.exists() {
        return Err(StoreError::Backup(format!(
            "tệp {0} đã tồn tại: hãy chọn tên khác, bản sao lưu cũ không bao giờ bị ghi đè / {0} already exists: choose a new file name, an earlier backup is never overwritten",
            file.display()
        )));
    }
    Ok(())
}

/// Runs a PostgreSQL client tool to completion; its error output becomes the
/// error when it fails.
pub(crate) async fn run_tool(program: &'static str, args: &[&str]) -> StoreResult<()> {
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program).args(&args).output()
    })
    .await
    .map_err(|e| StoreError::Backup(format!("{program} did not finish: {e}")))?
    .map_err(|e| {
        StoreError::Backup(format!(
            "không chạy được {program} ({e}): hãy cài công cụ khách PostgreSQL / {program} could not be started ({e}): install the PostgreSQL client tools"
        ))
    })?;
    if !output.status.success() {
        return Err(StoreError::Backup(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Writes the backup `file` into the database `url` names, which must be
/// empty: a SQLite file that does not exist yet (or is empty), a PostgreSQL
/// database without tables.
pub async fn restore(file: &Path, url: &str) -> StoreResult<()> {
    if !file.is_file() {
        return Err(StoreError::Backup(format!(
            "không có tệp sao lưu {0} / {0}: no such backup file",
            file.display()
        )));
    }
    if is_postgres_url(url) {
        refuse_nonempty_postgres(url).await?;
        let file_arg = file.display().to_string();
        let dbname = format!("--dbname={url}");
        run_tool(
            "pg_restore",
            &[
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                &dbname,
                &file_arg,
            ],
        )
        .await?;
        // A restored database has no planner statistics yet: the first
        // verification would otherwise scan as if every table were empty.
        return analyze_postgres(url).await;
    }
    let target = sqlite_path(url)?;
    if std::fs::metadata(target).is_ok_and(|meta| meta.len() > 0) {
        return Err(StoreError::Backup(format!(
            "tệp đích {target} đã có dữ liệu: hãy khôi phục vào tệp mới / {target} already holds a database: restore into a new file"
        )));
    }
    let (from, to) = (file.to_path_buf(), target.to_string());
    tokio::task::spawn_blocking(move || std::fs::copy(&from, &to))
        .await
        .map_err(|e| StoreError::Backup(format!("copying the backup did not finish: {e}")))?
        .map_err(|e| StoreError::Backup(format!("copying {} to {target}: {e}", file.display())))?;
    Ok(())
}

fn sqlite_path(url: &str) -> StoreResult<&str> {
    match url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Some(path) => Ok(path),
        None if !url.contains("://") => Ok(url),
        None => Err(StoreError::UnsupportedUrl(url.to_string())),
    }
}

async fn analyze_postgres(url: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn refuse_nonempty_postgres(url: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    if tables > 0 {
        return Err(StoreError::Backup(format!(
            "cơ sở dữ liệu đích đã có {tables} bảng: hãy khôi phục vào cơ sở dữ liệu trống (createdb) / the target database already has {tables} tables: restore into an empty database (createdb)"
        )));
    }
    Ok(())
}
