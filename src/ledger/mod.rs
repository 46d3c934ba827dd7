//! The ledger: the rules of the journal over the store. Pure parts
//! (canonical encoding and hash chain, per-entry totals and balance rules,
//! posting rules of each business event, the verifier) do no I/O; the
//! append algorithm, verification runs, reports, exports, program
//! definitions and reversals read and write through `&dyn Store`.
//! Entries, postings and checkpoints themselves are domain values
//! (`crate::domain::journal`).

pub mod append;
pub mod canonical;
pub mod export;
pub mod programs;
pub mod report;
pub mod reverse;
pub mod rules;
pub mod totals;
pub mod verify;

pub use append::{append, AppendError, Batch, ImportCommit};
pub use verify::VerifyReport;
