//! The ledger: the rules of the journal over the store. Pure parts
//! (canonical encoding and hash chain, per-entry totals and balance rules,
//! posting rules of each business event, the verifier) do no I/O; the
//! append algorithm and verification runs read and write through a
//! `&dyn Store`. The use cases built on it (reports and exports, program
//! definitions, reversals, imports, reconciliation) live above it.
//! Entries, postings and checkpoints themselves are domain values
//! (`crate::domain::journal`).

mod account_memo;
pub mod append;
pub mod canonical;
mod evidence;
mod people_check;
mod person_key;
pub mod read_model;
pub mod rules;
pub mod totals;
pub mod verify;

pub use append::{append, append_prepared, AppendError, Batch, ImportCommit, ReadAt};
pub use verify::VerifyReport;
