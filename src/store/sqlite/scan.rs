//! SQLite: the scan ([`crate::store::JournalStore::scan_since`]: verification
//! and the read models' rebuild) stepping through the file's rows on this
//! thread, through a connection of its own.
//!
//! Why not sqlx: its SQLite driver copies every row to the calling task over
//! a channel, so many-row answers used to travel as JSON texts built on the
//! database thread and decoded here. For a province's `verify --full`,
//! building those texts alone took SQLite 0.37–0.44 s, where stepping
//! through the same rows takes 0.13 s; reading in place took `bench verify`
//! from 0.97–1.08 s to 0.67–0.78 s (README → Performance, fourteenth
//! session).
//!
//! Everything is read in one read transaction, as before: one snapshot, so
//! entries appended meanwhile are simply not seen, and the read models are
//! compared with exactly the journal read.

use super::direct::each_row;
use crate::store::rows;
use crate::store::{sql, JournalSink, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// The scan's page cache: it reads each page once, front to back.
const CACHE_KIB: u32 = 2 * 1024;

/// Scans the ledger in the file at `path` after entry `after_seq` and audit
/// event `after_audit_id` into `sink`; returns the stored hashes of those
/// two (`None` when there is no such row).
///
/// It blocks its thread for as long as it reads (a second for a province):
/// on a multi-threaded runtime the runtime's other tasks are moved off it
/// first.
pub fn scan(
    path: &Path,
    after_seq: i64,
    after_audit_id: i64,
    sink: &mut dyn JournalSink,
) -> StoreResult<(Option<String>, Option<String>)> {
    let read = || -> StoreResult<_> {
        let mut conn = open(path)?;
        // Deferred: the snapshot is taken at the first read.
        let tx = conn.transaction()?;
        let reached = scan_in(&tx, after_seq, after_audit_id, sink)?;
        tx.commit()?;
        Ok(reached)
    };
    super::direct::blocking(read)
}

fn open(path: &Path) -> StoreResult<Connection> {
    // Read-write without create, so that the WAL's shared memory can be
    // set up whatever the file's state; `query_only` refuses any write.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Only a WAL recovery holds a lock against readers.
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    // Through the page cache, not the memory map, whose pages would stay
    // resident and count in the process's memory (a province: 40 MiB).
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))?;
    Ok(conn)
}

fn scan_in(
    conn: &Connection,
    after_seq: i64,
    after_audit_id: i64,
    sink: &mut dyn JournalSink,
) -> StoreResult<(Option<String>, Option<String>)> {
    let mut laps = crate::telemetry::Laps::start("verify scan");
    let reached = (
        stored_hash(conn, sql::ENTRY_HASH, after_seq)?,
        stored_hash(conn, sql::AUDIT_HASH, after_audit_id)?,
    );
    let mut committed = Vec::new();
    if sink.wants_evidence() {
        each_row(conn, sql::SCAN_IMPORT_COMMITS, &[&after_seq], |row| {
            let commit = rows::import_commit_from_row(row)?;
            committed.push(commit.import_id);
            sink.import_commit(commit);
            Ok(())
        })?;
    }
    each_row(conn, &sql::scan_entries(), &[&after_seq], |row| {
        sink.header(rows::header_from_row(row)?);
        Ok(())
    })?;
    each_row(conn, sql::SCAN_TOTALS, &[&after_seq], |row| {
        let (entry_seq, account, total) = rows::total_from_row(row)?;
        sink.total(entry_seq, account, total);
        Ok(())
    })?;
    laps.lap("headers and totals");
    // Those of entries missing from the journal too: the verifier must see them.
    let postings = format!(
        "SELECT {} FROM postings WHERE entry_seq > $1 ORDER BY entry_seq, idx",
        sql::POSTING_COLUMNS
    );
    each_row(conn, &postings, &[&after_seq], |row| {
        sink.posting(rows::posting_from_row(row)?);
        Ok(())
    })?;
    laps.lap("postings");
    if sink.wants_evidence() {
        for import_id in committed {
            // A commit without its import cannot be stored (foreign key);
            // the verifier reports a commit whose evidence never came.
            each_row(conn, sql::IMPORT_EVIDENCE, &[&import_id], |row| {
                sink.import_evidence(rows::evidence_from_row(row)?);
                Ok(())
            })?;
        }
        each_row(conn, sql::SCAN_AUDIT, &[&after_audit_id], |row| {
            sink.audit_event(rows::chained_audit_from_row(row)?);
            Ok(())
        })?;
        laps.lap("evidence");
    }
    if sink.wants_read_models() {
        each_row(conn, &sql::all_person_records(), &[], |row| {
            sink.person_record(rows::person_record_from_row(row)?);
            Ok(())
        })?;
        each_row(conn, &sql::all_scope_totals(), &[], |row| {
            sink.scope_total(rows::scope_total_from_row(row)?);
            Ok(())
        })?;
        laps.lap("read models");
    }
    Ok(reached)
}

/// The `hash` that `query` finds for `key`, if a row has one.
fn stored_hash(conn: &Connection, query: &str, key: i64) -> StoreResult<Option<String>> {
    let mut found = None;
    each_row(conn, query, &[&key], |row| {
        found = row.get("hash")?;
        Ok(())
    })?;
    Ok(found)
}
