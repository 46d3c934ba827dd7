//! Backups of a ledger in use, and their restoration into an empty database.
//!
//! A backup is one consistent snapshot: SQLite's `VACUUM INTO` (the pages
//! of one read transaction, WAL included) or PostgreSQL's `pg_dump` (one
//! repeatable-read snapshot, custom format). It is written under a temporary
//! name, synced, readable by its owner only (it holds people's data and
//! password hashes), and only then linked under its name, which must be new:
//! a failed backup leaves nothing that looks like one, and none is ever
//! overwritten. A restore writes into a target that holds nothing yet; the
//! caller then opens and verifies it.

use super::{is_postgres_url, StoreError, StoreResult};
use crate::domain::LedgerCode;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A backup never replaces a file: an earlier backup is evidence too.
fn refuse_existing(file: &Path) -> StoreResult<()> {
    if file.exists() {
        return Err(StoreError::Backup(format!(
            "tệp {0} đã tồn tại: hãy chọn tên khác, bản sao lưu cũ không bao giờ bị ghi đè / {0} already exists: choose a new file name, an earlier backup is never overwritten",
            file.display()
        )));
    }
    Ok(())
}

fn io_error(what: &str, path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Backup(format!("{what} {}: {error}", path.display()))
}

/// A new file, readable and writable by its owner only.
fn create_private(path: &Path) -> StoreResult<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| io_error("creating", path, e))
}

/// Where a backup is written before it is complete: beside its final name.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(name)
}

/// Writes a backup through `write_to(partial path)`, then syncs it and links
/// it under `file` (failing if that name was taken meanwhile).
pub(crate) async fn write_new<F, Fut>(file: &Path, write_to: F) -> StoreResult<()>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = StoreResult<()>>,
{
    refuse_existing(file)?;
    let partial = partial_name(file);
    let written = write_to(partial.clone()).await.and_then(|()| {
        let synced = File::open(&partial).and_then(|f| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            f.sync_all()
        });
        synced.map_err(|e| io_error("syncing", &partial, e))?;
        // A hard link never replaces an existing file, unlike a rename.
        std::fs::hard_link(&partial, file).map_err(|e| io_error("naming", file, e))
    });
    let _ = std::fs::remove_file(&partial);
    written?;
    if let Some(directory) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(directory).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// A PostgreSQL URL without its password, and the password: the password
/// goes to client tools through `PGPASSWORD`, never on a command line that
/// `ps` shows.
pub(crate) fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let (authority, tail) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = credentials.split_once(':') else {
        return (url.to_string(), None);
    };
    let password = percent_decode(password);
    (format!("{scheme}://{user}@{host}{tail}"), Some(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a PostgreSQL client tool against `url` to completion, its standard
/// output into `stdout_to` if given; its error output becomes the error when
/// it fails.
pub(crate) async fn run_tool(
    program: &'static str,
    url: &str,
    args: &[&str],
    stdout_to: Option<&Path>,
) -> StoreResult<()> {
    let (url, password) = split_password(url);
    let mut command = std::process::Command::new(program);
    command.arg(format!("--dbname={url}")).args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    if let Some(path) = stdout_to {
        command.stdout(create_private(path)?);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
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
/// empty: a SQLite file that does not exist yet (nor its journal files), a
/// PostgreSQL database without tables.
pub async fn restore(file: &Path, url: &str) -> StoreResult<()> {
    restore_ledger(file, url, None).await
}

/// [`restore`] the backup of one ledger (taken with the same `--ledger`)
/// into a database that may hold others: the ledger's own schema or file
/// must not hold anything yet.
pub async fn restore_ledger(
    file: &Path,
    url: &str,
    ledger: Option<&LedgerCode>,
) -> StoreResult<()> {
    if !file.is_file() {
        return Err(StoreError::Backup(format!(
            "không có tệp sao lưu {0} / {0}: no such backup file",
            file.display()
        )));
    }
    if is_postgres_url(url) {
        refuse_nonempty_postgres(url, ledger).await?;
        let path = file.display().to_string();
        run_tool(
            "pg_restore",
            url,
            &[
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--",
                &path,
            ],
            None,
        )
        .await?;
        // A restored database has no planner statistics yet: the first
        // verification would otherwise scan as if every table were empty.
        return analyze_postgres(url).await;
    }
    let target = sqlite_file(url)?;
    let target = match ledger {
        Some(ledger) => {
            let path = target.to_string_lossy().into_owned();
            PathBuf::from(super::sqlite::ledger_file(&path, ledger))
        }
        None => target,
    };
    refuse_existing_sqlite(&target)?;
    let (from, to) = (file.to_path_buf(), target.clone());
    tokio::task::spawn_blocking(move || -> StoreResult<()> {
        let mut source = File::open(&from).map_err(|e| io_error("reading", &from, e))?;
        let mut copy = create_private(&to)?;
        std::io::copy(&mut source, &mut copy)
            .and_then(|_| copy.flush())
            .and_then(|()| copy.sync_all())
            .map_err(|e| io_error("writing", &to, e))
    })
    .await
    .map_err(|e| StoreError::Backup(format!("copying the backup did not finish: {e}")))?
}

/// The file a SQLite URL opens, as the store itself reads the URL.
fn sqlite_file(url: &str) -> StoreResult<PathBuf> {
    use std::str::FromStr;
    let url = if url.contains("://") || url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    };
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?;
    let target = options.get_filename().to_path_buf();
    if target.as_os_str().is_empty() || target.as_os_str() == ":memory:" {
        return Err(StoreError::Backup(
            "không thể khôi phục vào cơ sở dữ liệu trong bộ nhớ / cannot restore into an in-memory database".into(),
        ));
    }
    Ok(target)
}

/// Refuses a target file that holds anything already (a database, or
/// journal files SQLite would replay onto the restored one).
fn refuse_existing_sqlite(target: &Path) -> StoreResult<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 0) {
            return Err(StoreError::Backup(format!(
                "tệp đích {0} đã có dữ liệu: hãy khôi phục vào tệp mới / {0} already holds data: restore into a new file",
                path.display()
            )));
        }
    }
    // An empty file (a database opened but never written) is replaced.
    let _ = std::fs::remove_file(target);
    Ok(())
}

async fn analyze_postgres(url: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn refuse_nonempty_postgres(url: &str, ledger: Option<&LedgerCode>) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    // A ledger's restore needs only its own schema empty.
    let schema = ledger.map(LedgerCode::schema);
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
           AND ($1::text IS NULL OR table_schema = $1)",
    )
    .bind(schema)
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

#[cfg(test)]
mod tests {
    use super::split_password;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://ansinh:p%40ss@db:5432/tinh?sslmode=require"),
            (
                "postgres://ansinh@db:5432/tinh?sslmode=require".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/test"),
            ("postgres://postgres@127.0.0.1:5432/test".to_string(), None)
        );
    }
}
