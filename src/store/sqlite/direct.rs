//! SQLite through rusqlite, where the scan and the appends use it: work run
//! on this thread, `$1`, `$2`, … bound by name, rows stepped where they lie.

use crate::store::StoreResult;
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row, Statement};

/// Runs `work`, which blocks its thread on SQLite, on this thread: on a
/// multi-threaded runtime its other tasks are moved off it first; on a
/// current-thread runtime (tests, one-shot commands) it simply runs.
pub(super) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    let on_worker = tokio::runtime::Handle::try_current().is_ok_and(|runtime| {
        runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
    });
    if on_worker {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// Binds `values` to the parameters `$1`, `$2`, … of `statement` by name:
/// SQLite numbers named parameters in the order they first appear, not by
/// their digits, and a query may name one twice.
fn bind_numbered(statement: &mut Statement<'_>, values: &[&dyn ToSql]) -> StoreResult<()> {
    debug_assert!(statement.parameter_count() <= values.len());
    for (position, value) in values.iter().enumerate() {
        if let Some(index) = statement.parameter_index(&format!("${}", position + 1))? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

/// Runs `query` with `values` and hands each row to `each`, in order.
pub(super) fn each_row(
    conn: &Connection,
    query: &str,
    values: &[&dyn ToSql],
    mut each: impl FnMut(&Row<'_>) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut statement = conn.prepare_cached(query)?;
    bind_numbered(&mut statement, values)?;
    let mut found = statement.raw_query();
    while let Some(row) = found.next()? {
        each(row)?;
    }
    Ok(())
}

/// Every row of `query` with `values`, mapped.
pub(super) fn all<T>(
    conn: &Connection,
    query: &str,
    values: &[&dyn ToSql],
    mut map: impl FnMut(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut mapped = Vec::new();
    each_row(conn, query, values, |row| {
        mapped.push(map(row)?);
        Ok(())
    })?;
    Ok(mapped)
}

/// The first row of `query` with `values`, mapped, if there is one.
pub(super) fn first<T>(
    conn: &Connection,
    query: &str,
    values: &[&dyn ToSql],
    map: impl FnOnce(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut statement = conn.prepare_cached(query)?;
    bind_numbered(&mut statement, values)?;
    let mut found = statement.raw_query();
    found.next()?.map(map).transpose()
}

/// Runs `query`, which returns no rows, with `values`.
pub(super) fn execute(conn: &Connection, query: &str, values: &[&dyn ToSql]) -> StoreResult<()> {
    let mut statement = conn.prepare_cached(query)?;
    bind_numbered(&mut statement, values)?;
    statement.raw_execute()?;
    Ok(())
}
