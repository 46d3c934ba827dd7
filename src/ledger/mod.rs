//! The ledger core: entries, canonical encoding and hash chain, per-entry
//! totals and balance rules, verification, reports. No I/O.

pub mod canonical;
pub mod entry;
pub mod export;
pub mod programs;
pub mod report;
pub mod reverse;
pub mod rules;
pub mod totals;
pub mod verify;

pub use entry::{Entry, EntryKind, NewEntry, Posting};
pub use verify::{Checkpoint, VerifyReport};
